//! Rolling maximum and minimum: one implementation, mirrored by [`Side`].

use std::fmt;
use std::marker::PhantomData;

use sift_core::Candle;

use super::side::{High, Low, Side};
use crate::window::RollingExtreme;
use crate::{Error, Indicator, SeriesIndicator, Source, check_period};

/// HIGHEST(n): the largest of the last `n` values, the current one included. Reads the candle
/// high unless configured otherwise (`highest(close, 20)`).
///
/// Same values and first index as TA-Lib `MAX`: the first value at the `n`-th input (TA-Lib
/// rejects `n = 1`, which here is the input itself). Inputs must not be NaN.
pub type Highest = Extremum<High>;

/// LOWEST(n): the smallest of the last `n` values, the current one included. Reads the candle
/// low unless configured otherwise (`lowest(close, 20)`).
///
/// Same values and first index as TA-Lib `MIN`: the first value at the `n`-th input (TA-Lib
/// rejects `n = 1`, which here is the input itself). Inputs must not be NaN.
pub type Lowest = Extremum<Low>;

/// The extreme on side `S` of the last `n` values, the current one included: [`Highest`] or
/// [`Lowest`]. A monotonic deque makes each update amortized O(1).
#[derive(Debug, Clone)]
pub struct Extremum<S: Side> {
    source: Source,
    window: RollingExtreme,
    side: PhantomData<S>,
}

impl<S: Side> Extremum<S> {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_period(S::EXTREMUM_NAME, "n", period)?;
        Ok(Self {
            source: S::SOURCE,
            window: RollingExtreme::new(period, S::EXTREME),
            side: PhantomData,
        })
    }

    /// Reads `source` instead of the side's default (high for [`Highest`], low for [`Lowest`]).
    pub fn with_source(mut self, source: Source) -> Self {
        self.source = source;
        self
    }

    pub fn period(&self) -> usize {
        self.window.period()
    }

    /// How many bars ago the current extreme (maximum for [`Highest`], minimum for [`Lowest`])
    /// was set (0 = this bar); the most recent bar among equal extremes. `None` before the
    /// first value.
    pub fn bars_since(&self) -> Option<usize> {
        self.window.is_full().then(|| self.window.ago()).flatten()
    }
}

impl<S: Side> Indicator for Extremum<S> {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        self.next(self.source.of(candle))
    }

    fn reset(&mut self) {
        self.window.clear();
    }
}

impl<S: Side> SeriesIndicator for Extremum<S> {
    #[inline]
    fn next(&mut self, value: f64) -> Option<f64> {
        let extreme = self.window.push(value);
        self.window.is_full().then_some(extreme)
    }
}

impl<S: Side> fmt::Display for Extremum<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", S::EXTREMUM_LABEL, self.period())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn run(indicator: &mut impl SeriesIndicator<Output = f64>, xs: &[f64]) -> Vec<Option<f64>> {
        xs.iter().map(|&x| indicator.next(x)).collect()
    }

    #[test]
    fn takes_the_extreme_of_the_last_n_values() {
        let mut h = Highest::new(3).unwrap();
        assert_eq!(
            run(&mut h, &[1.0, 4.0, 2.0, 3.0, 1.0, 0.5, 6.0]),
            [
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
        let mut l = Lowest::new(3).unwrap();
        assert_eq!(
            run(&mut l, &[5.0, 2.0, 4.0, 3.0, 6.0, 7.0, 1.0]),
            [
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
    fn reads_its_side_by_default_and_the_configured_source_otherwise() {
        let candles = [
            Candle::ohlcv(0, 10.0, 12.0, 9.0, 11.0, 1.0),
            Candle::ohlcv(1, 11.0, 15.0, 10.0, 10.5, 1.0),
        ];
        let mut by_high = Highest::new(2).unwrap();
        let mut by_close = Highest::new(2).unwrap().with_source(Source::Close);
        assert_eq!(crate::batch(&mut by_high, &candles), [None, Some(15.0)]);
        assert_eq!(crate::batch(&mut by_close, &candles), [None, Some(11.0)]);
        assert_eq!(by_close.bars_since(), Some(1));
        let mut by_low = Lowest::new(2).unwrap();
        let mut by_close = Lowest::new(2).unwrap().with_source(Source::Close);
        assert_eq!(crate::batch(&mut by_low, &candles), [None, Some(9.0)]);
        assert_eq!(crate::batch(&mut by_close, &candles), [None, Some(10.5)]);
        assert_eq!(by_close.bars_since(), Some(0));
    }

    fn period_one_is_the_input_itself<S: Side>() {
        let mut e = Extremum::<S>::new(1).unwrap();
        assert_eq!(run(&mut e, &[3.0, -2.0]), [Some(3.0), Some(-2.0)]);
    }

    fn reset_then_replay_gives_the_same_values<S: Side>() {
        let xs = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        let mut e = Extremum::<S>::new(3).unwrap();
        let first = run(&mut e, &xs);
        e.reset();
        assert_eq!(run(&mut e, &xs), first);
    }

    #[test]
    fn both_sides_share_the_window_mechanics() {
        period_one_is_the_input_itself::<High>();
        period_one_is_the_input_itself::<Low>();
        reset_then_replay_gives_the_same_values::<High>();
        reset_then_replay_gives_the_same_values::<Low>();
        assert!(Highest::new(0).is_err());
        assert!(Lowest::new(0).is_err());
    }

    #[test]
    fn displays_its_side_and_period() {
        assert_eq!(Highest::new(20).unwrap().to_string(), "HIGHEST(20)");
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
