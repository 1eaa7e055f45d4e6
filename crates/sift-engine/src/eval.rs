//! Evaluation of one symbol at one instant: the nodes of the intervals that closed, in
//! topological order, then the traders of those intervals.
//!
//! Replays (warming new nodes and rebuilt symbols from stored candles) run one symbol this
//! way; live closes run blocks of symbols node by node ([`crate::lanes`]), which computes the
//! same values.
//!
//! Topological order across timeframes is what prevents look-ahead and look-behind alike: when
//! the 1m and 1h candles of 10:59:59.999 close together, a 1m node sampling a 1h node runs after
//! that 1h node has taken the new 1h candle, because the sampled node's index is smaller.

use std::sync::Arc;

use sift_core::{Candle, Interval, Symbol, Ticker};
use sift_rules::program::TickerField;

use crate::kernel::{Kernel, KernelTrader};
use crate::match_values::MatchValues;
use crate::matches::Bar;
use crate::signal::{Cooldowns, Match, SignalMode, candidate};
use crate::slots::{NodeState, Slots};
use crate::step::{Step, StepOp};
use crate::value::{UNDEFINED, binary, finite, from_bool, truthy, unary};

/// The candles of one symbol closing at one instant, by interval.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Instant<'a> {
    candles: [Option<&'a Candle>; Interval::ALL.len()],
    count: usize,
    last: Option<Interval>,
}

impl<'a> Instant<'a> {
    pub(crate) fn new() -> Self {
        Self {
            candles: [None; Interval::ALL.len()],
            count: 0,
            last: None,
        }
    }

    /// Adds the candle of `interval` closing now.
    pub(crate) fn insert(&mut self, interval: Interval, candle: &'a Candle) {
        let slot = &mut self.candles[interval as usize];
        if slot.is_none() {
            self.count += 1;
        }
        *slot = Some(candle);
        self.last = Some(interval);
    }

