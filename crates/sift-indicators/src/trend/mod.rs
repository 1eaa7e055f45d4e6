//! Trend indicators, one file each.

mod sar;
mod supertrend;

pub use sar::Sar;
pub use supertrend::{Supertrend, SupertrendOutput};

use crate::dynamic::boxed;
use crate::registry::{Category, Def, Param};

/// This category's registry entries.
pub(crate) const DEFS: &[Def] = &[
    Def {
        name: "supertrend",
        category: Category::Trend,
        summary: "SuperTrend: an ATR trailing stop around hl2; direction +1 up, -1 down",
        params: &[
            Param::period("n", 10.0, "ATR period"),
            Param::real("mult", 3.0, "ATRs from hl2 to the bands, at least 0").at_least(0.0),
        ],
        fields: &["value", "direction"],
        source: None,
        build: |a| Ok(boxed(Supertrend::new(a.usize(0), a.f64(1))?)),
    },
    Def {
        name: "sar",
        category: Category::Trend,
        summary: "parabolic stop and reverse (Wilder), first value at the second candle",
        params: &[
            Param::real("accel", 0.02, "acceleration factor step, at least 0").at_least(0.0),
            Param::real("max", 0.2, "maximum acceleration factor, at least 0").at_least(0.0),
        ],
        fields: &[],
        source: None,
        build: |a| Ok(boxed(Sar::new(a.f64(0), a.f64(1))?)),
    },
];
