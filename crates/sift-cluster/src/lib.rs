//! The distributed roles: `sift collector`, `sift worker` and `sift api`, over Redis Streams
//! and PostgreSQL.
//!
//! ```text
//! collectors ──candles──▶ Redis klines:* (mirror, idempotent)
//!   leader (lease sift:leader) ──XADD (fenced Lua)──▶ sift:closes:{shard} ──XREADGROUP sift-workers──▶ workers
//! workers (own shards by lease + rendezvous) ──commit_shard_closes──▶ PostgreSQL ──then XACK
//!         └──PUBLISH sift:signals──▶ api instances ──▶ SSE clients
//! api (Control) ──PUBLISH sift:traders──▶ workers (reload trader / switch)
//! ```
//!
//! - Closes: one stream entry per close instant and shard (the bursts of every interval that
//!   closed then, for the shard's symbols), so a worker sees each of its symbols' closes in
//!   order and a rule on 1m reads the 1h candle closed at the same instant.
//! - Leader: `SET NX PX` lease renewed every ttl/3 by compare-and-renew; the publish script
//!   checks it atomically; `sift:published` keeps the newest published open time per
//!   interval, from which a new leader republishes what it holds (no gap on takeover).
//! - Shards: each worker heartbeats into `sift:workers`; a shard belongs to the live worker of
//!   highest rendezvous weight and is held by a lease; a new owner claims the shard's pending
//!   entries before reading new ones. Indicator state stays warm per owned symbol and is
//!   rebuilt from Redis when a series was not continuous (ownership moved, a close missed).
//! - At-least-once: acknowledged after the commit; commits retried while PostgreSQL is down;
//!   duplicates are absorbed by the signals' unique key.
//! - No close lost: each commit records its shard and close in PostgreSQL (`shard_closes`);
//!   the fallback tick rebuilds from Redis's candles the published closes a shard never
//!   committed (stream entries lost with Redis, trimmed or deleted) and enqueues them again.
//!
//! # Layout
//! - [`keys`]: [`ClusterKeys`], the keys and channels. [`entry`]: what travels through Redis.
//! - [`lease`]: [`Lease`]. [`publish`]: the fenced publication. [`ownership`]: shard leases.
//! - [`consumer`]: group, read, claim, ack, entries grouped by close instant. [`process`]:
//!   the entries of one close instant evaluated and committed together.
//! - [`recover`]: the fallback tick's closes published but never committed, enqueued again.
//! - [`tickers`]: tickers from Redis for the engine and the `top = N` ranking.
//! - [`changes`]: trader changes to the workers. [`http`]: `/health` and `/metrics`.
//! - [`collector`], [`worker`], [`api`]: the roles. [`flags`]: their flags.

pub mod api;
pub mod changes;
pub mod collector;
pub mod conn;
pub mod consumer;
pub mod entry;
pub mod flags;
pub mod http;
pub mod keys;
pub mod lease;
pub mod ownership;
pub mod process;
pub mod publish;
pub mod recover;
pub mod tickers;
pub mod worker;

pub use collector::CollectorOptions;
pub use entry::{CloseEntry, EntryBurst, SignalMessage, TraderMessage, shard_of};
pub use keys::{ClusterKeys, GROUP};
pub use lease::{Claim, Lease};
pub use worker::WorkerOptions;

/// The notification key of a cluster role. Every api and worker must seal and open channel
/// secrets with the same key: without `notify.secret_key` each host would make its own.
fn notify_key(
    settings: &sift_server::settings::Settings,
) -> anyhow::Result<sift_notify::SecretKey> {
    if settings.notify.secret_key.is_none() {
        tracing::warn!(
            "notify.secret_key is unset: using the key file in the data directory; set \
             SIFT_NOTIFY__SECRET_KEY to the same key on every api and worker host"
        );
    }
    sift_server::serve::notify_key(settings)
}

/// The Redis URL every role needs (`--redis-url`); `role` names the role in the error.
fn redis_url(settings: &sift_server::settings::Settings, role: &str) -> anyhow::Result<String> {
    use anyhow::Context as _;
    use secrecy::ExposeSecret as _;
    Ok(settings
        .redis
        .url
        .as_ref()
        .with_context(|| format!("the {role} needs --redis-url"))?
        .expose_secret()
        .to_owned())
}

/// Fails unless the database is PostgreSQL (`--database-url`), as the worker and api roles
/// need; `role` names the role in the error.
fn require_database(settings: &sift_server::settings::Settings, role: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        settings.database.url.is_some(),
        "the {role} needs --database-url (PostgreSQL)"
    );
    Ok(())
}
