//! `rising(x, n)`: `x` above each of its previous `n` values.

use std::ops::Range;

use sift_core::Interval;
use sift_indicators::{Arg, Spec};

use super::{Builtin, Call, Example, Param, ParamKind};
use crate::check::{Lowered, Lowerer, Reported};
use crate::diagnostic::{Code, Diagnostic};
use crate::program::{BinaryOp, NodeId, Type};

pub(super) const BUILTIN: Builtin = Builtin {
    name: "rising",
    summary: "`x` is above each of its previous `n` values",
    doc: "True when the current `x` is strictly greater than every one of `x[1]` .. `x[n]` \
          (as Pine's `ta.rising`): `x > highest(x, n)[1]`. It needs `n + 1` values of `x`; \
          bars where a derived `x` is undefined are skipped by the window.",
    params: &[
        Param::required("x", ParamKind::Number, "the series"),
        Param::bars("n", 1.0, None, "how many previous values it must exceed"),
    ],
    returns: Type::Bool,
    examples: &[
        Example {
            rule: "rising(close, 3)",
            note: "close above each of the last three closes",
        },
        Example {
            rule: "rising(rsi(14), 2) and rsi(14) > 50",
            note: "RSI above 50 and climbing",
        },
    ],
    reference: false,
    lower,
};

fn lower(lw: &mut Lowerer<'_>, call: &Call) -> Lowered {
    beyond_previous(lw, call, "highest", BinaryOp::Gt)
}

/// `x op extreme(x, n)[1]`, `extreme` being the registry's `highest` or `lowest`.
pub(super) fn beyond_previous(
    lw: &mut Lowerer<'_>,
    call: &Call,
    extreme: &str,
    op: BinaryOp,
) -> Lowered {
    let (x, n, tf) = (call.node(0), call.bars(1), call.tf);
    let window = rolling(lw, extreme, x, n, tf, call.span.clone())?;
    let previous = lw.history(window, 1, tf)?;
    lw.binary(op, x, previous, tf)
}

/// The registry indicator `name(n)` (`highest`, `lowest`) over node `x`: with `x` as the spec
/// source when it is a candle series, else as a derived source.
pub(super) fn rolling(
    lw: &mut Lowerer<'_>,
    name: &str,
    x: NodeId,
    n: u32,
    tf: Interval,
    span: Range<usize>,
) -> Lowered {
    let series = lw.as_series(x, tf);
    let spec = Spec::new(name, series, &[Arg::Number(f64::from(n))], &[]).map_err(|e| {
        lw.report(Diagnostic::new(
            Code::InvalidArgument,
            span.clone(),
            e.to_string(),
        ))
    })?;
    let source = if series.is_some() { None } else { Some(x) };
    lw.indicator_node(spec, 0, source, tf, span)
        .map_err(|_| Reported)
}
