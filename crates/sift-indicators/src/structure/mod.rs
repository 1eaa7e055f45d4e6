//! Market structure: rolling extremes, swing pivots, volume profile and divergences, one file
//! each.
//!
//! [`Divergence`] compares two series and so is not a registry entry: the rule language builds
//! it from `divergence(bullish, low, rsi(14), 30, 5)` and feeds it both values per bar.

mod divergence;
mod highest;
mod lowest;
mod pivot_high;
mod pivot_low;
mod volume_profile;

pub use divergence::{Divergence, DivergenceKind};
pub use highest::Highest;
pub use lowest::Lowest;
pub use pivot_high::PivotHigh;
pub use pivot_low::PivotLow;
pub use volume_profile::{HvNode, VolumeProfile, VolumeProfileOutput};

use crate::Source;
use crate::dynamic::{boxed, boxed_series};
use crate::registry::{Category, Def, Param};

const N: Param = Param::required_period("n", "number of bars, the current one included");
const LEFT: Param = Param::count("left", 5.0, "bars before the pivot that must not exceed it");
const RIGHT: Param = Param::count("right", 5.0, "bars after the pivot, all strictly beyond it");

/// This category's registry entries.
pub(crate) const DEFS: &[Def] = &[
    Def {
        name: "highest",
        category: Category::Structure,
        summary: "highest value of the last n bars, the current one included (TA-Lib MAX)",
        params: &[N],
        fields: &[],
        source: Some(Source::High),
        build: |a| {
            Ok(boxed_series(
                Highest::new(a.usize(0))?.with_source(a.source),
            ))
        },
    },
    Def {
        name: "lowest",
        category: Category::Structure,
        summary: "lowest value of the last n bars, the current one included (TA-Lib MIN)",
        params: &[N],
        fields: &[],
        source: Some(Source::Low),
        build: |a| Ok(boxed_series(Lowest::new(a.usize(0))?.with_source(a.source))),
    },
    Def {
        name: "pivot_high",
        category: Category::Structure,
        summary: "price of the latest confirmed swing high, known right bars after it",
        params: &[LEFT, RIGHT],
        fields: &[],
        source: Some(Source::High),
        build: |a| {
            Ok(boxed_series(
                PivotHigh::new(a.usize(0), a.usize(1))?.with_source(a.source),
            ))
        },
    },
    Def {
        name: "pivot_low",
        category: Category::Structure,
        summary: "price of the latest confirmed swing low, known right bars after it",
        params: &[LEFT, RIGHT],
        fields: &[],
        source: Some(Source::Low),
        build: |a| {
            Ok(boxed_series(
                PivotLow::new(a.usize(0), a.usize(1))?.with_source(a.source),
            ))
        },
    },
    Def {
        name: "volume_profile",
        category: Category::Structure,
        summary: "volume by price over the last lookback bars: point of control and high-volume \
                  nodes around the close (NaN where there is no such node)",
        params: &[
            Param::period(
                "bins",
                24.0,
                "number of equal price bins between the window's low and high",
            ),
            Param::period("lookback", 200.0, "number of bars in the profile"),
            Param::real(
                "threshold",
                1.5,
                "a node holds at least this multiple of the mean bin volume",
            ),
            Param::count(
                "min_strength",
                2.0,
                "a node holds at least the volume of this many bins on each side",
            ),
        ],
        fields: &["poc", "hvn_above", "hvn_below", "nearest_hvn_distance_pct"],
        source: None,
        build: |a| {
            Ok(boxed(VolumeProfile::new(
                a.usize(0),
                a.usize(1),
                a.f64(2),
                a.usize(3),
            )?))
        },
    },
];
