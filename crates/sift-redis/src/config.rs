//! Where Redis is and how long to wait for it.

use std::fmt;
use std::time::Duration;

use crate::Error;

/// How to reach Redis: the URL, the key prefix and the timeouts every call is bounded by.
///
/// `rediss://` URLs connect over TLS (rustls with the webpki roots), as hosted Redis such as
/// Upstash requires; `redis://` is plain TCP. The URL may carry a password
/// (`rediss://default:secret@host:6379`), so `Debug` prints it with the password replaced.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisConfig {
    /// `redis://[user:password@]host[:port][/db]`, `rediss://...` for TLS.
    pub url: String,
    /// Prepended to every key (`""` by default; tests use a unique prefix such as `test:ab12:`).
    pub prefix: String,
    /// Longest wait for a connection to be established (TCP and TLS handshakes included).
    pub connect_timeout: Duration,
    /// Longest wait for the reply to one command or one pipeline.
    pub op_timeout: Duration,
}

impl RedisConfig {
    /// Longest wait for a connection unless configured otherwise.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
    /// Longest wait for a reply unless configured otherwise: far above a healthy round trip
    /// (well under a millisecond on a LAN), short enough to notice a dead server quickly.
    pub const DEFAULT_OP_TIMEOUT: Duration = Duration::from_secs(2);

    /// `url` with an empty prefix and the default timeouts.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefix: String::new(),
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            op_timeout: Self::DEFAULT_OP_TIMEOUT,
        }
    }

    /// The same configuration with every key under `prefix`.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Whether the URL asks for TLS.
    pub fn is_tls(&self) -> bool {
        self.url.starts_with("rediss://")
    }

    /// A client for the URL; does not connect.
    pub(crate) fn client(&self) -> Result<redis::Client, Error> {
        if self.is_tls() {
            // rustls needs a process-wide crypto provider when more than one is compiled in;
            // installing ring is a no-op error when one is already installed.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        redis::Client::open(self.url.as_str()).map_err(Error::InvalidUrl)
    }
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &redact(&self.url))
            .field("prefix", &self.prefix)
            .field("connect_timeout", &self.connect_timeout)
            .field("op_timeout", &self.op_timeout)
            .finish()
    }
}

/// The URL with its password (if any) replaced by `***`; unparseable URLs are hidden whole,
/// since they might still hold a secret.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                // Only fails for URLs that cannot have a password, which this one has.
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "<unparseable url>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_password() {
        let config = RedisConfig::new("rediss://default:s3cret@eu1.upstash.io:6379");
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("rediss://default:***@eu1.upstash.io:6379"),
            "{shown}"
        );
        assert!(config.is_tls());
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(redact("not a url"), "<unparseable url>");
    }

    #[test]
    fn urls_are_checked_without_connecting() {
        assert!(RedisConfig::new("redis://127.0.0.1:1").client().is_ok());
        assert!(RedisConfig::new("rediss://127.0.0.1:1").client().is_ok());
        assert!(matches!(
            RedisConfig::new("http://127.0.0.1").client(),
            Err(Error::InvalidUrl(_))
        ));
    }
}
