//! `hvn_below(...)`: the nearest high-volume node at or below the close.

use super::profile::{self, BINS, LOOKBACK, MIN_STRENGTH, THRESHOLD};
use super::{Builtin, Call, Example};
use crate::check::{Lowered, Lowerer};
use crate::program::Type;

pub(super) const BUILTIN: Builtin = Builtin {
    name: "hvn_below",
    summary: "the nearest high-volume node at or below the close",
    doc: "The centre price of the nearest high-volume node at or below the close: `volume_profile(...).hvn_below`. Undefined when there is none.",
    params: &[BINS, LOOKBACK, THRESHOLD, MIN_STRENGTH],
    returns: Type::Number,
    examples: &[
        Example {
            rule: "low <= hvn_below() and close > hvn_below()",
            note: "a wick into the support node below, closing above it",
        },
        Example {
            rule: "(close - hvn_below()) / close * 100 < 0.5",
            note: "support node less than 0.5 % below",
        },
    ],
    reference: true,
    lower,
};

fn lower(lw: &mut Lowerer<'_>, call: &Call) -> Lowered {
    profile::field(lw, call, 0, "hvn_below")
}
