//! Rolling minimum.

use std::fmt;

use sift_core::Candle;

use crate::window::RollingExtreme;
use crate::{Error, Indicator, SeriesIndicator, Source, check_period};

/// LOWEST(n): the smallest of the last `n` values, the current one included. Reads the candle
/// low unless configured otherwise (`lowest(close, 20)`).
///
/// Same values and first index as TA-Lib `MIN`: the first value at the `n`-th input (TA-Lib
/// rejects `n = 1`, which here is the input itself). A monotonic deque makes each update
/// amortized O(1). Inputs must not be NaN.
#[derive(Debug, Clone)]
pub struct Lowest {
    source: Source,
    window: RollingExtreme,
}

impl Lowest {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_period("lowest", "n", period)?;
        Ok(Self {
            source: Source::Low,
            window: RollingExtreme::min(period),
        })
    }

    /// Reads `source` instead of low.
    pub fn with_source(mut self, source: Source) -> Self {
        self.source = source;
        self
    }

    pub fn period(&self) -> usize {
        self.window.period()
    }

    /// How many bars ago the current minimum was set (0 = this bar); the most recent bar among
    /// equal minima. `None` before the first value.
    pub fn bars_since(&self) -> Option<usize> {
        self.window.is_full().then(|| self.window.ago()).flatten()
    }
}

impl Indicator for Lowest {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        self.next(self.source.of(candle))
    }

    fn reset(&mut self) {
        self.window.clear();
    }
}

impl SeriesIndicator for Lowest {
    #[inline]
    fn next(&mut self, value: f64) -> Option<f64> {
        let min = self.window.push(value);
        self.window.is_full().then_some(min)
    }
}

impl fmt::Display for Lowest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LOWEST({})", self.period())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::structure::Highest;

    #[test]
    fn takes_the_minimum_of_the_last_n_values() {
        let mut l = Lowest::new(3).unwrap();
        let out: Vec<_> = [5.0, 2.0, 4.0, 3.0, 6.0, 7.0, 1.0]
            .iter()
            .map(|&x| l.next(x))
            .collect();
        assert_eq!(
            out,
            vec![
                None,
                None,
                Some(2.0),
                Some(2.0),
                Some(3.0),
                Some(3.0),
                Some(1.0)
            ]
        );
        assert_eq!(l.bars_since(), Some(0));
    }

    #[test]
    fn reads_the_low_by_default_and_the_configured_source_otherwise() {
        let candles = [
            Candle::ohlcv(0, 10.0, 12.0, 9.0, 11.0, 1.0),
            Candle::ohlcv(1, 11.0, 15.0, 10.0, 10.5, 1.0),
        ];
        let mut by_low = Lowest::new(2).unwrap();
        let mut by_close = Lowest::new(2).unwrap().with_source(Source::Close);
        assert_eq!(crate::batch(&mut by_low, &candles), vec![None, Some(9.0)]);
        assert_eq!(
            crate::batch(&mut by_close, &candles),
            vec![None, Some(10.5)]
        );
        assert_eq!(by_close.bars_since(), Some(0));
    }

    #[test]
    fn period_one_is_the_input_itself() {
        let mut l = Lowest::new(1).unwrap();
        assert_eq!(l.next(3.0), Some(3.0));
        assert_eq!(l.next(-2.0), Some(-2.0));
    }

    #[test]
    fn zero_period_is_an_error() {
        assert!(Lowest::new(0).is_err());
    }

    #[test]
    fn reset_then_replay_gives_the_same_values() {
        let xs = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        let mut l = Lowest::new(3).unwrap();
        let first: Vec<_> = xs.iter().map(|&x| l.next(x)).collect();
        l.reset();
        let second: Vec<_> = xs.iter().map(|&x| l.next(x)).collect();
        assert_eq!(first, second);
    }

    #[test]
    fn displays_its_period() {
        assert_eq!(Lowest::new(20).unwrap().to_string(), "LOWEST(20)");
    }

    proptest! {
        #[test]
        fn lowest_and_highest_bound_the_window(
            xs in prop::collection::vec(-1e6..1e6f64, 0..100),
            n in 1usize..12,
        ) {
            let mut lo = Lowest::new(n).unwrap();
            let mut hi = Highest::new(n).unwrap();
            for (i, &x) in xs.iter().enumerate() {
                let (l, h) = (lo.next(x), hi.next(x));
                if i + 1 < n {
                    prop_assert_eq!((l, h), (None, None));
                    continue;
                }
                let window = &xs[i + 1 - n..=i];
                let min = window.iter().copied().fold(f64::INFINITY, f64::min);
                let max = window.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                prop_assert_eq!((l, h), (Some(min), Some(max)));
                prop_assert!(min <= max);
            }
        }
    }
}
