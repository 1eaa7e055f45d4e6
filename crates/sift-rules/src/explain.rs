//! A checked rule in plain English, one sentence per condition, without any model.
//!
//! [`explain`] re-reads the syntax tree of a checked [`Program`] (so `let` names, `crossover`
//! and the user's own structure survive, which the lowered DAG no longer has) and writes each
//! top-level condition as a sentence: `rsi(14) < 30` on a 15m trader is "RSI(14) on the 15m
//! candles is below 30". The top-level `and` (or `or`) chain is split into conditions; `let`
//! bindings are inlined where they are used, on the timeframe they are used on. Indicator
//! parameters are written out with their defaults (`macd()` is "MACD(12, 26, 9)").
//!
//! Deterministic and total: any checked program gets an explanation; an expression the
//! phrasebook does not know is quoted as written.
//!
//! `words` holds the phrasebook for conditions, numbers and operators; `calls` the phrases
//! of builtins and indicators.

use std::ops::Range;

use serde::Serialize;
use sift_core::Interval;

use crate::ast::{BinOp, Expr, ExprKind, UnOp};
use crate::parser::parse;
use crate::program::Program;

mod calls;
mod words;

use words::Words;

/// How the conditions of an [`Explanation`] combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Combinator {
    /// Every condition must hold (a top-level `and` chain, or a single condition).
    All,
    /// At least one condition must hold (a top-level `or` chain).
    Any,
}

/// One top-level condition of a rule and what it means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Condition {
    /// The condition as written, whitespace runs collapsed to one space.
    pub condition: String,
    /// Byte range of the condition in the rule text.
    pub span: Range<usize>,
    /// The condition in plain English, without a final period.
    pub meaning: String,
}

/// A rule in plain English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub combinator: Combinator,
    pub conditions: Vec<Condition>,
}

impl Explanation {
    /// One paragraph: "On each 15m close, match when all of these hold: ...".
    pub fn summary(&self, interval: Interval) -> String {
        let meanings: Vec<&str> = self.conditions.iter().map(|c| c.meaning.as_str()).collect();
        match (meanings.as_slice(), self.combinator) {
            ([one], _) => format!("On each {interval} close, match when {one}."),
            (_, Combinator::All) => format!(
                "On each {interval} close, match when all of these hold: {}.",
                meanings.join("; ")
            ),
            (_, Combinator::Any) => format!(
                "On each {interval} close, match when any of these holds: {}.",
                meanings.join("; ")
            ),
        }
    }
}

/// Explains a checked program, condition by condition.
pub fn explain(program: &Program) -> Explanation {
    let source = program.source.as_str();
    let rule = match parse(source) {
        Ok(rule) => rule,
        // A checked program always parses; quote it rather than panic.
        Err(_) => return quoted(source),
    };
    let Some(expr) = &rule.expr else {
        return quoted(source);
    };
    let words = Words {
        source,
        lets: rule
            .lets
            .iter()
            .map(|l| (l.name.as_str(), &l.value))
            .collect(),
    };
    let root = strip(expr);
    let (combinator, parts) = match &root.kind {
        ExprKind::Binary(BinOp::And, ..) => (Combinator::All, flatten(root, BinOp::And)),
        ExprKind::Binary(BinOp::Or, ..) => (Combinator::Any, flatten(root, BinOp::Or)),
        _ => (Combinator::All, vec![root]),
    };
    let conditions = parts
        .into_iter()
        .map(|part| Condition {
            condition: words.text(part),
            span: part.span.clone(),
            meaning: words.cond(part, program.interval),
        })
        .collect();
    Explanation {
        combinator,
        conditions,
    }
}

fn quoted(source: &str) -> Explanation {
    let text = collapse(source);
    Explanation {
        combinator: Combinator::All,
        conditions: vec![Condition {
            meaning: format!("`{text}`"),
            condition: text,
            span: 0..source.len(),
        }],
    }
}

/// The expression inside any parentheses.
fn strip(mut expr: &Expr) -> &Expr {
    while let ExprKind::Paren(inner) = &expr.kind {
        expr = inner;
    }
    expr
}

/// The operands of a chain of `op` (through parentheses), left to right.
fn flatten(expr: &Expr, op: BinOp) -> Vec<&Expr> {
    let expr = strip(expr);
    match &expr.kind {
        ExprKind::Binary(o, a, b) if *o == op => {
            let mut out = flatten(a, op);
            out.extend(flatten(b, op));
            out
        }
        _ => vec![expr],
    }
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A number literal, negative ones included.
fn literal(expr: &Expr) -> Option<f64> {
    match &strip(expr).kind {
        ExprKind::Number(x) => Some(*x),
        ExprKind::Unary(UnOp::Neg, inner) => literal(inner).map(|x| -x),
        _ => None,
    }
}

fn bars(n: f64) -> String {
    if n == 1.0 {
        "1 bar".to_owned()
    } else {
        format!("{n} bars")
    }
}

#[cfg(test)]
mod tests;
