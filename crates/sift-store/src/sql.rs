//! The thin layer that lets one SQL text run on both backends.
//!
//! Queries are built as [`Sql`] (text with `$N` placeholders plus typed arguments; SQLite gets
//! them rewritten to anonymous `?`) and run on a [`Db`] (either pool) or a [`Tx`]; rows come back as
//! [`Row`], read by column name. Only these few `match`es know which backend is in use.

use std::future::Future;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgPool, PgRow};
use sqlx::query::Query;
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Database, Encode, Postgres, Row as _, Sqlite, Transaction, Type};

use crate::{Result, StoreError};

/// One bound value. Options stay typed so PostgreSQL gets typed NULLs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    I64(Option<i64>),
    F64(f64),
    Bool(Option<bool>),
    Text(Option<String>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Self::I64(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Self::I64(v)
    }
}
impl From<f64> for Arg {
    fn from(v: f64) -> Self {
        Self::F64(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Self::Bool(Some(v))
    }
}
impl From<Option<bool>> for Arg {
    fn from(v: Option<bool>) -> Self {
        Self::Bool(v)
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Self::Text(Some(v))
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Self::Text(Some(v.to_owned()))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Self::Text(v)
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Self::Text(v.map(str::to_owned))
    }
}

/// SQL text and its arguments.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    /// Starts from text that may already hold `$1..$n` for the arguments added with [`arg`].
    ///
    /// [`arg`]: Sql::arg
    pub(crate) fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }

    /// Adds an argument for a placeholder already in the text.
    pub(crate) fn arg(mut self, value: impl Into<Arg>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Appends text.
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub(crate) fn bind(&mut self, value: impl Into<Arg>) -> &mut Self {
        self.args.push(value.into());
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    /// Appends `(v1, v2, ...)` placeholders; `values` must not be empty.
    pub(crate) fn bind_list<T: Into<Arg> + Copy>(&mut self, values: &[T]) -> &mut Self {
        self.push("(");
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(*value);
        }
        self.push(")")
    }
}

impl Sql {
    /// The same statement with SQLite's anonymous `?` placeholders: each `$N` (outside string
    /// literals) becomes `?` and its argument is repeated in order of appearance.
    ///
    /// SQLite keeps numbered and named parameters in a list it searches linearly, once per
    /// placeholder when preparing and once per argument when binding: a 1,800-argument
    /// multi-row insert spent most of its time there. Anonymous ones are not in that list.
    fn positional(&self) -> Self {
        let mut text = String::with_capacity(self.text.len());
        let mut args = Vec::with_capacity(self.args.len());
        let mut chars = self.text.char_indices().peekable();
        let mut in_literal = false;
        while let Some((at, c)) = chars.next() {
            if c == '\'' {
                in_literal = !in_literal;
            } else if c == '$' && !in_literal {
                let digits = self.text[at + 1..]
                    .bytes()
                    .take_while(u8::is_ascii_digit)
                    .count();
                let arg = self.text[at + 1..at + 1 + digits]
                    .parse::<usize>()
                    .ok()
                    .and_then(|n| self.args.get(n.checked_sub(1)?));
                if let Some(arg) = arg {
                    text.push('?');
                    args.push(arg.clone());
                    for _ in 0..digits {
                        chars.next();
                    }
                    continue;
                }
            }
            text.push(c);
        }
        Self { text, args }
    }
}

/// Binds the arguments of `sql` for backend `DB`.
fn query<'q, DB>(sql: &'q Sql) -> Query<'q, DB, <DB as Database>::Arguments<'q>>
where
    DB: Database,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    f64: Encode<'q, DB> + Type<DB>,
    Option<bool>: Encode<'q, DB> + Type<DB>,
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
{
    let mut q = sqlx::query::<DB>(&sql.text);
    for arg in &sql.args {
        q = match arg {
            Arg::I64(v) => q.bind(*v),
            Arg::F64(v) => q.bind(*v),
            Arg::Bool(v) => q.bind(*v),
            Arg::Text(v) => q.bind(v.as_deref()),
        };
    }
    q
}

/// A result row of either backend.
pub(crate) enum Row {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Row")
    }
}

