//! `between(x, lo, hi)`: `x` within a closed range.

use super::{Builtin, Call, Example, Param, ParamKind};
use crate::check::{Lowered, Lowerer};
use crate::program::{BinaryOp, Type};

pub(super) const BUILTIN: Builtin = Builtin {
    name: "between",
    summary: "`lo <= x <= hi`",
    doc: "`x >= lo and x <= hi`, both ends included. False when any of the three is undefined, \
          and when `lo > hi`.",
    params: &[
        Param::required("x", ParamKind::Number, "the value"),
        Param::required("lo", ParamKind::Number, "lower bound, included"),
        Param::required("hi", ParamKind::Number, "upper bound, included"),
    ],
    returns: Type::Bool,
    examples: &[
        Example {
            rule: "between(rsi(14), 40, 60)",
            note: "RSI in the neutral zone",
        },
        Example {
            rule: "between(close, bb(20, 2).lower, bb(20, 2).middle)",
            note: "close in the lower half of the Bollinger Bands",
        },
    ],
    reference: false,
    lower,
};

fn lower(lw: &mut Lowerer<'_>, call: &Call) -> Lowered {
    let (x, lo, hi, tf) = (call.node(0), call.node(1), call.node(2), call.tf);
    let above = lw.binary(BinaryOp::Ge, x, lo, tf)?;
    let below = lw.binary(BinaryOp::Le, x, hi, tf)?;
    lw.binary(BinaryOp::And, above, below, tf)
}
