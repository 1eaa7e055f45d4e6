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
    ///
    /// A `source` that is NaN or infinite (a derived series that is undefined at this bar,
    /// such as a ratio over zero volume) is "no value": a series indicator returns `false` and
    /// its state is untouched, as if this update never happened, so one bad value cannot
    /// poison running sums for good. The next finite value continues where the last left off.
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
            Some(x) if !x.is_finite() => return false,
            Some(x) => self.0.next(x),
            None => self.0.update(candle),
        };
        emit(value, out)
    }

    fn reset(&mut self) {
        self.0.reset();
    }
}

#[cfg(test)]
mod tests {
    use sift_core::Candle;

    use crate::{Source, Spec, registry};

    /// Sentinel marking output slots an update must leave alone.
    const UNTOUCHED: f64 = -7.77e77;

    fn candles() -> Vec<Candle> {
        (0..60)
            .map(|i| {
                let close = 100.0 + ((i * 37) % 23) as f64 * 0.25;
                let volume = 1.0 + ((i * 11) % 7) as f64;
                Candle::ohlcv(i * 60_000, close, close + 1.0, close - 1.0, close, volume)
            })
            .collect()
    }

    /// Every series indicator in the registry, fed NaN and infinite source values between
    /// finite ones, returns `false` for them without writing, and otherwise gives exactly the
    /// output of the finite values alone.
    #[test]
    fn a_non_finite_source_value_is_skipped() {
        let candles = candles();
        for def in registry::all().filter(|d| d.source.is_some()) {
            let spec = Spec::default_for(def, 5.0).unwrap();
            let mut clean = spec.build().unwrap();
            let mut dirty = spec.build().unwrap();
            let width = def.fields.len().max(1);
            for (i, candle) in candles.iter().enumerate() {
                let x = Source::Close.of(candle);
                let bad = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY][i % 3];
                let mut out = vec![UNTOUCHED; width];
                let ready = dirty.update(candle, Some(bad), &mut out);
                assert!(!ready, "{}: ready on {bad}", def.name);
                assert!(
                    out.iter().all(|v| *v == UNTOUCHED),
                    "{}: wrote on {bad}",
                    def.name
                );
                let mut want = vec![UNTOUCHED; width];
                let mut got = vec![UNTOUCHED; width];
                let want_ready = clean.update(candle, Some(x), &mut want);
                let got_ready = dirty.update(candle, Some(x), &mut got);
                assert_eq!(
                    (
                        got_ready,
                        got.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
                    ),
                    (
                        want_ready,
                        want.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
                    ),
                    "{} at row {i}",
                    def.name
                );
            }
        }
    }
}
