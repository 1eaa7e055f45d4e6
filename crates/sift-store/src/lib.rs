//! Persistence for Sift: the [`Store`] trait with its SQLite and PostgreSQL implementations.
//!
//! Everything Sift keeps lives here: users, sessions and API tokens, traders, signals (unique
//! per trader, symbol, interval and candle, so a retried close never duplicates one),
//! executions, favourites, notification channels with their delivery outbox, the audit log,
//! settings, the close-progress marker and which closes each cluster shard committed. Both
//! backends run the same SQL (runtime queries, `$N` placeholders, JSON kept as TEXT, times as
//! epoch milliseconds); only the migrations and connection setup differ.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sift_store::StoreError> {
//! let store = sift_store::open("./data/sift.db").await?; // or postgres://...
//! let admins = store.count_admins().await?;
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - [`model`]: the record types (`User`, `Trader`, `Signal`, ...) and what callers insert.
//! - [`store`]: the [`Store`] trait.
//! - [`error`]: [`StoreError`], mapped by the API to status codes.
//! - [`sqlite`] / [`postgres`]: [`SqliteStore::open`] and [`PostgresStore::connect`], with the
//!   embedded migrations of `migrations/sqlite` and `migrations/postgres`.
//! - `imp`: the [`Store`] implementation both share, forwarding to `ops`.
//! - `ops`: the operations, one module per concept (accounts, traders, signals, close,
//!   notify, misc), written once against `sql`.
//! - `sql`: the query builder, rows and pool/transaction wrappers over both backends; every
//!   statement is timed into [`QUERY_SECONDS`] and failures counted in [`ERRORS_TOTAL`].
//! - [`password`]: Argon2id hashing; [`token`]: random tokens and their SHA-256.

pub mod error;
mod imp;
pub mod model;
mod ops;
pub mod password;
pub mod postgres;
mod postgres_signals;
mod sql;
pub mod sqlite;
pub mod store;
pub mod token;

use std::sync::Arc;

pub use error::{Result, StoreError};
pub use model::*;
pub use postgres::PostgresStore;
pub use sql::{ERRORS_TOTAL, QUERY_SECONDS};
pub use sqlite::SqliteStore;
pub use store::{SETTING_PAUSED, Store, tier_allows};

/// Whether `location` names a PostgreSQL database rather than SQLite.
pub fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// Connects to `location` (`postgres://`/`postgresql://` URL, else a SQLite path or
/// `sqlite:` URL) without migrating.
pub async fn connect(location: &str) -> Result<Arc<dyn Store>> {
    Ok(if is_postgres_url(location) {
        Arc::new(PostgresStore::connect(location).await?)
    } else {
        Arc::new(SqliteStore::open(location).await?)
    })
}

/// Connects to `location` (see [`connect`]) and applies pending migrations: what `sift serve`
/// does on start.
pub async fn open(location: &str) -> Result<Arc<dyn Store>> {
    let store = connect(location).await?;
    store.migrate().await?;
    Ok(store)
}
