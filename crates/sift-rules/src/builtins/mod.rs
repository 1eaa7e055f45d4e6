//! Built-in functions of the rule language, one file each.
//!
//! Each builtin is a [`Builtin`]: a name, a parameter table, documentation and examples (every
//! example is checked by a test and shown in `docs/rules.md`), and a `lower` function that
//! turns already checked arguments into [`Program`](crate::Program) nodes. Most builtins are
//! sugar over a few primitive nodes (`crossover(a, b)` is `a[1] <= b[1] and a > b`).
//!
//! Indicators and candle patterns are not builtins: they come from
//! `sift_indicators::registry`. `highest` and `lowest` are such indicators; with a leading
//! expression they are rolling extremes of that expression (`highest(rsi(14), 10)`).

use std::fmt;
use std::ops::Range;

use sift_core::Interval;

use crate::check::{Lowered, Lowerer};
use crate::program::{NodeId, Type};

mod abs;
mod bars_since;
mod between;
mod change;
mod change_pct;
mod count;
mod cross;
mod crossover;
mod crossunder;
mod divergence;
mod falling;
mod hvn_above;
mod hvn_below;
mod max;
mod min;
mod near_hvn;
mod poc;
mod profile;
mod rising;
mod sum;

/// What values a builtin parameter accepts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamKind {
    /// Any Number expression (a series).
    Number,
    /// Any Bool expression (a condition).
    Bool,
    /// A whole-number literal of bars, at least the parameter's `min`.
    Bars,
    /// A number literal, at least the parameter's `min`.
    Real,
    /// One of these names, written as a bare identifier.
    Choice(&'static [&'static str]),
}

impl ParamKind {
    /// How the reference documentation names the kind.
    pub fn describe(self) -> String {
        match self {
            ParamKind::Number => "number series".to_owned(),
            ParamKind::Bool => "condition".to_owned(),
            ParamKind::Bars => "whole number (bars)".to_owned(),
            ParamKind::Real => "number".to_owned(),
            ParamKind::Choice(names) => format!("one of {}", names.join(", ")),
        }
    }
}

/// One parameter of a builtin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Param {
    pub name: &'static str,
    pub kind: ParamKind,
    /// `None` when required. For a choice, the index of the default name.
    pub default: Option<f64>,
    /// The smallest accepted literal (for `Bars` and `Real`).
    pub min: f64,
    pub doc: &'static str,
}

impl Param {
    /// A required parameter of `kind`.
    pub(crate) const fn required(name: &'static str, kind: ParamKind, doc: &'static str) -> Self {
        Self {
            name,
            kind,
            default: None,
            min: 0.0,
            doc,
        }
    }

    /// A number of bars, at least `min`, with an optional default.
    pub(crate) const fn bars(
        name: &'static str,
        min: f64,
        default: Option<f64>,
        doc: &'static str,
    ) -> Self {
        Self {
            name,
            kind: ParamKind::Bars,
            default,
            min,
            doc,
        }
    }

    /// A number literal, at least `min`, with a default.
    pub(crate) const fn real(
        name: &'static str,
        min: f64,
        default: f64,
        doc: &'static str,
    ) -> Self {
        Self {
            name,
            kind: ParamKind::Real,
            default: Some(default),
            min,
            doc,
        }
    }

    /// The default as written in a signature.
    pub fn display_default(&self) -> Option<String> {
        let value = self.default?;
        Some(match self.kind {
            ParamKind::Choice(names) => {
                names.get(value as usize).copied().unwrap_or("?").to_owned()
            }
            _ => value.to_string(),
        })
    }
}

/// An example rule, checked by a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Example {
    pub rule: &'static str,
    pub note: &'static str,
}

/// A checked argument handed to [`Builtin::lower`], one per parameter in declaration order
/// (defaults filled in).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A `Number` or `Bool` parameter: the argument's node.
    Node(NodeId),
    /// A `Bars` or `Real` parameter.
    Literal(f64),
    /// A `Choice` parameter: the index of the name.
    Choice(usize),
}

/// A call of a builtin with checked arguments.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// The whole call expression.
    pub(crate) span: Range<usize>,
    /// The timeframe the call is evaluated on.
    pub(crate) tf: Interval,
    pub(crate) values: Vec<Value>,
}

impl Call {
    /// Argument `i`'s node. Panics when parameter `i` is not a `Number` or `Bool`: a bug in the
    /// builtin's table.
    pub(crate) fn node(&self, i: usize) -> NodeId {
        match self.values[i] {
            Value::Node(id) => id,
            ref other => panic!("argument {i} is {other:?}, not a node"),
        }
    }

