//! What the collector watches and how patiently.

use std::time::Duration;

use sift_core::{Interval, Symbol};

use crate::MarketError;

/// Which symbols to watch.
#[derive(Debug, Clone, PartialEq)]
pub enum Universe {
    /// Exactly these symbols (those the exchange lists).
    List(Vec<Symbol>),
    /// The top `n` USDT pairs by 24 h quote volume; see [`universe`](crate::universe).
    Top(usize),
}

/// The collector's settings. [`MarketConfig::new`] gives the defaults; [`MarketConfig::validate`]
/// checks a hand-built one (the collector calls it).
#[derive(Debug, Clone, PartialEq)]
pub struct MarketConfig {
    pub universe: Universe,
    /// Intervals watched per symbol (default 1m 5m 15m 1h 4h 1d).
    pub intervals: Vec<Interval>,
    /// Closed candles backfilled per symbol and interval on start (default 1000, at most
    /// 10,000; 1000 is one REST page). Keep the store's capacity at least this large.
    pub history: usize,
    /// How often the universe is re-read: a top-N universe re-ranked, every symbol's status
    /// re-checked (default 1 h).
    pub universe_refresh: Duration,
    /// Hysteresis of a top-N universe: a watched pair counts as this many places higher than
    /// it ranks, so pairs near the cut line do not flap in and out at every refresh (see
    /// [`universe`](crate::universe)). `None` (the default) is N / 10 rounded up; 0 turns it
    /// off.
    pub top_margin: Option<usize>,
    /// Backfill fetches in flight at once (default 8). The REST client also waits for weight,
    /// so this bounds memory and fairness, not the request rate.
    pub backfill_concurrency: usize,
    /// Repair fetches in flight at once, on top of backfills (default 8).
    pub repair_concurrency: usize,
    /// How long a candle known to have closed may be missing from a series before it is
    /// fetched over REST (default 5 s).
    pub stall_grace: Duration,
    /// How long a close burst waits for its last symbol (default 2 s).
    pub burst_wait: Duration,
    /// How long a repair keeps retrying a failing REST call (429, 418, 5xx, timeouts) before
    /// the series moves on without the missing candles (default 10 min).
    pub repair_give_up: Duration,
}

impl MarketConfig {
    /// Default intervals.
    pub const DEFAULT_INTERVALS: [Interval; 6] = [
        Interval::M1,
        Interval::M5,
        Interval::M15,
        Interval::H1,
        Interval::H4,
        Interval::D1,
    ];
    /// Default and largest history depth.
    pub const DEFAULT_HISTORY: usize = 1000;
    /// Largest history depth accepted.
    pub const MAX_HISTORY: usize = 10_000;
    /// Default number of symbols of a top-N universe.
    pub const DEFAULT_TOP: usize = 100;

    /// The defaults for `universe`.
    pub fn new(universe: Universe) -> Self {
        Self {
            universe,
            intervals: Self::DEFAULT_INTERVALS.to_vec(),
            history: Self::DEFAULT_HISTORY,
            universe_refresh: Duration::from_secs(3600),
            top_margin: None,
            backfill_concurrency: 8,
            repair_concurrency: 8,
            stall_grace: Duration::from_secs(5),
            burst_wait: Duration::from_secs(2),
            repair_give_up: Duration::from_secs(600),
        }
    }

    /// The hysteresis margin of a top-`n` universe: [`top_margin`](Self::top_margin), or
    /// `n / 10` rounded up.
    pub fn top_margin_for(&self, n: usize) -> usize {
        self.top_margin.unwrap_or(n.div_ceil(10))
    }

    /// Checks the values and normalises the intervals (sorted, deduplicated).
    pub fn validate(mut self) -> Result<Self, MarketError> {
        let invalid = |reason: &str| Err(MarketError::Config(reason.to_owned()));
        self.intervals.sort();
        self.intervals.dedup();
        if self.intervals.is_empty() {
            return invalid("at least one interval is needed");
        }
        if self.intervals.contains(&Interval::S1) {
            return invalid("the 1s interval is not supported");
        }
        if self.history > Self::MAX_HISTORY {
            return invalid("history is at most 10000 candles");
        }
        match &self.universe {
            Universe::List(symbols) if symbols.is_empty() => {
                return invalid("the symbol list is empty");
            }
            Universe::Top(0) => return invalid("top must be at least 1"),
            _ => {}
        }
        if self.backfill_concurrency == 0 || self.repair_concurrency == 0 {
            return invalid("concurrency must be at least 1");
        }
        if self.universe_refresh.is_zero() || self.burst_wait.is_zero() {
            return invalid("universe_refresh and burst_wait must be positive");
        }
        Ok(self)
    }
}

impl Default for MarketConfig {
    fn default() -> Self {
        Self::new(Universe::Top(Self::DEFAULT_TOP))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_bad_values_are_named() {
        let config = MarketConfig::default().validate().unwrap();
        assert_eq!(config.intervals.len(), 6);
        let mut bad = MarketConfig::new(Universe::List(Vec::new()));
        assert!(
            bad.clone()
                .validate()
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
        bad.universe = Universe::Top(5);
        bad.intervals = vec![Interval::H1, Interval::M1, Interval::H1];
        assert_eq!(
            bad.clone().validate().unwrap().intervals,
            [Interval::M1, Interval::H1]
        );
        bad.history = 10_001;
        assert!(bad.validate().is_err());
        let mut top = MarketConfig::default();
        assert_eq!(top.top_margin_for(100), 10);
        assert_eq!(top.top_margin_for(5), 1);
        top.top_margin = Some(0);
        assert_eq!(top.top_margin_for(100), 0);
    }
}
