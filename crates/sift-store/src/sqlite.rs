//! The SQLite store: the embedded default (`./data/sift.db`).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::sql::{Db, SqlitePools};
use crate::{Result, StoreError};

/// The SQLite migrations, embedded.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// The database file `sift serve` uses by default.
pub const DEFAULT_PATH: &str = "./data/sift.db";

/// How long a writer waits for another's lock before failing with `Unavailable`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Reader connections to a database file: WAL lets them run beside the one writer.
const MAX_READERS: u32 = 8;
/// Rows `PRAGMA optimize` samples per index when a connection closes.
const ANALYSIS_LIMIT: u32 = 1_000;
/// The writer's page cache (negative: KiB): 16 MB holds a close's working set of index pages.
/// A close commits thousands of signals into b-trees at places spread over them: with
/// SQLite's 2 MB default the writer spilled pages mid-transaction and wrote the statement
/// journal to a temporary file.
const WRITER_CACHE: &str = "-16384";
/// Each reader's page cache: pages beyond it come from the operating system's file cache.
const READER_CACHE: &str = "-4096";
/// How long a call waits for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the background task moves the write-ahead log into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// WAL pages (4 KiB) at which a commit checkpoints by itself: a safety net for when the
/// background task falls behind, far above what it lets accumulate.
const WAL_AUTOCHECKPOINT: &str = "16384";

/// The [`Store`](crate::Store) over SQLite (WAL mode, foreign keys on, one writer connection
/// and a pool of readers).
pub struct SqliteStore {
    pub(crate) db: Db,
    /// The background checkpointer of a database file, stopped with the store.
    _checkpointer: Option<AbortOnDrop>,
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
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
        let options = options
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // Keeps the planner's statistics fresh (pooled connections are recycled every
            // few minutes); the limit bounds the time it takes.
            .optimize_on_close(true, Some(ANALYSIS_LIMIT))
            .pragma("temp_store", "memory");
        if in_memory {
            // Every connection to `:memory:` is a database of its own: keep exactly one.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options.pragma("cache_size", WRITER_CACHE))
                .await?;
            let pools = SqlitePools {
                read: pool.clone(),
                write: pool,
            };
            return Ok(Self {
                db: Db::Sqlite(pools),
                _checkpointer: None,
            });
        }
        create_parent_dir(options.get_filename())?;
        // NORMAL is safe with WAL: a crash of the process loses nothing committed.
        // Checkpoints run in the background (see `checkpoint`), not inside the commit of
        // whichever close crossed SQLite's default 1000 pages.
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT);
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone().pragma("cache_size", WRITER_CACHE))
            .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(MAX_READERS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.pragma("cache_size", READER_CACHE))
            .await?;
        // A reader checkpoints, so the writer never waits behind it.
        let checkpointer = AbortOnDrop(tokio::spawn(checkpoint(read.clone())).abort_handle());
        Ok(Self {
            db: Db::Sqlite(SqlitePools { read, write }),
            _checkpointer: Some(checkpointer),
        })
    }
}

/// Copies committed pages from the write-ahead log into the database file every
/// [`CHECKPOINT_EVERY`], beside the writer (`PASSIVE` never waits for readers or writers),
/// until the pool closes.
async fn checkpoint(pool: SqlitePool) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !pool.is_closed() {
        tick.tick().await;
        if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            if pool.is_closed() {
                return;
            }
            tracing::debug!(error = %err, "WAL checkpoint failed");
        }
    }
}

fn create_parent_dir(file: &Path) -> Result<()> {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir)
            .map_err(|err| StoreError::Config(format!("creating {}: {err}", dir.display()))),
        _ => Ok(()),
    }
}
