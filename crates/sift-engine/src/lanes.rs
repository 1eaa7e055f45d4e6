//! Evaluation of a [`Block`] at one instant, node-major: each node over every lane whose
//! symbol has a candle of the node's interval, then the traders.
//!
//! It computes exactly what [`crate::eval`] computes for each symbol alone (`reference`, a
//! test module, compares the two on random traders and markets): the same nodes in the same
//! order with the same operations, only interleaved across symbols. Dispatch happens once per node and
//! block, and the loops over lanes read and write contiguous rows, which the compiler turns
//! into vector code for the arithmetic and comparisons that make up most of a plan.

use sift_core::{Candle, Interval, Symbol};
use sift_rules::program::{BinaryOp, UnaryOp};

use crate::block::{Block, LANES, Mask};
use crate::candles::{Feed, Warming};
use crate::eval::{signal, ticker_value};
use crate::kernel::{Kernel, NONE};
use crate::matches::{Bar, Found};
use crate::signal::{Match, SignalMode, admit, candidates};
use crate::slots::NodeState;
use crate::step::{Step, StepOp};
use crate::symbol::SymbolState;
use crate::value::{UNDEFINED, binary, finite, from_bool, select, truthy};

/// Outputs an indicator writes without a heap buffer; wider ones (none today) get one.
const MAX_WIDTH: usize = 8;
/// Lanes rebuilt together from an external history: bounds the candles read at once (a
/// thousand per series) to a few MB per block.
const REBUILD_LANES: usize = 16;

/// The lanes a node runs on at this instant.
#[derive(Debug, Clone, Copy)]
enum Lanes<'a> {
    /// Lanes `0..n`, every used lane: the common case, and the one that vectorises.
    All(usize),
    Some(&'a [u16]),
}

impl Lanes<'_> {
    #[inline(always)]
    fn each(self, mut f: impl FnMut(usize)) {
        match self {
            Lanes::All(n) => (0..n).for_each(f),
            Lanes::Some(list) => list.iter().for_each(|&l| f(usize::from(l))),
        }
    }
}

#[inline(always)]
fn fill(lanes: Lanes<'_>, out: &mut [f64], x: f64) {
    match lanes {
        Lanes::All(n) => out[..n].fill(x),
        Lanes::Some(list) => list.iter().for_each(|&l| out[usize::from(l)] = x),
    }
}

#[inline(always)]
fn map1(lanes: Lanes<'_>, out: &mut [f64], a: &[f64], f: impl Fn(f64) -> f64) {
    match lanes {
        Lanes::All(n) => {
            for (o, &x) in out[..n].iter_mut().zip(&a[..n]) {
                *o = f(x);
            }
        }
        Lanes::Some(list) => {
            for &l in list {
                let l = usize::from(l);
                out[l] = f(a[l]);
            }
        }
    }
}

#[inline(always)]
fn map2(lanes: Lanes<'_>, out: &mut [f64], a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64) {
    match lanes {
        Lanes::All(n) => {
            for ((o, &x), &y) in out[..n].iter_mut().zip(&a[..n]).zip(&b[..n]) {
                *o = f(x, y);
            }
        }
        Lanes::Some(list) => {
            for &l in list {
                let l = usize::from(l);
                out[l] = f(a[l], b[l]);
            }
        }
    }
}

/// What one instant gives each lane: per interval, the lanes with a candle and those candles.
struct At<'a> {
    used: usize,
    lists: [Vec<u16>; Interval::ALL.len()],
    /// The lanes of `lists`, as bits.
    masks: [Mask; Interval::ALL.len()],
    /// Per interval, a candle per used lane (lanes without one hold a placeholder, unread).
    candles: [Vec<&'a Candle>; Interval::ALL.len()],
}

impl<'a> At<'a> {
    /// No candle for any of `used` lanes.
    fn empty(used: usize) -> Self {
        At {
            used,
            lists: Default::default(),
            masks: [0; Interval::ALL.len()],
            candles: Default::default(),
        }
    }

