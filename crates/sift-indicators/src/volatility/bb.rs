//! Bollinger Bands.

use std::fmt;

use sift_core::Candle;

use super::variance::RollingMoments;
use crate::{
    Error, Indicator, SeriesIndicator, Source, check_non_negative, check_period, impl_outputs,
};

/// One row of Bollinger Bands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BbOutput {
    pub upper: f64,
    pub middle: f64,
    pub lower: f64,
    /// `(upper - lower) / middle`; 0 when `middle` is 0.
    pub width: f64,
    /// `(x - lower) / (upper - lower)` where `x` is the input value; 0.5 when the bands touch.
    pub pct_b: f64,
}

impl_outputs!(BbOutput {
    upper,
    middle,
    lower,
    width,
    pct_b
});

/// BB(n, mult): Bollinger Bands over the last `n` values of the input (close by default).
/// `upper`, `middle` and `lower` match TA-Lib `BBANDS` with an SMA and
/// `nbdevup = nbdevdn = mult`.
///
/// - `middle` is the SMA of the window (TA-Lib's running sum divided by `n`);
/// - `d = mult * sd`, with `sd` the population standard deviation of the window from
///   `RollingMoments` (TA-Lib 0.8's fused `BBANDS` path uses the same shifted-sum variance as
///   its `STDDEV`, and takes the root only of a non-zero variance);
/// - `upper = middle + d`, `lower = middle - d`;
/// - `width = (upper - lower) / middle`, defined as 0 when `middle == 0`;
/// - `pct_b = (x - lower) / (upper - lower)` for the current input `x`, defined as 0.5 when
///   `upper == lower` (a flat window: the input sits on the middle band).
///
/// First value at the `n`-th input. `mult` must be finite and non-negative.
#[derive(Debug, Clone)]
pub struct Bb {
    mult: f64,
    source: Source,
    moments: RollingMoments,
}

impl Bb {
    pub fn new(period: usize, mult: f64) -> Result<Self, Error> {
        let period = check_period("bb", "n", period)?;
        let mult = check_non_negative("bb", "mult", mult)?;
        Ok(Self {
            mult,
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

impl Indicator for Bb {
    type Output = BbOutput;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<BbOutput> {
        self.next(self.source.of(candle))
    }

    fn reset(&mut self) {
        self.moments.reset();
    }
}

impl SeriesIndicator for Bb {
    #[inline]
    fn next(&mut self, value: f64) -> Option<BbOutput> {
        let m = self.moments.next(value)?;
        let sd = if m.variance != 0.0 {
            m.variance.sqrt()
        } else {
            0.0
        };
        let d = sd * self.mult;
        let (upper, middle, lower) = (m.mean + d, m.mean, m.mean - d);
        let range = upper - lower;
        Some(BbOutput {
            upper,
            middle,
            lower,
            width: if middle != 0.0 { range / middle } else { 0.0 },
            pct_b: if range != 0.0 {
                (value - lower) / range
            } else {
                0.5
            },
        })
    }
}

impl fmt::Display for Bb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BB({}, {})", self.period(), self.mult)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const TOL: f64 = 1e-12;

    #[test]
    fn bands_width_and_pct_b() {
        let mut bb = Bb::new(4, 2.0).unwrap();
        let out: Vec<_> = [2.0, 4.0, 4.0, 4.0].iter().map(|&x| bb.next(x)).collect();
        assert_eq!(&out[..3], &[None, None, None]);
        let row = out[3].unwrap();
        let sd = 0.75f64.sqrt();
        assert!((row.middle - 3.5).abs() < TOL);
        assert!((row.upper - (3.5 + 2.0 * sd)).abs() < TOL);
        assert!((row.lower - (3.5 - 2.0 * sd)).abs() < TOL);
        assert!((row.width - 4.0 * sd / 3.5).abs() < TOL);
        assert!((row.pct_b - (4.0 - row.lower) / (4.0 * sd)).abs() < TOL);
    }

    #[test]
    fn flat_window_defines_pct_b_and_zero_middle_defines_width() {
        let mut bb = Bb::new(3, 2.0).unwrap();
        let row = [0.0, 0.0, 0.0]
            .iter()
            .filter_map(|&x| bb.next(x))
            .last()
            .unwrap();
        assert_eq!(
            (row.upper, row.lower, row.width, row.pct_b),
            (0.0, 0.0, 0.0, 0.5)
        );
    }

    #[test]
    fn invalid_parameters() {
        assert!(Bb::new(0, 2.0).is_err());
        assert!(Bb::new(20, -1.0).is_err());
        assert!(Bb::new(20, f64::NAN).is_err());
        assert_eq!(Bb::new(20, 2.0).unwrap().to_string(), "BB(20, 2)");
        assert_eq!(Bb::new(10, 1.5).unwrap().to_string(), "BB(10, 1.5)");
    }

    proptest! {
        #[test]
        fn bands_are_ordered_and_replayable(xs in prop::collection::vec(0.0f64..1e4, 1..120), n in 1usize..15) {
            let mut bb = Bb::new(n, 2.0).unwrap();
            let first: Vec<_> = xs.iter().map(|&x| bb.next(x)).collect();
            for row in first.iter().flatten() {
                prop_assert!(row.lower <= row.middle && row.middle <= row.upper);
                prop_assert!(row.width >= 0.0 && row.pct_b.is_finite());
            }
            bb.reset();
            let again: Vec<_> = xs.iter().map(|&x| bb.next(x)).collect();
            prop_assert_eq!(again, first);
        }
    }
}
