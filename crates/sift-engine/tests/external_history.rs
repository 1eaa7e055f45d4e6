//! An engine that warms from an external candle history (as `sift serve`'s engine reads the
//! candle store) gives exactly the values and signals of one keeping its own candles: after
//! traders are added, changed or removed, and after `warm`, whether the history runs ahead of
//! the engine or lags behind it.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use common::random::{Rng, aggregate, market, random_trader, symbols};
use sift_core::{Candle, Interval, Symbol};
use sift_engine::{
    CandleHistory, CloseBatch, Engine, EngineConfig, Match, SignalMode, Trader, TraderId,
};

/// Candles per series the engines warm from: fewer than the run, so windows slide.
const WINDOW: usize = 120;

/// A candle store that keeps the newest `keep` closed candles per series.
struct Store {
    keep: usize,
    series: Mutex<HashMap<(Symbol, Interval), Vec<Candle>>>,
}

impl Store {
    fn new(keep: usize) -> Self {
        Self {
            keep,
            series: Mutex::new(HashMap::new()),
        }
    }

    fn put(&self, batch: &CloseBatch) {
        let mut series = self.series.lock().expect("the store lock");
        for (symbol, interval, candle) in &batch.candles {
            let candles = series.entry((symbol.clone(), *interval)).or_default();
            if candles
                .last()
                .is_some_and(|c| c.open_time >= candle.open_time)
            {
                continue;
            }
            candles.push(*candle);
            let excess = candles.len().saturating_sub(self.keep);
            candles.drain(..excess);
        }
    }
}

impl CandleHistory for Store {
    fn closed_through(
        &self,
        symbol: &Symbol,
        interval: Interval,
        through: i64,
        limit: usize,
    ) -> Vec<Candle> {
        let series = self.series.lock().expect("the store lock");
        let Some(candles) = series.get(&(symbol.clone(), interval)) else {
            return Vec::new();
        };
        let end = candles.partition_point(|c| c.open_time <= through);
        candles[end.saturating_sub(limit)..end].to_vec()
    }
}

/// Per minute, the batch of every symbol's 1m candle and, every fifth minute, its 5m candle.
fn batches(rng: &mut Rng, syms: &[Symbol], minutes: usize) -> Vec<CloseBatch> {
    let ones = market(rng, syms.len(), minutes, Interval::M1);
    let fives: Vec<Vec<Candle>> = ones.iter().map(|m| aggregate(m, Interval::M5)).collect();
    (0..minutes)
        .map(|minute| {
            let mut batch = CloseBatch::new();
            for (s, symbol) in syms.iter().enumerate() {
                batch.push(symbol.clone(), Interval::M1, ones[s][minute]);
                if (minute + 1) % 5 == 0 {
                    batch.push(symbol.clone(), Interval::M5, fives[s][minute / 5]);
                }
            }
            batch
        })
        .collect()
}

fn config(mode: SignalMode) -> EngineConfig {
    EngineConfig {
        mode,
        candle_capacity: WINDOW,
        parallel_min_work: 0,
        ..EngineConfig::default()
    }
}

/// Both engines, fed alike.
struct Pair {
    own: Engine,
    external: Engine,
    store: Arc<Store>,
}

impl Pair {
    fn new(mode: SignalMode, keep: usize) -> Self {
        let store = Arc::new(Store::new(keep));
        Self {
            own: Engine::new(config(mode)),
            external: Engine::with_history(config(mode), store.clone()),
            store,
        }
    }

    fn set_traders(&mut self, traders: &[Trader]) {
        self.own
            .set_traders(traders.to_vec())
            .expect("valid traders");
        self.external
            .set_traders(traders.to_vec())
            .expect("valid traders");
    }

    fn upsert(&mut self, trader: &Trader) {
        self.own
            .upsert_trader(trader.clone())
            .expect("a valid trader");
        self.external
            .upsert_trader(trader.clone())
            .expect("a valid trader");
    }

    fn process(&mut self, batch: &CloseBatch) -> (Vec<Match>, Vec<Match>) {
        (self.own.process(batch), self.external.process(batch))
    }
}

