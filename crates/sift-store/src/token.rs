//! Secret tokens (session cookies, API tokens, webhook secrets) and the hashes stored for them.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// Random bytes per token: 256 bits.
const TOKEN_BYTES: usize = 32;

/// A fresh random token, 64 lower-case hex characters; give it to the user once.
pub fn generate() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The SHA-256 of `token` in hex: what the store keeps and looks tokens up by.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let a = generate();
        assert_eq!(a.len(), 64);
        assert_ne!(a, generate());
        assert_eq!(hash(&a), hash(&a));
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
