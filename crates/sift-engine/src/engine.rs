//! The engine: traders in, candle closes in, matches out.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;
use sift_core::{Candle, Interval, Symbol, Ticker};

use crate::kernel::Kernel;
use crate::key::Interner;
use crate::plan::Plan;
use crate::symbol::SymbolState;
use crate::{CloseBatch, EngineConfig, EngineStats, Error, Match, Trader, TraderId};

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
    index: HashMap<Symbol, usize>,
    /// Alphabetical rank of each symbol (parallel to `symbols`), to order matches cheaply.
    ranks: Vec<u32>,
    ignored: u64,
}

impl Engine {
    /// An engine without traders.
    pub fn new(config: EngineConfig) -> Self {
        Self {
            config,
            ..Self::default()
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
        let rebind = |(state, kernel): (&mut SymbolState, Arc<Kernel>)| {
            state.rebind(&plan, kernel, mode);
        };
        if self.config.parallel && self.symbols.len() > 1 {
            self.symbols.par_iter_mut().zip(kernels).for_each(rebind);
        } else {
            self.symbols.iter_mut().zip(kernels).for_each(rebind);
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
        let capacity = self.config.candle_capacity;
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
        let capacity = self.config.candle_capacity;
        let mut out = Vec::new();
        let same_instant =
            |&a: &usize, &b: &usize| batch.candles[a].2.close_time == batch.candles[b].2.close_time;
        for group in order.chunk_by(same_instant) {
            for &i in group {
                let (symbol, interval, candle) = &batch.candles[i];
                let s = self.state_index(symbol);
                if !self.symbols[s].push(*interval, *candle, capacity) {
                    self.ignored += 1;
                }
            }
            let per_symbol = self.evaluate_pending();
            self.append_ordered(per_symbol, &mut out);
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
            nodes: self.symbols.iter().map(|s| s.slots().len()).sum(),
            indicators: self.symbols.iter().map(|s| s.slots().indicators()).sum(),
            stored_candles: self.symbols.iter().map(SymbolState::stored_candles).sum(),
            ignored_candles: self.ignored,
        }
    }

    /// The state of `symbol`, created (with the kernel of the traders screening it) on first
    /// sight.
    fn state_index(&mut self, symbol: &Symbol) -> usize {
        if let Some(&i) = self.index.get(symbol) {
            return i;
        }
        let kernel = kernel_for(&self.plan, &mut self.kernels, symbol);
        self.symbols.push(SymbolState::new(symbol.clone(), kernel));
        let i = self.symbols.len() - 1;
        self.index.insert(symbol.clone(), i);
        self.ranks.clear();
        i
    }

    /// Appends one instant's matches to `out`, ordered by trader id, then symbol: a counting
    /// sort by plan trader index (plan traders are ordered by id) over the symbols taken in
    /// alphabetical order, so each match moves once.
    fn append_ordered(&mut self, mut per_symbol: PerSymbol, out: &mut Vec<Match>) {
        if self.ranks.len() != self.symbols.len() {
            let mut order: Vec<usize> = (0..self.symbols.len()).collect();
            order.sort_unstable_by(|&a, &b| self.symbols[a].symbol.cmp(&self.symbols[b].symbol));
            self.ranks = vec![0; order.len()];
            for (rank, &i) in order.iter().enumerate() {
                self.ranks[i] = rank as u32;
            }
        }
        per_symbol.sort_unstable_by_key(|(i, _)| self.ranks[*i]);
        // Counting sort of (symbol list, position) pairs by trader; symbols already in order.
        let mut start = vec![0u32; self.plan.traders.len() + 1];
        for (t, _) in per_symbol.iter().flat_map(|(_, m)| m) {
            start[*t as usize + 1] += 1;
        }
        for t in 1..start.len() {
            start[t] += start[t - 1];
        }
        let total = start[start.len() - 1] as usize;
        let mut order = vec![(0u32, 0u32); total];
        for (n, (_, matches)) in per_symbol.iter().enumerate() {
            for (k, (t, _)) in matches.iter().enumerate() {
                let slot = &mut start[*t as usize];
                order[*slot as usize] = (n as u32, k as u32);
                *slot += 1;
            }
        }
        // Same layout, so these collect in place.
        let mut lists: Vec<Vec<Option<(u32, Match)>>> = per_symbol
            .into_iter()
            .map(|(_, matches)| matches.into_iter().map(Some).collect())
            .collect();
        out.reserve(total);
        out.extend(
            order
                .iter()
                .filter_map(|&(n, k)| lists[n as usize][k as usize].take())
                .map(|(_, m)| m),
        );
    }

    /// Rebuilds the state of symbols that were warmed since their last evaluation.
    fn settle(&mut self) {
        let mode = self.config.mode;
        if self.config.parallel {
            self.symbols
                .par_iter_mut()
                .filter(|s| s.is_dirty())
                .for_each(|s| s.rebuild(mode));
        } else {
            self.symbols
                .iter_mut()
                .filter(|s| s.is_dirty())
                .for_each(|s| s.rebuild(mode));
        }
    }

    /// Evaluates every symbol with pending candles, in parallel when worth it.
    fn evaluate_pending(&mut self) -> PerSymbol {
        let mode = self.config.mode;
        let (count, work) = self
            .symbols
            .iter()
            .filter(|s| s.has_pending())
            .fold((0usize, 0usize), |(n, w), s| (n + 1, w + s.work()));
        let step = |(i, s): (usize, &mut SymbolState)| (i, s.step(mode));
        if self.config.parallel && count > 1 && work >= self.config.parallel_min_work {
            self.symbols
                .par_iter_mut()
                .enumerate()
                .filter(|(_, s)| s.has_pending())
                .map(step)
                .filter(|(_, m)| !m.is_empty())
                .collect()
        } else {
            self.symbols
                .iter_mut()
                .enumerate()
                .filter(|(_, s)| s.has_pending())
                .map(step)
                .filter(|(_, m)| !m.is_empty())
                .collect()
        }
    }
}

/// Matches of one instant: `(symbol index, [(plan trader index, match)])`, each symbol's list
/// ordered by trader.
type PerSymbol = Vec<(usize, Vec<(u32, Match)>)>;

/// The kernel for the plan traders screening `symbol`, shared through `cache`.
fn kernel_for(
    plan: &Plan,
    cache: &mut HashMap<Vec<u32>, Arc<Kernel>>,
    symbol: &Symbol,
) -> Arc<Kernel> {
    let traders: Vec<u32> = plan
        .traders
        .iter()
        .enumerate()
        .filter(|(_, t)| t.trader.symbols.contains(symbol))
        .map(|(i, _)| i as u32)
        .collect();
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
