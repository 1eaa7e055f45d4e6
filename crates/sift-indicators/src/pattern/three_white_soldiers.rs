//! Three white soldiers: three white candles advancing with short upper shadows, each opening
//! within or near the previous body. TA-Lib `CDL3WHITESOLDIERS`.

use super::recent::Recent;
use super::settings::{Average, BODY_SHORT, FAR, NEAR, SHADOW_VERY_SHORT, longest};
use super::tape::Tape;

/// TA-Lib's lookback: the longest setting period, plus the two earlier candles.
const LOOKBACK: usize = longest(&[SHADOW_VERY_SHORT, BODY_SHORT, FAR, NEAR]) + 2;

/// THREE_WHITE_SOLDIERS: equals TA-Lib `CDL3WHITESOLDIERS != 0` (TA-Lib returns 100). With
/// `first`, `second`, `third` the last three candles (`third` is the current one), body
/// `|close - open|`, upper shadow `high - close` (all three are white), and each setting
/// averaged over the candles before the candle it is written for, all of:
///
/// - all three white: `close >= open`;
/// - each has a very short upper shadow (`ShadowVeryShort`):
///   `upper shadow < 0.1 × (mean high-low range of the 10 candles before it)`;
/// - consecutively higher closes: `third.close > second.close > first.close`;
/// - each opens above the previous open and within or near the previous body (`Near`):
///   `first.open < second.open <= first.close + 0.2 × (mean range of the 5 candles before
///   first)`, and `second.open < third.open <= second.close + 0.2 × (mean range of the 5
///   candles before second)`;
/// - no body far shorter than the one before (`Far`, to tell it from an advance block):
///   `second.body > first.body - 0.6 × (mean range of the 5 candles before first)` and
///   `third.body > second.body - 0.6 × (mean range of the 5 candles before second)`;
/// - the third body is not short (`BodyShort`):
///   `third.body > 1.0 × (mean body of the 10 candles before third)`.
///
/// Only the third body is compared with `BodyShort`: TA-Lib asks for soldiers that are not
/// short rather than long. TA-Lib judges no trend before the pattern; a rule adds it.
/// Averages are TA-Lib's running totals (see `settings.rs`), so results match it bit for bit.
///
/// `None` for the first 12 candles; the first value is at the 13th (index 12).
#[derive(Debug, Clone)]
pub struct ThreeWhiteSoldiers {
    /// `ShadowVeryShort` for each of the three candles, `Near` and `Far` for the first two,
    /// `BodyShort` for the third, in the order of [`ThreeWhiteSoldiers::matches`].
    tape: Tape<8>,
}

impl ThreeWhiteSoldiers {
    pub fn new() -> Self {
        Self {
            tape: Tape::new(
                LOOKBACK,
                [
                    (SHADOW_VERY_SHORT, 2),
                    (SHADOW_VERY_SHORT, 1),
                    (SHADOW_VERY_SHORT, 0),
                    (NEAR, 2),
                    (NEAR, 1),
                    (FAR, 2),
                    (FAR, 1),
                    (BODY_SHORT, 0),
                ],
            ),
        }
    }

    fn matches(recent: &Recent, averages: &[Average; 8]) -> bool {
        let [
            short_1,
            short_2,
            short_3,
            near_1,
            near_2,
            far_1,
            far_2,
            body_short,
        ] = averages;
        let first = recent.ago(2);
        let second = recent.ago(1);
        let third = recent.ago(0);
        first.is_white()
            && first.upper_shadow() < short_1.value()
            && second.is_white()
            && second.upper_shadow() < short_2.value()
            && third.is_white()
            && third.upper_shadow() < short_3.value()
            && third.close > second.close
            && second.close > first.close
            && second.open > first.open
            && second.open <= first.close + near_1.value()
            && third.open > second.open
            && third.open <= second.close + near_2.value()
            && second.real_body() > first.real_body() - far_1.value()
            && third.real_body() > second.real_body() - far_2.value()
            && third.real_body() > body_short.value()
    }
}

super::pattern_impls!(ThreeWhiteSoldiers, "THREE_WHITE_SOLDIERS", Self::matches);

#[cfg(test)]
mod tests {
    use sift_core::Candle;

    use crate::Indicator;
    use rstest::rstest;

    use super::super::shape::{background, candle};
    use super::*;

    // Soldiers with body 1.5, upper shadow 0.125 and range 2, like the background's range, so
    // `ShadowVeryShort` stays 0.2, `Near` 0.4 and `Far` 1.2; `BodyShort` for the third is
    // (8 × 1 + 2 × 1.5) / 10 = 1.1.
    fn first() -> Candle {
        candle(101.0, 102.625, 100.625, 102.5)
    }

    fn second() -> Candle {
        candle(102.0, 103.625, 101.625, 103.5)
    }

    fn judge(first: Candle, second: Candle, third: Candle) -> Vec<Option<bool>> {
        let mut candles = background(10);
        candles.extend([first, second, third]);
        crate::batch(&mut ThreeWhiteSoldiers::new(), &candles)
    }

    #[rstest]
    #[case::three_soldiers(candle(103.0, 104.625, 102.625, 104.5), true)]
    #[case::opens_at_the_limit_of_near(candle(103.875, 105.5, 103.5, 105.375), true)]
    #[case::upper_shadow_too_long(candle(103.0, 104.75, 102.625, 104.5), false)]
    #[case::opens_beyond_near(candle(104.0, 105.625, 103.625, 105.5), false)]
    #[case::opens_at_the_previous_open(candle(102.0, 103.875, 101.625, 103.75), false)]
    #[case::no_higher_close(candle(103.0, 103.625, 102.625, 103.5), false)]
    #[case::short_body(candle(103.0, 104.125, 102.625, 104.0), false)]
    #[case::black(candle(104.5, 104.625, 102.625, 103.0), false)]
    fn judges_the_third_candle(#[case] third: Candle, #[case] expected: bool) {
        let out = judge(first(), second(), third);
        assert!(out[..12].iter().all(Option::is_none));
        assert_eq!(out[12], Some(expected));
    }

    #[test]
    fn every_candle_must_be_white() {
        let black_first = candle(102.5, 102.625, 100.625, 101.0);
        let out = judge(
            black_first,
            second(),
            candle(103.0, 104.625, 102.625, 104.5),
        );
        assert_eq!(out[12], Some(false));
    }

    #[test]
    fn a_body_far_shorter_than_the_previous_one_is_an_advance_block() {
        // First body 3, second 0.75: 0.75 <= 3 - 1.2.
        let out = judge(
            candle(100.0, 103.125, 99.625, 103.0),
            candle(102.5, 103.375, 102.0, 103.25),
            candle(103.0, 104.625, 102.625, 104.5),
        );
        assert_eq!(out[12], Some(false));
    }

    #[test]
    fn replays_after_reset() {
        let mut candles = background(10);
        candles.extend([first(), second(), candle(103.0, 104.625, 102.625, 104.5)]);
        candles.push(candle(104.0, 105.625, 103.625, 105.5));
        let mut p = ThreeWhiteSoldiers::new();
        let out = crate::batch(&mut p, &candles);
        assert_eq!(out[12..], [Some(true), Some(true)]);
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
