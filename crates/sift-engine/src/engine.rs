//! The engine: traders in, candle closes in, matches out.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use sift_core::{Candle, Interval, Symbol, Ticker};

use crate::block::{Block, LANES};
use crate::candles::Warming;
use crate::kernel::Kernel;
use crate::key::Interner;
use crate::lanes::Signals;
use crate::matches::Scratch;
use crate::plan::Plan;
use crate::signal::Cooldowns;
use crate::slots::Slots;
use crate::symbol::SymbolState;
use crate::{CandleHistory, CloseBatch, EngineConfig, EngineStats, Error, Match, Trader, TraderId};

/// Matches at one instant from which they are built on the thread pool: below, handing out the
/// work costs more than it saves (a match takes about 100 ns).
const PARALLEL_MIN_MATCHES: usize = 512;

/// Evaluates many traders at every candle close over shared, incremental indicators.
///
/// Synchronous and deterministic: no IO, no clock. Live and backtest feed it the same way
/// ([`Engine::process`] per close instant), so the same candles give the same matches.
#[derive(Debug, Default)]
pub struct Engine {
    config: EngineConfig,
    /// Every trader set, enabled or not, by id.
    traders: Vec<Trader>,
    plan: Plan,
    interner: Interner,
    /// Kernels by the plan traders (indices) that a symbol runs.
    kernels: HashMap<Vec<u32>, Arc<Kernel>>,
    symbols: Vec<SymbolState>,
    /// The symbols' node and signal state, by kernel, up to [`LANES`] symbols a block.
    blocks: Vec<Block>,
    /// By symbol; hashed with FNV-1a, which suits short keys better than SipHash (symbols are
    /// not chosen by an adversary).
    index: HashMap<Symbol, usize, BuildHasherDefault<Fnv>>,
    /// Alphabetical rank of each symbol (parallel to `symbols`), to order matches cheaply.
    ranks: Vec<u32>,
    scratch: Scratch,
    ignored: u64,
    /// Where warming reads candles; `None`: the engine's own rings, `candle_capacity` deep.
    history: Option<Arc<dyn CandleHistory>>,
    /// Series warmed from fewer candles than their own ring would have held.
    short_warms: AtomicU64,
}

