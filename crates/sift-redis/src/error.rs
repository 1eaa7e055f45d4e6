//! What the Redis backends can fail at.

use std::time::Duration;

use sift_candles::StoreError;

/// An error from the Redis candle store or the mirror.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configured URL is not a Redis URL (`redis://`, `rediss://`, `unix://`).
    #[error("invalid redis url")]
    InvalidUrl(#[source] redis::RedisError),
    /// Redis could not be reached or answered with an error.
    #[error("redis command failed")]
    Redis(#[from] redis::RedisError),
    /// Redis did not answer within the configured time.
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
    /// A value stored in Redis is not in the layout of [`codec`](crate::codec): another program
    /// wrote to the key, or the prefix is shared with something else.
    #[error("malformed {what} at redis key {key}")]
    Malformed { key: String, what: &'static str },
    /// A script answered with a reply of the wrong shape (a bug or a foreign script under the
    /// same SHA, which cannot happen in practice).
    #[error("unexpected reply from redis script {script}")]
    UnexpectedReply { script: &'static str },
}

impl Error {
    /// Whether retrying the same call later may succeed: connection failures, timeouts and the
    /// transient server states (loading a dataset after a restart, read-only replica during a
    /// failover, busy script). Malformed data and script errors are permanent.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Timeout(_) => true,
            Self::Redis(err) => is_transient(err),
            Self::InvalidUrl(_) | Self::Malformed { .. } | Self::UnexpectedReply { .. } => false,
        }
    }
}

/// Whether a Redis error is a connection problem or a transient server state.
pub(crate) fn is_transient(err: &redis::RedisError) -> bool {
    use redis::ErrorKind as K;
    err.is_io_error()
        || err.is_timeout()
        || err.is_connection_dropped()
        || err.is_connection_refusal()
        || matches!(
            err.kind(),
            K::BusyLoadingError
                | K::TryAgain
                | K::MasterDown
                | K::ReadOnly
                | K::ClusterDown
                | K::NoScriptError
        )
        // Out of memory under `maxmemory`: writable again once the operator makes room.
        || err.code() == Some("OOM")
}

impl From<Error> for StoreError {
    fn from(err: Error) -> Self {
        StoreError::Backend(Box::new(err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_errors_are_told_apart() {
        let io: redis::RedisError =
            std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset").into();
        assert!(Error::Redis(io).is_transient());
        assert!(Error::Timeout(Duration::from_secs(1)).is_transient());
        let loading: redis::RedisError = (redis::ErrorKind::BusyLoadingError, "loading").into();
        assert!(Error::Redis(loading).is_transient());
        let script: redis::RedisError = (redis::ErrorKind::ResponseError, "script").into();
        assert!(!Error::Redis(script).is_transient());
        let malformed = Error::Malformed {
            key: "forming:BTCUSDT:1m".into(),
            what: "candle",
        };
        assert_eq!(
            malformed.to_string(),
            "malformed candle at redis key forming:BTCUSDT:1m"
        );
        let store: StoreError = malformed.into();
        assert!(store.is_retryable());
    }
}
