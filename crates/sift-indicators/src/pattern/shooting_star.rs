//! Shooting star: a small body at the bottom of the range with a long upper shadow.

use std::fmt;

use sift_core::Candle;

use super::shape::Shape;
use crate::Indicator;

/// The upper shadow must be at least this many bodies long.
const MIN_SHADOW_TO_BODY: f64 = 2.0;
/// The lower shadow may be at most this fraction of the range.
const MAX_OTHER_SHADOW_TO_RANGE: f64 = 0.1;

/// SHOOTING_STAR: `high > low`, upper shadow `>= 2 × body` and lower shadow `<= 0.1 × range`,
/// with body `|close - open|`, upper shadow `high - max(open, close)`, lower shadow
/// `min(open, close) - low`. Either colour. The mirror image of [`Hammer`](super::Hammer).
///
/// Together the conditions put the body in the bottom third of the range and make the upper
/// shadow at least 60% of it. The shape alone is judged: after a rise it is a shooting star,
/// after a decline the same shape is called an inverted hammer, so a rule adds the trend it
/// wants (`shooting_star() and close > sma(50)`). A gravestone doji (open = close = low)
/// qualifies. Outputs from the first candle.
#[derive(Debug, Clone, Default)]
pub struct ShootingStar;

impl ShootingStar {
    pub fn new() -> Self {
        Self
    }

    /// Whether one candle has a shooting star's shape.
    pub fn matches(candle: &Candle) -> bool {
        let s = Shape::of(candle);
        s.range() > 0.0
            && s.upper_shadow() >= MIN_SHADOW_TO_BODY * s.body()
            && s.lower_shadow() <= MAX_OTHER_SHADOW_TO_RANGE * s.range()
    }
}

impl Indicator for ShootingStar {
    type Output = bool;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<bool> {
        Some(Self::matches(candle))
    }

    fn reset(&mut self) {}
}

impl fmt::Display for ShootingStar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SHOOTING_STAR")
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::super::shape::candle;
    use super::*;

    #[rstest]
    #[case::bearish(1.0, 10.0, 0.0, 0.0, true)]
    #[case::bullish(0.0, 10.0, 0.0, 1.0, true)]
    #[case::shadow_exactly_two_bodies(3.0, 10.0, 0.0, 0.0, true)]
    #[case::shadow_under_two_bodies(4.0, 10.0, 0.0, 0.0, false)]
    #[case::lower_shadow_at_the_limit(2.0, 10.0, 0.0, 1.0, true)]
    #[case::lower_shadow_too_long(2.0, 10.0, 0.0, 1.5, false)]
    #[case::gravestone_doji(0.0, 10.0, 0.0, 0.0, true)]
    #[case::hammer_shape(9.0, 10.0, 0.0, 10.0, false)]
    #[case::no_range(5.0, 5.0, 5.0, 5.0, false)]
    fn recognises_a_shooting_star(
        #[case] open: f64,
        #[case] high: f64,
        #[case] low: f64,
        #[case] close: f64,
        #[case] expected: bool,
    ) {
        assert_eq!(
            ShootingStar::new().update(&candle(open, high, low, close)),
            Some(expected)
        );
    }

    #[test]
    fn displays_its_name() {
        assert_eq!(ShootingStar::new().to_string(), "SHOOTING_STAR");
    }
}