    /// The candles of the block's pending lanes: each symbol's newest of each pending
    /// interval.
    fn pending(block: &Block, symbols: &'a [SymbolState]) -> Self {
        let mut at = At::empty(block.symbols.len());
        for (lane, (&symbol, &pending)) in block.symbols.iter().zip(&block.pending).enumerate() {
            for (i, &interval) in Interval::ALL.iter().enumerate() {
                if pending & (1 << i) != 0
                    && let Some(candle) = symbols[symbol as usize].last(interval)
                {
                    at.add(interval, lane, candle);
                }
            }
        }
        at
    }

    /// Gives lane `lane` its candle of `interval`; lanes of one interval come in ascending
    /// order.
    fn add(&mut self, interval: Interval, lane: usize, candle: &'a Candle) {
        let i = interval as usize;
        if self.candles[i].is_empty() {
            self.candles[i] = vec![&PLACEHOLDER; self.used];
        }
        self.candles[i][lane] = candle;
        self.lists[i].push(lane as u16);
        self.masks[i] |= 1 << lane;
    }

    #[inline]
    fn lanes(&self, interval: Interval) -> Option<Lanes<'_>> {
        let list = &self.lists[interval as usize];
        match list.len() {
            0 => None,
            n if n == self.used => Some(Lanes::All(n)),
            _ => Some(Lanes::Some(list)),
        }
    }

    /// Intervals with a candle.
    fn intervals(&self) -> impl Iterator<Item = Interval> + '_ {
        Interval::ALL
            .iter()
            .copied()
            .filter(|iv| !self.lists[*iv as usize].is_empty())
    }
}

/// Stands in for the candle of a lane without one; never read.
const PLACEHOLDER: Candle = Candle {
    open_time: 0,
    close_time: 0,
    open: 0.0,
    high: 0.0,
    low: 0.0,
    close: 0.0,
    volume: 0.0,
    quote_volume: 0.0,
    trades: 0,
    taker_buy_volume: 0.0,
    taker_buy_quote_volume: 0.0,
    closed: false,
};

impl Block {
    /// Evaluates the pending candles of every lane: nodes, then signals; clears them.
    ///
    /// The signals go to [`Block::found`]; [`Block::signal`] makes their matches.
    pub(crate) fn step(&mut self, symbols: &[SymbolState], mode: SignalMode) {
        let at = At::pending(self, symbols);
        self.pending.fill(0);
        self.found.clear();
        self.run(&at, Some(symbols), mode, true);
    }

    /// Rebuilds the state of every lane whose symbol is dirty from all its stored candles,
    /// with no matches: the lanes start fresh and replay their candles instant by instant
    /// (candles of different intervals closing together are one instant), together. As
    /// `SymbolState::rebuild` (the tests' reference) does for one symbol (replays have no
    /// ticker history), but node by node, with the new state allocated node by node as a close
    /// reads it. The candles are read through `warming`.
    pub(crate) fn rebuild(
        &mut self,
        symbols: &[SymbolState],
        mode: SignalMode,
        warming: Warming<'_>,
    ) {
        let dirty: Vec<usize> = (0..self.symbols.len())
            .filter(|&l| symbols[self.symbols[l] as usize].is_dirty())
            .collect();
        if dirty.is_empty() {
            return;
        }
        for &lane in &dirty {
            self.reset(lane);
        }
        self.build_fresh(&dirty);
        // Lanes are independent: replayed a few at a time, an external history's candles are
        // read (copied) for those lanes only.
        let chunk = match warming.history {
            Some(_) => REBUILD_LANES,
            None => dirty.len(),
        };
        for lanes in dirty.chunks(chunk) {
            self.replay(lanes, symbols, mode, warming);
        }
    }