macro_rules! getter {
    ($name:ident, $ty:ty) => {
        pub(crate) fn $name(&self, column: &str) -> Result<$ty> {
            match self {
                Self::Sqlite(row) => row.try_get::<$ty, _>(column),
                Self::Postgres(row) => row.try_get::<$ty, _>(column),
            }
            .map_err(|err| StoreError::corrupt(format_args!("column {column}: {err}")))
        }
    };
}

impl Row {
    getter!(i64, i64);
    getter!(opt_i64, Option<i64>);
    getter!(f64, f64);
    getter!(bool, bool);
    getter!(text, String);
    getter!(opt_text, Option<String>);

    /// A TEXT column holding JSON.
    pub(crate) fn json<T: serde::de::DeserializeOwned>(&self, column: &str) -> Result<T> {
        serde_json::from_str(&self.text(column)?)
            .map_err(|err| StoreError::corrupt(format_args!("column {column}: {err}")))
    }

    /// A TEXT column holding a value parsed with `FromStr`.
    pub(crate) fn parse<T>(&self, column: &str) -> Result<T>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        let text = self.text(column)?;
        text.parse()
            .map_err(|err| StoreError::corrupt(format_args!("column {column}: {err}")))
    }
}

/// Either backend's connection pools. `Debug` shows only the backend (options may hold a
/// password).
#[derive(Clone)]
pub(crate) enum Db {
    Sqlite(SqlitePools),
    Postgres(PgPool),
}

/// SQLite's pools: statements and transactions that write take the one writer connection
/// (its large page cache holds a close's index pages; writers queue here rather than in
/// SQLite's busy loop), single statements go to the readers. Any connection could write:
/// the split is about memory and queueing, not correctness.
#[derive(Clone)]
pub(crate) struct SqlitePools {
    pub(crate) read: SqlitePool,
    pub(crate) write: SqlitePool,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Db").field(&self.backend()).finish()
    }
}

impl Db {
    pub(crate) async fn migrate(&self) -> Result<()> {
        match self {
            Self::Sqlite(pools) => crate::sqlite::MIGRATOR.run(&pools.write).await,
            Self::Postgres(pool) => crate::postgres::MIGRATOR.run(pool).await,
        }
        .map_err(StoreError::Migrate)
    }

    pub(crate) fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    pub(crate) async fn all(&self, sql: &Sql) -> Result<Vec<Row>> {
        timed(self.backend(), async {
            Ok(match self {
                Self::Sqlite(pools) => rows(
                    query(&sql.positional()).fetch_all(&pools.read).await?,
                    Row::Sqlite,
                ),
                Self::Postgres(pool) => rows(query(sql).fetch_all(pool).await?, Row::Postgres),
            })
        })
        .await
    }

    pub(crate) async fn opt(&self, sql: &Sql) -> Result<Option<Row>> {
        timed(self.backend(), async {
            Ok(match self {
                Self::Sqlite(pools) => query(&sql.positional())
                    .fetch_optional(&pools.read)
                    .await?
                    .map(Row::Sqlite),
                Self::Postgres(pool) => query(sql).fetch_optional(pool).await?.map(Row::Postgres),
            })
        })
        .await
    }

    /// The one row; [`StoreError::NotFound`] when there is none.
    pub(crate) async fn one(&self, sql: &Sql) -> Result<Row> {
        self.opt(sql).await?.ok_or(StoreError::NotFound)
    }

    /// Rows affected.
    pub(crate) async fn exec(&self, sql: &Sql) -> Result<u64> {
        timed(self.backend(), async {
            Ok(match self {
                Self::Sqlite(pools) => query(&sql.positional())
                    .execute(&pools.write)
                    .await?
                    .rows_affected(),
                Self::Postgres(pool) => query(sql).execute(pool).await?.rows_affected(),
            })
        })
        .await
    }

    /// Begins a write transaction. SQLite takes the write lock at once (`BEGIN IMMEDIATE`),
    /// so concurrent writers wait on `busy_timeout` instead of failing on lock upgrade.
    pub(crate) async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Self::Sqlite(pools) => Tx::Sqlite(pools.write.begin_with("BEGIN IMMEDIATE").await?),
            Self::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    pub(crate) async fn ping(&self) -> Result<Duration> {
        let started = Instant::now();
        self.one(&Sql::new("SELECT 1 AS one")).await?;
        Ok(started.elapsed())
    }

