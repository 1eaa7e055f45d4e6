//! Credentials: random tokens, their stored hashes, and the session cookies.
//!
//! Session and API tokens are 32 random bytes ([`sift_store::token::generate`]); only their
//! SHA-256 ([`sift_store::token::hash`]) is stored, so a leaked database does not log anyone
//! in. The CSRF token is random too and stored with the session: it proves that a request came
//! from a page that could read it.

use axum::http::HeaderValue;
pub use sift_store::token::{generate as random_token, hash as token_hash};

/// The HttpOnly session cookie.
pub const SESSION_COOKIE: &str = "sift_session";
/// A cookie scripts of the page may read, holding the session's CSRF token (to send back in
/// `X-CSRF-Token` after a reload).
pub const CSRF_COOKIE: &str = "sift_csrf";
/// The header cookie-authenticated state-changing requests carry.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Prefix of API tokens, so leaked ones are easy to recognise (secret scanners).
pub const API_TOKEN_PREFIX: &str = "sift_";

/// A new API token: [`API_TOKEN_PREFIX`] and a random token.
pub fn new_api_token() -> String {
    format!("{API_TOKEN_PREFIX}{}", random_token())
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `Set-Cookie` values that start a session: the HttpOnly session cookie and the readable CSRF
/// cookie, both `SameSite=Lax`, `Secure` when `secure`.
pub fn session_cookies(
    token: &str,
    csrf: &str,
    max_age_secs: u64,
    secure: bool,
) -> [HeaderValue; 2] {
    let secure = if secure { "; Secure" } else { "" };
    let session = format!(
        "{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}"
    );
    let csrf =
        format!("{CSRF_COOKIE}={csrf}; Path=/; Max-Age={max_age_secs}; SameSite=Lax{secure}");
    // Tokens are base64url, so both are valid header values.
    [header_value(session), header_value(csrf)]
}

/// `Set-Cookie` values that end a session.
pub fn clear_cookies(secure: bool) -> [HeaderValue; 2] {
    let secure = if secure { "; Secure" } else { "" };
    [SESSION_COOKIE, CSRF_COOKIE].map(|name| {
        let http_only = if name == SESSION_COOKIE {
            "; HttpOnly"
        } else {
            ""
        };
        header_value(format!(
            "{name}=; Path=/; Max-Age=0{http_only}; SameSite=Lax{secure}"
        ))
    })
}

fn header_value(text: String) -> HeaderValue {
    HeaderValue::try_from(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then_some(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_tokens_are_prefixed() {
        let token = new_api_token();
        assert!(token.starts_with(API_TOKEN_PREFIX));
        assert_ne!(token, new_api_token());
        assert_eq!(token_hash(&token).len(), 64);
    }

    #[test]
    fn cookies_have_the_required_attributes() {
        let [session, csrf] = session_cookies("tok", "csrf", 60, true);
        let session = session.to_str().unwrap();
        assert!(session.starts_with("sift_session=tok;"));
        for attr in ["HttpOnly", "SameSite=Lax", "Secure", "Max-Age=60", "Path=/"] {
            assert!(session.contains(attr), "{session}: {attr}");
        }
        assert!(!csrf.to_str().unwrap().contains("HttpOnly"));
        let [session, _] = session_cookies("tok", "csrf", 60, false);
        assert!(!session.to_str().unwrap().contains("Secure"));
        let [cleared, _] = clear_cookies(false);
        assert!(cleared.to_str().unwrap().contains("Max-Age=0"));
    }

    #[test]
    fn reads_cookies_and_compares() {
        let header = "a=1; sift_session=xyz; b=2";
        assert_eq!(cookie(header, "sift_session"), Some("xyz"));
        assert_eq!(cookie(header, "c"), None);
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
