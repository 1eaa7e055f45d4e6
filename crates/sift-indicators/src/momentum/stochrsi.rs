//! Stochastic RSI.

use std::fmt;

use sift_core::Candle;

use super::Rsi;
use super::stoch::{StochCore, StochOutput};
use crate::{Error, Indicator, SeriesIndicator, Source};

/// STOCHRSI(rsi, stoch, k, d): the slow stochastic of the RSI, TradingView's "Stoch RSI".
///
/// Defined on TA-Lib: with `r = RSI(x, rsi)` (see [`Rsi`]), the output is TA-Lib
/// `STOCH(r, r, r, stoch, k, SMA, d, SMA)`, i.e. [`Stoch`](super::Stoch) with the RSI series as
/// high, low and close: raw %K `= ((r - min r) / (max r - min r)) * 100` over `stoch` RSI
/// values, `k` its SMA over `k`, `d` the SMA of `k` over `d`. (TA-Lib's own `STOCHRSI` is the
/// fast variant without the `k` smoothing.) The first row appears at index
/// `rsi + (stoch - 1) + (k - 1) + (d - 1)`.
///
/// When the RSI is flat over the window (within `1e-14` relative, e.g. pinned at 100 in a
/// steady rise) the raw %K is 0, as in TA-Lib's STOCH.
#[derive(Debug, Clone)]
pub struct StochRsi {
    periods: (usize, usize, usize, usize),
    source: Source,
    rsi: Rsi,
    stoch: StochCore,
}

impl StochRsi {
    pub fn new(rsi: usize, stoch: usize, k: usize, d: usize) -> Result<Self, Error> {
        let rsi_indicator = Rsi::new(rsi).map_err(|e| e.for_param("stochrsi", "rsi"))?;
        let core = StochCore::new("stochrsi", ("stoch", stoch), ("k", k), ("d", d))?;
        Ok(Self {
            periods: (rsi, stoch, k, d),
            source: Source::Close,
            rsi: rsi_indicator,
            stoch: core,
        })
    }

    /// Reads `source` instead of close.
    pub fn with_source(mut self, source: Source) -> Self {
        self.source = source;
        self
    }

    /// `(rsi, stoch, k, d)`.
    pub fn periods(&self) -> (usize, usize, usize, usize) {
        self.periods
    }
}

impl Indicator for StochRsi {
    type Output = StochOutput;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<StochOutput> {
        self.next(self.source.of(candle))
    }

    fn reset(&mut self) {
        self.rsi.reset();
        self.stoch.reset();
    }
}

impl SeriesIndicator for StochRsi {
    #[inline]
    fn next(&mut self, value: f64) -> Option<StochOutput> {
        let r = self.rsi.next(value)?;
        self.stoch.next(r, r, r)
    }
}

impl fmt::Display for StochRsi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (rsi, stoch, k, d) = self.periods;
        write!(f, "STOCHRSI({rsi}, {stoch}, {k}, {d})")
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn run(s: &mut StochRsi, xs: &[f64]) -> Vec<Option<StochOutput>> {
        xs.iter().map(|&x| s.next(x)).collect()
    }

    #[test]
    fn is_the_stochastic_of_the_rsi() {
        let xs = [10.0, 12.0, 11.0, 14.0, 13.0, 13.5];
        let mut rsi = Rsi::new(2).unwrap();
        let rs: Vec<f64> = xs.iter().filter_map(|&x| rsi.next(x)).collect();
        let mut s = StochRsi::new(2, 2, 1, 1).unwrap();
        let out = run(&mut s, &xs);
        assert_eq!(out[..3], [None, None, None]);
        for (i, pair) in rs.windows(2).enumerate() {
            let (lo, hi) = (pair[0].min(pair[1]), pair[0].max(pair[1]));
            let k = ((pair[1] - lo) / (hi - lo)) * 100.0;
            assert_eq!(out[i + 3], Some(StochOutput { k, d: k }), "row {}", i + 3);
        }
    }

    #[test]
    fn first_row_index() {
        let xs: Vec<f64> = (0..60).map(|i| 100.0 + ((i * 13) % 7) as f64).collect();
        let mut s = StochRsi::new(14, 14, 3, 3).unwrap();
        // rsi + (stoch - 1) + (k - 1) + (d - 1)
        assert_eq!(run(&mut s, &xs).iter().position(Option::is_some), Some(31));
        assert_eq!(s.to_string(), "STOCHRSI(14, 14, 3, 3)");
    }

    #[test]
    fn steady_rise_pins_rsi_and_gives_zero() {
        let xs: Vec<f64> = (0..12).map(f64::from).collect();
        let mut s = StochRsi::new(2, 3, 1, 1).unwrap();
        assert_eq!(run(&mut s, &xs)[11], Some(StochOutput { k: 0.0, d: 0.0 }));
    }

    #[test]
    fn invalid_periods_are_errors() {
        let err = StochRsi::new(1, 14, 3, 3).unwrap_err();
        assert!(err.to_string().contains("stochrsi: parameter rsi"), "{err}");
        assert!(StochRsi::new(14, 0, 3, 3).is_err());
        assert!(StochRsi::new(14, 14, 0, 3).is_err());
        assert!(StochRsi::new(14, 14, 3, 0).is_err());
    }

    #[test]
    fn reset_then_replay_gives_the_same_values() {
        let xs: Vec<f64> = (0..50).map(|i| 20.0 + ((i * 11) % 9) as f64).collect();
        let mut s = StochRsi::new(3, 4, 2, 2).unwrap();
        let first = run(&mut s, &xs);
        s.reset();
        assert_eq!(first, run(&mut s, &xs));
    }

    proptest! {
        #[test]
        fn stays_within_0_and_100(
            xs in prop::collection::vec(1e-8f64..1e6, 2..150),
            rsi in 2usize..10, stoch in 1usize..10, k in 1usize..4, d in 1usize..4,
        ) {
            let mut s = StochRsi::new(rsi, stoch, k, d).unwrap();
            for out in run(&mut s, &xs).into_iter().flatten() {
                // SMAs of values in [0, 100] can leave the range by rounding only.
                prop_assert!(out.k >= -1e-9 && out.k <= 100.0 + 1e-9, "{out:?}");
                prop_assert!(out.d >= -1e-9 && out.d <= 100.0 + 1e-9, "{out:?}");
            }
        }
    }
}
