//! What the engine keeps for one symbol: candles, ticker, where its node state lives; and
//! building that state by replaying the candles.

use std::collections::HashMap;
use std::sync::Arc;

use sift_core::{Candle, Interval, Symbol, Ticker};

use crate::candles::{CandleRing, Feed, Warming};
use crate::eval::{Instant, run_nodes, run_traders};
use crate::kernel::Kernel;
use crate::plan::Plan;
use crate::signal::{Cooldowns, SignalMode};
use crate::slots::{Slot, Slots};

/// One symbol's state, but for its node and signal state, which lives in a lane of a
/// [`Block`](crate::block::Block).
#[derive(Debug)]
pub(crate) struct SymbolState {
    pub(crate) symbol: Symbol,
    /// Stored candles per interval, intervals ascending.
    candles: Vec<CandleRing>,
    ticker: Option<Ticker>,
    kernel: Arc<Kernel>,
    /// The block and lane holding its node and signal state.
    pub(crate) block: u32,
    pub(crate) lane: u32,
    /// Candles were stored without being evaluated ([`SymbolState::store`]): node and signal
    /// state must be rebuilt from the candles before the next evaluation.
    dirty: bool,
}

impl SymbolState {
    pub(crate) fn new(symbol: Symbol, kernel: Arc<Kernel>) -> Self {
        Self {
            symbol,
            candles: Vec::new(),
            ticker: None,
            kernel,
            block: 0,
            lane: 0,
            dirty: false,
        }
    }

    /// Stores a candle without evaluating it; state is rebuilt before the next evaluation.
    /// Returns `false` for a duplicate or out-of-order candle.
    pub(crate) fn store(&mut self, interval: Interval, candle: Candle, capacity: usize) -> bool {
        let ring = match self
            .candles
            .binary_search_by_key(&interval, CandleRing::interval)
        {
            Ok(i) => &mut self.candles[i],
            Err(i) => {
                self.candles.insert(i, CandleRing::new(interval, capacity));
                &mut self.candles[i]
            }
        };
        let stored = ring.push(candle);
        self.dirty |= stored;
        stored
    }

    /// Stores a candle closing at the current instant, to be evaluated (its block marks it
    /// pending). Returns `false` for a duplicate or out-of-order candle.
    pub(crate) fn push(&mut self, interval: Interval, candle: Candle, capacity: usize) -> bool {
        let dirty = self.dirty;
        let stored = self.store(interval, candle, capacity);
        self.dirty = dirty;
        stored
    }

    /// The newest stored candle of `interval`.
    #[inline]
    pub(crate) fn last(&self, interval: Interval) -> Option<&Candle> {
        ring(&self.candles, interval).and_then(CandleRing::last)
    }

    pub(crate) fn ticker(&self) -> Option<&Ticker> {
        self.ticker.as_ref()
    }

    pub(crate) fn set_ticker(&mut self, ticker: Ticker) {
        self.ticker = Some(ticker);
    }

    pub(crate) fn is_dirty(&self) -> bool {
        self.dirty
    }

    pub(crate) fn clean(&mut self) {
        self.dirty = false;
    }

    pub(crate) fn kernel(&self) -> &Arc<Kernel> {
        &self.kernel
    }

    pub(crate) fn stored_candles(&self) -> usize {
        self.candles.iter().map(CandleRing::len).sum()
    }

    /// Node and signal state for its kernel, built from all its stored candles: the reference
    /// for [`Block::rebuild`](crate::block::Block::rebuild), which the engine uses.
    #[cfg(test)]
    pub(crate) fn rebuild(&self, mode: SignalMode, warming: Warming<'_>) -> (Slots, Cooldowns) {
        let mut slots = Slots::fresh(&self.kernel);
        let mut cooldowns = Cooldowns::new(self.kernel.traders.len());
        let feeds = self.feeds(&self.kernel, warming);
        replay(&self.kernel, &mut slots, &mut cooldowns, &feeds, mode);
        (slots, cooldowns)
    }

