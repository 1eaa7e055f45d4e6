//! A fresh PostgreSQL database per test.
//!
//! [`test_database`] creates a uniquely named database through the admin connection given by
//! `SIFT_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`); call
//! [`TestDatabase::cleanup`] at the end of the test to drop it. Dropping a `TestDatabase`
//! without `cleanup` (a failing test) drops the database best effort on a helper thread;
//! names start with `sift_test_` so leftovers are easy to sweep.

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Executor};

/// The admin URL used when `SIFT_TEST_DATABASE_URL` is not set.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Bound on connecting to, creating or dropping a database.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(15);

/// A database of its own for one test.
#[derive(Debug)]
pub struct TestDatabase {
    admin: PgConnectOptions,
    name: String,
    url: String,
    dropped: bool,
}

/// Creates a fresh, empty database and answers its handle.
pub async fn test_database() -> anyhow::Result<TestDatabase> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let admin_url = admin_url();
    let admin = PgConnectOptions::from_str(&admin_url).context("parsing the admin url")?;
    let name = format!(
        "sift_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        rand::random::<u32>()
    );
    admin_execute(&admin, &format!("CREATE DATABASE {name}"))
        .await
        .with_context(|| format!("creating database {name}"))?;
    let mut url = url::Url::parse(&admin_url).context("parsing the admin url")?;
    url.set_path(&name);
    Ok(TestDatabase {
        admin,
        name,
        url: url.to_string(),
        dropped: false,
    })
}

/// `SIFT_TEST_DATABASE_URL`, or [`DEFAULT_ADMIN_URL`].
pub fn admin_url() -> String {
    std::env::var("SIFT_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

async fn admin_execute(admin: &PgConnectOptions, sql: &str) -> anyhow::Result<()> {
    tokio::time::timeout(ADMIN_TIMEOUT, async {
        let mut conn = PgConnection::connect_with(admin).await?;
        conn.execute(sql).await?;
        conn.close().await
    })
    .await
    .context("timed out")?
    .context("admin statement")
}

impl TestDatabase {
    /// The URL of this test's database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops the database (closing other connections to it first).
    pub async fn cleanup(mut self) -> anyhow::Result<()> {
        self.dropped = true;
        admin_execute(
            &self.admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        )
        .await
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // Best effort, on a thread of its own (joined) so it works inside or outside a runtime.
        let admin = self.admin.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(admin_execute(&admin, &sql))
        });
        if let Ok(Err(error)) = dropper.join() {
            tracing::debug!(error = %format!("{error:#}"), "dropping test database failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn exists(name: &str) -> bool {
        let mut admin = PgConnection::connect(&admin_url()).await.unwrap();
        let found: Option<(String,)> =
            sqlx::query_as("SELECT datname::text FROM pg_database WHERE datname = $1")
                .bind(name)
                .fetch_optional(&mut admin)
                .await
                .unwrap();
        found.is_some()
    }

    #[tokio::test]
    async fn dropping_without_cleanup_still_drops_it() {
        let db = test_database().await.unwrap();
        // An open connection, as a failing test's store would leave behind.
        let conn = PgConnection::connect(db.url()).await.unwrap();
        let name = db.name().to_owned();
        assert!(exists(&name).await);
        drop(db);
        assert!(!exists(&name).await);
        drop(conn);
    }

    #[tokio::test]
    async fn creates_a_usable_database_and_drops_it() {
        let db = test_database().await.unwrap();
        let mut conn = PgConnection::connect(db.url()).await.unwrap();
        let one: (i32,) = sqlx::query_as("SELECT 1")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(one.0, 1);
        conn.close().await.unwrap();
        let name = db.name().to_owned();
        db.cleanup().await.unwrap();

        assert!(!exists(&name).await);
    }
}
