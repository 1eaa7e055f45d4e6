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
        build: |a| Ok(boxed_series(Sma::new(a.usize(0))?.with_source(a.source))),
    },
    Def {
        name: "ema",
        category: Category::Average,
        summary: "exponential moving average, seeded with the SMA of the first n values",
        params: &[N],
        fields: &[],
        source: Some(crate::Source::Close),
        build: |a| Ok(boxed_series(Ema::new(a.usize(0))?.with_source(a.source))),
    },
    Def {
        name: "wma",
        category: Category::Average,
        summary: "linearly weighted moving average, the newest value weighted n",
        params: &[N],
        fields: &[],
        source: Some(crate::Source::Close),
        build: |a| Ok(boxed_series(Wma::new(a.usize(0))?.with_source(a.source))),
    },
    Def {
        name: "rma",
        category: Category::Average,
        summary: "Wilder's moving average (alpha 1/n), seeded with the SMA of the first n values",
        params: &[N],
        fields: &[],
        source: Some(crate::Source::Close),
        build: |a| Ok(boxed_series(Rma::new(a.usize(0))?.with_source(a.source))),
    },
    Def {
        name: "dema",
        category: Category::Average,
        summary: "double exponential moving average, 2 ema - ema(ema)",
        params: &[N],
        fields: &[],
        source: Some(crate::Source::Close),
        build: |a| Ok(boxed_series(Dema::new(a.usize(0))?.with_source(a.source))),
    },
    Def {
        name: "tema",
        category: Category::Average,
        summary: "triple exponential moving average, 3 ema - 3 ema(ema) + ema(ema(ema))",
        params: &[N],
        fields: &[],
        source: Some(crate::Source::Close),
        build: |a| Ok(boxed_series(Tema::new(a.usize(0))?.with_source(a.source))),
    },
    Def {
        name: "vwma",
        category: Category::Average,
        summary: "volume-weighted moving average; the mean price when all n volumes are zero",
        params: &[N],
        fields: &[],
        source: Some(crate::Source::Close),
        build: |a| Ok(vwma::boxed_vwma(Vwma::new(a.usize(0))?.with_source(a.source))),
    },
];
