//! Three black crows: after a white candle, three black candles declining with short lower
//! shadows, each opening within the previous body. TA-Lib `CDL3BLACKCROWS`.

use super::recent::Recent;
use super::settings::{Average, SHADOW_VERY_SHORT, longest};
use super::tape::Tape;

/// TA-Lib's lookback: `ShadowVeryShort`'s period, plus the three earlier candles.
const LOOKBACK: usize = longest(&[SHADOW_VERY_SHORT]) + 3;

/// THREE_BLACK_CROWS: equals TA-Lib `CDL3BLACKCROWS != 0` (TA-Lib returns -100). With
/// `before` the candle before the crows, `first`, `second`, `third` the last three candles
/// (`third` is the current one), and lower shadow `close - low` (the crows are black), all of:
///
/// - `before` is white (`close >= open`) and `first`, `second`, `third` are black
///   (`close < open`);
/// - the first crow closes under the preceding high: `first.close < before.high`;
/// - each later crow opens strictly within the previous body:
///   `first.close < second.open < first.open` and `second.close < third.open < second.open`;
/// - consecutively lower closes: `first.close > second.close > third.close`;
/// - each crow has a very short lower shadow (`ShadowVeryShort`):
///   `lower shadow < 0.1 × (mean high-low range of the 10 candles before that crow)`.
///
/// So four candles are judged, not three: without a white candle before them, three falling
/// candles are not crows. Opening at the previous close does not count as within the body.
/// TA-Lib judges no longer trend; a rule adds it. Averages are TA-Lib's running totals (see
/// `settings.rs`), so results match it bit for bit.
///
/// `None` for the first 13 candles; the first value is at the 14th (index 13).
#[derive(Debug, Clone)]
pub struct ThreeBlackCrows {
    /// `ShadowVeryShort` for the first, second and third crow.
    tape: Tape<3>,
}

impl ThreeBlackCrows {
    pub fn new() -> Self {
        Self {
            tape: Tape::new(
                LOOKBACK,
                [
                    (SHADOW_VERY_SHORT, 2),
                    (SHADOW_VERY_SHORT, 1),
                    (SHADOW_VERY_SHORT, 0),
                ],
            ),
        }
    }

    fn matches(recent: &Recent, [short_1, short_2, short_3]: &[Average; 3]) -> bool {
        let before = recent.ago(3);
        let first = recent.ago(2);
        let second = recent.ago(1);
        let third = recent.ago(0);
        before.is_white()
            && first.is_black()
            && second.is_black()
            && third.is_black()
            && second.open < first.open
            && second.open > first.close
            && third.open < second.open
            && third.open > second.close
            && before.high > first.close
            && first.close > second.close
            && second.close > third.close
            && first.lower_shadow() < short_1.value()
            && second.lower_shadow() < short_2.value()
            && third.lower_shadow() < short_3.value()
    }
}

super::pattern_impls!(ThreeBlackCrows, "THREE_BLACK_CROWS", Self::matches);

#[cfg(test)]
mod tests {
    use sift_core::Candle;

    use crate::Indicator;
    use rstest::rstest;

    use super::super::shape::{background, candle};
    use super::*;

    // Crows with body 1.5, lower shadow 0.125 and range 2, like the background's range, so
    // `ShadowVeryShort` stays 0.2. The last background candle (white, high 101.5) comes
    // before them.
    fn first() -> Candle {
        candle(101.25, 101.625, 99.625, 99.75)
    }

    fn second() -> Candle {
        candle(100.5, 100.875, 98.875, 99.0)
    }

    fn third() -> Candle {
        candle(99.75, 100.125, 98.125, 98.25)
    }

    fn judge(before: Candle, third: Candle) -> Vec<Option<bool>> {
        let mut candles = background(10);
        candles.extend([before, first(), second(), third]);
        crate::batch(&mut ThreeBlackCrows::new(), &candles)
    }

    fn white() -> Candle {
        background(1)[0]
    }

    #[rstest]
    #[case::three_crows(third(), true)]
    #[case::lower_shadow_too_long(candle(99.75, 100.125, 97.75, 98.25), false)]
    #[case::opens_at_the_previous_close(candle(99.0, 99.375, 97.375, 97.5), false)]
    #[case::opens_above_the_previous_open(candle(100.75, 100.875, 98.125, 98.25), false)]
    #[case::no_lower_close(candle(99.75, 100.125, 99.125, 99.25), false)]
    #[case::white(candle(98.25, 100.125, 98.125, 99.75), false)]
    fn judges_the_third_crow(#[case] third: Candle, #[case] expected: bool) {
        let out = judge(white(), third);
        assert!(out[..13].iter().all(Option::is_none));
        assert_eq!(out[13], Some(expected));
    }

    #[rstest]
    #[case::black(candle(101.0, 101.5, 99.5, 100.0))]
    #[case::high_not_above_the_first_close(candle(99.0, 99.75, 98.75, 99.5))]
    fn the_candle_before_must_be_white_and_above_the_first_close(#[case] before: Candle) {
        assert_eq!(judge(before, third())[13], Some(false));
    }

    #[test]
    fn replays_after_reset() {
        let mut candles = background(11);
        candles.extend([
            first(),
            second(),
            third(),
            candle(98.5, 98.625, 96.875, 97.0),
        ]);
        let mut p = ThreeBlackCrows::new();
        let out = crate::batch(&mut p, &candles);
        // The fourth falling candle follows a black one, not a white one.
        assert_eq!(out[13..], [Some(true), Some(false)]);
        p.reset();
        assert_eq!(crate::batch(&mut p, &candles), out);
    }

    #[test]
    fn displays_its_name() {
        assert_eq!(ThreeBlackCrows::new().to_string(), "THREE_BLACK_CROWS");
    }
}
