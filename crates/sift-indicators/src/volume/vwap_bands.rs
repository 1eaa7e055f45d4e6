//! Anchored VWAP with standard deviation bands.

use std::fmt;

use sift_core::Candle;

use super::Anchor;
use super::vwap::AnchoredSums;
use crate::{Error, Indicator, check_non_negative, impl_outputs};

/// One row of VWAP bands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VwapBandsOutput {
    pub vwap: f64,
    pub upper: f64,
    pub lower: f64,
}

impl_outputs!(VwapBandsOutput { vwap, upper, lower });

/// VWAP_BANDS(mult): the anchored [`Vwap`](super::Vwap) with bands `mult` volume-weighted
/// standard deviations of the typical price away. No TA-Lib equivalent.
///
/// Over the candles of the current anchor period (a UTC day by default), with typical price
/// `tp` and volume `v`:
///
/// - `vwap = sum(v * tp) / sum(v)`, exactly as [`Vwap`](super::Vwap) computes it;
/// - `sd = sqrt(max(0, sum(v * d^2) / sum(v) - (sum(v * d) / sum(v))^2))` with
///   `d = tp - s`, the deviation from `s`, the typical price of the period's first candle. This
///   is the volume-weighted population standard deviation of `tp` around the VWAP; measuring
///   from `s` instead of from 0 keeps it from cancelling two numbers of size `price^2`;
/// - `upper = vwap + mult * sd`, `lower = vwap - mult * sd`.
///
/// While the period's volume sum is not positive, `vwap` is the candle's typical price and
/// `sd = 0`, so the bands sit on it. A value from the first candle on; `mult` must be finite and
/// non-negative.
#[derive(Debug, Clone)]
pub struct VwapBands {
    mult: f64,
    anchor: Anchor,
    sums: AnchoredSums,
    /// The period's first typical price, the origin of the deviations.
    shift: Option<f64>,
    dev_volume: f64,
    dev2_volume: f64,
}

impl VwapBands {
    /// Bands restarting every UTC day.
    pub fn new(mult: f64) -> Result<Self, Error> {
        Self::anchored(mult, Anchor::Day)
    }

    /// Bands restarting at each `anchor` period.
    pub fn anchored(mult: f64, anchor: Anchor) -> Result<Self, Error> {
        let mult = check_non_negative("vwap_bands", "mult", mult)?;
        Ok(Self {
            mult,
            anchor,
            sums: AnchoredSums::default(),
            shift: None,
            dev_volume: 0.0,
            dev2_volume: 0.0,
        })
    }
}

impl Indicator for VwapBands {
    type Output = VwapBandsOutput;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<VwapBandsOutput> {
        if self.sums.roll(self.anchor, candle) {
            self.shift = None;
            self.dev_volume = 0.0;
            self.dev2_volume = 0.0;
        }
        let tp = candle.hlc3();
        let volume = candle.volume;
        if self.sums.add(tp, volume) {
            let d = tp - *self.shift.get_or_insert(tp);
            self.dev_volume += d * volume;
            self.dev2_volume += d * d * volume;
        }
        let vwap = self.sums.average_or(tp);
        let sd = if self.sums.volume > 0.0 {
            let mean = self.dev_volume / self.sums.volume;
            (self.dev2_volume / self.sums.volume - mean * mean)
                .max(0.0)
                .sqrt()
        } else {
            0.0
        };
        let band = self.mult * sd;
        Some(VwapBandsOutput {
            vwap,
            upper: vwap + band,
            lower: vwap - band,
        })
    }

    fn reset(&mut self) {
        self.sums = AnchoredSums::default();
        self.shift = None;
        self.dev_volume = 0.0;
        self.dev2_volume = 0.0;
    }
}

impl fmt::Display for VwapBands {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VWAP_BANDS({}, {})", self.mult, self.anchor)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::batch;

    const HOUR: i64 = 3_600_000;
    const TOL: f64 = 1e-9;

    fn bar(hour: i64, tp: f64, volume: f64) -> Candle {
        Candle::ohlcv(hour * HOUR, tp, tp, tp, tp, volume)
    }

    #[test]
    fn weighted_deviation_around_the_vwap() {
        // tp 10 (v 1) and 13 (v 2): vwap 12, weighted variance (1 * 4 + 2 * 1) / 3 = 2.
        let bars = [bar(0, 10.0, 1.0), bar(1, 13.0, 2.0), bar(24, 20.0, 1.0)];
        let mut vb = VwapBands::new(2.0).unwrap();
        let out = batch(&mut vb, &bars);
        assert_eq!(
            out[0],
            Some(VwapBandsOutput {
                vwap: 10.0,
                upper: 10.0,
                lower: 10.0
            })
        );
        let row = out[1].unwrap();
        assert!((row.vwap - 12.0).abs() < TOL);
        assert!((row.upper - (12.0 + 2.0 * 2f64.sqrt())).abs() < TOL);
        assert!((row.lower - (12.0 - 2.0 * 2f64.sqrt())).abs() < TOL);
        assert_eq!(
            out[2],
            Some(VwapBandsOutput {
                vwap: 20.0,
                upper: 20.0,
                lower: 20.0
            })
        );
        vb.reset();
        assert_eq!(batch(&mut vb, &bars), out);
    }

    #[test]
    fn invalid_mult_and_display() {
        assert!(VwapBands::new(-1.0).is_err());
        assert!(VwapBands::new(f64::INFINITY).is_err());
        assert_eq!(
            VwapBands::new(1.0).unwrap().to_string(),
            "VWAP_BANDS(1, day)"
        );
    }

    proptest! {
        #[test]
        fn bands_surround_the_vwap(
            bars in prop::collection::vec((1e5f64..1e6, 0.0f64..100.0), 1..80),
            mult in 0.0f64..4.0,
        ) {
            let candles: Vec<_> = bars.iter().enumerate().map(|(i, &(tp, v))| bar(i as i64, tp, v)).collect();
            let mut vb = VwapBands::anchored(mult, Anchor::Session).unwrap();
            for row in batch(&mut vb, &candles).into_iter().flatten() {
                prop_assert!(row.lower <= row.vwap && row.vwap <= row.upper);
            }
        }
    }
}
