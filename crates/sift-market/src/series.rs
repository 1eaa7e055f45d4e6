//! One series' sequencing: which closed candles to hand on, in which order, and which to fetch.
//!
//! Pure and synchronous; the collector feeds it what the stream and REST say and carries out
//! what it asks for. A candle's identity is its open time.
//!
//! - Closed candles are offered as they arrive and kept in `pending` (sorted, one per open
//!   time) until they can be handed on in order: the next one after the newest delivered
//!   (`last`) is delivered at once; one further ahead means a gap, and the series asks for the
//!   missing open times over REST ([`Fetch`]) before delivering anything newer.
//! - While a fetch (the initial backfill or a repair) is in flight the series is `busy`: new
//!   closes wait in `pending`, nothing is delivered.
//! - Open times below `tried_until` have been asked for over REST. A gap there that REST could
//!   not fill is a real hole in the exchange's history: it is accepted, never fetched again, so
//!   a series cannot loop on an outage.
//! - Proactive repair ([`Series::catch_up`], [`Series::stall_check`]) asks for closed candles
//!   the stream has not delivered: after a reconnect, or when evidence (`known_closed_until`)
//!   says a candle has closed but its close has not arrived within the stall grace.

use std::collections::BTreeMap;
use std::time::Duration;

use sift_core::{Candle, Interval};
use tokio::time::Instant;

/// Closed candles opening in `from..to` (open times, `to` exclusive), to be fetched over REST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fetch {
    pub(crate) from: i64,
    pub(crate) to: i64,
}

/// What offering a closed candle did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Offer {
    /// Kept until it can be delivered in order.
    Accepted,
    /// Already delivered or already waiting: a repeated final update.
    Duplicate,
    /// Older than the newest delivered candle: a reordered or late update.
    Stale,
}

/// What the collector must do after a change: deliver these candles (in order), then start
/// this fetch.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Step {
    pub(crate) deliver: Vec<Candle>,
    pub(crate) fetch: Option<Fetch>,
    /// Open times skipped because REST had no candle for them (an exchange outage).
    pub(crate) holes: u64,
    /// Candles a repair fetch brought that the stream had not (delivered now or later).
    pub(crate) fetched: u64,
}

/// The sequencing state of one (symbol, interval).
#[derive(Debug)]
pub(crate) struct Series {
    interval: Interval,
    /// Open time of the newest delivered closed candle (or the newest history candle).
    last: Option<i64>,
    /// Closed candles received but not yet delivered, by open time.
    pending: BTreeMap<i64, Candle>,
    /// A fetch is in flight: deliver nothing until it is back.
    busy: bool,
    /// The initial history has been written; until then the series is not live.
    backfilled: bool,
    /// Open times below this were asked for over REST.
    tried_until: i64,
    /// Candles opening before this are known to be closed (from this series' own updates).
    seen_until: i64,
    /// Since when a closed candle has been known missing (for the stall grace).
    missing_since: Option<Instant>,
}

impl Series {
    /// A series waiting for its history: closes are buffered until [`Series::backfilled`].
    pub(crate) fn new(interval: Interval) -> Self {
        Self {
            interval,
            last: None,
            pending: BTreeMap::new(),
            busy: true,
            backfilled: false,
            tried_until: i64::MIN,
            seen_until: i64::MIN,
            missing_since: None,
        }
    }

    /// Whether the history is in and the series hands on live closes.
    pub(crate) fn is_live(&self) -> bool {
        self.backfilled
    }

    /// Whether a fetch is in flight (backfill or repair).
    pub(crate) fn is_busy(&self) -> bool {
        self.busy
    }

    /// Open time of the newest delivered candle.
    pub(crate) fn last(&self) -> Option<i64> {
        self.last
    }

    /// Notes an update (forming or closed) of the candle opening at `open_time`: every candle
    /// before it has closed.
    pub(crate) fn note_update(&mut self, open_time: i64, closed: bool) {
        let bound = if closed {
            self.interval.next_open(open_time)
        } else {
            open_time
        };
        self.seen_until = self.seen_until.max(bound);
    }

    /// Open time of the next candle to deliver: the one after the newest delivered, or, before
    /// any, the first one the history did not cover. `None` without either.
    fn expected(&self) -> Option<i64> {
        match self.last {
            Some(last) => Some(self.interval.next_open(last)),
            None => (self.tried_until > i64::MIN).then_some(self.tried_until),
        }
    }

    /// Takes a closed candle from the stream; call [`Series::drain`] afterwards.
    pub(crate) fn offer(&mut self, candle: Candle) -> Offer {
        let t = candle.open_time;
        match self.last {
            Some(last) if t == last => return Offer::Duplicate,
            Some(last) if t < last => return Offer::Stale,
            _ => {}
        }
        if self.pending.contains_key(&t) {
            return Offer::Duplicate;
        }
        self.pending.insert(t, candle);
        Offer::Accepted
    }

