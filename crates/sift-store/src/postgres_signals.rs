//! PostgreSQL's insert of a close's signals: one statement over arrays, whatever the count.
//!
//! A busy close stores thousands of signals. As rows of a multi-row `VALUES` list they took
//! one statement per 200 rows, each with 1,600 parameters to bind and a new plan for the last,
//! shorter chunk; as nine array parameters `UNNEST`ed into rows they take one statement with
//! one plan, and the server reads each column as one value.
//!
//! The first commit of a close, by far the most common, costs the server only the rows: the
//! traders that still exist come back from the lock taken on them, the ids are drawn from the
//! column's sequence beforehand, and the insert is a plain one that returns nothing. Checking
//! every row against the stored ones (an anti-join on the unique key), sorting the rows there
//! and sending ids and keys back made up about a fifth of the server's time for such an insert
//! (`sift bench cluster`, 2 workers: 32 ms down to 26 ms per 2,900 signals). Only when the plain
//! insert meets a stored key (a redelivered close) does it give way to one that skips the stored
//! rows.

use std::collections::HashSet;

use sqlx::{Postgres, Row as _, Transaction};

use crate::model::{NewSignal, Signal};
use crate::ops::signals::to_signal;
use crate::{Result, StoreError};

/// The insert of the rows of `$1`..`$9` (one array per column, ids first, in key order).
macro_rules! insert_signals {
    ($tail:literal) => {
        concat!(
            "INSERT INTO signals (id, trader_id, symbol, interval, open_time, close_time, price, \
             snapshot, created_at) \
             SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], \
             $5::BIGINT[], $6::BIGINT[], $7::DOUBLE PRECISION[], $8::TEXT[], $9::BIGINT[])",
            $tail
        )
    };
}

/// Every row: none of them stored yet. Without `ON CONFLICT` a row costs about a fifth less
/// (no speculative insertion).
const INSERT_NEW: &str = insert_signals!("");

/// The rows not stored yet, by their ids.
const INSERT_OR_SKIP: &str = insert_signals!(" ON CONFLICT DO NOTHING RETURNING id");

/// As many ids as `$1` from the sequence of the identity column `signals.id`.
const NEXT_IDS: &str = "SELECT nextval('signals_id_seq') FROM generate_series(1, $1)";

/// The nine column arrays of an insert, in the statements' parameter order.
struct Columns<'a> {
    ids: Vec<i64>,
    traders: Vec<i64>,
    symbols: Vec<&'a str>,
    intervals: Vec<&'static str>,
    opens: Vec<i64>,
    closes: Vec<i64>,
    prices: Vec<f64>,
    snapshots: Vec<String>,
    created: Vec<i64>,
}

impl<'a> Columns<'a> {
    fn new(ids: Vec<i64>, rows: &[&'a NewSignal]) -> Result<Self> {
        let n = rows.len();
        let mut columns = Columns {
            ids,
            traders: Vec::with_capacity(n),
            symbols: Vec::with_capacity(n),
            intervals: Vec::with_capacity(n),
            opens: Vec::with_capacity(n),
            closes: Vec::with_capacity(n),
            prices: Vec::with_capacity(n),
            snapshots: Vec::with_capacity(n),
            created: Vec::with_capacity(n),
        };
        for s in rows {
            columns.traders.push(s.trader_id);
            columns.symbols.push(s.symbol.as_str());
            columns.intervals.push(s.interval.as_str());
            columns.opens.push(s.open_time);
            columns.closes.push(s.close_time);
            columns.prices.push(s.price);
            columns
                .snapshots
                .push(serde_json::to_string(&s.values).map_err(StoreError::corrupt)?);
            columns.created.push(s.created_at);
        }
        Ok(columns)
    }

    /// `statement` over the columns.
    fn query(
        &self,
        statement: &'static str,
    ) -> sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments> {
        sqlx::query(statement)
            .bind(&self.ids)
            .bind(&self.traders)
            .bind(&self.symbols)
            .bind(&self.intervals)
            .bind(&self.opens)
            .bind(&self.closes)
            .bind(&self.prices)
            .bind(&self.snapshots)
            .bind(&self.created)
    }
}

/// Inserts `sorted` (each key once, in key order) but the signals already stored, skipping
/// signals of traders deleted meanwhile: safe beside other writers and deletes. Rows go in key
/// order, so concurrent commits of overlapping signals lock index entries in the same order and
/// ids follow that order. The new signals, ordered by id.
pub(crate) async fn insert(
    tx: &mut Transaction<'static, Postgres>,
    sorted: &[&NewSignal],
) -> Result<Vec<Signal>> {
    if sorted.is_empty() {
        return Ok(Vec::new());
    }
    // Signals have no foreign key to traders (migration 0004): the traders are locked once,
    // in id order, as the key locked them per row, so a delete waits for this commit and
    // deletes what it stored; the rows locked are the traders that still exist.
    let mut distinct: Vec<i64> = sorted.iter().map(|s| s.trader_id).collect();
    distinct.dedup();
    let live: HashSet<i64> = crate::sql::timed("postgres", async {
        sqlx::query_scalar("SELECT id FROM traders WHERE id = ANY($1) ORDER BY id FOR KEY SHARE")
            .bind(&distinct)
            .fetch_all(&mut **tx)
            .await
            .map_err(StoreError::from)
    })
    .await?
    .into_iter()
    .collect();
    let rows: Vec<&NewSignal> = sorted
        .iter()
        .copied()
        .filter(|s| live.contains(&s.trader_id))
        .collect();
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let count = i64::try_from(rows.len()).map_err(StoreError::corrupt)?;
    let ids: Vec<i64> = crate::sql::timed("postgres", async {
        let mut ids: Vec<i64> = sqlx::query_scalar(NEXT_IDS)
            .bind(count)
            .fetch_all(&mut **tx)
            .await?;
        ids.sort_unstable();
        // A savepoint to fall back to should the plain insert meet a stored key.
        sqlx::query("SAVEPOINT signals_insert")
            .execute(&mut **tx)
            .await?;
        Ok::<_, StoreError>(ids)
    })
    .await?;
    if ids.len() != rows.len() {
        return Err(StoreError::corrupt(
            "the sequence gave fewer ids than asked",
        ));
    }
    let columns = Columns::new(ids, &rows)?;
    let inserted: Option<HashSet<i64>> = crate::sql::timed("postgres", async {
        match columns.query(INSERT_NEW).execute(&mut **tx).await {
            Ok(_) => Ok(None),
            // A redelivered close, or the same close committing beside this one: its rows
            // are skipped, whichever commit stored them.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                sqlx::query("ROLLBACK TO SAVEPOINT signals_insert")
                    .execute(&mut **tx)
                    .await?;
                let rows = columns.query(INSERT_OR_SKIP).fetch_all(&mut **tx).await?;
                rows.iter()
                    .map(|row| row.try_get::<i64, _>("id"))
                    .collect::<std::result::Result<HashSet<i64>, _>>()
                    .map(Some)
            }
            Err(e) => Err(e),
        }
        .map_err(StoreError::from)
    })
    .await?;
    Ok(columns
        .ids
        .iter()
        .zip(rows)
        .filter(|(id, _)| {
            inserted
                .as_ref()
                .is_none_or(|inserted| inserted.contains(id))
        })
        .map(|(&id, s)| to_signal(id, s))
        .collect())
}
