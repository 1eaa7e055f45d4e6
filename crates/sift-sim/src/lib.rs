//! Seeded synthetic markets, for benchmarks and tests that need many realistic-looking symbols.
//!
//! [`Market`] turns a seed into any number of symbols, each an endless, deterministic series of
//! closed 1m candles ([`Walk`]): a geometric random walk whose volatility switches between
//! calm, normal and volatile regimes, with occasional jumps, and a volume that follows the
//! regime and the size of each move, with occasional spikes. Prices and volumes are rounded to
//! a per-symbol tick and lot, as an exchange's are, so they print and parse back exactly.
//!
//! [`LiveMarket`] is the same generator as a live, clocked exchange: named USDT pairs
//! (`BTCUSDT` near 65,000, a stablecoin, leveraged tokens, ...), every Binance interval from
//! `1m` to `1M` aggregated from the 1m candles, a forming candle that moves with the clock, a
//! rolling 24 h ticker, trading statuses and optional halts. It backs `--market sim` and the
//! fake Binance server.
//!
//! Pure and synchronous: no IO, no clock, no dependency beyond `sift-core`; time is passed in.
//! The same seed gives the same candles on every platform (only IEEE arithmetic and
//! `f64::exp`/`ln`/`sqrt`/`cos` are used). [`Market`]'s longer intervals are built from the 1m
//! candles by the caller (the backtest's aggregation), so every timeframe agrees.
//!
//! # Layout
//! - [`rng`]: [`Rng`], a small seeded generator (SplitMix64) with uniform and normal draws.
//! - [`market`]: [`Market`], [`Walk`], [`Profile`] and [`Regime`]: the generator itself.
//! - [`live`]: [`LiveMarket`], [`LiveConfig`], [`Gaps`], [`Status`], [`DayStats`]: the clocked
//!   exchange.
//! - `bar`: compact 56-byte candles (integer ticks and lots) and the per-interval rings.
//! - `window`: the incremental rolling 24 h window behind the ticker.
//! - `listing`: pair names, base assets and profiles.

mod bar;
mod listing;
pub mod live;
pub mod market;
pub mod rng;
mod window;

pub use live::{DayStats, Gaps, LiveConfig, LiveMarket, Status};
pub use market::{Market, Profile, Regime, Walk};
pub use rng::Rng;
