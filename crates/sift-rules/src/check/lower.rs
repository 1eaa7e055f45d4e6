//! Walking the syntax tree: every expression is lowered in the context of a timeframe.
//!
//! `let` bindings are lowered on first use *per timeframe*, so `trend @ 1h` evaluates the
//! binding's expression on 1h candles (it does not sample the base-timeframe value). A binding
//! sees only the bindings above it.

use std::collections::HashMap;
use std::ops::Range;

use sift_core::{Candle, Interval};
use sift_indicators::Source;

use super::names::{Meaning, suggest};
use super::{CheckOptions, Lowered, Reported};
use crate::ast::{BinOp, Expr, ExprKind, Rule, UnOp};
use crate::diagnostic::{Code, Diagnostic};
use crate::program::{BinaryOp, Node, NodeId, NodeKind, Reference, Type, UnaryOp};

/// One `let` binding and where it has been lowered.
#[derive(Debug)]
pub(super) struct Binding<'r> {
    pub(super) name: &'r str,
    pub(super) name_span: Range<usize>,
    pub(super) value: &'r Expr,
    pub(super) lowered: Vec<(Interval, Lowered)>,
    pub(super) used: bool,
}

/// The state of one check.
#[derive(Debug)]
pub(crate) struct Lowerer<'a> {
    pub(super) source: &'a str,
    pub(super) options: CheckOptions,
    rule: &'a Rule,
    pub(super) nodes: Vec<Node>,
    /// Ready count of each node (see the module doc of `check`).
    pub(super) ready: Vec<u32>,
    /// Hash-consing: a node's debug text to its id.
    pub(super) index: HashMap<String, NodeId>,
    pub(super) diagnostics: Vec<Diagnostic>,
    pub(super) bindings: Vec<Binding<'a>>,
    /// How many bindings the expression being lowered may see.
    visible: usize,
    pub(super) references: Vec<Reference>,
    /// Own warm-up of each indicator spec measured so far, by spec text and build result.
    pub(super) warmups: HashMap<String, Result<u32, String>>,
    pub(super) candles: Vec<Candle>,
    /// Whether "needs too much history" has been reported (once per rule is enough).
    pub(super) history_reported: bool,
    pub(super) node_limit_reported: bool,
}

impl<'a> Lowerer<'a> {
    pub(crate) fn new(source: &'a str, options: &CheckOptions, rule: &'a Rule) -> Self {
        let max_history = options
            .max_history
            .min(sift_indicators::MAX_PERIOD as u32)
            .max(1);
        Self {
            source,
            options: CheckOptions {
                interval: options.interval,
                max_history,
            },
            rule,
            nodes: Vec::new(),
            ready: Vec::new(),
            index: HashMap::new(),
            diagnostics: Vec::new(),
            bindings: rule
                .lets
                .iter()
                .map(|l| Binding {
                    name: &l.name,
                    name_span: l.name_span.clone(),
                    value: &l.value,
                    lowered: Vec::new(),
                    used: false,
                })
                .collect(),
            visible: 0,
            references: Vec::new(),
            warmups: HashMap::new(),
            candles: Vec::new(),
            history_reported: false,
            node_limit_reported: false,
        }
    }

    pub(crate) fn report(&mut self, diagnostic: Diagnostic) -> Reported {
        self.diagnostics.push(diagnostic);
        Reported
    }

    /// Lowers the bindings' names check, the rule expression and unused bindings; returns the
    /// root when the rule is a Bool.
    pub(crate) fn lower_rule(&mut self) -> Lowered {
        self.check_binding_names();
        let interval = self.options.interval;
        let root = match &self.rule.expr {
            Some(expr) => {
                self.visible = self.bindings.len();
                let root = self.lower(expr, interval);
                match root {
                    Ok(id) if self.node(id).ty != Type::Bool => Err(self.report(
                        Diagnostic::new(
                            Code::RuleNotBool,
                            expr.span.clone(),
                            "the rule must be a condition, but this is a number",
                        )
                        .with_help("compare it, for example `rsi(14) < 30`"),
                    )),
                    other => other,
                }
            }
            None => {
                let end = self.source.len();
                Err(self.report(
                    Diagnostic::new(Code::MissingRule, end..end, "the rule has no condition")
                        .with_help("end with a condition, for example `rsi(14) < 30`"),
                ))
            }
        };
        for i in 0..self.bindings.len() {
            if !self.bindings[i].used {
                let b = &self.bindings[i];
                let d = Diagnostic::new(
                    Code::UnusedBinding,
                    b.name_span.clone(),
                    format!("`{}` is never used", b.name),
                );
                self.diagnostics.push(d);
                if b.lowered.is_empty() {
                    let _ = self.lower_binding(i, interval);
                }
            }
        }
        root
    }

