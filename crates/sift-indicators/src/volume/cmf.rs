//! Chaikin money flow.

use std::fmt;

use sift_core::Candle;

use super::ad::close_location;
use crate::window::Ring;
use crate::{Error, Indicator, check_period};

/// CMF(n): Chaikin money flow, `sum(mfv) / sum(volume)` over the last `n` candles. Matches
/// TA-Lib `CMF`.
///
/// `mfv = ((close - low) - (high - close)) / (high - low) * volume`, 0 when `high == low`
/// (as in [`Ad`](super::Ad)). When the window's volume sum is not positive (no volume traded)
/// the value is defined as 0, as TA-Lib does. Both sums are running sums: the new candle is
/// added after the oldest leaves, in TA-Lib's order. First value at the `n`-th candle.
#[derive(Debug, Clone)]
pub struct Cmf {
    period: usize,
    flows: Ring,
    volumes: Ring,
    sum_flow: f64,
    sum_volume: f64,
}

impl Cmf {
    pub fn new(period: usize) -> Result<Self, Error> {
        let period = check_period("cmf", "n", period)?;
        Ok(Self {
            period,
            flows: Ring::new(period),
            volumes: Ring::new(period),
            sum_flow: 0.0,
            sum_volume: 0.0,
        })
    }

    pub fn period(&self) -> usize {
        self.period
    }
}

impl Indicator for Cmf {
    type Output = f64;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<f64> {
        let flow = close_location(candle).map_or(0.0, |clv| clv * candle.volume);
        if let (Some(old_flow), Some(old_volume)) =
            (self.flows.push(flow), self.volumes.push(candle.volume))
        {
            self.sum_flow -= old_flow;
            self.sum_volume -= old_volume;
        }
        self.sum_flow += flow;
        self.sum_volume += candle.volume;
        if !self.flows.is_full() {
            return None;
        }
        Some(if self.sum_volume > 0.0 {
            self.sum_flow / self.sum_volume
        } else {
            0.0
        })
    }

    fn reset(&mut self) {
        self.flows.clear();
        self.volumes.clear();
        self.sum_flow = 0.0;
        self.sum_volume = 0.0;
    }
}

impl fmt::Display for Cmf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CMF({})", self.period)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::batch;

    const TOL: f64 = 1e-12;

    fn bar(high: f64, low: f64, close: f64, volume: f64) -> Candle {
        Candle::ohlcv(0, close, high, low, close, volume)
    }

    #[test]
    fn money_flow_over_volume() {
        let bars = [
            bar(10.0, 8.0, 10.0, 4.0),
            bar(10.0, 8.0, 9.0, 7.0),
            bar(12.0, 8.0, 9.0, 2.0),
            bar(5.0, 5.0, 5.0, 9.0),
        ];
        let mut cmf = Cmf::new(2).unwrap();
        let out = batch(&mut cmf, &bars);
        assert_eq!(out[0], None);
        assert!((out[1].unwrap() - 4.0 / 11.0).abs() < TOL);
        assert!((out[2].unwrap() - -1.0 / 9.0).abs() < TOL);
        assert!((out[3].unwrap() - -1.0 / 11.0).abs() < TOL);
        cmf.reset();
        assert_eq!(batch(&mut cmf, &bars), out);
    }

    #[test]
    fn no_volume_gives_zero() {
        let mut cmf = Cmf::new(2).unwrap();
        let out = batch(
            &mut cmf,
            &[bar(10.0, 8.0, 10.0, 0.0), bar(10.0, 8.0, 9.0, 0.0)],
        );
        assert_eq!(out, vec![None, Some(0.0)]);
        assert!(Cmf::new(0).is_err());
        assert_eq!(cmf.to_string(), "CMF(2)");
    }

    proptest! {
        #[test]
        fn stays_within_minus_one_and_one(
            bars in prop::collection::vec((1.0f64..100.0, 0.0f64..5.0, 0.0f64..1.0, 1.0f64..1e3), 1..80),
            n in 1usize..20,
        ) {
            let candles: Vec<_> = bars.iter().map(|&(low, r, pos, v)| bar(low + r, low, low + r * pos, v)).collect();
            let mut cmf = Cmf::new(n).unwrap();
            for v in batch(&mut cmf, &candles).into_iter().flatten() {
                prop_assert!((-1.0 - 1e-9..=1.0 + 1e-9).contains(&v));
            }
        }
    }
}
