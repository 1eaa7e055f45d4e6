//! The networking clients: REST with a shared weight budget, and a pool of combined-stream
//! WebSocket connections.
//!
//! - [`RestClient`]: klines (one page, a range, the newest closed), exchangeInfo, ticker/24hr and
//!   server time; weight taken before each call, `X-MBX-USED-WEIGHT-1M` followed, 429 and 418
//!   honoured by every clone, retries with jittered backoff.
//! - [`spawn_streams`]: a task that spreads streams over as many connections as needed and keeps
//!   them alive (pongs, silence detection, reconnects, rollover before the 24 h limit,
//!   `serverShutdown`), reporting [`StreamEvent`]s.
//!
//! TLS is rustls with the *ring* provider, installed as the process default if none is.

mod backoff;
mod error;
mod klines;
mod rest;
mod weight;
pub mod ws;

use std::sync::Once;
use std::time::{SystemTime, UNIX_EPOCH};

pub use backoff::Backoff;
pub use error::{CODE_INVALID_INTERVAL, CODE_INVALID_SYMBOL, ClientError, RestError};
pub use klines::KLINES_MAX_LIMIT;
pub use rest::{RestClient, RestConfig, RestStats};
pub use ws::{
    ALL_MINI_TICKERS, ConnectionState, ConnectionStats, StreamConfig, StreamEvent, StreamHandle,
    StreamStats, kline_stream, spawn_streams,
};

/// Wall-clock epoch milliseconds (0 if the clock is before 1970).
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Installs rustls' ring provider as the process default, once. Clients in this crate use only
/// ring; if another provider was installed first, rustls keeps it.
pub(crate) fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Err means a provider is already installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// `url` without a trailing slash, after checking that it parses with one of `schemes`.
pub(crate) fn checked_base_url(url: &str, schemes: &[&str]) -> Result<String, ClientError> {
    let parsed = url::Url::parse(url).map_err(|err| ClientError::InvalidUrl {
        url: url.to_owned(),
        reason: err.to_string(),
    })?;
    if !schemes.contains(&parsed.scheme()) {
        return Err(ClientError::InvalidUrl {
            url: url.to_owned(),
            reason: format!("scheme must be one of {schemes:?}"),
        });
    }
    if parsed.query().is_some() {
        return Err(ClientError::InvalidUrl {
            url: url.to_owned(),
            reason: "a base url has no query".to_owned(),
        });
    }
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let ok = checked_base_url("https://api.binance.com/", &["https"]).unwrap();
        assert_eq!(ok, "https://api.binance.com");
        assert!(checked_base_url("api.binance.com", &["https"]).is_err());
        assert!(checked_base_url("ws://x:1", &["https"]).is_err());
        assert!(checked_base_url("wss://x:1/?a=b", &["wss"]).is_err());
        assert!(now_ms() > 1_600_000_000_000);
    }

    #[test]
    fn tls_uses_the_ring_provider() {
        install_crypto_provider();
        install_crypto_provider();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
        // What tokio-tungstenite does for wss:// without a connector; panics without a provider.
        let _config = rustls::ClientConfig::builder()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
    }
}