    /// Argument `i` as a literal (`Bars` or `Real`). Panics as [`Call::node`].
    pub(crate) fn literal(&self, i: usize) -> f64 {
        match self.values[i] {
            Value::Literal(x) => x,
            ref other => panic!("argument {i} is {other:?}, not a literal"),
        }
    }

    /// Argument `i` as a bar count (`Bars`, checked whole and within `u32`).
    pub(crate) fn bars(&self, i: usize) -> u32 {
        self.literal(i) as u32
    }

    /// Argument `i` as a choice index. Panics as [`Call::node`].
    pub(crate) fn choice(&self, i: usize) -> usize {
        match self.values[i] {
            Value::Choice(c) => c,
            ref other => panic!("argument {i} is {other:?}, not a choice"),
        }
    }
}

/// Lowers a checked call to nodes.
pub(crate) type Lower = fn(&mut Lowerer<'_>, &Call) -> Lowered;

/// A built-in function.
#[derive(Clone, Copy)]
pub struct Builtin {
    pub name: &'static str,
    /// One line for the reference.
    pub summary: &'static str,
    /// What it computes precisely, including when it is undefined.
    pub doc: &'static str,
    pub params: &'static [Param],
    pub returns: Type,
    pub examples: &'static [Example],
    /// Whether a signal snapshot shows the call's value (value helpers such as `poc()`).
    pub(crate) reference: bool,
    pub(crate) lower: Lower,
}

impl fmt::Debug for Builtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builtin")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Builtin {
    /// `name(p1, p2=d2)`, for help texts.
    pub fn signature(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| match p.display_default() {
                Some(d) => format!("{}={d}", p.name),
                None => p.name.to_owned(),
            })
            .collect();
        format!("{}({})", self.name, params.join(", "))
    }
}

/// Every builtin, in documentation order.
pub fn all() -> &'static [Builtin] {
    &ALL
}

const ALL: [Builtin; 19] = [
    crossover::BUILTIN,
    crossunder::BUILTIN,
    cross::BUILTIN,
    rising::BUILTIN,
    falling::BUILTIN,
    change::BUILTIN,
    change_pct::BUILTIN,
    sum::BUILTIN,
    count::BUILTIN,
    bars_since::BUILTIN,
    abs::BUILTIN,
    min::BUILTIN,
    max::BUILTIN,
    between::BUILTIN,
    divergence::BUILTIN,
    near_hvn::BUILTIN,
    poc::BUILTIN,
    hvn_above::BUILTIN,
    hvn_below::BUILTIN,
];

/// The builtin with this name.
pub fn find(name: &str) -> Option<&'static Builtin> {
    ALL.iter().find(|b| b.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CheckOptions, check};

    #[test]
    fn names_are_unique_and_not_indicators() {
        for (i, b) in ALL.iter().enumerate() {
            assert!(ALL[..i].iter().all(|o| o.name != b.name), "{}", b.name);
            assert!(
                sift_indicators::registry::find(b.name).is_none(),
                "{} is also an indicator",
                b.name
            );
        }
    }

    #[test]
    fn every_example_checks_and_every_builtin_has_one() {
        let options = CheckOptions::default();
        for b in ALL.iter() {
            assert!(!b.examples.is_empty(), "{} has no example", b.name);
            assert!(b.rule_uses_self(), "{}: an example should call it", b.name);
            for example in b.examples {
                if let Err(errors) = check(example.rule, &options) {
                    let text: Vec<String> = errors
                        .iter()
                        .map(|d| d.render(example.rule, b.name))
                        .collect();
                    panic!("{}: {}\n{}", b.name, example.rule, text.join("\n"));
                }
            }
        }
    }

    #[test]
    fn parameter_tables_are_consistent() {
        for b in ALL.iter() {
            let mut seen_default = false;
            for p in b.params {
                assert!(
                    !(seen_default && p.default.is_none()),
                    "{}: required {} after an optional parameter",
                    b.name,
                    p.name
                );
                seen_default |= p.default.is_some();
                assert!(!p.doc.is_empty(), "{}.{} has no doc", b.name, p.name);
            }
            assert!(b.doc.len() > b.summary.len(), "{} needs a doc", b.name);
        }
    }

    impl Builtin {
        fn rule_uses_self(&self) -> bool {
            self.examples
                .iter()
                .any(|e| e.rule.contains(&format!("{}(", self.name)))
        }
    }
}
