//! The SQLite store: the embedded default (`./data/sift.db`).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::sql::Db;
use crate::{Result, StoreError};

/// The SQLite migrations, embedded.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// The database file `sift serve` uses by default.
pub const DEFAULT_PATH: &str = "./data/sift.db";

/// How long a writer waits for another's lock before failing with `Unavailable`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections to a database file: WAL lets readers run beside the one writer.
const MAX_CONNECTIONS: u32 = 8;
/// Rows `PRAGMA optimize` samples per index when a connection closes.
const ANALYSIS_LIMIT: u32 = 1_000;
/// Page cache per connection (negative: KiB): 16 MB holds a close's working set of index pages.
const CACHE_SIZE: &str = "-16384";
/// How long a call waits for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// The [`Store`](crate::Store) over SQLite (WAL mode, foreign keys on, a connection pool).
pub struct SqliteStore {
    pub(crate) db: Db,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating it and its directory when missing) the database at `location`: a file
    /// path, a `sqlite:` URL, or `sqlite::memory:` for a private in-memory database (one
    /// connection, gone when the store is dropped). Does not migrate; see
    /// [`Store::migrate`](crate::Store::migrate) or [`crate::open`].
    pub async fn open(location: &str) -> Result<Self> {
        let in_memory = location.contains(":memory:") || location.contains("mode=memory");
        let options = if location.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(location)
                .map_err(|_| StoreError::Config("invalid sqlite url".to_owned()))?
        } else {
            SqliteConnectOptions::new().filename(location)
        };
        let mut options = options
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // Keeps the planner's statistics fresh (pooled connections are recycled every
            // few minutes); the limit bounds the time it takes.
            .optimize_on_close(true, Some(ANALYSIS_LIMIT))
            // A close commits thousands of signals into six b-trees at random places: with
            // SQLite's 2 MB default page cache it spilled pages mid-transaction and wrote the
            // statement journal to a temporary file.
            .pragma("cache_size", CACHE_SIZE)
            .pragma("temp_store", "memory");
        let pool = if in_memory {
            // Every connection to `:memory:` is a database of its own: keep exactly one.
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            create_parent_dir(options.get_filename())?;
            // NORMAL is safe with WAL: a crash of the process loses nothing committed.
            options = options
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal);
            SqlitePoolOptions::new().max_connections(MAX_CONNECTIONS)
        };
        let pool = pool
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(StoreError::from)?;
        Ok(Self {
            db: Db::Sqlite(pool),
        })
    }
}

fn create_parent_dir(file: &Path) -> Result<()> {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir)
            .map_err(|err| StoreError::Config(format!("creating {}: {err}", dir.display()))),
        _ => Ok(()),
    }
}
