//! `change(x, n=1)`: the difference from `n` bars ago.

use super::{Builtin, Call, Example, Param, ParamKind};
use crate::check::{Lowered, Lowerer};
use crate::program::{BinaryOp, Type};

pub(super) const BUILTIN: Builtin = Builtin {
    name: "change",
    summary: "`x - x[n]`",
    doc: "The change of `x` over `n` bars: `x - x[n]`. Undefined until `x` has `n` previous \
          values.",
    params: &[
        Param::required("x", ParamKind::Number, "the series"),
        Param::bars("n", 1.0, Some(1.0), "bars back"),
    ],
    returns: Type::Number,
    examples: &[
        Example {
            rule: "change(close) > 0",
            note: "close rose since the previous bar",
        },
        Example {
            rule: "change(rsi(14), 3) > 10",
            note: "RSI gained more than 10 points in three bars",
        },
    ],
    reference: false,
    lower,
};

fn lower(lw: &mut Lowerer<'_>, call: &Call) -> Lowered {
    let (x, n, tf) = (call.node(0), call.bars(1), call.tf);
    let past = lw.history(x, n, tf)?;
    lw.binary(BinaryOp::Sub, x, past, tf)
}
