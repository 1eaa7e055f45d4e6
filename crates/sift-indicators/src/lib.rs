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
pub use spec::Spec;

/// The largest period or count any indicator accepts. Windows are allocated up front, so an
/// absurd period from user input must be an error, not an out-of-memory abort; Sift keeps far
/// less history than this anyway.
pub const MAX_PERIOD: usize = 100_000;

/// Checks a period parameter for typed constructors: at least 1, at most [`MAX_PERIOD`].
pub(crate) fn check_period(
    indicator: &'static str,
    param: &'static str,
    value: usize,
) -> Result<usize, Error> {
    if value == 0 {
        return Err(Error::InvalidParameter {
            indicator,
            param,
            value: 0.0,
            reason: "must be at least 1",
        });
    }
    check_count(indicator, param, value)
}

/// Checks a count parameter (which may be 0) for typed constructors: at most [`MAX_PERIOD`].
pub(crate) fn check_count(
    indicator: &'static str,
    param: &'static str,
    value: usize,
) -> Result<usize, Error> {
    if value > MAX_PERIOD {
        return Err(Error::InvalidParameter {
            indicator,
            param,
            value: value as f64,
            reason: "must be at most 100000",
        });
    }
    Ok(value)
}
