//! Rules written as text, checked by `sift_rules::check`, run through the engine.

mod common;

use std::sync::Arc;

use common::random::{Rng, aggregate, market, symbols};
use common::{MINUTE, candle, sym};
use sift_core::{Candle, Interval, Symbol};
use sift_engine::{CloseBatch, Engine, EngineConfig, Match, SignalMode, Trader, TraderId};
use sift_rules::{CheckOptions, check};

fn rule(id: u64, text: &str, interval: Interval) -> Trader {
    let program =
        check(text, &CheckOptions::new(interval)).unwrap_or_else(|d| panic!("{text}: {d:?}"));
    Trader::new(TraderId(id), format!("rule{id}"), Arc::new(program))
}

/// Every interval fed alongside 1m in these tests.
const HIGHER: [Interval; 4] = [Interval::M5, Interval::M15, Interval::H1, Interval::H4];

/// Feeds `minutes` per symbol, with every higher interval aggregated from them, one batch per
/// minute close.
fn feed(engine: &mut Engine, symbols: &[Symbol], minutes: &[Vec<Candle>]) -> Vec<Match> {
    let higher: Vec<Vec<Vec<Candle>>> = minutes
        .iter()
        .map(|m| HIGHER.iter().map(|&iv| aggregate(m, iv)).collect())
        .collect();
    let mut cursors = vec![[0usize; HIGHER.len()]; symbols.len()];
    let mut out = Vec::new();
    for i in 0..minutes[0].len() {
        let mut batch = CloseBatch::new();
        for (s, (symbol, series)) in symbols.iter().zip(minutes).enumerate() {
            let m = series[i];
            batch.push(symbol.clone(), Interval::M1, m);
            for (k, &iv) in HIGHER.iter().enumerate() {
                if let Some(c) = higher[s][k].get(cursors[s][k])
                    && c.close_time == m.close_time
                {
                    batch.push(symbol.clone(), iv, *c);
                    cursors[s][k] += 1;
                }
            }
        }
        out.extend(engine.process(&batch));
    }
    out
}

#[test]
fn the_issue_example_runs_and_shares_rsi() {
    let text = "# RSI oversold bounce, only in a 1h uptrend, on unusual volume\n\
                let uptrend = close @ 1h > ema(200) @ 1h\n\
                rsi(14) < 30 and rsi(14) > rsi(14)[1] and uptrend and volume > 2 * sma(volume, 20)";
    let mut engine = Engine::new(EngineConfig::default());
    engine
        .set_traders(vec![
            rule(1, text, Interval::M1),
            rule(2, "rsi(14) > 70", Interval::M1),
            rule(3, "crossover(rsi(14), 30)", Interval::M1),
        ])
        .unwrap();
    let mut rng = Rng::new(3);
    let syms = symbols(3);
    let minutes = market(&mut rng, 3, 600, Interval::M1);
    let matches = feed(&mut engine, &syms, &minutes);
    assert!(matches.iter().any(|m| m.trader == TraderId(2)));
    let stats = engine.stats();
    // rsi(14), ema(200) @ 1h, sma(volume, 20): rsi shared by all three traders.
    assert_eq!(stats.plan_indicators, 3, "{stats:?}");
    let warmup = engine.warmup();
    assert_eq!(
        warmup.iter().map(|(iv, _)| *iv).collect::<Vec<_>>(),
        [Interval::M1, Interval::H1]
    );
    assert!(warmup.iter().all(|(_, bars)| *bars >= 15), "{warmup:?}");
}

#[test]
fn text_rules_fire_where_they_should() {
    let btc = sym("BTCUSDT");
    // 30 flat bars at 100, then a jump to 110 with triple volume at bar 30.
    let minutes: Vec<Candle> = (0..40)
        .map(|i| {
            let (close, volume) = if i == 30 {
                (110.0, 30.0)
            } else if i > 30 {
                (110.0, 10.0)
            } else {
                (100.0, 10.0)
            };
            candle(Interval::M1, i * MINUTE, close, volume)
        })
        .collect();
    let mut engine = Engine::new(EngineConfig::default());
    engine
        .set_traders(vec![
            rule(1, "volume > 2 * sma(volume, 20)", Interval::M1),
            rule(2, "crossover(close, sma(close, 10))", Interval::M1),
            rule(3, "close > highest(close, 20)[1]", Interval::M1),
            rule(4, "change_pct(close, 1) > 5", Interval::M1),
        ])
        .unwrap();
    let got: Vec<(u64, i64)> = feed(&mut engine, std::slice::from_ref(&btc), &[minutes])
        .iter()
        .map(|m| (m.trader.0, m.open_time / MINUTE))
        .collect();
    assert_eq!(got, [(1, 30), (2, 30), (3, 30), (4, 30)]);
}

#[test]
fn every_builtin_example_runs_without_undefined_values_leaking() {
    let mut traders = Vec::new();
    let mut id = 0;
    for builtin in sift_rules::builtins::all() {
        for example in builtin.examples {
            id += 1;
            if let Ok(program) = check(example.rule, &CheckOptions::new(Interval::M1)) {
                traders.push(Trader::new(TraderId(id), example.rule, Arc::new(program)));
            }
        }
    }
    assert!(traders.len() >= 20, "only {} examples check", traders.len());
    for mode in [SignalMode::Edge, SignalMode::Level] {
        let mut engine = Engine::new(EngineConfig {
            mode,
            ..EngineConfig::default()
        });
        engine.set_traders(traders.clone()).unwrap();
        let mut rng = Rng::new(11);
        let syms = symbols(2);
        let minutes = market(&mut rng, 2, 400, Interval::M1);
        let matches = feed(&mut engine, &syms, &minutes);
        assert!(!matches.is_empty());
        assert!(
            matches
                .iter()
                .flat_map(|m| &m.values)
                .all(|(_, v)| v.is_finite())
        );
    }
}

#[test]
fn derived_sources_and_divergence_from_text() {
    let mut engine = Engine::new(EngineConfig {
        mode: SignalMode::Level,
        ..EngineConfig::default()
    });
    engine
        .set_traders(vec![
            rule(1, "sma(obv(), 20) > -1e12", Interval::M1),
            rule(
                2,
                "divergence(bullish, low, rsi(14), 30, 5) or true",
                Interval::M1,
            ),
        ])
        .unwrap();
    let mut rng = Rng::new(5);
    let syms = symbols(1);
    let minutes = market(&mut rng, 1, 100, Interval::M1);
    let matches = feed(&mut engine, &syms, &minutes);
    let obv_sma: Vec<&Match> = matches.iter().filter(|m| m.trader == TraderId(1)).collect();
    // obv is defined from the first bar, so its 20-bar average from the 20th.
    assert_eq!(obv_sma.len(), 81);
    assert_eq!(obv_sma[0].open_time, 19 * MINUTE);
    assert_eq!(engine.stats().plan_indicators, 3);
}
