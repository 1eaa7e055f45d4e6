//! Builtin and indicator calls in words.

use sift_core::Interval;
use sift_indicators::registry::{self, Category, Def, ParamKind};
use sift_indicators::{Source, Spec};

use super::words::{Words, series};
use super::{bars, literal, strip};
use crate::ast::{Arg, Expr, ExprKind};
use crate::builtins::{self, Builtin};

impl Words<'_> {
    /// A call of a condition builtin or a candle pattern, as a clause.
    pub(super) fn call_cond(&self, expr: &Expr, name: &str, args: &[Arg], tf: Interval) -> String {
        if let Some(b) = builtins::find(name) {
            let a = Bound::new(b, args);
            let num = |i: usize| {
                a.expr(i)
                    .map_or_else(String::new, |e| self.num(e, tf, None))
            };
            return match name {
                "crossover" => format!("{} crosses above {}", num(0), num(1)),
                "crossunder" => format!("{} crosses below {}", num(0), num(1)),
                "cross" => format!("{} crosses {} in either direction", num(0), num(1)),
                "rising" | "falling" => {
                    let word = if name == "rising" { "above" } else { "below" };
                    match a.number(1) {
                        1.0 => format!("{} is {word} its previous value", num(0)),
                        n => format!("{} is {word} each of its previous {n} values", num(0)),
                    }
                }
                "between" => format!(
                    "{} is between {} and {} (inclusive)",
                    num(0),
                    num(1),
                    num(2)
                ),
                "divergence" => format!(
                    "a regular {} divergence between {} and {} (previous swing {} to {} bars \
                     back)",
                    a.choice(0).unwrap_or("?"),
                    num(1),
                    num(2),
                    a.number(4),
                    a.number(3)
                ),
                "near_hvn" => format!(
                    "the {tf} close is within {}% of a high-volume node of the volume profile \
                     of the last {}",
                    a.number(0),
                    bars(a.number(2))
                ),
                _ => format!("`{}`", self.text(expr)),
            };
        }
        if let Some(def) = registry::find(name)
            && def.category == Category::Pattern
        {
            return format!(
                "the {tf} candles form a {} pattern",
                def.name.replace('_', " ")
            );
        }
        format!("`{}`", self.text(expr))
    }

    /// A call of a number builtin as a noun phrase.
    pub(super) fn call_num(
        &self,
        expr: &Expr,
        b: &'static Builtin,
        args: &[Arg],
        tf: Interval,
        said: Option<Interval>,
    ) -> String {
        let a = Bound::new(b, args);
        let num = |i: usize| {
            a.expr(i)
                .map_or_else(String::new, |e| self.num(e, tf, said))
        };
        let profile = |what: &str| {
            let text = format!(
                "{what} of the volume profile of the last {}",
                bars(a.number(1))
            );
            if said == Some(tf) {
                text
            } else {
                format!("{text} on the {tf} candles")
            }
        };
        match b.name {
            "abs" => format!("the absolute value of {}", num(0)),
            "min" => format!("the smaller of {} and {}", num(0), num(1)),
            "max" => format!("the larger of {} and {}", num(0), num(1)),
            "change" => format!("the change in {} over {}", num(0), bars(a.number(1))),
            "change_pct" => format!(
                "the percent change in {} over {}",
                num(0),
                bars(a.number(1))
            ),
            "sum" => format!("the sum of {} over the last {}", num(0), bars(a.number(1))),
            "count" => format!(
                "the number of the last {} where {}",
                bars(a.number(1)),
                a.expr(0).map_or_else(String::new, |e| self.cond(e, tf))
            ),
            "bars_since" => format!(
                "the number of bars since {} (looking back at most {})",
                a.expr(0).map_or_else(String::new, |e| self.cond(e, tf)),
                bars(a.number(1))
            ),
            "poc" => profile("the point of control"),
            "hvn_above" => profile("the nearest high-volume node at or above the close"),
            "hvn_below" => profile("the nearest high-volume node at or below the close"),
            _ => format!("`{}`", self.text(expr)),
        }
    }

    /// An indicator call (with its `.field`) as a noun phrase without its timeframe:
    /// "RSI(14)", "SMA(20) of volume", "the hist of MACD(12, 26, 9)".
    pub(super) fn indicator(
        &self,
        def: &'static Def,
        args: &[Arg],
        field: Option<&str>,
        tf: Interval,
    ) -> String {
        let positional: Vec<&Expr> = args
            .iter()
            .filter(|a| a.name.is_none())
            .map(|a| &a.value)
            .collect();
        let (input, params) = match positional.split_first() {
            Some((first, rest)) if !is_param(def, first) => (Some(*first), rest.to_vec()),
            _ => (None, positional),
        };
        let spec_args: Option<Vec<_>> = params.iter().map(|e| spec_arg(e)).collect();
        let named: Option<Vec<_>> = args
            .iter()
            .filter_map(|a| a.name.as_ref().map(|(k, _)| (k.as_str(), &a.value)))
            .map(|(k, e)| spec_arg(e).map(|v| (k, v)))
            .collect();
        let series_source = input.and_then(|e| match &strip(e).kind {
            ExprKind::Name(n) => n.parse::<Source>().ok(),
            _ => None,
        });
        let spec = spec_args
            .zip(named)
            .and_then(|(p, n)| Spec::for_def(def, series_source, &p, &n).ok());
        let Some(spec) = spec else {
            return format!("`{}`", def.name);
        };
        let values: Vec<String> = def
            .params
            .iter()
            .zip(spec.args().values())
            .map(|(p, v)| p.display_value(*v))
            .collect();
        // The input when it is not the default: a derived series, or another candle series.
        let of = match input {
            Some(e) if series_source.is_none() => {
                let inner = self.num(e, tf, Some(tf));
                match strip(e).kind {
                    ExprKind::Binary(..) => Some(format!("({inner})")),
                    _ => Some(inner),
                }
            }
            _ if def.source.is_some_and(|d| d != spec.args().source()) => {
                Some(series(spec.args().source()).to_owned())
            }
            _ => None,
        };
        let text = match (def.name, values.as_slice()) {
            ("highest" | "lowest", [n]) => format!(
                "the {} {} of the last {}",
                def.name,
                of.unwrap_or_else(|| series(spec.args().source()).to_owned()),
                bars(n.parse().unwrap_or(1.0))
            ),
            (_, []) => with_input(label(def), of),
            _ => with_input(format!("{}({})", label(def), values.join(", ")), of),
        };
        match field {
            Some(f) => format!("the {} of {text}", field_words(f)),
            None => text,
        }
    }
}

