//! Seeded synthetic markets, for benchmarks and tests that need many realistic-looking symbols.
//!
//! [`Market`] turns a seed into any number of symbols, each an endless, deterministic series of
//! closed 1m candles ([`Walk`]): a geometric random walk whose volatility switches between
//! calm, normal and volatile regimes, with occasional jumps, and a volume that follows the
//! regime and the size of each move, with occasional spikes. Prices and volumes are rounded to
//! a per-symbol tick and lot, as an exchange's are, so they print and parse back exactly.
//!
//! Pure and synchronous: no IO, no clock, no dependency beyond `sift-core`. The same seed gives
//! the same candles on every platform (only IEEE arithmetic and `f64::exp`/`ln`/`sqrt`/`cos`
//! are used). Longer intervals are built from the 1m candles by the caller (the backtest's
//! aggregation), so every timeframe agrees.
//!
//! # Layout
//! - [`rng`]: [`Rng`], a small seeded generator (SplitMix64) with uniform and normal draws.
//! - [`market`]: [`Market`], [`Walk`] and [`Regime`]: the generator itself.

pub mod market;
pub mod rng;

pub use market::{Market, Regime, Walk};
pub use rng::Rng;
