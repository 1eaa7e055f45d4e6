//! Blocks: the node state of up to [`LANES`] symbols that run the same kernel, node-major.
//!
//! A [`Slots`] holds one symbol's state symbol-major (every node of that symbol together),
//! which suits replays of one symbol. At a live close every symbol of a kernel runs the same
//! nodes, so a block stores each node's state for all its symbols (its *lanes*) side by side:
//! a node is decoded once per block, and its lanes run in a tight loop over contiguous rows
//! that the compiler vectorises ([`crate::lanes`]). A lane's state moves in and out of a block
//! as a [`Slots`] ([`Block::put`], [`Block::take`]), which is how rebuilds and rebinds reuse
//! the symbol-major code.

use std::sync::Arc;

use sift_core::Symbol;
use sift_indicators::structure::DivergenceLanes;

use crate::history::{History, HistoryRow};
use crate::kernel::{Kernel, NONE};
use crate::matches::Found;
use crate::op::Op;
use crate::signal::{Cooldowns, NEVER};
use crate::slots::{NodeState, Slots, fresh_value};
use crate::step::StepOp;
use crate::value::{UNDEFINED, truthy};

/// Symbols per block: enough to amortise decoding a node, few enough that a block's rows stay
/// in a core's cache and that blocks spread over threads evenly.
pub(crate) const LANES: usize = Mask::BITS as usize;

/// A bit per lane.
pub(crate) type Mask = u64;

/// The edge flags of one node over a block's lanes: whether its value was true at the last
/// evaluation (`now`) and at the one before (`before`), a bit per lane.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Flags {
    pub(crate) now: Mask,
    pub(crate) before: Mask,
}

impl Flags {
    /// Records an evaluation of the lanes `active` whose values are true in `truth`.
    #[inline]
    pub(crate) fn shift(&mut self, active: Mask, truth: Mask) {
        self.before = (self.before & !active) | (self.now & active);
        self.now = (self.now & !active) | (truth & active);
    }

    /// Lane `lane`'s flags as a [`Slots`] keeps them: bit 0 now, bit 1 before.
    fn get(self, lane: usize) -> u8 {
        (((self.before >> lane) & 1) << 1) as u8 | ((self.now >> lane) & 1) as u8
    }

    fn set(&mut self, lane: usize, flags: u8) {
        let bit = 1 << lane;
        self.now = (self.now & !bit) | (Mask::from(flags & 1) << lane);
        self.before = (self.before & !bit) | (Mask::from((flags >> 1) & 1) << lane);
    }
}

/// The state of up to `width` symbols running one kernel. Row `r` of an array holds lane `l` at
/// `r * width + l`; an indicator's outputs are rows too, one per field. A block starts narrow
/// and doubles its width as symbols join, up to [`LANES`], so that kernels of few symbols
/// (traders screening lists of symbols make many) take little memory.
#[derive(Debug)]
pub(crate) struct Block {
    pub(crate) kernel: Arc<Kernel>,
    /// Lanes of every row: a power of two, at most [`LANES`].
    pub(crate) width: usize,
    /// The engine's index of the symbol in each used lane.
    pub(crate) symbols: Vec<u32>,
    /// The symbol in each used lane, kept with the block for the matches.
    pub(crate) lane_symbols: Vec<Symbol>,
    /// Per used lane, a bit per interval (`1 << interval as usize`) with a candle closing at
    /// the instant being processed.
    pub(crate) pending: Vec<u32>,
    /// By node.
    pub(crate) values: Vec<f64>,
    /// By [`Step::flag`](crate::step::Step::flag).
    pub(crate) flags: Vec<Flags>,
    /// By [`KernelNode::state`](crate::kernel::KernelNode::state).
    pub(crate) states: Vec<NodeState>,
    /// By the `row` of [`StepOp::Divergence`]: the lanes' divergences of that node together,
    /// laid out so that a close updating them one after the other walks memory in order
    /// (their entries in `states` stay empty). `None` for parameters that do not build, which
    /// plan compilation rules out.
    pub(crate) divergences: Vec<Option<DivergenceLanes>>,
    /// By [`KernelNode::history`](crate::kernel::KernelNode::history).
    pub(crate) histories: Vec<HistoryRow>,
    /// From [`KernelNode::output`](crate::kernel::KernelNode::output) times `width`.
    pub(crate) outputs: Vec<f64>,
    /// Open time of each kernel trader's last signal, by trader ([`NEVER`]: none).
    pub(crate) cooldowns: Vec<i64>,
    /// The matches of the last instant.
    pub(crate) found: Found,
}

