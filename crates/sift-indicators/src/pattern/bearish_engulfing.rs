//! Bearish engulfing: a falling candle whose body covers the previous rising candle's body.

use std::fmt;

use sift_core::Candle;

use super::shape::Shape;
use crate::Indicator;

/// BEARISH_ENGULFING: the previous candle is bullish (`close > open`), the current one is
/// bearish (`close < open`), and the current body covers the previous body and is larger:
/// `open >= prev.close`, `close <= prev.open` and `open - close > prev.close - prev.open`.
///
/// The comparisons allow equal edges because consecutive crypto candles usually open at the
/// previous close; the larger-body condition rules out two identical bodies. Shadows are not
/// compared. The shape alone is judged (it matters most after a rise). `None` on the first
/// candle, then a value from the second.
#[derive(Debug, Clone, Default)]
pub struct BearishEngulfing {
    previous: Option<Shape>,
}

impl BearishEngulfing {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `current` engulfs `previous` bearishly.
    fn matches(previous: &Shape, current: &Shape) -> bool {
        previous.is_bullish()
            && current.is_bearish()
            && current.open >= previous.close
            && current.close <= previous.open
            && current.body() > previous.body()
    }
}

impl Indicator for BearishEngulfing {
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

impl fmt::Display for BearishEngulfing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BEARISH_ENGULFING")
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::super::shape::candle;
    use super::*;

    /// A bullish candle with body [9, 10].
    fn rising() -> Candle {
        candle(9.0, 10.5, 8.5, 10.0)
    }

    #[rstest]
    #[case::covers_and_is_larger(rising(), candle(10.0, 10.2, 7.5, 8.0), true)]
    #[case::opens_above_and_closes_below(rising(), candle(10.1, 10.2, 8.8, 8.9), true)]
    #[case::identical_body(rising(), candle(10.0, 10.2, 8.9, 9.0), false)]
    #[case::closes_inside(rising(), candle(10.0, 10.1, 9.0, 9.2), false)]
    #[case::opens_below_previous_close(rising(), candle(9.8, 9.9, 7.5, 8.0), false)]
    #[case::current_is_bullish(rising(), candle(8.5, 11.5, 8.0, 11.0), false)]
    #[case::previous_is_bearish(candle(10.0, 10.5, 8.5, 9.0), candle(10.5, 11.0, 8.0, 8.5), false)]
    #[case::previous_is_flat(candle(10.0, 10.5, 8.5, 10.0), candle(10.5, 11.0, 8.0, 8.5), false)]
    fn recognises_bearish_engulfing(
        #[case] previous: Candle,
        #[case] current: Candle,
        #[case] expected: bool,
    ) {
        let mut p = BearishEngulfing::new();
        assert_eq!(p.update(&previous), None);
        assert_eq!(p.update(&current), Some(expected));
    }

    #[test]
    fn slides_over_pairs_and_replays_after_reset() {
        let candles = [rising(), candle(10.0, 10.2, 7.5, 8.0), rising(), rising()];
        let mut p = BearishEngulfing::new();
        let first = crate::batch(&mut p, &candles);
        assert_eq!(first, vec![None, Some(true), Some(false), Some(false)]);
        p.reset();
        assert_eq!(crate::batch(&mut p, &candles), first);
    }

    #[test]
    fn displays_its_name() {
        assert_eq!(BearishEngulfing::new().to_string(), "BEARISH_ENGULFING");
    }
}
