//! Three white soldiers: three long rising candles, each opening in the previous body.

use std::fmt;

use sift_core::Candle;

use super::shape::Shape;
use crate::Indicator;

/// A soldier's body is at least this fraction of its range.
const MIN_BODY_TO_RANGE: f64 = 0.5;
/// A soldier closes near its high: `high - close` is at most this fraction of its range.
const MAX_CLOSE_TO_HIGH: f64 = 0.25;

/// THREE_WHITE_SOLDIERS: the last three candles are each
/// - bullish (`close > open`) with a long body: `close - open >= 0.5 × (high - low)`;
/// - closing near the high: `high - close <= 0.25 × (high - low)`;
///
/// and the second and third each
/// - open within the previous candle's body: `prev.open <= open <= prev.close`;
/// - close above the previous close: `close > prev.close`.
///
/// Opening at the previous close counts as within the body, as is usual for crypto candles.
/// `None` until three candles have been seen; the pattern is judged on the last three.
#[derive(Debug, Clone, Default)]
pub struct ThreeWhiteSoldiers {
    /// The two candles before the current one, oldest first.
    previous: [Option<Shape>; 2],
}

impl ThreeWhiteSoldiers {
    pub fn new() -> Self {
        Self::default()
    }

    fn is_soldier(c: &Shape) -> bool {
        c.is_bullish()
            && c.body() >= MIN_BODY_TO_RANGE * c.range()
            && c.high - c.close <= MAX_CLOSE_TO_HIGH * c.range()
    }

    fn advances(previous: &Shape, current: &Shape) -> bool {
        previous.open <= current.open
            && current.open <= previous.close
            && current.close > previous.close
    }

    fn matches(first: &Shape, second: &Shape, third: &Shape) -> bool {
        [first, second, third].into_iter().all(Self::is_soldier)
            && Self::advances(first, second)
            && Self::advances(second, third)
    }
}

impl Indicator for ThreeWhiteSoldiers {
    type Output = bool;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<bool> {
        let third = Shape::of(candle);
        let [first, second] = self.previous;
        self.previous = [second, Some(third)];
        Some(Self::matches(&first?, &second?, &third))
    }

    fn reset(&mut self) {
        self.previous = [None, None];
    }
}

impl fmt::Display for ThreeWhiteSoldiers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("THREE_WHITE_SOLDIERS")
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::super::shape::candle;
    use super::*;

    // Bodies [10, 12] and [12, 14]; each closes 0.1 below its high.
    fn first() -> Candle {
        candle(10.0, 12.2, 9.9, 12.0)
    }

    fn second() -> Candle {
        candle(12.0, 14.1, 11.9, 14.0)
    }

    #[rstest]
    #[case::three_soldiers(candle(13.0, 15.5, 12.8, 15.4), true)]
    #[case::opens_at_the_previous_close(candle(14.0, 16.1, 13.9, 16.0), true)]
    #[case::long_upper_shadow(candle(13.0, 17.0, 12.8, 15.4), false)]
    #[case::gaps_above_the_previous_body(candle(14.5, 16.0, 14.4, 15.9), false)]
    #[case::opens_below_the_previous_body(candle(11.5, 15.5, 11.4, 15.4), false)]
    #[case::small_body(candle(13.5, 15.0, 12.0, 14.2), false)]
    #[case::no_higher_close(candle(12.5, 14.0, 12.4, 14.0), false)]
    #[case::bearish(candle(14.0, 14.1, 12.0, 12.1), false)]
    fn judges_the_third_candle(#[case] third: Candle, #[case] expected: bool) {
        let mut p = ThreeWhiteSoldiers::new();
        assert_eq!(
            crate::batch(&mut p, &[first(), second(), third]),
            vec![None, None, Some(expected)]
        );
    }

    #[test]
    fn every_candle_must_be_a_soldier() {
        // The middle candle is bearish.
        let candles = [
            first(),
            candle(12.0, 12.1, 10.9, 11.0),
            candle(11.5, 13.1, 11.4, 13.0),
        ];
        assert_eq!(
            crate::batch(&mut ThreeWhiteSoldiers::new(), &candles)[2],
            Some(false)
        );
    }

    #[test]
    fn slides_over_the_last_three_and_replays_after_reset() {
        let candles = [
            first(),
            second(),
            candle(13.0, 15.5, 12.8, 15.4),
            candle(15.0, 16.6, 14.9, 16.5),
            candle(16.0, 16.5, 15.0, 15.2),
        ];
        let mut p = ThreeWhiteSoldiers::new();
        let out = crate::batch(&mut p, &candles);
        assert_eq!(out, vec![None, None, Some(true), Some(true), Some(false)]);
        p.reset();
        assert_eq!(crate::batch(&mut p, &candles), out);
    }

    #[test]
    fn displays_its_name() {
        assert_eq!(
            ThreeWhiteSoldiers::new().to_string(),
            "THREE_WHITE_SOLDIERS"
        );
    }
}
