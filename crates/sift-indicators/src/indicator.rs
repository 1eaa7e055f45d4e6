//! The traits every indicator implements, and the batch helper.

use sift_core::Candle;

/// An incremental indicator: fed one closed candle at a time, in order.
///
/// `update` is O(1) (O(log n) for rolling extremes) and returns `None` while the indicator is
/// warming up. `reset` returns it to the state right after `new`.
pub trait Indicator {
    /// What one update produces: `f64`, `bool` or a struct with named fields.
    type Output: Outputs;

    /// Feeds the next candle and returns the value at that candle, once warmed up.
    fn update(&mut self, candle: &Candle) -> Option<Self::Output>;

    /// Forgets all history.
    fn reset(&mut self);
}

/// An indicator that reads a single series (close unless configured otherwise), and so can also
/// be fed any derived series value by value (`sma(obv(), 20)`).
pub trait SeriesIndicator: Indicator {
    /// Feeds the next value of the input series.
    fn next(&mut self, value: f64) -> Option<Self::Output>;
}

/// The outputs of an indicator, written as a flat row of `f64` for tables and the rule engine.
pub trait Outputs: Copy {
    /// Field names in output order; empty for a single unnamed value.
    const FIELDS: &'static [&'static str];

    /// Writes the values into `out`, which holds `max(1, FIELDS.len())` slots.
    fn write_to(&self, out: &mut [f64]);
}

impl Outputs for f64 {
    const FIELDS: &'static [&'static str] = &[];

    #[inline]
    fn write_to(&self, out: &mut [f64]) {
        out[0] = *self;
    }
}

/// Booleans (candle patterns) are written as 1.0 and 0.0.
impl Outputs for bool {
    const FIELDS: &'static [&'static str] = &[];

    #[inline]
    fn write_to(&self, out: &mut [f64]) {
        out[0] = if *self { 1.0 } else { 0.0 };
    }
}

/// Implements [`Outputs`] for a struct of named `f64` fields, in the order given.
///
/// ```ignore
/// impl_outputs!(MacdOutput { line, signal, hist });
/// ```
#[macro_export]
macro_rules! impl_outputs {
    ($ty:ident { $($field:ident),+ $(,)? }) => {
        impl $crate::Outputs for $ty {
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),+];

            #[inline]
            fn write_to(&self, out: &mut [f64]) {
                let values = [$(self.$field),+];
                out[..values.len()].copy_from_slice(&values);
            }
        }
    };
}

/// Runs an indicator over a slice of candles, one output per candle.
pub fn batch<I: Indicator + ?Sized>(
    indicator: &mut I,
    candles: &[Candle],
) -> Vec<Option<I::Output>> {
    candles.iter().map(|c| indicator.update(c)).collect()
}
