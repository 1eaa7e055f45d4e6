//! [`NotifyConfig`]: the `[notify]` section of the server's settings.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::error::NotifyError;

/// What a key must be, for error messages.
pub(crate) const KEY_FORMAT: &str =
    "must be the base64 of 32 random bytes, such as the output of `openssl rand -base64 32`";

/// How notifications are sent. Every field has a default; unknown fields are errors.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// Run the dispatcher (channels can still be created when off; deliveries wait).
    pub enabled: bool,
    /// Allow targets on loopback and private networks (RFC 1918, ULA, CGNAT), for
    /// self-hosters whose receivers live there. Link-local addresses (cloud metadata
    /// services) are refused whatever this says.
    pub allow_private_targets: bool,
    /// Base URL of the Telegram Bot API (behind the same SSRF guard: a Bot API server on a
    /// private network needs `allow_private_targets`).
    pub telegram_api_url: String,
    /// Where users reach this server, such as `https://sift.example.com`; messages link back
    /// to the chart under it. No links when unset.
    pub public_url: Option<String>,
    /// Time budget of one outgoing request (connect, send, read the answer), in milliseconds.
    pub request_timeout_ms: u64,
    /// Most bytes of an answer read (the rest is ignored).
    pub max_response_bytes: usize,
    /// Largest request body sent; a larger notification fails without being sent.
    pub max_payload_bytes: usize,
    /// Attempts per delivery before it is marked failed.
    pub max_attempts: u32,
    /// Delay before the second attempt, in milliseconds; doubled each time (with jitter).
    pub backoff_base_ms: u64,
    /// Longest delay between attempts, in milliseconds.
    pub backoff_cap_ms: u64,
    /// Longest `Retry-After` honoured, in milliseconds.
    pub retry_after_cap_ms: u64,
    /// How long a claimed delivery is reserved for this dispatcher, in milliseconds; after a
    /// crash it becomes due again then. Must exceed `request_timeout_ms`.
    pub claim_lease_ms: u64,
    /// Most deliveries claimed at once.
    pub batch_size: u32,
    /// Pause between looks for due deliveries, in milliseconds.
    pub poll_interval_ms: u64,
    /// Messages per minute per channel (a burst of this many, then evenly spread).
    pub rate_limit_per_minute: u32,
    /// The key sealing channel secrets in the database (base64 of 32 bytes). Unset, `sift
    /// serve` keeps one in `<data_dir>/notify.key`; processes sharing a database must share
    /// it. See [`crate::sealed`].
    pub secret_key: Option<SecretString>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            allow_private_targets: false,
            telegram_api_url: "https://api.telegram.org".to_owned(),
            public_url: None,
            request_timeout_ms: 10_000,
            max_response_bytes: 64 * 1024,
            max_payload_bytes: 64 * 1024,
            max_attempts: 8,
            backoff_base_ms: 2_000,
            backoff_cap_ms: 15 * 60 * 1000,
            retry_after_cap_ms: 60 * 60 * 1000,
            claim_lease_ms: 5 * 60 * 1000,
            batch_size: 100,
            poll_interval_ms: 1_000,
            rate_limit_per_minute: 30,
            secret_key: None,
        }
    }
}

impl NotifyConfig {
    /// Checks ranges and URLs.
    ///
    /// # Errors
    /// [`NotifyError::Config`] naming the field.
    pub fn validate(&self) -> Result<(), NotifyError> {
        let bad =
            |field: &str, why: &str| Err(NotifyError::Config(format!("notify.{field}: {why}")));
        for (field, url) in [
            ("telegram_api_url", Some(&self.telegram_api_url)),
            ("public_url", self.public_url.as_ref()),
        ] {
            if let Some(url) = url {
                match url::Url::parse(url) {
                    Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                    _ => return bad(field, "must be an http(s) URL"),
                }
            }
        }
        if self.request_timeout_ms == 0 {
            return bad("request_timeout_ms", "must be positive");
        }
        if self.claim_lease_ms <= self.request_timeout_ms {
            return bad("claim_lease_ms", "must exceed request_timeout_ms");
        }
        if self.max_attempts == 0 {
            return bad("max_attempts", "must be at least 1");
        }
        if self.batch_size == 0 {
            return bad("batch_size", "must be at least 1");
        }
        if self.rate_limit_per_minute == 0 {
            return bad("rate_limit_per_minute", "must be at least 1");
        }
        if self.backoff_cap_ms < self.backoff_base_ms {
            return bad("backoff_cap_ms", "must be at least backoff_base_ms");
        }
        if let Some(key) = &self.secret_key {
            if crate::sealed::SecretKey::from_base64(key.expose_secret()).is_none() {
                return bad("secret_key", KEY_FORMAT);
            }
        }
        Ok(())
    }

    pub(crate) fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    pub(crate) fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms.max(1))
    }

    /// `public_url` without a trailing slash.
    pub(crate) fn public_base(&self) -> Option<&str> {
        self.public_url.as_deref().map(|u| u.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_partial_json_fills_in() {
        NotifyConfig::default().validate().unwrap();
        let config: NotifyConfig =
            serde_json::from_str(r#"{"allow_private_targets": true, "max_attempts": 3}"#).unwrap();
        assert!(config.allow_private_targets);
        assert_eq!(config.max_attempts, 3);
        assert_eq!(config.telegram_api_url, "https://api.telegram.org");
        assert!(serde_json::from_str::<NotifyConfig>(r#"{"nope": 1}"#).is_err());
    }

    #[test]
    fn validation_names_the_field() {
        let cases = [
            NotifyConfig {
                claim_lease_ms: 5,
                ..NotifyConfig::default()
            },
            NotifyConfig {
                telegram_api_url: "ftp://x".to_owned(),
                ..NotifyConfig::default()
            },
            NotifyConfig {
                public_url: Some("not a url".to_owned()),
                ..NotifyConfig::default()
            },
            NotifyConfig {
                max_attempts: 0,
                ..NotifyConfig::default()
            },
            NotifyConfig {
                secret_key: Some("c2hvcnQ=".into()),
                ..NotifyConfig::default()
            },
        ];
        for (config, field) in cases.iter().zip([
            "claim_lease_ms",
            "telegram_api_url",
            "public_url",
            "max_attempts",
            "secret_key",
        ]) {
            let err = config.validate().unwrap_err().to_string();
            assert!(err.contains(field), "{err}");
            assert!(!err.contains("c2hvcnQ"), "the key is never shown: {err}");
        }
    }
}
