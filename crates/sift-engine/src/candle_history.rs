//! Closed candles kept outside the engine, read when it warms: so that a process that already
//! keeps every candle (the server's candle store) need not keep a second copy in the engine.

use sift_core::{Candle, Interval, Symbol};

/// Closed candles held outside the engine, from which an engine built with
/// [`Engine::with_history`](crate::Engine::with_history) warms new indicators when traders
/// change and rebuilds a series loaded with [`Engine::warm`](crate::Engine::warm).
///
/// Such an engine keeps only the newest candle of each series itself. When it warms a series,
/// it reads at most [`EngineConfig::candle_capacity`](crate::EngineConfig::candle_capacity)
/// candles, bounded by the newest candle it has processed of that series: never a later one
/// (no look-ahead) and so never one that it will be fed again (no double feeding).
///
/// The values are those of an engine keeping its own candles as long as the history holds
/// every candle the engine was fed among the last `candle_capacity` of the series, and no
/// other. A history one close behind the engine (not yet holding the newest candle) is
/// tolerated: the engine adds its own newest candle. One that already evicted some of those
/// candles warms from fewer, which [`EngineStats::short_warms`](crate::EngineStats) counts;
/// a history shared with a writer that runs ahead of the engine should keep a margin of candles
/// beyond `candle_capacity`.
///
/// Called on the engine's thread or on rayon's threads (one series per call), never
/// concurrently for one series. Pure and synchronous like the engine: an in-memory store.
pub trait CandleHistory: Send + Sync {
    /// The newest `limit` closed candles of `symbol` on `interval` opening at or before
    /// `through` (fewer when fewer are held), oldest first, open times strictly increasing.
    fn closed_through(
        &self,
        symbol: &Symbol,
        interval: Interval,
        through: i64,
        limit: usize,
    ) -> Vec<Candle>;
}

impl std::fmt::Debug for dyn CandleHistory + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CandleHistory")
    }
}
