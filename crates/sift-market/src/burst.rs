//! Gathering the closes of one candle across symbols into one burst.
//!
//! Every (interval, open time) gets one burst, handed on when every symbol expected to report
//! it has, or when the wait runs out. Bursts of one interval leave in open-time order: handing
//! one on hands on every older open one first, so each series' candles stay in order across
//! bursts. A candle for a burst already handed on (a late or repaired close) leaves at once
//! as a burst of its own.
//!
//! Pure apart from the `Instant`s the caller passes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use sift_core::{Candle, Interval, Symbol};
use tokio::time::Instant;

/// A burst ready to be written and handed on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ready {
    pub(crate) interval: Interval,
    pub(crate) open_time: i64,
    /// In the order the closes were delivered.
    pub(crate) candles: Vec<(Symbol, Candle)>,
    /// A close for a burst already handed on.
    pub(crate) late: bool,
}

#[derive(Debug)]
struct Gathering {
    candles: Vec<(Symbol, Candle)>,
    missing: BTreeSet<Symbol>,
    deadline: Instant,
}

/// The bursts being gathered.
#[derive(Debug)]
pub(crate) struct Gatherer {
    wait: Duration,
    open: BTreeMap<(Interval, i64), Gathering>,
    /// Newest open time handed on, per interval.
    flushed: HashMap<Interval, i64>,
}

impl Gatherer {
    /// Bursts wait at most `wait` for their last symbol.
    pub(crate) fn new(wait: Duration) -> Self {
        Self {
            wait,
            open: BTreeMap::new(),
            flushed: HashMap::new(),
        }
    }

    /// Adds a delivered close. `expected` gives the symbols whose close of this candle is
    /// awaited, asked only when the burst is new. Returns the bursts now ready, in order.
    pub(crate) fn add(
        &mut self,
        symbol: Symbol,
        interval: Interval,
        candle: Candle,
        now: Instant,
        expected: impl FnOnce() -> BTreeSet<Symbol>,
    ) -> Vec<Ready> {
        let open_time = candle.open_time;
        if self.flushed.get(&interval).is_some_and(|&f| open_time <= f) {
            return vec![Ready {
                interval,
                open_time,
                candles: vec![(symbol, candle)],
                late: true,
            }];
        }
        let wait = self.wait;
        let gathering = self
            .open
            .entry((interval, open_time))
            .or_insert_with(|| Gathering {
                candles: Vec::new(),
                missing: expected(),
                deadline: now + wait,
            });
        gathering.missing.remove(&symbol);
        gathering.candles.push((symbol, candle));
        if gathering.missing.is_empty() {
            self.flush_through(interval, open_time)
        } else {
            Vec::new()
        }
    }

    /// Hands on the bursts whose wait has run out (and the older ones of their interval).
    pub(crate) fn expire(&mut self, now: Instant) -> Vec<Ready> {
        let due: Vec<(Interval, i64)> = self
            .open
            .iter()
            .filter(|(_, g)| g.deadline <= now)
            .map(|(key, _)| *key)
            .collect();
        let mut ready = Vec::new();
        for (interval, open_time) in due {
            ready.extend(self.flush_through(interval, open_time));
        }
        ready
    }

    /// `symbol` will not report `interval` (removed, halted or not live yet): stop waiting
    /// for it. Returns the bursts that are now complete.
    pub(crate) fn forget(&mut self, symbol: &Symbol, interval: Interval) -> Vec<Ready> {
        let complete: Vec<i64> = self
            .open
            .range_mut((interval, i64::MIN)..=(interval, i64::MAX))
            .filter_map(|(&(_, t), g)| {
                (g.missing.remove(symbol) && g.missing.is_empty()).then_some(t)
            })
            .collect();
        let mut ready = Vec::new();
        for open_time in complete {
            ready.extend(self.flush_through(interval, open_time));
        }
        ready
    }

