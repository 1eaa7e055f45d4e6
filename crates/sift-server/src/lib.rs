//! The `serve` role: one process that collects candles, evaluates traders, stores signals and
//! serves the API, the live stream and the UI; plus the configuration every role shares.
//!
//! # Layout
//! - [`settings`]: [`Settings`], the layered configuration (defaults, TOML file, `SIFT_`
//!   environment, flags) and [`DEFAULT_CONFIG`], the commented example.
//! - [`flags`]: the roles' command-line flags, the last configuration layer.
//! - [`serve`]: [`serve::run`], start-up, the tasks, and graceful shutdown.
//! - [`market`]: the market settings as the collector's configuration.
//! - [`pipeline`]: closes in, signals committed and published; trader changes to the engine.
//! - [`instant`]: the close bursts of one instant, gathered to be evaluated together.
//! - [`evaluator`]: [`Evaluator`], the engine on its own thread behind an async handle.
//! - [`store_history`]: [`store_history::StoreHistory`], the candle store as the engine's
//!   warming history (no second copy of the candles in the engine).
//! - [`traders`]: stored traders compiled for the engine, and who may see their signals.
//! - [`control`]: [`control::ServerControl`], what the API asks of the process (changes,
//!   the execution switch, health).
//! - [`status`]: [`status::PipelineStatus`], how far behind the market the pipeline runs.
//! - [`bootstrap`]: the first admin, the built-in traders, the persisted execution switch.
//! - [`retention`]: the pruning job.

pub mod bootstrap;
pub mod control;
pub mod evaluator;
pub mod flags;
pub mod instant;
pub mod market;
pub mod pipeline;
pub mod retention;
pub mod serve;
pub mod settings;
pub mod status;
pub mod store_history;
pub mod traders;

pub use evaluator::Evaluator;
pub use settings::{DEFAULT_CONFIG, Settings, SettingsError};

/// Now, UTC epoch milliseconds (the server's one clock read for bookkeeping times).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
