//! The writes waiting for Redis: closed candles in order, forming candles and tickers
//! coalesced, and the series to repair from memory.

use std::collections::{BTreeSet, HashMap, VecDeque};

use sift_core::{Candle, Interval, Symbol, Ticker};

/// A series: (symbol, interval).
pub(crate) type SeriesKey = (Symbol, Interval);

/// What one flush writes, taken out of the queue as a whole (a swap, never cleared after the
/// write), so that writes arriving during the flush wait for the next one.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// Series to rewrite from the in-process store (their history and forming candle).
    pub(crate) repairs: Vec<SeriesKey>,
    /// Closed candles in the order the in-process store applied them.
    pub(crate) closed: Vec<(Symbol, Interval, Candle)>,
    /// The latest forming candle of each series that changed.
    pub(crate) forming: Vec<(Symbol, Interval, Candle)>,
    /// The latest ticker of each symbol that changed.
    pub(crate) tickers: Vec<Ticker>,
}

/// How much one push displaced because a bound was reached.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dropped {
    /// Queued closed candles removed; their series were marked for repair.
    pub(crate) closed: u64,
    /// Queued forming candles removed (the oldest updates).
    pub(crate) forming: u64,
    /// Queued tickers removed (the oldest updates).
    pub(crate) tickers: u64,
    /// Whether this push started an overflow episode (for logging once per episode).
    pub(crate) started_overflow: bool,
}

/// The bounded queue of writes for Redis.
///
/// Closed candles are never dropped silently: beyond `max_closed`, the oldest queued ones are
/// removed and their series marked for repair, which rewrites the series from the in-process
/// store (which holds the same newest N candles Redis keeps), so Redis still ends up complete.
/// Forming candles and tickers keep only the latest per key; beyond `max_latest` keys the
/// oldest updates are dropped, to be replaced by the next ones within seconds.
#[derive(Debug)]
pub(crate) struct Queue {
    closed: VecDeque<(Symbol, Interval, Candle)>,
    forming: HashMap<SeriesKey, (u64, Candle)>,
    tickers: HashMap<Symbol, (u64, Ticker)>,
    repairs: BTreeSet<SeriesKey>,
    /// Items taken by the flush in progress (reported as queued until written).
    in_flight: usize,
    in_flight_repairs: usize,
    seq: u64,
    max_closed: usize,
    max_latest: usize,
    overflowing: bool,
}

