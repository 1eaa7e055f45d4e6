//! Signals: idempotent inserts, filtered cursor pages, catch-up by id.

use sift_core::{Interval, Symbol};

use crate::model::{NewSignal, Signal, SignalCursor, SignalFilter, SignalOrder};
use crate::sql::{Db, Row, Sql, Tx, page};
use crate::{Result, StoreError};

pub(crate) const COLUMNS: &str =
    "id, trader_id, symbol, interval, open_time, close_time, price, snapshot, created_at";

/// Rows per multi-row INSERT: 9 arguments each stays far below both backends' limits.
const INSERT_CHUNK: usize = 200;

pub(crate) fn signal(row: &Row) -> Result<Signal> {
    Ok(Signal {
        id: row.i64("id")?,
        trader_id: row.i64("trader_id")?,
        symbol: row.parse::<Symbol>("symbol")?,
        interval: row.parse::<Interval>("interval")?,
        open_time: row.i64("open_time")?,
        close_time: row.i64("close_time")?,
        price: row.f64("price")?,
        values: row.json("snapshot")?,
        created_at: row.i64("created_at")?,
    })
}

/// Inserts inside `tx`, skipping existing keys; the new rows ordered by id.
///
/// Rows go in sorted by their unique key so concurrent commits of overlapping signals lock
/// index entries in the same order (no deadlock on PostgreSQL), and get ids in that order.
pub(crate) async fn insert_in(tx: &mut Tx, signals: &[NewSignal]) -> Result<Vec<Signal>> {
    let mut sorted: Vec<&NewSignal> = signals.iter().collect();
    sorted.sort_by(|a, b| {
        (a.trader_id, &a.symbol, a.interval.as_str(), a.open_time).cmp(&(
            b.trader_id,
            &b.symbol,
            b.interval.as_str(),
            b.open_time,
        ))
    });
    let mut inserted = Vec::new();
    for chunk in sorted.chunks(INSERT_CHUNK) {
        // Signals of traders deleted meanwhile are skipped rather than failing the close
        // (which would then be retried forever).
        let mut sql = Sql::new(
            "INSERT INTO signals (trader_id, symbol, interval, open_time, close_time, price, \
             snapshot, created_at) SELECT * FROM (VALUES ",
        );
        for (i, s) in chunk.iter().enumerate() {
            let snapshot = serde_json::to_string(&s.values).map_err(StoreError::corrupt)?;
            sql.push(if i == 0 { "(" } else { ", (" })
                .bind(s.trader_id)
                .push(", ")
                .bind(s.symbol.as_str())
                .push(", ")
                .bind(s.interval.as_str())
                .push(", ")
                .bind(s.open_time)
                .push(", ")
                .bind(s.close_time)
                .push(", ")
                .bind(s.price)
                .push(", ")
                .bind(snapshot)
                .push(", ")
                .bind(s.created_at)
                .push(")");
        }
        // Both backends name the columns of a VALUES list column1, column2, ... The ORDER BY
        // keeps ids in key order and the lock order stable on PostgreSQL.
        sql.push(
            ") AS v WHERE EXISTS (SELECT 1 FROM traders t WHERE t.id = v.column1) \
             ORDER BY column1, column2, column3, column4 ON CONFLICT DO NOTHING RETURNING ",
        )
        .push(COLUMNS);
        for row in tx.all(&sql).await? {
            inserted.push(signal(&row)?);
        }
    }
    inserted.sort_by_key(|s| s.id);
    Ok(inserted)
}

pub(crate) async fn insert_signals(db: &Db, signals: &[NewSignal]) -> Result<Vec<Signal>> {
    if signals.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = db.begin().await?;
    let inserted = insert_in(&mut tx, signals).await?;
    tx.commit().await?;
    Ok(inserted)
}

pub(crate) async fn list_signals(
    db: &Db,
    filter: &SignalFilter,
) -> Result<(Vec<Signal>, Option<SignalCursor>)> {
    if filter.trader_ids.as_ref().is_some_and(Vec::is_empty) {
        return Ok((Vec::new(), None));
    }
    let limit = page(filter.limit);
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM signals WHERE TRUE"));
    if let Some(ids) = &filter.trader_ids {
        sql.push(" AND trader_id IN ").bind_list(ids);
    }
    if let Some(symbol) = &filter.symbol {
        sql.push(" AND symbol = ").bind(symbol.as_str());
    }
    if let Some(interval) = filter.interval {
        sql.push(" AND interval = ").bind(interval.as_str());
    }
    if let Some(since) = filter.since {
        sql.push(" AND open_time >= ").bind(since);
    }
    if let Some(until) = filter.until {
        sql.push(" AND open_time < ").bind(until);
    }
    match (filter.order, filter.cursor) {
        (SignalOrder::OpenTimeDesc, Some(c)) => {
            // A row-value comparison: both planners turn it into one index range, where the
            // equivalent OR made SQLite merge two ranges and sort (30x slower).
            sql.push(" AND (open_time, id) < (")
                .bind(c.open_time)
                .push(", ")
                .bind(c.id)
                .push(")");
        }
        (SignalOrder::IdDesc, Some(c)) => {
            sql.push(" AND id < ").bind(c.id);
        }
        (_, None) => {}
    }
    sql.push(match filter.order {
        SignalOrder::OpenTimeDesc => " ORDER BY open_time DESC, id DESC LIMIT ",
        SignalOrder::IdDesc => " ORDER BY id DESC LIMIT ",
    })
    // One extra row tells whether another page follows.
    .bind(limit + 1);
    let rows = db.all(&sql).await?;
    let more = rows.len() as i64 > limit;
    let signals = rows
        .iter()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(signal)
        .collect::<Result<Vec<_>>>()?;
    let next = if more {
        signals.last().map(|s| SignalCursor {
            open_time: s.open_time,
            id: s.id,
        })
    } else {
        None
    };
    Ok((signals, next))
}

pub(crate) async fn get_signal(db: &Db, id: i64) -> Result<Option<Signal>> {
    let sql = Sql::new(&format!("SELECT {COLUMNS} FROM signals WHERE id = $1")).arg(id);
    db.opt(&sql).await?.as_ref().map(signal).transpose()
}

pub(crate) async fn signals_after_id(
    db: &Db,
    trader_ids: Option<&[i64]>,
    after_id: i64,
    limit: u32,
) -> Result<Vec<Signal>> {
    if trader_ids.is_some_and(<[i64]>::is_empty) {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM signals WHERE id > $1")).arg(after_id);
    if let Some(ids) = trader_ids {
        sql.push(" AND trader_id IN ").bind_list(ids);
    }
    sql.push(" ORDER BY id LIMIT ").bind(page(limit));
    db.all(&sql).await?.iter().map(signal).collect()
}
