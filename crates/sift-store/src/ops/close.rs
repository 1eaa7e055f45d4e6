//! Close processing: signals, the execution row, the outbox and the progress marker written
//! in one transaction; executions listed.

use std::collections::HashMap;

use sift_core::Interval;

use crate::model::{CloseCommit, Execution, ShardClose, Signal};
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

/// Commits a close; with `shard`, also records that this cluster shard committed it
/// (`shard_closes`), in the same transaction.
pub(crate) async fn commit_close(
    db: &Db,
    commit: CloseCommit,
    shard: Option<u32>,
) -> Result<Vec<Signal>> {
    let mut tx = db.begin().await?;
    let inserted = insert_in(&mut tx, &commit.signals).await?;

    let e = &commit.execution;
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
    .arg(i64::try_from(inserted.len()).unwrap_or(i64::MAX))
    .arg(e.duration_us)
    .arg(errors)
    .arg(e.created_at);
    tx.exec(&sql).await?;

    queue_outbox(&mut tx, &commit, &inserted).await?;

    let sql = Sql::new(
        "INSERT INTO close_progress (interval, last_open_time, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (interval) DO UPDATE SET updated_at = excluded.updated_at, \
         last_open_time = CASE WHEN excluded.last_open_time > close_progress.last_open_time \
         THEN excluded.last_open_time ELSE close_progress.last_open_time END",
    )
    .arg(e.interval.as_str())
    .arg(e.open_time)
    .arg(now_ms());
    tx.exec(&sql).await?;

    if let Some(shard) = shard {
        let sql = Sql::new(
            "INSERT INTO shard_closes (interval, shard, open_time, committed_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .arg(e.interval.as_str())
        .arg(i64::from(shard))
        .arg(e.open_time)
        .arg(now_ms());
        tx.exec(&sql).await?;
    }
    tx.commit().await?;
    Ok(inserted)
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

/// One pending delivery per outbox entry whose signal was newly inserted (a duplicate close
/// queues nothing again).
async fn queue_outbox(tx: &mut Tx, commit: &CloseCommit, inserted: &[Signal]) -> Result<()> {
    if commit.outbox.is_empty() || inserted.is_empty() {
        return Ok(());
    }
    let by_key: HashMap<(i64, &str, Interval, i64), i64> = inserted
        .iter()
        .map(|s| {
            (
                (s.trader_id, s.symbol.as_str(), s.interval, s.open_time),
                s.id,
            )
        })
        .collect();
    let due = commit.execution.created_at;
    let now = now_ms();
    for entry in &commit.outbox {
        let key = (
            entry.trader_id,
            entry.symbol.as_str(),
            entry.interval,
            entry.open_time,
        );
        let Some(&signal_id) = by_key.get(&key) else {
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
