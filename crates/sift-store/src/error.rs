//! Store errors: what the API maps to status codes. Messages never carry SQL text.

use sqlx::error::ErrorKind;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist (or is not the caller's).
    #[error("not found")]
    NotFound,
    /// A unique or foreign-key constraint refused the write. `constraint` is a stable name:
    /// `{table}_{columns}` for unique ones (`users_email`, `traders_builtin_key`,
    /// `api_tokens_token_hash`, `deliveries_idempotency_key`, ...), `foreign_key` for references
    /// to missing rows, `traders_version` for a stale optimistic-lock version.
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    /// The database cannot be reached or is busy; retrying later may succeed.
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// A stored value does not decode (a bug or a hand-edited database).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// A migration failed or the database holds migrations this build does not know.
    #[error("migration failed")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// The database location is unusable (malformed URL, directory not creatable).
    #[error("configuration: {0}")]
    Config(String),
    /// Anything else.
    #[error("database error")]
    Other(#[source] sqlx::Error),
}

impl StoreError {
    /// Whether retrying the same call later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }

    /// A stable snake_case name of the variant, for logs and metrics labels.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::Conflict { .. } => "conflict",
            Self::Unavailable(_) => "unavailable",
            Self::Corrupt(_) => "corrupt",
            Self::Migrate(_) => "migrate",
            Self::Config(_) => "config",
            Self::Other(_) => "other",
        }
    }

    /// Whether this is a conflict on the named constraint.
    pub fn is_conflict_on(&self, name: &str) -> bool {
        matches!(self, Self::Conflict { constraint } if constraint == name)
    }

    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        Self::Corrupt(what.to_string())
    }
}

/// Shorthand for store results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => Self::Unavailable(err),
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
                Self::Corrupt("column decode".to_owned())
            }
            sqlx::Error::Database(db) => match db.kind() {
                ErrorKind::UniqueViolation => Self::Conflict {
                    constraint: unique_name(db.constraint(), db.message()),
                },
                ErrorKind::ForeignKeyViolation => Self::Conflict {
                    constraint: "foreign_key".to_owned(),
                },
                _ if db.code().is_some_and(|code| is_unavailable_code(&code)) => {
                    Self::Unavailable(err)
                }
                _ => Self::Other(err),
            },
            _ => Self::Other(err),
        }
    }
}

/// PostgreSQL names the violated index (our migrations name them `{table}_{columns}`); SQLite
/// says `UNIQUE constraint failed: users.email` (or `t.a, t.b`), turned into the same name.
fn unique_name(constraint: Option<&str>, message: &str) -> String {
    if let Some(name) = constraint {
        return name.to_owned();
    }
    let Some((_, columns)) = message.split_once("constraint failed: ") else {
        return "unique".to_owned();
    };
    let mut table = None;
    let mut parts = Vec::new();
    for qualified in columns.split(',') {
        let (t, column) = qualified.trim().split_once('.').unwrap_or(("", qualified));
        table.get_or_insert(t);
        parts.push(column.trim());
    }
    format!("{}_{}", table.unwrap_or_default(), parts.join("_"))
}

/// SQLite busy/locked (5, 6 and extended codes), PostgreSQL connection exceptions (08),
/// insufficient resources (53), operator intervention (57P01..57P05) and serialization
/// failures/deadlocks (40001, 40P01), which a retry may clear.
fn is_unavailable_code(code: &str) -> bool {
    if code.len() < 5 {
        // SQLite: the primary code is the low byte of the extended one.
        code.parse::<u32>()
            .is_ok_and(|sqlite| matches!(sqlite & 0xff, 5 | 6))
    } else {
        code.starts_with("08")
            || code.starts_with("53")
            || code.starts_with("57P")
            || code == "40001"
            || code == "40P01"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_unique_messages_become_stable_names() {
        assert_eq!(
            unique_name(None, "UNIQUE constraint failed: users.email"),
            "users_email"
        );
        assert_eq!(
            unique_name(
                None,
                "UNIQUE constraint failed: favourites.user_id, favourites.symbol"
            ),
            "favourites_user_id_symbol"
        );
        assert_eq!(unique_name(Some("users_email"), "whatever"), "users_email");
        assert_eq!(unique_name(None, "odd"), "unique");
    }

    #[test]
    fn unavailable_codes() {
        for code in ["5", "6", "517", "262", "08006", "57P01", "40P01", "53300"] {
            assert!(is_unavailable_code(code), "{code}");
        }
        for code in ["19", "2067", "23505", "42601", "787"] {
            assert!(!is_unavailable_code(code), "{code}");
        }
    }
}