/// An indicator's name as shown: `RSI`, `PIVOT HIGH`.
fn label(def: &Def) -> String {
    def.name.to_uppercase().replace('_', " ")
}

/// An output field in words.
fn field_words(name: &str) -> String {
    match name {
        "upper" | "middle" | "lower" => format!("{name} band"),
        "hist" => "histogram".to_owned(),
        "signal" => "signal line".to_owned(),
        "pct_b" => "%B".to_owned(),
        other => other.replace('_', " "),
    }
}

fn with_input(label: String, of: Option<String>) -> String {
    match of {
        Some(of) => format!("{label} of {of}"),
        None => label,
    }
}

/// An indicator parameter as the spec parser takes it.
fn spec_arg(e: &Expr) -> Option<sift_indicators::Arg<'_>> {
    literal(e)
        .map(sift_indicators::Arg::Number)
        .or_else(|| match &strip(e).kind {
            ExprKind::Name(n) => Some(sift_indicators::Arg::Ident(n)),
            _ => None,
        })
}

/// Whether the first positional argument of `def` is a parameter rather than its source, as
/// the checker decides.
fn is_param(def: &Def, expr: &Expr) -> bool {
    if literal(expr).is_some() {
        return true;
    }
    let ExprKind::Name(name) = &strip(expr).kind else {
        return false;
    };
    def.source.is_none()
        || matches!(
            def.params.first().map(|p| p.kind),
            Some(ParamKind::Choice(choices)) if choices.contains(&name.as_str())
        )
}

/// A builtin call's arguments bound to its parameters (positional, then named).
struct Bound<'a> {
    builtin: &'static Builtin,
    args: Vec<Option<&'a Expr>>,
}

impl<'a> Bound<'a> {
    fn new(builtin: &'static Builtin, args: &'a [Arg]) -> Self {
        let mut slots: Vec<Option<&Expr>> = vec![None; builtin.params.len()];
        let mut next = 0;
        for arg in args {
            let slot = match &arg.name {
                Some((name, _)) => builtin.params.iter().position(|p| p.name == name),
                None => {
                    next += 1;
                    Some(next - 1)
                }
            };
            if let Some(slot) = slot.filter(|s| *s < slots.len()) {
                slots[slot] = Some(&arg.value);
            }
        }
        Self {
            builtin,
            args: slots,
        }
    }

    fn expr(&self, i: usize) -> Option<&'a Expr> {
        self.args.get(i).copied().flatten()
    }

    /// A literal parameter: the argument, else its default.
    fn number(&self, i: usize) -> f64 {
        self.expr(i)
            .and_then(literal)
            .or_else(|| self.builtin.params.get(i).and_then(|p| p.default))
            .unwrap_or(0.0)
    }

    /// A choice parameter's name.
    fn choice(&self, i: usize) -> Option<&'a str> {
        match &strip(self.expr(i)?).kind {
            ExprKind::Name(name) => Some(name),
            _ => None,
        }
    }
}
