//! The parts of a candle that pattern definitions compare.

use sift_core::Candle;

/// One candle reduced to its prices, with the measures the patterns are defined on.
///
/// - body: `|close - open|`; range: `high - low`;
/// - upper shadow: `high - max(open, close)`; lower shadow: `min(open, close) - low`;
/// - bullish: `close > open`; bearish: `close < open` (a candle with `close == open` is neither).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Shape {
    pub(crate) open: f64,
    pub(crate) high: f64,
    pub(crate) low: f64,
    pub(crate) close: f64,
}

impl Shape {
    #[inline]
    pub(crate) fn of(c: &Candle) -> Self {
        Self {
            open: c.open,
            high: c.high,
            low: c.low,
            close: c.close,
        }
    }

    #[inline]
    pub(crate) fn body(&self) -> f64 {
        (self.close - self.open).abs()
    }

    #[inline]
    pub(crate) fn range(&self) -> f64 {
        self.high - self.low
    }

    #[inline]
    pub(crate) fn upper_shadow(&self) -> f64 {
        self.high - self.open.max(self.close)
    }

    #[inline]
    pub(crate) fn lower_shadow(&self) -> f64 {
        self.open.min(self.close) - self.low
    }

    #[inline]
    pub(crate) fn is_bullish(&self) -> bool {
        self.close > self.open
    }

    #[inline]
    pub(crate) fn is_bearish(&self) -> bool {
        self.close < self.open
    }
}

/// A candle from open, high, low, close, for pattern tests.
#[cfg(test)]
pub(crate) fn candle(open: f64, high: f64, low: f64, close: f64) -> Candle {
    Candle::ohlcv(0, open, high, low, close, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_body_range_and_shadows() {
        let s = Shape::of(&candle(10.0, 13.0, 7.0, 9.0));
        assert_eq!((s.body(), s.range()), (1.0, 6.0));
        assert_eq!((s.upper_shadow(), s.lower_shadow()), (3.0, 2.0));
        assert!(s.is_bearish() && !s.is_bullish());
        let flat = Shape::of(&candle(5.0, 6.0, 4.0, 5.0));
        assert!(!flat.is_bearish() && !flat.is_bullish());
    }
}
