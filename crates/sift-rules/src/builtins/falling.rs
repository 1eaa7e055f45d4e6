//! `falling(x, n)`: `x` below each of its previous `n` values.

use super::rising::beyond_previous;
use super::{Builtin, Call, Example, Param, ParamKind};
use crate::check::{Lowered, Lowerer};
use crate::program::{BinaryOp, Type};

pub(super) const BUILTIN: Builtin = Builtin {
    name: "falling",
    summary: "`x` is below each of its previous `n` values",
    doc: "True when the current `x` is strictly less than every one of `x[1]` .. `x[n]` (as \
          Pine's `ta.falling`): `x < lowest(x, n)[1]`. It needs `n + 1` values of `x`.",
    params: &[
        Param::required("x", ParamKind::Number, "the series"),
        Param::bars("n", 1.0, None, "how many previous values it must undercut"),
    ],
    returns: Type::Bool,
    examples: &[
        Example {
            rule: "falling(close, 3)",
            note: "close below each of the last three closes",
        },
        Example {
            rule: "falling(obv(), 5) and rising(close, 5)",
            note: "price up on falling on-balance volume",
        },
    ],
    reference: false,
    lower,
};

fn lower(lw: &mut Lowerer<'_>, call: &Call) -> Lowered {
    beyond_previous(lw, call, "lowest", BinaryOp::Lt)
}
