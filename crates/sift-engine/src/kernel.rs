//! A kernel: the part of the plan one symbol runs, renumbered densely.
//!
//! Symbols screened by the same traders share one kernel (usually all of them: most traders
//! screen every symbol). Replays build temporary kernels over just the nodes they warm.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use sift_core::Interval;

use crate::key::KeyId;
use crate::op::Op;
use crate::plan::{Plan, TraderInfo};
use crate::slots::output_width;
use crate::step::{Step, StepOp, compile};

/// No index: the node has no state (or no history).
pub(crate) const NONE: u32 = u32::MAX;

/// One node of a kernel; inputs are kernel-local indices.
#[derive(Debug, Clone)]
pub(crate) struct KernelNode {
    /// Index in the plan the kernel was built from.
    pub(crate) plan: u32,
    pub(crate) key: KeyId,
    pub(crate) interval: Interval,
    pub(crate) op: Op,
    pub(crate) keep: u32,
    /// Index into the per-symbol dense state array, or [`NONE`].
    pub(crate) state: u32,
    /// Index into the per-symbol dense history array, or [`NONE`] when `keep` is 0.
    pub(crate) history: u32,
    /// Offset of an indicator's outputs in the per-symbol output array, or [`NONE`].
    pub(crate) output: u32,
}

/// One trader of a kernel.
#[derive(Debug, Clone)]
pub(crate) struct KernelTrader {
    /// Index in the plan's traders.
    pub(crate) plan: u32,
    /// Copies of the hot fields of `info`, to keep the per-close loop in one array.
    pub(crate) interval: Interval,
    pub(crate) cooldown_bars: u32,
    pub(crate) root: u32,
    pub(crate) info: Arc<TraderInfo>,
    /// The local node of each reference, parallel to `info.names`.
    pub(crate) references: Box<[u32]>,
}

/// The traders whose rule is one node: the edge (the rule turning true) is checked once per
/// group, the cooldown per trader.
#[derive(Debug, Clone)]
pub(crate) struct RootGroup {
    pub(crate) node: u32,
    pub(crate) interval: Interval,
    /// Kernel trader indices: the group's traders are contiguous, so their cooldown state is
    /// too.
    pub(crate) traders: Range<u32>,
}

/// How many rows of each kind a symbol's state takes (see [`Slots`](crate::slots::Slots) and
/// [`Block`](crate::block::Block)).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Shape {
    /// Nodes with state (indicator instances, `bars_since`, divergences).
    pub(crate) states: u32,
    /// Indicator outputs.
    pub(crate) outputs: u32,
    /// Nodes whose edge flags a block keeps: the traders' roots and the constants.
    pub(crate) flags: u32,
    /// Divergence nodes, whose state a block keeps in rows of their own.
    pub(crate) divergences: u32,
}

/// A dense, topologically ordered node list with its traders.
///
/// Only the edge flags of a trader's root are read while evaluating, so a
/// [`Block`](crate::block::Block) keeps flags for roots only, plus constants, whose flags are
/// not a function of their value before their first evaluation. For every other node the
/// newer flag is the truth of its value and the older one is never read: the next
/// evaluation shifts it out before any reader looks.
#[derive(Debug, Default)]
pub(crate) struct Kernel {
    pub(crate) nodes: Vec<KernelNode>,
    pub(crate) shape: Shape,
    /// Every node's step, in node order.
    steps: Vec<Step>,
    /// The steps of each interval's nodes, in node order; intervals ascending.
    by_interval: Vec<(Interval, Vec<Step>)>,
    /// Ordered by root node, then trader id.
    pub(crate) traders: Vec<KernelTrader>,
    /// Traders grouped by root node, ordered by node.
    pub(crate) roots: Vec<RootGroup>,
    keys: HashMap<KeyId, u32>,
}

impl Kernel {
    /// The kernel running plan traders `traders` (indices into `plan.traders`, ascending).
    pub(crate) fn for_traders(plan: &Plan, traders: &[u32]) -> Kernel {
        let mut nodes: Vec<u32> = traders
            .iter()
            .flat_map(|&t| plan.traders[t as usize].nodes.iter().copied())
            .collect();
        nodes.sort_unstable();
        nodes.dedup();
        Self::new(plan, &nodes, traders)
    }

