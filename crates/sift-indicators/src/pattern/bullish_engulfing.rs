//! Bullish engulfing: a white candle whose body covers the previous black body. TA-Lib
//! `CDLENGULFING > 0`.

use super::shape::Shape;
use super::tape::Tape;

/// TA-Lib's lookback for `CDLENGULFING`: 2, although only one earlier candle is compared.
const LOOKBACK: usize = 2;

/// BULLISH_ENGULFING: equals TA-Lib `CDLENGULFING > 0`. With `prev` the previous candle:
///
/// - `prev` is black (`close < open`) and the current candle is white (`close >= open`);
/// - the current body covers `prev`'s body, matching it on at most one end:
///   `(close >= prev.open and open < prev.close) or (close > prev.open and open <= prev.close)`.
///
/// TA-Lib returns 100 when the body strictly covers both ends and 80 when one end matches
/// (`open == prev.close` or `close == prev.open`, usual for crypto candles that open at the
/// previous close); both count here. No averages are involved, and TA-Lib does not judge the
/// trend before the pattern; a rule adds it (`bullish_engulfing() and close < sma(50)`).
///
/// `None` for the first 2 candles: TA-Lib's lookback is 2, so the first value is at the third
/// candle (index 2) even though the second could be judged.
#[derive(Debug, Clone)]
pub struct BullishEngulfing {
    tape: Tape<0>,
}

impl BullishEngulfing {
    pub fn new() -> Self {
        Self {
            tape: Tape::new(LOOKBACK, []),
        }
    }

    /// Whether `current` engulfs `prev` bullishly.
    fn matches(prev: &Shape, current: &Shape) -> bool {
        prev.is_black()
            && current.is_white()
            && ((current.close >= prev.open && current.open < prev.close)
                || (current.close > prev.open && current.open <= prev.close))
    }
}

super::pattern_impls!(BullishEngulfing, "BULLISH_ENGULFING", |recent, _| {
    Self::matches(recent.ago(1), recent.ago(0))
});

#[cfg(test)]
mod tests {
    use sift_core::Candle;

    use crate::Indicator;
    use rstest::rstest;

    use super::super::shape::candle;
    use super::*;

    /// A black candle with body [9, 10].
    fn black() -> Candle {
        candle(10.0, 10.5, 8.5, 9.0)
    }

    #[rstest]
    #[case::covers_both_ends(black(), candle(8.9, 11.5, 8.8, 10.1), true)]
    #[case::opens_at_the_previous_close(black(), candle(9.0, 11.5, 8.8, 11.0), true)]
    #[case::closes_at_the_previous_open(black(), candle(8.5, 10.2, 8.4, 10.0), true)]
    #[case::identical_body(black(), candle(9.0, 10.2, 8.9, 10.0), false)]
    #[case::closes_inside(black(), candle(8.5, 10.0, 8.4, 9.8), false)]
    #[case::opens_above_previous_close(black(), candle(9.2, 11.5, 9.1, 11.0), false)]
    #[case::current_is_black(black(), candle(11.0, 11.5, 8.0, 8.5), false)]
    #[case::previous_is_white(candle(9.0, 10.5, 8.5, 10.0), candle(8.5, 11.5, 8.0, 11.0), false)]
    #[case::previous_unchanged_counts_as_white(
        candle(9.5, 10.5, 8.5, 9.5),
        candle(8.5, 11.5, 8.0, 11.0),
        false
    )]
    fn recognises_bullish_engulfing(
        #[case] previous: Candle,
        #[case] current: Candle,
        #[case] expected: bool,
    ) {
        let mut p = BullishEngulfing::new();
        let out = crate::batch(&mut p, &[black(), previous, current]);
        assert_eq!(out, vec![None, None, Some(expected)]);
    }

    #[test]
    fn first_value_at_the_third_candle_and_replays_after_reset() {
        // The second candle engulfs the first, but TA-Lib does not judge it.
        let candles = [
            black(),
            candle(8.9, 11.5, 8.8, 10.1),
            black(),
            candle(8.9, 11.5, 8.8, 10.1),
            candle(10.0, 12.0, 9.9, 11.9),
        ];
        let mut p = BullishEngulfing::new();
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
        assert_eq!(BullishEngulfing::new().to_string(), "BULLISH_ENGULFING");
    }
}
