//! `crossunder(a, b)`: `a` crosses below `b`.

use super::crossover::crossing;
use super::{Builtin, Call, Example, Param, ParamKind};
use crate::check::{Lowered, Lowerer};
use crate::program::Type;

pub(super) const BUILTIN: Builtin = Builtin {
    name: "crossunder",
    summary: "`a` crosses below `b` at this bar",
    doc: "True at the bar where `a` moves from at or above `b` to below it: exactly \
          `a[1] >= b[1] and a < b`. False while either side or its previous value is undefined.",
    params: &[
        Param::required("a", ParamKind::Number, "the series that crosses"),
        Param::required("b", ParamKind::Number, "the series or level it crosses"),
    ],
    returns: Type::Bool,
    examples: &[
        Example {
            rule: "crossunder(close, sma(50))",
            note: "close falls through its 50-bar average",
        },
        Example {
            rule: "crossunder(rsi(14), 70)",
            note: "RSI leaves the overbought zone",
        },
    ],
    reference: false,
    lower,
};

fn lower(lw: &mut Lowerer<'_>, call: &Call) -> Lowered {
    crossing(lw, call.node(0), call.node(1), call.tf, false)
}
