//! Account rules shared by the routes and `ensure_admin`: email and password checks, password
//! hashing off the async runtime.

use std::sync::OnceLock;

use sift_core::Tier;
use sift_store::{NewUser, Store, StoreError, User, UserUpdate, password};

use crate::error::ApiError;

/// Shortest accepted password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest accepted password, in characters (bounds hashing work).
pub const MAX_PASSWORD_CHARS: usize = 1_024;
/// Longest accepted email, in bytes (RFC 5321 path limit).
pub const MAX_EMAIL_BYTES: usize = 254;

/// Why an account could not be created or checked.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("email already registered")]
    EmailTaken,
    #[error("password hashing failed")]
    Hash,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Invalid { field, message } => ApiError::field(field, message),
            AccountError::EmailTaken => ApiError::Conflict("email already registered".to_owned()),
            AccountError::Hash => ApiError::internal("password hashing failed"),
            AccountError::Store(e) => e.into(),
        }
    }
}

/// The email trimmed and lower-cased, if it looks like one (one `@`, non-empty parts, a dot
/// in the domain, no spaces or control characters).
pub fn normalize_email(email: &str) -> Result<String, AccountError> {
    let email = email.trim().to_lowercase();
    let invalid = || AccountError::Invalid {
        field: "email",
        message: "not a valid email address".to_owned(),
    };
    if email.len() > MAX_EMAIL_BYTES || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    let domain_ok = domain.contains('.')
        && !domain.contains('@')
        && !domain.starts_with('.')
        && !domain.ends_with('.');
    if local.is_empty() || !domain_ok {
        return Err(invalid());
    }
    Ok(email)
}

/// Checks the password length rules.
pub fn check_password(password: &str) -> Result<(), AccountError> {
    let chars = password.chars().count();
    if (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        Ok(())
    } else {
        Err(AccountError::Invalid {
            field: "password",
            message: format!("must have {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"),
        })
    }
}

/// Hashes on the blocking pool (Argon2id takes tens of milliseconds).
pub(crate) async fn hash_password(password: &str) -> Result<String, AccountError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|_| AccountError::Hash)?
        .map_err(|_| AccountError::Hash)
}

/// Verifies on the blocking pool. Without a stored hash (unknown email) a dummy hash is
/// verified instead, so that the answer takes as long either way and reveals nothing.
pub(crate) async fn verify_password(password: &str, stored: Option<&str>) -> bool {
    let password = password.to_owned();
    let stored = stored.map(str::to_owned);
    tokio::task::spawn_blocking(move || match stored {
        Some(hash) => password::verify(&password, &hash),
        None => {
            let _ = password::verify(&password, dummy_hash());
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// A hash of a random password with the same parameters as real ones; computed once per
/// process (by `AppState::new`, so the first unknown-email login is not slower than later ones).
pub(crate) fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        password::hash(&sift_store::token::generate()).unwrap_or_else(|_| String::new())
    })
}

/// Creates an account of `tier` after checking the email and password (what registration does
/// with the free tier; `sift user create` may use it with any tier).
///
/// # Errors
/// An invalid email or password, a taken email, or a store failure.
pub async fn create_account(
    store: &dyn Store,
    email: &str,
    password: &str,
    tier: Tier,
    is_admin: bool,
) -> Result<User, AccountError> {
    let email = normalize_email(email)?;
    check_password(password)?;
    let password_hash = hash_password(password).await?;
    store
        .create_user(NewUser {
            email,
            password_hash,
            tier,
            is_admin,
        })
        .await
        .map_err(|e| {
            if e.is_conflict_on("users_email") {
                AccountError::EmailTaken
            } else {
                AccountError::Store(e)
            }
        })
}

/// What [`ensure_admin`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminOutcome {
    /// A new admin account was created.
    Created,
    /// The account existed and was made an admin (its password is left as it is).
    Promoted,
    /// The account existed and already was an admin.
    Unchanged,
}

/// Makes sure `email` is an admin account: creates it (elite tier, with `password`) when
/// missing, promotes it when it exists. Used for `SIFT_ADMIN_EMAIL`/`SIFT_ADMIN_PASSWORD` on
/// start and by `sift user create --admin`.
///
/// # Errors
/// An invalid email or password (checked for new accounts), or a store failure.
pub async fn ensure_admin(
    store: &dyn Store,
    email: &str,
    password: &str,
) -> Result<AdminOutcome, AccountError> {
    let normalized = normalize_email(email)?;
    if let Some(user) = store.get_user_by_email(&normalized).await? {
        return promote(store, &user).await;
    }
    match create_account(store, &normalized, password, Tier::Elite, true).await {
        Ok(_) => Ok(AdminOutcome::Created),
        // Created concurrently (another instance starting): promote that one.
        Err(AccountError::EmailTaken) => match store.get_user_by_email(&normalized).await? {
            Some(user) => promote(store, &user).await,
            None => Err(AccountError::EmailTaken),
        },
        Err(e) => Err(e),
    }
}

async fn promote(store: &dyn Store, user: &User) -> Result<AdminOutcome, AccountError> {
    if user.is_admin {
        return Ok(AdminOutcome::Unchanged);
    }
    let update = UserUpdate {
        tier: None,
        is_admin: Some(true),
    };
    store.update_user(user.id, update).await?;
    Ok(AdminOutcome::Promoted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            normalize_email("  Ann@Example.COM ").unwrap(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "@x.com",
            "ann@",
            "ann@com",
            "a b@x.com",
            "a@b@c.com",
            "a@.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?}");
        }
        assert!(normalize_email(&format!("{}@x.com", "a".repeat(260))).is_err());
    }

    #[test]
    fn password_length_is_bounded() {
        assert!(check_password("1234567").is_err());
        assert!(check_password("12345678").is_ok());
        assert!(check_password("☃☃☃☃☃☃☃☃").is_ok(), "characters, not bytes");
        assert!(check_password(&"x".repeat(1_025)).is_err());
    }
}
