//! The phrasebook: conditions, numbers, operators, series and ticker values in words.

use sift_core::Interval;
use sift_indicators::Source;
use sift_indicators::registry;

use super::{collapse, flatten, literal, strip};
use crate::ast::{BinOp, Expr, ExprKind, UnOp};
use crate::builtins;
use crate::program::TickerField;

/// The phrasebook over one rule's text and `let` bindings.
pub(super) struct Words<'a> {
    pub(super) source: &'a str,
    pub(super) lets: Vec<(&'a str, &'a Expr)>,
}

impl Words<'_> {
    pub(super) fn text(&self, expr: &Expr) -> String {
        collapse(self.source.get(expr.span.clone()).unwrap_or_default())
    }

    fn binding(&self, name: &str) -> Option<&Expr> {
        self.lets.iter().find(|(n, _)| *n == name).map(|(_, e)| *e)
    }

    /// A condition (Bool expression) evaluated on `tf`, as a clause.
    pub(super) fn cond(&self, expr: &Expr, tf: Interval) -> String {
        match &expr.kind {
            ExprKind::Paren(inner) => self.cond(inner, tf),
            ExprKind::Bool(true) => "always".to_owned(),
            ExprKind::Bool(false) => "never".to_owned(),
            ExprKind::Name(name) => match self.binding(name) {
                Some(value) => self.cond(value, tf),
                None => format!("`{name}`"),
            },
            ExprKind::Unary(UnOp::Not, inner) => {
                format!("it is not the case that {}", self.cond(inner, tf))
            }
            ExprKind::Binary(BinOp::And, ..) => {
                let parts: Vec<String> = flatten(expr, BinOp::And)
                    .into_iter()
                    .map(|e| self.nested(e, tf))
                    .collect();
                parts.join(" and ")
            }
            ExprKind::Binary(BinOp::Or, ..) => {
                let parts: Vec<String> = flatten(expr, BinOp::Or)
                    .into_iter()
                    .map(|e| self.nested(e, tf))
                    .collect();
                format!("either {}", parts.join(" or "))
            }
            ExprKind::Binary(op, a, b) if op.is_comparison() => {
                let verb = match op {
                    BinOp::Lt => "is below",
                    BinOp::Le => "is at or below",
                    BinOp::Gt => "is above",
                    BinOp::Ge => "is at or above",
                    BinOp::Eq => "equals",
                    _ => "does not equal",
                };
                format!("{} {verb} {}", self.num(a, tf, None), self.num(b, tf, None))
            }
            ExprKind::History { of, index } => match literal(index) {
                Some(0.0) | None => self.cond(of, tf),
                Some(1.0) => format!("on the previous bar, {}", self.cond(of, tf)),
                Some(n) => format!("{n} bars ago, {}", self.cond(of, tf)),
            },
            ExprKind::At { of, interval, .. } => self.cond(of, interval.parse().unwrap_or(tf)),
            ExprKind::Call { name, args, .. } => self.call_cond(expr, name, args, tf),
            _ => format!("`{}`", self.text(expr)),
        }
    }

    /// A condition inside an `and`/`or` of another condition, bracketed when it mixes them.
    fn nested(&self, expr: &Expr, tf: Interval) -> String {
        let text = self.cond(expr, tf);
        match strip(expr).kind {
            ExprKind::Binary(BinOp::And | BinOp::Or, ..) => format!("({text})"),
            _ => text,
        }
    }

    /// A number (Number expression) on `tf` as a noun phrase. The timeframe is named unless
    /// the enclosing phrase already named it (`said`).
    pub(super) fn num(&self, expr: &Expr, tf: Interval, said: Option<Interval>) -> String {
        let on = |text: String| {
            if said == Some(tf) {
                text
            } else {
                format!("{text} on the {tf} candles")
            }
        };
        match &expr.kind {
            ExprKind::Number(x) => x.to_string(),
            ExprKind::Paren(inner) => self.num(inner, tf, said),
            ExprKind::Name(name) => {
                if let Some(value) = self.binding(name) {
                    self.num(value, tf, said)
                } else if let Ok(source) = name.parse::<Source>() {
                    if said == Some(tf) {
                        format!("the {}", series(source))
                    } else {
                        format!("the {tf} {}", series(source))
                    }
                } else if let Some(field) = TickerField::from_name(name) {
                    ticker(field).to_owned()
                } else {
                    format!("`{name}`")
                }
            }
            ExprKind::Unary(UnOp::Neg, inner) => match literal(inner) {
                Some(x) => (-x).to_string(),
                None => format!("minus {}", self.operand(inner, tf, said, 3, false)),
            },
            ExprKind::Binary(op, a, b) => {
                let (word, prec) = match op {
                    BinOp::Add => ("plus", 1),
                    BinOp::Sub => ("minus", 1),
                    BinOp::Mul => ("times", 2),
                    _ => ("divided by", 2),
                };
                format!(
                    "{} {word} {}",
                    self.operand(a, tf, said, prec, false),
                    self.operand(b, tf, said, prec, true)
                )
            }
            ExprKind::History { of, index } => {
                let inner = self.num(of, tf, said);
                match literal(index) {
                    Some(0.0) | None => inner,
                    Some(1.0) => match (&strip(of).kind, inner.strip_prefix("the ")) {
                        (ExprKind::Name(n), Some(rest)) if n.parse::<Source>().is_ok() => {
                            format!("the previous {rest}")
                        }
                        (_, Some(_)) => format!("{inner} as of the previous bar"),
                        (_, None) => format!("the previous bar's {inner}"),
                    },
                    Some(n) => format!("{inner} {n} bars ago"),
                }
            }
            ExprKind::At { of, interval, .. } => self.num(of, interval.parse().unwrap_or(tf), said),
            ExprKind::Field { of, name, .. } => match &strip(of).kind {
                ExprKind::Call {
                    name: call, args, ..
                } => match registry::find(call) {
                    Some(def) => on(self.indicator(def, args, Some(name), tf)),
                    None => format!("`{}`", self.text(expr)),
                },
                _ => format!("`{}`", self.text(expr)),
            },
            ExprKind::Call { name, args, .. } => {
                if let Some(b) = builtins::find(name) {
                    self.call_num(expr, b, args, tf, said)
                } else if let Some(def) = registry::find(name) {
                    on(self.indicator(def, args, None, tf))
                } else {
                    format!("`{}`", self.text(expr))
                }
            }
            _ => format!("`{}`", self.text(expr)),
        }
    }

    /// An operand of an arithmetic operator of precedence `prec`, bracketed when needed.
    fn operand(
        &self,
        expr: &Expr,
        tf: Interval,
        said: Option<Interval>,
        prec: u8,
        right: bool,
    ) -> String {
        let text = self.num(expr, tf, said);
        let inner = match &strip(expr).kind {
            ExprKind::Binary(BinOp::Add | BinOp::Sub, ..) => 1,
            ExprKind::Binary(BinOp::Mul | BinOp::Div, ..) => 2,
            _ => return text,
        };
        if inner < prec || (right && inner == prec) {
            format!("({text})")
        } else {
            text
        }
    }
}

/// A candle series in words, without an article.
pub(super) fn series(source: Source) -> &'static str {
    match source {
        Source::Open => "open",
        Source::High => "high",
        Source::Low => "low",
        Source::Close => "close",
        Source::Volume => "volume",
        Source::QuoteVolume => "quote volume",
        Source::Trades => "number of trades",
        Source::TakerBuyVolume => "taker buy volume",
        Source::TakerBuyQuoteVolume => "taker buy quote volume",
        Source::Hl2 => "median price (high + low) / 2",
        Source::Hlc3 => "typical price (high + low + close) / 3",
        Source::Ohlc4 => "average price (open + high + low + close) / 4",
    }
}

fn ticker(field: TickerField) -> &'static str {
    match field {
        TickerField::Price => "the last price",
        TickerField::ChangePct24h => "the 24h price change in percent",
        TickerField::High24h => "the 24h high",
        TickerField::Low24h => "the 24h low",
        TickerField::Volume24h => "the 24h volume",
        TickerField::QuoteVolume24h => "the 24h quote volume",
    }
}
