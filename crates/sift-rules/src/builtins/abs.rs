//! `abs(x)`: the absolute value.

use super::{Builtin, Call, Example, Param, ParamKind};
use crate::check::{Lowered, Lowerer};
use crate::program::{NodeKind, Type, UnaryOp};

pub(super) const BUILTIN: Builtin = Builtin {
    name: "abs",
    summary: "absolute value of `x`",
    doc: "`x` without its sign. Undefined when `x` is.",
    params: &[Param::required("x", ParamKind::Number, "the series")],
    returns: Type::Number,
    examples: &[Example {
        rule: "abs(change_pct(close)) > 2",
        note: "a move of more than 2 % either way",
    }],
    reference: false,
    lower,
};

fn lower(lw: &mut Lowerer<'_>, call: &Call) -> Lowered {
    lw.add(NodeKind::Unary(UnaryOp::Abs, call.node(0)), call.tf)
}
