//! Per-trader statistics of a backtest: how many signals, how often and how far the price
//! moved their way.

use crate::Signal;

/// The summary of every trader, in trader order (traders without signals included).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The forward horizons in bars, as given.
    pub horizons: Vec<u32>,
    pub traders: Vec<TraderSummary>,
}

/// One trader's signals and forward returns.
#[derive(Debug, Clone, PartialEq)]
pub struct TraderSummary {
    pub name: String,
    pub signals: u64,
    /// One per horizon, in the order of [`Summary::horizons`].
    pub horizons: Vec<HorizonStats>,
}

/// Forward returns of one trader after one horizon.
///
/// Only signals whose forward return is defined count (near the end of the data there is
/// none), so `count` may be below the number of signals.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct HorizonStats {
    /// The horizon in bars of the trader's interval.
    pub bars: u32,
    /// Signals with a forward return.
    pub count: u64,
    /// Of these, returns above zero.
    pub positive: u64,
    /// Sum of the returns, in percent.
    pub sum: f64,
}

impl HorizonStats {
    /// The share of positive returns, 0 to 1; `None` without returns.
    pub fn hit_rate(&self) -> Option<f64> {
        (self.count > 0).then(|| self.positive as f64 / self.count as f64)
    }

    /// The mean return in percent; `None` without returns.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
}

impl Summary {
    /// Empty statistics for traders named `names` (indexed by [`Signal::trader`]).
    pub fn new(names: &[String], horizons: &[u32]) -> Self {
        let stats: Vec<HorizonStats> = horizons
            .iter()
            .map(|&bars| HorizonStats {
                bars,
                ..HorizonStats::default()
            })
            .collect();
        Self {
            horizons: horizons.to_vec(),
            traders: names
                .iter()
                .map(|name| TraderSummary {
                    name: name.clone(),
                    signals: 0,
                    horizons: stats.clone(),
                })
                .collect(),
        }
    }

    /// Counts one signal.
    ///
    /// # Panics
    /// If the signal's trader index is not one of the names given to [`Summary::new`].
    pub fn add(&mut self, signal: &Signal) {
        let trader = &mut self.traders[signal.trader];
        trader.signals += 1;
        for (stats, ret) in trader.horizons.iter_mut().zip(&signal.forward) {
            if let Some(ret) = *ret {
                stats.count += 1;
                stats.positive += u64::from(ret > 0.0);
                stats.sum += ret;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use sift_core::Interval;
    use sift_engine::MatchValues;

    use super::*;

    /// Relative tolerance of computed means.
    const REL_TOL: f64 = 1e-12;

    fn signal(trader: usize, forward: &[Option<f64>]) -> Signal {
        Signal {
            trader,
            symbol: "BTCUSDT".parse().unwrap(),
            interval: Interval::M1,
            open_time: 0,
            close: 1.0,
            forward: forward.to_vec(),
            values: MatchValues::default(),
        }
    }

    #[test]
    fn hit_rate_and_mean_count_defined_returns_only() {
        let names = ["a".to_owned(), "b".to_owned()];
        let mut summary = Summary::new(&names, &[1, 5]);
        summary.add(&signal(0, &[Some(2.0), Some(-1.0)]));
        summary.add(&signal(0, &[Some(-1.0), None]));
        summary.add(&signal(0, &[Some(0.0), None]));
        summary.add(&signal(0, &[Some(5.0), None]));
        let a = &summary.traders[0];
        assert_eq!(a.signals, 4);
        let one = a.horizons[0];
        assert_eq!((one.bars, one.count, one.positive), (1, 4, 2));
        // Zero is not a hit.
        assert_eq!(one.hit_rate(), Some(0.5));
        let mean = one.mean().unwrap();
        assert!((mean - 1.5).abs() <= REL_TOL * 1.5, "{mean}");
        let five = a.horizons[1];
        assert_eq!(
            (five.bars, five.count, five.hit_rate(), five.mean()),
            (5, 1, Some(0.0), Some(-1.0))
        );
        // A trader without signals has no rates.
        let b = &summary.traders[1];
        assert_eq!((b.name.as_str(), b.signals), ("b", 0));
        assert_eq!(
            (b.horizons[0].hit_rate(), b.horizons[0].mean()),
            (None, None)
        );
    }
}
