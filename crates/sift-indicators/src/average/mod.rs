//! Moving averages, one file each.

mod ema;
mod sma;

pub use ema::Ema;
pub use sma::Sma;

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
];