impl Block {
    /// An empty block for `kernel`, `width` lanes wide (a power of two, at most [`LANES`]).
    pub(crate) fn new(kernel: Arc<Kernel>, width: usize) -> Self {
        let shape = kernel.shape;
        let rows = |n: usize| n * width;
        let mut states = Vec::with_capacity(rows(shape.states as usize));
        states.resize_with(rows(shape.states as usize), || NodeState::None);
        let histories = kernel
            .nodes
            .iter()
            .filter(|n| n.history != NONE)
            .map(|n| HistoryRow::new(n.keep as usize + 1, width))
            .collect();
        Self {
            width,
            symbols: Vec::with_capacity(width),
            lane_symbols: Vec::with_capacity(width),
            pending: Vec::with_capacity(width),
            values: vec![UNDEFINED; rows(kernel.nodes.len())],
            flags: vec![Flags::default(); shape.flags as usize],
            states,
            divergences: divergence_rows(&kernel, width),
            histories,
            outputs: vec![UNDEFINED; rows(shape.outputs as usize)],
            cooldowns: vec![NEVER; rows(kernel.traders.len())],
            found: Found::default(),
            kernel,
        }
    }

    pub(crate) fn is_full(&self) -> bool {
        self.symbols.len() == self.width
    }

    /// Doubles the width (up to [`LANES`]), keeping every lane's state.
    pub(crate) fn widen(&mut self) {
        let (from, to) = (self.width, (self.width * 2).min(LANES));
        if to == from {
            return;
        }
        fn relayout<T>(rows: &mut Vec<T>, from: usize, to: usize, empty: impl Fn() -> T) {
            let mut old = std::mem::take(rows).into_iter();
            let count = old.len() / from;
            rows.reserve_exact(count * to);
            for _ in 0..count {
                rows.extend(old.by_ref().take(from));
                rows.extend((from..to).map(|_| empty()));
            }
        }
        relayout(&mut self.values, from, to, || UNDEFINED);
        relayout(&mut self.states, from, to, || NodeState::None);
        for row in self.divergences.iter_mut().flatten() {
            row.resize(to);
        }
        relayout(&mut self.outputs, from, to, || UNDEFINED);
        relayout(&mut self.cooldowns, from, to, || NEVER);
        let nodes = self.kernel.nodes.iter().filter(|n| n.history != NONE);
        for (row, node) in self.histories.iter_mut().zip(nodes) {
            row.widen(to, node.keep as usize + 1);
        }
        self.width = to;
    }

    /// Adds symbol `symbol` with its state; returns its lane.
    ///
    /// # Panics
    /// When the block is full.
    pub(crate) fn push(
        &mut self,
        (symbol, name): (u32, &Symbol),
        slots: Slots,
        cooldowns: &Cooldowns,
    ) -> usize {
        assert!(!self.is_full(), "a full block takes no symbol");
        let lane = self.symbols.len();
        self.symbols.push(symbol);
        self.lane_symbols.push(name.clone());
        self.pending.push(0);
        self.put(lane, slots, cooldowns);
        lane
    }

    /// Adds symbol `symbol` with the state of a symbol that has seen no candle, but for the
    /// state of its stateful nodes, which [`Block::build_fresh`] adds; returns its lane.
    ///
    /// # Panics
    /// When the block is full.
    pub(crate) fn push_fresh(&mut self, (symbol, name): (u32, &Symbol)) -> usize {
        assert!(!self.is_full(), "a full block takes no symbol");
        let lane = self.symbols.len();
        self.symbols.push(symbol);
        self.lane_symbols.push(name.clone());
        self.pending.push(0);
        self.reset(lane);
        lane
    }

