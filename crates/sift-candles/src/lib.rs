//! The candle store: per (symbol, interval) a bounded history of closed candles plus the forming
//! candle, and per symbol the latest ticker.
//!
//! [`CandleStore`] is the contract; [`MemoryCandleStore`] is the in-process implementation used
//! by `sift serve` and the reference every other backend (Redis) must match: the behavioural
//! suite in `testsuite` (cargo feature `testsuite`) runs against any implementation. The store
//! is synchronous and reads no clock: ticker staleness is judged at a `now_ms` the caller passes.
//!
//! # Layout
//! - [`store`]: the [`CandleStore`] trait, outcomes ([`ClosedPut`], [`Gap`], [`Put`]) and
//!   [`TICKER_MAX_AGE_MS`].
//! - [`capacity`]: [`Capacities`], closed candles kept per interval (default 1000).
//! - [`validate`]: [`validate_candle`], the check every backend applies before writing.
//! - [`memory`]: [`MemoryCandleStore`], sharded `RwLock`s behind an `Arc`.
//! - `series`, `ring`, `packed`: one series' rules, its ring buffer, the 80-byte candle layout.
//! - `hash`: the fast hasher for symbol names (shard choice and shard maps).
//! - [`error`]: the error type, [`StoreError`].
//! - `testsuite` (feature `testsuite`): the behavioural suite and the `candle_store_suite!` macro.

pub mod capacity;
pub mod error;
mod hash;
pub mod memory;
mod packed;
mod ring;
mod series;
pub mod store;
#[cfg(any(test, feature = "testsuite"))]
pub mod testsuite;
pub mod validate;

pub use capacity::{Capacities, ZeroCapacity};
pub use error::StoreError;
pub use memory::MemoryCandleStore;
pub use store::{CandleStore, ClosedPut, Gap, Put, TICKER_MAX_AGE_MS};
pub use validate::validate_candle;
