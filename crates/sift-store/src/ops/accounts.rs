//! Users, sessions and API tokens.

use sift_core::Tier;

use crate::model::{ApiToken, NewApiToken, NewSession, NewUser, Session, User, UserUpdate};
use crate::sql::{Db, Row, Sql, now_ms};
use crate::{Result, StoreError};

const USER_COLUMNS: &str = "id, email, password_hash, tier, is_admin, created_at, last_login_at";
const SESSION_COLUMNS: &str =
    "token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at";
const TOKEN_COLUMNS: &str = "id, user_id, name, token_hash, created_at, last_used_at";

/// Emails compare case-insensitively: stored trimmed and lower-cased.
pub(crate) fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn user(row: &Row) -> Result<User> {
    Ok(User {
        id: row.i64("id")?,
        email: row.text("email")?,
        password_hash: row.text("password_hash")?,
        tier: row.parse::<Tier>("tier")?,
        is_admin: row.bool("is_admin")?,
        created_at: row.i64("created_at")?,
        last_login_at: row.opt_i64("last_login_at")?,
    })
}

fn session(row: &Row) -> Result<Session> {
    Ok(Session {
        token_hash: row.text("token_hash")?,
        user_id: row.i64("user_id")?,
        csrf_token: row.text("csrf_token")?,
        created_at: row.i64("created_at")?,
        expires_at: row.i64("expires_at")?,
        last_seen_at: row.i64("last_seen_at")?,
    })
}

fn token(row: &Row) -> Result<ApiToken> {
    Ok(ApiToken {
        id: row.i64("id")?,
        user_id: row.i64("user_id")?,
        name: row.text("name")?,
        token_hash: row.text("token_hash")?,
        created_at: row.i64("created_at")?,
        last_used_at: row.opt_i64("last_used_at")?,
    })
}

/// Fails with NotFound when no row was affected.
pub(crate) fn found(affected: u64) -> Result<()> {
    if affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

pub(crate) async fn create_user(db: &Db, new: NewUser) -> Result<User> {
    let sql = Sql::new(&format!(
        "INSERT INTO users (email, password_hash, tier, is_admin, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {USER_COLUMNS}"
    ))
    .arg(normalize_email(&new.email))
    .arg(new.password_hash)
    .arg(new.tier.as_str())
    .arg(new.is_admin)
    .arg(now_ms());
    user(&db.one(&sql).await?)
}

pub(crate) async fn get_user(db: &Db, id: i64) -> Result<Option<User>> {
    let sql = Sql::new(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1")).arg(id);
    db.opt(&sql).await?.as_ref().map(user).transpose()
}

pub(crate) async fn get_user_by_email(db: &Db, email: &str) -> Result<Option<User>> {
    let sql = Sql::new(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE email = $1"
    ))
    .arg(normalize_email(email));
    db.opt(&sql).await?.as_ref().map(user).transpose()
}

pub(crate) async fn list_users(db: &Db) -> Result<Vec<User>> {
    let sql = Sql::new(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"));
    db.all(&sql).await?.iter().map(user).collect()
}

pub(crate) async fn update_user(db: &Db, id: i64, update: UserUpdate) -> Result<User> {
    let sql = Sql::new(&format!(
        "UPDATE users SET tier = COALESCE($2, tier), is_admin = COALESCE($3, is_admin) \
         WHERE id = $1 RETURNING {USER_COLUMNS}"
    ))
    .arg(id)
    .arg(update.tier.map(Tier::as_str))
    .arg(update.is_admin);
    user(&db.one(&sql).await?)
}

pub(crate) async fn set_password_hash(db: &Db, id: i64, hash: &str) -> Result<()> {
    let sql = Sql::new("UPDATE users SET password_hash = $2 WHERE id = $1")
        .arg(id)
        .arg(hash);
    found(db.exec(&sql).await?)
}

pub(crate) async fn set_last_login(db: &Db, id: i64, at: i64) -> Result<()> {
    let sql = Sql::new("UPDATE users SET last_login_at = $2 WHERE id = $1")
        .arg(id)
        .arg(at);
    found(db.exec(&sql).await?)
}

/// Deletes a user with everything they own; their traders' signals go as the traders' do
/// ([`delete_with_signals`](crate::ops::traders::delete_with_signals)).
pub(crate) async fn delete_user(db: &Db, id: i64) -> Result<()> {
    let mut tx = db.begin().await?;
    crate::ops::traders::delete_with_signals(&mut tx, "owner_id = $1", id).await?;
    let deleted = tx
        .exec(&Sql::new("DELETE FROM users WHERE id = $1").arg(id))
        .await?;
    tx.commit().await?;
    found(deleted)
}

pub(crate) async fn count_admins(db: &Db) -> Result<i64> {
    let sql = Sql::new("SELECT COUNT(*) AS n FROM users WHERE is_admin = TRUE");
    db.one(&sql).await?.i64("n")
}

pub(crate) async fn create_session(db: &Db, new: NewSession) -> Result<Session> {
    let now = now_ms();
    let sql = Sql::new(&format!(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, \
         last_seen_at) VALUES ($1, $2, $3, $4, $5, $4) RETURNING {SESSION_COLUMNS}"
    ))
    .arg(new.token_hash)
    .arg(new.user_id)
    .arg(new.csrf_token)
    .arg(now)
    .arg(new.expires_at);
    session(&db.one(&sql).await?)
}

pub(crate) async fn get_session(db: &Db, token_hash: &str) -> Result<Option<Session>> {
    let sql = Sql::new(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1"
    ))
    .arg(token_hash);
    db.opt(&sql).await?.as_ref().map(session).transpose()
}

