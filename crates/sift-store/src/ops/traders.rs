//! Traders: CRUD, filtered lists and seeding of the built-ins.

use sift_core::{Interval, Tier};
use sift_traders::TraderDef;

use crate::model::{NewTrader, SeedOutcome, Trader, TraderFilter, TraderScope, TraderUpdate};
use crate::ops::accounts::found;
use crate::sql::{Db, Row, Sql, Tx, now_ms};
use crate::{Result, StoreError};

const COLUMNS: &str = "id, owner_id, builtin_key, name, description, interval, rule, symbols, \
     cooldown_bars, enabled, category, tags, access_tier, channels, edited_by_admin, version, \
     created_at, updated_at";

/// Marks a built-in (no owner) as edited by an admin, so reseeding leaves it alone.
const MARK_EDITED: &str = "edited_by_admin = CASE WHEN owner_id IS NULL THEN TRUE \
     ELSE edited_by_admin END";

fn trader(row: &Row) -> Result<Trader> {
    let cooldown = row.i64("cooldown_bars")?;
    let access_tier = row
        .opt_text("access_tier")?
        .map(|tier| tier.parse::<Tier>())
        .transpose()
        .map_err(StoreError::corrupt)?;
    Ok(Trader {
        id: row.i64("id")?,
        owner_id: row.opt_i64("owner_id")?,
        builtin_key: row.opt_text("builtin_key")?,
        def: TraderDef {
            name: row.text("name")?,
            description: row.text("description")?,
            interval: row.parse::<Interval>("interval")?,
            rule: row.text("rule")?,
            symbols: row.json("symbols")?,
            cooldown_bars: u32::try_from(cooldown).map_err(StoreError::corrupt)?,
            enabled: row.bool("enabled")?,
            category: row.opt_text("category")?,
            tags: row.json("tags")?,
            access_tier,
        },
        channels: row.json("channels")?,
        edited_by_admin: row.bool("edited_by_admin")?,
        version: row.i64("version")?,
        created_at: row.i64("created_at")?,
        updated_at: row.i64("updated_at")?,
    })
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(StoreError::corrupt)
}

/// The definition's columns, in the order `name, description, interval, rule, symbols,
/// cooldown_bars, enabled, category, tags, access_tier`, appended as arguments.
fn def_args(sql: Sql, def: &TraderDef) -> Result<Sql> {
    Ok(sql
        .arg(def.name.as_str())
        .arg(def.description.as_str())
        .arg(def.interval.as_str())
        .arg(def.rule.as_str())
        .arg(to_json(&def.symbols)?)
        .arg(i64::from(def.cooldown_bars))
        .arg(def.enabled)
        .arg(def.category.as_deref())
        .arg(to_json(&def.tags)?)
        .arg(def.access_tier.map(Tier::as_str)))
}

async fn insert(
    db: &Db,
    owner_id: Option<i64>,
    key: Option<&str>,
    def: &TraderDef,
    channels: &[i64],
) -> Result<Option<Trader>> {
    let now = now_ms();
    let sql = Sql::new(&format!(
        "INSERT INTO traders (name, description, interval, rule, symbols, cooldown_bars, \
         enabled, category, tags, access_tier, owner_id, builtin_key, channels, version, \
         created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14, $14) \
         ON CONFLICT DO NOTHING RETURNING {COLUMNS}"
    ));
    let sql = def_args(sql, def)?
        .arg(owner_id)
        .arg(key)
        .arg(to_json(&channels)?)
        .arg(now);
    db.opt(&sql).await?.as_ref().map(trader).transpose()
}

pub(crate) async fn create_trader(db: &Db, new: NewTrader) -> Result<Trader> {
    // Only `builtin_key` is unique and it is NULL here, so nothing can be skipped.
    insert(db, new.owner_id, None, &new.def, &new.channels)
        .await?
        .ok_or_else(|| StoreError::Conflict {
            constraint: "traders".to_owned(),
        })
}

pub(crate) async fn get_trader(db: &Db, id: i64) -> Result<Option<Trader>> {
    let sql = Sql::new(&format!("SELECT {COLUMNS} FROM traders WHERE id = $1")).arg(id);
    db.opt(&sql).await?.as_ref().map(trader).transpose()
}

pub(crate) async fn list_traders(db: &Db, filter: &TraderFilter) -> Result<Vec<Trader>> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM traders WHERE TRUE"));
    match filter.scope {
        TraderScope::All => {}
        TraderScope::Builtin => {
            sql.push(" AND owner_id IS NULL");
        }
        TraderScope::Owner(owner) => {
            sql.push(" AND owner_id = ").bind(owner);
        }
        TraderScope::OwnerAndBuiltin(owner) => {
            sql.push(" AND (owner_id IS NULL OR owner_id = ")
                .bind(owner)
                .push(")");
        }
    }
    if let Some(max) = filter.max_access_tier {
        let allowed: Vec<&str> = Tier::ALL
            .into_iter()
            .filter(|tier| *tier <= max)
            .map(Tier::as_str)
            .collect();
        sql.push(" AND (owner_id IS NOT NULL OR COALESCE(access_tier, 'anonymous') IN ")
            .bind_list(&allowed)
            .push(")");
    }
    if let Some(enabled) = filter.enabled {
        sql.push(" AND enabled = ").bind(enabled);
    }
    if let Some(interval) = filter.interval {
        sql.push(" AND interval = ").bind(interval.as_str());
    }
    if let Some(category) = &filter.category {
        sql.push(" AND category = ").bind(category.as_str());
    }
    sql.push(" ORDER BY id");
    db.all(&sql).await?.iter().map(trader).collect()
}

