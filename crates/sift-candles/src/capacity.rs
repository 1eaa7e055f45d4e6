//! How many closed candles each series keeps.

use std::collections::BTreeMap;

use sift_core::Interval;

/// How many closed candles a store keeps per (symbol, interval), configurable per interval.
///
/// Every capacity is at least 1, so the newest closed candle is always kept and gaps can always
/// be detected against it. The default is [`Capacities::DEFAULT`] for every interval, matching the
/// collector's default backfill depth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capacities {
    default: usize,
    per_interval: BTreeMap<Interval, usize>,
}

/// A capacity of zero was asked for; a series must keep at least its newest candle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("candle capacity must be at least 1")]
pub struct ZeroCapacity;

impl Capacities {
    /// Closed candles kept per series unless configured otherwise.
    pub const DEFAULT: usize = 1000;

    /// `default` closed candles for every interval.
    pub fn new(default: usize) -> Result<Self, ZeroCapacity> {
        if default == 0 {
            return Err(ZeroCapacity);
        }
        Ok(Self {
            default,
            per_interval: BTreeMap::new(),
        })
    }

    /// Keeps `capacity` closed candles for `interval` instead of the default.
    pub fn with(mut self, interval: Interval, capacity: usize) -> Result<Self, ZeroCapacity> {
        if capacity == 0 {
            return Err(ZeroCapacity);
        }
        self.per_interval.insert(interval, capacity);
        Ok(self)
    }

    /// Closed candles kept for `interval`; always at least 1.
    pub fn of(&self, interval: Interval) -> usize {
        self.per_interval
            .get(&interval)
            .copied()
            .unwrap_or(self.default)
    }
}

impl Default for Capacities {
    fn default() -> Self {
        Self {
            default: Self::DEFAULT,
            per_interval: BTreeMap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_interval_overrides_the_default() {
        let caps = Capacities::new(500)
            .unwrap()
            .with(Interval::D1, 30)
            .unwrap();
        assert_eq!(caps.of(Interval::M1), 500);
        assert_eq!(caps.of(Interval::D1), 30);
        assert_eq!(Capacities::default().of(Interval::H4), 1000);
    }

    #[test]
    fn zero_is_refused() {
        assert_eq!(Capacities::new(0), Err(ZeroCapacity));
        assert_eq!(
            Capacities::default().with(Interval::M5, 0),
            Err(ZeroCapacity)
        );
    }
}
