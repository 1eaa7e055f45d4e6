//! Creating nodes: sharing identical ones, typing them and counting their warm-up.

use std::ops::Range;

use sift_core::Interval;
use sift_indicators::Spec;
use sift_indicators::registry::Category;

use super::{Lowered, Lowerer, MAX_INDICATORS, MAX_NODES};
use crate::ast::Expr;
use crate::diagnostic::{Code, Diagnostic};
use crate::program::{BinaryOp, Node, NodeId, NodeKind, Type, UnaryOp, WindowFunc};

impl Lowerer<'_> {
    /// The node `kind` on `tf`: an existing identical one, or a new one. Indicators must go
    /// through [`Lowerer::indicator_node`], which measures their warm-up first.
    pub(crate) fn add(&mut self, kind: NodeKind, tf: Interval) -> Lowered {
        let ty = self.type_of(&kind);
        let node = Node {
            kind,
            timeframe: tf,
            ty,
        };
        let key = format!("{node:?}");
        if let Some(id) = self.index.get(&key) {
            return Ok(*id);
        }
        if self.nodes.len() >= MAX_NODES {
            return Err(self.too_complex(format!(
                "the rule is too complex: more than {MAX_NODES} nodes"
            )));
        }
        let ready = self.ready_of(&node.kind);
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(node);
        self.ready.push(ready);
        self.index.insert(key, id);
        Ok(id)
    }

    fn too_complex(&mut self, message: String) -> super::Reported {
        if self.node_limit_reported {
            return super::Reported;
        }
        self.node_limit_reported = true;
        let span = 0..self.source.len();
        self.report(
            Diagnostic::new(Code::TooComplex, span, message)
                .with_help("simplify the rule or split it into several traders"),
        )
    }

    /// The type of a node (its inputs are typed already).
    fn type_of(&self, kind: &NodeKind) -> Type {
        match kind {
            NodeKind::Bool(_) | NodeKind::Divergence { .. } => Type::Bool,
            NodeKind::Unary(UnaryOp::Not, _) => Type::Bool,
            NodeKind::Binary(op, _, _) if op.is_comparison() => Type::Bool,
            NodeKind::Binary(BinaryOp::And | BinaryOp::Or, _, _) => Type::Bool,
            NodeKind::Indicator { spec, .. } if spec.def().category == Category::Pattern => {
                Type::Bool
            }
            NodeKind::History { of, .. } | NodeKind::Sample { of } => self.node(*of).ty,
            _ => Type::Number,
        }
    }

    /// The ready count of a new node (see the `check` module doc).
    fn ready_of(&self, kind: &NodeKind) -> u32 {
        let r = |id: &NodeId| self.ready[id.index()];
        match kind {
            NodeKind::Number(_) | NodeKind::Bool(_) => 0,
            NodeKind::Series(_) | NodeKind::Ticker(_) | NodeKind::Sample { .. } => 1,
            NodeKind::Indicator { spec, source, .. } => {
                let own = self
                    .warmups
                    .get(&crate::program::spec_text(spec))
                    .and_then(|w| w.as_ref().ok().copied())
                    .unwrap_or(u32::MAX);
                match source {
                    Some(s) => r(s).saturating_add(own).saturating_sub(1),
                    None => own,
                }
            }
            NodeKind::History { of, bars } => r(of).saturating_add(*bars),
            NodeKind::Unary(_, x) => r(x),
            NodeKind::Binary(_, a, b) => r(a).max(r(b)),
            NodeKind::Window { of, bars, .. } => r(of).saturating_add(*bars).saturating_sub(1),
            NodeKind::BarsSince { cond, max } => r(cond).saturating_add(*max),
            NodeKind::Divergence {
                price,
                oscillator,
                lookback,
                ..
            } => r(price).max(r(oscillator)).saturating_add(*lookback),
        }
    }

    /// The node for output `field` of `spec` on `tf`, reading `source` when given. Measures the
    /// indicator's warm-up; reports a spec that fails to build at `span`.
    pub(crate) fn indicator_node(
        &mut self,
        spec: Spec,
        field: usize,
        source: Option<NodeId>,
        tf: Interval,
        span: Range<usize>,
    ) -> Lowered {
        let text = crate::program::spec_text(&spec);
        if !self.warmups.contains_key(&text) {
            if self.warmups.len() >= MAX_INDICATORS {
                return Err(self.too_complex(format!(
                    "the rule uses more than {MAX_INDICATORS} distinct indicators"
                )));
            }
            let measured = self.measure_warmup(&spec);
            self.warmups.insert(text.clone(), measured);
        }
        if let Some(Err(message)) = self.warmups.get(&text) {
            let message = message.clone();
            return Err(self.report(Diagnostic::new(Code::InvalidArgument, span, message)));
        }
        self.add(
            NodeKind::Indicator {
                spec,
                field,
                source,
            },
            tf,
        )
    }

    /// Reports once that node `id` (written as `expr`) needs more history than is kept.
    pub(super) fn check_history(&mut self, id: NodeId, expr: &Expr) {
        let ready = self.ready[id.index()];
        if ready > self.options.max_history && !self.history_reported {
            let tf = self.node(id).timeframe;
            let d = self.too_long(expr.span.clone(), tf, f64::from(ready));
            self.diagnostics.push(d);
        }
    }

    /// "needs N bars of history" at `span`; marks it reported.
    pub(super) fn too_long(&mut self, span: Range<usize>, tf: Interval, bars: f64) -> Diagnostic {
        self.history_reported = true;
        let max = self.options.max_history;
        let needs = if bars >= f64::from(u32::MAX) {
            format!("more than {max}")
        } else {
            bars.to_string()
        };
        let text = self.source.get(span.clone()).unwrap_or("this");
        Diagnostic::new(
            Code::HistoryTooLong,
            span.clone(),
            format!("`{text}` needs {needs} bars of {tf} history; Sift keeps {max}"),
        )
        .with_help("use shorter periods, or a longer interval with `@`, e.g. `sma(200) @ 1h`")
    }

    /// `a op b` on `tf`.
    pub(crate) fn binary(&mut self, op: BinaryOp, a: NodeId, b: NodeId, tf: Interval) -> Lowered {
        self.add(NodeKind::Binary(op, a, b), tf)
    }

    /// `x[bars]` on `tf`; `x` itself for 0 bars.
    pub(crate) fn history(&mut self, x: NodeId, bars: u32, tf: Interval) -> Lowered {
        if bars == 0 {
            return Ok(x);
        }
        self.add(NodeKind::History { of: x, bars }, tf)
    }

    /// A constant on `tf`.
    pub(crate) fn number(&mut self, x: f64, tf: Interval) -> Lowered {
        self.add(NodeKind::Number(x), tf)
    }

    /// A rolling window function on `tf`.
    pub(crate) fn window(
        &mut self,
        func: WindowFunc,
        of: NodeId,
        bars: u32,
        tf: Interval,
    ) -> Lowered {
        self.add(NodeKind::Window { func, of, bars }, tf)
    }
}
