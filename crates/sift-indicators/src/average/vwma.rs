//! Volume-weighted moving average.

use std::fmt;

use sift_core::Candle;

use crate::dynamic::DynIndicator;
use crate::window::Ring;
use crate::{Error, Indicator, Outputs, Source, check_period};

/// VWMA(n) = `sum(price * volume) / sum(volume)` over the last `n` candles. Matches TA-Lib
/// `VWMA(price, volume, n)` (and TradingView's `ta.vwma`). First value at the `n`-th candle.
///
/// The price is the close unless configured otherwise ([`Vwma::with_source`], or a derived
/// series through the registry); the weight is always the candle's base-asset volume, assumed
/// non-negative.
///
/// When every volume in the window is zero the weighted mean is 0/0, which is undefined, so
/// VWMA is not ready there (`None`, an undefined value to the rule language) until a candle
/// with volume enters the window. Zero volumes are counted exactly, so this does not depend on
/// rounding. TA-Lib gives NaN there when its running sums happen to cancel exactly, and
/// otherwise divides their rounding residues, an arbitrary number; the golden data expects
/// Sift's `None`. For `n = 1` the output is the price itself, whatever the volume, as TA-Lib
/// does (`p * v / v` does not always round-trip).
///
/// O(1) per update with two running sums (price times volume, and volume) kept with Neumaier
/// compensation, so adding a value and later removing it leaves an error of a few ulps of the
/// current sums rather than of the largest sum ever held (a 1000x volume spike leaving the
/// window does not spoil the quiet candles after it). TA-Lib keeps plain running sums; the two
/// agree to far better than 1e-9 relative unless the volumes span many orders of magnitude,
/// where Sift's value is the more accurate one.
#[derive(Debug, Clone)]
pub struct Vwma {
    period: usize,
    source: Source,
    /// (price, volume) of the window, as two rings of the same length.
    prices: Ring,
    volumes: Ring,
    sum_pv: CompensatedSum,
    sum_v: CompensatedSum,
    /// Candles in the window whose volume is exactly zero.
    zero_volumes: usize,
}

impl Vwma {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_period("vwma", "n", period)?;
        Ok(Self {
            period,
            source: Source::Close,
            prices: Ring::new(period),
            volumes: Ring::new(period),
            sum_pv: CompensatedSum::default(),
            sum_v: CompensatedSum::default(),
            zero_volumes: 0,
        })
    }

    /// Reads `source` as the price instead of close.
    pub fn with_source(mut self, source: Source) -> Self {
        self.source = source;
        self
    }

    pub fn period(&self) -> usize {
        self.period
    }

    /// Feeds the next price and its volume; `None` while warming up and while every volume
    /// in the window is zero.
    #[inline]
    pub fn next_weighted(&mut self, price: f64, volume: f64) -> Option<f64> {
        if self.period == 1 {
            return Some(price);
        }
        if let (Some(old_price), Some(old_volume)) =
            (self.prices.push(price), self.volumes.push(volume))
        {
            self.sum_pv.add(-(old_price * old_volume));
            self.sum_v.add(-old_volume);
            if old_volume == 0.0 {
                self.zero_volumes -= 1;
            }
        }
        self.sum_pv.add(price * volume);
        self.sum_v.add(volume);
        if volume == 0.0 {
            self.zero_volumes += 1;
        }
        if !self.prices.is_full() || self.zero_volumes == self.period {
            return None;
        }
        Some(self.sum_pv.value() / self.sum_v.value())
    }
}

impl Indicator for Vwma {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        self.next_weighted(self.source.of(candle), candle.volume)
    }

    fn reset(&mut self) {
        self.prices.clear();
        self.volumes.clear();
        self.sum_pv = CompensatedSum::default();
        self.sum_v = CompensatedSum::default();
        self.zero_volumes = 0;
    }
}

impl fmt::Display for Vwma {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VWMA({})", self.period)
    }
}

/// Boxes a [`Vwma`] for the registry. A derived series passed by the rule engine replaces the
/// price; the volume still comes from the candle.
pub(crate) fn boxed_vwma(vwma: Vwma) -> Box<dyn DynIndicator> {
    Box::new(VwmaAdapter(vwma))
}

#[derive(Debug)]
struct VwmaAdapter(Vwma);

impl fmt::Display for VwmaAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl DynIndicator for VwmaAdapter {
    fn fields(&self) -> &'static [&'static str] {
        <f64 as Outputs>::FIELDS
    }

    fn update(&mut self, candle: &Candle, source: Option<f64>, out: &mut [f64]) -> bool {
        if source.is_some_and(|x| !x.is_finite()) {
            return false; // "no value", per the `DynIndicator::update` contract
        }
        let price = source.unwrap_or_else(|| self.0.source.of(candle));
        match self.0.next_weighted(price, candle.volume) {
            Some(value) => {
                value.write_to(out);
                true
            }
            None => false,
        }
    }

    fn reset(&mut self) {
        self.0.reset();
    }
}