    /// Switches to `kernel` (built from `plan`), given the state `old` of the current kernel:
    /// returns the state for `kernel`, keeping the state of every node and trader both
    /// kernels share, and warming the others from the stored candles (read through
    /// `warming`). A dirty symbol gets a fresh state and stays dirty: all of it is rebuilt
    /// before its next evaluation.
    pub(crate) fn rebind(
        &mut self,
        plan: &Plan,
        kernel: Arc<Kernel>,
        old: (Slots, Cooldowns),
        mode: SignalMode,
        warming: Warming<'_>,
    ) -> (Slots, Cooldowns) {
        let previous = std::mem::replace(&mut self.kernel, kernel);
        if self.dirty {
            let fresh = Slots::fresh(&self.kernel);
            return (fresh, Cooldowns::new(self.kernel.traders.len()));
        }
        let (mut old_slots, old_cooldowns) = old;
        let old = previous;
        let new = Arc::clone(&self.kernel);
        let mut slots = Slots::default();
        let mut missing: Vec<usize> = Vec::new();
        for (i, node) in new.nodes.iter().enumerate() {
            let kept = old
                .find(node.key)
                .map(|j| old_slots.take(&old.nodes[j as usize], j as usize))
                .filter(|slot| slot.fits(node));
            match kept {
                Some(slot) => slots.push(node, slot),
                None => {
                    slots.push(node, Slot::fresh(node));
                    missing.push(i);
                }
            }
        }
        let old_cooldowns: HashMap<_, Option<i64>> = old
            .traders
            .iter()
            .enumerate()
            .map(|(i, t)| (t.info.state_key(), old_cooldowns.get(i)))
            .collect();
        let mut cooldowns = Cooldowns::new(new.traders.len());
        let mut new_traders: Vec<usize> = Vec::new();
        for (i, trader) in new.traders.iter().enumerate() {
            match old_cooldowns.get(&trader.info.state_key()) {
                Some(last) => cooldowns.set(i, *last),
                None => new_traders.push(i),
            }
        }
        if !missing.is_empty() || !new_traders.is_empty() {
            let seeds: Vec<u32> = missing.iter().map(|&i| new.nodes[i].plan).collect();
            let traders: Vec<u32> = new_traders.iter().map(|&i| new.traders[i].plan).collect();
            let temp = Kernel::closure(plan, &seeds, &traders);
            let mut temp_slots = Slots::fresh(&temp);
            let mut temp_cooldowns = Cooldowns::new(temp.traders.len());
            let feeds = self.feeds(&temp, warming);
            replay(&temp, &mut temp_slots, &mut temp_cooldowns, &feeds, mode);
            for &i in &missing {
                if let Some(j) = temp.find(new.nodes[i].key) {
                    let slot = temp_slots.take(&temp.nodes[j as usize], j as usize);
                    slots.put(&new.nodes[i], i, slot);
                }
            }
            let temp_index: HashMap<u32, usize> = temp
                .traders
                .iter()
                .enumerate()
                .map(|(j, t)| (t.plan, j))
                .collect();
            for &i in &new_traders {
                if let Some(&j) = temp_index.get(&new.traders[i].plan) {
                    cooldowns.set(i, temp_cooldowns.get(j));
                }
            }
        }
        (slots, cooldowns)
    }

    /// The candles a replay of `kernel` reads, per interval of the kernel with candles.
    pub(crate) fn feeds<'a>(&'a self, kernel: &Kernel, warming: Warming<'a>) -> Vec<Feed<'a>> {
        kernel
            .intervals()
            .into_iter()
            .filter_map(|interval| ring(&self.candles, interval))
            .map(|ring| warming.feed(&self.symbol, ring))
            .collect()
    }
}

fn ring(candles: &[CandleRing], interval: Interval) -> Option<&CandleRing> {
    candles
        .binary_search_by_key(&interval, CandleRing::interval)
        .ok()
        .map(|i| &candles[i])
}

/// Feeds every candle of `rings` (the kernel's intervals) through `kernel`, instant by instant
/// (candles of different intervals closing together are one instant), advancing node and
/// signal state without emitting matches. Ticker values are undefined: no ticker history is
/// kept.
fn replay(
    kernel: &Kernel,
    slots: &mut Slots,
    cooldowns: &mut Cooldowns,
    rings: &[Feed<'_>],
    mode: SignalMode,
) {
    let mut cursors = vec![0usize; rings.len()];
    loop {
        let next = rings
            .iter()
            .zip(&cursors)
            .filter_map(|(ring, &c)| ring.get(c).map(|candle| candle.close_time))
            .min();
        let Some(close_time) = next else {
            break;
        };
        let mut at = Instant::new();
        for (ring, cursor) in rings.iter().zip(cursors.iter_mut()) {
            if let Some(candle) = ring.get(*cursor).filter(|c| c.close_time == close_time) {
                at.insert(ring.interval(), candle);
                *cursor += 1;
            }
        }
        run_nodes(kernel, slots, &at, None);
        run_traders(kernel, slots, cooldowns, &at, mode, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candle(minute: i64) -> Candle {
        let mut c = Candle::ohlcv(minute * 60_000, 1.0, 1.0, 1.0, 1.0, 1.0);
        c.close_time = c.open_time + 59_999;
        c
    }

    #[test]
    fn stored_candles_mark_the_state_for_rebuild_pushed_ones_do_not() {
        let symbol = Symbol::new("BTCUSDT").unwrap();
        let mut state = SymbolState::new(symbol, Arc::new(Kernel::default()));
        assert!(state.store(Interval::M1, candle(0), 10));
        assert!(state.is_dirty());
        let (slots, _) = state.rebuild(SignalMode::Edge, Warming::own());
        assert_eq!(slots.len(), 0);
        state.clean();
        assert!(state.push(Interval::M1, candle(1), 10));
        assert!(!state.push(Interval::M1, candle(1), 10));
        assert!(state.push(Interval::H1, candle(0), 10));
        assert!(!state.is_dirty());
        assert_eq!(state.last(Interval::M1).map(|c| c.open_time), Some(60_000));
        assert!(state.last(Interval::M5).is_none());
        assert_eq!(state.stored_candles(), 3);
    }
}
