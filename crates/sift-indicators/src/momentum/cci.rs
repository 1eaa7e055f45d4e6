//! Commodity channel index.

use std::fmt;

use sift_core::Candle;

use super::{TA_EPSILON, check_min_period};
use crate::{Error, Indicator};

/// CCI(n) = `(tp - mean) / (0.015 * mean_deviation)` over the typical prices
/// `tp = (high + low + close) / 3` of the last `n` candles. Matches TA-Lib 0.8 `CCI`.
/// First value at the `n`-th candle.
///
/// The mean absolute deviation around the window's own mean cannot be updated incrementally,
/// so each update costs O(n), as in TA-Lib. Like TA-Lib the typical prices live in a circular
/// buffer and are summed in slot order (slot = candle number mod `n`), not oldest first, so the
/// rounding is the same.
///
/// TA-Lib quirks: the result is 0 when `tp - mean` or the mean deviation is within
/// `1e-14 * |mean|` of zero (a flat window, or the newest price at the mean), and when
/// `0.015 * mean_deviation` underflows to zero. `n` must be at least 2.
#[derive(Debug, Clone)]
pub struct Cci {
    period: usize,
    /// Typical prices by slot.
    buffer: Vec<f64>,
    /// The slot the next typical price goes into.
    slot: usize,
    /// Typical prices stored, counted up to `period`.
    filled: usize,
}

impl Cci {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_min_period("cci", "n", period, 2)?;
        Ok(Self {
            period,
            buffer: vec![0.0; period],
            slot: 0,
            filled: 0,
        })
    }

    pub fn period(&self) -> usize {
        self.period
    }
}

impl Indicator for Cci {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        let typical = candle.hlc3();
        self.buffer[self.slot] = typical;
        self.slot = if self.slot + 1 == self.period {
            0
        } else {
            self.slot + 1
        };
        if self.filled < self.period {
            self.filled += 1;
            if self.filled < self.period {
                return None;
            }
        }
        let n = self.period as f64;
        let mut mean = 0.0;
        for &x in &self.buffer {
            mean += x;
        }
        mean /= n;
        let mut deviation = 0.0;
        for &x in &self.buffer {
            deviation += (x - mean).abs();
        }
        let distance = typical - mean;
        let zero_band = mean.abs() * TA_EPSILON;
        if zero_band >= distance.abs() {
            return Some(0.0);
        }
        let mean_deviation = deviation / n;
        if zero_band >= mean_deviation.abs() {
            return Some(0.0);
        }
        let scaled = mean_deviation * 0.015;
        Some(if scaled == 0.0 {
            0.0
        } else {
            distance / scaled
        })
    }

    fn reset(&mut self) {
        self.buffer.fill(0.0);
        self.slot = 0;
        self.filled = 0;
    }
}

impl fmt::Display for Cci {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CCI({})", self.period)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOL: f64 = 1e-12;

    fn bar(tp: f64) -> Candle {
        Candle::ohlcv(0, tp, tp, tp, tp, 1.0)
    }

    fn run(cci: &mut Cci, tps: &[f64]) -> Vec<Option<f64>> {
        tps.iter().map(|&tp| cci.update(&bar(tp))).collect()
    }

    #[test]
    fn measures_distance_from_the_mean_in_mean_deviations() {
        let mut cci = Cci::new(3).unwrap();
        let out = run(&mut cci, &[1.0, 2.0, 3.0, 2.0]);
        assert_eq!(out[..2], [None, None]);
        // [1, 2, 3]: mean 2, mean deviation 2/3, (3 - 2) / (0.015 * 2/3) = 100
        assert!((out[2].unwrap() - 100.0).abs() < TOL);
        // [2, 3, 2]: mean 7/3, mean deviation 4/9, (2 - 7/3) / (0.015 * 4/9) = -50
        assert!((out[3].unwrap() + 50.0).abs() < TOL);
    }

    #[test]
    fn uses_the_typical_price() {
        let mut cci = Cci::new(2).unwrap();
        cci.update(&Candle::ohlcv(0, 0.0, 3.0, 0.0, 0.0, 1.0)); // tp 1
        let got = cci
            .update(&Candle::ohlcv(0, 0.0, 6.0, 0.0, 3.0, 1.0))
            .unwrap(); // tp 3
        // mean 2, mean deviation 1: (3 - 2) / 0.015
        assert!((got - 1.0 / 0.015).abs() < 1e-9);
    }

    #[test]
    fn flat_or_centred_windows_give_zero_like_talib() {
        let mut cci = Cci::new(3).unwrap();
        assert_eq!(run(&mut cci, &[1.1; 4])[2..], [Some(0.0), Some(0.0)]);
        let mut cci = Cci::new(3).unwrap();
        // The newest price is the mean: exactly zero, not a division.
        assert_eq!(run(&mut cci, &[1.0, 3.0, 2.0])[2], Some(0.0));
    }

    #[test]
    fn tiny_prices_are_not_flat() {
        let mut tiny = Cci::new(3).unwrap();
        let mut plain = Cci::new(3).unwrap();
        let scaled = run(&mut tiny, &[1e-8, 2e-8, 3e-8]);
        let unit = run(&mut plain, &[1.0, 2.0, 3.0]);
        assert!((scaled[2].unwrap() - unit[2].unwrap()).abs() < 1e-9);
    }

    #[test]
    fn periods_below_two_are_errors() {
        assert!(Cci::new(1).is_err());
        assert!(Cci::new(2).is_ok());
    }

    #[test]
    fn reset_then_replay_gives_the_same_values() {
        let tps: Vec<f64> = (0..30).map(|i| 10.0 + ((i * 7) % 5) as f64 * 0.3).collect();
        let mut cci = Cci::new(4).unwrap();
        let first = run(&mut cci, &tps);
        cci.reset();
        assert_eq!(first, run(&mut cci, &tps));
        assert_eq!(cci.to_string(), "CCI(4)");
    }
}
