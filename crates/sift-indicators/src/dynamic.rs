//! Type-erased indicators, built by name from the [registry](crate::registry).

use std::fmt;

use sift_core::Candle;

use crate::{Indicator, Outputs, SeriesIndicator};

/// An indicator behind a trait object, with its outputs written as a row of `f64`.
pub trait DynIndicator: fmt::Debug + fmt::Display + Send {
    /// Output field names; empty for a single unnamed value.
    fn fields(&self) -> &'static [&'static str];

    /// Feeds one candle. For series indicators `source` replaces the configured input series
    /// (the rule engine passes derived series this way); others ignore it. Writes
    /// `max(1, fields().len())` values into `out` and returns `true` once warmed up; on `false`
    /// `out` is left untouched.
    fn update(&mut self, candle: &Candle, source: Option<f64>, out: &mut [f64]) -> bool;

    /// Forgets all history.
    fn reset(&mut self);
}

/// Boxes an indicator that reads whole candles.
pub fn boxed<I>(indicator: I) -> Box<dyn DynIndicator>
where
    I: Indicator + fmt::Debug + fmt::Display + Send + 'static,
{
    Box::new(CandleAdapter(indicator))
}

/// Boxes an indicator that reads one series.
pub fn boxed_series<I>(indicator: I) -> Box<dyn DynIndicator>
where
    I: SeriesIndicator + fmt::Debug + fmt::Display + Send + 'static,
{
    Box::new(SeriesAdapter(indicator))
}

#[derive(Debug)]
struct CandleAdapter<I>(I);

#[derive(Debug)]
struct SeriesAdapter<I>(I);

impl<I: fmt::Display> fmt::Display for CandleAdapter<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<I: fmt::Display> fmt::Display for SeriesAdapter<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

fn emit<O: Outputs>(value: Option<O>, out: &mut [f64]) -> bool {
    match value {
        Some(v) => {
            v.write_to(out);
            true
        }
        None => false,
    }
}

impl<I> DynIndicator for CandleAdapter<I>
where
    I: Indicator + fmt::Debug + fmt::Display + Send,
{
    fn fields(&self) -> &'static [&'static str] {
        I::Output::FIELDS
    }

    fn update(&mut self, candle: &Candle, _source: Option<f64>, out: &mut [f64]) -> bool {
        emit(self.0.update(candle), out)
    }

    fn reset(&mut self) {
        self.0.reset();
    }
}

impl<I> DynIndicator for SeriesAdapter<I>
where
    I: SeriesIndicator + fmt::Debug + fmt::Display + Send,
{
    fn fields(&self) -> &'static [&'static str] {
        I::Output::FIELDS
    }

    fn update(&mut self, candle: &Candle, source: Option<f64>, out: &mut [f64]) -> bool {
        let value = match source {
            Some(x) => self.0.next(x),
            None => self.0.update(candle),
        };
        emit(value, out)
    }

    fn reset(&mut self) {
        self.0.reset();
    }
}
