//! Signals: idempotent inserts, filtered cursor pages, catch-up by id.

use std::collections::{BTreeSet, HashMap, HashSet};

use sift_core::{Interval, Symbol};

use crate::model::{Assigned, NewSignal, Signal, SignalCursor, SignalFilter, SignalOrder};
use crate::sql::{Db, Row, Sql, Tx, page};
use crate::{Result, StoreError};

pub(crate) const COLUMNS: &str =
    "id, trader_id, symbol, interval, open_time, close_time, price, snapshot, created_at";

/// Rows per multi-row INSERT when ids are assigned here (SQLite: at most 32,766 arguments).
const LOCKED_INSERT_CHUNK: usize = 2_000;
/// Ids per `IN (...)` list.
const ID_CHUNK: usize = 5_000;

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

/// Inserts inside `tx`, skipping existing keys and signals of traders deleted meanwhile (they
/// are skipped rather than failing the close, which would then be retried forever); the new
/// rows ordered by id, which `assigned` is also told before they are written (with the write
/// lock) or before the transaction commits.
///
/// Rows go in sorted by their unique key so concurrent commits of overlapping signals lock
/// index entries in the same order (no deadlock on PostgreSQL), and get ids in that order.
pub(crate) async fn insert_in(
    tx: &mut Tx,
    mut sorted: Vec<&NewSignal>,
    assigned: Assigned<'_>,
) -> Result<Vec<Signal>> {
    sorted.sort_by(|a, b| key(a).cmp(&key(b)));
    sorted.dedup_by(|a, b| key(a) == key(b));
    match tx {
        Tx::Postgres(pg) => {
            let inserted = crate::postgres_signals::insert(pg, &sorted).await?;
            if !inserted.is_empty() {
                assigned(&inserted);
            }
            Ok(inserted)
        }
        Tx::Sqlite(_) => insert_locked(tx, sorted, assigned).await,
    }
}

fn key(s: &NewSignal) -> (i64, &Symbol, &'static str, i64) {
    (s.trader_id, &s.symbol, s.interval.as_str(), s.open_time)
}

/// The stored form of `new` under `id`.
pub(crate) fn to_signal(id: i64, new: &NewSignal) -> Signal {
    Signal {
        id,
        trader_id: new.trader_id,
        symbol: new.symbol.clone(),
        interval: new.interval,
        open_time: new.open_time,
        close_time: new.close_time,
        price: new.price,
        values: new.values.clone(),
        created_at: new.created_at,
    }
}

/// With the write lock held nothing else inserts, so this transaction can tell beforehand
/// which rows are new (a few indexed reads) and give them ids itself: the insert then
/// returns no rows. Sending thousands of rows back, snapshots included, made up most of a
/// busy close's commit on SQLite.
async fn insert_locked(
    tx: &mut Tx,
    sorted: Vec<&NewSignal>,
    assigned: Assigned<'_>,
) -> Result<Vec<Signal>> {
    let live = existing_traders(tx, &sorted).await?;
    let stored = stored_keys(tx, &sorted).await?;
    let new: Vec<&NewSignal> = sorted
        .into_iter()
        .filter(|s| {
            live.contains(&s.trader_id)
                && !stored.contains(&(s.trader_id, s.symbol.as_str(), s.interval, s.open_time))
        })
        .collect();
    if new.is_empty() {
        return Ok(Vec::new());
    }
    // Above every id ever used (AUTOINCREMENT's sequence), so ids only grow.
    let last = tx
        .one(&Sql::new(
            "SELECT MAX(COALESCE((SELECT MAX(id) FROM signals), 0), \
             COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'signals'), 0)) AS last",
        ))
        .await?
        .i64("last")?;
    let inserted: Vec<Signal> = (last + 1..)
        .zip(&new)
        .map(|(id, s)| to_signal(id, s))
        .collect();
    assigned(&inserted);
    for (chunk, rows) in new
        .chunks(LOCKED_INSERT_CHUNK)
        .zip(inserted.chunks(LOCKED_INSERT_CHUNK))
    {
        let mut sql = Sql::new(
            "INSERT INTO signals (id, trader_id, symbol, interval, open_time, close_time, price, \
             snapshot, created_at) VALUES ",
        );
        for (i, (s, row)) in chunk.iter().zip(rows).enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" })
                .bind(row.id)
                .push(", ");
            bind_row(&mut sql, s)?;
            sql.push(")");
        }
        tx.exec(&sql).await?;
    }
    Ok(inserted)
}

/// Binds one row's eight values, comma separated.
fn bind_row(sql: &mut Sql, s: &NewSignal) -> Result<()> {
    let snapshot = serde_json::to_string(&s.values).map_err(StoreError::corrupt)?;
    sql.bind(s.trader_id)
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
        .bind(s.created_at);
    Ok(())
}

/// Which of the signals' traders still exist.
async fn existing_traders(tx: &mut Tx, signals: &[&NewSignal]) -> Result<HashSet<i64>> {
    let ids: BTreeSet<i64> = signals.iter().map(|s| s.trader_id).collect();
    let ids: Vec<i64> = ids.into_iter().collect();
    let mut live = HashSet::with_capacity(ids.len());
    for chunk in ids.chunks(ID_CHUNK) {
        let mut sql = Sql::new("SELECT id FROM traders WHERE id IN ");
        sql.bind_list(chunk);
        for row in tx.all(&sql).await? {
            live.insert(row.i64("id")?);
        }
    }
    Ok(live)
}

/// The keys already stored among the signals' candles (one indexed range per candle time:
/// empty for a close seen the first time, everything on a replay).
async fn stored_keys<'a>(
    tx: &mut Tx,
    signals: &[&'a NewSignal],
) -> Result<HashSet<(i64, &'a str, Interval, i64)>> {
    let candles: BTreeSet<(i64, Interval)> =
        signals.iter().map(|s| (s.open_time, s.interval)).collect();
    // Borrow the signals' own symbols so the set holds no copies.
    let symbols: HashMap<&str, &'a str> = signals
        .iter()
        .map(|s| (s.symbol.as_str(), s.symbol.as_str()))
        .collect();
    let mut stored = HashSet::new();
    for (open_time, interval) in candles {
        let sql = Sql::new(
            "SELECT trader_id, symbol FROM signals WHERE open_time = $1 AND interval = $2",
        )
        .arg(open_time)
        .arg(interval.as_str());
        for row in tx.all(&sql).await? {
            let symbol = row.text("symbol")?;
            if let Some(&symbol) = symbols.get(symbol.as_str()) {
                stored.insert((row.i64("trader_id")?, symbol, interval, open_time));
            }
        }
    }
    Ok(stored)
}

pub(crate) async fn insert_signals(db: &Db, signals: &[NewSignal]) -> Result<Vec<Signal>> {
    if signals.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = db.begin().await?;
    let inserted = insert_in(&mut tx, signals.iter().collect(), &|_| {}).await?;
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