    /// A `let` name must be new and not a built-in name.
    fn check_binding_names(&mut self) {
        for i in 0..self.bindings.len() {
            let b = &self.bindings[i];
            let earlier = self.bindings[..i].iter().find(|o| o.name == b.name);
            let d = if let Some(first) = earlier {
                Some(
                    Diagnostic::new(
                        Code::DuplicateName,
                        b.name_span.clone(),
                        format!("`{}` is already defined", b.name),
                    )
                    .with_label(first.name_span.clone(), "first defined here"),
                )
            } else {
                Meaning::builtin_kind(b.name).map(|what| {
                    Diagnostic::new(
                        Code::DuplicateName,
                        b.name_span.clone(),
                        format!("`{}` is {what}; a `let` needs a new name", b.name),
                    )
                })
            };
            if let Some(d) = d {
                self.diagnostics.push(d);
            }
        }
    }

    /// Lowers binding `i` on `tf`, once per timeframe.
    fn lower_binding(&mut self, i: usize, tf: Interval) -> Lowered {
        if let Some((_, done)) = self.bindings[i].lowered.iter().find(|(t, _)| *t == tf) {
            return *done;
        }
        let saved = self.visible;
        self.visible = i;
        let value = self.bindings[i].value;
        let lowered = self.lower(value, tf);
        self.visible = saved;
        self.bindings[i].lowered.push((tf, lowered));
        lowered
    }

    /// Lowers `expr` on timeframe `tf`, then checks its history need.
    pub(super) fn lower(&mut self, expr: &Expr, tf: Interval) -> Lowered {
        let id = self.lower_kind(expr, tf)?;
        self.check_history(id, expr);
        Ok(id)
    }

    fn lower_kind(&mut self, expr: &Expr, tf: Interval) -> Lowered {
        let span = expr.span.clone();
        match &expr.kind {
            ExprKind::Number(x) => self.add(NodeKind::Number(*x), tf),
            ExprKind::Bool(b) => self.add(NodeKind::Bool(*b), tf),
            ExprKind::Paren(inner) => self.lower(inner, tf),
            ExprKind::Name(name) => self.name(name, span, tf),
            ExprKind::Unary(UnOp::Neg, inner) => {
                if let ExprKind::Number(x) = inner.kind {
                    return self.add(NodeKind::Number(-x), tf);
                }
                let x = self.lower(inner, tf)?;
                self.expect_type(x, Type::Number, inner, "`-`")?;
                self.add(NodeKind::Unary(UnaryOp::Neg, x), tf)
            }
            ExprKind::Unary(UnOp::Not, inner) => {
                let x = self.lower(inner, tf)?;
                self.expect_type(x, Type::Bool, inner, "`not`")?;
                self.add(NodeKind::Unary(UnaryOp::Not, x), tf)
            }
            ExprKind::Binary(op, a, b) => self.binary_expr(*op, a, b, tf),
            ExprKind::Call {
                name,
                name_span,
                args,
            } => self.call(name, name_span.clone(), args, span, None, tf),
            ExprKind::Field {
                of,
                name,
                name_span,
            } => match &of.kind {
                ExprKind::Call {
                    name: call,
                    name_span: call_span,
                    args,
                } if self.meaning(call).is_indicator() => self.call(
                    call,
                    call_span.clone(),
                    args,
                    of.span.clone(),
                    Some((name.as_str(), name_span.clone())),
                    tf,
                ),
                _ => Err(self.report(
                    Diagnostic::new(
                        Code::UnknownField,
                        name_span.clone(),
                        format!("`.{name}` does not follow an indicator with several outputs"),
                    )
                    .with_help("fields follow the indicator call directly: `macd(12, 26, 9).hist`"),
                )),
            },
            ExprKind::History { of, index } => self.history_expr(of, index, tf),
            ExprKind::At {
                of,
                interval,
                interval_span,
            } => self.at(expr, of, interval, interval_span.clone(), tf),
        }
    }

