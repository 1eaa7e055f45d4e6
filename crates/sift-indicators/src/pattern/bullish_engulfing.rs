//! Bullish engulfing: a rising candle whose body covers the previous falling candle's body.

use std::fmt;

use sift_core::Candle;

use super::shape::Shape;
use crate::Indicator;

/// BULLISH_ENGULFING: the previous candle is bearish (`close < open`), the current one is
/// bullish (`close > open`), and the current body covers the previous body and is larger:
/// `open <= prev.close`, `close >= prev.open` and `close - open > prev.open - prev.close`.
///
/// The comparisons allow equal edges because consecutive crypto candles usually open at the
/// previous close; the larger-body condition rules out two identical bodies. Shadows are not
/// compared. The shape alone is judged (it matters most after a decline). `None` on the first
/// candle, then a value from the second.
#[derive(Debug, Clone, Default)]
pub struct BullishEngulfing {
    previous: Option<Shape>,
}

impl BullishEngulfing {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `current` engulfs `previous` bullishly.
    fn matches(previous: &Shape, current: &Shape) -> bool {
        previous.is_bearish()
            && current.is_bullish()
            && current.open <= previous.close
            && current.close >= previous.open
            && current.body() > previous.body()
    }
}

impl Indicator for BullishEngulfing {
    type Output = bool;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<bool> {
        let current = Shape::of(candle);
        let previous = self.previous.replace(current)?;
        Some(Self::matches(&previous, &current))
    }

    fn reset(&mut self) {
        self.previous = None;
    }
}

impl fmt::Display for BullishEngulfing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BULLISH_ENGULFING")
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::super::shape::candle;
    use super::*;

    /// A bearish candle with body [9, 10].
    fn falling() -> Candle {
        candle(10.0, 10.5, 8.5, 9.0)
    }

    #[rstest]
    #[case::covers_and_is_larger(falling(), candle(9.0, 11.5, 8.8, 11.0), true)]
    #[case::opens_below_and_closes_above(falling(), candle(8.9, 10.2, 8.8, 10.1), true)]
    #[case::identical_body(falling(), candle(9.0, 10.2, 8.9, 10.0), false)]
    #[case::closes_inside(falling(), candle(9.0, 10.0, 8.9, 9.8), false)]
    #[case::opens_above_previous_close(falling(), candle(9.2, 11.5, 9.1, 11.0), false)]
    #[case::current_is_bearish(falling(), candle(11.0, 11.5, 8.0, 8.5), false)]
    #[case::previous_is_bullish(candle(9.0, 10.5, 8.5, 10.0), candle(8.5, 11.5, 8.0, 11.0), false)]
    #[case::previous_is_flat(candle(9.0, 10.5, 8.5, 9.0), candle(8.5, 11.5, 8.0, 11.0), false)]
    fn recognises_bullish_engulfing(
        #[case] previous: Candle,
        #[case] current: Candle,
        #[case] expected: bool,
    ) {
        let mut p = BullishEngulfing::new();
        assert_eq!(p.update(&previous), None);
        assert_eq!(p.update(&current), Some(expected));
    }

    #[test]
    fn slides_over_pairs_and_replays_after_reset() {
        let candles = [
            falling(),
            candle(9.0, 11.5, 8.8, 11.0),
            falling(),
            falling(),
        ];
        let mut p = BullishEngulfing::new();
        let first = crate::batch(&mut p, &candles);
        assert_eq!(first, vec![None, Some(true), Some(false), Some(false)]);
        p.reset();
        assert_eq!(crate::batch(&mut p, &candles), first);
    }

    #[test]
    fn displays_its_name() {
        assert_eq!(BullishEngulfing::new().to_string(), "BULLISH_ENGULFING");
    }
}