impl Queue {
    pub(crate) fn new(max_closed: usize, max_latest: usize) -> Self {
        Self {
            closed: VecDeque::new(),
            forming: HashMap::new(),
            tickers: HashMap::new(),
            repairs: BTreeSet::new(),
            in_flight: 0,
            in_flight_repairs: 0,
            seq: 0,
            max_closed: max_closed.max(1),
            max_latest: max_latest.max(1),
            overflowing: false,
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Queues closed candles (already applied to the in-process store, in that order).
    pub(crate) fn push_closed(
        &mut self,
        candles: impl IntoIterator<Item = (Symbol, Interval, Candle)>,
    ) -> Dropped {
        self.closed.extend(candles);
        self.enforce_closed_bound()
    }

    fn enforce_closed_bound(&mut self) -> Dropped {
        let mut dropped = Dropped::default();
        while self.closed.len() > self.max_closed {
            if let Some((symbol, interval, _)) = self.closed.pop_front() {
                self.repairs.insert((symbol, interval));
                dropped.closed += 1;
            }
        }
        if dropped.closed > 0 && !self.overflowing {
            self.overflowing = true;
            dropped.started_overflow = true;
        }
        dropped
    }

    /// Queues the latest forming candle of a series, replacing a queued older one.
    pub(crate) fn push_forming(
        &mut self,
        symbol: &Symbol,
        interval: Interval,
        c: Candle,
    ) -> Dropped {
        let seq = self.next_seq();
        self.forming.insert((symbol.clone(), interval), (seq, c));
        Dropped {
            forming: evict_oldest(&mut self.forming, self.max_latest),
            ..Dropped::default()
        }
    }

    /// Queues the latest ticker of a symbol, replacing a queued older one.
    pub(crate) fn push_ticker(&mut self, ticker: &Ticker) -> Dropped {
        let seq = self.next_seq();
        self.tickers
            .insert(ticker.symbol.clone(), (seq, ticker.clone()));
        Dropped {
            tickers: evict_oldest(&mut self.tickers, self.max_latest),
            ..Dropped::default()
        }
    }

    /// Marks series to be rewritten from the in-process store.
    pub(crate) fn repair(&mut self, series: impl IntoIterator<Item = SeriesKey>) {
        self.repairs.extend(series);
    }

    /// Takes up to `max_repairs` series to repair and up to `max_closed` closed candles (all
    /// of them when fewer are queued: the queue is swapped out), plus every forming candle and
    /// ticker. Queued closed candles of series awaiting repair are left out: the repair, which
    /// reads the in-process store after they were applied to it, writes them anyway.
    pub(crate) fn take(&mut self, max_repairs: usize, max_closed: usize) -> Batch {
        let mut batch = Batch::default();
        while batch.repairs.len() < max_repairs {
            match self.repairs.pop_first() {
                Some(series) => batch.repairs.push(series),
                None => break,
            }
        }
        let closed = if self.closed.len() <= max_closed {
            std::mem::take(&mut self.closed)
        } else {
            self.closed.drain(..max_closed).collect()
        };
        let covered = |s: &Symbol, i: Interval| {
            let key = (s.clone(), i);
            self.repairs.contains(&key) || batch.repairs.contains(&key)
        };
        batch.closed = if self.repairs.is_empty() && batch.repairs.is_empty() {
            closed.into()
        } else {
            closed
                .into_iter()
                .filter(|(s, i, _)| !covered(s, *i))
                .collect()
        };
        let mut forming: Vec<_> = self.forming.drain().collect();
        forming.sort_unstable_by_key(|(_, (seq, _))| *seq);
        batch.forming = forming
            .into_iter()
            .map(|((s, i), (_, c))| (s, i, c))
            .collect();
        let mut tickers: Vec<_> = self.tickers.drain().map(|(_, v)| v).collect();
        tickers.sort_unstable_by_key(|(seq, _)| *seq);
        batch.tickers = tickers.into_iter().map(|(_, t)| t).collect();
        if self.closed.is_empty() {
            self.overflowing = false;
        }
        self.in_flight = batch.closed.len() + batch.forming.len() + batch.tickers.len();
        self.in_flight_repairs = batch.repairs.len();
        batch
    }

    /// The flush of the taken batch succeeded.
    pub(crate) fn done(&mut self) {
        self.in_flight = 0;
        self.in_flight_repairs = 0;
    }

    /// The flush of `batch` failed: puts it back in front of what arrived meanwhile, keeping
    /// newer forming candles and tickers, then applies the bounds again.
    pub(crate) fn restore(&mut self, batch: Batch) -> Dropped {
        self.done();
        self.repairs.extend(batch.repairs);
        let newer = std::mem::take(&mut self.closed);
        self.closed = batch.closed.into();
        self.closed.extend(newer);
        for (s, i, c) in batch.forming {
            self.forming.entry((s, i)).or_insert((0, c));
        }
        for t in batch.tickers {
            self.tickers.entry(t.symbol.clone()).or_insert((0, t));
        }
        let mut dropped = self.enforce_closed_bound();
        dropped.forming = evict_oldest(&mut self.forming, self.max_latest);
        dropped.tickers = evict_oldest(&mut self.tickers, self.max_latest);
        dropped
    }

    /// Writes waiting or being written (closed candles, forming candles, tickers).
    pub(crate) fn depth(&self) -> usize {
        self.closed.len() + self.forming.len() + self.tickers.len() + self.in_flight
    }

    /// Series waiting for or undergoing a repair.
    pub(crate) fn repairs_pending(&self) -> usize {
        self.repairs.len() + self.in_flight_repairs
    }

    /// Whether closed candles or repairs wait: they are written at once, where forming
    /// candles and tickers (only the latest value counts) may wait to be gathered.
    pub(crate) fn has_urgent_work(&self) -> bool {
        !(self.closed.is_empty() && self.repairs.is_empty())
    }

    /// Whether a flush has anything to do.
    pub(crate) fn has_work(&self) -> bool {
        !(self.closed.is_empty()
            && self.forming.is_empty()
            && self.tickers.is_empty()
            && self.repairs.is_empty())
    }
}

/// Removes the entries with the lowest sequence numbers until at most `max` remain; returns
/// how many were removed. A linear scan per removal, which only happens on overflow.
fn evict_oldest<K: Clone + Eq + std::hash::Hash, V>(
    map: &mut HashMap<K, (u64, V)>,
    max: usize,
) -> u64 {
    let mut removed = 0;
    while map.len() > max {
        let oldest = map
            .iter()
            .min_by_key(|(_, (seq, _))| *seq)
            .map(|(k, _)| k.clone());
        match oldest {
            Some(key) => {
                map.remove(&key);
                removed += 1;
            }
            None => break,
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(name: &str) -> Symbol {
        Symbol::new(name).unwrap()
    }

    fn c(minute: i64) -> Candle {
        Candle::ohlcv(minute * 60_000, 1.0, 1.0, 1.0, minute as f64, 1.0)
    }

    fn closed(name: &str, minutes: std::ops::Range<i64>) -> Vec<(Symbol, Interval, Candle)> {
        minutes.map(|m| (sym(name), Interval::M1, c(m))).collect()
    }

    fn minutes(batch: &Batch) -> Vec<i64> {
        batch
            .closed
            .iter()
            .map(|(_, _, c)| c.open_time / 60_000)
            .collect()
    }

    #[test]
    fn writes_during_a_flush_wait_for_the_next_and_failures_go_back_in_front() {
        let mut q = Queue::new(100, 100);
        q.push_closed(closed("BTCUSDT", 0..3));
        let first = q.take(0, 1000);
        assert_eq!(minutes(&first), [0, 1, 2]);
        assert_eq!(q.depth(), 3, "in flight still counts");
        q.push_closed(closed("BTCUSDT", 3..5));
        assert_eq!(q.depth(), 5);
        q.restore(first);
        let again = q.take(0, 1000);
        assert_eq!(minutes(&again), [0, 1, 2, 3, 4]);
        q.done();
        assert_eq!(q.depth(), 0);
        assert!(!q.has_work());
    }

    #[test]
    fn forming_and_tickers_keep_the_latest_per_key() {
        let mut q = Queue::new(100, 100);
        let btc = sym("BTCUSDT");
        q.push_forming(&btc, Interval::M1, c(1));
        q.push_forming(&btc, Interval::M1, c(2));
        q.push_forming(&btc, Interval::M5, c(0));
        let taken = q.take(0, 100);
        assert_eq!(taken.forming.len(), 2);
        assert_eq!(taken.forming[0].2, c(2));
        // A newer update arrives during the failed flush: it wins over the restored one.
        q.push_forming(&btc, Interval::M1, c(3));
        q.restore(taken);
        let again = q.take(0, 100);
        let m1: Vec<_> = again
            .forming
            .iter()
            .filter(|f| f.1 == Interval::M1)
            .collect();
        assert_eq!(m1.len(), 1);
        assert_eq!(m1[0].2, c(3));
    }

    #[test]
    fn overflow_drops_oldest_closed_into_repairs_and_oldest_updates() {
        let mut q = Queue::new(3, 2);
        let first = q.push_closed(closed("AAAUSDT", 0..2));
        assert_eq!(first, Dropped::default());
        let d = q.push_closed(closed("BBBUSDT", 0..3));
        assert_eq!(d.closed, 2);
        assert!(d.started_overflow);
        assert!(!q.push_closed(closed("BBBUSDT", 3..4)).started_overflow);
        assert_eq!(q.repairs_pending(), 2, "AAA and BBB");
        for name in ["CCCUSDT", "DDDUSDT", "EEEUSDT"] {
            q.push_forming(&sym(name), Interval::M1, c(0));
        }
        let batch = q.take(10, 100);
        assert_eq!(batch.repairs.len(), 2);
        assert!(batch.closed.is_empty(), "covered by the repairs");
        let names: Vec<_> = batch.forming.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(names, ["DDDUSDT", "EEEUSDT"]);
        q.done();
        assert_eq!(q.repairs_pending(), 0);
    }

    #[test]
    fn large_backlogs_are_taken_in_slices_in_order() {
        let mut q = Queue::new(1000, 10);
        q.push_closed(closed("BTCUSDT", 0..25));
        let a = q.take(0, 10);
        assert_eq!(minutes(&a), (0..10).collect::<Vec<_>>());
        q.done();
        let b = q.take(0, 10);
        assert_eq!(minutes(&b), (10..20).collect::<Vec<_>>());
    }
}
