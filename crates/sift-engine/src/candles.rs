//! The closed candles kept per (symbol, interval), from which new indicators are warmed, and
//! where a replay reads them: the engine's own rings, or an external [`CandleHistory`].

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use sift_core::{Candle, Interval, Symbol};

use crate::CandleHistory;

/// The last `capacity` closed candles of one symbol and interval, oldest first, strictly
/// increasing in open time.
#[derive(Debug, Clone)]
pub(crate) struct CandleRing {
    interval: Interval,
    capacity: usize,
    candles: VecDeque<Candle>,
    /// Candles accepted since the ring was made, evicted ones included.
    fed: u64,
}

impl CandleRing {
    /// An empty ring; a `capacity` of 0 is taken as 1.
    pub(crate) fn new(interval: Interval, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            interval,
            capacity,
            candles: VecDeque::with_capacity(capacity.min(64)),
            fed: 0,
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
        self.fed += 1;
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

    /// Candles accepted so far, evicted ones included.
    pub(crate) fn fed(&self) -> u64 {
        self.fed
    }
}

/// Where replays read a series' closed candles.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Warming<'a> {
    /// The external history, or `None` when the engine keeps its own candles.
    pub(crate) history: Option<&'a dyn CandleHistory>,
    /// The most candles a series is warmed from: the candle capacity.
    pub(crate) window: usize,
    /// Series warmed from fewer candles than the engine kept would have held.
    pub(crate) short: &'a AtomicU64,
}

impl<'a> Warming<'a> {
    /// From the engine's own rings (tests' references).
    #[cfg(test)]
    pub(crate) fn own() -> Warming<'static> {
        static SHORT: AtomicU64 = AtomicU64::new(0);
        Warming {
            history: None,
            window: usize::MAX,
            short: &SHORT,
        }
    }

    /// The candles of `ring` (the engine's ring of `symbol`'s series) to replay: the ring itself,
    /// or the newest `window` candles of the external history up to the ring's newest one (added
    /// when the history does not hold it yet).
    pub(crate) fn feed(self, symbol: &Symbol, ring: &'a CandleRing) -> Feed<'a> {
        let Some(history) = self.history else {
            return Feed::Ring(ring);
        };
        let Some(last) = ring.last() else {
            return Feed::Ring(ring);
        };
        let read = history.closed_through(symbol, ring.interval, last.open_time, self.window);
        // Keep what a ring could have held: closed, strictly increasing, none after `last`.
        let mut candles: Vec<Candle> = Vec::with_capacity(read.len() + 1);
        for c in read {
            let newer = candles.last().is_none_or(|p| c.open_time > p.open_time);
            if c.closed && newer && c.open_time <= last.open_time {
                candles.push(c);
            }
        }
        if candles.last().is_none_or(|c| c.open_time < last.open_time) {
            candles.push(*last);
        }
        let excess = candles.len().saturating_sub(self.window);
        candles.drain(..excess);
        let expected = ring.fed().min(self.window as u64);
        if (candles.len() as u64) < expected {
            self.short.fetch_add(1, Ordering::Relaxed);
        }
        Feed::Read(ring.interval, candles)
    }
}

/// One series' closed candles as a replay reads them, oldest first.
#[derive(Debug)]
pub(crate) enum Feed<'a> {
    Ring(&'a CandleRing),
    Read(Interval, Vec<Candle>),
}

impl Feed<'_> {
    pub(crate) fn interval(&self) -> Interval {
        match self {
            Feed::Ring(ring) => ring.interval,
            Feed::Read(interval, _) => *interval,
        }
    }

    /// The candle `i` places from the oldest.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&Candle> {
        match self {
            Feed::Ring(ring) => ring.get(i),
            Feed::Read(_, candles) => candles.get(i),
        }
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
