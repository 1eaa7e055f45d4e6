//! Slow stochastic oscillator.

use std::fmt;

use sift_core::Candle;

use super::is_zero_scaled;
use crate::average::Sma;
use crate::window::RollingExtreme;
use crate::{Error, Indicator, SeriesIndicator, check_period, impl_outputs};

/// One stochastic row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StochOutput {
    /// The smoothed (slow) %K.
    pub k: f64,
    /// The SMA of `k`.
    pub d: f64,
}

impl_outputs!(StochOutput { k, d });

/// STOCH(k, smooth_k, d): the slow stochastic. Matches TA-Lib `STOCH` with SMA smoothing for
/// both lines (`slowk_matype = slowd_matype = 0`).
///
/// The raw %K of a bar is `((close - lowest) / (highest - lowest)) * 100` over the last `k`
/// bars' lows and highs, computed in that order. The output `k` is the TA-Lib SMA of the raw
/// %K over `smooth_k` bars and `d` the SMA of `k` over `d` bars, so the first row appears at
/// index `(k - 1) + (smooth_k - 1) + (d - 1)`.
///
/// TA-Lib quirk: a window whose range is within `1e-14 * (|highest| + |lowest|)` of zero (a
/// flat market, however tiny the prices) gives a raw %K of 0 rather than 50. The highest high
/// and lowest low come from monotonic deques (amortized O(1)).
#[derive(Debug, Clone)]
pub struct Stoch {
    periods: (usize, usize, usize),
    core: StochCore,
}

impl Stoch {
    pub fn new(k: usize, smooth_k: usize, d: usize) -> Result<Self, Error> {
        let core = StochCore::new("stoch", ("k", k), ("smooth_k", smooth_k), ("d", d))?;
        Ok(Self {
            periods: (k, smooth_k, d),
            core,
        })
    }

    /// `(k, smooth_k, d)`.
    pub fn periods(&self) -> (usize, usize, usize) {
        self.periods
    }
}

impl Indicator for Stoch {
    type Output = StochOutput;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<StochOutput> {
        self.core.next(candle.high, candle.low, candle.close)
    }

    fn reset(&mut self) {
        self.core.reset();
    }
}

impl fmt::Display for Stoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (k, smooth_k, d) = self.periods;
        write!(f, "STOCH({k}, {smooth_k}, {d})")
    }
}

/// TA-Lib's STOCH over any (high, low, close) triple, shared with [`StochRsi`](super::StochRsi).
#[derive(Debug, Clone)]
pub(crate) struct StochCore {
    highest: RollingExtreme,
    lowest: RollingExtreme,
    smooth_k: Sma,
    smooth_d: Sma,
}

