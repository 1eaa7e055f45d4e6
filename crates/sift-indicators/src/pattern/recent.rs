//! The last few candles a pattern and its candle settings look back on.

use super::shape::Shape;

/// How many candles are kept: a power of two (so the ring index is a mask) above the deepest
/// look-back of any pattern, three black crows' running totals, which reach 12 candles back.
const CAPACITY: usize = 16;
const MASK: usize = CAPACITY - 1;

/// A ring of the last [`CAPACITY`] candles, with the count of candles seen.
#[derive(Debug, Clone, Default)]
pub(crate) struct Recent {
    shapes: [Shape; CAPACITY],
    /// Candles pushed since creation or the last [`clear`](Self::clear).
    seen: usize,
}

impl Recent {
    /// Appends the newest candle and returns its index in the series (0 for the first).
    #[inline]
    pub(crate) fn push(&mut self, shape: Shape) -> usize {
        let index = self.seen;
        self.shapes[index & MASK] = shape;
        self.seen = index + 1;
        index
    }

    /// The candle `ago` candles before the newest (`ago(0)` is the newest).
    ///
    /// # Panics
    /// In debug builds, if `ago` reaches past the candles kept; patterns only look back within
    /// their lookback, which the ring covers.
    #[inline]
    pub(crate) fn ago(&self, ago: usize) -> &Shape {
        debug_assert!(
            ago < CAPACITY && ago < self.seen,
            "looking back past the kept candles"
        );
        &self.shapes[self.seen.wrapping_sub(1 + ago) & MASK]
    }

    pub(crate) fn clear(&mut self) {
        self.seen = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(close: f64) -> Shape {
        Shape {
            open: close,
            high: close,
            low: close,
            close,
        }
    }

    #[test]
    fn indexes_from_the_newest_across_wraps() {
        let mut recent = Recent::default();
        for i in 0..40 {
            assert_eq!(recent.push(shape(i as f64)), i);
        }
        assert_eq!(recent.ago(0).close, 39.0);
        assert_eq!(recent.ago(15).close, 24.0);
        recent.clear();
        assert_eq!(recent.push(shape(7.0)), 0);
        assert_eq!(recent.ago(0).close, 7.0);
    }
}
