//! Per-symbol node state: current values, value histories, indicator instances.

use sift_indicators::DynIndicator;
use sift_indicators::structure::Divergence;

use crate::history::History;
use crate::kernel::{Kernel, KernelNode, NONE};
use crate::op::Op;
use crate::value::UNDEFINED;

/// The state of one node beyond its value.
#[derive(Debug)]
pub(crate) enum NodeState {
    /// Stateless.
    None,
    /// An indicator instance, whose latest outputs are in [`Slots::outputs`] (valid when the
    /// node's value is 1.0). `None` if the spec failed to build, which plan compilation rules
    /// out.
    Indicator(Option<Box<dyn DynIndicator>>),
    /// Bars since the condition was last true, while at most the node's `max`.
    BarsSince(Option<u32>),
    Divergence(Option<Box<Divergence>>),
}

impl NodeState {
    /// The state of a node of `op` that has seen no candle yet.
    pub(crate) fn fresh(op: &Op) -> NodeState {
        match op {
            Op::Indicator { spec, .. } => NodeState::Indicator(spec.build().ok()),
            Op::BarsSince { .. } => NodeState::BarsSince(None),
            Op::Divergence {
                kind,
                lookback,
                min_sep,
                ..
            } => NodeState::Divergence(
                Divergence::new(*kind, *lookback as usize, *min_sep as usize)
                    .ok()
                    .map(Box::new),
            ),
            _ => NodeState::None,
        }
    }
}

/// The value of a node of `op` that has seen no candle yet: its constant, else undefined.
pub(crate) fn fresh_value(op: &Op) -> f64 {
    match op {
        Op::Const(x) => *x,
        _ => UNDEFINED,
    }
}

/// One node's whole state, moved between kernels when the plan changes.
#[derive(Debug)]
pub(crate) struct Slot {
    value: f64,
    flags: u8,
    history: Option<History>,
    state: NodeState,
    /// Indicator outputs; empty for other nodes.
    outputs: Vec<f64>,
}

impl Slot {
    /// A node that has seen no candle yet.
    pub(crate) fn fresh(node: &KernelNode) -> Slot {
        Slot {
            value: fresh_value(&node.op),
            flags: 0,
            history: (node.keep > 0).then(|| History::new(node.keep as usize + 1)),
            state: NodeState::fresh(&node.op),
            outputs: vec![UNDEFINED; output_width(&node.op)],
        }
    }

    /// Whether this slot, built for some node, keeps enough history for `node`.
    pub(crate) fn fits(&self, node: &KernelNode) -> bool {
        node.keep == 0
            || self
                .history
                .as_ref()
                .is_some_and(|h| h.capacity() > node.keep as usize)
    }
}

/// The state of every node of a kernel, for one symbol.
///
/// Struct of arrays, and dense: `states` holds only the nodes with state and `histories` only
/// those with history, in node order (a [`KernelNode`] knows its index in each). Every close
/// walks a symbol's whole state, so keeping it compact and sequential is what keeps the
/// per-close loop out of cache misses.
#[derive(Debug, Default)]
pub(crate) struct Slots {
    pub(crate) values: Vec<f64>,
    /// Truth of the value at the last two evaluations: bit 0 now, bit 1 the one before. The
    /// edge trigger of a rule reads its root's.
    pub(crate) flags: Vec<u8>,
    /// By [`KernelNode::state`].
    pub(crate) states: Vec<NodeState>,
    /// By [`KernelNode::history`].
    pub(crate) histories: Vec<History>,
    /// Indicator outputs, from [`KernelNode::output`], one per field (at least one).
    pub(crate) outputs: Vec<f64>,
}

/// How many output values an indicator node writes: one per field, at least one.
pub(crate) fn output_width(op: &Op) -> usize {
    match op {
        Op::Indicator { spec, .. } => spec.def().fields.len().max(1),
        _ => 0,
    }
}

