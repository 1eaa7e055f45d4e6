//! The two mirrored sides of price, highs and lows, that one structure indicator serves both of.

use std::fmt;

use crate::Source;
use crate::window::Extreme;

/// The side of price a structure indicator follows: [`High`] looks for maxima, where "beyond"
/// means greater, [`Low`] for minima, where it means smaller. It fixes everything that differs
/// between mirrored indicators, so [`Highest`](super::Highest) and
/// [`Lowest`](super::Lowest), or [`PivotHigh`](super::PivotHigh) and
/// [`PivotLow`](super::PivotLow), share one implementation each.
///
/// Sealed: only [`High`] and [`Low`] implement it.
pub trait Side: sealed::Sealed + Clone + Copy + fmt::Debug + Send + Sync + 'static {
    /// Which end of a window this side tracks.
    const EXTREME: Extreme;
    /// The candle series read unless configured otherwise.
    const SOURCE: Source;
    /// Registry name of the rolling extreme (`highest`), as its parameter errors name it.
    const EXTREMUM_NAME: &'static str;
    /// Display name of the rolling extreme (`HIGHEST`).
    const EXTREMUM_LABEL: &'static str;
    /// Display name of the pivot (`PIVOT_HIGH`).
    const PIVOT_LABEL: &'static str;
    /// The pivot's registry name, for errors.
    const PIVOT_NAME: &'static str;

    /// Whether `value` is strictly beyond `bound`: `value > bound` for highs, `<` for lows.
    fn beyond(value: f64, bound: f64) -> bool;

    /// Whether `value` is at or beyond `bound`: `value >= bound` for highs, `<=` for lows.
    fn at_or_beyond(value: f64, bound: f64) -> bool;
}

/// The highs: maxima, read from the candle high by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct High;

/// The lows: minima, read from the candle low by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Low;

impl Side for High {
    const EXTREME: Extreme = Extreme::Max;
    const SOURCE: Source = Source::High;
    const EXTREMUM_NAME: &'static str = "highest";
    const EXTREMUM_LABEL: &'static str = "HIGHEST";
    const PIVOT_LABEL: &'static str = "PIVOT_HIGH";
    const PIVOT_NAME: &'static str = "pivot_high";

    #[inline]
    fn beyond(value: f64, bound: f64) -> bool {
        value > bound
    }

    #[inline]
    fn at_or_beyond(value: f64, bound: f64) -> bool {
        value >= bound
    }
}

impl Side for Low {
    const EXTREME: Extreme = Extreme::Min;
    const SOURCE: Source = Source::Low;
    const EXTREMUM_NAME: &'static str = "lowest";
    const EXTREMUM_LABEL: &'static str = "LOWEST";
    const PIVOT_LABEL: &'static str = "PIVOT_LOW";
    const PIVOT_NAME: &'static str = "pivot_low";

    #[inline]
    fn beyond(value: f64, bound: f64) -> bool {
        value < bound
    }

    #[inline]
    fn at_or_beyond(value: f64, bound: f64) -> bool {
        value <= bound
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::High {}
    impl Sealed for super::Low {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_mirror_each_other() {
        assert!(High::beyond(2.0, 1.0) && !High::beyond(1.0, 1.0));
        assert!(High::at_or_beyond(1.0, 1.0) && !High::at_or_beyond(0.0, 1.0));
        assert!(Low::beyond(0.0, 1.0) && !Low::beyond(1.0, 1.0));
        assert!(Low::at_or_beyond(1.0, 1.0) && !Low::at_or_beyond(2.0, 1.0));
    }
}
