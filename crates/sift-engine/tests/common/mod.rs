//! Shared helpers for the engine's integration tests: candles, symbols, and programs built by
//! hand (node by node), so the engine is tested independently of the rule checker.

#![allow(dead_code, unreachable_pub)]

pub mod random;

use std::sync::Arc;

use sift_core::{Candle, Interval, Symbol};
use sift_engine::{Trader, TraderId};
use sift_indicators::{Source, Spec};
use sift_rules::program::{
    BinaryOp, Node, NodeId, NodeKind, Program, Reference, Type, UnaryOp, WindowFunc,
};

pub const MINUTE: i64 = 60_000;

pub fn sym(name: &str) -> Symbol {
    Symbol::new(name).expect("a valid symbol name")
}

/// A closed candle of `interval` opening at `open_time`, flat at `close` unless `high`/`low`
/// are adjusted.
pub fn candle(interval: Interval, open_time: i64, close: f64, volume: f64) -> Candle {
    let mut c = Candle::ohlcv(open_time, close, close, close, close, volume);
    c.close_time = interval.close_time(open_time);
    c
}

/// Builds a [`Program`] node by node.
#[derive(Debug)]
pub struct Builder {
    interval: Interval,
    nodes: Vec<Node>,
    references: Vec<Reference>,
    text: String,
}

impl Builder {
    pub fn new(interval: Interval, text: &str) -> Self {
        Self {
            interval,
            nodes: Vec::new(),
            references: Vec::new(),
            text: text.to_owned(),
        }
    }

    fn push(&mut self, kind: NodeKind, timeframe: Interval, ty: Type) -> NodeId {
        let node = Node {
            kind,
            timeframe,
            ty,
        };
        if let Some(i) = self.nodes.iter().position(|n| *n == node) {
            return NodeId(i as u32);
        }
        self.nodes.push(node);
        NodeId(self.nodes.len() as u32 - 1)
    }

    fn tf(&self, id: NodeId) -> Interval {
        self.nodes[id.index()].timeframe
    }

    fn ty(&self, id: NodeId) -> Type {
        self.nodes[id.index()].ty
    }

    pub fn num(&mut self, x: f64) -> NodeId {
        self.push(NodeKind::Number(x), self.interval, Type::Number)
    }

    pub fn num_on(&mut self, tf: Interval, x: f64) -> NodeId {
        self.push(NodeKind::Number(x), tf, Type::Number)
    }

    pub fn series(&mut self, tf: Interval, source: Source) -> NodeId {
        self.push(NodeKind::Series(source), tf, Type::Number)
    }

    pub fn push_ticker(&mut self, field: sift_rules::program::TickerField) -> NodeId {
        self.push(NodeKind::Ticker(field), self.interval, Type::Number)
    }

    pub fn close(&mut self) -> NodeId {
        self.series(self.interval, Source::Close)
    }

    /// Output `field` of the indicator `spec` (text as `Spec::parse` reads it).
    pub fn ind(
        &mut self,
        tf: Interval,
        spec: &str,
        field: usize,
        source: Option<NodeId>,
    ) -> NodeId {
        let spec = Spec::parse(spec).expect("a valid indicator spec");
        let ty = if spec.def().category == sift_indicators::registry::Category::Pattern {
            Type::Bool
        } else {
            Type::Number
        };
        self.push(
            NodeKind::Indicator {
                spec,
                field,
                source,
            },
            tf,
            ty,
        )
    }

    pub fn bin(&mut self, op: BinaryOp, a: NodeId, b: NodeId) -> NodeId {
        let ty = match op {
            BinaryOp::Add
            | BinaryOp::Sub
            | BinaryOp::Mul
            | BinaryOp::Div
            | BinaryOp::Min
            | BinaryOp::Max => Type::Number,
            _ => Type::Bool,
        };
        self.push(NodeKind::Binary(op, a, b), self.tf(a), ty)
    }

    pub fn not(&mut self, a: NodeId) -> NodeId {
        self.push(NodeKind::Unary(UnaryOp::Not, a), self.tf(a), Type::Bool)
    }

    pub fn hist(&mut self, of: NodeId, bars: u32) -> NodeId {
        self.push(NodeKind::History { of, bars }, self.tf(of), self.ty(of))
    }

    pub fn sample(&mut self, of: NodeId) -> NodeId {
        self.push(NodeKind::Sample { of }, self.interval, self.ty(of))
    }

    pub fn window(&mut self, func: WindowFunc, of: NodeId, bars: u32) -> NodeId {
        self.push(
            NodeKind::Window { func, of, bars },
            self.tf(of),
            Type::Number,
        )
    }

    pub fn bars_since(&mut self, cond: NodeId, max: u32) -> NodeId {
        self.push(
            NodeKind::BarsSince { cond, max },
            self.tf(cond),
            Type::Number,
        )
    }

    pub fn divergence(
        &mut self,
        kind: sift_indicators::structure::DivergenceKind,
        price: NodeId,
        oscillator: NodeId,
        lookback: u32,
        min_sep: u32,
    ) -> NodeId {
        self.push(
            NodeKind::Divergence {
                kind,
                price,
                oscillator,
                lookback,
                min_sep,
            },
            self.tf(price),
            Type::Bool,
        )
    }

    /// `crossover(a, b)`: `a[1] <= b[1] and a > b`.
    pub fn crossover(&mut self, a: NodeId, b: NodeId) -> NodeId {
        let (a1, b1) = (self.hist(a, 1), self.hist(b, 1));
        let before = self.bin(BinaryOp::Le, a1, b1);
        let now = self.bin(BinaryOp::Gt, a, b);
        self.bin(BinaryOp::And, before, now)
    }

    pub fn reference(&mut self, text: &str, node: NodeId) {
        self.references.push(Reference {
            text: text.to_owned(),
            span: 0..text.len(),
            node,
        });
    }

    pub fn build(self, root: NodeId) -> Program {
        let mut history = vec![0u32; self.nodes.len()];
        for node in &self.nodes {
            match node.kind {
                NodeKind::History { of, bars } => {
                    history[of.index()] = history[of.index()].max(bars);
                }
                NodeKind::Window { of, bars, .. } => {
                    history[of.index()] = history[of.index()].max(bars - 1);
                }
                _ => {}
            }
        }
        let mut timeframes: Vec<Interval> = self.nodes.iter().map(|n| n.timeframe).collect();
        timeframes.push(self.interval);
        timeframes.sort_unstable();
        timeframes.dedup();
        let warmup = timeframes.iter().map(|&tf| (tf, 1)).collect();
        Program {
            source: self.text,
            interval: self.interval,
            nodes: self.nodes,
            root,
            bindings: Vec::new(),
            references: self.references,
            timeframes,
            warmup,
            history,
            warnings: Vec::new(),
        }
    }
}

/// A trader with id `id` running `program`.
pub fn trader(id: u64, program: Program) -> Trader {
    Trader::new(TraderId(id), format!("t{id}"), Arc::new(program))
}

/// `close > level` on `interval`, with `close` referenced.
pub fn close_above(interval: Interval, level: f64) -> Program {
    let mut b = Builder::new(interval, &format!("close > {level}"));
    let close = b.close();
    let lvl = b.num(level);
    let root = b.bin(BinaryOp::Gt, close, lvl);
    b.reference("close", close);
    b.build(root)
}
