//! `bars_since(cond, max=100)`: bars since a condition last held.

use super::{Builtin, Call, Example, Param, ParamKind};
use crate::check::{Lowered, Lowerer};
use crate::program::{NodeKind, Type};

pub(super) const BUILTIN: Builtin = Builtin {
    name: "bars_since",
    summary: "bars since `cond` last held (0 when it holds now)",
    doc: "The number of bars since `cond` was last true: 0 when it is true now, 1 when it was \
          true on the previous bar, and so on. It looks back at most `max` bars (which count \
          toward the rule's warm-up, so the result never depends on older history): \
          undefined when `cond` has not held within them.",
    params: &[
        Param::required("cond", ParamKind::Bool, "the condition"),
        Param::bars(
            "max",
            1.0,
            Some(100.0),
            "how many bars back to look; counts toward the warm-up",
        ),
    ],
    returns: Type::Number,
    examples: &[
        Example {
            rule: "bars_since(crossover(ema(9), ema(21))) <= 3 and close > ema(9)",
            note: "a fresh EMA cross, at most three bars old",
        },
        Example {
            rule: "bars_since(volume > 3 * sma(volume, 20), 50) > 20",
            note: "no volume spike for more than 20 of the last 50 bars",
        },
    ],
    reference: false,
    lower,
};

fn lower(lw: &mut Lowerer<'_>, call: &Call) -> Lowered {
    let (cond, max) = (call.node(0), call.bars(1));
    lw.add(NodeKind::BarsSince { cond, max }, call.tf)
}
