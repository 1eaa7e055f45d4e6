//! Triple exponential moving average.

use std::fmt;

use sift_core::Candle;

use super::Ema;
use crate::{Error, Indicator, SeriesIndicator, Source, check_period};

/// TEMA(n) = `3 * e1 - 3 * e2 + e3` with `e1 = EMA(x)`, `e2 = EMA(e1)`, `e3 = EMA(e2)`.
/// Matches TA-Lib `TEMA`.
///
/// Each EMA is TA-Lib's (see [`Ema`]) and is seeded with the mean of the first `n` outputs of
/// the one before it, so the first value appears at index `3(n - 1)`. The output is computed as
/// `e3 + ((3 * e1) - (3 * e2))`, TA-Lib's grouping. For `n = 1` it is the input.
#[derive(Debug, Clone)]
pub struct Tema {
    period: usize,
    source: Source,
    ema1: Ema,
    ema2: Ema,
    ema3: Ema,
}

impl Tema {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_period("tema", "n", period)?;
        Ok(Self {
            period,
            source: Source::Close,
            ema1: Ema::new(period)?,
            ema2: Ema::new(period)?,
            ema3: Ema::new(period)?,
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

impl Indicator for Tema {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        self.next(self.source.of(candle))
    }

    fn reset(&mut self) {
        self.ema1.reset();
        self.ema2.reset();
        self.ema3.reset();
    }
}

impl SeriesIndicator for Tema {
    #[inline]
    fn next(&mut self, value: f64) -> Option<f64> {
        if self.period == 1 {
            return Some(value);
        }
        let e1 = self.ema1.next(value)?;
        let e2 = self.ema2.next(e1)?;
        let e3 = self.ema3.next(e2)?;
        Some(e3 + ((3.0 * e1) - (3.0 * e2)))
    }
}

impl fmt::Display for Tema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TEMA({})", self.period)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOL: f64 = 1e-12;

    #[test]
    fn first_value_at_index_three_n_minus_three() {
        let mut tema = Tema::new(2).unwrap();
        let out: Vec<_> = [1.0, 2.0, 3.0, 4.0, 5.0]
            .iter()
            .map(|&x| tema.next(x))
            .collect();
        // k = 2/3. e1: 1.5, 2.5, 3.5, 4.5 from index 1 (half a step behind a line).
        // e2: seed (1.5 + 2.5) / 2 = 2 at index 2, then 3, 4.
        // e3: seed (2 + 3) / 2 = 2.5 at index 3, then 3.5.
        // tema: 2.5 + 3 * 3.5 - 3 * 3 = 4 at index 3, then 3.5 + 3 * 4.5 - 3 * 4 = 5.
        assert_eq!(out[..3], [None, None, None]);
        assert!((out[3].unwrap() - 4.0).abs() < TOL);
        assert!((out[4].unwrap() - 5.0).abs() < TOL);
    }

    #[test]
    fn period_one_copies_the_input() {
        let mut tema = Tema::new(1).unwrap();
        assert_eq!(tema.next(3e16), Some(3e16));
        assert_eq!(tema.next(0.1), Some(0.1));
    }

    #[test]
    fn zero_period_is_an_error() {
        assert!(Tema::new(0).is_err());
    }

    #[test]
    fn reset_then_replay_gives_the_same_values() {
        let xs = [5.0, 3.0, 8.0, 1.0, 9.0, 2.0, 7.0, 4.0, 6.0];
        let mut tema = Tema::new(2).unwrap();
        let first: Vec<_> = xs.iter().map(|&x| tema.next(x)).collect();
        tema.reset();
        let second: Vec<_> = xs.iter().map(|&x| tema.next(x)).collect();
        assert_eq!(first, second);
        assert_eq!(tema.to_string(), "TEMA(2)");
    }
}