    /// The history is in: `history` are the closed candles fetched (oldest first, already
    /// written to the store), `bound` the exclusive open-time bound they were asked up to.
    pub(crate) fn backfilled(&mut self, history: &[Candle], bound: i64) -> Step {
        self.busy = false;
        self.backfilled = true;
        if let Some(newest) = history.last() {
            self.last = Some(
                self.last
                    .map_or(newest.open_time, |l| l.max(newest.open_time)),
            );
        }
        self.tried_until = self.tried_until.max(bound);
        self.drain()
    }

    /// A repair fetch came back with `candles` (any order; candles outside the range or not
    /// closed are ignored).
    pub(crate) fn repaired(&mut self, fetch: Fetch, candles: &[Candle]) -> Step {
        self.busy = false;
        self.tried_until = self.tried_until.max(fetch.to);
        let mut fetched = 0;
        for candle in candles {
            let t = candle.open_time;
            let newer = self.last.is_none_or(|last| t > last);
            if candle.closed && newer && (fetch.from..fetch.to).contains(&t) {
                // REST is the exchange's record: it wins over a stream update of the same
                // candle (they agree unless the stream was wrong).
                if self.pending.insert(t, *candle).is_none() {
                    fetched += 1;
                }
            }
        }
        let mut step = self.drain();
        step.fetched = fetched;
        step
    }

    /// A repair fetch failed for good: the range counts as tried (a hole, if still missing).
    pub(crate) fn repair_abandoned(&mut self, fetch: Fetch) -> Step {
        self.repaired(fetch, &[])
    }

    /// Delivers what can be delivered in order, or asks for the missing candles first.
    pub(crate) fn drain(&mut self) -> Step {
        let mut step = Step::default();
        if self.busy {
            return step;
        }
        while let Some((&t, _)) = self.pending.first_key_value() {
            if self.last.is_some_and(|last| t <= last) {
                self.pending.pop_first();
                continue;
            }
            if let Some(expected) = self.expected().filter(|&e| t > e) {
                let from = expected.max(self.tried_until);
                if from < t {
                    self.busy = true;
                    step.fetch = Some(Fetch { from, to: t });
                    return step;
                }
                step.holes +=
                    u64::try_from(self.interval.periods_between(expected, t)).unwrap_or_default();
            }
            if let Some((t, candle)) = self.pending.pop_first() {
                self.last = Some(t);
                step.deliver.push(candle);
            }
        }
        self.missing_since = None;
        step
    }

    /// A proactive repair after a reconnect: fetch every closed candle not yet delivered that
    /// opens before `closed_until` (the exclusive bound evidence gives). `None` when there is
    /// nothing to ask for, the series is busy or has no anchor yet.
    pub(crate) fn catch_up(&mut self, closed_until: i64) -> Option<Fetch> {
        if self.busy || !self.backfilled {
            return None;
        }
        let from = self.expected()?.max(self.tried_until);
        let to = closed_until.max(self.seen_until);
        if from >= to {
            return None;
        }
        self.busy = true;
        self.missing_since = None;
        Some(Fetch { from, to })
    }

