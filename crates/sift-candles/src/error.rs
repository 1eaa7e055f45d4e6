//! What a candle store can refuse or fail at.

use sift_core::{Interval, Symbol};

/// An error from a [`CandleStore`](crate::CandleStore).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The candle cannot belong to the series it was written to; nothing was written. A wiring
    /// bug (a candle of one interval written under another) shows up here instead of silently
    /// corrupting a series.
    #[error("invalid candle for {symbol} {interval} opening at {open_time}: {reason}")]
    InvalidCandle {
        symbol: Symbol,
        interval: Interval,
        open_time: i64,
        reason: &'static str,
    },
    /// The backend could not be reached or answered with an error (never produced by the
    /// in-process store). The write or read may be retried.
    #[error("candle store backend failed")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// Whether repeating the same call may succeed: true for backend failures, false for
    /// invalid input.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Backend(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_the_series_and_only_backend_errors_retry() {
        let err = StoreError::InvalidCandle {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            interval: Interval::M1,
            open_time: 30_000,
            reason: "open time is not on an interval boundary",
        };
        assert_eq!(
            err.to_string(),
            "invalid candle for BTCUSDT 1m opening at 30000: open time is not on an interval boundary"
        );
        assert!(!err.is_retryable());
        assert!(StoreError::Backend("connection refused".into()).is_retryable());
    }
}
