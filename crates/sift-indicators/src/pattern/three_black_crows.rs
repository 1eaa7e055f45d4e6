//! Three black crows: three long falling candles, each opening in the previous body.

use std::fmt;

use sift_core::Candle;

use super::shape::Shape;
use crate::Indicator;

/// A crow's body is at least this fraction of its range.
const MIN_BODY_TO_RANGE: f64 = 0.5;
/// A crow closes near its low: `close - low` is at most this fraction of its range.
const MAX_CLOSE_TO_LOW: f64 = 0.25;

/// THREE_BLACK_CROWS: the last three candles are each
/// - bearish (`close < open`) with a long body: `open - close >= 0.5 × (high - low)`;
/// - closing near the low: `close - low <= 0.25 × (high - low)`;
///
/// and the second and third each
/// - open within the previous candle's body: `prev.close <= open <= prev.open`;
/// - close below the previous close: `close < prev.close`.
///
/// Opening at the previous close counts as within the body, as is usual for crypto candles.
/// `None` until three candles have been seen; the pattern is judged on the last three.
#[derive(Debug, Clone, Default)]
pub struct ThreeBlackCrows {
    /// The two candles before the current one, oldest first.
    previous: [Option<Shape>; 2],
}

impl ThreeBlackCrows {
    pub fn new() -> Self {
        Self::default()
    }

    fn is_crow(c: &Shape) -> bool {
        c.is_bearish()
            && c.body() >= MIN_BODY_TO_RANGE * c.range()
            && c.close - c.low <= MAX_CLOSE_TO_LOW * c.range()
    }

    fn declines(previous: &Shape, current: &Shape) -> bool {
        previous.close <= current.open
            && current.open <= previous.open
            && current.close < previous.close
    }

    fn matches(first: &Shape, second: &Shape, third: &Shape) -> bool {
        [first, second, third].into_iter().all(Self::is_crow)
            && Self::declines(first, second)
            && Self::declines(second, third)
    }
}

impl Indicator for ThreeBlackCrows {
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

impl fmt::Display for ThreeBlackCrows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("THREE_BLACK_CROWS")
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::super::shape::candle;
    use super::*;

    // Bodies [13, 15] and [11, 13]; each closes 0.1 above its low.
    fn first() -> Candle {
        candle(15.0, 15.1, 12.9, 13.0)
    }

    fn second() -> Candle {
        candle(13.0, 13.1, 10.9, 11.0)
    }

    #[rstest]
    #[case::three_crows(candle(12.0, 12.2, 9.5, 9.6), true)]
    #[case::opens_at_the_previous_close(candle(11.0, 11.1, 8.9, 9.0), true)]
    #[case::long_lower_shadow(candle(12.0, 12.2, 7.5, 9.6), false)]
    #[case::gaps_below_the_previous_body(candle(10.5, 10.6, 9.0, 9.1), false)]
    #[case::opens_above_the_previous_body(candle(13.5, 13.6, 9.5, 9.6), false)]
    #[case::small_body(candle(11.5, 13.0, 10.0, 10.8), false)]
    #[case::no_lower_close(candle(12.5, 12.6, 10.9, 11.0), false)]
    #[case::bullish(candle(11.0, 13.0, 10.9, 12.9), false)]
    fn judges_the_third_candle(#[case] third: Candle, #[case] expected: bool) {
        let mut p = ThreeBlackCrows::new();
        assert_eq!(
            crate::batch(&mut p, &[first(), second(), third]),
            vec![None, None, Some(expected)]
        );
    }

    #[test]
    fn every_candle_must_be_a_crow() {
        // The middle candle is bullish.
        let candles = [
            first(),
            candle(13.0, 14.1, 12.9, 14.0),
            candle(13.5, 13.6, 11.9, 12.0),
        ];
        assert_eq!(
            crate::batch(&mut ThreeBlackCrows::new(), &candles)[2],
            Some(false)
        );
    }

    #[test]
    fn slides_over_the_last_three_and_replays_after_reset() {
        let candles = [
            first(),
            second(),
            candle(12.0, 12.2, 9.5, 9.6),
            candle(10.0, 10.1, 8.4, 8.5),
            candle(8.5, 9.5, 8.0, 9.3),
        ];
        let mut p = ThreeBlackCrows::new();
        let out = crate::batch(&mut p, &candles);
        assert_eq!(out, vec![None, None, Some(true), Some(true), Some(false)]);
        p.reset();
        assert_eq!(crate::batch(&mut p, &candles), out);
    }

    #[test]
    fn displays_its_name() {
        assert_eq!(ThreeBlackCrows::new().to_string(), "THREE_BLACK_CROWS");
    }
}
