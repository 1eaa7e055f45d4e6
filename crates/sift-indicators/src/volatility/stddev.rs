//! Rolling standard deviation.

use std::fmt;

use sift_core::Candle;

use super::variance::RollingMoments;
use crate::{Error, Indicator, SeriesIndicator, Source, check_period};

/// STDDEV(n): the population standard deviation of the last `n` values (divided by `n`, not
/// `n - 1`). Matches TA-Lib `STDDEV` with `nbdev = 1`.
///
/// The square root of the variance of `RollingMoments` (TA-Lib 0.8's shifted-sum `VAR`),
/// taken unconditionally: a flat window gives exactly 0, and a tiny but real deviation (prices
/// near 1e-8) is not rounded to zero. First value at the `n`-th input. `n = 1` gives 0.
#[derive(Debug, Clone)]
pub struct StdDev {
    source: Source,
    moments: RollingMoments,
}

impl StdDev {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_period("stddev", "n", period)?;
        Ok(Self {
            source: Source::Close,
            moments: RollingMoments::new(period),
        })
    }

    /// Reads `source` instead of close.
    pub fn with_source(mut self, source: Source) -> Self {
        self.source = source;
        self
    }

    pub fn period(&self) -> usize {
        self.moments.period()
    }
}

impl Indicator for StdDev {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        self.next(self.source.of(candle))
    }

    fn reset(&mut self) {
        self.moments.reset();
    }
}

impl SeriesIndicator for StdDev {
    #[inline]
    fn next(&mut self, value: f64) -> Option<f64> {
        self.moments.next(value).map(|m| m.variance.sqrt())
    }
}

impl fmt::Display for StdDev {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "STDDEV({})", self.period())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const TOL: f64 = 1e-12;

    #[test]
    fn population_deviation_of_the_window() {
        let mut sd = StdDev::new(4).unwrap();
        let out: Vec<_> = [2.0, 4.0, 4.0, 4.0, 5.0]
            .iter()
            .map(|&x| sd.next(x))
            .collect();
        assert_eq!(&out[..3], &[None, None, None]);
        // [2, 4, 4, 4]: mean 3.5, variance 0.75.
        assert!((out[3].unwrap() - 0.75f64.sqrt()).abs() < TOL);
        // [4, 4, 4, 5]: mean 4.25, variance 0.1875.
        assert!((out[4].unwrap() - 0.1875f64.sqrt()).abs() < TOL);
    }

    #[test]
    fn invalid_period_and_display() {
        assert!(StdDev::new(0).is_err());
        assert_eq!(StdDev::new(20).unwrap().to_string(), "STDDEV(20)");
    }

    proptest! {
        #[test]
        fn non_negative_and_replayable(xs in prop::collection::vec(-1e3f64..1e3, 1..120), n in 1usize..15) {
            let mut sd = StdDev::new(n).unwrap();
            let first: Vec<_> = xs.iter().map(|&x| sd.next(x)).collect();
            prop_assert!(first.iter().flatten().all(|&v| v >= 0.0 && v.is_finite()));
            sd.reset();
            let again: Vec<_> = xs.iter().map(|&x| sd.next(x)).collect();
            prop_assert_eq!(again, first);
        }

        #[test]
        fn constant_series_has_zero_deviation(x in -1e6f64..1e6, n in 1usize..15) {
            let mut sd = StdDev::new(n).unwrap();
            let last = (0..3 * n).map(|_| sd.next(x)).last().flatten();
            prop_assert_eq!(last, Some(0.0));
        }
    }
}
