//! Errors from building indicators.

/// Why an indicator could not be built from its specification.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    #[error("{indicator}: parameter {param} = {value} is invalid: {reason}")]
    InvalidParameter {
        indicator: &'static str,
        param: &'static str,
        value: f64,
        reason: &'static str,
    },
    #[error("unknown indicator {name:?}; available: {available}")]
    UnknownIndicator { name: String, available: String },
    #[error("{indicator}: unknown parameter {param:?}; parameters: {expected}")]
    UnknownParameter {
        indicator: &'static str,
        param: String,
        expected: String,
    },
    #[error("{indicator}: missing parameter {param}")]
    MissingParameter {
        indicator: &'static str,
        param: &'static str,
    },
    #[error("{indicator}: too many arguments; parameters: {expected}")]
    TooManyArguments {
        indicator: &'static str,
        expected: String,
    },
    #[error("{indicator} does not take a source series")]
    NoSource { indicator: &'static str },
    #[error(
        "unknown source series {0:?}; available: open high low close volume quote_volume trades taker_buy_volume taker_buy_quote_volume hl2 hlc3 ohlc4"
    )]
    UnknownSource(String),
    #[error("cannot parse indicator {spec:?} at column {column}: {message}")]
    Syntax {
        spec: String,
        column: usize,
        message: String,
    },
}