impl Engine {
    /// An engine without traders.
    pub fn new(config: EngineConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// An engine without traders that keeps no candles of its own but the newest of each
    /// series, and warms from `history` instead: new indicators after a trader change, and a
    /// series after [`Engine::warm`], are replayed from at most
    /// [`EngineConfig::candle_capacity`] candles of `history`, up to the newest candle this
    /// engine processed of that series. As long as `history` holds those candles, values and
    /// matches are those of [`Engine::new`] with the same configuration (see
    /// [`CandleHistory`]).
    pub fn with_history(config: EngineConfig, history: Arc<dyn CandleHistory>) -> Self {
        Self {
            history: Some(history),
            ..Self::new(config)
        }
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The current traders, enabled or not, by id.
    pub fn traders(&self) -> &[Trader] {
        &self.traders
    }

    /// Replaces the trader set while running.
    ///
    /// The plan is recompiled. Every node (indicator instance, sub-expression) that the old and
    /// new plans share keeps its state on every symbol; new nodes are warmed by replaying the
    /// stored candles, as is the signal state of new or changed traders (a trader is the same
    /// when its id, rule hash and interval are), so a new trader evaluates at the next close as
    /// if it had been running over the stored candles. Disabled traders are kept but not run.
    ///
    /// # Errors
    /// A repeated id, a rule checked for another interval, a malformed program or an indicator
    /// that cannot be built; the engine is then unchanged.
    pub fn set_traders(&mut self, mut traders: Vec<Trader>) -> Result<(), Error> {
        traders.sort_by_key(|t| t.id);
        if let Some(pair) = traders.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(Error::DuplicateTrader(pair[0].id));
        }
        let plan = Plan::compile(&traders, &mut self.interner)?;
        self.kernels.clear();
        let kernels: Vec<Arc<Kernel>> = self
            .symbols
            .iter()
            .map(|s| kernel_for(&plan, &mut self.kernels, &s.symbol))
            .collect();
        let mode = self.config.mode;
        let parallel = self.config.parallel && self.symbols.len() > 1;
        let mut states = self.take_states(parallel);
        let warming = Warming {
            history: self.history.as_deref(),
            window: self.config.candle_capacity,
            short: &self.short_warms,
        };
        let rebind = |((symbol, kernel), state): ((&mut SymbolState, Arc<Kernel>), &mut State)| {
            let old = std::mem::take(state);
            *state = symbol.rebind(&plan, kernel, old, mode, warming);
        };
        if parallel {
            self.symbols
                .par_iter_mut()
                .zip(kernels)
                .zip(states.par_iter_mut())
                .for_each(rebind);
        } else {
            self.symbols
                .iter_mut()
                .zip(kernels)
                .zip(states.iter_mut())
                .for_each(rebind);
        }
        for (i, (slots, cooldowns)) in states.into_iter().enumerate() {
            self.place(i, slots, &cooldowns);
        }
        let live: HashSet<_> = plan.nodes.iter().map(|n| n.key).collect();
        self.interner.retain(&live);
        self.plan = plan;
        self.traders = traders;
        Ok(())
    }

    /// Adds a trader, or replaces the one with the same id; see [`Engine::set_traders`].
    ///
    /// # Errors
    /// As [`Engine::set_traders`].
    pub fn upsert_trader(&mut self, trader: Trader) -> Result<(), Error> {
        let mut traders: Vec<Trader> = self
            .traders
            .iter()
            .filter(|t| t.id != trader.id)
            .cloned()
            .collect();
        traders.push(trader);
        self.set_traders(traders)
    }

    /// Removes a trader; returns whether it existed.
    ///
    /// # Errors
    /// As [`Engine::set_traders`] (the remaining traders were accepted before, so in practice
    /// none).
    pub fn remove_trader(&mut self, id: TraderId) -> Result<bool, Error> {
        let before = self.traders.len();
        let traders: Vec<Trader> = self
            .traders
            .iter()
            .filter(|t| t.id != id)
            .cloned()
            .collect();
        let removed = traders.len() != before;
        if removed {
            self.set_traders(traders)?;
        }
        Ok(removed)
    }

    /// Closed candles each interval needs before every enabled trader's values are defined:
    /// per interval, the most any trader's program needs (`Program::warmup`), ascending by
    /// interval. Load at least this many with [`Engine::warm`] before going live, and keep
    /// [`EngineConfig::candle_capacity`] at least as large so traders added later warm fully.
    pub fn warmup(&self) -> Vec<(Interval, u32)> {
        let mut out: Vec<(Interval, u32)> = Vec::new();
        for (interval, bars) in self
            .plan
            .traders
            .iter()
            .flat_map(|t| t.trader.program.warmup.iter().copied())
        {
            match out.iter_mut().find(|(iv, _)| *iv == interval) {
                Some((_, most)) => *most = (*most).max(bars),
                None => out.push((interval, bars)),
            }
        }
        out.sort_unstable();
        out
    }

    /// Loads history for one symbol and interval before (or between) live closes: the closed
    /// candles newer than those stored are kept, up to the candle capacity, and the symbol's
    /// indicator and signal state is rebuilt from all its stored candles before the next
    /// evaluation, with no matches for the history. Returns how many candles were stored.
    pub fn warm(&mut self, symbol: &Symbol, interval: Interval, candles: &[Candle]) -> usize {
        let capacity = self.ring_capacity();
        let i = self.state_index(symbol);
        let state = &mut self.symbols[i];
        candles
            .iter()
            .filter(|c| c.closed && state.store(interval, **c, capacity))
            .count()
    }

    /// Records the latest 24 h statistics of a symbol, read by ticker values at later closes.
    pub fn update_ticker(&mut self, ticker: &Ticker) {
        let i = self.state_index(&ticker.symbol);
        self.symbols[i].set_ticker(ticker.clone());
    }

    /// Processes the candles that closed at one instant and returns the signals.
    ///
    /// Tickers are applied first. Candles are grouped by close time and the groups processed
    /// earliest first; within a group every candle is applied before any evaluation, and nodes
    /// run in dependency order, so a rule on a lower interval reads a higher interval's candle
    /// that closed at the same instant and never a later one. Candles that are not closed, or
    /// not newer than the last stored one of their (symbol, interval), are ignored.
    ///
    /// Matches are ordered by close time, then trader id, then symbol.
    pub fn process(&mut self, batch: &CloseBatch) -> Vec<Match> {
        for ticker in &batch.tickers {
            self.update_ticker(ticker);
        }
        self.settle();
        let mut order: Vec<usize> = (0..batch.candles.len())
            .filter(|&i| batch.candles[i].2.closed)
            .collect();
        order.sort_by_key(|&i| batch.candles[i].2.close_time);
        self.add_symbols(order.iter().map(|&i| &batch.candles[i].0));
        let capacity = self.ring_capacity();
        let mut out = Vec::new();
        let same_instant =
            |&a: &usize, &b: &usize| batch.candles[a].2.close_time == batch.candles[b].2.close_time;
        for group in order.chunk_by(same_instant) {
            for &i in group {
                let (symbol, interval, candle) = &batch.candles[i];
                let s = self.state_index(symbol);
                let state = &mut self.symbols[s];
                if state.push(*interval, *candle, capacity) {
                    let block = &mut self.blocks[state.block as usize];
                    block.pending[state.lane as usize] |= 1 << *interval as usize;
                } else {
                    self.ignored += 1;
                }
            }
            self.evaluate_pending();
            self.append_ordered(&mut out);
        }
        out
    }

    /// A snapshot of what the engine holds.
    pub fn stats(&self) -> EngineStats {
        let mut kernels: Vec<*const Kernel> = self
            .symbols
            .iter()
            .map(|s| Arc::as_ptr(s.kernel()))
            .collect();
        kernels.sort_unstable();
        kernels.dedup();
        EngineStats {
            traders: self.plan.traders.len(),
            plan_nodes: self.plan.nodes.len(),
            plan_indicators: self.plan.indicators(),
            symbols: self.symbols.len(),
            kernels: kernels.len(),
            nodes: self.symbols.iter().map(|s| s.kernel().nodes.len()).sum(),
            indicators: self.blocks.iter().map(Block::indicators).sum(),
            stored_candles: self.symbols.iter().map(SymbolState::stored_candles).sum(),
            ignored_candles: self.ignored,
            short_warms: self.short_warms.load(Ordering::Relaxed),
        }
    }

    /// Candles the engine keeps per series: the candle capacity, or with an external history
    /// only the newest (what a close evaluates and bounds what warming reads).
    fn ring_capacity(&self) -> usize {
        match self.history {
            Some(_) => 1,
            None => self.config.candle_capacity,
        }
    }

    /// The state of `symbol`, created (with the kernel of the traders screening it) on first
    /// sight.
    fn state_index(&mut self, symbol: &Symbol) -> usize {
        match self.index.get(symbol) {
            Some(&i) => i,
            None => {
                self.add_symbols([symbol]);
                self.symbols.len() - 1
            }
        }
    }

    /// Creates the state of every symbol of `symbols` not seen before, in order.
    fn add_symbols<'a>(&mut self, symbols: impl IntoIterator<Item = &'a Symbol>) {
        // Per block touched, its first new lane.
        let mut fresh: Vec<(usize, usize)> = Vec::new();
        for symbol in symbols {
            if self.index.contains_key(symbol) {
                continue;
            }
            let kernel = kernel_for(&self.plan, &mut self.kernels, symbol);
            self.symbols.push(SymbolState::new(symbol.clone(), kernel));
            let i = self.symbols.len() - 1;
            let block = self.block_for(i);
            let lane = self.blocks[block].push_fresh((i as u32, symbol));
            self.symbols[i].block = block as u32;
            self.symbols[i].lane = lane as u32;
            if !fresh.iter().any(|&(b, _)| b == block) {
                fresh.push((block, lane));
            }
            self.index.insert(symbol.clone(), i);
            self.ranks.clear();
        }
        for (block, first) in fresh {
            let block = &mut self.blocks[block];
            let lanes: Vec<usize> = (first..block.symbols.len()).collect();
            block.build_fresh(&lanes);
        }
    }