    #[inline]
    pub(crate) fn candle(&self, interval: Interval) -> Option<&'a Candle> {
        self.candles[interval as usize]
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// Evaluates the kernel's nodes whose interval closes at `at`. `ticker` is the symbol's latest
/// 24 h statistics (`None` in replays, which have no ticker history).
pub(crate) fn run_nodes(
    kernel: &Kernel,
    slots: &mut Slots,
    at: &Instant<'_>,
    ticker: Option<&Ticker>,
) {
    match (at.count, at.last) {
        (1, Some(interval)) => {
            if let Some(candle) = at.candle(interval) {
                for step in kernel.nodes_of(interval) {
                    eval(slots, step, candle, ticker);
                }
            }
        }
        _ => {
            for step in kernel.steps() {
                if let Some(candle) = at.candle(step.interval) {
                    eval(slots, step, candle, ticker);
                }
            }
        }
    }
}

/// Evaluates one step on `candle`, its interval's candle, and records the value.
///
/// Inlined into the loops of [`run_nodes`]: it runs once per node per symbol per close, and a
/// call costs about as much as a comparison node's whole work.
#[inline(always)]
fn eval(slots: &mut Slots, step: &Step, candle: &Candle, ticker: Option<&Ticker>) {
    let values = &slots.values;
    let value = match step.op {
        StepOp::Const(x) => x,
        StepOp::Series(source) => finite(source.of(candle)),
        StepOp::Ticker(field) => ticker.map_or(UNDEFINED, |t| ticker_value(t, field)),
        StepOp::Indicator {
            source,
            state,
            output,
            ..
        } => {
            let source = values.get(source as usize).copied();
            let out = slots.outputs.get_mut(output as usize..).unwrap_or_default();
            match slots.states.get_mut(state as usize) {
                Some(NodeState::Indicator(Some(indicator))) => {
                    from_bool(indicator.update(candle, source, out))
                }
                _ => UNDEFINED,
            }
        }
        StepOp::Field {
            instance,
            output,
            boolean,
            ..
        } => {
            let ready = values[instance as usize] == 1.0;
            match slots.outputs.get(output as usize) {
                Some(&x) if ready => {
                    let x = finite(x);
                    if boolean && !x.is_nan() {
                        from_bool(x != 0.0)
                    } else {
                        x
                    }
                }
                _ => UNDEFINED,
            }
        }
        StepOp::Copy { of } => values[of as usize],
        StepOp::Past { history, bars } => slots
            .histories
            .get(history as usize)
            .and_then(|h| h.get(bars as usize))
            .unwrap_or(UNDEFINED),
        StepOp::Unary(op, a) => unary(op, values[a as usize]),
        StepOp::Binary(op, a, b) => binary(op, values[a as usize], values[b as usize]),
        StepOp::Lt(a, b) => from_bool(values[a as usize] < values[b as usize]),
        StepOp::Le(a, b) => from_bool(values[a as usize] <= values[b as usize]),
        StepOp::Gt(a, b) => from_bool(values[a as usize] > values[b as usize]),
        StepOp::Ge(a, b) => from_bool(values[a as usize] >= values[b as usize]),
        StepOp::And(a, b) => from_bool(truthy(values[a as usize]) && truthy(values[b as usize])),
        StepOp::Or(a, b) => from_bool(truthy(values[a as usize]) || truthy(values[b as usize])),
        StepOp::Sum { of, history, bars } => match window(slots, of, history, bars) {
            Some(iter) => finite(iter.sum()),
            None => UNDEFINED,
        },
        StepOp::Count { of, history, bars } => match window(slots, of, history, bars) {
            Some(iter) => iter.filter(|&x| truthy(x)).count() as f64,
            None => UNDEFINED,
        },
        StepOp::BarsSince { cond, state, max } => {
            let holds = truthy(values[cond as usize]);
            match slots.states.get_mut(state as usize) {
                Some(NodeState::BarsSince(since)) => {
                    *since = if holds {
                        Some(0)
                    } else {
                        since.and_then(|n| n.checked_add(1)).filter(|&n| n <= max)
                    };
                    since.map_or(UNDEFINED, f64::from)
                }
                _ => UNDEFINED,
            }
        }
        StepOp::Divergence {
            price,
            oscillator,
            state,
            ..
        } => {
            let (p, o) = (values[price as usize], values[oscillator as usize]);
            match slots.states.get_mut(state as usize) {
                Some(NodeState::Divergence(Some(d))) if !p.is_nan() && !o.is_nan() => {
                    from_bool(d.next(p, o) == Some(true))
                }
                _ => 0.0,
            }
        }
    };
    let i = step.node as usize;
    slots.values[i] = value;
    slots.flags[i] = ((slots.flags[i] << 1) & 2) | u8::from(truthy(value));
    if let Some(history) = slots.histories.get_mut(step.history as usize) {
        history.push(value);
    }
}

/// The last `bars` values of node `of` (whose history is `history`), newest first, once that
/// many exist.
#[inline]
fn window(
    slots: &Slots,
    of: u32,
    history: u32,
    bars: u32,
) -> Option<impl Iterator<Item = f64> + '_> {
    let bars = bars as usize;
    match slots.histories.get(history as usize) {
        Some(h) if h.len() >= bars => Some(WindowIter::Ring(h, 0, bars)),
        None if bars <= 1 => Some(WindowIter::One(Some(slots.values[of as usize]))),
        _ => None,
    }
}

enum WindowIter<'a> {
    Ring(&'a crate::history::History, usize, usize),
    One(Option<f64>),
}

impl Iterator for WindowIter<'_> {
    type Item = f64;

    #[inline]
    fn next(&mut self) -> Option<f64> {
        match self {
            WindowIter::Ring(ring, at, end) => {
                if *at >= *end {
                    return None;
                }
                *at += 1;
                ring.get(*at - 1)
            }
            WindowIter::One(value) => value.take(),
        }
    }
}

/// A ticker value; undefined when not finite (or a change over a zero open price).
pub(crate) fn ticker_value(t: &Ticker, field: TickerField) -> f64 {
    let x = match field {
        TickerField::Price => t.last_price,
        TickerField::ChangePct24h => t.change_percent().unwrap_or(UNDEFINED),
        TickerField::High24h => t.high_price,
        TickerField::Low24h => t.low_price,
        TickerField::Volume24h => t.volume,
        TickerField::QuoteVolume24h => t.quote_volume,
    };
    finite(x)
}

/// Where signals go: matches (live) or nowhere (replays only advance cooldowns).
pub(crate) struct Sink<'a> {
    pub(crate) symbol: &'a Symbol,
    /// With the plan index of the trader that signalled (plan traders are ordered by id).
    pub(crate) matches: &'a mut Vec<(u32, Match)>,
}

