//! Market structure: rolling extremes, swing pivots, volume profile and divergences, one file
//! each. The mirrored high and low indicators share one generic implementation per concept,
//! parameterised by a [`Side`]: [`Highest`] and [`Lowest`] are [`Extremum`], [`PivotHigh`] and
//! [`PivotLow`] are [`Pivot`].
//!
//! [`Divergence`] compares two series and so is not a registry entry: the rule language builds
//! it from `divergence(bullish, low, rsi(14), 30, 5)` and feeds it both values per bar.

mod divergence;
mod extreme;
mod pivot;
mod side;
mod volume_profile;

pub use divergence::{Divergence, DivergenceKind, DivergenceLanes};
pub use extreme::{Extremum, Highest, Lowest};
pub use pivot::{Pivot, PivotHigh, PivotLow};
pub use side::{High, Low, Side};
pub use volume_profile::{HvNode, VolumeProfile, VolumeProfileOutput};

use crate::Source;
use crate::dynamic::{boxed, boxed_series};
use crate::registry::{Category, Def, Param};

const N: Param = Param::required_period("n", "number of bars, the current one included");
const LEFT: Param = Param::count("left", 5.0, "bars before the pivot that must not exceed it");
const RIGHT: Param = Param::count("right", 5.0, "bars after the pivot, all strictly beyond it");

const BINS: Param = Param::period(
    "bins",
    24.0,
    "equal price bins between the window's extremes",
);
const LOOKBACK: Param = Param::period("lookback", 200.0, "bars in the profile");
const THRESHOLD: Param = Param::real(
    "threshold",
    1.5,
    "a node's volume is at least this multiple of the mean bin's",
)
.at_least(0.0);
const MIN_STRENGTH: Param = Param::count(
    "min_strength",
    2.0,
    "a node's volume is at least that of this many bins each side",
);

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
                Highest::new(a.usize(0))?.with_source(a.source()),
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
        build: |a| {
            Ok(boxed_series(
                Lowest::new(a.usize(0))?.with_source(a.source()),
            ))
        },
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
                PivotHigh::new(a.usize(0), a.usize(1))?.with_source(a.source()),
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
                PivotLow::new(a.usize(0), a.usize(1))?.with_source(a.source()),
            ))
        },
    },
    Def {
        name: "volume_profile",
        category: Category::Structure,
        summary: "volume by price over the last lookback bars: point of control and high-volume \
                  nodes around the close (NaN where there is no such node)",
        params: &[BINS, LOOKBACK, THRESHOLD, MIN_STRENGTH],
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

#[cfg(test)]
mod tests {
    use sift_core::Candle;

    use crate::Spec;

    #[test]
    fn specs_build_with_defaults_sources_and_named_parameters() {
        let candle = Candle::ohlcv(0, 10.0, 12.0, 9.0, 11.0, 5.0);
        let mut out = [0.0; 4];
        let mut highest = Spec::parse("highest(close, 1)").unwrap().build().unwrap();
        assert!(highest.update(&candle, None, &mut out));
        assert_eq!(out[0], 11.0);
        let mut lowest = Spec::parse("lowest(1)").unwrap().build().unwrap();
        assert!(lowest.update(&candle, None, &mut out));
        assert_eq!(out[0], 9.0);
        assert_eq!(
            Spec::parse("pivot_high()")
                .unwrap()
                .build()
                .unwrap()
                .to_string(),
            "PIVOT_HIGH(5, 5)"
        );
        assert_eq!(
            Spec::parse("pivot_low(3, right=0)")
                .unwrap()
                .build()
                .unwrap()
                .to_string(),
            "PIVOT_LOW(3, 0)"
        );
        let vp = Spec::parse("volume_profile(lookback=50, min_strength=1)")
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(vp.to_string(), "VOLUME_PROFILE(24, 50, 1.5, 1)");
        assert_eq!(
            vp.fields(),
            ["poc", "hvn_above", "hvn_below", "nearest_hvn_distance_pct"]
        );
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        assert!(Spec::parse("highest()").is_err());
        assert!(Spec::parse("highest(0)").is_err());
        assert!(Spec::parse("pivot_high(-1, 5)").is_err());
        assert!(Spec::parse("volume_profile(0)").is_err());
        assert!(Spec::parse("volume_profile(threshold=-1)").is_err());
        assert!(Spec::parse("volume_profile(close)").is_err());
    }
}