    /// Hands on everything still gathering, oldest first (at shutdown).
    pub(crate) fn flush_all(&mut self) -> Vec<Ready> {
        let newest: Vec<(Interval, i64)> = self.open.keys().copied().collect();
        let mut ready = Vec::new();
        for (interval, open_time) in newest {
            ready.extend(self.flush_through(interval, open_time));
        }
        ready
    }

    /// Bursts still gathering.
    #[cfg(test)]
    pub(crate) fn open_len(&self) -> usize {
        self.open.len()
    }

    fn flush_through(&mut self, interval: Interval, open_time: i64) -> Vec<Ready> {
        let keys: Vec<(Interval, i64)> = self
            .open
            .range((interval, i64::MIN)..=(interval, open_time))
            .map(|(key, _)| *key)
            .collect();
        let mut ready = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(g) = self.open.remove(&key) {
                ready.push(Ready {
                    interval,
                    open_time: key.1,
                    candles: g.candles,
                    late: false,
                });
            }
        }
        let flushed = self.flushed.entry(interval).or_insert(i64::MIN);
        *flushed = (*flushed).max(open_time);
        ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const WAIT: Duration = Duration::from_secs(1);

    fn sym(name: &str) -> Symbol {
        Symbol::new(name).unwrap()
    }

    fn set(names: &[&str]) -> BTreeSet<Symbol> {
        names.iter().map(|n| sym(n)).collect()
    }

    fn candle(t: i64) -> Candle {
        Candle::ohlcv(t, 1.0, 1.0, 1.0, 1.0, 1.0)
    }

    fn names(ready: &Ready) -> Vec<&str> {
        ready.candles.iter().map(|(s, _)| s.as_str()).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_leaves_when_every_expected_symbol_reported() {
        let mut g = Gatherer::new(WAIT);
        let now = Instant::now();
        let all = || set(&["AAA", "BBB"]);
        assert!(
            g.add(sym("BBB"), Interval::M1, candle(0), now, all)
                .is_empty()
        );
        let ready = g.add(sym("AAA"), Interval::M1, candle(0), now, || unreachable!());
        assert_eq!(ready.len(), 1);
        assert_eq!(names(&ready[0]), ["BBB", "AAA"]);
        assert!(!ready[0].late);
        // A late close of the same candle leaves on its own.
        let ready = g.add(sym("CCC"), Interval::M1, candle(0), now, all);
        assert!(ready[0].late);
        assert_eq!(g.open_len(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_wait_runs_out_and_older_bursts_leave_first() {
        let mut g = Gatherer::new(WAIT);
        let now = Instant::now();
        let all = || set(&["AAA", "BBB"]);
        g.add(sym("AAA"), Interval::M1, candle(0), now, all);
        g.add(sym("AAA"), Interval::M5, candle(0), now, all);
        assert!(g.expire(now + WAIT / 2).is_empty());
        // The 1m burst of minute 1 completes; the incomplete minute 0 leaves before it.
        g.add(sym("AAA"), Interval::M1, candle(MIN), now + WAIT / 2, all);
        let ready = g.add(sym("BBB"), Interval::M1, candle(MIN), now + WAIT / 2, all);
        let opens: Vec<i64> = ready.iter().map(|r| r.open_time).collect();
        assert_eq!(opens, [0, MIN]);
        let ready = g.expire(now + WAIT);
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].interval, Interval::M5);
    }

    #[tokio::test(start_paused = true)]
    async fn forgetting_a_symbol_completes_its_bursts() {
        let mut g = Gatherer::new(WAIT);
        let now = Instant::now();
        g.add(sym("AAA"), Interval::M1, candle(0), now, || {
            set(&["AAA", "BBB"])
        });
        assert!(g.forget(&sym("BBB"), Interval::M5).is_empty());
        let ready = g.forget(&sym("BBB"), Interval::M1);
        assert_eq!(ready.len(), 1);
        g.add(sym("AAA"), Interval::M1, candle(MIN), now, || {
            set(&["AAA", "BBB"])
        });
        assert_eq!(g.flush_all().len(), 1);
    }
}
