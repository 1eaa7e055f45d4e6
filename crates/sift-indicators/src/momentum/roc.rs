//! Rate of change.

use std::fmt;

use sift_core::Candle;

use crate::window::Ring;
use crate::{Error, Indicator, SeriesIndicator, Source, check_period};

/// ROC(n) = `((x / x[n bars ago]) - 1) * 100`, the percentage change over `n` bars. Matches
/// TA-Lib `ROC`. First value at the `n + 1`-th input (index `n`).
///
/// TA-Lib quirk, mirrored: when the value `n` bars ago is exactly 0 the result is 0.
#[derive(Debug, Clone)]
pub struct Roc {
    period: usize,
    source: Source,
    window: Ring,
}

impl Roc {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_period("roc", "n", period)?;
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

impl Indicator for Roc {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        self.next(self.source.of(candle))
    }

    fn reset(&mut self) {
        self.window.clear();
    }
}

impl SeriesIndicator for Roc {
    #[inline]
    fn next(&mut self, value: f64) -> Option<f64> {
        let then = self.window.push(value)?;
        Some(if then != 0.0 {
            ((value / then) - 1.0) * 100.0
        } else {
            0.0
        })
    }
}

impl fmt::Display for Roc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ROC({})", self.period)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(roc: &mut Roc, xs: &[f64]) -> Vec<Option<f64>> {
        xs.iter().map(|&x| roc.next(x)).collect()
    }

    #[test]
    fn percent_change_over_n_bars() {
        let mut roc = Roc::new(2).unwrap();
        assert_eq!(
            run(&mut roc, &[4.0, 8.0, 5.0, 6.0]),
            vec![None, None, Some(25.0), Some(-25.0)]
        );
    }

    #[test]
    fn zero_base_gives_zero_like_talib() {
        let mut roc = Roc::new(1).unwrap();
        assert_eq!(
            run(&mut roc, &[0.0, 3.0, 6.0]),
            vec![None, Some(0.0), Some(100.0)]
        );
    }

    #[test]
    fn zero_period_is_an_error() {
        assert!(Roc::new(0).is_err());
    }

    #[test]
    fn reset_then_replay_gives_the_same_values() {
        let xs = [5.0, 3.0, 8.0, 1.0, 9.0, 2.0];
        let mut roc = Roc::new(3).unwrap();
        let first = run(&mut roc, &xs);
        roc.reset();
        assert_eq!(first, run(&mut roc, &xs));
        assert_eq!(roc.to_string(), "ROC(3)");
    }
}
