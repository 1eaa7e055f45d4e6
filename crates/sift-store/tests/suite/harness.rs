//! A store per test, plus raw SQL access for fault injection.

use std::sync::Arc;

use sift_store::{PostgresStore, SqliteStore, Store};
use sift_test_support::postgres::{TestDatabase, test_database};
use sqlx::Connection;

enum Backing {
    Sqlite(tempfile::TempDir),
    Postgres(Box<TestDatabase>),
}

/// A migrated store of its own and what backs it.
pub(crate) struct Harness {
    pub(crate) store: Arc<dyn Store>,
    backing: Backing,
}

pub(crate) async fn sqlite() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("sift.db");
    let store = SqliteStore::open(path.to_str().unwrap()).await.unwrap();
    store.migrate().await.unwrap();
    Harness {
        store: Arc::new(store),
        backing: Backing::Sqlite(dir),
    }
}

pub(crate) async fn postgres() -> Harness {
    let db = test_database().await.unwrap();
    let store = PostgresStore::connect(db.url()).await.unwrap();
    store.migrate().await.unwrap();
    Harness {
        store: Arc::new(store),
        backing: Backing::Postgres(Box::new(db)),
    }
}

impl Harness {
    pub(crate) fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Runs `sql` on a connection of its own, outside the store.
    pub(crate) async fn raw(&self, sql: &str) {
        match &self.backing {
            Backing::Sqlite(dir) => {
                let path = dir.path().join("nested").join("sift.db");
                let mut conn = sqlx::SqliteConnection::connect(&format!(
                    "sqlite://{}",
                    path.to_str().unwrap()
                ))
                .await
                .unwrap();
                sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
            Backing::Postgres(db) => {
                let mut conn = sqlx::PgConnection::connect(db.url()).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
        }
    }

    pub(crate) async fn cleanup(self) {
        self.store.close().await;
        match self.backing {
            Backing::Sqlite(dir) => drop(dir),
            Backing::Postgres(db) => db.cleanup().await.unwrap(),
        }
    }
}
