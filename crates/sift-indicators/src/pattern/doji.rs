//! Doji: open and close (nearly) equal.

use std::fmt;

use sift_core::Candle;

use super::shape::Shape;
use crate::Indicator;

/// The largest body, as a fraction of the range, that still counts as a doji.
const MAX_BODY_TO_RANGE: f64 = 0.1;

/// DOJI: the candle has a range and a tiny body: `high > low` and
/// `|close - open| <= 0.1 × (high - low)`.
///
/// Outputs from the first candle. A candle without range (`high == low`, no trade or a single
/// price) is not a doji. Dragonfly and gravestone dojis are dojis too, and may also be a
/// [`Hammer`](super::Hammer) or a [`ShootingStar`](super::ShootingStar).
#[derive(Debug, Clone, Default)]
pub struct Doji;

impl Doji {
    pub fn new() -> Self {
        Self
    }

    /// Whether one candle is a doji.
    pub fn matches(candle: &Candle) -> bool {
        let s = Shape::of(candle);
        s.range() > 0.0 && s.body() <= MAX_BODY_TO_RANGE * s.range()
    }
}

impl Indicator for Doji {
    type Output = bool;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<bool> {
        Some(Self::matches(candle))
    }

    fn reset(&mut self) {}
}

impl fmt::Display for Doji {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DOJI")
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::super::shape::candle;
    use super::*;

    #[rstest]
    #[case::open_equals_close(5.0, 10.0, 0.0, 5.0, true)]
    #[case::body_at_the_limit(5.0, 10.0, 0.0, 6.0, true)]
    #[case::body_just_over(5.0, 10.0, 0.0, 6.5, false)]
    #[case::bearish_small_body(5.0, 10.0, 0.0, 4.5, true)]
    #[case::dragonfly(10.0, 10.0, 0.0, 10.0, true)]
    #[case::no_range(5.0, 5.0, 5.0, 5.0, false)]
    #[case::ordinary(2.0, 10.0, 0.0, 8.0, false)]
    fn recognises_a_doji(
        #[case] open: f64,
        #[case] high: f64,
        #[case] low: f64,
        #[case] close: f64,
        #[case] expected: bool,
    ) {
        assert_eq!(
            Doji::new().update(&candle(open, high, low, close)),
            Some(expected)
        );
    }

    #[test]
    fn displays_its_name() {
        assert_eq!(Doji::new().to_string(), "DOJI");
    }
}