    /// Replays the candles of lanes `dirty`, freshly reset, instant by instant.
    fn replay(
        &mut self,
        dirty: &[usize],
        symbols: &[SymbolState],
        mode: SignalMode,
        warming: Warming<'_>,
    ) {
        let kernel = std::sync::Arc::clone(&self.kernel);
        // (lane, stored candles, next one), lane by lane.
        let mut feeds: Vec<(usize, Feed<'_>, usize)> = Vec::new();
        for &lane in dirty {
            let symbol = &symbols[self.symbols[lane] as usize];
            for feed in symbol.feeds(&kernel, warming) {
                feeds.push((lane, feed, 0));
            }
        }
        loop {
            let next = feeds
                .iter()
                .filter_map(|(_, feed, next)| feed.get(*next).map(|c| c.close_time))
                .min();
            let Some(close_time) = next else {
                break;
            };
            let mut at = At::empty(self.symbols.len());
            for (lane, feed, next) in &mut feeds {
                if let Some(candle) = feed.get(*next).filter(|c| c.close_time == close_time) {
                    at.add(feed.interval(), *lane, candle);
                    *next += 1;
                }
            }
            self.run(&at, None, mode, false);
        }
    }

    /// Evaluates the candles of `at`: nodes, then signals, recording matches when `emit`.
    /// `tickers`: the symbols, whose latest tickers ticker values read; `None` in replays.
    fn run(&mut self, at: &At<'_>, tickers: Option<&[SymbolState]>, mode: SignalMode, emit: bool) {
        let kernel = std::sync::Arc::clone(&self.kernel);
        let mut intervals = at.intervals();
        let steps = match (intervals.next(), intervals.next()) {
            (None, _) => return,
            (Some(only), None) => kernel.nodes_of(only),
            _ => kernel.steps(),
        };
        let full = self.width == LANES;
        for step in steps {
            if let Some(lanes) = at.lanes(step.interval) {
                let i = step.interval as usize;
                let (mask, candles) = (at.masks[i], &at.candles[i]);
                // Full blocks, the bulk of the work, get code for their constant width.
                if full {
                    self.eval::<LANES>(step, lanes, mask, candles, tickers);
                } else {
                    self.eval::<0>(step, lanes, mask, candles, tickers);
                }
            }
        }
        for group in &kernel.roots {
            let i = group.interval as usize;
            let Some(flags) = self
                .flags
                .get(kernel.steps()[group.node as usize].flag as usize)
            else {
                continue;
            };
            let mut lanes = candidates(mode, flags.now, flags.before) & at.masks[i];
            let candles = &at.candles[i];
            while lanes != 0 {
                let l = lanes.trailing_zeros() as usize;
                lanes &= lanes - 1;
                for t in group.traders.clone() {
                    let trader = &kernel.traders[t as usize];
                    let last = &mut self.cooldowns[t as usize * self.width + l];
                    let open_time = candles[l].open_time;
                    let admitted =
                        admit(last, mode, trader.interval, open_time, trader.cooldown_bars);
                    if admitted && emit {
                        self.found.push(
                            (trader.plan, self.symbols[l]),
                            (t, l as u32),
                            Bar::from(candles[l]),
                        );
                    }
                }
            }
        }
    }

    /// What building the matches of the instant just evaluated reads.
    pub(crate) fn signals(&self) -> Signals<'_> {
        Signals {
            kernel: &self.kernel,
            width: self.width,
            values: &self.values,
            lane_symbols: &self.lane_symbols,
            found: &self.found,
        }
    }

