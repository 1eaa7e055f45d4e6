//! Simple moving average.

use std::fmt;

use sift_core::Candle;

use crate::window::Ring;
use crate::{Error, Indicator, SeriesIndicator, Source, check_period};

/// SMA(n): the arithmetic mean of the last `n` values. Matches TA-Lib `SMA`.
///
/// Like TA-Lib it keeps a running sum: add the new value, divide by `n`, then subtract the
/// value leaving the window. First value at the `n`-th input.
#[derive(Debug, Clone)]
pub struct Sma {
    period: usize,
    source: Source,
    window: Ring,
    sum: f64,
}

impl Sma {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_period("sma", "n", period)?;
        Ok(Self {
            period,
            source: Source::Close,
            window: Ring::new(period),
            sum: 0.0,
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

impl Indicator for Sma {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        self.next(self.source.of(candle))
    }

    fn reset(&mut self) {
        self.window.clear();
        self.sum = 0.0;
    }
}

impl SeriesIndicator for Sma {
    #[inline]
    fn next(&mut self, value: f64) -> Option<f64> {
        self.window.push(value);
        self.sum += value;
        if !self.window.is_full() {
            return None;
        }
        let mean = self.sum / self.period as f64;
        // The oldest value leaves the sum now, as TA-Lib does, so the next update only adds.
        self.sum -= self.window.oldest().unwrap_or(0.0);
        Some(mean)
    }
}

impl fmt::Display for Sma {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SMA({})", self.period)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_the_last_n_values() {
        let mut sma = Sma::new(3).unwrap();
        let out: Vec<_> = [1.0, 2.0, 3.0, 4.0, 5.0]
            .iter()
            .map(|&x| sma.next(x))
            .collect();
        assert_eq!(out, vec![None, None, Some(2.0), Some(3.0), Some(4.0)]);
    }

    #[test]
    fn zero_period_is_an_error() {
        assert!(Sma::new(0).is_err());
    }

    #[test]
    fn displays_like_talib() {
        assert_eq!(Sma::new(20).unwrap().to_string(), "SMA(20)");
    }

    #[test]
    fn reset_then_replay_gives_the_same_values() {
        let xs = [5.0, 3.0, 8.0, 1.0, 9.0, 2.0, 7.0];
        let mut sma = Sma::new(3).unwrap();
        let first: Vec<_> = xs.iter().map(|&x| sma.next(x)).collect();
        sma.reset();
        let second: Vec<_> = xs.iter().map(|&x| sma.next(x)).collect();
        assert_eq!(first, second);
    }
}
