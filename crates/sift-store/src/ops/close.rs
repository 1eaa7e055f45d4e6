//! Close processing: signals, the execution row, the outbox and the progress marker written
//! in one transaction; executions listed.

use std::collections::HashMap;

use sift_core::Interval;

use crate::model::{Assigned, CloseCommit, Execution, NewExecution, NewSignal, ShardClose, Signal};
use crate::ops::signals::insert_in;
use crate::sql::{Db, Row, Sql, Tx, now_ms, page};
use crate::{Result, StoreError};

const COLUMNS: &str = "id, interval, open_time, traders_run, symbols_checked, symbols_matched, \
     signals, duration_us, errors, created_at";

fn execution(row: &Row) -> Result<Execution> {
    Ok(Execution {
        id: row.i64("id")?,
        interval: row.parse::<Interval>("interval")?,
        open_time: row.i64("open_time")?,
        traders_run: row.i64("traders_run")?,
        symbols_checked: row.i64("symbols_checked")?,
        symbols_matched: row.i64("symbols_matched")?,
        signals: row.i64("signals")?,
        duration_us: row.i64("duration_us")?,
        errors: row.json("errors")?,
        created_at: row.i64("created_at")?,
    })
}

/// The idempotency key of the delivery of one signal to one channel.
pub(crate) fn delivery_key(signal_id: i64, channel_id: i64) -> String {
    format!("signal:{signal_id}:channel:{channel_id}")
}

/// Commits the closes of one instant in one transaction; with `shards`, records that each of
/// these cluster shards committed them (`shard_closes`) instead of advancing `close_progress`
/// (one row per interval, which concurrent workers' commits would queue on). `assigned` gets
/// the new signals once they have their ids, before they are written.
pub(crate) async fn commit_closes(
    db: &Db,
    commits: &[CloseCommit],
    shards: &[u32],
    assigned: Assigned<'_>,
) -> Result<Vec<Signal>> {
    let mut tx = db.begin().await?;
    let signals: Vec<&NewSignal> = commits.iter().flat_map(|c| &c.signals).collect();
    let inserted = insert_in(&mut tx, signals, assigned).await?;
    let by_key: HashMap<SignalKey<'_>, i64> = inserted
        .iter()
        .map(|s| {
            (
                (s.trader_id, s.symbol.as_str(), s.interval, s.open_time),
                s.id,
            )
        })
        .collect();
    for commit in commits {
        let e = &commit.execution;
        let new = inserted
            .iter()
            .filter(|s| s.interval == e.interval && s.open_time == e.open_time)
            .count();
        insert_execution(&mut tx, e, new).await?;
        queue_outbox(&mut tx, commit, &by_key).await?;
        if shards.is_empty() {
            advance_progress(&mut tx, e.interval, e.open_time).await?;
        } else {
            let mut sql = Sql::new(
                "INSERT INTO shard_closes (interval, shard, open_time, committed_at) VALUES ",
            );
            let now = now_ms();
            for (i, &shard) in shards.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" })
                    .bind(e.interval.as_str())
                    .push(", ")
                    .bind(i64::from(shard))
                    .push(", ")
                    .bind(e.open_time)
                    .push(", ")
                    .bind(now)
                    .push(")");
            }
            sql.push(" ON CONFLICT DO NOTHING");
            tx.exec(&sql).await?;
        }
    }
    tx.commit().await?;
    Ok(inserted)
}

/// A signal's unique key, borrowed.
type SignalKey<'a> = (i64, &'a str, Interval, i64);

