//! Notification channels, deliveries (the outbox) and their attempt log.

use crate::model::{
    AttemptOutcome, Channel, ChannelKind, Delivery, DeliveryAttempt, DeliveryAttemptRecord,
    DeliveryStatus, NewChannel, NewDelivery,
};
use crate::ops::accounts::found;
use crate::sql::{Db, Row, Sql, now_ms, page};
use crate::{Result, StoreError};

const CHANNEL_COLUMNS: &str =
    "id, user_id, kind, name, config, secret, enabled, created_at, updated_at";
const DELIVERY_COLUMNS: &str = "id, channel_id, signal_id, idempotency_key, status, attempts, \
     next_attempt_at, last_status_code, last_error, latency_ms, created_at, updated_at";
const ATTEMPT_COLUMNS: &str =
    "id, delivery_id, attempt, status_code, error, latency_ms, created_at";

fn channel(row: &Row) -> Result<Channel> {
    Ok(Channel {
        id: row.i64("id")?,
        user_id: row.i64("user_id")?,
        kind: row.parse::<ChannelKind>("kind")?,
        name: row.text("name")?,
        config: row.json("config")?,
        secret: row.opt_text("secret")?,
        enabled: row.bool("enabled")?,
        created_at: row.i64("created_at")?,
        updated_at: row.i64("updated_at")?,
    })
}

fn delivery(row: &Row) -> Result<Delivery> {
    Ok(Delivery {
        id: row.i64("id")?,
        channel_id: row.i64("channel_id")?,
        signal_id: row.opt_i64("signal_id")?,
        idempotency_key: row.text("idempotency_key")?,
        status: row.parse::<DeliveryStatus>("status")?,
        attempts: row.i64("attempts")?,
        next_attempt_at: row.i64("next_attempt_at")?,
        last_status_code: row.opt_i64("last_status_code")?,
        last_error: row.opt_text("last_error")?,
        latency_ms: row.opt_i64("latency_ms")?,
        created_at: row.i64("created_at")?,
        updated_at: row.i64("updated_at")?,
    })
}

fn attempt(row: &Row) -> Result<DeliveryAttemptRecord> {
    Ok(DeliveryAttemptRecord {
        id: row.i64("id")?,
        delivery_id: row.i64("delivery_id")?,
        attempt: row.i64("attempt")?,
        status_code: row.opt_i64("status_code")?,
        error: row.opt_text("error")?,
        latency_ms: row.i64("latency_ms")?,
        created_at: row.i64("created_at")?,
    })
}

pub(crate) async fn create_channel(db: &Db, new: NewChannel) -> Result<Channel> {
    let config = serde_json::to_string(&new.config).map_err(StoreError::corrupt)?;
    let sql = Sql::new(&format!(
        "INSERT INTO notification_channels (user_id, kind, name, config, secret, enabled, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
         RETURNING {CHANNEL_COLUMNS}"
    ))
    .arg(new.user_id)
    .arg(new.kind.as_str())
    .arg(new.name)
    .arg(config)
    .arg(new.secret)
    .arg(new.enabled)
    .arg(now_ms());
    channel(&db.one(&sql).await?)
}

pub(crate) async fn get_channel(db: &Db, id: i64) -> Result<Option<Channel>> {
    let sql = Sql::new(&format!(
        "SELECT {CHANNEL_COLUMNS} FROM notification_channels WHERE id = $1"
    ))
    .arg(id);
    db.opt(&sql).await?.as_ref().map(channel).transpose()
}

pub(crate) async fn list_channels(db: &Db, user_id: i64) -> Result<Vec<Channel>> {
    let sql = Sql::new(&format!(
        "SELECT {CHANNEL_COLUMNS} FROM notification_channels WHERE user_id = $1 ORDER BY id"
    ))
    .arg(user_id);
    db.all(&sql).await?.iter().map(channel).collect()
}

pub(crate) async fn set_channel_enabled(
    db: &Db,
    user_id: i64,
    id: i64,
    enabled: bool,
) -> Result<Channel> {
    let sql = Sql::new(&format!(
        "UPDATE notification_channels SET enabled = $3, updated_at = $4 \
         WHERE id = $1 AND user_id = $2 RETURNING {CHANNEL_COLUMNS}"
    ))
    .arg(id)
    .arg(user_id)
    .arg(enabled)
    .arg(now_ms());
    channel(&db.one(&sql).await?)
}

pub(crate) async fn delete_channel(db: &Db, user_id: i64, id: i64) -> Result<()> {
    let sql = Sql::new("DELETE FROM notification_channels WHERE id = $1 AND user_id = $2")
        .arg(id)
        .arg(user_id);
    found(db.exec(&sql).await?)
}

