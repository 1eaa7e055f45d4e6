//! Double exponential moving average.

use std::fmt;

use sift_core::Candle;

use super::Ema;
use crate::{Error, Indicator, SeriesIndicator, Source, check_period};

/// DEMA(n) = `2 * EMA(x) - EMA(EMA(x))`, Mulloy's lag-reduced average. Matches TA-Lib `DEMA`.
///
/// Both EMAs are TA-Lib's (see [`Ema`]): the inner one is seeded with the mean of its first
/// `n` inputs, the outer one with the mean of the inner one's first `n` outputs, so the first
/// value appears at input `2n - 1` (index `2(n - 1)`). The output is `(2 * e1) - e2`. For
/// `n = 1` it is the input.
#[derive(Debug, Clone)]
pub struct Dema {
    period: usize,
    source: Source,
    ema1: Ema,
    ema2: Ema,
}

impl Dema {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_period("dema", "n", period)?;
        Ok(Self {
            period,
            source: Source::Close,
            ema1: Ema::new(period)?,
            ema2: Ema::new(period)?,
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

impl Indicator for Dema {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        self.next(self.source.of(candle))
    }

    fn reset(&mut self) {
        self.ema1.reset();
        self.ema2.reset();
    }
}

impl SeriesIndicator for Dema {
    #[inline]
    fn next(&mut self, value: f64) -> Option<f64> {
        let e1 = self.ema1.next(value)?;
        let e2 = self.ema2.next(e1)?;
        Some((2.0 * e1) - e2)
    }
}

impl fmt::Display for Dema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DEMA({})", self.period)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_at_index_two_n_minus_two() {
        let mut dema = Dema::new(3).unwrap();
        let out: Vec<_> = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
            .iter()
            .map(|&x| dema.next(x))
            .collect();
        // e1: 2, 3, 4, 5 (k = 1/2 on a line stays one step behind: 2, 3, 4, 5)
        // e2: seeded (2 + 3 + 4) / 3 = 3 at index 4, then (5 - 3) / 2 + 3 = 4
        // dema: 2 * 4 - 3 = 5, 2 * 5 - 4 = 6
        assert_eq!(out, vec![None, None, None, None, Some(5.0), Some(6.0)]);
    }

    #[test]
    fn period_one_copies_the_input() {
        let mut dema = Dema::new(1).unwrap();
        assert_eq!(dema.next(3e16), Some(3e16));
        assert_eq!(dema.next(0.1), Some(0.1));
    }

    #[test]
    fn zero_period_is_an_error() {
        assert!(Dema::new(0).is_err());
    }

    #[test]
    fn reset_then_replay_gives_the_same_values() {
        let xs = [5.0, 3.0, 8.0, 1.0, 9.0, 2.0, 7.0, 4.0, 6.0];
        let mut dema = Dema::new(2).unwrap();
        let first: Vec<_> = xs.iter().map(|&x| dema.next(x)).collect();
        dema.reset();
        let second: Vec<_> = xs.iter().map(|&x| dema.next(x)).collect();
        assert_eq!(first, second);
        assert_eq!(dema.to_string(), "DEMA(2)");
    }
}
