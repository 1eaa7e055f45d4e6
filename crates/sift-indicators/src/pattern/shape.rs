//! The measures of one candle that TA-Lib's candle patterns compare.

use sift_core::Candle;

/// One candle reduced to its prices, with the measures TA-Lib's pattern functions are written
/// in (the candle macros of its `ta_utility.h`), computed the same way:
///
/// - real body `|close - open|`; high-low range `high - low`;
/// - white when `close >= open` (TA-Lib counts an unchanged candle as white), black when
///   `close < open`;
/// - upper shadow `high - (close if white else open)`; lower shadow
///   `(open if white else close) - low`;
/// - body bottom `min(open, close)` and body top `max(open, close)`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
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
    pub(crate) fn is_white(&self) -> bool {
        self.close >= self.open
    }

    #[inline]
    pub(crate) fn is_black(&self) -> bool {
        !self.is_white()
    }

    #[inline]
    pub(crate) fn real_body(&self) -> f64 {
        (self.close - self.open).abs()
    }

    #[inline]
    pub(crate) fn high_low_range(&self) -> f64 {
        self.high - self.low
    }

    #[inline]
    pub(crate) fn upper_shadow(&self) -> f64 {
        self.high
            - if self.is_white() {
                self.close
            } else {
                self.open
            }
    }

    #[inline]
    pub(crate) fn lower_shadow(&self) -> f64 {
        (if self.is_white() {
            self.open
        } else {
            self.close
        }) - self.low
    }

    #[inline]
    pub(crate) fn body_bottom(&self) -> f64 {
        self.open.min(self.close)
    }

    #[inline]
    pub(crate) fn body_top(&self) -> f64 {
        self.open.max(self.close)
    }
}

/// A candle from open, high, low, close, for pattern tests.
#[cfg(test)]
pub(crate) fn candle(open: f64, high: f64, low: f64, close: f64) -> Candle {
    Candle::ohlcv(0, open, high, low, close, 1.0)
}

/// `n` identical white candles with body 1 and range 2 (open 100, high 101.5, low 99.5,
/// close 101), to warm patterns up with round averages: every mean body is 1 and every mean
/// range is 2.
#[cfg(test)]
pub(crate) fn background(n: usize) -> Vec<Candle> {
    vec![candle(100.0, 101.5, 99.5, 101.0); n]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_body_range_and_shadows() {
        let s = Shape::of(&candle(10.0, 13.0, 7.0, 9.0));
        assert_eq!((s.real_body(), s.high_low_range()), (1.0, 6.0));
        assert_eq!((s.upper_shadow(), s.lower_shadow()), (3.0, 2.0));
        assert_eq!((s.body_bottom(), s.body_top()), (9.0, 10.0));
        assert!(s.is_black() && !s.is_white());
    }

    #[test]
    fn an_unchanged_candle_is_white() {
        let flat = Shape::of(&candle(5.0, 6.0, 4.0, 5.0));
        assert!(flat.is_white() && !flat.is_black());
        assert_eq!((flat.upper_shadow(), flat.lower_shadow()), (1.0, 1.0));
    }
}
