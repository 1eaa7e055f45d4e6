//! Counters that show how much the plan shares and what the engine holds.

/// A snapshot of the engine's size, from [`Engine::stats`](crate::Engine::stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EngineStats {
    /// Enabled traders in the plan.
    pub traders: usize,
    /// Distinct nodes of the shared plan (per timeframe, before instantiation per symbol).
    pub plan_nodes: usize,
    /// Distinct indicator instances of the plan: (timeframe, spec, source) triples.
    pub plan_indicators: usize,
    /// Symbols the engine has seen.
    pub symbols: usize,
    /// Distinct trader subsets among symbols (symbols screened by the same traders share
    /// compiled code).
    pub kernels: usize,
    /// Node instances over all symbols.
    pub nodes: usize,
    /// Indicator instances over all symbols: distinct (symbol, interval, spec, source), each
    /// updated once per close however many traders read it.
    pub indicators: usize,
    /// Closed candles stored for warming.
    pub stored_candles: usize,
    /// Candles ignored as duplicates or out of order since the engine started.
    pub ignored_candles: u64,
    /// Series warmed from fewer candles than the engine would have kept itself, because its
    /// external [`CandleHistory`](crate::CandleHistory) no longer held them; always 0 for an
    /// engine keeping its own candles.
    pub short_warms: u64,
}
