//! Rolling maximum.

use std::fmt;

use sift_core::Candle;

use crate::window::RollingExtreme;
use crate::{Error, Indicator, SeriesIndicator, Source, check_period};

/// HIGHEST(n): the largest of the last `n` values, the current one included. Reads the candle
/// high unless configured otherwise (`highest(close, 20)`).
///
/// Same values and first index as TA-Lib `MAX`: the first value at the `n`-th input (TA-Lib
/// rejects `n = 1`, which here is the input itself). A monotonic deque makes each update
/// amortized O(1). Inputs must not be NaN.
#[derive(Debug, Clone)]
pub struct Highest {
    source: Source,
    window: RollingExtreme,
}

impl Highest {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_period("highest", "n", period)?;
        Ok(Self {
            source: Source::High,
            window: RollingExtreme::max(period),
        })
    }

    /// Reads `source` instead of high.
    pub fn with_source(mut self, source: Source) -> Self {
        self.source = source;
        self
    }

    pub fn period(&self) -> usize {
        self.window.period()
    }

    /// How many bars ago the current maximum was set (0 = this bar); the most recent bar among
    /// equal maxima. `None` before the first value.
    pub fn bars_since(&self) -> Option<usize> {
        self.window.is_full().then(|| self.window.ago()).flatten()
    }
}

impl Indicator for Highest {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        self.next(self.source.of(candle))
    }

    fn reset(&mut self) {
        self.window.clear();
    }
}

impl SeriesIndicator for Highest {
    #[inline]
    fn next(&mut self, value: f64) -> Option<f64> {
        let max = self.window.push(value);
        self.window.is_full().then_some(max)
    }
}

impl fmt::Display for Highest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HIGHEST({})", self.period())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_maximum_of_the_last_n_values() {
        let mut h = Highest::new(3).unwrap();
        let out: Vec<_> = [1.0, 4.0, 2.0, 3.0, 1.0, 0.5, 6.0]
            .iter()
            .map(|&x| h.next(x))
            .collect();
        assert_eq!(
            out,
            vec![
                None,
                None,
                Some(4.0),
                Some(4.0),
                Some(3.0),
                Some(3.0),
                Some(6.0)
            ]
        );
        assert_eq!(h.bars_since(), Some(0));
    }

    #[test]
    fn reads_the_high_by_default_and_the_configured_source_otherwise() {
        let candles = [
            Candle::ohlcv(0, 10.0, 12.0, 9.0, 11.0, 1.0),
            Candle::ohlcv(1, 11.0, 15.0, 10.0, 10.5, 1.0),
        ];
        let mut by_high = Highest::new(2).unwrap();
        let mut by_close = Highest::new(2).unwrap().with_source(Source::Close);
        assert_eq!(crate::batch(&mut by_high, &candles), vec![None, Some(15.0)]);
        assert_eq!(
            crate::batch(&mut by_close, &candles),
            vec![None, Some(11.0)]
        );
        assert_eq!(by_close.bars_since(), Some(1));
    }

    #[test]
    fn period_one_is_the_input_itself() {
        let mut h = Highest::new(1).unwrap();
        assert_eq!(h.next(3.0), Some(3.0));
        assert_eq!(h.next(-2.0), Some(-2.0));
    }

    #[test]
    fn zero_period_is_an_error() {
        assert!(Highest::new(0).is_err());
    }

    #[test]
    fn reset_then_replay_gives_the_same_values() {
        let xs = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        let mut h = Highest::new(3).unwrap();
        let first: Vec<_> = xs.iter().map(|&x| h.next(x)).collect();
        h.reset();
        let second: Vec<_> = xs.iter().map(|&x| h.next(x)).collect();
        assert_eq!(first, second);
    }

    #[test]
    fn displays_its_period() {
        assert_eq!(Highest::new(20).unwrap().to_string(), "HIGHEST(20)");
    }
}
