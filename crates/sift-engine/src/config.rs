//! Engine settings.

use crate::SignalMode;

/// How the engine keeps history and uses threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineConfig {
    /// Closed candles kept per (symbol, interval), from which new indicators are warmed when
    /// traders are added and after [`Engine::warm`](crate::Engine::warm). At least 1.
    pub candle_capacity: usize,
    /// Edge-triggered live signals, or every close where a rule holds.
    pub mode: SignalMode,
    /// Evaluate symbols on rayon's thread pool when a batch has enough work. Results are the
    /// same either way; `false` keeps everything on the calling thread.
    pub parallel: bool,
    /// Below this much work in one instant (symbols touched times nodes per symbol, roughly
    /// nanoseconds), the calling thread evaluates alone: handing out work costs microseconds.
    pub parallel_min_work: usize,
}

impl EngineConfig {
    /// Candles kept per (symbol, interval) by default.
    pub const DEFAULT_CANDLE_CAPACITY: usize = 1_000;
    /// Default [`EngineConfig::parallel_min_work`].
    pub const DEFAULT_PARALLEL_MIN_WORK: usize = 20_000;
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            candle_capacity: Self::DEFAULT_CANDLE_CAPACITY,
            mode: SignalMode::Edge,
            parallel: true,
            parallel_min_work: Self::DEFAULT_PARALLEL_MIN_WORK,
        }
    }
}