pub(crate) async fn update_trader(db: &Db, id: i64, update: TraderUpdate) -> Result<Trader> {
    let sql = Sql::new(&format!(
        "UPDATE traders SET name = $1, description = $2, interval = $3, rule = $4, \
         symbols = $5, cooldown_bars = $6, enabled = $7, category = $8, tags = $9, \
         access_tier = $10, channels = $11, updated_at = $12, version = version + 1, \
         {MARK_EDITED} \
         WHERE id = $13 AND ($14 IS NULL OR version = $14) RETURNING {COLUMNS}"
    ));
    let sql = def_args(sql, &update.def)?
        .arg(to_json(&update.channels)?)
        .arg(now_ms())
        .arg(id)
        .arg(update.expected_version);
    match db.opt(&sql).await? {
        Some(row) => trader(&row),
        None if get_trader(db, id).await?.is_some() => Err(StoreError::Conflict {
            constraint: "traders_version".to_owned(),
        }),
        None => Err(StoreError::NotFound),
    }
}

pub(crate) async fn set_trader_enabled(db: &Db, id: i64, enabled: bool) -> Result<Trader> {
    let sql = Sql::new(&format!(
        "UPDATE traders SET enabled = $2, updated_at = $3, version = version + 1, \
         {MARK_EDITED} WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .arg(id)
    .arg(enabled)
    .arg(now_ms());
    trader(&db.one(&sql).await?)
}

pub(crate) async fn delete_trader(db: &Db, id: i64) -> Result<()> {
    let mut tx = db.begin().await?;
    let deleted = delete_with_signals(&mut tx, "id = $1", id).await?;
    tx.commit().await?;
    found(deleted)
}

/// Deletes the traders that `condition` (on `$1`, which is `arg`) selects, then their signals,
/// in `tx`; returns how many traders.
///
/// On PostgreSQL signals keep no foreign key to traders (migration 0004): a commit storing
/// signals locks their traders first (`postgres_signals::insert`), so deleting the trader rows
/// waits for it to end, and the signals it stored are then there to delete; a commit that
/// comes later finds the traders gone and stores nothing for them. The traders are locked in
/// id order, as commits lock them, so the two never deadlock. SQLite's foreign key still
/// cascades (one writer at a time has no such race), which the second delete leaves alone.
pub(crate) async fn delete_with_signals(tx: &mut Tx, condition: &str, arg: i64) -> Result<u64> {
    let lock = match tx {
        Tx::Postgres(_) => " ORDER BY id FOR UPDATE",
        Tx::Sqlite(_) => "",
    };
    let sql = Sql::new(&format!(
        "DELETE FROM traders WHERE id IN (SELECT id FROM traders WHERE {condition}{lock}) \
         RETURNING id"
    ))
    .arg(arg);
    let ids = tx
        .all(&sql)
        .await?
        .iter()
        .map(|row| row.i64("id"))
        .collect::<Result<Vec<i64>>>()?;
    for chunk in ids.chunks(DELETE_CHUNK) {
        let mut sql = Sql::new("DELETE FROM signals WHERE trader_id IN ");
        sql.bind_list(chunk);
        tx.exec(&sql).await?;
    }
    Ok(ids.len() as u64)
}

/// Trader ids per statement deleting their signals, well inside both backends' parameter limits.
const DELETE_CHUNK: usize = 500;

pub(crate) async fn count_traders_by_owner(db: &Db, owner_id: i64) -> Result<i64> {
    let sql = Sql::new("SELECT COUNT(*) AS n FROM traders WHERE owner_id = $1").arg(owner_id);
    db.one(&sql).await?.i64("n")
}

pub(crate) async fn seed_builtin(db: &Db, key: &str, def: &TraderDef) -> Result<SeedOutcome> {
    if insert(db, None, Some(key), def, &[]).await?.is_some() {
        return Ok(SeedOutcome::Inserted);
    }
    let sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM traders WHERE builtin_key = $1"
    ))
    .arg(key);
    let stored = trader(&db.one(&sql).await?)?;
    if stored.edited_by_admin {
        return Ok(SeedOutcome::KeptEdited);
    }
    if stored.def == *def {
        return Ok(SeedOutcome::Unchanged);
    }
    let sql = Sql::new(
        "UPDATE traders SET name = $1, description = $2, interval = $3, rule = $4, \
         symbols = $5, cooldown_bars = $6, enabled = $7, category = $8, tags = $9, \
         access_tier = $10, updated_at = $11, version = version + 1 \
         WHERE builtin_key = $12 AND edited_by_admin = FALSE",
    );
    let sql = def_args(sql, def)?.arg(now_ms()).arg(key);
    // Zero rows: an admin edited it between the read and this write.
    Ok(if db.exec(&sql).await? == 0 {
        SeedOutcome::KeptEdited
    } else {
        SeedOutcome::Updated
    })
}