/// The execution row, `signals` being the count of newly inserted ones.
async fn insert_execution(tx: &mut Tx, e: &NewExecution, signals: usize) -> Result<()> {
    let errors = serde_json::to_string(&e.errors).map_err(StoreError::corrupt)?;
    let sql = Sql::new(
        "INSERT INTO executions (interval, open_time, traders_run, symbols_checked, \
         symbols_matched, signals, duration_us, errors, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .arg(e.interval.as_str())
    .arg(e.open_time)
    .arg(e.traders_run)
    .arg(e.symbols_checked)
    .arg(e.symbols_matched)
    .arg(i64::try_from(signals).unwrap_or(i64::MAX))
    .arg(e.duration_us)
    .arg(errors)
    .arg(e.created_at);
    tx.exec(&sql).await?;
    Ok(())
}

/// Moves `close_progress(interval)` to `open_time`, never backwards.
async fn advance_progress(tx: &mut Tx, interval: Interval, open_time: i64) -> Result<()> {
    let sql = Sql::new(
        "INSERT INTO close_progress (interval, last_open_time, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (interval) DO UPDATE SET updated_at = excluded.updated_at, \
         last_open_time = CASE WHEN excluded.last_open_time > close_progress.last_open_time \
         THEN excluded.last_open_time ELSE close_progress.last_open_time END",
    )
    .arg(interval.as_str())
    .arg(open_time)
    .arg(now_ms());
    tx.exec(&sql).await?;
    Ok(())
}

/// The closes of `interval` committed by cluster shards, opening at or after `since`, ordered
/// by shard then open time.
pub(crate) async fn shard_closes(
    db: &Db,
    interval: Interval,
    since: i64,
) -> Result<Vec<ShardClose>> {
    let sql = Sql::new(
        "SELECT shard, open_time, committed_at FROM shard_closes \
         WHERE interval = $1 AND open_time >= $2 ORDER BY shard, open_time",
    )
    .arg(interval.as_str())
    .arg(since);
    db.all(&sql)
        .await?
        .iter()
        .map(|row| {
            Ok(ShardClose {
                shard: u32::try_from(row.i64("shard")?).map_err(StoreError::corrupt)?,
                open_time: row.i64("open_time")?,
                committed_at: row.i64("committed_at")?,
            })
        })
        .collect()
}

/// Deletes the shard records committed before `before` (epoch ms); how many.
pub(crate) async fn prune_shard_closes(db: &Db, before: i64) -> Result<u64> {
    let sql = Sql::new("DELETE FROM shard_closes WHERE committed_at < $1").arg(before);
    db.exec(&sql).await
}

/// One pending delivery per outbox entry whose signal was newly inserted (`inserted`, by key;
/// a duplicate close queues nothing again).
async fn queue_outbox(
    tx: &mut Tx,
    commit: &CloseCommit,
    inserted: &HashMap<SignalKey<'_>, i64>,
) -> Result<()> {
    let due = commit.execution.created_at;
    let now = now_ms();
    for entry in &commit.outbox {
        let key = (
            entry.trader_id,
            entry.symbol.as_str(),
            entry.interval,
            entry.open_time,
        );
        let Some(&signal_id) = inserted.get(&key) else {
            continue;
        };
        // Only to an enabled channel of the trader's owner that still exists.
        let sql = Sql::new(
            "INSERT INTO deliveries (channel_id, signal_id, idempotency_key, status, attempts, \
             next_attempt_at, created_at, updated_at) \
             SELECT c.id, $2, $3, 'pending', 0, $4, $5, $5 FROM notification_channels c \
             WHERE c.id = $1 AND c.enabled = TRUE \
             AND c.user_id = (SELECT t.owner_id FROM traders t WHERE t.id = $6) \
             ON CONFLICT DO NOTHING",
        )
        .arg(entry.channel_id)
        .arg(signal_id)
        .arg(delivery_key(signal_id, entry.channel_id))
        .arg(due)
        .arg(now)
        .arg(entry.trader_id);
        tx.exec(&sql).await?;
    }
    Ok(())
}

pub(crate) async fn close_progress(db: &Db, interval: Interval) -> Result<Option<i64>> {
    let sql = Sql::new("SELECT last_open_time FROM close_progress WHERE interval = $1")
        .arg(interval.as_str());
    db.opt(&sql)
        .await?
        .map(|row| row.i64("last_open_time"))
        .transpose()
}

pub(crate) async fn list_executions(
    db: &Db,
    interval: Option<Interval>,
    limit: u32,
) -> Result<Vec<Execution>> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM executions"));
    if let Some(interval) = interval {
        sql.push(" WHERE interval = ").bind(interval.as_str());
    }
    sql.push(" ORDER BY id DESC LIMIT ").bind(page(limit));
    db.all(&sql).await?.iter().map(execution).collect()
}
