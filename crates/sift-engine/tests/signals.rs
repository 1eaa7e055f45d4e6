//! Edge trigger, cooldown, level mode, symbol filters and match contents.

mod common;

use common::{MINUTE, candle, close_above, sym, trader};
use sift_core::Interval;
use sift_engine::{CloseBatch, Engine, EngineConfig, SignalMode, SymbolFilter, TraderId};

/// Feeds one 1m candle per close price to BTCUSDT and returns the bar indices that signalled.
fn run(engine: &mut Engine, closes: &[f64]) -> Vec<usize> {
    let btc = sym("BTCUSDT");
    let mut fired = Vec::new();
    for (i, &close) in closes.iter().enumerate() {
        let batch = CloseBatch::new().with(
            btc.clone(),
            Interval::M1,
            candle(Interval::M1, i as i64 * MINUTE, close, 1.0),
        );
        if !engine.process(&batch).is_empty() {
            fired.push(i);
        }
    }
    fired
}

const CLOSES: [f64; 10] = [5.0, 11.0, 12.0, 9.0, 11.0, 9.0, 11.0, 12.0, 9.0, 11.0];

#[test]
fn fires_when_the_rule_turns_true_not_while_it_stays_true() {
    let mut engine = Engine::new(EngineConfig::default());
    engine
        .set_traders(vec![trader(1, close_above(Interval::M1, 10.0))])
        .unwrap();
    assert_eq!(run(&mut engine, &CLOSES), [1, 4, 6, 9]);
}

#[test]
fn cooldown_suppresses_signals_within_n_bars() {
    let mut engine = Engine::new(EngineConfig::default());
    let t = trader(1, close_above(Interval::M1, 10.0)).with_cooldown(2);
    engine.set_traders(vec![t]).unwrap();
    // Edges at 1, 4, 6, 9: 4 is three bars after 1 (allowed), 6 two after 4 (suppressed).
    assert_eq!(run(&mut engine, &CLOSES), [1, 4, 9]);
}

#[test]
fn level_mode_reports_every_close_where_the_rule_holds() {
    let config = EngineConfig {
        mode: SignalMode::Level,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(config);
    let t = trader(1, close_above(Interval::M1, 10.0)).with_cooldown(5);
    engine.set_traders(vec![t]).unwrap();
    assert_eq!(run(&mut engine, &CLOSES), [1, 2, 4, 6, 7, 9]);
}

#[test]
fn a_match_carries_the_bar_the_rule_and_referenced_values() {
    let mut engine = Engine::new(EngineConfig::default());
    let t = trader(7, close_above(Interval::M1, 10.0));
    let hash = t.rule_hash;
    engine.set_traders(vec![t]).unwrap();
    let c = candle(Interval::M1, 5 * MINUTE, 11.5, 3.0);
    let matches = engine.process(&CloseBatch::new().with(sym("ETHUSDT"), Interval::M1, c));
    assert_eq!(matches.len(), 1);
    let m = &matches[0];
    assert_eq!(m.trader, TraderId(7));
    assert_eq!(m.symbol, sym("ETHUSDT"));
    assert_eq!(m.interval, Interval::M1);
    assert_eq!((m.open_time, m.close_time), (5 * MINUTE, 6 * MINUTE - 1));
    assert_eq!(m.close, 11.5);
    assert_eq!(m.rule_hash, hash);
    assert_eq!(m.rule_hash, sift_engine::rule_hash("close > 10"));
    assert!(m.values.iter().eq([("close", 11.5)]));
}

#[test]
fn duplicates_out_of_order_and_open_candles_are_ignored() {
    let mut engine = Engine::new(EngineConfig::default());
    engine
        .set_traders(vec![trader(1, close_above(Interval::M1, 10.0))])
        .unwrap();
    let btc = sym("BTCUSDT");
    let low = candle(Interval::M1, MINUTE, 5.0, 1.0);
    let high = candle(Interval::M1, 2 * MINUTE, 15.0, 1.0);
    assert!(
        engine
            .process(&CloseBatch::new().with(btc.clone(), Interval::M1, low))
            .is_empty()
    );
    assert_eq!(
        engine
            .process(&CloseBatch::new().with(btc.clone(), Interval::M1, high))
            .len(),
        1
    );
    // A repeat of the last candle and an older one change nothing.
    assert!(
        engine
            .process(&CloseBatch::new().with(btc.clone(), Interval::M1, high))
            .is_empty()
    );
    assert!(
        engine
            .process(&CloseBatch::new().with(btc.clone(), Interval::M1, low))
            .is_empty()
    );
    assert_eq!(engine.stats().ignored_candles, 2);
    // A forming candle is not evaluated.
    let mut forming = candle(Interval::M1, 3 * MINUTE, 5.0, 1.0);
    forming.closed = false;
    assert!(
        engine
            .process(&CloseBatch::new().with(btc.clone(), Interval::M1, forming))
            .is_empty()
    );
    assert_eq!(engine.stats().stored_candles, 2);
}

#[test]
fn symbol_filters_and_deterministic_order() {
    let mut engine = Engine::new(EngineConfig::default());
    let only_eth = SymbolFilter::List(vec![sym("ETHUSDT")]);
    engine
        .set_traders(vec![
            trader(2, close_above(Interval::M1, 10.0)),
            trader(1, close_above(Interval::M1, 10.0)).with_symbols(only_eth),
            trader(3, close_above(Interval::M5, 10.0)),
        ])
        .unwrap();
    let mut batch = CloseBatch::new();
    for name in ["XRPUSDT", "ETHUSDT", "BTCUSDT"] {
        batch.push(sym(name), Interval::M1, candle(Interval::M1, 0, 20.0, 1.0));
    }
    let got: Vec<(u64, String)> = engine
        .process(&batch)
        .iter()
        .map(|m| (m.trader.0, m.symbol.to_string()))
        .collect();
    let want = [
        (1, "ETHUSDT"),
        (2, "BTCUSDT"),
        (2, "ETHUSDT"),
        (2, "XRPUSDT"),
    ];
    let want: Vec<(u64, String)> = want.iter().map(|(t, s)| (*t, s.to_string())).collect();
    assert_eq!(got, want);
}

#[test]
fn disabled_traders_do_not_run() {
    let mut engine = Engine::new(EngineConfig::default());
    let t = trader(1, close_above(Interval::M1, 10.0)).with_enabled(false);
    engine.set_traders(vec![t]).unwrap();
    assert!(run(&mut engine, &CLOSES).is_empty());
    assert_eq!(engine.stats().traders, 0);
    assert_eq!(engine.traders().len(), 1);
}