pub(crate) async fn touch_session(
    db: &Db,
    token_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    let sql =
        Sql::new("UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE token_hash = $1")
            .arg(token_hash)
            .arg(now)
            .arg(expires_at);
    found(db.exec(&sql).await?)
}

pub(crate) async fn delete_session(db: &Db, token_hash: &str) -> Result<bool> {
    let sql = Sql::new("DELETE FROM sessions WHERE token_hash = $1").arg(token_hash);
    Ok(db.exec(&sql).await? > 0)
}

pub(crate) async fn delete_user_sessions(db: &Db, user_id: i64) -> Result<u64> {
    db.exec(&Sql::new("DELETE FROM sessions WHERE user_id = $1").arg(user_id))
        .await
}

pub(crate) async fn delete_expired_sessions(db: &Db, now: i64) -> Result<u64> {
    db.exec(&Sql::new("DELETE FROM sessions WHERE expires_at <= $1").arg(now))
        .await
}

pub(crate) async fn create_api_token(db: &Db, new: NewApiToken) -> Result<ApiToken> {
    let sql = Sql::new(&format!(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING {TOKEN_COLUMNS}"
    ))
    .arg(new.user_id)
    .arg(new.name)
    .arg(new.token_hash)
    .arg(now_ms());
    token(&db.one(&sql).await?)
}

pub(crate) async fn list_api_tokens(db: &Db, user_id: i64) -> Result<Vec<ApiToken>> {
    let sql = Sql::new(&format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id"
    ))
    .arg(user_id);
    db.all(&sql).await?.iter().map(token).collect()
}

pub(crate) async fn revoke_api_token(db: &Db, user_id: i64, id: i64) -> Result<()> {
    let sql = Sql::new("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
        .arg(id)
        .arg(user_id);
    found(db.exec(&sql).await?)
}

/// How stale `last_used_at` may get: a script calling many times a second writes once a minute
/// (every write takes SQLite's one write lock).
const LAST_USED_RESOLUTION_MS: i64 = 60_000;

pub(crate) async fn use_api_token(db: &Db, token_hash: &str, now: i64) -> Result<Option<ApiToken>> {
    let sql = Sql::new(&format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1"
    ))
    .arg(token_hash);
    let Some(mut found) = db.opt(&sql).await?.as_ref().map(token).transpose()? else {
        return Ok(None);
    };
    if found
        .last_used_at
        .is_none_or(|at| now - at >= LAST_USED_RESOLUTION_MS)
    {
        let sql = Sql::new("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
            .arg(found.id)
            .arg(now);
        db.exec(&sql).await?;
        found.last_used_at = Some(now);
    }
    Ok(Some(found))
}
