//! `near_hvn(tolerance_pct=0.5, ...)`: the close is near a high-volume node.

use super::profile::{self, BINS, LOOKBACK, MIN_STRENGTH, THRESHOLD};
use super::{Builtin, Call, Example, Param};
use crate::check::{Lowered, Lowerer};
use crate::program::{BinaryOp, Type};

pub(super) const BUILTIN: Builtin = Builtin {
    name: "near_hvn",
    summary: "the close is within `tolerance_pct` percent of a high-volume node",
    doc: "`volume_profile(bins, lookback, threshold, min_strength).nearest_hvn_distance_pct \
          <= tolerance_pct`: the nearest high-volume node of the volume profile lies within \
          `tolerance_pct` percent of the close. False when the profile has no node.",
    params: &[
        Param::real(
            "tolerance_pct",
            0.0,
            0.5,
            "largest distance in percent of the close",
        ),
        BINS,
        LOOKBACK,
        THRESHOLD,
        MIN_STRENGTH,
    ],
    returns: Type::Bool,
    examples: &[
        Example {
            rule: "near_hvn() and rsi(14) < 35",
            note: "oversold at a high-volume price level",
        },
        Example {
            rule: "near_hvn(1, lookback=100)",
            note: "within 1 % of a node of the last 100 bars' profile",
        },
    ],
    reference: false,
    lower,
};

fn lower(lw: &mut Lowerer<'_>, call: &Call) -> Lowered {
    let distance = profile::field(lw, call, 1, "nearest_hvn_distance_pct")?;
    let tolerance = lw.number(call.literal(0), call.tf)?;
    lw.binary(BinaryOp::Le, distance, tolerance, call.tf)
}
