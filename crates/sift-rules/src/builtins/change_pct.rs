//! `change_pct(x, n=1)`: the change from `n` bars ago in percent.

use super::{Builtin, Call, Example, Param, ParamKind};
use crate::check::{Lowered, Lowerer};
use crate::program::{BinaryOp, Type};

pub(super) const BUILTIN: Builtin = Builtin {
    name: "change_pct",
    summary: "`(x - x[n]) / x[n] * 100`",
    doc: "The change of `x` over `n` bars in percent of the old value: \
          `(x - x[n]) / x[n] * 100`. Undefined until `x` has `n` previous values, and when \
          `x[n]` is 0.",
    params: &[
        Param::required("x", ParamKind::Number, "the series"),
        Param::bars("n", 1.0, Some(1.0), "bars back"),
    ],
    returns: Type::Number,
    examples: &[
        Example {
            rule: "change_pct(close, 5) > 3",
            note: "up more than 3 % over five bars",
        },
        Example {
            rule: "change_pct(volume) > 200",
            note: "volume more than tripled since the previous bar",
        },
    ],
    reference: false,
    lower,
};

fn lower(lw: &mut Lowerer<'_>, call: &Call) -> Lowered {
    let (x, n, tf) = (call.node(0), call.bars(1), call.tf);
    let past = lw.history(x, n, tf)?;
    let diff = lw.binary(BinaryOp::Sub, x, past, tf)?;
    let ratio = lw.binary(BinaryOp::Div, diff, past, tf)?;
    let hundred = lw.number(100.0, tf)?;
    lw.binary(BinaryOp::Mul, ratio, hundred, tf)
}
