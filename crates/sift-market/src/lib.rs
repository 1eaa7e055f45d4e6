//! The market layer: a complete, gap-free, duplicate-free, ordered stream of candle closes
//! from Binance, the simulated market or candle files, with every candle written to a
//! [`CandleStore`](sift_candles::CandleStore).
//!
//! ```text
//! source ─ klines, tickers, (re)connects ─▶ collector task ─ sequencing per series ─▶ bursts ─▶ store, events
//!            ▲ REST: listing, history, repairs (jobs, bounded)  │
//!            └──────────────────────────────────────────────────┘
//! ```
//!
//! [`run`] (or [`Collector::start`]) reads the universe, subscribes every (symbol, interval)
//! series, then backfills `history` closed candles per series over REST with bounded
//! concurrency (the REST client keeps to the weight budget), buffering the live closes that
//! arrive meanwhile. Per series it then hands on closes in open-time order, each once:
//! - the next candle after the newest delivered one is delivered;
//! - one further ahead reveals a gap: the missing candles are fetched over REST
//!   (`klines_range`) and delivered first; a part REST does not have either (an exchange
//!   outage) is accepted as a hole, never asked for twice;
//! - repeated, stale and reordered updates are ignored (a candle's identity is its open time);
//! - after a reconnect, and when a candle known to have closed (other series, tickers or this
//!   series' forming updates show the exchange's clock past it) has not arrived within
//!   `stall_grace`, the missing closes are fetched proactively.
//!
//! Closes of one candle across symbols are gathered into a [`CloseBurst`] (until every live,
//! trading symbol reported or `burst_wait` passed), written to the store in one batch and sent
//! as [`MarketEvent::Closes`]. Forming candles and tickers go to the store and out as
//! [`MarketEvent::Forming`] and [`MarketEvent::Tickers`]. Symbols in `BREAK`/`HALT` keep a
//! complete history in the store but their closes are not handed on until they trade again
//! ([`MarketEvent::Universe`]).
//!
//! Sources ([`SourceConfig`]):
//! - **Binance**: `sift-binance`'s REST client and stream pool; the exchange's clock is never
//!   guessed: candles count as closed only once an event or the server time shows it.
//! - **Sim**: `sift-sim`'s `LiveMarket` advanced by a clock at `speed` times real time; history
//!   is read from the market, no network. History and repair reads first bring the market to
//!   the clock's time, so they never miss a candle the clock says closed but the driver has
//!   not released yet (which would be taken for a hole); the same holds for replay.
//! - **Replay**: candle files with their own timestamps; the first `history` candles of each
//!   symbol's finest interval are history, the rest is replayed live at `speed` (see
//!   `feed/replay.rs` for the details).
//!
//! # Layout
//! - [`config`]: [`MarketConfig`], [`Universe`]. [`source`]: [`SourceConfig`].
//! - [`event`]: [`MarketEvent`], [`CloseBurst`].
//! - [`universe`]: the top-N rule (leveraged tokens, stablecoins, hysteresis) and
//!   [`UniverseChange`].
//! - [`health`]: [`MarketHealth`] and the Prometheus metrics.
//! - `collector/`: the task (`mod.rs`: [`Collector`], [`MarketHandle`], the loop), `core.rs`
//!   (events to series to bursts), `outcome.rs` (backfills, repairs, universe reads),
//!   `jobs.rs` (fetches in flight, retries).
//! - `series`: one series' sequencing, pure. `burst`: gathering closes into bursts, pure.
//! - `feed/`: the sources behind one interface: `binance.rs`, `driven.rs` (a clock-driven
//!   source's event task), `sim.rs`, `replay.rs`.
//! - [`error`]: the crate error, [`MarketError`].

mod burst;
mod collector;
pub mod config;
pub mod error;
pub mod event;
mod feed;
pub mod health;
mod series;
pub mod source;
pub mod universe;

pub use collector::{Collector, MarketHandle, run};
pub use config::{MarketConfig, Universe};
pub use error::MarketError;
pub use event::{CloseBurst, MarketEvent};
pub use health::{BackfillProgress, ConnectionHealth, Counters, MarketHealth, RestHealth};
pub use source::SourceConfig;
pub use universe::UniverseChange;
