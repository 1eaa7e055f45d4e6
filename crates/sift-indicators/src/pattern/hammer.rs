//! Hammer: a small body at the top of the range with a long lower shadow.

use std::fmt;

use sift_core::Candle;

use super::shape::Shape;
use crate::Indicator;

/// The lower shadow must be at least this many bodies long.
const MIN_SHADOW_TO_BODY: f64 = 2.0;
/// The upper shadow may be at most this fraction of the range.
const MAX_OTHER_SHADOW_TO_RANGE: f64 = 0.1;

/// HAMMER: `high > low`, lower shadow `>= 2 × body` and upper shadow `<= 0.1 × range`, with
/// body `|close - open|`, lower shadow `min(open, close) - low`, upper shadow
/// `high - max(open, close)`. Either colour.
///
/// Together the conditions put the body in the top third of the range and make the lower
/// shadow at least 60% of it. The shape alone is judged: after a decline it is a hammer, after
/// a rise the same shape is called a hanging man, so a rule adds the trend it wants
/// (`hammer() and close < sma(50)`). A dragonfly doji (open = close = high) qualifies. Outputs
/// from the first candle.
#[derive(Debug, Clone, Default)]
pub struct Hammer;

impl Hammer {
    pub fn new() -> Self {
        Self
    }

    /// Whether one candle has a hammer's shape.
    pub fn matches(candle: &Candle) -> bool {
        let s = Shape::of(candle);
        s.range() > 0.0
            && s.lower_shadow() >= MIN_SHADOW_TO_BODY * s.body()
            && s.upper_shadow() <= MAX_OTHER_SHADOW_TO_RANGE * s.range()
    }
}

impl Indicator for Hammer {
    type Output = bool;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<bool> {
        Some(Self::matches(candle))
    }

    fn reset(&mut self) {}
}

impl fmt::Display for Hammer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HAMMER")
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::super::shape::candle;
    use super::*;

    #[rstest]
    #[case::bullish(9.0, 10.0, 0.0, 10.0, true)]
    #[case::bearish(10.0, 10.0, 0.0, 9.0, true)]
    #[case::shadow_exactly_two_bodies(7.0, 10.0, 0.0, 10.0, true)]
    #[case::shadow_under_two_bodies(6.0, 10.0, 0.0, 10.0, false)]
    #[case::upper_shadow_at_the_limit(8.0, 10.0, 0.0, 9.0, true)]
    #[case::upper_shadow_too_long(8.0, 10.0, 0.0, 8.5, false)]
    #[case::dragonfly_doji(10.0, 10.0, 0.0, 10.0, true)]
    #[case::shooting_star_shape(1.0, 10.0, 0.0, 0.0, false)]
    #[case::no_range(5.0, 5.0, 5.0, 5.0, false)]
    fn recognises_a_hammer(
        #[case] open: f64,
        #[case] high: f64,
        #[case] low: f64,
        #[case] close: f64,
        #[case] expected: bool,
    ) {
        assert_eq!(
            Hammer::new().update(&candle(open, high, low, close)),
            Some(expected)
        );
    }

    #[test]
    fn displays_its_name() {
        assert_eq!(Hammer::new().to_string(), "HAMMER");
    }
}