    /// Stall detection: when a candle is known closed (before `closed_until` or this series'
    /// own evidence) but has not been delivered for `grace`, ask for it over REST.
    pub(crate) fn stall_check(
        &mut self,
        now: Instant,
        grace: Duration,
        closed_until: i64,
    ) -> Option<Fetch> {
        if self.busy || !self.backfilled {
            return None;
        }
        let from = self.expected()?.max(self.tried_until);
        if from >= closed_until.max(self.seen_until) {
            self.missing_since = None;
            return None;
        }
        let since = *self.missing_since.get_or_insert(now);
        if now.duration_since(since) < grace {
            return None;
        }
        self.catch_up(closed_until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn candle(t: i64) -> Candle {
        let mut c = Candle::ohlcv(t, 1.0, 2.0, 0.5, 1.5, 10.0);
        c.close_time = t + MIN - 1;
        c
    }

    fn times(candles: &[Candle]) -> Vec<i64> {
        candles.iter().map(|c| c.open_time / MIN).collect()
    }

    fn history(to: i64) -> Vec<Candle> {
        (0..to).map(|i| candle(i * MIN)).collect()
    }

    fn live(to: i64) -> Series {
        let mut s = Series::new(Interval::M1);
        let step = s.backfilled(&history(to), to * MIN);
        assert_eq!(step, Step::default());
        s
    }

    #[test]
    fn buffers_until_backfilled_then_delivers_in_order() {
        let mut s = Series::new(Interval::M1);
        assert_eq!(s.offer(candle(5 * MIN)), Offer::Accepted);
        assert_eq!(s.offer(candle(4 * MIN)), Offer::Accepted);
        assert_eq!(s.offer(candle(4 * MIN)), Offer::Duplicate);
        assert_eq!(s.drain(), Step::default());
        // History up to 3 (bound 4): 4 and 5 follow directly; 2 is an overlap and dropped.
        s.offer(candle(2 * MIN));
        let step = s.backfilled(&history(4), 4 * MIN);
        assert_eq!(times(&step.deliver), [4, 5]);
        assert_eq!(step.fetch, None);
        assert!(s.is_live());
    }

    #[test]
    fn duplicates_and_stale_updates_are_ignored() {
        let mut s = live(10);
        assert_eq!(s.offer(candle(9 * MIN)), Offer::Duplicate);
        assert_eq!(s.offer(candle(3 * MIN)), Offer::Stale);
        assert_eq!(s.offer(candle(10 * MIN)), Offer::Accepted);
        assert_eq!(times(&s.drain().deliver), [10]);
        assert_eq!(s.offer(candle(10 * MIN)), Offer::Duplicate);
    }

    #[test]
    fn a_gap_is_fetched_and_delivered_before_the_newer_candle() {
        let mut s = live(10);
        s.offer(candle(13 * MIN));
        let step = s.drain();
        assert!(step.deliver.is_empty());
        let fetch = step.fetch.unwrap();
        assert_eq!((fetch.from, fetch.to), (10 * MIN, 13 * MIN));
        // While busy, newer closes wait.
        s.offer(candle(14 * MIN));
        assert_eq!(s.drain(), Step::default());
        let step = s.repaired(
            fetch,
            &[candle(11 * MIN), candle(10 * MIN), candle(12 * MIN)],
        );
        assert_eq!(times(&step.deliver), [10, 11, 12, 13, 14]);
        assert_eq!(step.holes, 0);
    }

    #[test]
    fn a_real_hole_is_accepted_once_tried() {
        let mut s = live(10);
        s.offer(candle(13 * MIN));
        let fetch = s.drain().fetch.unwrap();
        // REST lacks 11.
        let step = s.repaired(fetch, &[candle(10 * MIN), candle(12 * MIN)]);
        assert_eq!(times(&step.deliver), [10, 12, 13]);
        assert_eq!(step.holes, 1);
        let mut s = live(10);
        s.offer(candle(13 * MIN));
        let fetch = s.drain().fetch.unwrap();
        let step = s.repaired(fetch, &[]);
        assert_eq!(times(&step.deliver), [13]);
        assert_eq!(step.holes, 3);
        assert_eq!(step.fetch, None, "never asks twice");
    }

    #[test]
    fn repaired_ignores_forming_and_out_of_range_candles() {
        let mut s = live(10);
        s.offer(candle(12 * MIN));
        let fetch = s.drain().fetch.unwrap();
        let mut forming = candle(11 * MIN);
        forming.closed = false;
        let step = s.repaired(
            fetch,
            &[
                candle(10 * MIN),
                forming,
                candle(12 * MIN),
                candle(30 * MIN),
            ],
        );
        assert_eq!(times(&step.deliver), [10, 12]);
        assert_eq!(step.holes, 1);
    }

    #[test]
    fn catch_up_asks_for_known_closed_candles_once() {
        let mut s = live(10);
        assert_eq!(s.catch_up(10 * MIN), None, "nothing closed is missing");
        let fetch = s.catch_up(12 * MIN).unwrap();
        assert_eq!((fetch.from, fetch.to), (10 * MIN, 12 * MIN));
        assert_eq!(s.catch_up(12 * MIN), None, "busy");
        let step = s.repaired(fetch, &[candle(10 * MIN)]);
        assert_eq!(times(&step.deliver), [10]);
        // 11 was asked for and not there: not asked again.
        assert_eq!(s.catch_up(12 * MIN), None);
        assert_eq!(
            s.catch_up(13 * MIN),
            Some(Fetch {
                from: 12 * MIN,
                to: 13 * MIN
            })
        );
    }

    #[tokio::test(start_paused = true)]
    async fn stall_waits_for_the_grace_then_fetches() {
        let grace = Duration::from_secs(2);
        let mut s = live(10);
        let t0 = Instant::now();
        assert_eq!(s.stall_check(t0, grace, 10 * MIN), None);
        // A forming update of 11 proves 10 closed.
        s.note_update(11 * MIN, false);
        assert_eq!(s.stall_check(t0, grace, 10 * MIN), None);
        assert_eq!(
            s.stall_check(t0 + Duration::from_secs(1), grace, 10 * MIN),
            None
        );
        let fetch = s.stall_check(t0 + grace, grace, 10 * MIN).unwrap();
        assert_eq!((fetch.from, fetch.to), (10 * MIN, 11 * MIN));
        let step = s.repaired(fetch, &[candle(10 * MIN)]);
        assert_eq!(times(&step.deliver), [10]);
        // Delivered in time: no stall.
        s.note_update(11 * MIN, true);
        s.offer(candle(11 * MIN));
        assert_eq!(times(&s.drain().deliver), [11]);
        assert_eq!(s.stall_check(t0 + grace * 10, grace, 12 * MIN), None);
    }

    #[test]
    fn empty_history_anchors_at_its_bound() {
        let mut s = Series::new(Interval::M1);
        s.offer(candle(7 * MIN));
        let step = s.backfilled(&[], 5 * MIN);
        let fetch = step.fetch.unwrap();
        assert_eq!((fetch.from, fetch.to), (5 * MIN, 7 * MIN));
        let step = s.repaired(fetch, &[candle(6 * MIN)]);
        assert_eq!(times(&step.deliver), [6, 7]);
        assert_eq!(s.last(), Some(7 * MIN));
    }
}
