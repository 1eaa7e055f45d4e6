//! The collector on the simulated market: universe rule, backfill, live closes in order, the
//! store equal to the market's own history, halted symbols.

mod common;

use std::time::Duration;

use common::{Harness, assert_series_eq, check_order, close_counts};
use sift_candles::CandleStore;
use sift_core::{Interval, Symbol};
use sift_market::{MarketConfig, MarketEvent, SourceConfig, Universe};
use sift_sim::{LiveConfig, LiveMarket, Status};

/// 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600_000;
const SPEED: f64 = 600.0;
const INTERVALS: [Interval; 3] = [Interval::M1, Interval::M5, Interval::H1];

fn live_config() -> LiveConfig {
    LiveConfig {
        seed: 7,
        symbols: 12,
        history_minutes: 3 * 24 * 60,
        intervals: INTERVALS.to_vec(),
        statuses: vec![(sym("SOLUSDT"), Status::Break)],
        ..LiveConfig::default()
    }
}

fn config(universe: Universe) -> MarketConfig {
    MarketConfig {
        intervals: INTERVALS.to_vec(),
        history: 300,
        stall_grace: Duration::from_millis(500),
        burst_wait: Duration::from_millis(300),
        ..MarketConfig::new(universe)
    }
}

fn source() -> SourceConfig {
    SourceConfig::Sim {
        live: live_config(),
        speed: SPEED,
        start_ms: Some(T0),
    }
}

/// The market as the collector saw it: advanced to just after the newest stored 1m candle
/// (the market keeps a bounded history, so not further).
fn truth_until(store: &dyn CandleStore) -> LiveMarket {
    let newest = store
        .symbols()
        .expect("memory store reads")
        .iter()
        .filter_map(|s| {
            store
                .latest_closed(s, Interval::M1)
                .expect("memory store reads")
        })
        .map(|c| c.close_time + 1)
        .max()
        .expect("candles were stored");
    let mut truth = LiveMarket::new(live_config(), T0);
    truth.advance_to(newest);
    truth
}

fn sym(name: &str) -> Symbol {
    Symbol::new(name).expect("a valid symbol")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_n_backfills_then_hands_on_every_close_once_in_order() {
    let mut h = Harness::start(config(Universe::Top(8)), source()).await;
    h.wait_events(
        Duration::from_secs(20),
        "20 live 1m closes per symbol",
        |events| {
            let counts = close_counts(events);
            let m1: Vec<usize> = counts
                .iter()
                .filter(|((_, i), _)| *i == Interval::M1)
                .map(|(_, n)| *n)
                .collect();
            m1.len() == 7 && m1.iter().all(|&n| n >= 20)
        },
    )
    .await;
    let health = h.handle.health();
    h.stop().await.unwrap();
    let events = h.events.lock().clone();
    check_order(&events);

    // Universe: stablecoins and leveraged tokens out, JUP in, SOL watched but halted.
    let MarketEvent::Universe(change) = &events[0] else {
        panic!("first event: {:?}", events[0]);
    };
    let added: Vec<&str> = change.added.iter().map(Symbol::as_str).collect();
    // SOL is in BREAK, so only 7 pairs qualify for the top 8.
    assert_eq!(
        added,
        [
            "ADAUSDT", "BNBUSDT", "BTCUSDT", "DOGEUSDT", "ETHUSDT", "JUPUSDT", "XRPUSDT"
        ]
    );
    assert!(change.halted.is_empty());

    // Every series' history and live closes equal the market's own candles, with no gap.
    let truth = truth_until(h.store.as_ref());
    for symbol in &change.added {
        for interval in INTERVALS {
            let stored = h.store.last_closed(symbol, interval, usize::MAX).unwrap();
            let (first, last) = (stored[0].open_time, stored[stored.len() - 1].open_time);
            let expected = truth.closed(symbol, interval, first, last + 1, usize::MAX);
            assert_series_eq(h.store.as_ref(), symbol, interval, &expected);
            let history = if interval == Interval::H1 { 72 } else { 300 };
            assert!(
                stored.len() >= history,
                "{symbol} {interval}: {} stored",
                stored.len()
            );
        }
    }
    assert_eq!(health.symbols_watched, 7);
    assert_eq!(health.series_live, 21);
    assert_eq!(health.counters.holes, 0);
    assert!(health.backfill.initial_ms.is_some());
    assert!(h.handle.symbols().contains(&sym("JUPUSDT")));
    assert!(!h.handle.health().running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn halted_symbols_are_stored_but_not_handed_on() {
    let universe = Universe::List(vec![sym("BTCUSDT"), sym("SOLUSDT")]);
    let mut h = Harness::start(config(universe), source()).await;
    h.wait_events(Duration::from_secs(20), "10 BTC 1m closes", |events| {
        close_counts(events)
            .get(&(sym("BTCUSDT"), Interval::M1))
            .is_some_and(|&n| n >= 10)
    })
    .await;
    h.stop().await.unwrap();
    let events = h.events.lock().clone();
    check_order(&events);
    let MarketEvent::Universe(change) = &events[0] else {
        panic!("first event: {:?}", events[0]);
    };
    assert_eq!(change.halted, [sym("SOLUSDT")]);
    assert_eq!(h.handle.halted(), [sym("SOLUSDT")]);
    assert!(!close_counts(&events).contains_key(&(sym("SOLUSDT"), Interval::M1)));
    let forming_sol = events
        .iter()
        .any(|e| matches!(e, MarketEvent::Forming { symbol, .. } if symbol.as_str() == "SOLUSDT"));
    assert!(!forming_sol);
    // SOL's history and live closes are in the store, complete.
    let stored = h
        .store
        .last_closed(&sym("SOLUSDT"), Interval::M1, usize::MAX)
        .unwrap();
    let btc = h
        .store
        .last_closed(&sym("BTCUSDT"), Interval::M1, usize::MAX)
        .unwrap();
    assert!(stored.len() >= 310);
    let truth = truth_until(h.store.as_ref());
    let expected = truth.closed(
        &sym("SOLUSDT"),
        Interval::M1,
        stored[0].open_time,
        stored[stored.len() - 1].open_time + 1,
        usize::MAX,
    );
    assert_series_eq(h.store.as_ref(), &sym("SOLUSDT"), Interval::M1, &expected);
    assert!(btc.len() >= 310);
}
