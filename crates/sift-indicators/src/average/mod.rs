//! Moving averages, one file each.

mod dema;
mod ema;
mod rma;
mod sma;
mod tema;
mod vwma;
mod wma;

pub use dema::Dema;
pub use ema::Ema;
pub use rma::Rma;
pub use sma::Sma;
pub use tema::Tema;
pub use vwma::Vwma;
pub use wma::Wma;

use crate::dynamic::boxed_series;
use crate::registry::{Category, Def, Param};

const N: Param = Param::required_period("n", "number of bars");

/// This category's registry entries.
pub(crate) const DEFS: &[Def] = &[
    Def {
        name: "sma",
        category: Category::Average,
        summary: "simple moving average",
        params: &[N],
        fields: &[],
        source: Some(crate::Source::Close),
        build: |a| Ok(boxed_series(Sma::new(a.usize(0))?.with_source(a.source()))),
    },
    Def {
        name: "ema",
        category: Category::Average,
        summary: "exponential moving average, seeded with the SMA of the first n values",
        params: &[N],
        fields: &[],
        source: Some(crate::Source::Close),
        build: |a| Ok(boxed_series(Ema::new(a.usize(0))?.with_source(a.source()))),
    },
    Def {
        name: "wma",
        category: Category::Average,
        summary: "linearly weighted moving average, the newest value weighted n",
        params: &[N],
        fields: &[],
        source: Some(crate::Source::Close),
        build: |a| Ok(boxed_series(Wma::new(a.usize(0))?.with_source(a.source()))),
    },
    Def {
        name: "rma",
        category: Category::Average,
        summary: "Wilder's moving average (alpha 1/n), seeded with the SMA of the first n values",
        params: &[N],
        fields: &[],
        source: Some(crate::Source::Close),
        build: |a| Ok(boxed_series(Rma::new(a.usize(0))?.with_source(a.source()))),
    },
    Def {
        name: "dema",
        category: Category::Average,
        summary: "double exponential moving average, 2 ema - ema(ema)",
        params: &[N],
        fields: &[],
        source: Some(crate::Source::Close),
        build: |a| Ok(boxed_series(Dema::new(a.usize(0))?.with_source(a.source()))),
    },
    Def {
        name: "tema",
        category: Category::Average,
        summary: "triple exponential moving average, 3 ema - 3 ema(ema) + ema(ema(ema))",
        params: &[N],
        fields: &[],
        source: Some(crate::Source::Close),
        build: |a| Ok(boxed_series(Tema::new(a.usize(0))?.with_source(a.source()))),
    },
    Def {
        name: "vwma",
        category: Category::Average,
        summary: "volume-weighted moving average; not ready while all n volumes are zero",
        params: &[N],
        fields: &[],
        source: Some(crate::Source::Close),
        build: |a| {
            Ok(vwma::boxed_vwma(
                Vwma::new(a.usize(0))?.with_source(a.source()),
            ))
        },
    },
];

#[cfg(test)]
mod tests {
    use std::fmt::Debug;

    use proptest::prelude::*;
    use sift_core::Candle;

    use super::*;
    use crate::{Indicator, batch};

    /// Relative tolerance for averages of a constant that are not computed exactly (WMA's
    /// weighted sums, VWMA's ratio).
    const CONST_TOL: f64 = 1e-12;

    fn candles() -> Vec<Candle> {
        (0..120)
            .map(|i| {
                let close = 100.0 + ((i * 37) % 23) as f64 * 0.25;
                let volume = ((i * 11) % 7) as f64;
                Candle::ohlcv(i, close, close + 1.0, close - 1.0, close, volume)
            })
            .collect()
    }

    fn batch_equals_incremental<I>(indicator: I)
    where
        I: Indicator + Clone,
        I::Output: PartialEq + Debug,
    {
        let data = candles();
        let mut fresh = indicator.clone();
        let mut batched = indicator;
        let incremental: Vec<_> = data.iter().map(|c| fresh.update(c)).collect();
        assert_eq!(batch(&mut batched, &data), incremental);
    }

    #[test]
    fn batch_equals_incremental_for_every_average() {
        batch_equals_incremental(Sma::new(5).unwrap());
        batch_equals_incremental(Ema::new(5).unwrap());
        batch_equals_incremental(Wma::new(5).unwrap());
        batch_equals_incremental(Rma::new(5).unwrap());
        batch_equals_incremental(Dema::new(5).unwrap());
        batch_equals_incremental(Tema::new(5).unwrap());
        batch_equals_incremental(Vwma::new(5).unwrap());
    }

    #[test]
    fn registry_entries_build_with_their_sources() {
        for def in DEFS {
            assert_eq!(def.category, Category::Average);
            assert_eq!(def.source, Some(crate::Source::Close), "{}", def.name);
            let spec = crate::Spec::parse(&format!("{}(hlc3, 3)", def.name)).unwrap();
            let indicator = spec.build().unwrap();
            assert!(indicator.fields().is_empty(), "{}", def.name);
        }
    }

    proptest! {
        #[test]
        fn the_average_of_a_constant_is_the_constant(
            value in 1e-8f64..1e6,
            period in 1usize..30,
            volume in 0.0f64..1e3,
        ) {
            let candle = Candle::ohlcv(0, value, value, value, value, volume);
            let mut indicators: Vec<Box<dyn crate::DynIndicator>> = DEFS
                .iter()
                .map(|def| crate::Spec::default_for(def, period as f64).unwrap().build().unwrap())
                .collect();
            let mut out = [0.0];
            for _ in 0..(3 * period + 5) {
                for indicator in &mut indicators {
                    if indicator.update(&candle, None, &mut out) {
                        let err = (out[0] - value).abs();
                        prop_assert!(err <= CONST_TOL * value, "{indicator}: {} vs {value}", out[0]);
                    }
                }
            }
        }
    }
}