    /// Puts symbol `i`'s state, built for its kernel, into a lane.
    fn place(&mut self, i: usize, slots: Slots, cooldowns: &Cooldowns) {
        let block = self.block_for(i);
        let lane = self.blocks[block].push((i as u32, &self.symbols[i].symbol), slots, cooldowns);
        self.symbols[i].block = block as u32;
        self.symbols[i].lane = lane as u32;
    }

    /// The block for symbol `i`: the last one of its kernel when it has room or can widen,
    /// else a new one.
    fn block_for(&mut self, i: usize) -> usize {
        let kernel = self.symbols[i].kernel();
        let last = self
            .blocks
            .iter()
            .rposition(|b| Arc::ptr_eq(&b.kernel, kernel));
        match last {
            Some(b) if !self.blocks[b].is_full() => b,
            Some(b) if self.blocks[b].width < LANES => {
                self.blocks[b].widen();
                b
            }
            _ => {
                self.blocks.push(Block::new(Arc::clone(kernel), 1));
                self.blocks.len() - 1
            }
        }
    }

    /// Moves every symbol's state out of the blocks, by symbol, leaving no blocks.
    fn take_states(&mut self, parallel: bool) -> Vec<State> {
        let take = |mut block: Block| -> Vec<(u32, State)> {
            let symbols = block.symbols.clone();
            symbols
                .into_iter()
                .enumerate()
                .map(|(lane, symbol)| (symbol, block.take(lane)))
                .collect()
        };
        let blocks = std::mem::take(&mut self.blocks);
        let taken: Vec<Vec<(u32, State)>> = if parallel {
            blocks.into_par_iter().map(take).collect()
        } else {
            blocks.into_iter().map(take).collect()
        };
        let mut states: Vec<State> = Vec::with_capacity(self.symbols.len());
        states.resize_with(self.symbols.len(), State::default);
        for (symbol, state) in taken.into_iter().flatten() {
            states[symbol as usize] = state;
        }
        states
    }

