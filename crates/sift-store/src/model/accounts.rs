//! Users, sessions, API tokens, favourites and the audit log.

use serde::Serialize;
use serde_json::Value;
use sift_core::{Symbol, Tier};

/// A user account. The email is stored lower-cased; it is unique case-insensitively.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    /// Argon2id PHC string (see [`crate::password`]); never serialized.
    #[serde(skip_serializing)]
    pub password_hash: String,
    pub tier: Tier,
    pub is_admin: bool,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

/// A user to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    /// Normalized (trimmed, lower-cased) by the store.
    pub email: String,
    pub password_hash: String,
    pub tier: Tier,
    pub is_admin: bool,
}

/// What an admin may change on a user; `None` leaves the field as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserUpdate {
    pub tier: Option<Tier>,
    pub is_admin: Option<bool>,
}

/// A browser session, found by the SHA-256 hash of its cookie token (see [`crate::token`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    #[serde(skip_serializing)]
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_seen_at: i64,
}

/// A session to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub expires_at: i64,
}

/// An API token for scripts; only the SHA-256 hash of the token is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    #[serde(skip_serializing)]
    pub token_hash: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// An API token to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiToken {
    pub user_id: i64,
    pub name: String,
    pub token_hash: String,
}

/// What a favourite points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FavouriteTarget {
    Symbol(Symbol),
    Trader(i64),
}

/// A user's favourite symbol or trader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Favourite {
    pub id: i64,
    pub user_id: i64,
    #[serde(flatten)]
    pub target: FavouriteTarget,
    pub created_at: i64,
}

/// An audit log entry (admin actions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    /// `None` for the system or a deleted user.
    pub actor_id: Option<i64>,
    pub action: String,
    pub target: String,
    pub details: Value,
    pub created_at: i64,
}

/// An audit entry to write.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAudit {
    pub actor_id: Option<i64>,
    pub action: String,
    pub target: String,
    pub details: Value,
}
