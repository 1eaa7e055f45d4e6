//! `count(cond, n)`: how many of the last `n` bars a condition held.

use super::{Builtin, Call, Example, Param, ParamKind};
use crate::check::{Lowered, Lowerer};
use crate::program::{Type, WindowFunc};

pub(super) const BUILTIN: Builtin = Builtin {
    name: "count",
    summary: "number of the last `n` bars, the current one included, where `cond` held",
    doc: "How many of `cond`, `cond[1]`, ..., `cond[n-1]` are true, from 0 to `n`. A bar where \
          `cond` is false because something was undefined counts as not holding.",
    params: &[
        Param::required("cond", ParamKind::Bool, "the condition"),
        Param::bars("n", 1.0, None, "number of bars"),
    ],
    returns: Type::Number,
    examples: &[
        Example {
            rule: "count(close > open, 5) >= 4",
            note: "at least four of the last five candles closed up",
        },
        Example {
            rule: "count(volume > 2 * sma(volume, 20), 10) >= 3",
            note: "three volume spikes in ten bars",
        },
    ],
    reference: false,
    lower,
};

fn lower(lw: &mut Lowerer<'_>, call: &Call) -> Lowered {
    lw.window(WindowFunc::Count, call.node(0), call.bars(1), call.tf)
}