    /// Appends the matches the blocks found at one instant to `out`, ordered by trader id, then
    /// symbol (plan traders are ordered by id; `ranks` orders symbols).
    fn append_ordered(&mut self, out: &mut Vec<Match>) {
        if self.ranks.len() != self.symbols.len() {
            let mut order: Vec<usize> = (0..self.symbols.len()).collect();
            order.sort_unstable_by(|&a, &b| self.symbols[a].symbol.cmp(&self.symbols[b].symbol));
            self.ranks = vec![0; order.len()];
            for (rank, &i) in order.iter().enumerate() {
                self.ranks[i] = rank as u32;
            }
        }
        let found = self.blocks.iter().map(|b| &b.found);
        let order = self
            .scratch
            .order(found, &self.ranks, self.plan.traders.len());
        let blocks: Vec<Signals<'_>> = self.blocks.iter().map(Block::signals).collect();
        let build = |&[_, _, b, at]: &[u32; 4]| blocks[b as usize].signal(at);
        // Ordered by trader, so a thread builds the matches of a range of traders, and the
        // names a match shares with its trader are counted by one thread at a time.
        if self.config.parallel && order.len() >= PARALLEL_MIN_MATCHES {
            out.par_extend(
                order
                    .par_iter()
                    .with_min_len(PARALLEL_MIN_MATCHES / 2)
                    .map(build),
            );
        } else {
            out.extend(order.iter().map(build));
        }
    }

