//! Money flow index.

use std::fmt;

use sift_core::Candle;

use super::{check_min_period, is_zero_scaled};
use crate::{Error, Indicator};

/// MFI(n): the volume-weighted RSI of the typical price `tp = (high + low + close) / 3`.
/// Matches TA-Lib 0.8 `MFI` operation by operation.
///
/// Each candle after the first has a money flow `tp * volume`, positive when `tp` rose and
/// negative when it fell; MFI is `100 * positive / (positive + negative)` over the last `n`
/// money flows, kept as running sums. The first value appears at the `n + 1`-th candle (index
/// `n`).
///
/// TA-Lib quirks, mirrored:
/// - a change of `tp` within `1e-14 * (|tp| + |previous tp|)` counts as no change: its flow is
///   0, so float noise in the typical price moves nothing;
/// - once a whole window of flows is zero, both sums are reset to exactly 0 (dropping their
///   rounding residue), and an empty window gives 0 rather than 50;
/// - the positive sum is clamped into `[0, total]`, so drift cannot leave `[0, 100]`.
///
/// `n` must be at least 2.
#[derive(Debug, Clone)]
pub struct Mfi {
    period: usize,
    /// Positive and negative flows by slot.
    flows: Vec<(f64, f64)>,
    slot: usize,
    /// Flows stored, counted up to `period`.
    filled: usize,
    prev_typical: Option<f64>,
    positive: f64,
    negative: f64,
    /// Consecutive zero flows, counted up to `period`.
    null_run: usize,
}

impl Mfi {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_min_period("mfi", "n", period, 2)?;
        Ok(Self {
            period,
            flows: vec![(0.0, 0.0); period],
            slot: 0,
            filled: 0,
            prev_typical: None,
            positive: 0.0,
            negative: 0.0,
            null_run: 0,
        })
    }

    pub fn period(&self) -> usize {
        self.period
    }
}

impl Indicator for Mfi {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        let typical = candle.hlc3();
        let prev = self.prev_typical.replace(typical)?;
        let window_full = self.filled == self.period;
        if window_full {
            let (old_positive, old_negative) = self.flows[self.slot];
            self.positive -= old_positive;
            self.negative -= old_negative;
        }
        let change = typical - prev;
        let flow = if is_zero_scaled(change, typical.abs() + prev.abs()) {
            0.0
        } else {
            typical * candle.volume
        };
        let (positive, negative) = if change < 0.0 {
            (0.0, flow)
        } else {
            (flow, 0.0)
        };
        self.flows[self.slot] = (positive, negative);
        self.positive += positive;
        self.negative += negative;
        self.null_run = if flow == 0.0 { self.null_run + 1 } else { 0 };
        if self.null_run >= self.period {
            self.null_run = self.period;
            self.positive = 0.0;
            self.negative = 0.0;
        }
        self.slot = if self.slot + 1 == self.period {
            0
        } else {
            self.slot + 1
        };
        if !window_full {
            self.filled += 1;
            if self.filled < self.period {
                return None;
            }
        }
        let total = self.positive + self.negative;
        let clamped = if self.positive < 0.0 {
            0.0
        } else if total < self.positive {
            total
        } else {
            self.positive
        };
        Some(if total <= 0.0 {
            0.0
        } else {
            (clamped / total) * 100.0
        })
    }

    fn reset(&mut self) {
        self.flows.fill((0.0, 0.0));
        self.slot = 0;
        self.filled = 0;
        self.prev_typical = None;
        self.positive = 0.0;
        self.negative = 0.0;
        self.null_run = 0;
    }
}

impl fmt::Display for Mfi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MFI({})", self.period)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const TOL: f64 = 1e-12;

    fn bar(tp: f64, volume: f64) -> Candle {
        Candle::ohlcv(0, tp, tp, tp, tp, volume)
    }

    fn run(mfi: &mut Mfi, bars: &[(f64, f64)]) -> Vec<Option<f64>> {
        bars.iter()
            .map(|&(tp, v)| mfi.update(&bar(tp, v)))
            .collect()
    }

    #[test]
    fn weighs_up_and_down_flows() {
        let mut mfi = Mfi::new(2).unwrap();
        let out = run(
            &mut mfi,
            &[(10.0, 1.0), (11.0, 2.0), (10.0, 3.0), (12.0, 1.0)],
        );
        assert_eq!(out[..2], [None, None]);
        // +22, -30: 100 * 22 / 52
        assert!((out[2].unwrap() - 2200.0 / 52.0).abs() < TOL);
        // -30, +12: 100 * 12 / 42
        assert!((out[3].unwrap() - 1200.0 / 42.0).abs() < TOL);
    }

    #[test]
    fn float_noise_in_the_typical_price_is_no_change() {
        let mut mfi = Mfi::new(2).unwrap();
        let noisy = 1.0 + 2.0 * f64::EPSILON;
        // The only real move is down; the upticks of two ulps carry no flow.
        let out = run(
            &mut mfi,
            &[(1.5, 1.0), (1.0, 5.0), (noisy, 7.0), (1.0, 1.0)],
        );
        assert_eq!(out[2], Some(0.0));
        // An all-zero window is 0, not 50.
        assert_eq!(out[3], Some(0.0));
    }

    #[test]
    fn periods_below_two_are_errors() {
        assert!(Mfi::new(1).is_err());
        assert!(Mfi::new(2).is_ok());
    }

    #[test]
    fn reset_then_replay_gives_the_same_values() {
        let bars: Vec<_> = (0..40)
            .map(|i| (10.0 + ((i * 7) % 5) as f64, ((i * 3) % 4) as f64))
            .collect();
        let mut mfi = Mfi::new(4).unwrap();
        let first = run(&mut mfi, &bars);
        mfi.reset();
        assert_eq!(first, run(&mut mfi, &bars));
        assert_eq!(mfi.to_string(), "MFI(4)");
    }

    proptest! {
        #[test]
        fn stays_within_0_and_100(
            bars in prop::collection::vec((1e-8f64..1e6, 0.0f64..1e6), 2..150),
            period in 2usize..20,
        ) {
            let mut mfi = Mfi::new(period).unwrap();
            for value in run(&mut mfi, &bars).into_iter().flatten() {
                prop_assert!((0.0..=100.0).contains(&value), "{value}");
            }
        }
    }
}
