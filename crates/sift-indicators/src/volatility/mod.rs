//! Volatility indicators, one file each.

mod atr;
mod bb;
mod donchian;
mod keltner;
mod natr;
mod stddev;
mod variance;

pub use atr::Atr;
pub(crate) use atr::true_range;
pub use bb::{Bb, BbOutput};
pub use donchian::{Donchian, DonchianOutput};
pub use keltner::{Keltner, KeltnerOutput};
pub use natr::Natr;
pub use stddev::StdDev;

use crate::dynamic::{boxed, boxed_series};
use crate::registry::{Category, Def, Param};

const MULT: &str = "band distance multiplier, at least 0";

/// This category's registry entries.
pub(crate) const DEFS: &[Def] = &[
    Def {
        name: "atr",
        category: Category::Volatility,
        summary: "average true range (Wilder), first value at candle n + 1",
        params: &[Param::period("n", 14.0, "number of true ranges averaged")],
        fields: &[],
        source: None,
        build: |a| Ok(boxed(Atr::new(a.usize(0))?)),
    },
    Def {
        name: "natr",
        category: Category::Volatility,
        summary: "average true range as a percentage of the close",
        params: &[Param::period("n", 14.0, "number of true ranges averaged")],
        fields: &[],
        source: None,
        build: |a| Ok(boxed(Natr::new(a.usize(0))?)),
    },
    Def {
        name: "bb",
        category: Category::Volatility,
        summary: "Bollinger Bands: SMA plus and minus mult population standard deviations",
        params: &[
            Param::period("n", 20.0, "number of bars"),
            Param::real(
                "mult",
                2.0,
                "standard deviations from the middle band, at least 0",
            )
            .at_least(0.0),
        ],
        fields: &["upper", "middle", "lower", "width", "pct_b"],
        source: Some(crate::Source::Close),
        build: |a| {
            Ok(boxed_series(
                Bb::new(a.usize(0), a.f64(1))?.with_source(a.source()),
            ))
        },
    },
    Def {
        name: "stddev",
        category: Category::Volatility,
        summary: "population standard deviation over n bars",
        params: &[Param::period("n", 20.0, "number of bars")],
        fields: &[],
        source: Some(crate::Source::Close),
        build: |a| {
            Ok(boxed_series(
                StdDev::new(a.usize(0))?.with_source(a.source()),
            ))
        },
    },
    Def {
        name: "keltner",
        category: Category::Volatility,
        summary: "Keltner Channels: EMA of the typical price plus and minus mult ATRs",
        params: &[
            Param::period("n", 20.0, "EMA period of the middle line"),
            Param::real("mult", 2.0, MULT).at_least(0.0),
            Param::period("atr", 10.0, "ATR period of the bands"),
        ],
        fields: &["upper", "middle", "lower"],
        source: None,
        build: |a| Ok(boxed(Keltner::new(a.usize(0), a.f64(1), a.usize(2))?)),
    },
    Def {
        name: "donchian",
        category: Category::Volatility,
        summary: "Donchian Channels: highest high and lowest low of the last n candles",
        params: &[Param::period(
            "n",
            20.0,
            "number of candles, the current one included",
        )],
        fields: &["upper", "middle", "lower"],
        source: None,
        build: |a| Ok(boxed(Donchian::new(a.usize(0))?)),
    },
];
