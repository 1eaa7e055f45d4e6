//! Steps: a kernel's nodes flattened for the per-close loop.
//!
//! A [`KernelNode`] carries what rebinding and replays need (plan index, key, the shared
//! [`Op`] with its spec). The per-close loop needs much less, so each node is also compiled
//! into a small `Copy` [`Step`] whose indices are already resolved: where an indicator's
//! outputs start, which history a `x[n]` or window reads. A kernel's steps are one contiguous
//! array walked in order, a few words per node and a single dispatch.

use sift_core::Interval;
use sift_indicators::Source;
use sift_rules::program::{BinaryOp, TickerField, UnaryOp};

use crate::kernel::{KernelNode, NONE};
use crate::op::Op;
use crate::slots::output_width;

/// One node, ready to evaluate. Indices are kernel-local; [`NONE`] means absent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step {
    /// The node whose value and flags this step writes.
    pub(crate) node: u32,
    /// The node's own history, pushed after evaluation, or [`NONE`].
    pub(crate) history: u32,
    /// The node's row of edge flags in a [`Block`](crate::block::Block), or [`NONE`] when the
    /// block need not keep them (see [`Kernel`](crate::kernel::Kernel)).
    pub(crate) flag: u32,
    pub(crate) interval: Interval,
    pub(crate) op: StepOp,
}

/// An [`Op`] with its indices resolved into the per-symbol arrays.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StepOp {
    Const(f64),
    Series(Source),
    Ticker(TickerField),
    /// `source`: the input node or [`NONE`]; `state` and `output` index the per-symbol state
    /// and output arrays.
    Indicator {
        source: u32,
        state: u32,
        output: u32,
        /// Outputs written: one per field, at least one.
        width: u32,
    },
    /// `output`: the absolute index of the field in the output array; `instance` the node whose
    /// value says whether the outputs are current.
    Field {
        instance: u32,
        output: u32,
        boolean: bool,
    },
    /// The current value of `of` (`x[0]` and samples of another timeframe).
    Copy {
        of: u32,
    },
    /// `bars` (at least 1) values ago of the history `history` ([`NONE`]: none kept).
    Past {
        history: u32,
        bars: u32,
    },
    Unary(UnaryOp, u32),
    /// Arithmetic and the rarer operations; the commonest ones (comparisons, `and`, `or`)
    /// have their own variants below, so they dispatch once rather than twice.
    Binary(BinaryOp, u32, u32),
    Lt(u32, u32),
    Le(u32, u32),
    Gt(u32, u32),
    Ge(u32, u32),
    And(u32, u32),
    Or(u32, u32),
    /// Windows over the last `bars` values of `of`, from its history `history` (or, with none
    /// kept, its current value alone when `bars` is 1).
    Sum {
        of: u32,
        history: u32,
        bars: u32,
    },
    Count {
        of: u32,
        history: u32,
        bars: u32,
    },
    BarsSince {
        cond: u32,
        state: u32,
        max: u32,
    },
    /// `row`: the node's row of divergences in a [`Block`](crate::block::Block), numbered by
    /// the kernel.
    Divergence {
        price: u32,
        oscillator: u32,
        state: u32,
        row: u32,
    },
}

/// Compiles node `i` of `nodes` (kernel-local, topological) into its step; `flag` is its row
/// of edge flags in a block, or [`NONE`].
pub(crate) fn compile(nodes: &[KernelNode], i: usize, flag: u32) -> Step {
    let node = &nodes[i];
    let history_of = |n: u32| nodes.get(n as usize).map_or(NONE, |n| n.history);
    let op = match node.op {
        Op::Const(x) => StepOp::Const(x),
        Op::Series(source) => StepOp::Series(source),
        Op::Ticker(field) => StepOp::Ticker(field),
        Op::Indicator { source, .. } => StepOp::Indicator {
            source: source.unwrap_or(NONE),
            state: node.state,
            output: node.output,
            width: output_width(&node.op) as u32,
        },
        Op::Field {
            instance,
            field,
            boolean,
        } => StepOp::Field {
            instance,
            output: nodes
                .get(instance as usize)
                .and_then(|n| n.output.checked_add(field))
                .unwrap_or(NONE),
            boolean,
        },
        Op::History { of, bars: 0 } | Op::Sample { of } => StepOp::Copy { of },
        Op::History { of, bars } => StepOp::Past {
            history: history_of(of),
            bars,
        },
        Op::Unary(op, a) => StepOp::Unary(op, a),
        Op::Binary(op, a, b) => match op {
            BinaryOp::Lt => StepOp::Lt(a, b),
            BinaryOp::Le => StepOp::Le(a, b),
            BinaryOp::Gt => StepOp::Gt(a, b),
            BinaryOp::Ge => StepOp::Ge(a, b),
            BinaryOp::And => StepOp::And(a, b),
            BinaryOp::Or => StepOp::Or(a, b),
            _ => StepOp::Binary(op, a, b),
        },
        Op::Sum { of, bars } => StepOp::Sum {
            of,
            history: history_of(of),
            bars,
        },
        Op::Count { of, bars } => StepOp::Count {
            of,
            history: history_of(of),
            bars,
        },
        Op::BarsSince { cond, max } => StepOp::BarsSince {
            cond,
            state: node.state,
            max,
        },
        Op::Divergence {
            price, oscillator, ..
        } => StepOp::Divergence {
            price,
            oscillator,
            state: node.state,
            row: NONE,
        },
    };
    Step {
        node: i as u32,
        history: node.history,
        flag,
        interval: node.interval,
        op,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sift_rules::{CheckOptions, check};

    use super::*;
    use crate::kernel::Kernel;
    use crate::key::Interner;
    use crate::plan::Plan;
    use crate::{Trader, TraderId};

    #[test]
    fn steps_resolve_outputs_and_histories() {
        let program = check(
            "macd(12, 26, 9).hist > close[2] and sum(volume, 3) > 1",
            &CheckOptions::new(Interval::M1),
        )
        .unwrap();
        let trader = Trader::new(TraderId(1), "t", Arc::new(program));
        let plan = Plan::compile(&[trader], &mut Interner::default()).unwrap();
        let kernel = Kernel::for_traders(&plan, &[0]);
        let steps: Vec<Step> = (0..kernel.nodes.len())
            .map(|i| compile(&kernel.nodes, i, NONE))
            .collect();
        assert!(steps.iter().enumerate().all(|(i, s)| s.node as usize == i));
        let field = steps
            .iter()
            .find_map(|s| match s.op {
                StepOp::Field { output, .. } => Some(output),
                _ => None,
            })
            .unwrap();
        // hist is macd's third output, and macd's outputs start at 0.
        assert_eq!(field, 2);
        let pasts = steps
            .iter()
            .filter(|s| matches!(s.op, StepOp::Past { history, bars: 2 } if history != NONE))
            .count();
        assert_eq!(pasts, 1);
        assert!(
            steps
                .iter()
                .any(|s| matches!(s.op, StepOp::Sum { history, bars: 3, .. } if history != NONE))
        );
    }
}
