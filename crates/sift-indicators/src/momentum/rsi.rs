//! Relative strength index.

use std::fmt;

use sift_core::Candle;

use super::check_min_period;
use crate::{Error, Indicator, SeriesIndicator, Source};

/// RSI(n): Wilder's relative strength index, `100 * avg_gain / (avg_gain + avg_loss)`.
/// Matches TA-Lib 0.8 `RSI` operation by operation.
///
/// The first input only provides a previous value. The averages are seeded with the sums of
/// the first `n` gains and losses times `1 / n`, so the first value appears at the `n + 1`-th
/// input (index `n`). Afterwards each average is multiplied by `n - 1`, today's gain (or loss)
/// is added and the result is multiplied by `1 / n`. A change splits into
/// `gain = max(change, 0)` and `loss = gain - change`.
///
/// When both averages are exactly zero (no change since the seed, e.g. a flat market) the
/// result is 0, like TA-Lib, although 50 would be the neutral answer. The test is exact: tiny
/// prices (1e-8) are not mistaken for flat ones. `n` must be at least 2.
#[derive(Debug, Clone)]
pub struct Rsi {
    period: usize,
    source: Source,
    inv_period: f64,
    prev: Option<f64>,
    /// Changes seen so far, counted up to `period`.
    changes: usize,
    gain: f64,
    loss: f64,
}

impl Rsi {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_min_period("rsi", "n", period, 2)?;
        Ok(Self {
            period,
            source: Source::Close,
            inv_period: 1.0 / period as f64,
            prev: None,
            changes: 0,
            gain: 0.0,
            loss: 0.0,
        })
    }

    /// Reads `source` instead of close.
    pub fn with_source(mut self, source: Source) -> Self {
        self.source = source;
        self
    }

    pub fn period(&self) -> usize {
        self.period
    }
}

impl Indicator for Rsi {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        self.next(self.source.of(candle))
    }

    fn reset(&mut self) {
        self.prev = None;
        self.changes = 0;
        self.gain = 0.0;
        self.loss = 0.0;
    }
}

impl SeriesIndicator for Rsi {
    #[inline]
    fn next(&mut self, value: f64) -> Option<f64> {
        let prev = self.prev.replace(value)?;
        let change = value - prev;
        let gain = if change > 0.0 { change } else { 0.0 };
        if self.changes < self.period {
            self.gain += gain;
            self.loss += gain - change;
            self.changes += 1;
            if self.changes < self.period {
                return None;
            }
        } else {
            let keep = (self.period - 1) as f64;
            self.gain = self.gain * keep + gain;
            self.loss = self.loss * keep + (gain - change);
        }
        self.loss *= self.inv_period;
        self.gain *= self.inv_period;
        let total = self.gain + self.loss;
        Some(if total > 0.0 {
            (self.gain / total) * 100.0
        } else {
            0.0
        })
    }
}

impl fmt::Display for Rsi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RSI({})", self.period)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const TOL: f64 = 1e-12;

    fn run(period: usize, xs: &[f64]) -> Vec<Option<f64>> {
        let mut rsi = Rsi::new(period).unwrap();
        xs.iter().map(|&x| rsi.next(x)).collect()
    }

    #[test]
    fn seeds_with_mean_gain_and_loss_then_smooths() {
        let out = run(2, &[10.0, 12.0, 11.0, 14.0, 14.0]);
        // seed: gains 2, 0 and losses 0, 1 -> 1 and 0.5 -> 100 * 1 / 1.5
        assert_eq!(out[..2], [None, None]);
        assert!((out[2].unwrap() - 200.0 / 3.0).abs() < TOL);
        // gain (1 * 1 + 3) / 2 = 2, loss (0.5 * 1 + 0) / 2 = 0.25 -> 100 * 2 / 2.25
        assert!((out[3].unwrap() - 800.0 / 9.0).abs() < TOL);
        // gain 1, loss 0.125 -> 100 * 1 / 1.125
        assert!((out[4].unwrap() - 800.0 / 9.0).abs() < TOL);
    }

    #[test]
    fn only_gains_give_100_and_only_losses_give_0() {
        assert_eq!(
            run(3, &[1.0, 2.0, 3.0, 4.0, 5.0])[3..],
            [Some(100.0), Some(100.0)]
        );
        assert_eq!(
            run(3, &[5.0, 4.0, 3.0, 2.0, 1.0])[3..],
            [Some(0.0), Some(0.0)]
        );
    }

    #[test]
    fn flat_input_gives_zero_like_talib() {
        assert_eq!(run(2, &[7.0; 5])[2..], [Some(0.0), Some(0.0), Some(0.0)]);
    }

    #[test]
    fn tiny_prices_are_not_mistaken_for_flat_ones() {
        let scaled = run(2, &[1e-9, 2e-9, 1e-9, 3e-9]);
        let plain = run(2, &[1.0, 2.0, 1.0, 3.0]);
        for (a, b) in scaled.iter().zip(&plain) {
            match (a, b) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{a} vs {b}"),
                _ => assert_eq!(a.is_some(), b.is_some()),
            }
        }
    }

    #[test]
    fn periods_below_two_are_errors() {
        assert!(Rsi::new(0).is_err());
        assert!(Rsi::new(1).is_err());
        assert!(Rsi::new(2).is_ok());
    }

    #[test]
    fn reset_then_replay_and_candles_agree_with_series() {
        let xs = [5.0, 3.0, 8.0, 1.0, 9.0, 2.0, 7.0, 4.0];
        let mut rsi = Rsi::new(3).unwrap().with_source(Source::Open);
        let first: Vec<_> = xs
            .iter()
            .map(|&x| rsi.update(&Candle::ohlcv(0, x, x + 1.0, x - 1.0, 0.0, 1.0)))
            .collect();
        rsi.reset();
        let second: Vec<_> = xs.iter().map(|&x| rsi.next(x)).collect();
        assert_eq!(first, second);
        assert_eq!(rsi.to_string(), "RSI(3)");
    }

    proptest! {
        #[test]
        fn stays_within_0_and_100(
            xs in prop::collection::vec(1e-9f64..1e6, 2..200),
            period in 2usize..20,
        ) {
            for value in run(period, &xs).into_iter().flatten() {
                prop_assert!((0.0..=100.0).contains(&value), "{value}");
            }
        }
    }
}
