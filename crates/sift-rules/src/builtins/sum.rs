//! `sum(x, n)`: the sum of the last `n` values.

use super::{Builtin, Call, Example, Param, ParamKind};
use crate::check::{Lowered, Lowerer};
use crate::program::{Type, WindowFunc};

pub(super) const BUILTIN: Builtin = Builtin {
    name: "sum",
    summary: "sum of the last `n` values of `x`, the current one included",
    doc: "`x + x[1] + ... + x[n-1]`. Undefined when any of those values is undefined.",
    params: &[
        Param::required("x", ParamKind::Number, "the series"),
        Param::bars("n", 1.0, None, "number of bars"),
    ],
    returns: Type::Number,
    examples: &[
        Example {
            rule: "sum(volume, 3) > 3 * sma(volume, 50)",
            note: "the last three bars traded more than three average bars",
        },
        Example {
            rule: "sum(close - open, 5) > 0",
            note: "the bodies of the last five bars add up to a gain",
        },
    ],
    reference: false,
    lower,
};

fn lower(lw: &mut Lowerer<'_>, call: &Call) -> Lowered {
    lw.window(WindowFunc::Sum, call.node(0), call.bars(1), call.tf)
}
