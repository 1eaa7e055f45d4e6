//! Errors from parsing market types.

/// What parsing a market type can reject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("invalid symbol {0:?}: expected 2 to 20 characters A-Z or 0-9")]
    InvalidSymbol(String),
    #[error("unknown interval {0:?}: expected one of 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M")]
    UnknownInterval(String),
}