    /// Gives lane `lane` the state of a symbol that has seen no candle, but for the state of
    /// its stateful nodes, which [`Block::build_fresh`] adds.
    pub(crate) fn reset(&mut self, lane: usize) {
        // Row-wide operations may have written to unused lanes: reset everything.
        for (i, node) in self.kernel.nodes.iter().enumerate() {
            self.values[i * self.width + lane] = fresh_value(&node.op);
        }
        for flags in &mut self.flags {
            flags.set(lane, 0);
        }
        let nodes = self.kernel.nodes.iter().filter(|n| n.history != NONE);
        for (row, node) in self.histories.iter_mut().zip(nodes) {
            row.put(lane, &History::new(node.keep as usize + 1));
        }
        for p in 0..self.kernel.shape.outputs as usize {
            self.outputs[p * self.width + lane] = UNDEFINED;
        }
        for t in 0..self.kernel.traders.len() {
            self.cooldowns[t * self.width + lane] = NEVER;
        }
    }

    /// Builds the state of the stateful nodes of lanes `lanes`, added by
    /// [`Block::push_fresh`] or [`Block::reset`]. Node by node, so that the instances of one
    /// node, which a close updates one after the other, lie one after the other in memory.
    pub(crate) fn build_fresh(&mut self, lanes: &[usize]) {
        let kernel = Arc::clone(&self.kernel);
        for (node, step) in kernel.nodes.iter().zip(kernel.steps()) {
            if node.state == NONE {
                continue;
            }
            for &lane in lanes {
                if let StepOp::Divergence { row, .. } = step.op {
                    // Fresh lanes of a row start their runs at different bars (see
                    // `DivergenceLanes`), which a fresh `Divergence` put in would not.
                    if let Some(row) = &mut self.divergences[row as usize] {
                        row.reset(lane);
                    }
                } else {
                    let state = NodeState::fresh(&node.op);
                    self.put_state(step.op, node.state, lane, state);
                }
            }
        }
    }

    /// Puts the state of a node whose step is `op` and whose index in [`Slots::states`] is
    /// `state` into lane `lane`.
    fn put_state(&mut self, op: StepOp, state: u32, lane: usize, value: NodeState) {
        match (op, value) {
            (StepOp::Divergence { row, .. }, NodeState::Divergence(d)) => {
                if let (Some(lanes), Some(d)) = (&mut self.divergences[row as usize], d) {
                    lanes.set(lane, &d);
                }
            }
            (_, value) => self.states[state as usize * self.width + lane] = value,
        }
    }

    /// Takes the state of a node (see [`Block::put_state`]) out of lane `lane`.
    fn take_state(&mut self, op: StepOp, state: u32, lane: usize) -> NodeState {
        match op {
            StepOp::Divergence { row, .. } => NodeState::Divergence(
                self.divergences[row as usize]
                    .as_ref()
                    .map(|lanes| Box::new(lanes.get(lane))),
            ),
            _ => std::mem::replace(
                &mut self.states[state as usize * self.width + lane],
                NodeState::None,
            ),
        }
    }

    /// Whether some lane has a candle to evaluate.
    pub(crate) fn has_pending(&self) -> bool {
        self.pending.iter().any(|&p| p != 0)
    }

    /// Replaces the state of `lane` by `slots` and `cooldowns`, built for this block's kernel.
    pub(crate) fn put(&mut self, lane: usize, mut slots: Slots, cooldowns: &Cooldowns) {
        for (i, step) in self.kernel.steps().iter().enumerate() {
            self.values[i * self.width + lane] = slots.values[i];
            if step.flag != NONE {
                self.flags[step.flag as usize].set(lane, slots.flags[i]);
            }
        }
        let kernel = Arc::clone(&self.kernel);
        for (node, step) in kernel.nodes.iter().zip(kernel.steps()) {
            if let Some(state) = slots.states.get_mut(node.state as usize) {
                let state = std::mem::replace(state, NodeState::None);
                self.put_state(step.op, node.state, lane, state);
            }
        }
        for (row, history) in self.histories.iter_mut().zip(&slots.histories) {
            row.put(lane, history);
        }
        for (p, &x) in slots.outputs.iter().enumerate() {
            self.outputs[p * self.width + lane] = x;
        }
        for t in 0..self.kernel.traders.len() {
            self.cooldowns[t * self.width + lane] = cooldowns.get(t).unwrap_or(NEVER);
        }
    }