    /// The kernel computing plan nodes `seeds` and traders `traders`, with everything they
    /// read.
    pub(crate) fn closure(plan: &Plan, seeds: &[u32], traders: &[u32]) -> Kernel {
        let mut wanted = vec![false; plan.nodes.len()];
        for &s in seeds {
            wanted[s as usize] = true;
        }
        for &t in traders {
            for &n in &plan.traders[t as usize].nodes {
                wanted[n as usize] = true;
            }
        }
        for i in (0..plan.nodes.len()).rev() {
            if wanted[i] {
                for input in plan.nodes[i].op.inputs() {
                    wanted[input as usize] = true;
                }
            }
        }
        let nodes: Vec<u32> = (0..plan.nodes.len() as u32)
            .filter(|&i| wanted[i as usize])
            .collect();
        Self::new(plan, &nodes, traders)
    }

    /// `nodes`: ascending plan indices, closed under inputs.
    fn new(plan: &Plan, nodes: &[u32], traders: &[u32]) -> Kernel {
        let local: HashMap<u32, u32> = nodes
            .iter()
            .enumerate()
            .map(|(l, &p)| (p, l as u32))
            .collect();
        let to_local = |p: u32| local.get(&p).copied().unwrap_or(u32::MAX);
        let (mut states, mut histories, mut outputs) = (0u32, 0u32, 0u32);
        let next = |counter: &mut u32, present: bool| {
            if present {
                *counter += 1;
                *counter - 1
            } else {
                NONE
            }
        };
        let kernel_nodes: Vec<KernelNode> = nodes
            .iter()
            .map(|&p| {
                let node = &plan.nodes[p as usize];
                let width = output_width(&node.op) as u32;
                let output = if width > 0 {
                    outputs += width;
                    outputs - width
                } else {
                    NONE
                };
                KernelNode {
                    output,
                    plan: p,
                    key: node.key,
                    interval: node.interval,
                    op: node.op.map_inputs(to_local),
                    keep: node.keep,
                    state: next(&mut states, node.op.has_state()),
                    history: next(&mut histories, node.keep > 0),
                }
            })
            .collect();
        let mut flagged = vec![false; kernel_nodes.len()];
        for &t in traders {
            if let Some(f) = flagged.get_mut(to_local(plan.traders[t as usize].root) as usize) {
                *f = true;
            }
        }
        for (f, node) in flagged.iter_mut().zip(&kernel_nodes) {
            *f |= matches!(node.op, Op::Const(_));
        }
        let (mut flags, mut divergences) = (0u32, 0u32);
        let mut steps: Vec<Step> = (0..kernel_nodes.len())
            .map(|l| compile(&kernel_nodes, l, next(&mut flags, flagged[l])))
            .collect();
        for step in &mut steps {
            if let StepOp::Divergence { row, .. } = &mut step.op {
                *row = next(&mut divergences, true);
            }
        }
        let shape = Shape {
            states,
            outputs,
            flags,
            divergences,
        };
        let mut by_interval: Vec<(Interval, Vec<Step>)> = Vec::new();
        for step in &steps {
            match by_interval.iter_mut().find(|(iv, _)| *iv == step.interval) {
                Some((_, list)) => list.push(*step),
                None => by_interval.push((step.interval, vec![*step])),
            }
        }
        by_interval.sort_by_key(|(iv, _)| *iv);
        let mut traders: Vec<KernelTrader> = traders
            .iter()
            .map(|&t| {
                let trader = &plan.traders[t as usize];
                KernelTrader {
                    plan: t,
                    interval: trader.info.interval,
                    cooldown_bars: trader.info.cooldown_bars,
                    root: to_local(trader.root),
                    info: Arc::clone(&trader.info),
                    references: trader
                        .info
                        .references
                        .iter()
                        .map(|&p| to_local(p))
                        .collect(),
                }
            })
            .collect();
        traders.sort_by_key(|t| (t.root, t.plan));
        let mut roots: Vec<RootGroup> = Vec::new();
        for (t, trader) in traders.iter().enumerate() {
            let t = t as u32;
            match roots.last_mut() {
                Some(group) if group.node == trader.root => group.traders.end = t + 1,
                _ => roots.push(RootGroup {
                    node: trader.root,
                    interval: trader.interval,
                    traders: t..t + 1,
                }),
            }
        }
        let keys = kernel_nodes
            .iter()
            .enumerate()
            .map(|(l, n)| (n.key, l as u32))
            .collect();
        Kernel {
            nodes: kernel_nodes,
            shape,
            steps,
            by_interval,
            traders,
            roots,
            keys,
        }
    }

