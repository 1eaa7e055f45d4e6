//! Sift's rule engine: many traders evaluated at every candle close over shared indicators.
//!
//! Traders ([`Trader`]: a checked `sift_rules::Program` plus settings) are compiled into one
//! shared plan in which identical nodes of any traders are one node: an indicator instance
//! (timeframe, spec, source) or a sub-expression is computed once per close per symbol
//! however many traders use it. [`Engine::process`] takes the candles closing at one instant
//! ([`CloseBatch`]) and returns the signals ([`Match`]) in a deterministic order,
//! edge-triggered with a cooldown ([`SignalMode`]).
//!
//! Symbols screened by the same traders share a kernel and are evaluated together in blocks of
//! up to 64, node by node: each node runs for every symbol of the block in one tight loop over
//! contiguous rows, so a close costs one decode per node and block rather than per symbol, and
//! the arithmetic vectorises. Blocks run on rayon's thread pool when there is enough work; the
//! result never depends on it, nor on how symbols fall into blocks. Matches are built after
//! the blocks are done, in order, split by trader over the thread pool when there are many.
//!
//! Pure and synchronous: no IO, no clock. A backtest feeds the same engine from files.
//!
//! # Layout
//! - [`engine`]: [`Engine`], the public entry point.
//! - [`trader`]: [`Trader`], [`TraderId`], [`SymbolFilter`], [`rule_hash`].
//! - [`batch`]: [`CloseBatch`]. [`signal`]: [`Match`], [`SignalMode`], the edge trigger.
//!   [`match_values`]: [`MatchValues`], what a match reports of the values its rule read.
//! - [`candle_history`]: [`CandleHistory`], closed candles kept outside the engine, which an
//!   engine made with [`Engine::with_history`] warms from instead of keeping its own copy.
//! - [`config`], [`stats`], [`error`].
//! - Internals: `key` (canonical node keys, interning), `op` (operations), `plan` (the shared
//!   plan), `kernel` (the part of the plan one symbol runs), `step` (a kernel's nodes
//!   flattened for the per-close loop), `block` (the node state of a block of symbols,
//!   node-major), `lanes` (a block at one instant), `matches` (an instant's matches and their
//!   order), `slots` (one symbol's node state, symbol-major, for replays and rebinds),
//!   `history` (value histories), `eval` (one symbol at one instant: replays), `value`
//!   (undefined-value semantics), `candles` (stored candles), `symbol` (per-symbol state,
//!   warming by replay); `reference` (tests only: blocks against symbols evaluated alone).

pub mod batch;
mod block;
pub mod candle_history;
mod candles;
pub mod config;
pub mod engine;
pub mod error;
mod eval;
mod history;
mod kernel;
mod key;
mod lanes;
pub mod match_values;
mod matches;
mod op;
mod plan;
#[cfg(test)]
mod reference;
pub mod signal;
mod slots;
pub mod stats;
mod step;
mod symbol;
pub mod trader;
mod value;

pub use batch::CloseBatch;
pub use candle_history::CandleHistory;
pub use config::EngineConfig;
pub use engine::Engine;
pub use error::Error;
pub use match_values::MatchValues;
pub use signal::{Match, SignalMode};
pub use stats::EngineStats;
pub use trader::{SymbolFilter, Trader, TraderId, rule_hash};
