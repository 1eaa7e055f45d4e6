//! Bearish engulfing: a black candle whose body covers the previous white body. TA-Lib
//! `CDLENGULFING < 0`.

use super::shape::Shape;
use super::tape::Tape;

/// TA-Lib's lookback for `CDLENGULFING`: 2, although only one earlier candle is compared.
const LOOKBACK: usize = 2;

/// BEARISH_ENGULFING: equals TA-Lib `CDLENGULFING < 0`. With `prev` the previous candle:
///
/// - `prev` is white (`close >= open`, so an unchanged candle qualifies) and the current
///   candle is black (`close < open`);
/// - the current body covers `prev`'s body, matching it on at most one end:
///   `(open >= prev.close and close < prev.open) or (open > prev.close and close <= prev.open)`.
///
/// TA-Lib returns -100 when the body strictly covers both ends and -80 when one end matches
/// (`open == prev.close` or `close == prev.open`, usual for crypto candles that open at the
/// previous close); both count here. No averages are involved, and TA-Lib does not judge the
/// trend before the pattern; a rule adds it (`bearish_engulfing() and close > sma(50)`).
///
/// `None` for the first 2 candles: TA-Lib's lookback is 2, so the first value is at the third
/// candle (index 2) even though the second could be judged.
#[derive(Debug, Clone)]
pub struct BearishEngulfing {
    tape: Tape<0>,
}

impl BearishEngulfing {
    pub fn new() -> Self {
        Self {
            tape: Tape::new(LOOKBACK, []),
        }
    }

    /// Whether `current` engulfs `prev` bearishly.
    fn matches(prev: &Shape, current: &Shape) -> bool {
        prev.is_white()
            && current.is_black()
            && ((current.open >= prev.close && current.close < prev.open)
                || (current.open > prev.close && current.close <= prev.open))
    }
}

super::pattern_impls!(BearishEngulfing, "BEARISH_ENGULFING", |recent, _| {
    Self::matches(recent.ago(1), recent.ago(0))
});

#[cfg(test)]
mod tests {
    use sift_core::Candle;

    use crate::Indicator;
    use rstest::rstest;

    use super::super::shape::candle;
    use super::*;

    /// A white candle with body [9, 10].
    fn white() -> Candle {
        candle(9.0, 10.5, 8.5, 10.0)
    }

    #[rstest]
    #[case::covers_both_ends(white(), candle(10.1, 10.2, 8.8, 8.9), true)]
    #[case::opens_at_the_previous_close(white(), candle(10.0, 10.2, 7.5, 8.0), true)]
    #[case::closes_at_the_previous_open(white(), candle(10.5, 10.6, 8.9, 9.0), true)]
    #[case::identical_body(white(), candle(10.0, 10.2, 8.9, 9.0), false)]
    #[case::closes_inside(white(), candle(10.5, 10.6, 9.0, 9.2), false)]
    #[case::opens_below_previous_close(white(), candle(9.8, 9.9, 7.5, 8.0), false)]
    #[case::current_is_white(white(), candle(8.5, 11.5, 8.0, 11.0), false)]
    #[case::previous_is_black(candle(10.0, 10.5, 8.5, 9.0), candle(10.5, 11.0, 8.0, 8.5), false)]
    #[case::previous_unchanged_counts_as_white(
        candle(9.5, 10.5, 8.5, 9.5),
        candle(10.0, 10.2, 8.8, 9.0),
        true
    )]
    fn recognises_bearish_engulfing(
        #[case] previous: Candle,
        #[case] current: Candle,
        #[case] expected: bool,
    ) {
        let mut p = BearishEngulfing::new();
        let out = crate::batch(&mut p, &[white(), previous, current]);
        assert_eq!(out, vec![None, None, Some(expected)]);
    }

    #[test]
    fn first_value_at_the_third_candle_and_replays_after_reset() {
        // The second candle engulfs the first, but TA-Lib does not judge it.
        let candles = [
            white(),
            candle(10.1, 10.2, 8.8, 8.9),
            white(),
            candle(10.1, 10.2, 8.8, 8.9),
            candle(9.0, 9.1, 7.0, 7.1),
        ];
        let mut p = BearishEngulfing::new();
        let first = crate::batch(&mut p, &candles);
        assert_eq!(
            first,
            vec![None, None, Some(false), Some(true), Some(false)]
        );
        p.reset();
        assert_eq!(crate::batch(&mut p, &candles), first);
    }

    #[test]
    fn displays_its_name() {
        assert_eq!(BearishEngulfing::new().to_string(), "BEARISH_ENGULFING");
    }
}
