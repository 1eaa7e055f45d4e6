//! Williams %R.

use std::fmt;

use sift_core::Candle;

use super::{check_min_period, is_zero_scaled};
use crate::window::RollingExtreme;
use crate::{Error, Indicator};

/// WILLR(n) = `((highest - close) / (highest - lowest)) * -100` over the last `n` candles'
/// highs and lows, from -100 (close at the low) to 0 (close at the high). Matches TA-Lib 0.8
/// `WILLR`. First value at the `n`-th candle.
///
/// TA-Lib quirks, mirrored: a range within `1e-14 * (|highest| + |lowest|)` of zero (a flat
/// window) gives 0, the top of the scale, rather than -50; and the result is clamped into
/// `[-100, 0]`. The extremes come from monotonic deques (amortized O(1)). `n` must be at
/// least 2.
#[derive(Debug, Clone)]
pub struct Willr {
    period: usize,
    highest: RollingExtreme,
    lowest: RollingExtreme,
}

impl Willr {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_min_period("willr", "n", period, 2)?;
        Ok(Self {
            period,
            highest: RollingExtreme::max(period),
            lowest: RollingExtreme::min(period),
        })
    }

    pub fn period(&self) -> usize {
        self.period
    }
}

impl Indicator for Willr {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        let highest = self.highest.push(candle.high);
        let lowest = self.lowest.push(candle.low);
        if !self.highest.is_full() {
            return None;
        }
        let range = highest - lowest;
        if is_zero_scaled(range, highest.abs() + lowest.abs()) {
            return Some(0.0);
        }
        let value = ((highest - candle.close) / range) * -100.0;
        // TA-Lib clamps into [-100, 0] (only reachable with a close outside the range).
        Some(value.clamp(-100.0, 0.0))
    }

    fn reset(&mut self) {
        self.highest.clear();
        self.lowest.clear();
    }
}

impl fmt::Display for Willr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WILLR({})", self.period)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn bar(high: f64, low: f64, close: f64) -> Candle {
        Candle::ohlcv(0, close, high, low, close, 1.0)
    }

    fn run(willr: &mut Willr, bars: &[(f64, f64, f64)]) -> Vec<Option<f64>> {
        bars.iter()
            .map(|&(h, l, c)| willr.update(&bar(h, l, c)))
            .collect()
    }

    #[test]
    fn places_the_close_in_the_range() {
        let mut willr = Willr::new(2).unwrap();
        let out = run(
            &mut willr,
            &[(10.0, 0.0, 5.0), (12.0, 2.0, 3.0), (8.0, 4.0, 12.0)],
        );
        // [0, 12], close 3: (12 - 3) / 12 * -100 = -75; [2, 12], close 12: -0
        assert_eq!(out, vec![None, Some(-75.0), Some(0.0)]);
    }

    #[test]
    fn flat_window_gives_zero_like_talib() {
        let mut willr = Willr::new(2).unwrap();
        assert_eq!(
            run(&mut willr, &[(5e-9, 5e-9, 5e-9); 3])[1..],
            [Some(0.0), Some(0.0)]
        );
    }

    #[test]
    fn close_outside_the_range_is_clamped() {
        let mut willr = Willr::new(2).unwrap();
        assert_eq!(
            run(&mut willr, &[(2.0, 1.0, 1.5), (2.0, 1.0, 0.0)])[1],
            Some(-100.0)
        );
        let mut willr = Willr::new(2).unwrap();
        assert_eq!(
            run(&mut willr, &[(2.0, 1.0, 1.5), (2.0, 1.0, 3.0)])[1],
            Some(0.0)
        );
    }

    #[test]
    fn periods_below_two_are_errors() {
        assert!(Willr::new(1).is_err());
        assert!(Willr::new(2).is_ok());
    }

    #[test]
    fn reset_then_replay_gives_the_same_values() {
        let bars: Vec<_> = (0..40)
            .map(|i| ((i % 7) as f64 + 10.0, (i % 5) as f64, (i % 6) as f64 + 2.0))
            .collect();
        let mut willr = Willr::new(5).unwrap();
        let first = run(&mut willr, &bars);
        willr.reset();
        assert_eq!(first, run(&mut willr, &bars));
        assert_eq!(willr.to_string(), "WILLR(5)");
    }

    proptest! {
        #[test]
        fn stays_within_minus_100_and_0(
            bars in prop::collection::vec((1e-8f64..1e6, 0.0f64..1.0, 0.0f64..=1.0), 2..120),
            period in 2usize..20,
        ) {
            let bars: Vec<_> = bars
                .iter()
                .map(|&(mid, spread, at)| {
                    let low = mid * (1.0 - spread);
                    (mid, low, low + (mid - low) * at)
                })
                .collect();
            let mut willr = Willr::new(period).unwrap();
            for value in run(&mut willr, &bars).into_iter().flatten() {
                prop_assert!((-100.0..=0.0).contains(&value), "{value}");
            }
        }
    }
}