    /// Evaluates one step on `lanes`, whose candles of the step's interval are `candles`.
    /// `WIDTH` is the block's width when known at compile time, else 0.
    #[inline]
    fn eval<const WIDTH: usize>(
        &mut self,
        step: &Step,
        lanes: Lanes<'_>,
        active: Mask,
        candles: &[&Candle],
        tickers: Option<&[SymbolState]>,
    ) {
        let (i, w) = (
            step.node as usize,
            if WIDTH > 0 { WIDTH } else { self.width },
        );
        let (before, rest) = self.values.split_at_mut(i * w);
        let out = &mut rest[..w];
        let row = |n: u32| &before[n as usize * w..][..w];
        match step.op {
            StepOp::Const(x) => fill(lanes, out, x),
            StepOp::Series(source) => lanes.each(|l| out[l] = finite(source.of(candles[l]))),
            StepOp::Ticker(field) => lanes.each(|l| {
                let ticker = tickers.and_then(|s| s[self.symbols[l] as usize].ticker());
                out[l] = ticker.map_or(UNDEFINED, |t| ticker_value(t, field));
            }),
            StepOp::Indicator {
                source,
                state,
                output,
                width,
            } => {
                let states = &mut self.states[state as usize * w..][..w];
                let rows = &mut self.outputs[output as usize * w..][..width as usize * w];
                let source = (source != NONE).then(|| row(source));
                let update = |state: &mut NodeState, l: usize, into: &mut [f64]| match state {
                    NodeState::Indicator(Some(indicator)) => {
                        indicator.update(candles[l], source.map(|s| s[l]), into)
                    }
                    _ => false,
                };
                if width == 1 {
                    // The output row is the lane's own output slot.
                    lanes.each(|l| {
                        let into = std::slice::from_mut(&mut rows[l]);
                        out[l] = from_bool(update(&mut states[l], l, into));
                    });
                } else {
                    // The update writes its outputs side by side (all of them, or none when
                    // not ready); they go to one row per field.
                    let mut written = [UNDEFINED; MAX_WIDTH];
                    let mut wide = Vec::new();
                    let into: &mut [f64] = match written.get_mut(..width as usize) {
                        Some(into) => into,
                        None => {
                            wide.resize(width as usize, UNDEFINED);
                            &mut wide
                        }
                    };
                    lanes.each(|l| {
                        let ready = update(&mut states[l], l, into);
                        if ready {
                            for (f, &x) in into.iter().enumerate() {
                                rows[f * w + l] = x;
                            }
                        }
                        out[l] = from_bool(ready);
                    });
                }
            }
            StepOp::Field {
                instance,
                output,
                boolean,
            } => match self.outputs.get(output as usize * w..) {
                Some(field) => {
                    let field = &field[..w];
                    // Outputs are current where the instance's value is 1.0.
                    let current = |ready: f64, x: f64| select(ready == 1.0, finite(x), UNDEFINED);
                    if boolean {
                        map2(lanes, out, row(instance), field, |ready, x| {
                            let x = current(ready, x);
                            select(x.is_nan(), x, from_bool(x != 0.0))
                        });
                    } else {
                        map2(lanes, out, row(instance), field, current);
                    }
                }
                None => fill(lanes, out, UNDEFINED),
            },
            StepOp::Copy { of } => map1(lanes, out, row(of), |x| x),
            StepOp::Past { history, bars } => match self.histories.get(history as usize) {
                Some(h) => {
                    let bars = bars as usize;
                    let done = matches!(lanes, Lanes::All(n) if h.read_all(n, bars, out));
                    if !done {
                        lanes.each(|l| out[l] = h.get_at(l, bars).unwrap_or(UNDEFINED));
                    }
                }
                None => fill(lanes, out, UNDEFINED),
            },
            StepOp::Unary(op, a) => match op {
                UnaryOp::Neg => map1(lanes, out, row(a), |x| -x),
                UnaryOp::Abs => map1(lanes, out, row(a), f64::abs),
                UnaryOp::Not => map1(lanes, out, row(a), |x| from_bool(!truthy(x))),
            },
            StepOp::Binary(op, a, b) => binary_rows(op, lanes, out, row(a), row(b)),
            StepOp::Lt(a, b) => map2(lanes, out, row(a), row(b), |x, y| from_bool(x < y)),
            StepOp::Le(a, b) => map2(lanes, out, row(a), row(b), |x, y| from_bool(x <= y)),
            StepOp::Gt(a, b) => map2(lanes, out, row(a), row(b), |x, y| from_bool(x > y)),
            StepOp::Ge(a, b) => map2(lanes, out, row(a), row(b), |x, y| from_bool(x >= y)),
            StepOp::And(a, b) => map2(lanes, out, row(a), row(b), |x, y| {
                from_bool(truthy(x) & truthy(y))
            }),
            StepOp::Or(a, b) => map2(lanes, out, row(a), row(b), |x, y| {
                from_bool(truthy(x) | truthy(y))
            }),
            StepOp::Sum { of, history, bars } => {
                let (of, history) = (row(of), self.histories.get(history as usize));
                let bars = bars as usize;
                lanes.each(|l| {
                    out[l] = match history {
                        Some(h) if h.len(l) >= bars => {
                            finite((0..bars).map_while(|ago| h.get_at(l, ago)).sum())
                        }
                        None if bars <= 1 => finite(std::iter::once(of[l]).sum()),
                        _ => UNDEFINED,
                    };
                });
            }
            StepOp::Count { of, history, bars } => {
                let (of, history) = (row(of), self.histories.get(history as usize));
                let bars = bars as usize;
                lanes.each(|l| {
                    out[l] = match history {
                        Some(h) if h.len(l) >= bars => (0..bars)
                            .map_while(|ago| h.get_at(l, ago))
                            .filter(|&x| truthy(x))
                            .count() as f64,
                        None if bars <= 1 => f64::from(u8::from(truthy(of[l]))),
                        _ => UNDEFINED,
                    };
                });
            }
            StepOp::BarsSince { cond, state, max } => {
                let cond = row(cond);
                let states = &mut self.states[state as usize * w..][..w];
                lanes.each(|l| {
                    out[l] = match &mut states[l] {
                        NodeState::BarsSince(since) => {
                            *since = if truthy(cond[l]) {
                                Some(0)
                            } else {
                                since.and_then(|n| n.checked_add(1)).filter(|&n| n <= max)
                            };
                            since.map_or(UNDEFINED, f64::from)
                        }
                        _ => UNDEFINED,
                    };
                });
            }
            StepOp::Divergence {
                price,
                oscillator,
                row: d,
                ..
            } => {
                let (price, oscillator) = (row(price), row(oscillator));
                match &mut self.divergences[d as usize] {
                    Some(divergences) => lanes.each(|l| {
                        let (p, o) = (price[l], oscillator[l]);
                        out[l] = if p.is_nan() || o.is_nan() {
                            0.0
                        } else {
                            from_bool(divergences.next(l, p, o) == Some(true))
                        };
                    }),
                    None => fill(lanes, out, 0.0),
                }
            }
        }
        if let Some(flags) = self.flags.get_mut(step.flag as usize) {
            flags.shift(active, truth(out));
        }
        if let Some(history) = self.histories.get_mut(step.history as usize) {
            let done = matches!(lanes, Lanes::All(n) if history.push_all(n, out));
            if !done {
                lanes.each(|l| history.push(l, out[l]));
            }
        }
    }
}

