//! `divergence(kind, price, oscillator, lookback=30, min_sep=5)`: regular divergence.

use sift_indicators::structure::{Divergence, DivergenceKind};

use super::{Builtin, Call, Example, Param, ParamKind};
use crate::check::{Lowered, Lowerer};
use crate::diagnostic::{Code, Diagnostic};
use crate::program::{NodeKind, Type};

const KINDS: &[&str] = &["bullish", "bearish"];

pub(super) const BUILTIN: Builtin = Builtin {
    name: "divergence",
    summary: "regular bullish or bearish divergence between price and an oscillator",
    doc: "Bullish: price makes a lower low at this bar while the oscillator makes a higher low \
          than at the previous swing low, found among the bars `min_sep` to `lookback` back. \
          Bearish is the mirror image (higher high in price, lower high in the oscillator). \
          Judged at the current bar with no look-ahead, as \
          `sift_indicators::structure::Divergence` documents; false until both series have \
          `lookback + 1` values. `lookback` must be at least `min_sep`.",
    params: &[
        Param::required("kind", ParamKind::Choice(KINDS), "`bullish` or `bearish`"),
        Param::required(
            "price",
            ParamKind::Number,
            "the price series, e.g. `low` or `close`",
        ),
        Param::required(
            "oscillator",
            ParamKind::Number,
            "the oscillator, e.g. `rsi(14)`",
        ),
        Param::bars(
            "lookback",
            1.0,
            Some(30.0),
            "bars searched for the previous swing",
        ),
        Param::bars(
            "min_sep",
            1.0,
            Some(5.0),
            "fewest bars between the two swings",
        ),
    ],
    returns: Type::Bool,
    examples: &[
        Example {
            rule: "divergence(bullish, low, rsi(14))",
            note: "lower low in price, higher low in RSI",
        },
        Example {
            rule: "divergence(bearish, high, macd(12, 26, 9).hist, lookback=40, min_sep=3)",
            note: "higher high in price, lower high in the MACD histogram",
        },
    ],
    reference: false,
    lower,
};

fn lower(lw: &mut Lowerer<'_>, call: &Call) -> Lowered {
    let kind = match call.choice(0) {
        0 => DivergenceKind::Bullish,
        _ => DivergenceKind::Bearish,
    };
    let (lookback, min_sep) = (call.bars(3), call.bars(4));
    if let Err(e) = Divergence::new(kind, lookback as usize, min_sep as usize) {
        let d = Diagnostic::new(Code::InvalidArgument, call.span.clone(), e.to_string())
            .with_help(format!("usage: {}", BUILTIN.signature()));
        return Err(lw.report(d));
    }
    let node = NodeKind::Divergence {
        kind,
        price: call.node(1),
        oscillator: call.node(2),
        lookback,
        min_sep,
    };
    lw.add(node, call.tf)
}
