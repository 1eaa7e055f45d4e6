//! `min(a, b)`: the smaller of two values.

use super::{Builtin, Call, Example, Param, ParamKind};
use crate::check::{Lowered, Lowerer};
use crate::program::{BinaryOp, Type};

pub(super) const BUILTIN: Builtin = Builtin {
    name: "min",
    summary: "the smaller of `a` and `b`",
    doc: "The smaller of the two values at this bar; undefined when either is. For the lowest \
          value over several bars use `lowest(x, n)`.",
    params: &[
        Param::required("a", ParamKind::Number, "first value"),
        Param::required("b", ParamKind::Number, "second value"),
    ],
    returns: Type::Number,
    examples: &[Example {
        rule: "min(open, close) - low > 2 * abs(close - open)",
        note: "a lower shadow more than twice the body",
    }],
    reference: false,
    lower,
};

fn lower(lw: &mut Lowerer<'_>, call: &Call) -> Lowered {
    lw.binary(BinaryOp::Min, call.node(0), call.node(1), call.tf)
}
