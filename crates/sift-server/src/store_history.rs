//! The candle store as the engine's candle history, so the engine keeps no second copy of the
//! candles (`sift serve`).

use std::sync::Arc;

use sift_candles::CandleStore;
use sift_core::{Candle, Interval, Symbol};
use sift_engine::CandleHistory;
use tracing::warn;

/// Closed candles the store keeps per series beyond what the engine warms from: the collector
/// writes a close to the store before the pipeline hands it to the engine, and a close can
/// wait behind others (or behind trader changes) meanwhile, so the store may run a few closes
/// ahead of the engine. With this margin it still holds the engine's whole window then, and
/// warming gives the values of an engine that kept its own candles. 16 closes cost 16 packed
/// candles per series (about 4 MB for 500 symbols on 6 intervals).
pub const WARM_MARGIN: usize = 16;

/// Reads the engine's warming candles from a [`CandleStore`] that keeps at least
/// `engine window + WARM_MARGIN` closed candles per series.
pub struct StoreHistory {
    store: Arc<dyn CandleStore>,
    /// Closed candles read per series: all the store keeps.
    kept: usize,
}

impl StoreHistory {
    /// Reads `store`, which keeps `kept` closed candles per series.
    pub fn new(store: Arc<dyn CandleStore>, kept: usize) -> Self {
        Self { store, kept }
    }
}

impl std::fmt::Debug for StoreHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreHistory")
            .field("kept", &self.kept)
            .finish_non_exhaustive()
    }
}

impl CandleHistory for StoreHistory {
    fn closed_through(
        &self,
        symbol: &Symbol,
        interval: Interval,
        through: i64,
        limit: usize,
    ) -> Vec<Candle> {
        let mut candles = match self.store.last_closed(symbol, interval, self.kept) {
            Ok(candles) => candles,
            Err(err) => {
                warn!(%symbol, %interval, error = %err, "warming history not readable");
                return Vec::new();
            }
        };
        candles.truncate(candles.partition_point(|c| c.open_time <= through));
        let excess = candles.len().saturating_sub(limit);
        candles.drain(..excess);
        candles
    }
}

#[cfg(test)]
mod tests {
    use sift_candles::{Capacities, MemoryCandleStore};

    use super::*;

    fn candle(minute: i64) -> Candle {
        let mut c = Candle::ohlcv(minute * 60_000, 1.0, 2.0, 0.5, 1.5, 3.0);
        c.close_time = c.open_time + 59_999;
        c
    }

    #[test]
    fn reads_the_newest_up_to_the_bound() {
        let store = MemoryCandleStore::new(Capacities::new(8).unwrap());
        let symbol: Symbol = "BTCUSDT".parse().unwrap();
        for minute in 0..10 {
            store
                .put_closed(&symbol, Interval::M1, &candle(minute))
                .unwrap();
        }
        let history = StoreHistory::new(Arc::new(store), 8);
        let minutes = |candles: Vec<Candle>| -> Vec<i64> {
            candles.iter().map(|c| c.open_time / 60_000).collect()
        };
        let read = history.closed_through(&symbol, Interval::M1, 6 * 60_000, 3);
        assert_eq!(minutes(read), [4, 5, 6]);
        let read = history.closed_through(&symbol, Interval::M1, 9 * 60_000, 100);
        assert_eq!(minutes(read), [2, 3, 4, 5, 6, 7, 8, 9]);
        assert!(
            history
                .closed_through(&symbol, Interval::M5, i64::MAX, 5)
                .is_empty()
        );
    }
}
