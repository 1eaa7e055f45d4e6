//! The PostgreSQL store, used when `database.url` is set.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::sql::Db;
use crate::{Result, StoreError};

/// The PostgreSQL migrations, embedded.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Pool size per process.
const MAX_CONNECTIONS: u32 = 16;
/// How long a call waits for a connection (including connecting) before `Unavailable`.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The [`Store`](crate::Store) over PostgreSQL. Its `Debug` never shows the URL (it may hold
/// a password).
pub struct PostgresStore {
    pub(crate) db: Db,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects a pool to `url` (`postgres://user:pass@host:port/db`); fails with
    /// `Unavailable` when the server cannot be reached. Does not migrate.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|_| StoreError::Config("invalid postgres url".to_owned()))?;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(StoreError::from)?;
        Ok(Self {
            db: Db::Postgres(pool),
        })
    }
}