pub(crate) async fn enqueue_delivery(db: &Db, new: NewDelivery) -> Result<Option<Delivery>> {
    let sql = Sql::new(&format!(
        "INSERT INTO deliveries (channel_id, signal_id, idempotency_key, status, attempts, \
         next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, 'pending', 0, $4, $5, $5) \
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING {DELIVERY_COLUMNS}"
    ))
    .arg(new.channel_id)
    .arg(new.signal_id)
    .arg(new.idempotency_key)
    .arg(new.next_attempt_at)
    .arg(now_ms());
    db.opt(&sql).await?.as_ref().map(delivery).transpose()
}

pub(crate) async fn get_delivery(db: &Db, id: i64) -> Result<Option<Delivery>> {
    let sql = Sql::new(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = $1"
    ))
    .arg(id);
    db.opt(&sql).await?.as_ref().map(delivery).transpose()
}

pub(crate) async fn list_deliveries(db: &Db, channel_id: i64, limit: u32) -> Result<Vec<Delivery>> {
    let sql = Sql::new(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE channel_id = $1 \
         ORDER BY id DESC LIMIT $2"
    ))
    .arg(channel_id)
    .arg(page(limit));
    db.all(&sql).await?.iter().map(delivery).collect()
}

pub(crate) async fn claim_due_deliveries(
    db: &Db,
    now: i64,
    lease_until: i64,
    limit: u32,
) -> Result<Vec<Delivery>> {
    // The outer conditions repeat the inner ones: on PostgreSQL a concurrent claimer that
    // picked the same ids re-checks them after the first commits and skips those rows.
    let sql = Sql::new(&format!(
        "UPDATE deliveries SET next_attempt_at = $2, updated_at = $4 \
         WHERE id IN (SELECT id FROM deliveries WHERE status = 'pending' \
         AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $3) \
         AND status = 'pending' AND next_attempt_at <= $1 RETURNING {DELIVERY_COLUMNS}"
    ))
    .arg(now)
    .arg(lease_until)
    .arg(page(limit))
    .arg(now_ms());
    let mut claimed = db
        .all(&sql)
        .await?
        .iter()
        .map(delivery)
        .collect::<Result<Vec<_>>>()?;
    claimed.sort_by_key(|d| d.id);
    Ok(claimed)
}

pub(crate) async fn defer_delivery(db: &Db, id: i64, next_attempt_at: i64) -> Result<bool> {
    let sql = Sql::new(
        "UPDATE deliveries SET next_attempt_at = $2, updated_at = $3 \
         WHERE id = $1 AND status = 'pending'",
    )
    .arg(id)
    .arg(next_attempt_at)
    .arg(now_ms());
    Ok(db.exec(&sql).await? > 0)
}

pub(crate) async fn record_delivery_attempt(
    db: &Db,
    id: i64,
    a: DeliveryAttempt,
) -> Result<Delivery> {
    let (status, next) = match a.outcome {
        AttemptOutcome::Sent => (DeliveryStatus::Sent, None),
        AttemptOutcome::Retry { next_attempt_at } => {
            (DeliveryStatus::Pending, Some(next_attempt_at))
        }
        AttemptOutcome::Failed => (DeliveryStatus::Failed, None),
    };
    let mut tx = db.begin().await?;
    let sql = Sql::new(&format!(
        "UPDATE deliveries SET status = $2, attempts = attempts + 1, \
         next_attempt_at = COALESCE($3, next_attempt_at), last_status_code = $4, \
         last_error = $5, latency_ms = $6, updated_at = $7 WHERE id = $1 \
         RETURNING {DELIVERY_COLUMNS}"
    ))
    .arg(id)
    .arg(status.as_str())
    .arg(next)
    .arg(a.status_code)
    .arg(a.error.as_deref())
    .arg(a.latency_ms)
    .arg(a.at);
    let updated = delivery(&tx.one(&sql).await?)?;
    let sql = Sql::new(
        "INSERT INTO delivery_attempts (delivery_id, attempt, status_code, error, latency_ms, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .arg(id)
    .arg(updated.attempts)
    .arg(a.status_code)
    .arg(a.error)
    .arg(a.latency_ms)
    .arg(a.at);
    tx.exec(&sql).await?;
    tx.commit().await?;
    Ok(updated)
}

pub(crate) async fn list_delivery_attempts(
    db: &Db,
    delivery_id: i64,
) -> Result<Vec<DeliveryAttemptRecord>> {
    let sql = Sql::new(&format!(
        "SELECT {ATTEMPT_COLUMNS} FROM delivery_attempts WHERE delivery_id = $1 ORDER BY id"
    ))
    .arg(delivery_id);
    db.all(&sql).await?.iter().map(attempt).collect()
}
