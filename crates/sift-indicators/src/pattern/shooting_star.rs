//! Shooting star: a short body at the bottom of the candle with a long upper shadow, gapping
//! up from the previous body. TA-Lib `CDLSHOOTINGSTAR`.

use super::recent::Recent;
use super::settings::{Average, BODY_SHORT, SHADOW_LONG, SHADOW_VERY_SHORT, longest};
use super::tape::Tape;

/// TA-Lib's lookback: the longest setting period, plus the previous candle.
const LOOKBACK: usize = longest(&[BODY_SHORT, SHADOW_LONG, SHADOW_VERY_SHORT]) + 1;

/// SHOOTING_STAR: equals TA-Lib `CDLSHOOTINGSTAR != 0` (TA-Lib returns -100). With body
/// `|close - open|`, white meaning `close >= open`, and `prev` the previous candle, all of:
///
/// - the body gaps up from the previous body:
///   `min(open, close) > max(prev.open, prev.close)`;
/// - short body (`BodyShort`):
///   `body < 1.0 × (mean body of the 10 previous candles)`;
/// - long upper shadow (`ShadowLong`, the candle's own body):
///   `high - (close if white else open) > 1.0 × body`;
/// - very short lower shadow (`ShadowVeryShort`):
///   `(open if white else close) - low < 0.1 × (mean high-low range of the 10 previous candles)`.
///
/// Either colour qualifies. The gap makes the previous candle part of the pattern: a candle
/// opening at the previous close never qualifies. TA-Lib judges no longer trend; after a
/// decline the same shape is an inverted hammer, so a rule adds the trend it wants
/// (`shooting_star() and close > sma(50)`). Averages exclude the current candle; both are
/// TA-Lib's running totals (see `settings.rs`), so results match it bit for bit.
///
/// `None` for the first 11 candles; the first value is at the 12th (index 11).
#[derive(Debug, Clone)]
pub struct ShootingStar {
    /// `BodyShort` and `ShadowVeryShort` for the current candle.
    tape: Tape<2>,
}

impl ShootingStar {
    pub fn new() -> Self {
        Self {
            tape: Tape::new(LOOKBACK, [(BODY_SHORT, 0), (SHADOW_VERY_SHORT, 0)]),
        }
    }

    fn matches(recent: &Recent, [body_short, shadow_very_short]: &[Average; 2]) -> bool {
        let c = recent.ago(0);
        let prev = recent.ago(1);
        c.body_bottom() > prev.body_top()
            && c.real_body() < body_short.value()
            && c.upper_shadow() > SHADOW_LONG.of_own(c)
            && c.lower_shadow() < shadow_very_short.value()
    }
}

super::pattern_impls!(ShootingStar, "SHOOTING_STAR", Self::matches);

#[cfg(test)]
mod tests {
    use sift_core::Candle;

    use crate::Indicator;
    use rstest::rstest;

    use super::super::shape::{background, candle};
    use super::*;

    /// Eleven candles with body [100, 101] and range 2, then `last`: `BodyShort` is 1.0 and
    /// `ShadowVeryShort` 0.2, and the body must start above 101.
    fn judge(last: Candle) -> Vec<Option<bool>> {
        let mut candles = background(11);
        candles.push(last);
        crate::batch(&mut ShootingStar::new(), &candles)
    }

    #[rstest]
    #[case::white(candle(101.25, 103.0, 101.2, 101.5), true)]
    #[case::black(candle(101.5, 103.0, 101.2, 101.25), true)]
    #[case::opens_at_the_previous_close(candle(101.0, 103.0, 100.95, 101.25), false)]
    #[case::body_not_short(candle(101.25, 104.0, 101.2, 102.25), false)]
    #[case::upper_shadow_equals_body(candle(101.25, 101.75, 101.2, 101.5), false)]
    #[case::lower_shadow_too_long(candle(101.25, 103.0, 101.0, 101.5), false)]
    fn judges_the_current_candle_and_the_gap(#[case] last: Candle, #[case] expected: bool) {
        let out = judge(last);
        assert!(out[..11].iter().all(Option::is_none));
        assert_eq!(out[11], Some(expected));
    }

    #[test]
    fn replays_after_reset() {
        let mut candles = background(11);
        candles.extend([
            candle(101.25, 103.0, 101.2, 101.5),
            candle(101.5, 103.0, 101.2, 101.25),
        ]);
        let mut p = ShootingStar::new();
        let first = crate::batch(&mut p, &candles);
        // The second star does not gap above the first star's body.
        assert_eq!(first[11..], [Some(true), Some(false)]);
        p.reset();
        assert_eq!(crate::batch(&mut p, &candles), first);
    }

    #[test]
    fn displays_its_name() {
        assert_eq!(ShootingStar::new().to_string(), "SHOOTING_STAR");
    }
}
