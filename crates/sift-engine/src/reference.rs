//! A reference engine for tests: every symbol evaluated alone, symbol-major, with
//! [`crate::eval`] (the code replays use), against which the node-major blocks of [`Engine`]
//! are checked on random traders and markets.

use std::collections::HashMap;
use std::sync::Arc;

use sift_core::{Candle, Interval, Symbol, Ticker};
use sift_rules::{CheckOptions, check};

use crate::eval::{Instant, Sink, run_nodes, run_traders};
use crate::kernel::Kernel;
use crate::key::Interner;
use crate::plan::Plan;
use crate::signal::Cooldowns;
use crate::slots::Slots;
use crate::symbol::SymbolState;
use crate::{
    CloseBatch, Engine, EngineConfig, Match, SignalMode, SymbolFilter, Trader, TraderId,
    engine::kernel_for,
};

/// The engine's behaviour, the simplest way: per symbol its own [`Slots`], nodes one after
/// the other.
struct Reference {
    mode: SignalMode,
    capacity: usize,
    interner: Interner,
    plan: Plan,
    symbols: Vec<(SymbolState, Slots, Cooldowns)>,
    index: HashMap<Symbol, usize>,
}

impl Reference {
    fn new(mode: SignalMode, capacity: usize) -> Self {
        Self {
            mode,
            capacity,
            interner: Interner::default(),
            plan: Plan::default(),
            symbols: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn set_traders(&mut self, mut traders: Vec<Trader>) {
        traders.sort_by_key(|t| t.id);
        let plan = Plan::compile(&traders, &mut self.interner).unwrap();
        let mut cache = HashMap::new();
        for (state, slots, cooldowns) in &mut self.symbols {
            let kernel = kernel_for(&plan, &mut cache, &state.symbol);
            let old = (std::mem::take(slots), std::mem::take(cooldowns));
            (*slots, *cooldowns) = state.rebind(
                &plan,
                kernel,
                old,
                self.mode,
                crate::candles::Warming::own(),
            );
        }
        self.plan = plan;
    }

    fn state(&mut self, symbol: &Symbol) -> usize {
        if let Some(&i) = self.index.get(symbol) {
            return i;
        }
        let kernel = kernel_for(&self.plan, &mut HashMap::new(), symbol);
        let slots = Slots::fresh(&kernel);
        let cooldowns = Cooldowns::new(kernel.traders.len());
        let state = SymbolState::new(symbol.clone(), kernel);
        self.symbols.push((state, slots, cooldowns));
        self.index.insert(symbol.clone(), self.symbols.len() - 1);
        self.symbols.len() - 1
    }

    fn warm(&mut self, symbol: &Symbol, interval: Interval, candles: &[Candle]) {
        let i = self.state(symbol);
        for c in candles.iter().filter(|c| c.closed) {
            self.symbols[i].0.store(interval, *c, self.capacity);
        }
    }

    fn process(&mut self, batch: &CloseBatch) -> Vec<Match> {
        for ticker in &batch.tickers {
            let i = self.state(&ticker.symbol);
            self.symbols[i].0.set_ticker(ticker.clone());
        }
        for (state, slots, cooldowns) in &mut self.symbols {
            if state.is_dirty() {
                (*slots, *cooldowns) = state.rebuild(self.mode, crate::candles::Warming::own());
                state.clean();
            }
        }
        let mut candles: Vec<&(Symbol, Interval, Candle)> =
            batch.candles.iter().filter(|c| c.2.closed).collect();
        candles.sort_by_key(|c| c.2.close_time);
        let mut out = Vec::new();
        for group in candles.chunk_by(|a, b| a.2.close_time == b.2.close_time) {
            let mut pending: Vec<(usize, Interval)> = Vec::new();
            for (symbol, interval, candle) in group.iter().copied() {
                let i = self.state(symbol);
                if self.symbols[i].0.push(*interval, *candle, self.capacity) {
                    pending.push((i, *interval));
                }
            }
            let mut found: Vec<(u32, Symbol, Match)> = Vec::new();
            for i in 0..self.symbols.len() {
                let (state, slots, cooldowns) = &mut self.symbols[i];
                let mut at = Instant::new();
                for &(_, interval) in pending.iter().filter(|(s, _)| *s == i) {
                    if let Some(candle) = state.last(interval) {
                        at.insert(interval, candle);
                    }
                }
                if at.is_empty() {
                    continue;
                }
                let kernel: Arc<Kernel> = Arc::clone(state.kernel());
                run_nodes(&kernel, slots, &at, state.ticker());
                let mut matches = Vec::new();
                let sink = Sink {
                    symbol: &state.symbol,
                    matches: &mut matches,
                };
                run_traders(&kernel, slots, cooldowns, &at, self.mode, Some(sink));
                found.extend(matches.into_iter().map(|(t, m)| (t, m.symbol.clone(), m)));
            }
            found.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
            out.extend(found.into_iter().map(|(_, _, m)| m));
        }
        out
    }
}

/// xorshift64*, for reproducible random tests without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// Rules that use every kind of node: indicators with fields and derived sources, history,
/// windows, `bars_since`, divergence, other timeframes, ticker values, constants, patterns.
const RULES: &[&str] = &[
    "rsi(14) < 40",
    // Sub-expressions of other rules, so rebinding makes inner nodes roots.
    "rsi(14) < 40 and close > open",
    "close > open",
    "rsi(9) > 60",
    "rsi(9) > 60 and rsi(9) > rsi(9)[1]",
    "crossover(sma(close, 5), sma(close, 12))",
    "crossunder(close, ema(8))",
    "close > highest(high, 10)[1] and volume > 1.2 * sma(volume, 10)",
    "close < lowest(low, 8)[1] or volume > 2 * sma(volume, 20)",
    "divergence(bullish, low, rsi(14), lookback=12, min_sep=3)",
    "divergence(bearish, high, macd(12, 26, 9).line, 15, 4)",
    "sum(volume, 5) > 280 or count(close > open, 4) >= 3",
    "bars_since(close > open) < 2 and not (close < open[1])",
    "bars_since(volume > 1.5 * sma(volume, 10), max=6) >= 1",
    "rsi(14) @ 5m > 50 and close > ema(9) @ 5m",
    "macd(12, 26, 9).hist @ 15m > 0 and rising(rsi(14), 1)",
    "abs(change(close, 2)) > 0.4 and min(open, close) > max(low, 1)",
    "price > 20 and change_pct_24h > -3",
    "volume_24h > 1000 or quote_volume_24h < 0",
    "true",
    "close > 0",
    "bullish_engulfing() or hammer() or doji()",
    "pivot_high(3, 3) > pivot_high(3, 3)[10] and pivot_low(3, 3) > pivot_low(3, 3)[10]",
    "close / open != 1 and close - open == close - open",
    "bb(20, 2).width[5] < 0.05 and bb(20, 2).width >= 0.05",
    "close > bb(20, 2).upper or close < bb(20, 2).lower",
    "falling(close, 2) and between(rsi(14), 30, 70)",
    "sma(obv(), 10) > sma(obv(), 20)",
    "sma(close / open, 5) > 1",
    "change_pct(close, 3) < -1.5",
    "cross(ema(5), ema(13)) and atr(14) > 0",
    "stochrsi(14, 14, 3, 3).k > 80 or adx(14).adx > 25",
    "close @ 5m > close[1] @ 5m and hl2 > hlc3",
];

fn random_trader(rng: &mut Rng, id: u64, symbols: &[Symbol]) -> Trader {
    let rule = RULES[rng.below(RULES.len())];
    let interval = if rng.chance(0.15) && !rule.contains('@') {
        Interval::M5
    } else {
        Interval::M1
    };
    let program = check(rule, &CheckOptions::new(interval))
        .unwrap_or_else(|d| panic!("{rule}: {:?}", d.first().map(|d| &d.message)));
    let mut trader =
        Trader::new(TraderId(id), rule, Arc::new(program)).with_cooldown([0, 0, 3][rng.below(3)]);
    if rng.chance(0.2) {
        let list = symbols
            .iter()
            .filter(|_| rng.chance(0.4))
            .cloned()
            .collect();
        trader = trader.with_symbols(SymbolFilter::List(list));
    }
    trader
}

/// A random walk of 1m candles per symbol, with volume spikes.
fn market(rng: &mut Rng, symbols: usize, minutes: usize) -> Vec<Vec<Candle>> {
    (0..symbols)
        .map(|_| {
            let mut price = 10.0 + rng.unit() * 90.0;
            (0..minutes)
                .map(|i| {
                    let open = price;
                    price *= 1.0 + (rng.unit() - 0.5) * 0.02;
                    let high = open.max(price) * (1.0 + rng.unit() * 0.004);
                    let low = open.min(price) * (1.0 - rng.unit() * 0.004);
                    let spike = if rng.chance(0.05) { 5.0 } else { 1.0 };
                    let volume = (10.0 + rng.unit() * 100.0) * spike;
                    let mut c = Candle::ohlcv(i as i64 * 60_000, open, high, low, price, volume);
                    c.close_time = c.open_time + 59_999;
                    c.quote_volume = volume * price;
                    c
                })
                .collect()
        })
        .collect()
}

/// The complete candle of `interval` ending with minute `m` of `minutes`, if one ends there.
fn aggregate(minutes: &[Candle], m: usize, interval: Interval) -> Option<Candle> {
    let per = (interval.nominal_duration_ms() / 60_000) as usize;
    if (m + 1) % per != 0 {
        return None;
    }
    let span = &minutes[m + 1 - per..=m];
    let mut c = span[0];
    c.close_time = span[per - 1].close_time;
    c.close = span[per - 1].close;
    c.high = span.iter().map(|c| c.high).fold(f64::MIN, f64::max);
    c.low = span.iter().map(|c| c.low).fold(f64::MAX, f64::min);
    c.volume = span.iter().map(|c| c.volume).sum();
    c.quote_volume = span.iter().map(|c| c.quote_volume).sum();
    Some(c)
}

fn ticker(rng: &mut Rng, symbol: &Symbol, last: &Candle) -> Ticker {
    Ticker {
        symbol: symbol.clone(),
        event_time: last.close_time,
        last_price: last.close,
        open_price: last.open * (1.0 + (rng.unit() - 0.5) * 0.1),
        high_price: last.high * 1.01,
        low_price: last.low * 0.99,
        volume: rng.unit() * 2000.0,
        quote_volume: rng.unit() * 1e5,
    }
}

/// Feeds the same random market, with missing candles, tickers, warming and trader changes,
/// to the engine and to the reference; returns how many matches they agreed on.
fn compare(seed: u64, mode: SignalMode, parallel: bool) -> usize {
    let mut rng = Rng(seed);
    let names: Vec<Symbol> = (0..75)
        .map(|i| Symbol::new(&format!("S{i:03}USDT")).unwrap())
        .collect();
    let minutes = 240;
    let data = market(&mut rng, names.len(), minutes);
    let capacity = 120;
    let mut engine = Engine::new(EngineConfig {
        mode,
        candle_capacity: capacity,
        parallel,
        parallel_min_work: 0,
    });
    let mut reference = Reference::new(mode, capacity);
    let mut traders: Vec<Trader> = (0..40)
        .map(|id| random_trader(&mut rng, id, &names))
        .collect();
    engine.set_traders(traders.clone()).unwrap();
    reference.set_traders(traders.clone());
    // The last symbols join late, warmed from history.
    let (live, late) = names.split_at(70);
    let mut agreed = 0;
    for m in 0..minutes {
        if m == 90 {
            for (s, symbol) in late.iter().enumerate() {
                let history = &data[70 + s][..m];
                engine.warm(symbol, Interval::M1, history);
                reference.warm(symbol, Interval::M1, history);
            }
        }
        if m == 60 || m == 130 || m == 200 {
            // Some traders go, some change, some come.
            traders.retain(|_| !rng.chance(0.2));
            for t in &mut traders {
                if rng.chance(0.1) {
                    *t = random_trader(&mut rng, t.id.0, &names);
                }
            }
            let next = 100 + m as u64;
            traders.extend((next..next + 8).map(|id| random_trader(&mut rng, id, &names)));
            engine.set_traders(traders.clone()).unwrap();
            reference.set_traders(traders.clone());
        }
        let mut batch = CloseBatch::new();
        let symbols = if m >= 90 { &names[..] } else { live };
        for (s, symbol) in symbols.iter().enumerate() {
            // Every few minutes a symbol misses its candle, so some lanes sit out.
            if rng.chance(0.03) {
                continue;
            }
            batch.push(symbol.clone(), Interval::M1, data[s][m]);
            for interval in [Interval::M5, Interval::M15] {
                if let Some(c) = aggregate(&data[s], m, interval) {
                    batch.push(symbol.clone(), interval, c);
                }
            }
            if rng.chance(0.1) {
                batch.tickers.push(ticker(&mut rng, symbol, &data[s][m]));
            }
        }
        let want = reference.process(&batch);
        let got = engine.process(&batch);
        assert_eq!(got, want, "minute {m}, seed {seed}, {mode:?}");
        agreed += got.len();
    }
    agreed
}

#[test]
fn blocks_give_the_matches_of_symbols_evaluated_alone() {
    for (seed, mode, parallel) in [
        (1, SignalMode::Edge, true),
        (2, SignalMode::Level, true),
        (3, SignalMode::Edge, false),
    ] {
        let agreed = compare(seed, mode, parallel);
        assert!(agreed > 1000, "only {agreed} matches with seed {seed}");
    }
}
