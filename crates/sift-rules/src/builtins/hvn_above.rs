//! `hvn_above(...)`: the nearest high-volume node at or above the close.

use super::profile::{self, BINS, LOOKBACK, MIN_STRENGTH, THRESHOLD};
use super::{Builtin, Call, Example};
use crate::check::{Lowered, Lowerer};
use crate::program::Type;

pub(super) const BUILTIN: Builtin = Builtin {
    name: "hvn_above",
    summary: "the nearest high-volume node at or above the close",
    doc: "The centre price of the nearest high-volume node at or above the close: `volume_profile(...).hvn_above`. Undefined when there is none.",
    params: &[BINS, LOOKBACK, THRESHOLD, MIN_STRENGTH],
    returns: Type::Number,
    examples: &[
        Example {
            rule: "(hvn_above() - close) / close * 100 < 1",
            note: "resistance node less than 1 % above",
        },
        Example {
            rule: "high >= hvn_above(bins=48)",
            note: "the candle reached the next node up",
        },
    ],
    reference: true,
    lower,
};

fn lower(lw: &mut Lowerer<'_>, call: &Call) -> Lowered {
    profile::field(lw, call, 0, "hvn_above")
}