    /// The meaning of `name` where the current expression is.
    pub(super) fn meaning(&self, name: &str) -> Meaning {
        Meaning::of(
            name,
            &self.bindings[..self.visible.min(self.bindings.len())],
        )
    }

    fn name(&mut self, name: &str, span: Range<usize>, tf: Interval) -> Lowered {
        match self.meaning(name) {
            Meaning::Binding(i) => {
                self.bindings[i].used = true;
                self.lower_binding(i, tf)
            }
            Meaning::Series(source) => {
                let id = self.add(NodeKind::Series(source), tf)?;
                self.reference(span, id, tf);
                Ok(id)
            }
            Meaning::Ticker(field) => {
                let id = self.add(NodeKind::Ticker(field), tf)?;
                self.reference(span, id, tf);
                Ok(id)
            }
            Meaning::Builtin(b) => Err(self.report(
                Diagnostic::new(
                    Code::NotCallable,
                    span,
                    format!("`{name}` is a function; call it"),
                )
                .with_help(format!("usage: {}", b.signature())),
            )),
            Meaning::Indicator(def) => Err(self.report(
                Diagnostic::new(
                    Code::NotCallable,
                    span,
                    format!("`{name}` is an indicator; call it: `{name}()`"),
                )
                .with_help(format!("usage: {}", def.signature())),
            )),
            Meaning::Unknown => {
                let mut d = Diagnostic::new(
                    Code::UnknownName,
                    span.clone(),
                    format!("unknown name `{name}`"),
                );
                if let Some(help) = self.suggestion(name, false) {
                    d = d.with_help(help);
                } else if let Some(later) = self.bindings.iter().find(|b| b.name == name) {
                    d = d
                        .with_label(later.name_span.clone(), "defined later here")
                        .with_help("a `let` can only use names defined above it");
                }
                Err(self.report(d))
            }
        }
    }

    /// "did you mean `x`?" for an unknown name, among callables only when `call`.
    pub(super) fn suggestion(&self, name: &str, call: bool) -> Option<String> {
        let visible = &self.bindings[..self.visible.min(self.bindings.len())];
        let candidates = Meaning::candidates(visible, call);
        suggest(name, candidates.iter().map(String::as_str))
            .map(|best| format!("did you mean `{best}`?"))
    }

    fn binary_expr(&mut self, op: BinOp, a: &Expr, b: &Expr, tf: Interval) -> Lowered {
        let (x, y) = (self.lower(a, tf), self.lower(b, tf));
        let (x, y) = (x?, y?);
        let (want, op) = match op {
            BinOp::Add => (Type::Number, BinaryOp::Add),
            BinOp::Sub => (Type::Number, BinaryOp::Sub),
            BinOp::Mul => (Type::Number, BinaryOp::Mul),
            BinOp::Div => (Type::Number, BinaryOp::Div),
            BinOp::Lt => (Type::Number, BinaryOp::Lt),
            BinOp::Le => (Type::Number, BinaryOp::Le),
            BinOp::Gt => (Type::Number, BinaryOp::Gt),
            BinOp::Ge => (Type::Number, BinaryOp::Ge),
            BinOp::Eq => (Type::Number, BinaryOp::Eq),
            BinOp::Ne => (Type::Number, BinaryOp::Ne),
            BinOp::And => (Type::Bool, BinaryOp::And),
            BinOp::Or => (Type::Bool, BinaryOp::Or),
        };
        let what = format!("`{}`", op.symbol());
        let tx = self.expect_type(x, want, a, &what);
        let ty = self.expect_type(y, want, b, &what);
        tx?;
        ty?;
        self.add(NodeKind::Binary(op, x, y), tf)
    }

