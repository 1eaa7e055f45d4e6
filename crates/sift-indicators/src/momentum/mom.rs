//! Momentum.

use std::fmt;

use sift_core::Candle;

use crate::window::Ring;
use crate::{Error, Indicator, SeriesIndicator, Source, check_period};

/// MOM(n) = `x - x[n bars ago]`, the change over `n` bars in the units of the input. Matches
/// TA-Lib `MOM`. First value at the `n + 1`-th input (index `n`).
#[derive(Debug, Clone)]
pub struct Mom {
    period: usize,
    source: Source,
    window: Ring,
}

impl Mom {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_period("mom", "n", period)?;
        Ok(Self {
            period,
            source: Source::Close,
            window: Ring::new(period),
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

impl Indicator for Mom {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        self.next(self.source.of(candle))
    }

    fn reset(&mut self) {
        self.window.clear();
    }
}

impl SeriesIndicator for Mom {
    #[inline]
    fn next(&mut self, value: f64) -> Option<f64> {
        let then = self.window.push(value)?;
        Some(value - then)
    }
}

impl fmt::Display for Mom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MOM({})", self.period)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(mom: &mut Mom, xs: &[f64]) -> Vec<Option<f64>> {
        xs.iter().map(|&x| mom.next(x)).collect()
    }

    #[test]
    fn change_over_n_bars() {
        let mut mom = Mom::new(2).unwrap();
        assert_eq!(
            run(&mut mom, &[4.0, 8.0, 5.0, 6.0]),
            vec![None, None, Some(1.0), Some(-2.0)]
        );
    }

    #[test]
    fn zero_period_is_an_error() {
        assert!(Mom::new(0).is_err());
    }

    #[test]
    fn reset_then_replay_and_candles_agree_with_series() {
        let xs = [5.0, 3.0, 8.0, 1.0, 9.0, 2.0];
        let mut mom = Mom::new(3).unwrap().with_source(Source::Volume);
        let first: Vec<_> = xs
            .iter()
            .map(|&x| mom.update(&Candle::ohlcv(0, 1.0, 1.0, 1.0, 1.0, x)))
            .collect();
        mom.reset();
        assert_eq!(first, run(&mut mom, &xs));
        assert_eq!(mom.to_string(), "MOM(3)");
    }
}
