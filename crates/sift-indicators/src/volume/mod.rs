//! Volume indicators, one file each.

mod ad;
mod anchor;
mod cmf;
mod nvi;
mod obv;
mod pvi;
mod volume_index;
mod vwap;
mod vwap_bands;

pub use ad::Ad;
pub use anchor::Anchor;
pub use cmf::Cmf;
pub use nvi::Nvi;
pub use obv::Obv;
pub use pvi::Pvi;
pub use vwap::Vwap;
pub use vwap_bands::{VwapBands, VwapBandsOutput};

use crate::Error;
use crate::dynamic::boxed;
use crate::registry::{Args, Category, Def, Param};

const ANCHOR: Param = Param::choice(
    "anchor",
    Anchor::CHOICES,
    "where the sums restart: each UTC day, ISO week or month, or never (session, none)",
);

/// The anchor chosen by parameter `i`, through [`Anchor`]'s own parsing so the two spellings
/// cannot drift apart.
fn anchor(args: &Args, i: usize) -> Result<Anchor, Error> {
    Anchor::CHOICES[args.usize(i)].parse()
}

/// This category's registry entries.
pub(crate) const DEFS: &[Def] = &[
    Def {
        name: "obv",
        category: Category::Volume,
        summary: "on-balance volume: volume added on up closes, subtracted on down closes",
        params: &[],
        fields: &[],
        source: None,
        build: |_| Ok(boxed(Obv::new())),
    },
    Def {
        name: "ad",
        category: Category::Volume,
        summary: "Chaikin accumulation/distribution line",
        params: &[],
        fields: &[],
        source: None,
        build: |_| Ok(boxed(Ad::new())),
    },
    Def {
        name: "cmf",
        category: Category::Volume,
        summary: "Chaikin money flow: money flow volume over volume, last n candles",
        params: &[Param::period("n", 20.0, "number of candles")],
        fields: &[],
        source: None,
        build: |a| Ok(boxed(Cmf::new(a.usize(0))?)),
    },
    Def {
        name: "pvi",
        category: Category::Volume,
        summary: "positive volume index, from 1000, moves on rising volume",
        params: &[],
        fields: &[],
        source: None,
        build: |_| Ok(boxed(Pvi::new())),
    },
    Def {
        name: "nvi",
        category: Category::Volume,
        summary: "negative volume index, from 1000, moves on falling volume",
        params: &[],
        fields: &[],
        source: None,
        build: |_| Ok(boxed(Nvi::new())),
    },
    Def {
        name: "vwap",
        category: Category::Volume,
        summary: "volume-weighted average typical price since the start of the anchor period",
        params: &[ANCHOR],
        fields: &[],
        source: None,
        build: |a| Ok(boxed(Vwap::anchored(anchor(a, 0)?))),
    },
    Def {
        name: "vwap_bands",
        category: Category::Volume,
        summary: "anchored VWAP with bands mult volume-weighted standard deviations away",
        params: &[
            Param::real("mult", 1.0, "standard deviations from the VWAP, at least 0").at_least(0.0),
            ANCHOR,
        ],
        fields: &["vwap", "upper", "lower"],
        source: None,
        build: |a| Ok(boxed(VwapBands::anchored(a.f64(0), anchor(a, 1)?)?)),
    },
];
