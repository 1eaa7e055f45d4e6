//! `crossover(a, b)`: `a` crosses above `b`.

use sift_core::Interval;

use super::{Builtin, Call, Example, Param, ParamKind};
use crate::check::{Lowered, Lowerer};
use crate::program::{BinaryOp, NodeId, Type};

pub(super) const BUILTIN: Builtin = Builtin {
    name: "crossover",
    summary: "`a` crosses above `b` at this bar",
    doc: "True at the bar where `a` moves from at or below `b` to above it: exactly \
          `a[1] <= b[1] and a > b`. False while either side or its previous value is undefined \
          (warm-up, first bar).",
    params: &[
        Param::required("a", ParamKind::Number, "the series that crosses"),
        Param::required("b", ParamKind::Number, "the series or level it crosses"),
    ],
    returns: Type::Bool,
    examples: &[
        Example {
            rule: "crossover(ema(9), ema(21))",
            note: "fast EMA crosses above slow EMA",
        },
        Example {
            rule: "crossover(rsi(14), 30)",
            note: "RSI leaves the oversold zone",
        },
    ],
    reference: false,
    lower,
};

fn lower(lw: &mut Lowerer<'_>, call: &Call) -> Lowered {
    crossing(lw, call.node(0), call.node(1), call.tf, true)
}

/// `a[1] <= b[1] and a > b` when `up`, else `a[1] >= b[1] and a < b`.
pub(super) fn crossing(
    lw: &mut Lowerer<'_>,
    a: NodeId,
    b: NodeId,
    tf: Interval,
    up: bool,
) -> Lowered {
    let (before, now) = if up {
        (BinaryOp::Le, BinaryOp::Gt)
    } else {
        (BinaryOp::Ge, BinaryOp::Lt)
    };
    let a1 = lw.history(a, 1, tf)?;
    let b1 = lw.history(b, 1, tf)?;
    let was = lw.binary(before, a1, b1, tf)?;
    let is = lw.binary(now, a, b, tf)?;
    lw.binary(BinaryOp::And, was, is, tf)
}
