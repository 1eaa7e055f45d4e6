//! What the REST and WebSocket clients can fail with.

use std::time::Duration;

use crate::DecodeError;

/// Binance's error code for an unknown symbol (`{"code":-1121,"msg":"Invalid symbol."}`).
pub const CODE_INVALID_SYMBOL: i64 = -1121;
/// Binance's error code for an unknown interval.
pub const CODE_INVALID_INTERVAL: i64 = -1120;

/// Building a client or talking to the stream pool failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A base URL that does not parse or has the wrong scheme.
    #[error("invalid url {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    /// The HTTP client could not be built (TLS setup).
    #[error("building the http client")]
    Http(#[source] reqwest::Error),
    /// A configuration value out of range.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A stream name Binance would not accept (empty, too long, upper case or odd characters).
    #[error("invalid stream name {0:?}")]
    InvalidStream(String),
    /// The stream pool has stopped (cancelled, or its task ended).
    #[error("the stream client has stopped")]
    Closed,
}

/// A REST call failed. [`is_retryable`](Self::is_retryable) tells transient failures (which the
/// client already retried `max_retries` times) from final answers.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// Binance rejected the request with its error body, for example
    /// [`CODE_INVALID_SYMBOL`] or [`CODE_INVALID_INTERVAL`]. Never retried.
    #[error("binance rejected the request (http {status}): code {code}: {msg}")]
    Binance { status: u16, code: i64, msg: String },
    /// Any other unsuccessful status (5xx are retried, other 4xx are not).
    #[error("http status {status}")]
    Status { status: u16 },
    /// HTTP 429: over the request-weight limit; the client paused for `retry_after`.
    #[error("rate limited (http 429), retry after {retry_after:?}")]
    RateLimited { retry_after: Duration },
    /// HTTP 418: the IP is banned; every clone of the client waits until `until_ms`.
    #[error("ip banned (http 418) until {until_ms} ms")]
    Banned { until_ms: i64 },
    /// The call did not finish within the configured timeout.
    #[error("request timed out")]
    Timeout,
    /// Connecting, sending or reading failed.
    #[error("transport error")]
    Transport(#[source] reqwest::Error),
    /// A successful response whose body is not what the endpoint documents.
    #[error("malformed response body")]
    Decode(#[from] DecodeError),
    /// Arguments the client refuses before sending (for example `limit` over 1000).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

impl RestError {
    /// Whether trying again later may succeed: timeouts, transport errors, 5xx, 429 and 418.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Status { status } => *status >= 500,
            Self::RateLimited { .. } | Self::Banned { .. } | Self::Timeout | Self::Transport(_) => {
                true
            }
            Self::Binance { .. } | Self::Decode(_) | Self::InvalidRequest(_) => false,
        }
    }

    /// Binance's error code, when Binance answered with an error body.
    pub fn binance_code(&self) -> Option<i64> {
        match self {
            Self::Binance { code, .. } => Some(*code),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_or_final() {
        assert!(RestError::Status { status: 503 }.is_retryable());
        assert!(!RestError::Status { status: 404 }.is_retryable());
        assert!(RestError::Timeout.is_retryable());
        assert!(
            RestError::RateLimited {
                retry_after: Duration::from_secs(1)
            }
            .is_retryable()
        );
        let invalid = RestError::Binance {
            status: 400,
            code: CODE_INVALID_SYMBOL,
            msg: "Invalid symbol.".to_owned(),
        };
        assert!(!invalid.is_retryable());
        assert_eq!(invalid.binance_code(), Some(-1121));
        assert_eq!(
            invalid.to_string(),
            "binance rejected the request (http 400): code -1121: Invalid symbol."
        );
    }
}