    /// Moves the state of `lane` out, as [`Slots`] and [`Cooldowns`] for this block's kernel,
    /// leaving placeholders.
    pub(crate) fn take(&mut self, lane: usize) -> (Slots, Cooldowns) {
        let kernel = Arc::clone(&self.kernel);
        let mut slots = Slots::default();
        for (i, step) in kernel.steps().iter().enumerate() {
            let value = self.values[i * self.width + lane];
            slots.values.push(value);
            slots.flags.push(match step.flag {
                NONE => u8::from(truthy(value)),
                f => self.flags[f as usize].get(lane),
            });
        }
        slots.states = (0..kernel.shape.states as usize)
            .map(|_| NodeState::None)
            .collect();
        for (node, step) in kernel.nodes.iter().zip(kernel.steps()) {
            if node.state != NONE {
                slots.states[node.state as usize] = self.take_state(step.op, node.state, lane);
            }
        }
        slots.histories = self.histories.iter().map(|row| row.get(lane)).collect();
        slots.outputs = (0..kernel.shape.outputs as usize)
            .map(|p| self.outputs[p * self.width + lane])
            .collect();
        let mut cooldowns = Cooldowns::new(kernel.traders.len());
        for t in 0..kernel.traders.len() {
            let last = self.cooldowns[t * self.width + lane];
            cooldowns.set(t, (last != NEVER).then_some(last));
        }
        (slots, cooldowns)
    }

    /// Live indicator instances over the used lanes.
    pub(crate) fn indicators(&self) -> usize {
        let used = self.symbols.len();
        self.states
            .chunks(self.width)
            .flat_map(|row| &row[..used])
            .filter(|s| matches!(s, NodeState::Indicator(Some(_))))
            .count()
    }
}

