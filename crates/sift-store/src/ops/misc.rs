//! Favourites, the audit log, settings and retention.

use sift_core::Symbol;

use crate::model::{AuditEntry, Favourite, FavouriteTarget, NewAudit};
use crate::sql::{Arg, Db, Row, Sql, now_ms, page};
use crate::{Result, StoreError};

const FAVOURITE_COLUMNS: &str = "id, user_id, symbol, trader_id, created_at";
const AUDIT_COLUMNS: &str = "id, actor_id, action, target, details, created_at";

/// Rows deleted per statement while pruning, so SQLite's write lock is released between
/// batches and other writers (a close commit) get in.
const PRUNE_BATCH: i64 = 5_000;

fn favourite(row: &Row) -> Result<Favourite> {
    let target = match (row.opt_text("symbol")?, row.opt_i64("trader_id")?) {
        (Some(symbol), None) => {
            FavouriteTarget::Symbol(symbol.parse::<Symbol>().map_err(StoreError::corrupt)?)
        }
        (None, Some(trader_id)) => FavouriteTarget::Trader(trader_id),
        _ => return Err(StoreError::corrupt("favourite with both or no target")),
    };
    Ok(Favourite {
        id: row.i64("id")?,
        user_id: row.i64("user_id")?,
        target,
        created_at: row.i64("created_at")?,
    })
}

fn audit(row: &Row) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: row.i64("id")?,
        actor_id: row.opt_i64("actor_id")?,
        action: row.text("action")?,
        target: row.text("target")?,
        details: row.json("details")?,
        created_at: row.i64("created_at")?,
    })
}

/// `{head} WHERE user_id = $1 AND <the target's column> = $2`.
fn for_target(head: &str, user_id: i64, target: &FavouriteTarget) -> Sql {
    let (condition, value) = match target {
        FavouriteTarget::Symbol(symbol) => ("symbol = $2", Arg::from(symbol.as_str())),
        FavouriteTarget::Trader(id) => ("trader_id = $2", Arg::from(*id)),
    };
    Sql::new(&format!("{head} WHERE user_id = $1 AND {condition}"))
        .arg(user_id)
        .arg(value)
}

pub(crate) async fn add_favourite(
    db: &Db,
    user_id: i64,
    target: &FavouriteTarget,
) -> Result<Favourite> {
    let (symbol, trader_id) = match target {
        FavouriteTarget::Symbol(symbol) => (Some(symbol.as_str()), None),
        FavouriteTarget::Trader(id) => (None, Some(*id)),
    };
    let sql = Sql::new(
        "INSERT INTO favourites (user_id, symbol, trader_id, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .arg(user_id)
    .arg(symbol)
    .arg(trader_id)
    .arg(now_ms());
    db.exec(&sql).await?;
    let select = for_target(
        &format!("SELECT {FAVOURITE_COLUMNS} FROM favourites"),
        user_id,
        target,
    );
    favourite(&db.one(&select).await?)
}

pub(crate) async fn remove_favourite(
    db: &Db,
    user_id: i64,
    target: &FavouriteTarget,
) -> Result<bool> {
    let sql = for_target("DELETE FROM favourites", user_id, target);
    Ok(db.exec(&sql).await? > 0)
}

pub(crate) async fn list_favourites(db: &Db, user_id: i64) -> Result<Vec<Favourite>> {
    let sql = Sql::new(&format!(
        "SELECT {FAVOURITE_COLUMNS} FROM favourites WHERE user_id = $1 ORDER BY id"
    ))
    .arg(user_id);
    db.all(&sql).await?.iter().map(favourite).collect()
}

pub(crate) async fn insert_audit(db: &Db, new: NewAudit) -> Result<AuditEntry> {
    let details = serde_json::to_string(&new.details).map_err(StoreError::corrupt)?;
    let sql = Sql::new(&format!(
        "INSERT INTO audit_log (actor_id, action, target, details, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {AUDIT_COLUMNS}"
    ))
    .arg(new.actor_id)
    .arg(new.action)
    .arg(new.target)
    .arg(details)
    .arg(now_ms());
    audit(&db.one(&sql).await?)
}

pub(crate) async fn list_audit(
    db: &Db,
    before_id: Option<i64>,
    limit: u32,
) -> Result<Vec<AuditEntry>> {
    let mut sql = Sql::new(&format!("SELECT {AUDIT_COLUMNS} FROM audit_log"));
    if let Some(before) = before_id {
        sql.push(" WHERE id < ").bind(before);
    }
    sql.push(" ORDER BY id DESC LIMIT ").bind(page(limit));
    db.all(&sql).await?.iter().map(audit).collect()
}

pub(crate) async fn get_setting(db: &Db, key: &str) -> Result<Option<String>> {
    let sql = Sql::new("SELECT value FROM settings WHERE key = $1").arg(key);
    db.opt(&sql).await?.map(|row| row.text("value")).transpose()
}

pub(crate) async fn set_setting(db: &Db, key: &str, value: &str) -> Result<()> {
    let sql = Sql::new(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .arg(key)
    .arg(value)
    .arg(now_ms());
    db.exec(&sql).await?;
    Ok(())
}

/// Deletes rows of `table` with `column < before` in batches (through an index led by
/// `column`); how many.
async fn prune_table(db: &Db, table: &str, column: &str, before: i64) -> Result<u64> {
    let sql = Sql::new(&format!(
        "DELETE FROM {table} WHERE id IN \
         (SELECT id FROM {table} WHERE {column} < $1 ORDER BY {column} LIMIT $2)"
    ))
    .arg(before)
    .arg(PRUNE_BATCH);
    let mut total = 0;
    loop {
        let deleted = db.exec(&sql).await?;
        total += deleted;
        if deleted < PRUNE_BATCH.unsigned_abs() {
            return Ok(total);
        }
    }
}

pub(crate) async fn prune(
    db: &Db,
    executions_before: i64,
    signals_before: i64,
) -> Result<(u64, u64)> {
    let executions = prune_table(db, "executions", "created_at", executions_before).await?;
    let signals = prune_table(db, "signals", "open_time", signals_before).await?;
    // Test deliveries belong to no signal: they go at the signals' age.
    let sql = Sql::new("DELETE FROM deliveries WHERE signal_id IS NULL AND created_at < $1")
        .arg(signals_before);
    db.exec(&sql).await?;
    Ok((executions, signals))
}
