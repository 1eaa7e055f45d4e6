//! `poc(...)`: the point of control: the price with the most volume.

use super::profile::{self, BINS, LOOKBACK, MIN_STRENGTH, THRESHOLD};
use super::{Builtin, Call, Example};
use crate::check::{Lowered, Lowerer};
use crate::program::Type;

pub(super) const BUILTIN: Builtin = Builtin {
    name: "poc",
    summary: "the point of control: the price with the most volume",
    doc: "The centre price of the profile bin with the most volume over the last `lookback` bars (the lowest such bin on a tie): `volume_profile(...).poc`.",
    params: &[BINS, LOOKBACK, THRESHOLD, MIN_STRENGTH],
    returns: Type::Number,
    examples: &[
        Example {
            rule: "close > poc()",
            note: "above the point of control",
        },
        Example {
            rule: "close < poc(lookback=100) @ 1h",
            note: "below the 1h point of control",
        },
    ],
    reference: true,
    lower,
};

fn lower(lw: &mut Lowerer<'_>, call: &Call) -> Lowered {
    profile::field(lw, call, 0, "poc")
}