    /// Rebuilds the state of symbols that were warmed since their last evaluation.
    fn settle(&mut self) {
        if !self.symbols.iter().any(SymbolState::is_dirty) {
            return;
        }
        let mode = self.config.mode;
        let symbols = &self.symbols;
        let warming = Warming {
            history: self.history.as_deref(),
            window: self.config.candle_capacity,
            short: &self.short_warms,
        };
        let rebuild = |block: &mut Block| block.rebuild(symbols, mode, warming);
        if self.config.parallel {
            self.blocks.par_iter_mut().for_each(rebuild);
        } else {
            self.blocks.iter_mut().for_each(rebuild);
        }
        self.symbols.iter_mut().for_each(SymbolState::clean);
    }

    /// Evaluates every block with pending candles, in parallel when worth it.
    fn evaluate_pending(&mut self) {
        let mode = self.config.mode;
        let (count, work) = self
            .blocks
            .iter()
            .map(|b| {
                let lanes = b.pending.iter().filter(|&&p| p != 0).count();
                lanes * (b.kernel.nodes.len() + b.kernel.traders.len())
            })
            .filter(|&w| w > 0)
            .fold((0usize, 0usize), |(n, total), w| (n + 1, total + w));
        let symbols = &self.symbols;
        let step = |b: &mut Block| {
            if b.has_pending() {
                b.step(symbols, mode);
            } else {
                b.found.clear();
            }
        };
        if self.config.parallel && count > 1 && work >= self.config.parallel_min_work {
            self.blocks.par_iter_mut().with_max_len(1).for_each(step);
        } else {
            self.blocks.iter_mut().for_each(step);
        }
    }
}

/// FNV-1a, 64 bits: a fast hasher for short keys.
#[derive(Debug, Clone, Copy)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// One symbol's node and signal state, outside a block.
type State = (Slots, Cooldowns);

/// The kernel for the plan traders screening `symbol`, shared through `cache`.
pub(crate) fn kernel_for(
    plan: &Plan,
    cache: &mut HashMap<Vec<u32>, Arc<Kernel>>,
    symbol: &Symbol,
) -> Arc<Kernel> {
    let traders = plan.traders_of(symbol);
    Arc::clone(
        cache
            .entry(traders)
            .or_insert_with_key(|traders| Arc::new(Kernel::for_traders(plan, traders))),
    )
}

#[cfg(test)]
mod tests {
    use sift_rules::{CheckOptions, check};

    use super::*;

    fn trader(id: u64, rule: &str, interval: Interval) -> Trader {
        let program = check(rule, &CheckOptions::new(interval)).unwrap();
        Trader::new(TraderId(id), rule, Arc::new(program))
    }

    #[test]
    fn warmup_is_the_most_any_trader_needs_per_interval() {
        let mut engine = Engine::new(EngineConfig::default());
        assert!(engine.warmup().is_empty());
        engine
            .set_traders(vec![
                trader(1, "sma(close, 20) > 0", Interval::M1),
                trader(2, "sma(close, 50) > 0 and close @ 1h > 0", Interval::M1),
                trader(3, "sma(close, 99) > 0", Interval::M5).with_enabled(false),
            ])
            .unwrap();
        let warmup = engine.warmup();
        assert_eq!(warmup.len(), 2);
        assert_eq!(warmup[0], (Interval::M1, 50));
        assert_eq!(warmup[1].0, Interval::H1);
    }

    #[test]
    fn symbols_with_the_same_traders_share_a_kernel() {
        let mut engine = Engine::new(EngineConfig::default());
        engine
            .set_traders(vec![trader(1, "close > 1", Interval::M1)])
            .unwrap();
        let candle = Candle::ohlcv(0, 2.0, 2.0, 2.0, 2.0, 1.0);
        let mut batch = CloseBatch::new();
        for name in ["AAAUSDT", "BBBUSDT", "CCCUSDT"] {
            batch.push(Symbol::new(name).unwrap(), Interval::M1, candle);
        }
        let matches = engine.process(&batch);
        assert_eq!(matches.len(), 3);
        assert_eq!(engine.stats().kernels, 1);
        assert_eq!(engine.ranks, [0, 1, 2]);
    }
}
