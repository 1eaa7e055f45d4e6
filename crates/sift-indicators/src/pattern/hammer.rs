//! Hammer: a short body at the top of the candle with a long lower shadow, near the previous
//! candle's low. TA-Lib `CDLHAMMER`.

use super::recent::Recent;
use super::settings::{Average, BODY_SHORT, NEAR, SHADOW_LONG, SHADOW_VERY_SHORT, longest};
use super::tape::Tape;

/// TA-Lib's lookback: the longest setting period, plus the previous candle.
const LOOKBACK: usize = longest(&[BODY_SHORT, SHADOW_LONG, SHADOW_VERY_SHORT, NEAR]) + 1;

/// HAMMER: equals TA-Lib `CDLHAMMER != 0`. With body `|close - open|`, white meaning
/// `close >= open`, and `prev` the previous candle, all of:
///
/// - short body (`BodyShort`):
///   `body < 1.0 × (mean body of the 10 previous candles)`;
/// - long lower shadow (`ShadowLong`, the candle's own body):
///   `(open if white else close) - low > 1.0 × body`;
/// - very short upper shadow (`ShadowVeryShort`): `high - (close if white else open)
///   < 0.1 × (mean high-low range of the 10 previous candles)`;
/// - body near or below the previous candle's low (`Near`, averaged for `prev`):
///   `min(open, close) <= prev.low + 0.2 × (mean high-low range of the 5 candles before prev)`.
///
/// Either colour qualifies. The last condition looks at the previous candle: the body's bottom
/// may lie anywhere below the previous low but at most `Near` above it, as after a decline.
/// TA-Lib judges no longer trend; after a rise the same shape is a hanging man, so a rule adds
/// the trend it wants (`hammer() and close < sma(50)`). Averages exclude the candle they are
/// used for; all are TA-Lib's running totals (see `settings.rs`), so results match it bit for
/// bit.
///
/// `None` for the first 11 candles; the first value is at the 12th (index 11).
#[derive(Debug, Clone)]
pub struct Hammer {
    /// `BodyShort` and `ShadowVeryShort` for the current candle, `Near` for the previous one.
    tape: Tape<3>,
}

impl Hammer {
    pub fn new() -> Self {
        Self {
            tape: Tape::new(
                LOOKBACK,
                [(BODY_SHORT, 0), (SHADOW_VERY_SHORT, 0), (NEAR, 1)],
            ),
        }
    }

    fn matches(recent: &Recent, [body_short, shadow_very_short, near]: &[Average; 3]) -> bool {
        let c = recent.ago(0);
        let prev = recent.ago(1);
        c.real_body() < body_short.value()
            && c.lower_shadow() > SHADOW_LONG.of_own(c)
            && c.upper_shadow() < shadow_very_short.value()
            && c.body_bottom() <= prev.low + near.value()
    }
}

super::pattern_impls!(Hammer, "HAMMER", Self::matches);

#[cfg(test)]
mod tests {
    use sift_core::Candle;

    use crate::Indicator;
    use rstest::rstest;

    use super::super::shape::{background, candle};
    use super::*;

    /// Eleven candles with body 1 and range 2 (low 99.5), then `last`: `BodyShort` is 1.0,
    /// `ShadowVeryShort` 0.2 and `Near` 0.4, so the body must reach down to 99.9.
    fn judge(last: Candle) -> Vec<Option<bool>> {
        let mut candles = background(11);
        candles.push(last);
        crate::batch(&mut Hammer::new(), &candles)
    }

    #[rstest]
    #[case::white(candle(99.6, 99.65, 98.0, 99.9), true)]
    #[case::black(candle(99.9, 99.95, 98.0, 99.6), true)]
    #[case::body_below_the_previous_low(candle(98.0, 98.3, 96.0, 98.25), true)]
    #[case::body_not_short(candle(98.75, 99.8, 97.0, 99.75), false)]
    #[case::lower_shadow_equals_body(candle(99.5, 99.8, 99.25, 99.75), false)]
    #[case::upper_shadow_too_long(candle(99.5, 100.0, 98.0, 99.75), false)]
    #[case::body_above_the_previous_low_and_near(candle(100.0, 100.3, 98.0, 100.25), false)]
    fn judges_the_current_candle_and_the_previous_low(
        #[case] last: Candle,
        #[case] expected: bool,
    ) {
        let out = judge(last);
        assert!(out[..11].iter().all(Option::is_none));
        assert_eq!(out[11], Some(expected));
    }

    #[rstest]
    #[case::near(99.25, true)]
    #[case::too_far_above(99.0, false)]
    fn the_body_must_reach_down_near_the_previous_low(
        #[case] previous_low: f64,
        #[case] expected: bool,
    ) {
        // `Near` for the previous candle is 0.4: the body bottom 99.6 must be at most
        // `previous_low + 0.4`.
        let mut candles = background(10);
        candles.push(candle(99.5, 100.0, previous_low, 99.75));
        candles.push(candle(99.6, 99.65, 98.0, 99.9));
        assert_eq!(
            crate::batch(&mut Hammer::new(), &candles)[11],
            Some(expected)
        );
    }

    #[test]
    fn replays_after_reset() {
        let mut candles = background(11);
        candles.extend([
            candle(99.6, 99.65, 98.0, 99.9),
            candle(99.0, 101.0, 98.0, 100.5),
        ]);
        let mut p = Hammer::new();
        let first = crate::batch(&mut p, &candles);
        assert_eq!(first[11..], [Some(true), Some(false)]);
        p.reset();
        assert_eq!(crate::batch(&mut p, &candles), first);
    }

    #[test]
    fn displays_its_name() {
        assert_eq!(Hammer::new().to_string(), "HAMMER");
    }
}
