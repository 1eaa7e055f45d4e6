//! Same input, same output: twice in a row, and with or without threads.

mod common;

use common::random::{Rng, market, random_trader, symbols};
use sift_core::Interval;
use sift_engine::{CloseBatch, Engine, EngineConfig, Match};

fn run(parallel: bool) -> (Vec<Match>, sift_engine::EngineStats) {
    let mut rng = Rng::new(42);
    let syms = symbols(24);
    let minutes = market(&mut rng, syms.len(), 300, Interval::M1);
    let fives = market(&mut rng, syms.len(), 60, Interval::M5);
    let mut traders: Vec<_> = (0..40)
        .map(|id| random_trader(&mut rng, id, Interval::M1))
        .collect();
    traders.extend((40..50).map(|id| random_trader(&mut rng, id, Interval::M5)));
    let mut engine = Engine::new(EngineConfig {
        parallel,
        parallel_min_work: 0,
        ..EngineConfig::default()
    });
    engine.set_traders(traders).expect("valid traders");
    let mut out = Vec::new();
    for minute in 0..300 {
        let mut batch = CloseBatch::new();
        for (s, symbol) in syms.iter().enumerate() {
            batch.push(symbol.clone(), Interval::M1, minutes[s][minute]);
            if (minute + 1) % 5 == 0 {
                batch.push(symbol.clone(), Interval::M5, fives[s][minute / 5]);
            }
        }
        out.extend(engine.process(&batch));
    }
    (out, engine.stats())
}

#[test]
fn the_same_input_gives_the_same_matches_with_or_without_threads() {
    let (first, stats) = run(true);
    let (second, _) = run(true);
    let (sequential, _) = run(false);
    assert!(first.len() > 100, "only {} matches", first.len());
    assert!(first.iter().any(|m| m.interval == Interval::M5));
    assert_eq!(first, second);
    assert_eq!(first, sequential);
    assert!(
        first
            .iter()
            .flat_map(|m| &m.values)
            .all(|(_, v)| v.is_finite())
    );
    // Shared: far fewer indicator instances than traders' indicator uses.
    assert!(stats.plan_indicators < 40, "{stats:?}");
    assert_eq!(stats.indicators, stats.plan_indicators * 24);
}