/// The parts of a [`Block`] its matches are built from, which threads can share (its
/// indicator instances cannot be).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Signals<'a> {
    kernel: &'a Kernel,
    width: usize,
    values: &'a [f64],
    lane_symbols: &'a [Symbol],
    found: &'a Found,
}

impl Signals<'_> {
    /// The match of the block's signal `at` (its position in [`Block::found`]).
    pub(crate) fn signal(&self, at: u32) -> Match {
        let (t, lane) = self.found.hits[at as usize];
        let trader = &self.kernel.traders[t as usize];
        let l = lane as usize;
        let value = |node: u32| {
            self.values
                .get(node as usize * self.width + l)
                .copied()
                .unwrap_or(UNDEFINED)
        };
        signal(
            trader,
            value,
            self.found.bars[at as usize],
            &self.lane_symbols[l],
        )
    }
}

/// The lanes whose value is true, as bits: over every lane of the row, used or not (the
/// caller masks out the others), so a full-width row is a fixed length the compiler vectorises.
#[inline]
fn truth(row: &[f64]) -> Mask {
    let bits = |row: &[f64]| {
        row.iter()
            .enumerate()
            .fold(0, |bits, (l, &x)| bits | (Mask::from(truthy(x)) << l))
    };
    match row.first_chunk::<LANES>() {
        Some(full) => bits(full),
        None => bits(row),
    }
}

/// `out = a op b` on `lanes`, with the operation chosen once for the whole row.
#[inline]
fn binary_rows(op: BinaryOp, lanes: Lanes<'_>, out: &mut [f64], a: &[f64], b: &[f64]) {
    macro_rules! rows {
        ($($op:ident),+) => {
            match op {
                $(BinaryOp::$op => map2(lanes, out, a, b, |x, y| binary(BinaryOp::$op, x, y)),)+
            }
        };
    }
    rows!(
        Add, Sub, Mul, Div, Min, Max, Lt, Le, Gt, Ge, Eq, Ne, And, Or
    );
}
