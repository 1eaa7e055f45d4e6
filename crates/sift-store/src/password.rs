//! Password hashing with Argon2id (PHC strings with a random salt).
//!
//! Hashing is CPU-heavy on purpose (tens of milliseconds in release builds): call these from
//! `tokio::task::spawn_blocking`, never directly on the async runtime.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Hashing failed (parameters out of range, or the platform refused random bytes).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

fn argon2() -> Argon2<'static> {
    // The argon2 crate's defaults (19 MiB, 2 passes, 1 lane), the OWASP minimum for Argon2id.
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// Hashes `password` into an Argon2id PHC string (`$argon2id$v=19$m=...`).
pub fn hash(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| HashError(err.to_string()))
}

/// Whether `password` matches `phc`; false for a malformed hash too.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_salts_differ() {
        let a = hash("correct horse ☃").unwrap();
        let b = hash("correct horse ☃").unwrap();
        assert!(a.starts_with("$argon2id$v=19$"));
        assert_ne!(a, b);
        assert!(verify("correct horse ☃", &a));
        assert!(!verify("correct horse", &a));
        assert!(!verify("x", "not a hash"));
    }
}
