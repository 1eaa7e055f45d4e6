//! `max(a, b)`: the larger of two values.

use super::{Builtin, Call, Example, Param, ParamKind};
use crate::check::{Lowered, Lowerer};
use crate::program::{BinaryOp, Type};

pub(super) const BUILTIN: Builtin = Builtin {
    name: "max",
    summary: "the larger of `a` and `b`",
    doc: "The larger of the two values at this bar; undefined when either is. For the highest \
          value over several bars use `highest(x, n)`.",
    params: &[
        Param::required("a", ParamKind::Number, "first value"),
        Param::required("b", ParamKind::Number, "second value"),
    ],
    returns: Type::Number,
    examples: &[Example {
        rule: "high - max(open, close) > 2 * abs(close - open)",
        note: "an upper shadow more than twice the body",
    }],
    reference: false,
    lower,
};

fn lower(lw: &mut Lowerer<'_>, call: &Call) -> Lowered {
    lw.binary(BinaryOp::Max, call.node(0), call.node(1), call.tf)
}