    /// The local node with this key.
    pub(crate) fn find(&self, key: KeyId) -> Option<u32> {
        self.keys.get(&key).copied()
    }

    /// Every node's step, in node order.
    pub(crate) fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The steps of the nodes of `interval`, in node order.
    pub(crate) fn nodes_of(&self, interval: Interval) -> &[Step] {
        self.by_interval
            .iter()
            .find(|(iv, _)| *iv == interval)
            .map_or(&[], |(_, list)| list.as_slice())
    }

    /// Intervals with nodes or traders, ascending.
    pub(crate) fn intervals(&self) -> Vec<Interval> {
        let mut out: Vec<Interval> = self.by_interval.iter().map(|(iv, _)| *iv).collect();
        out.extend(self.traders.iter().map(|t| t.info.interval));
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use sift_rules::{CheckOptions, check};

    use super::*;
    use crate::key::Interner;
    use crate::{Trader, TraderId};

    fn plan(rules: &[&str]) -> Plan {
        let traders: Vec<Trader> = rules
            .iter()
            .enumerate()
            .map(|(i, rule)| {
                let program = check(rule, &CheckOptions::new(Interval::M1)).unwrap();
                Trader::new(TraderId(i as u64), *rule, Arc::new(program))
            })
            .collect();
        Plan::compile(&traders, &mut Interner::default()).unwrap()
    }

    #[test]
    fn a_kernel_runs_only_its_traders_nodes_densely_numbered() {
        let plan = plan(&["rsi(14) < 30", "macd(12, 26, 9).hist > 0", "rsi(14) < 30"]);
        let kernel = Kernel::for_traders(&plan, &[0, 2]);
        assert_eq!(kernel.nodes.len(), 4);
        assert_eq!(kernel.traders.len(), 2);
        // Both traders share one rule: one root group holding both.
        assert_eq!(kernel.roots.len(), 1);
        assert_eq!(kernel.roots[0].traders, 0..2);
        let indicator = &kernel.nodes[0];
        assert_eq!((indicator.state, indicator.output), (0, 0));
        assert!(kernel.nodes[1..].iter().all(|n| n.state == NONE));
        assert_eq!(kernel.nodes_of(Interval::M1).len(), 4);
        assert!(kernel.nodes_of(Interval::H1).is_empty());
        assert_eq!(kernel.intervals(), [Interval::M1]);

        let all = Kernel::for_traders(&plan, &[0, 1, 2]);
        let macd = all
            .nodes
            .iter()
            .find(|n| n.op.has_state() && n.output != 0)
            .unwrap();
        // rsi writes one output, so macd's three start at 1.
        assert_eq!(macd.output, 1);
        assert_eq!(all.find(indicator.key), Some(0));
    }

    #[test]
    fn a_closure_holds_seeds_and_everything_they_read() {
        let plan = plan(&["close > sma(close, 5)[2]"]);
        let root = plan.traders[0].root;
        let kernel = Kernel::closure(&plan, &[root], &[]);
        assert_eq!(kernel.nodes.len(), plan.nodes.len());
        assert!(kernel.traders.is_empty());
        let history = plan
            .nodes
            .iter()
            .position(|n| matches!(n.op, Op::History { .. }))
            .unwrap() as u32;
        let partial = Kernel::closure(&plan, &[history], &[]);
        // The sma instance (it reads candles itself), its value and the history node; not
        // close nor the comparison.
        assert_eq!(partial.nodes.len(), 3);
        assert!(partial.nodes.iter().any(|n| n.history != NONE));
    }
}