    /// Reports a type mismatch of node `id` written as `expr`, used by `what`.
    pub(super) fn expect_type(
        &mut self,
        id: NodeId,
        want: Type,
        expr: &Expr,
        what: &str,
    ) -> Result<(), Reported> {
        let found = self.node(id).ty;
        if found == want {
            return Ok(());
        }
        let help = match want {
            Type::Bool => "compare the number, for example `x > 0`",
            Type::Number => "a condition is not a number; use it with `and`, `or`, `not`",
        };
        Err(self.report(
            Diagnostic::new(
                Code::TypeMismatch,
                expr.span.clone(),
                format!(
                    "{what} expects a {}, found a {}",
                    article(want),
                    article(found)
                ),
            )
            .with_help(help),
        ))
    }

    fn history_expr(&mut self, of: &Expr, index: &Expr, tf: Interval) -> Lowered {
        let x = self.lower(of, tf);
        let bars = match index.kind {
            ExprKind::Number(n) if n >= 0.0 && n.fract() == 0.0 => Ok(n),
            _ => Err(self.report(
                Diagnostic::new(
                    Code::InvalidHistory,
                    index.span.clone(),
                    "the history offset must be a whole number literal, 0 or more",
                )
                .with_help("for example `close[1]` for the previous close"),
            )),
        };
        let (x, bars) = (x?, bars?);
        if bars == 0.0 {
            return Ok(x);
        }
        if bars > f64::from(self.options.max_history) {
            let d = self.too_long(index.span.clone(), tf, bars);
            return Err(self.report(d));
        }
        self.add(
            NodeKind::History {
                of: x,
                bars: bars as u32,
            },
            tf,
        )
    }

    fn at(
        &mut self,
        whole: &Expr,
        of: &Expr,
        text: &str,
        span: Range<usize>,
        tf: Interval,
    ) -> Lowered {
        let Ok(target) = text.parse::<Interval>() else {
            let names = Interval::ALL.map(Interval::as_str);
            let mut d = Diagnostic::new(
                Code::UnknownInterval,
                span,
                format!("unknown interval `{text}`"),
            );
            d = match suggest(text, names.into_iter()) {
                Some(best) => d.with_help(format!("did you mean `{best}`?")),
                None => d.with_help(format!("intervals: {}", names.join(" "))),
            };
            let _ = self.lower(of, tf);
            return Err(self.report(d));
        };
        let references = self.references.len();
        let inner = self.lower(of, target)?;
        if target == tf {
            return Ok(inner);
        }
        if target.nominal_duration_ms() < self.options.interval.nominal_duration_ms() {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::FinerTimeframe,
                    span,
                    format!(
                        "`{target}` is shorter than the trader's interval `{}`: only the last \
                         {target} candle before each close is seen",
                        self.options.interval
                    ),
                )
                .with_help("use a longer interval, or run the trader on the shorter one"),
            );
        }
        let sample = self.add(NodeKind::Sample { of: inner }, tf)?;
        // `rsi(14) @ 1h` is referenced as a whole, not as `rsi(14)` on 1h.
        if self.references.len() > references
            && self.references.last().is_some_and(|r| r.span == of.span)
        {
            self.references.pop();
            self.reference(whole.span.clone(), sample, tf);
        }
        Ok(sample)
    }

    /// Records that the text at `span` was read as node `id` on `tf`.
    pub(super) fn reference(&mut self, span: Range<usize>, id: NodeId, tf: Interval) {
        let slice = self.source.get(span.clone()).unwrap_or("");
        let mut text = slice.split_whitespace().collect::<Vec<_>>().join(" ");
        if tf != self.options.interval {
            text = format!("{text} @ {tf}");
        }
        self.references.push(Reference {
            text,
            span,
            node: id,
        });
    }

    pub(super) fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    /// Whether the node is a candle series on `tf`, for folding `sma(close, 20)` written with
    /// an expression source into a spec source.
    pub(crate) fn as_series(&self, id: NodeId, tf: Interval) -> Option<Source> {
        match self.node(id) {
            Node {
                kind: NodeKind::Series(s),
                timeframe,
                ..
            } if *timeframe == tf => Some(*s),
            _ => None,
        }
    }
}

fn article(ty: Type) -> &'static str {
    match ty {
        Type::Number => "number",
        Type::Bool => "condition",
    }
}
