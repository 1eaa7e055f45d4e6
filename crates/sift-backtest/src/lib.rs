//! Backtests: candle files replayed through the engine, signals with forward returns, and a
//! summary per trader.
//!
//! ```text
//! files ─ sift_data ─▶ Market ─ feeds (given or aggregated) ─▶ Backtest ─ Engine ─▶ Signal ─▶ output
//!                                                                                   └▶ Summary
//! ```
//!
//! The engine is the live one ([`sift_engine::Engine`]): a backtest feeds it the candles that
//! close at each instant, all symbols and intervals together, so the same candles give the
//! same signals as live evaluation. Intervals a rule reads that no file gives are built from a
//! finer given interval on UTC boundaries, complete spans only ([`aggregate`]), so aggregated
//! and given candles give identical signals.
//!
//! Pure apart from writing output to an `io::Write`: no clock, no files.
//!
//! # Layout
//! - [`market`]: [`Market`], the candles read, merged across files; [`Feed`], a series to
//!   replay, given or aggregated.
//! - [`aggregate`]: building longer candles from shorter ones.
//! - [`replay`]: [`Backtest`] and its [`Options`], [`Signal`].
//! - [`forward`]: forward returns. [`summary`]: [`Summary`] per trader.
//! - [`output`]: CSV, JSON and text tables.
//! - [`time`]: parsing `--from`/`--to`, formatting times. [`error`]: [`Error`].

pub mod aggregate;
pub mod error;
pub mod forward;
pub mod market;
pub mod output;
pub mod replay;
pub mod summary;
pub mod time;

pub use error::Error;
pub use market::{Feed, Market, Origin};
pub use replay::{Backtest, Options, Signal};
pub use summary::{HorizonStats, Summary, TraderSummary};
pub use time::{format_time, parse_time};