/// The divergence rows of a block of `kernel`, `width` lanes wide.
fn divergence_rows(kernel: &Kernel, width: usize) -> Vec<Option<DivergenceLanes>> {
    let mut rows: Vec<Option<DivergenceLanes>> =
        (0..kernel.shape.divergences).map(|_| None).collect();
    for (node, step) in kernel.nodes.iter().zip(kernel.steps()) {
        if let (
            StepOp::Divergence { row, .. },
            Op::Divergence {
                kind,
                lookback,
                min_sep,
                ..
            },
        ) = (step.op, &node.op)
        {
            rows[row as usize] =
                DivergenceLanes::new(*kind, *lookback as usize, *min_sep as usize, width).ok();
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use sift_core::{Candle, Interval};
    use sift_rules::{CheckOptions, check};

    use super::*;
    use crate::key::Interner;
    use crate::plan::Plan;
    use crate::signal::SignalMode;
    use crate::symbol::SymbolState;
    use crate::{Trader, TraderId};

    fn kernel(rules: &[&str]) -> Arc<Kernel> {
        let traders: Vec<Trader> = rules
            .iter()
            .enumerate()
            .map(|(i, rule)| {
                let program = check(rule, &CheckOptions::new(Interval::M1)).unwrap();
                Trader::new(TraderId(i as u64), *rule, Arc::new(program)).with_cooldown(2)
            })
            .collect();
        let plan = Plan::compile(&traders, &mut Interner::default()).unwrap();
        let all: Vec<u32> = (0..plan.traders.len() as u32).collect();
        Arc::new(Kernel::for_traders(&plan, &all))
    }

    /// A symbol's state after `n` wavy candles, by replay.
    fn replayed(kernel: &Arc<Kernel>, n: i64) -> (Slots, Cooldowns) {
        let mut state = SymbolState::new(Symbol::new("BTCUSDT").unwrap(), Arc::clone(kernel));
        for i in 0..n {
            let x = 100.0 + 10.0 * (i as f64 * 0.4).sin();
            let mut c = Candle::ohlcv(i * 60_000, x, x + 1.0, x - 1.0, x + 0.5, 1.0 + i as f64);
            c.close_time = c.open_time + 59_999;
            state.store(Interval::M1, c, 1000);
        }
        state.rebuild(SignalMode::Edge, crate::candles::Warming::own())
    }

    fn same_values(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    }

    #[test]
    fn a_lane_gives_back_the_state_it_was_given() {
        let kernel = kernel(&[
            "rsi(14) < 45 and close > close[3]",
            "crossover(close, bb(20, 2).lower) or sum(volume, 4) > 10",
            "divergence(bullish, low, rsi(14), lookback=10, min_sep=3)",
            "true",
        ]);
        let (slots, cooldowns) = replayed(&kernel, 60);
        let mut block = Block::new(Arc::clone(&kernel), 2);
        let btc = Symbol::new("BTCUSDT").unwrap();
        for i in 0..2 {
            block.push_fresh((i, &btc));
        }
        block.build_fresh(&[0, 1]);
        assert!(block.is_full());
        // Widening keeps the lanes' state (checked on lane 0 below).
        block.widen();
        assert_eq!((block.width, block.is_full()), (4, false));
        block.push_fresh((2, &btc));
        block.build_fresh(&[2]);
        let lane = block.push((3, &btc), slots, &cooldowns);
        assert_eq!(lane, 3);
        let (again, _) = replayed(&kernel, 60);
        let (back, back_cooldowns) = block.take(lane);
        assert!(same_values(&back.values, &again.values));
        assert!(same_values(&back.outputs, &again.outputs));
        for (i, step) in kernel.steps().iter().enumerate() {
            // Flags a block does not keep come back as the truth of the value.
            let want = match step.flag {
                NONE => u8::from(truthy(again.values[i])),
                _ => again.flags[i],
            };
            assert_eq!(back.flags[i], want, "node {i}");
        }
        assert_eq!(back.histories.len(), again.histories.len());
        for (h, w) in back.histories.iter().zip(&again.histories) {
            assert_eq!((h.capacity(), h.len()), (w.capacity(), w.len()));
            assert!((0..w.len()).all(|ago| h.get(ago) == w.get(ago)));
        }
        let kinds = |s: &Slots| -> Vec<std::mem::Discriminant<NodeState>> {
            s.states.iter().map(std::mem::discriminant).collect()
        };
        assert_eq!(kinds(&back), kinds(&again));
        assert!(
            back.states
                .iter()
                .any(|s| matches!(s, NodeState::Divergence(Some(_))))
        );
        for t in 0..kernel.traders.len() {
            assert_eq!(back_cooldowns.get(t), cooldowns.get(t));
        }
        // The fresh lanes hold constants and nothing else yet.
        let (fresh, _) = block.take(0);
        let want = Slots::fresh(&kernel);
        assert!(same_values(&fresh.values, &want.values));
        assert!(
            fresh
                .states
                .iter()
                .any(|s| matches!(s, NodeState::Divergence(Some(_))))
        );
        let kept = kernel
            .steps()
            .iter()
            .enumerate()
            .filter(|(_, s)| s.flag != NONE);
        assert!(kept.into_iter().all(|(i, _)| fresh.flags[i] == 0));
    }

    #[test]
    fn flags_shift_only_the_active_lanes() {
        let mut flags = Flags::default();
        flags.set(2, 0b01);
        flags.set(5, 0b10);
        assert_eq!((flags.get(2), flags.get(5), flags.get(0)), (1, 2, 0));
        // Lanes 2 and 3 evaluated, lane 3 true; lane 5 sat out.
        flags.shift(0b1100, 0b1000);
        assert_eq!(
            (flags.get(2), flags.get(3), flags.get(5)),
            (0b10, 0b01, 0b10)
        );
        flags.set(3, 0);
        assert_eq!(flags.get(3), 0);
    }
}
