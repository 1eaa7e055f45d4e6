//! Trader definitions: what a user writes to define a screen.
//!
//! A trader is a rule plus a few settings. Files are TOML (the API uses the same fields as
//! JSON):
//!
//! ```toml
//! name = "RSI Oversold Bounce"
//! description = "RSI(14) climbs back above 30 after being oversold."
//! interval = "1m"              # the candle close it runs on
//! rule = "crossover(rsi(14), 30)"
//! symbols = "all"              # or ["BTCUSDT", "ETHUSDT"], or { top = 50 }
//! cooldown_bars = 5            # default 0
//! enabled = true               # default true
//! category = "reversal"
//! tags = ["rsi"]
//! access_tier = "free"         # built-ins only: anonymous | free | pro | elite
//! ```
//!
//! # Layout
//! - [`definition`] holds [`TraderDef`] and [`Symbols`], with their validation.
//! - [`file`](mod@file) reads a definition from TOML with errors that name the file, line and column.
//! - [`builtin`] has the built-in traders shipped in `traders/builtin/`.
//! - `error` defines [`Error`].

pub mod builtin;
pub mod definition;
mod error;
pub mod file;

pub use definition::{Symbols, TraderDef};
pub use error::Error;
pub use file::{load_dir, load_file, parse_toml, toml_files};