impl Slots {
    /// Fresh state for every node of `kernel`.
    pub(crate) fn fresh(kernel: &Kernel) -> Slots {
        let mut slots = Slots::default();
        for node in &kernel.nodes {
            slots.push(node, Slot::fresh(node));
        }
        slots
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    /// Appends the state of the next node, `node`; `slot` must fit it.
    pub(crate) fn push(&mut self, node: &KernelNode, slot: Slot) {
        self.values.push(slot.value);
        self.flags.push(slot.flags);
        if node.state != NONE {
            self.states.push(slot.state);
        }
        if node.history != NONE {
            let history = slot
                .history
                .unwrap_or_else(|| History::new(node.keep as usize + 1));
            self.histories.push(history);
        }
        if node.output != NONE {
            let width = output_width(&node.op);
            let mut outputs = slot.outputs;
            outputs.resize(width, UNDEFINED);
            self.outputs.extend(outputs);
        }
    }

    /// Moves the state of node `i` (`node`) out, leaving an empty placeholder.
    pub(crate) fn take(&mut self, node: &KernelNode, i: usize) -> Slot {
        let state = match node.state {
            NONE => NodeState::None,
            s => std::mem::replace(&mut self.states[s as usize], NodeState::None),
        };
        let history = match node.history {
            NONE => None,
            h => Some(std::mem::replace(
                &mut self.histories[h as usize],
                History::new(1),
            )),
        };
        let outputs = match node.output {
            NONE => Vec::new(),
            o => {
                let range = o as usize..o as usize + output_width(&node.op);
                self.outputs[range].to_vec()
            }
        };
        Slot {
            value: std::mem::replace(&mut self.values[i], UNDEFINED),
            flags: std::mem::take(&mut self.flags[i]),
            history,
            state,
            outputs,
        }
    }

    /// Replaces the state of node `i` (`node`); `slot` must fit it.
    pub(crate) fn put(&mut self, node: &KernelNode, i: usize, slot: Slot) {
        self.values[i] = slot.value;
        self.flags[i] = slot.flags;
        if node.state != NONE {
            self.states[node.state as usize] = slot.state;
        }
        if let (h, Some(history)) = (node.history, slot.history)
            && h != NONE
        {
            self.histories[h as usize] = history;
        }
        if node.output != NONE {
            let start = node.output as usize;
            let width = output_width(&node.op).min(slot.outputs.len());
            self.outputs[start..start + width].copy_from_slice(&slot.outputs[..width]);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sift_core::Interval;
    use sift_indicators::Spec;

    use super::*;
    use crate::key::{Interner, KeyKind, NodeKey};

    fn node(op: Op, keep: u32) -> KernelNode {
        let mut interner = Interner::default();
        let state = if matches!(op, Op::Indicator { .. }) {
            0
        } else {
            NONE
        };
        KernelNode {
            plan: 0,
            state,
            output: state,
            history: if keep > 0 { 0 } else { NONE },
            key: interner.intern(NodeKey {
                interval: Interval::M1,
                kind: KeyKind::Const(0),
            }),
            interval: Interval::M1,
            op,
            keep,
        }
    }

    #[test]
    fn fresh_slots_build_state_and_history() {
        let spec = Arc::new(Spec::parse("macd").unwrap());
        let slot = Slot::fresh(&node(Op::Indicator { spec, source: None }, 0));
        assert!(matches!(slot.state, NodeState::Indicator(Some(_))));
        assert_eq!(slot.outputs.len(), 3);
        assert!(slot.value.is_nan());

        let constant = Slot::fresh(&node(Op::Const(2.5), 3));
        assert_eq!(constant.value, 2.5);
        assert!(constant.fits(&node(Op::Const(2.5), 3)));
        assert!(!constant.fits(&node(Op::Const(2.5), 4)));
        assert!(Slot::fresh(&node(Op::Const(1.0), 0)).fits(&node(Op::Const(1.0), 0)));
    }

    #[test]
    fn take_and_put_move_state() {
        let mut slots = Slots::default();
        let n = node(Op::Const(1.0), 2);
        slots.push(&n, Slot::fresh(&n));
        slots.histories[0].push(4.0);
        let slot = slots.take(&n, 0);
        assert!(slots.values[0].is_nan() && slots.histories[0].len() == 0);
        slots.put(&n, 0, slot);
        assert_eq!(slots.values[0], 1.0);
        assert_eq!(slots.histories[0].get(0), Some(4.0));
        assert_eq!(slots.len(), 1);
        assert!(slots.states.is_empty());
    }
}
