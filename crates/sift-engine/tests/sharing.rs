//! Traders share indicator instances and sub-expressions: one per (symbol, interval, spec,
//! source) however many traders use it.

mod common;

use common::{Builder, MINUTE, candle, sym, trader};
use sift_core::Interval;
use sift_engine::{CloseBatch, Engine, EngineConfig};
use sift_rules::program::BinaryOp;

/// `rsi(14) <op> level` on 1m.
fn rsi_rule(op: BinaryOp, level: f64, flip: bool) -> sift_rules::Program {
    let mut b = Builder::new(Interval::M1, &format!("rsi {op:?} {level}"));
    let rsi = b.ind(Interval::M1, "rsi(14)", 0, None);
    let lvl = b.num(level);
    let root = if flip {
        b.bin(op, lvl, rsi)
    } else {
        b.bin(op, rsi, lvl)
    };
    b.reference("rsi(14)", rsi);
    b.build(root)
}

fn feed(engine: &mut Engine, symbols: &[&str], bars: i64) {
    for i in 0..bars {
        let mut batch = CloseBatch::new();
        for (k, name) in symbols.iter().enumerate() {
            let close = 100.0 + ((i * 7 + k as i64 * 3) % 11) as f64;
            batch.push(
                sym(name),
                Interval::M1,
                candle(Interval::M1, i * MINUTE, close, 1.0),
            );
        }
        engine.process(&batch);
    }
}

#[test]
fn two_traders_with_the_same_indicator_share_one_instance_per_symbol() {
    let mut engine = Engine::new(EngineConfig::default());
    engine
        .set_traders(vec![
            trader(1, rsi_rule(BinaryOp::Lt, 30.0, false)),
            trader(2, rsi_rule(BinaryOp::Gt, 70.0, false)),
        ])
        .unwrap();
    feed(&mut engine, &["BTCUSDT", "ETHUSDT", "XRPUSDT"], 20);
    let stats = engine.stats();
    assert_eq!(stats.traders, 2);
    assert_eq!(stats.plan_indicators, 1);
    assert_eq!(stats.symbols, 3);
    assert_eq!(stats.kernels, 1);
    assert_eq!(stats.indicators, 3);
    // rsi instance + rsi value + two constants + two comparisons.
    assert_eq!(stats.plan_nodes, 6);
    assert_eq!(stats.nodes, 18);
}

#[test]
fn identical_sub_expressions_are_one_node_even_when_written_mirrored() {
    let mut engine = Engine::new(EngineConfig::default());
    engine
        .set_traders(vec![
            trader(1, rsi_rule(BinaryOp::Lt, 30.0, false)),
            // 30 > rsi(14) is rsi(14) < 30.
            trader(2, rsi_rule(BinaryOp::Gt, 30.0, true)),
        ])
        .unwrap();
    // rsi instance + rsi value + constant + one comparison.
    assert_eq!(engine.stats().plan_nodes, 4);
}

#[test]
fn fields_of_one_indicator_share_the_instance_and_timeframes_do_not() {
    let mut b = Builder::new(Interval::M1, "macd.hist > macd.signal (and on 5m)");
    let hist = b.ind(Interval::M1, "macd(12, 26, 9)", 2, None);
    let signal = b.ind(Interval::M1, "macd(12, 26, 9)", 1, None);
    let root1 = b.bin(BinaryOp::Gt, hist, signal);
    let hist5 = b.ind(Interval::M5, "macd(12, 26, 9)", 2, None);
    let hist5 = b.sample(hist5);
    let zero = b.num(0.0);
    let root2 = b.bin(BinaryOp::Gt, hist5, zero);
    let root = b.bin(BinaryOp::And, root1, root2);
    let mut engine = Engine::new(EngineConfig::default());
    engine.set_traders(vec![trader(1, b.build(root))]).unwrap();
    feed(&mut engine, &["BTCUSDT"], 3);
    let stats = engine.stats();
    assert_eq!(stats.plan_indicators, 2);
    assert_eq!(stats.indicators, 2);
}

#[test]
fn symbol_filters_instantiate_only_what_the_symbol_needs() {
    let only_btc = sift_engine::SymbolFilter::List(vec![sym("BTCUSDT")]);
    let mut b = Builder::new(Interval::M1, "ema(10) > 0");
    let ema = b.ind(Interval::M1, "ema(10)", 0, None);
    let zero = b.num(0.0);
    let root = b.bin(BinaryOp::Gt, ema, zero);
    let mut engine = Engine::new(EngineConfig::default());
    engine
        .set_traders(vec![
            trader(1, rsi_rule(BinaryOp::Lt, 30.0, false)),
            trader(2, b.build(root)).with_symbols(only_btc),
        ])
        .unwrap();
    feed(&mut engine, &["BTCUSDT", "ETHUSDT"], 2);
    let stats = engine.stats();
    assert_eq!(stats.plan_indicators, 2);
    assert_eq!(stats.kernels, 2);
    assert_eq!(stats.indicators, 3);
}