/// Decides which traders whose interval closes at `at` signal: those whose rule turned true
/// (or holds, in level mode) and whose cooldown allows, pushing a match per signal into `sink`.
pub(crate) fn run_traders(
    kernel: &Kernel,
    slots: &Slots,
    cooldowns: &mut Cooldowns,
    at: &Instant<'_>,
    mode: SignalMode,
    mut sink: Option<Sink<'_>>,
) {
    for group in &kernel.roots {
        let Some(candle) = at.candle(group.interval) else {
            continue;
        };
        let flags = slots.flags[group.node as usize];
        if !candidate(mode, flags & 2 != 0, flags & 1 != 0) {
            continue;
        }
        for t in group.traders.clone() {
            let trader = &kernel.traders[t as usize];
            let admitted = cooldowns.admit(
                t as usize,
                mode,
                trader.interval,
                candle.open_time,
                trader.cooldown_bars,
            );
            if let (true, Some(sink)) = (admitted, sink.as_mut()) {
                let value = |node: u32| {
                    slots
                        .values
                        .get(node as usize)
                        .copied()
                        .unwrap_or(UNDEFINED)
                };
                let m = signal(trader, value, Bar::from(candle), sink.symbol);
                sink.matches.push((trader.plan, m));
            }
        }
    }
}

/// The match of `trader` at this bar; `value` gives the value of a node.
#[inline]
pub(crate) fn signal(
    trader: &KernelTrader,
    value: impl Fn(u32) -> f64,
    bar: Bar,
    symbol: &Symbol,
) -> Match {
    let info = &trader.info;
    let values = trader.references.iter().map(|&node| value(node)).collect();
    Match {
        trader: info.id,
        symbol: symbol.clone(),
        interval: info.interval,
        open_time: bar.open_time,
        close_time: bar.close_time,
        close: bar.close,
        rule_hash: info.rule_hash,
        values: MatchValues::new(Arc::clone(&info.names), values),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_holds_one_candle_per_interval() {
        let a = Candle::ohlcv(0, 1.0, 1.0, 1.0, 1.0, 1.0);
        let b = Candle::ohlcv(0, 2.0, 2.0, 2.0, 2.0, 1.0);
        let mut at = Instant::new();
        assert!(at.is_empty());
        at.insert(Interval::M1, &a);
        at.insert(Interval::H1, &b);
        at.insert(Interval::H1, &b);
        assert_eq!(at.count, 2);
        assert_eq!(at.candle(Interval::H1).map(|c| c.close), Some(2.0));
        assert!(at.candle(Interval::M5).is_none());
    }

    #[test]
    fn dedicated_binary_steps_agree_with_binary() {
        use sift_rules::program::BinaryOp;

        use crate::kernel::NONE;
        use crate::value::binary;

        let samples = [UNDEFINED, -1.0, 0.0, 2.0];
        let candle = Candle::ohlcv(0, 1.0, 1.0, 1.0, 1.0, 1.0);
        let ops = [
            (BinaryOp::Lt, StepOp::Lt(0, 1)),
            (BinaryOp::Le, StepOp::Le(0, 1)),
            (BinaryOp::Gt, StepOp::Gt(0, 1)),
            (BinaryOp::Ge, StepOp::Ge(0, 1)),
            (BinaryOp::And, StepOp::And(0, 1)),
            (BinaryOp::Or, StepOp::Or(0, 1)),
            (BinaryOp::Sub, StepOp::Binary(BinaryOp::Sub, 0, 1)),
        ];
        for (op, step_op) in ops {
            for a in samples {
                for b in samples {
                    let mut slots = Slots {
                        values: vec![a, b, 0.0],
                        flags: vec![0; 3],
                        ..Slots::default()
                    };
                    let step = Step {
                        node: 2,
                        history: NONE,
                        flag: NONE,
                        interval: Interval::M1,
                        op: step_op,
                    };
                    eval(&mut slots, &step, &candle, None);
                    let (got, want) = (slots.values[2], binary(op, a, b));
                    assert!(got.to_bits() == want.to_bits(), "{op:?}({a}, {b})");
                    assert_eq!(slots.flags[2], u8::from(truthy(want)));
                }
            }
        }
    }

    #[test]
    fn ticker_values() {
        let t = Ticker {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            event_time: 0,
            last_price: 110.0,
            open_price: 0.0,
            high_price: 120.0,
            low_price: 90.0,
            volume: f64::INFINITY,
            quote_volume: 5.0,
        };
        assert_eq!(ticker_value(&t, TickerField::Price), 110.0);
        assert!(ticker_value(&t, TickerField::ChangePct24h).is_nan());
        assert!(ticker_value(&t, TickerField::Volume24h).is_nan());
        assert_eq!(ticker_value(&t, TickerField::QuoteVolume24h), 5.0);
        assert_eq!(ticker_value(&t, TickerField::High24h), 120.0);
        assert_eq!(ticker_value(&t, TickerField::Low24h), 90.0);
    }
}