impl StochCore {
    /// Each period with its parameter name, for error messages; all must be at least 1.
    pub(crate) fn new(
        indicator: &'static str,
        k: (&'static str, usize),
        smooth_k: (&'static str, usize),
        d: (&'static str, usize),
    ) -> Result<Self, Error> {
        let window = check_period(indicator, k.0, k.1)?;
        let smooth_k = check_period(indicator, smooth_k.0, smooth_k.1)?;
        let d = check_period(indicator, d.0, d.1)?;
        Ok(Self {
            highest: RollingExtreme::max(window),
            lowest: RollingExtreme::min(window),
            smooth_k: Sma::new(smooth_k)?,
            smooth_d: Sma::new(d)?,
        })
    }

    #[inline]
    pub(crate) fn next(&mut self, high: f64, low: f64, close: f64) -> Option<StochOutput> {
        let highest = self.highest.push(high);
        let lowest = self.lowest.push(low);
        if !self.highest.is_full() {
            return None;
        }
        let range = highest - lowest;
        let raw_k = if is_zero_scaled(range, highest.abs() + lowest.abs()) {
            0.0
        } else {
            ((close - lowest) / range) * 100.0
        };
        let k = self.smooth_k.next(raw_k)?;
        let d = self.smooth_d.next(k)?;
        Some(StochOutput { k, d })
    }

    pub(crate) fn reset(&mut self) {
        self.highest.clear();
        self.lowest.clear();
        self.smooth_k.reset();
        self.smooth_d.reset();
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn bar(high: f64, low: f64, close: f64) -> Candle {
        Candle::ohlcv(0, close, high, low, close, 1.0)
    }

    fn run(stoch: &mut Stoch, bars: &[(f64, f64, f64)]) -> Vec<Option<StochOutput>> {
        bars.iter()
            .map(|&(h, l, c)| stoch.update(&bar(h, l, c)))
            .collect()
    }

    #[test]
    fn raw_k_is_the_close_within_the_range() {
        let mut stoch = Stoch::new(2, 1, 1).unwrap();
        let out = run(
            &mut stoch,
            &[(10.0, 0.0, 5.0), (12.0, 2.0, 3.0), (8.0, 4.0, 8.0)],
        );
        // window [0, 12]: (3 - 0) / 12 * 100 = 25; window [2, 12]: (8 - 2) / 10 * 100 = 60
        assert_eq!(
            out,
            vec![
                None,
                Some(StochOutput { k: 25.0, d: 25.0 }),
                Some(StochOutput { k: 60.0, d: 60.0 })
            ]
        );
    }

    #[test]
    fn smooths_k_then_d_with_smas() {
        let mut stoch = Stoch::new(1, 2, 2).unwrap();
        // k = 1: raw %K of each bar alone: 50, 100, 0, 25
        let bars = [
            (2.0, 0.0, 1.0),
            (2.0, 0.0, 2.0),
            (2.0, 0.0, 0.0),
            (4.0, 0.0, 1.0),
        ];
        let out = run(&mut stoch, &bars);
        // slow k: 75, 50, 12.5; d: 62.5, 31.25
        assert_eq!(out[..2], [None, None]);
        assert_eq!(out[2], Some(StochOutput { k: 50.0, d: 62.5 }));
        assert_eq!(out[3], Some(StochOutput { k: 12.5, d: 31.25 }));
    }

    #[test]
    fn flat_window_gives_zero_like_talib() {
        let mut stoch = Stoch::new(2, 1, 1).unwrap();
        let out = run(&mut stoch, &[(1e-8, 1e-8, 1e-8); 3]);
        assert_eq!(out[2], Some(StochOutput { k: 0.0, d: 0.0 }));
        // A range of a few ulps counts as flat too.
        let mut stoch = Stoch::new(2, 1, 1).unwrap();
        let up = 1.0 + 4.0 * f64::EPSILON;
        let out = run(&mut stoch, &[(up, 1.0, 1.0), (1.0, 1.0, up)]);
        assert_eq!(out[1], Some(StochOutput { k: 0.0, d: 0.0 }));
    }

    #[test]
    fn tiny_prices_are_not_flat() {
        let mut stoch = Stoch::new(2, 1, 1).unwrap();
        let out = run(&mut stoch, &[(3e-8, 1e-8, 2e-8), (3e-8, 1e-8, 1.5e-8)]);
        let k = out[1].map(|o| o.k).unwrap();
        assert!((k - 25.0).abs() < 1e-9, "{k}");
    }

    #[test]
    fn first_row_at_the_sum_of_the_lookbacks() {
        let bars: Vec<_> = (0..30)
            .map(|i| (i as f64 + 2.0, i as f64, i as f64 + 1.0))
            .collect();
        let mut stoch = Stoch::new(14, 3, 3).unwrap();
        assert_eq!(
            run(&mut stoch, &bars).iter().position(Option::is_some),
            Some(17)
        );
        assert_eq!(stoch.to_string(), "STOCH(14, 3, 3)");
    }

    #[test]
    fn zero_periods_are_errors() {
        assert!(Stoch::new(0, 3, 3).is_err());
        assert!(Stoch::new(14, 0, 3).is_err());
        assert!(Stoch::new(14, 3, 0).is_err());
    }

    #[test]
    fn reset_then_replay_gives_the_same_values() {
        let bars: Vec<_> = (0..40)
            .map(|i| ((i % 7) as f64 + 10.0, (i % 5) as f64, (i % 6) as f64 + 2.0))
            .collect();
        let mut stoch = Stoch::new(5, 2, 3).unwrap();
        let first = run(&mut stoch, &bars);
        stoch.reset();
        assert_eq!(first, run(&mut stoch, &bars));
    }

    proptest! {
        #[test]
        fn stays_within_0_and_100(
            bars in prop::collection::vec((1e-8f64..1e6, 0.0f64..1.0, 0.0f64..=1.0), 1..120),
            k in 1usize..15, smooth_k in 1usize..4, d in 1usize..4,
        ) {
            // low = mid * (1 - spread), high = mid, close between them.
            let bars: Vec<_> = bars
                .iter()
                .map(|&(mid, spread, at)| {
                    let low = mid * (1.0 - spread);
                    (mid, low, low + (mid - low) * at)
                })
                .collect();
            let mut stoch = Stoch::new(k, smooth_k, d).unwrap();
            for out in run(&mut stoch, &bars).into_iter().flatten() {
                // SMAs of values in [0, 100] can leave the range by rounding only.
                prop_assert!(out.k >= -1e-9 && out.k <= 100.0 + 1e-9, "{out:?}");
                prop_assert!(out.d >= -1e-9 && out.d <= 100.0 + 1e-9, "{out:?}");
            }
        }
    }
}
