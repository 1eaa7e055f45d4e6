//! Errors from building indicators.

use std::fmt;

use crate::registry;
use crate::volume::Anchor;

/// Why an indicator could not be built from its specification.
///
/// Every variant that names an indicator ends its message with that indicator's signature from
/// the [registry](crate::registry), e.g. `; usage: bb(n=20, mult=2)`, so the user sees which
/// parameters exist and their defaults. The signature is looked up when the message is
/// written, so typed constructors (which know only their indicator's name) get it too.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A parameter value the indicator rejects for a reason other than a plain range, such as
    /// a band multiplier that is not finite, or one parameter that must not exceed another.
    #[error("{indicator}: parameter {param} = {value} is invalid: {reason}{}", usage(.indicator))]
    InvalidParameter {
        indicator: &'static str,
        param: &'static str,
        value: f64,
        reason: &'static str,
    },
    /// A number outside `min..=max`, or a fraction where only whole numbers are accepted.
    #[error(
        "{indicator}: parameter {param} = {value} is invalid: expected {} from {min} to {max}{}",
        number_kind(.whole),
        usage(.indicator)
    )]
    OutOfRange {
        indicator: &'static str,
        param: &'static str,
        value: f64,
        min: f64,
        max: f64,
        /// Only whole numbers are accepted (periods and counts).
        whole: bool,
    },
    /// An identifier, or a number, given to a parameter that takes one of a fixed set of
    /// names (`vwap(anchor=year)`).
    #[error(
        "{indicator}: parameter {param} = {found:?} is invalid: expected one of {}{}",
        .choices.join(", "),
        usage(.indicator)
    )]
    InvalidChoice {
        indicator: &'static str,
        param: &'static str,
        /// What was given, as written.
        found: String,
        choices: &'static [&'static str],
    },
    /// A name where a parameter takes a number (`bb(20, wide)`).
    #[error("{indicator}: parameter {param} expects a number, found {found:?}{}", usage(.indicator))]
    ExpectedNumber {
        indicator: &'static str,
        param: &'static str,
        found: String,
    },
    /// No indicator has this name; `available` lists every name, space separated.
    #[error("unknown indicator {name:?}; available: {available}")]
    UnknownIndicator { name: String, available: String },
    /// A named argument whose name is not one of the indicator's parameters.
    #[error("{indicator}: unknown parameter {param:?}{}", usage(.indicator))]
    UnknownParameter {
        indicator: &'static str,
        param: String,
    },
    /// A parameter without a default that was not given (`sma()`).
    #[error("{indicator}: missing parameter {param}{}", usage(.indicator))]
    MissingParameter {
        indicator: &'static str,
        param: &'static str,
    },
    /// A parameter given twice, positionally and by name or by name twice (`bb(20, n=30)`);
    /// `param` is `source` for a source series given twice.
    #[error("{indicator}: parameter {param} is given twice{}", usage(.indicator))]
    RepeatedParameter {
        indicator: &'static str,
        param: &'static str,
    },
    /// More positional arguments than the indicator has parameters.
    #[error("{indicator}: too many arguments{}", usage(.indicator))]
    TooManyArguments { indicator: &'static str },
    /// A source series given to an indicator that reads whole candles (`obv(close)`).
    #[error("{indicator} does not take a source series{}", usage(.indicator))]
    NoSource { indicator: &'static str },
    /// A name that is not a [`Source`](crate::Source).
    #[error(
        "unknown source series {0:?}; available: open high low close volume quote_volume trades taker_buy_volume taker_buy_quote_volume hl2 hlc3 ohlc4"
    )]
    UnknownSource(String),
    /// A name that is not an [`Anchor`].
    #[error("unknown anchor {:?}; available: {}", .0, Anchor::CHOICES.join(" "))]
    UnknownAnchor(String),
    /// Specification text that is not `name`, `name()` or `name(arg, ..., param=value, ...)`;
    /// `column` counts characters of `spec` from 1.
    #[error("cannot parse indicator {spec:?} at column {column}: {message}")]
    Syntax {
        spec: String,
        column: usize,
        message: String,
    },
}

impl Error {
    /// The same error about parameter `param` of `indicator`, for constructors that delegate
    /// the check of one of their parameters to another indicator (Stoch RSI builds an RSI).
    /// Errors that are not about one parameter value are returned unchanged.
    pub(crate) fn for_param(self, indicator: &'static str, param: &'static str) -> Error {
        match self {
            Error::InvalidParameter { value, reason, .. } => Error::InvalidParameter {
                indicator,
                param,
                value,
                reason,
            },
            Error::OutOfRange {
                value,
                min,
                max,
                whole,
                ..
            } => Error::OutOfRange {
                indicator,
                param,
                value,
                min,
                max,
                whole,
            },
            other => other,
        }
    }
}

/// How [`Error::OutOfRange`] names the numbers a parameter accepts.
fn number_kind(whole: &bool) -> &'static str {
    if *whole { "a whole number" } else { "a number" }
}

/// `; usage: <signature>` for an indicator in the registry, nothing for another name.
fn usage(indicator: &str) -> Usage {
    Usage(registry::find(indicator).map(registry::Def::signature))
}

struct Usage(Option<String>);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(signature) => write!(f, "; usage: {signature}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_end_with_the_signature_of_registry_indicators() {
        let err = Error::MissingParameter {
            indicator: "sma",
            param: "n",
        };
        assert_eq!(err.to_string(), "sma: missing parameter n; usage: sma(n)");
        let err = Error::InvalidParameter {
            indicator: "divergence",
            param: "lookback",
            value: 3.0,
            reason: "must be at least min_sep",
        };
        assert_eq!(
            err.to_string(),
            "divergence: parameter lookback = 3 is invalid: must be at least min_sep"
        );
    }

    #[test]
    fn range_messages_show_both_bounds() {
        let err = Error::OutOfRange {
            indicator: "rsi",
            param: "n",
            value: 1.0,
            min: 2.0,
            max: 100_000.0,
            whole: true,
        };
        assert_eq!(
            err.to_string(),
            "rsi: parameter n = 1 is invalid: expected a whole number from 2 to 100000; \
             usage: rsi(n=14)"
        );
    }

    #[test]
    fn for_param_renames_parameter_errors_only() {
        let err = Error::OutOfRange {
            indicator: "rsi",
            param: "n",
            value: 1.0,
            min: 2.0,
            max: 100_000.0,
            whole: true,
        };
        let renamed = err.for_param("stochrsi", "rsi").to_string();
        assert!(
            renamed.starts_with("stochrsi: parameter rsi = 1"),
            "{renamed}"
        );
        let other = Error::NoSource { indicator: "obv" };
        assert_eq!(other.clone().for_param("x", "y"), other);
    }
}
