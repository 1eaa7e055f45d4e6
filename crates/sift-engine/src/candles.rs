//! The closed candles kept per (symbol, interval), from which new indicators are warmed.

use std::collections::VecDeque;

use sift_core::{Candle, Interval};

/// The last `capacity` closed candles of one symbol and interval, oldest first, strictly
/// increasing in open time.
#[derive(Debug, Clone)]
pub(crate) struct CandleRing {
    interval: Interval,
    capacity: usize,
    candles: VecDeque<Candle>,
}

impl CandleRing {
    /// An empty ring; a `capacity` of 0 is taken as 1.
    pub(crate) fn new(interval: Interval, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            interval,
            capacity,
            candles: VecDeque::with_capacity(capacity.min(64)),
        }
    }

    pub(crate) fn interval(&self) -> Interval {
        self.interval
    }

    /// Appends `candle` when it opens after the newest stored one, evicting the oldest when
    /// full. Returns `false`, storing nothing, for a duplicate or out-of-order candle.
    pub(crate) fn push(&mut self, candle: Candle) -> bool {
        if self
            .candles
            .back()
            .is_some_and(|last| candle.open_time <= last.open_time)
        {
            return false;
        }
        if self.candles.len() == self.capacity {
            self.candles.pop_front();
        }
        self.candles.push_back(candle);
        true
    }

    /// The newest candle.
    pub(crate) fn last(&self) -> Option<&Candle> {
        self.candles.back()
    }

    /// The candle `i` places from the oldest.
    pub(crate) fn get(&self, i: usize) -> Option<&Candle> {
        self.candles.get(i)
    }

    pub(crate) fn len(&self) -> usize {
        self.candles.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candle(minute: i64) -> Candle {
        Candle::ohlcv(minute * 60_000, 1.0, 1.0, 1.0, 1.0, 1.0)
    }

    #[test]
    fn keeps_the_newest_in_order_and_rejects_repeats() {
        let mut ring = CandleRing::new(Interval::M1, 2);
        assert!(ring.push(candle(0)));
        assert!(!ring.push(candle(0)));
        assert!(ring.push(candle(2)));
        assert!(!ring.push(candle(1)));
        assert!(ring.push(candle(3)));
        assert_eq!(ring.len(), 2);
        assert_eq!(ring.get(0).map(|c| c.open_time), Some(2 * 60_000));
        assert_eq!(ring.last().map(|c| c.open_time), Some(3 * 60_000));
        assert_eq!(ring.interval(), Interval::M1);
        assert_eq!(CandleRing::new(Interval::M1, 0).capacity, 1);
    }
}