    pub(crate) async fn close(&self) {
        match self {
            Self::Sqlite(pools) => {
                pools.write.close().await;
                pools.read.close().await;
            }
            Self::Postgres(pool) => pool.close().await,
        }
    }
}

fn rows<R>(raw: Vec<R>, wrap: fn(R) -> Row) -> Vec<Row> {
    raw.into_iter().map(wrap).collect()
}

/// An open transaction on either backend; rolled back when dropped uncommitted.
#[derive(Debug)]
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    pub(crate) async fn all(&mut self, sql: &Sql) -> Result<Vec<Row>> {
        timed(self.backend(), async {
            Ok(match self {
                Self::Sqlite(tx) => rows(
                    query(&sql.positional()).fetch_all(&mut **tx).await?,
                    Row::Sqlite,
                ),
                Self::Postgres(tx) => rows(query(sql).fetch_all(&mut **tx).await?, Row::Postgres),
            })
        })
        .await
    }

    pub(crate) async fn opt(&mut self, sql: &Sql) -> Result<Option<Row>> {
        timed(self.backend(), async {
            Ok(match self {
                Self::Sqlite(tx) => query(&sql.positional())
                    .fetch_optional(&mut **tx)
                    .await?
                    .map(Row::Sqlite),
                Self::Postgres(tx) => query(sql)
                    .fetch_optional(&mut **tx)
                    .await?
                    .map(Row::Postgres),
            })
        })
        .await
    }

    pub(crate) async fn one(&mut self, sql: &Sql) -> Result<Row> {
        self.opt(sql).await?.ok_or(StoreError::NotFound)
    }

    pub(crate) async fn exec(&mut self, sql: &Sql) -> Result<u64> {
        timed(self.backend(), async {
            Ok(match self {
                Self::Sqlite(tx) => query(&sql.positional())
                    .execute(&mut **tx)
                    .await?
                    .rows_affected(),
                Self::Postgres(tx) => query(sql).execute(&mut **tx).await?.rows_affected(),
            })
        })
        .await
    }

    pub(crate) async fn commit(self) -> Result<()> {
        timed(self.backend(), async {
            match self {
                Self::Sqlite(tx) => tx.commit().await?,
                Self::Postgres(tx) => tx.commit().await?,
            }
            Ok(())
        })
        .await
    }
}

/// Histogram of statement latency in seconds, labelled by backend.
pub const QUERY_SECONDS: &str = "sift_store_query_seconds";
/// Counter of failed statements, labelled by backend and [`StoreError::kind`] (a missing row
/// is not a failure).
pub const ERRORS_TOTAL: &str = "sift_store_errors_total";

/// Runs one statement, recording its latency and failure.
pub(crate) async fn timed<T>(
    backend: &'static str,
    statement: impl Future<Output = Result<T>>,
) -> Result<T> {
    let started = Instant::now();
    let result = statement.await;
    metrics::histogram!(QUERY_SECONDS, "backend" => backend)
        .record(started.elapsed().as_secs_f64());
    if let Err(err) = &result {
        if !matches!(err, StoreError::NotFound) {
            metrics::counter!(ERRORS_TOTAL, "backend" => backend, "kind" => err.kind())
                .increment(1);
        }
    }
    result
}

/// Clamps a caller's page size to `1..=MAX_PAGE`.
pub(crate) fn page(limit: u32) -> i64 {
    i64::from(limit.clamp(1, crate::MAX_PAGE))
}

/// Wall-clock time in epoch milliseconds, for bookkeeping columns.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positional_repeats_and_reorders_arguments_and_leaves_literals_alone() {
        let sql = Sql::new("SELECT '$1', $2, $1, $2, $10 FROM t WHERE a = 'x$' AND b = $1")
            .arg(1_i64)
            .arg("two");
        let p = sql.positional();
        assert_eq!(
            p.text,
            "SELECT '$1', ?, ?, ?, $10 FROM t WHERE a = 'x$' AND b = ?"
        );
        assert_eq!(
            p.args,
            vec![
                Arg::from("two"),
                Arg::from(1_i64),
                Arg::from("two"),
                Arg::from(1_i64)
            ]
        );
    }
}
