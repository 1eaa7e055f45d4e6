//! Wilder's moving average (RMA, SMMA).

use std::fmt;

use sift_core::Candle;

use super::Ema;
use crate::{Error, Indicator, SeriesIndicator, Source, check_period};

/// RMA(n): Wilder's smoothing, an exponential average with `alpha = 1 / n`, as used inside RSI,
/// ATR and ADX (TradingView's `ta.rma`). Matches TA-Lib `RMA(real, n)`.
///
/// Seeded with the simple mean of the first `n` values, which is the first output (at the
/// `n`-th input); afterwards `rma = (x - rma) * (1 / n) + rma` with one fused multiply-add,
/// exactly [`Ema`]'s step with `k = 1 / n`. For `n = 1` the output is the input.
#[derive(Debug, Clone)]
pub struct Rma {
    inner: Ema,
    source: Source,
}

impl Rma {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_period("rma", "n", period)?;
        Ok(Self {
            inner: Ema::with_k(period, 1.0 / period as f64),
            source: Source::Close,
        })
    }

    /// Reads `source` instead of close.
    pub fn with_source(mut self, source: Source) -> Self {
        self.source = source;
        self
    }

    pub fn period(&self) -> usize {
        self.inner.period()
    }
}

impl Indicator for Rma {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        self.inner.next(self.source.of(candle))
    }

    fn reset(&mut self) {
        self.inner.reset();
    }
}

impl SeriesIndicator for Rma {
    #[inline]
    fn next(&mut self, value: f64) -> Option<f64> {
        self.inner.next(value)
    }
}

impl fmt::Display for Rma {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RMA({})", self.period())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_with_the_mean_then_smooths_by_one_nth() {
        let mut rma = Rma::new(4).unwrap();
        let out: Vec<_> = [1.0, 2.0, 3.0, 6.0, 8.0, 0.0]
            .iter()
            .map(|&x| rma.next(x))
            .collect();
        // seed (1 + 2 + 3 + 6) / 4 = 3; then 3 + (8 - 3) / 4 = 4.25; 4.25 - 4.25 / 4 = 3.1875
        assert_eq!(
            out,
            vec![None, None, None, Some(3.0), Some(4.25), Some(3.1875)]
        );
    }

    #[test]
    fn period_one_copies_the_input() {
        let mut rma = Rma::new(1).unwrap();
        assert_eq!(rma.next(7.5), Some(7.5));
        assert_eq!(rma.next(-2.0), Some(-2.0));
    }

    #[test]
    fn zero_period_is_an_error() {
        assert!(Rma::new(0).is_err());
    }

    #[test]
    fn reset_then_replay_gives_the_same_values() {
        let xs = [5.0, 3.0, 8.0, 1.0, 9.0, 2.0, 7.0];
        let mut rma = Rma::new(3).unwrap();
        let first: Vec<_> = xs.iter().map(|&x| rma.next(x)).collect();
        rma.reset();
        let second: Vec<_> = xs.iter().map(|&x| rma.next(x)).collect();
        assert_eq!(first, second);
    }

    #[test]
    fn candles_read_the_configured_source() {
        let candle = Candle::ohlcv(0, 1.0, 4.0, 0.0, 2.0, 10.0);
        let mut rma = Rma::new(1).unwrap().with_source(Source::High);
        assert_eq!(rma.update(&candle), Some(4.0));
        assert_eq!(rma.to_string(), "RMA(1)");
    }
}
