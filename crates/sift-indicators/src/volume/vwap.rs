//! Anchored volume-weighted average price.

use std::fmt;

use sift_core::Candle;

use super::Anchor;
use crate::Indicator;

/// VWAP: the volume-weighted average typical price since the start of the current anchor
/// period (a UTC day by default; see [`Anchor`]).
///
/// `vwap = sum(tp * volume) / sum(volume)` over the candles of the period so far, with the
/// typical price `tp = (high + low + close) / 3`. Both sums restart at the first candle of each
/// period, chosen by its open time. A value from the first candle on.
///
/// Matches TA-Lib `VWAP` within one anchor period (TA-Lib takes no timestamps and accumulates
/// over whatever range it is given, so `Anchor::Session` over a whole series is TA-Lib's
/// `VWAP` of that series), including its arithmetic and its handling of a candle whose
/// typical price or volume is not finite (skipped: it adds to neither sum). One deliberate
/// difference: while the period's volume sum is not positive (only zero-volume candles so
/// far) the value is defined as the current candle's typical price, where TA-Lib repeats its
/// last value, which is 0 before any volume. Zero-volume candles after the first traded one
/// leave the value unchanged in both.
#[derive(Debug, Clone, Default)]
pub struct Vwap {
    anchor: Anchor,
    sums: AnchoredSums,
}

/// The running sums of one anchor period, shared with [`VwapBands`](super::VwapBands).
#[derive(Debug, Clone, Default)]
pub(crate) struct AnchoredSums {
    period: Option<i64>,
    pub(crate) price_volume: f64,
    pub(crate) volume: f64,
}

impl AnchoredSums {
    /// Restarts the sums when `candle` opens a new anchor period; `true` when it does.
    #[inline]
    pub(crate) fn roll(&mut self, anchor: Anchor, candle: &Candle) -> bool {
        let period = anchor.period_of(candle.open_time);
        if self.period == Some(period) {
            return false;
        }
        *self = Self {
            period: Some(period),
            price_volume: 0.0,
            volume: 0.0,
        };
        true
    }

    /// Adds a candle with typical price `tp`; `false` (and nothing added) when `tp` or the
    /// volume is not finite.
    #[inline]
    pub(crate) fn add(&mut self, tp: f64, volume: f64) -> bool {
        let weighted = tp * volume;
        if !(tp.is_finite() && volume.is_finite()) {
            return false;
        }
        self.price_volume += weighted;
        self.volume += volume;
        true
    }

    /// The volume-weighted average, or `tp` while no volume has traded in the period.
    #[inline]
    pub(crate) fn average_or(&self, tp: f64) -> f64 {
        if self.volume > 0.0 {
            self.price_volume / self.volume
        } else {
            tp
        }
    }
}

impl Vwap {
    /// VWAP restarting every UTC day.
    pub fn new() -> Self {
        Self::default()
    }

    /// VWAP restarting at each `anchor` period.
    pub fn anchored(anchor: Anchor) -> Self {
        Self {
            anchor,
            sums: AnchoredSums::default(),
        }
    }

    pub fn anchor(&self) -> Anchor {
        self.anchor
    }
}

impl Indicator for Vwap {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        self.sums.roll(self.anchor, candle);
        let tp = candle.hlc3();
        self.sums.add(tp, candle.volume);
        Some(self.sums.average_or(tp))
    }

    fn reset(&mut self) {
        self.sums = AnchoredSums::default();
    }
}

impl fmt::Display for Vwap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VWAP({})", self.anchor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch;

    const HOUR: i64 = 3_600_000;
    const TOL: f64 = 1e-12;

    fn bar(hour: i64, tp: f64, volume: f64) -> Candle {
        Candle::ohlcv(hour * HOUR, tp, tp, tp, tp, volume)
    }

    #[test]
    fn weights_typical_price_by_volume_and_restarts_each_day() {
        let bars = [
            bar(22, 10.0, 1.0),
            bar(23, 13.0, 2.0),
            bar(24, 20.0, 1.0),
            bar(25, 30.0, 3.0),
        ];
        let mut vwap = Vwap::new();
        let out: Vec<f64> = batch(&mut vwap, &bars).into_iter().flatten().collect();
        assert_eq!(out.len(), 4);
        assert!((out[1] - 12.0).abs() < TOL);
        assert_eq!(out[2], 20.0, "a new UTC day restarts the sums");
        assert!((out[3] - 27.5).abs() < TOL);
        let mut session = Vwap::anchored(Anchor::Session);
        let all = batch(&mut session, &bars);
        assert!((all[3].unwrap() - 146.0 / 7.0).abs() < TOL);
        vwap.reset();
        assert_eq!(
            batch(&mut vwap, &bars)
                .into_iter()
                .flatten()
                .collect::<Vec<_>>(),
            out
        );
    }

    #[test]
    fn no_volume_yet_gives_the_typical_price() {
        let mut vwap = Vwap::new();
        let out = batch(
            &mut vwap,
            &[
                bar(0, 10.0, 0.0),
                bar(1, 12.0, 0.0),
                bar(2, 14.0, 2.0),
                bar(3, 50.0, 0.0),
            ],
        );
        assert_eq!(out, vec![Some(10.0), Some(12.0), Some(14.0), Some(14.0)]);
        assert_eq!(vwap.to_string(), "VWAP(day)");
    }
}
