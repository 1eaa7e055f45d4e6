//! Redis backends of the candle store, for the distributed roles and for `sift serve` with
//! `redis.url` set.
//!
//! - [`RedisCandleStore`] implements [`CandleStore`](sift_candles::CandleStore) directly on
//!   Redis and passes the same behavioural suite as the in-process
//!   [`MemoryCandleStore`](sift_candles::MemoryCandleStore). Workers and API instances read
//!   candles through it; it is synchronous (blocking connections from a small pool).
//! - [`RedisMirror`] is what the collector and `sift serve` write through: a `CandleStore`
//!   that applies every write to the in-process store (which serves all reads) and forwards it
//!   to Redis from a background task, pipelined, coalesced, buffered while Redis is down and
//!   replayed on reconnect without losing a closed candle.
//!
//! The key schema is the deployment guide's (`klines:{SYMBOL}:{INTERVAL}`,
//! `lastClosed:{SYMBOL}:{INTERVAL}`, `ticker:{SYMBOL}`) plus `forming:*` and two index sets,
//! all under a configurable prefix; see [`Keys`]. Values use the fixed binary layout of
//! [`codec`]. Writes are Lua scripts that apply the store's rules atomically; see `write/mod.rs`.
//!
//! `rediss://` URLs connect over TLS (rustls, webpki roots), as hosted Redis such as Upstash
//! requires. A single Redis (or a Redis-compatible service) is required: the scripts touch
//! keys of many series at once, which Redis Cluster does not allow.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sift_redis::Error> {
//! use sift_candles::{Capacities, MemoryCandleStore};
//! use sift_redis::{MirrorConfig, RedisCandleStore, RedisConfig, RedisMirror};
//! use tokio_util::sync::CancellationToken;
//!
//! let redis = RedisConfig::new("rediss://default:secret@eu1-example.upstash.io:6379");
//! // The collector (or `sift serve`) writes through the mirror and reads from memory.
//! let shutdown = CancellationToken::new();
//! let memory = MemoryCandleStore::new(Capacities::default());
//! let (store, task) = RedisMirror::spawn(memory, MirrorConfig::new(redis.clone()), shutdown.clone())?;
//! // Workers and API instances read Redis directly (from blocking threads).
//! let reader = RedisCandleStore::connect(&redis, Capacities::default())?;
//! // ...
//! shutdown.cancel();
//! let _ = task.await;
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - [`config`]: [`RedisConfig`] (URL with a redacting `Debug`, prefix, timeouts).
//! - [`keys`]: [`Keys`], the key schema.
//! - [`codec`]: the 80-byte candle and 56-byte ticker layouts.
//! - `write` and `lua/`: the write scripts and the commands that call them, shared by the store
//!   and the mirror.
//! - `pool`: the blocking connections of the store.
//! - [`store`]: the store, [`RedisCandleStore`].
//! - [`mirror`]: [`RedisMirror`] and [`MirrorConfig`]; its bounded queue (`mirror/queue.rs`),
//!   writer task (`mirror/task.rs`: connect, PING, reconnect, drain), flushes
//!   (`mirror/flush.rs`) and health ([`MirrorHealth`], metrics; `mirror/health.rs`).
//! - [`error`]: the error type, [`Error`].

pub mod codec;
pub mod config;
pub mod error;
pub mod keys;
pub mod mirror;
mod pool;
pub mod store;
mod write;

pub use config::RedisConfig;
pub use error::Error;
pub use keys::Keys;
pub use mirror::{MirrorConfig, MirrorHealth, RedisMirror, RedisState};
pub use store::RedisCandleStore;