/// A running sum with Neumaier compensation: `value()` carries the rounding error of every
/// addition, so removing values (adding their negation) cancels them almost exactly.
#[derive(Debug, Clone, Copy, Default)]
struct CompensatedSum {
    sum: f64,
    compensation: f64,
}

impl CompensatedSum {
    #[inline]
    fn add(&mut self, x: f64) {
        let total = self.sum + x;
        // The exact rounding error of `sum + x`, computed from the larger operand.
        self.compensation += if self.sum.abs() >= x.abs() {
            (self.sum - total) + x
        } else {
            (x - total) + self.sum
        };
        self.sum = total;
    }

    #[inline]
    fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOL: f64 = 1e-12;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= TOL * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn weights_prices_by_volume() {
        let mut vwma = Vwma::new(2).unwrap();
        assert_eq!(vwma.next_weighted(10.0, 1.0), None);
        // (10 * 1 + 20 * 3) / 4 = 17.5
        assert_eq!(vwma.next_weighted(20.0, 3.0), Some(17.5));
        // (20 * 3 + 30 * 1) / 4 = 22.5
        assert_eq!(vwma.next_weighted(30.0, 1.0), Some(22.5));
    }

    #[test]
    fn zero_volume_window_is_not_ready() {
        let mut vwma = Vwma::new(2).unwrap();
        vwma.next_weighted(10.0, 5.0);
        assert_eq!(vwma.next_weighted(20.0, 0.0), Some(10.0));
        assert_eq!(vwma.next_weighted(40.0, 0.0), None);
        assert_eq!(vwma.next_weighted(45.0, 0.0), None);
        // One candle with volume is enough to weight again.
        assert_eq!(vwma.next_weighted(50.0, 2.0), Some(50.0));
    }

    #[test]
    fn period_one_is_the_price_whatever_the_volume() {
        let mut vwma = Vwma::new(1).unwrap();
        assert_eq!(vwma.next_weighted(0.1, 3.0), Some(0.1));
        assert_eq!(vwma.next_weighted(7.0, 0.0), Some(7.0));
    }

    #[test]
    fn a_huge_volume_leaving_does_not_spoil_the_rest() {
        let mut vwma = Vwma::new(2).unwrap();
        vwma.next_weighted(1.0, 1e12);
        vwma.next_weighted(3.0, 1e-6);
        let got = vwma.next_weighted(5.0, 3e-6).unwrap();
        // (3 * 1e-6 + 5 * 3e-6) / 4e-6 = 4.5
        assert!(close(got, 4.5), "{got}");
    }

    #[test]
    fn candles_weight_the_source_by_volume() {
        let mut vwma = Vwma::new(1).unwrap().with_source(Source::High);
        let candle = Candle::ohlcv(0, 1.0, 4.0, 0.5, 2.0, 10.0);
        assert_eq!(vwma.update(&candle), Some(4.0));
        assert_eq!(vwma.to_string(), "VWMA(1)");
    }

    #[test]
    fn adapter_takes_the_derived_series_as_the_price() {
        let mut boxed = boxed_vwma(Vwma::new(1).unwrap());
        let candle = Candle::ohlcv(0, 1.0, 4.0, 0.5, 2.0, 10.0);
        let mut out = [0.0];
        assert!(boxed.update(&candle, Some(7.0), &mut out));
        assert_eq!(out, [7.0]);
        assert!(boxed.update(&candle, None, &mut out));
        assert_eq!(out, [2.0]);
        assert!(boxed.fields().is_empty());
    }

    #[test]
    fn zero_period_is_an_error() {
        assert!(Vwma::new(0).is_err());
    }

    #[test]
    fn reset_then_replay_gives_the_same_values() {
        let bars = [
            (5.0, 1.0),
            (3.0, 0.0),
            (8.0, 2.0),
            (1.0, 0.0),
            (9.0, 4.0),
            (2.0, 1.5),
        ];
        let mut vwma = Vwma::new(3).unwrap();
        let first: Vec<_> = bars
            .iter()
            .map(|&(p, v)| vwma.next_weighted(p, v))
            .collect();
        vwma.reset();
        let second: Vec<_> = bars
            .iter()
            .map(|&(p, v)| vwma.next_weighted(p, v))
            .collect();
        assert_eq!(first, second);
    }
}
