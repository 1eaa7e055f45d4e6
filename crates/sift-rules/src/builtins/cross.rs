//! `cross(a, b)`: `a` crosses `b` in either direction.

use super::crossover::crossing;
use super::{Builtin, Call, Example, Param, ParamKind};
use crate::check::{Lowered, Lowerer};
use crate::program::{BinaryOp, Type};

pub(super) const BUILTIN: Builtin = Builtin {
    name: "cross",
    summary: "`a` crosses `b` in either direction at this bar",
    doc: "`crossover(a, b) or crossunder(a, b)`. A touch without crossing (`a` equal to `b` \
          on one bar and back on the same side the next) is not a cross.",
    params: &[
        Param::required("a", ParamKind::Number, "the series that crosses"),
        Param::required("b", ParamKind::Number, "the series or level it crosses"),
    ],
    returns: Type::Bool,
    examples: &[Example {
        rule: "cross(macd(12, 26, 9).line, macd(12, 26, 9).signal)",
        note: "MACD line crosses its signal line",
    }],
    reference: false,
    lower,
};

fn lower(lw: &mut Lowerer<'_>, call: &Call) -> Lowered {
    let (a, b, tf) = (call.node(0), call.node(1), call.tf);
    let up = crossing(lw, a, b, tf, true)?;
    let down = crossing(lw, a, b, tf, false)?;
    lw.binary(BinaryOp::Or, up, down, tf)
}
