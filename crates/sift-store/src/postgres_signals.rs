//! PostgreSQL's insert of a close's signals: one statement over arrays, whatever the count.
//!
//! A busy close stores thousands of signals. As rows of a multi-row `VALUES` list they took
//! one statement per 200 rows, each with 1,600 parameters to bind and a new plan for the last,
//! shorter chunk; as eight array parameters `UNNEST`ed into rows they take one statement with
//! one plan, and the server reads each column as one value.

use std::collections::HashMap;

use sqlx::{Postgres, Row as _, Transaction};

use crate::model::{NewSignal, Signal};
use crate::ops::signals::to_signal;
use crate::{Result, StoreError};

/// The insert of the rows of `$1`..`$8` (one array per column, in key order) whose trader
/// exists and that pass `$filter`, with `$conflict`; ids and keys returned.
macro_rules! insert_signals {
    ($filter:literal, $conflict:literal) => {
        concat!(
            "INSERT INTO signals (trader_id, symbol, interval, open_time, close_time, price, \
             snapshot, created_at) \
             SELECT v.* FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::BIGINT[], \
             $5::BIGINT[], $6::DOUBLE PRECISION[], $7::TEXT[], $8::BIGINT[]) \
             AS v (trader_id, symbol, interval, open_time, close_time, price, snapshot, \
             created_at) \
             WHERE EXISTS (SELECT 1 FROM traders t WHERE t.id = v.trader_id)",
            $filter,
            " ORDER BY v.trader_id, v.symbol, v.interval, v.open_time",
            $conflict,
            " RETURNING id, trader_id, symbol, interval, open_time"
        )
    };
}

/// The rows not stored yet. Without `ON CONFLICT` a row costs about a fifth less (no
/// speculative insertion). A commit of the same signals running at the same time (a
/// redelivered close) can still make it fail on the unique key, which [`INSERT_OR_SKIP`] then
/// takes from the savepoint before it.
const INSERT_NEW: &str = insert_signals!(
    " AND NOT EXISTS (SELECT 1 FROM signals s WHERE s.open_time = v.open_time \
     AND s.interval = v.interval AND s.trader_id = v.trader_id AND s.symbol = v.symbol)",
    ""
);

/// The rows another commit did not store meanwhile.
const INSERT_OR_SKIP: &str = insert_signals!("", " ON CONFLICT DO NOTHING");

/// The eight column arrays of an insert, in the statements' parameter order.
type Columns<'a> = (
    &'a Vec<i64>,
    &'a Vec<&'a str>,
    &'a Vec<&'static str>,
    &'a Vec<i64>,
    &'a Vec<i64>,
    &'a Vec<f64>,
    &'a Vec<String>,
    &'a Vec<i64>,
);

/// Runs `statement` over `columns`.
async fn run(
    tx: &mut Transaction<'static, Postgres>,
    statement: &'static str,
    (traders, symbols, intervals, opens, closes, prices, snapshots, created): Columns<'_>,
) -> std::result::Result<Vec<sqlx::postgres::PgRow>, sqlx::Error> {
    sqlx::query(statement)
        .bind(traders)
        .bind(symbols)
        .bind(intervals)
        .bind(opens)
        .bind(closes)
        .bind(prices)
        .bind(snapshots)
        .bind(created)
        .fetch_all(&mut **tx)
        .await
}

/// Inserts `sorted` (each key once, in key order) but the signals already stored, skipping
/// signals of traders deleted meanwhile: safe beside other writers and deletes. Rows go in key order, so
/// concurrent commits of overlapping signals lock index entries in the same order and ids
/// follow that order. Only ids and keys come back; the new signals, ordered by id.
pub(crate) async fn insert(
    tx: &mut Transaction<'static, Postgres>,
    sorted: &[&NewSignal],
) -> Result<Vec<Signal>> {
    if sorted.is_empty() {
        return Ok(Vec::new());
    }
    let n = sorted.len();
    let (mut traders, mut symbols, mut intervals) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut opens, mut closes, mut prices, mut snapshots, mut created) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for s in sorted {
        traders.push(s.trader_id);
        symbols.push(s.symbol.as_str());
        intervals.push(s.interval.as_str());
        opens.push(s.open_time);
        closes.push(s.close_time);
        prices.push(s.price);
        snapshots.push(serde_json::to_string(&s.values).map_err(StoreError::corrupt)?);
        created.push(s.created_at);
    }
    // Signals have no foreign key to traders (migration 0004): the traders are locked once,
    // in id order, as the key locked them per row, so a delete waits for this commit and
    // deletes what it stored, and the insert below sees which traders still exist.
    let mut distinct = traders.clone();
    distinct.dedup();
    crate::sql::timed("postgres", async {
        sqlx::query("SELECT id FROM traders WHERE id = ANY($1) ORDER BY id FOR KEY SHARE")
            .bind(&distinct)
            .execute(&mut **tx)
            .await?;
        // See `INSERT_NEW`: a savepoint to fall back to.
        sqlx::query("SAVEPOINT signals_insert")
            .execute(&mut **tx)
            .await
            .map_err(StoreError::from)
    })
    .await?;
    let columns = (
        &traders, &symbols, &intervals, &opens, &closes, &prices, &snapshots, &created,
    );
    let rows = crate::sql::timed("postgres", async {
        match run(tx, INSERT_NEW, columns).await {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                sqlx::query("ROLLBACK TO SAVEPOINT signals_insert")
                    .execute(&mut **tx)
                    .await?;
                run(tx, INSERT_OR_SKIP, columns).await
            }
            result => result,
        }
        .map_err(StoreError::from)
    })
    .await?;
    let by_key: HashMap<(i64, &str, &str, i64), &NewSignal> = sorted
        .iter()
        .map(|s| {
            (
                (
                    s.trader_id,
                    s.symbol.as_str(),
                    s.interval.as_str(),
                    s.open_time,
                ),
                *s,
            )
        })
        .collect();
    let mut inserted = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.try_get("id").map_err(StoreError::from)?;
        let trader: i64 = row.try_get("trader_id").map_err(StoreError::from)?;
        let symbol: &str = row.try_get("symbol").map_err(StoreError::from)?;
        let interval: &str = row.try_get("interval").map_err(StoreError::from)?;
        let open_time: i64 = row.try_get("open_time").map_err(StoreError::from)?;
        let new = by_key
            .get(&(trader, symbol, interval, open_time))
            .ok_or_else(|| StoreError::corrupt("an inserted signal that was not sent"))?;
        inserted.push(to_signal(id, new));
    }
    inserted.sort_by_key(|s| s.id);
    Ok(inserted)
}
