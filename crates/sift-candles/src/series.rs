//! One (symbol, interval): the closed history and the forming candle, with the store's rules.

use sift_core::{Candle, Interval};

use crate::packed::PackedCandle;
use crate::ring::Ring;
use crate::validate::next_open_of_aligned;
use crate::{ClosedPut, Gap, Put};

/// The candles of one (symbol, interval). Invariants: closed open times strictly increase, and
/// the forming candle (if any) opens after the newest closed one. Callers validate candles
/// first (see [`validate_candle`](crate::validate_candle)).
#[derive(Debug)]
pub(crate) struct Series {
    closed: Ring,
    forming: Option<Candle>,
}

impl Series {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            closed: Ring::new(capacity),
            forming: None,
        }
    }

    fn newest_open(&self) -> Option<i64> {
        self.closed.newest().map(PackedCandle::open_time)
    }

    pub(crate) fn put_closed(&mut self, interval: Interval, candle: &Candle) -> ClosedPut {
        let t = candle.open_time;
        let outcome = match self.newest_open() {
            Some(newest) if t <= newest => {
                return if t == newest || self.closed.contains(t) {
                    ClosedPut::Duplicate
                } else {
                    ClosedPut::Stale
                };
            }
            Some(newest) => {
                let expected = next_open_of_aligned(interval, newest);
                if t == expected {
                    ClosedPut::Appended
                } else {
                    ClosedPut::AppendedAfterGap(Gap {
                        from: expected,
                        to: t,
                        missing: interval.periods_between(newest, t) - 1,
                    })
                }
            }
            None => ClosedPut::Appended,
        };
        self.closed.push(PackedCandle::pack(candle));
        if self.forming.is_some_and(|f| f.open_time <= t) {
            self.forming = None;
        }
        outcome
    }

    pub(crate) fn put_forming(&mut self, candle: &Candle) -> Put {
        let t = candle.open_time;
        let behind_closed = self.newest_open().is_some_and(|newest| t <= newest);
        let behind_forming = self.forming.is_some_and(|f| t < f.open_time);
        if behind_closed || behind_forming {
            return Put::Stale;
        }
        self.forming = Some(Candle {
            closed: false,
            ..*candle
        });
        Put::Stored
    }

    pub(crate) fn last_closed(&self, n: usize) -> Vec<Candle> {
        let mut out = Vec::with_capacity(n.min(self.closed.len()));
        self.closed.extend_newest(n, &mut out);
        out
    }

    pub(crate) fn last_with_forming(&self, n: usize) -> Vec<Candle> {
        let Some(forming) = self.forming else {
            return self.last_closed(n);
        };
        if n == 0 {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(n.min(self.closed.len() + 1));
        self.closed.extend_newest(n - 1, &mut out);
        out.push(forming);
        out
    }

    pub(crate) fn latest_closed(&self) -> Option<Candle> {
        self.closed.newest().map(PackedCandle::unpack)
    }

    pub(crate) fn forming(&self) -> Option<Candle> {
        self.forming
    }

    pub(crate) fn len(&self) -> usize {
        self.closed.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.closed.len() == 0 && self.forming.is_none()
    }

    /// Bytes of this series: its own struct plus its candle slots.
    pub(crate) fn bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.closed.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    fn c(minute: i64) -> Candle {
        Candle::ohlcv(minute * MINUTE, 1.0, 2.0, 0.5, minute as f64, 3.0)
    }

    #[test]
    fn gap_counts_missing_candles() {
        let mut s = Series::new(10);
        assert_eq!(s.put_closed(Interval::M1, &c(1)), ClosedPut::Appended);
        assert_eq!(
            s.put_closed(Interval::M1, &c(4)),
            ClosedPut::AppendedAfterGap(Gap {
                from: 2 * MINUTE,
                to: 4 * MINUTE,
                missing: 2
            })
        );
        assert_eq!(s.put_closed(Interval::M1, &c(3)), ClosedPut::Stale);
        assert_eq!(s.put_closed(Interval::M1, &c(1)), ClosedPut::Duplicate);
        assert_eq!(s.put_closed(Interval::M1, &c(4)), ClosedPut::Duplicate);
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn closing_removes_the_forming_candle() {
        let mut s = Series::new(10);
        assert!(s.is_empty());
        assert_eq!(s.put_forming(&c(2)), Put::Stored);
        assert_eq!(s.put_closed(Interval::M1, &c(1)), ClosedPut::Appended);
        assert_eq!(s.forming().map(|f| f.open_time), Some(2 * MINUTE));
        assert_eq!(s.put_closed(Interval::M1, &c(2)), ClosedPut::Appended);
        assert_eq!(s.forming(), None);
        assert_eq!(s.put_forming(&c(2)), Put::Stale);
        assert_eq!(s.last_with_forming(0), Vec::new());
    }
}