fn traders(rng: &mut Rng, ids: std::ops::Range<u64>) -> Vec<Trader> {
    ids.map(|id| {
        let interval = if id % 5 == 0 {
            Interval::M5
        } else {
            Interval::M1
        };
        random_trader(rng, id, interval)
    })
    .collect()
}

#[test]
fn trader_changes_and_warming_give_the_values_of_an_engine_keeping_its_candles() {
    for mode in [SignalMode::Level, SignalMode::Edge] {
        let mut rng = Rng::new(7);
        // More symbols than the engine rebuilds from a history at once.
        let syms = symbols(20);
        let all = batches(&mut rng, &syms, 420);
        let first = traders(&mut rng, 0..12);
        let added = traders(&mut rng, 12..24);
        // The store keeps a margin over the window: it runs one close ahead of the engine.
        let mut pair = Pair::new(mode, WINDOW + 2);
        pair.set_traders(&first);

        // History loaded before going live, as `serve` does after a backfill.
        let (history, live) = all.split_at(150);
        for batch in history {
            pair.store.put(batch);
        }
        for symbol in &syms {
            for interval in [Interval::M1, Interval::M5] {
                let candles: Vec<Candle> = history
                    .iter()
                    .flat_map(|b| &b.candles)
                    .filter(|(s, iv, _)| s == symbol && *iv == interval)
                    .map(|(_, _, c)| *c)
                    .collect();
                assert_eq!(
                    pair.own.warm(symbol, interval, &candles),
                    pair.external.warm(symbol, interval, &candles)
                );
            }
        }

        let (mut compared, mut from_added) = (0, 0);
        for (i, batch) in live.iter().enumerate() {
            // The store runs one close ahead on even minutes and lags on odd ones.
            let ahead = i % 2 == 0;
            if ahead {
                pair.store.put(batch);
                if let Some(next) = live.get(i + 1) {
                    pair.store.put(next);
                }
            }
            match i {
                40 => added[..6].iter().for_each(|t| pair.upsert(t)),
                91 => added[6..].iter().for_each(|t| pair.upsert(t)),
                150 => {
                    // Some removed, some changed (another rule under the same id), some kept.
                    let mut changed: Vec<Trader> = first[4..].to_vec();
                    changed.extend(traders(&mut rng, 0..4));
                    changed.extend(added.iter().cloned());
                    pair.set_traders(&changed);
                }
                _ => {}
            }
            let (own, external) = pair.process(batch);
            assert_eq!(own, external, "{mode:?}, live minute {i}");
            compared += own.len();
            from_added += own.iter().filter(|m| m.trader >= TraderId(12)).count();
            if !ahead {
                pair.store.put(batch);
            }
        }
        assert!(compared > 200, "{mode:?}: only {compared} matches");
        assert!(
            from_added > 20,
            "{mode:?}: only {from_added} from added traders"
        );
        let (own, external) = (pair.own.stats(), pair.external.stats());
        assert_eq!(external.short_warms, 0);
        assert_eq!(external.stored_candles, syms.len() * 2);
        assert_eq!(own.stored_candles, syms.len() * (WINDOW + 420 / 5));
        assert_eq!(own.indicators, external.indicators);
    }
}

#[test]
fn a_history_that_already_dropped_part_of_the_window_is_counted() {
    let mut rng = Rng::new(11);
    let syms = symbols(2);
    let all = batches(&mut rng, &syms, 200);
    // No margin: running one close ahead, the store no longer holds the window's oldest.
    let mut pair = Pair::new(SignalMode::Level, WINDOW);
    pair.set_traders(&traders(&mut rng, 1..3));
    for (i, batch) in all.iter().enumerate() {
        pair.store.put(batch);
        if i == 180 {
            pair.store.put(&all[i + 1]);
            pair.upsert(&traders(&mut rng, 3..4)[0]);
        }
        pair.process(batch);
    }
    assert!(pair.external.stats().short_warms > 0);
    assert_eq!(pair.own.stats().short_warms, 0);
}
