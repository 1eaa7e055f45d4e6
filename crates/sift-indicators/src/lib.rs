//! Incremental technical indicators, proven equal to TA-Lib where TA-Lib has them.
//!
//! Every indicator is a small struct fed one closed candle at a time
//! ([`Indicator::update`]), returning `None` while it warms up. Single-series indicators also
//! accept raw values ([`SeriesIndicator::next`]) so they can run on derived series. The
//! [`registry`] builds any indicator by name for the CLI and the rule language.
//!
//! # Layout
//! - [`indicator`]: the [`Indicator`], [`SeriesIndicator`] and [`Outputs`] traits, [`batch`].
//! - [`source`]: [`Source`], the candle series an indicator reads.
//! - [`registry`] and [`spec`]: the catalogue by name, and parsing `macd(12, 26, 9)`.
//! - [`dynamic`]: [`DynIndicator`], indicators behind a trait object.
//! - [`window`]: fixed-size ring buffers and rolling extremes shared by the indicators.
//! - One module per category, one file per indicator: [`average`], [`momentum`],
//!   [`volatility`], [`volume`], [`trend`], [`structure`], [`pattern`].
//!
//! Numbers are `f64`. Where TA-Lib computes an indicator, the arithmetic follows TA-Lib's C
//! code operation by operation so results agree to the last bits, including TA-Lib's quirks,
//! which each indicator documents.

pub mod average;
pub mod dynamic;
mod error;
pub mod indicator;
pub mod momentum;
pub mod pattern;
pub mod registry;
pub mod source;
pub mod spec;
pub mod structure;
pub mod trend;
pub mod volatility;
pub mod volume;
pub mod window;

pub use dynamic::DynIndicator;
pub use error::Error;
pub use indicator::{Indicator, Outputs, SeriesIndicator, batch};
pub use source::Source;
pub use spec::{Arg, Spec};

/// The largest period or count any indicator accepts. Windows are allocated up front, so an
/// absurd period from user input must be an error, not an out-of-memory abort; Sift keeps far
/// less history than this anyway.
pub const MAX_PERIOD: usize = 100_000;

/// The largest magnitude of a real-valued parameter (a multiplier, a factor) given by name.
/// No indicator needs more, and a bound keeps later arithmetic finite.
pub const MAX_REAL: f64 = 1e9;

/// Checks a period parameter for typed constructors: at least 1, at most [`MAX_PERIOD`].
pub(crate) fn check_period(
    indicator: &'static str,
    param: &'static str,
    value: usize,
) -> Result<usize, Error> {
    check_min_period(indicator, param, value, 1)
}

/// Checks a count parameter (which may be 0) for typed constructors: at most [`MAX_PERIOD`].
pub(crate) fn check_count(
    indicator: &'static str,
    param: &'static str,
    value: usize,
) -> Result<usize, Error> {
    check_min_period(indicator, param, value, 0)
}

/// Checks a whole-number parameter for typed constructors: from `min` to [`MAX_PERIOD`]
/// (TA-Lib rejects RSI(1), CCI(1), ..., so some periods start at 2).
pub(crate) fn check_min_period(
    indicator: &'static str,
    param: &'static str,
    value: usize,
    min: usize,
) -> Result<usize, Error> {
    if (min..=MAX_PERIOD).contains(&value) {
        Ok(value)
    } else {
        Err(Error::OutOfRange {
            indicator,
            param,
            value: value as f64,
            min: min as f64,
            max: MAX_PERIOD as f64,
            whole: true,
        })
    }
}

/// Checks a real parameter that must be finite and at least 0 (band multipliers, acceleration
/// factors) for typed constructors.
pub(crate) fn check_non_negative(
    indicator: &'static str,
    param: &'static str,
    value: f64,
) -> Result<f64, Error> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(Error::InvalidParameter {
            indicator,
            param,
            value,
            reason: "must be a finite number, at least 0",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_are_checked_against_both_bounds() {
        assert_eq!(check_period("sma", "n", 1), Ok(1));
        assert_eq!(check_period("sma", "n", MAX_PERIOD), Ok(MAX_PERIOD));
        assert_eq!(check_count("pivot_high", "left", 0), Ok(0));
        for (value, min) in [(0, 1), (1, 2), (MAX_PERIOD + 1, 0), (usize::MAX, 2)] {
            let err = check_min_period("rsi", "n", value, min)
                .unwrap_err()
                .to_string();
            let range = format!("expected a whole number from {min} to {MAX_PERIOD}");
            assert!(err.contains(&range), "{err}");
        }
    }

    #[test]
    fn non_negative_reals_must_be_finite() {
        assert_eq!(check_non_negative("bb", "mult", 0.0), Ok(0.0));
        assert_eq!(check_non_negative("bb", "mult", 2.5), Ok(2.5));
        for bad in [-1e-300, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let err = check_non_negative("bb", "mult", bad)
                .unwrap_err()
                .to_string();
            assert!(err.contains("must be a finite number, at least 0"), "{err}");
            assert!(err.ends_with("usage: bb(n=20, mult=2)"), "{err}");
        }
    }
}
