//! The collector against the fake Binance server through the real client: backfill, live
//! closes, and the store equal to the server's REST klines.

mod common;

use std::time::Duration;

use common::fake::{assert_store_matches, client_configs, fake_config, source, start_fake};
use common::{Harness, check_order, close_counts};
use sift_core::{Interval, Symbol};
use sift_market::{MarketConfig, MarketEvent, Universe, UniverseChange};
use sift_sim::Status;
use sift_test_support::fake::{FakeConfig, Faults};
use sift_test_support::wait_until;

fn six_intervals(universe: Universe, history: usize) -> MarketConfig {
    MarketConfig {
        history,
        stall_grace: Duration::from_secs(1),
        burst_wait: Duration::from_millis(500),
        ..MarketConfig::new(universe)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_equals_rest_and_live_closes_arrive_once_in_order() {
    let fake = start_fake(fake_config(20, 120.0)).await;
    let (rest, streams) = client_configs(&fake);
    let mut h = Harness::start(six_intervals(Universe::Top(10), 300), source(rest, streams)).await;
    h.wait_events(
        Duration::from_secs(30),
        "history and 5 live 1m closes",
        |events| {
            let counts = close_counts(events);
            let m1 = counts
                .iter()
                .filter(|((_, i), n)| *i == Interval::M1 && **n >= 5);
            m1.count() == 10
        },
    )
    .await;
    let health = h.handle.health();
    h.stop().await.expect("collector stops cleanly");
    let events = h.events.lock().clone();
    check_order(&events);
    let backfilled: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            MarketEvent::Backfilled {
                interval, candles, ..
            } if *interval == Interval::M1 => Some(*candles),
            _ => None,
        })
        .collect();
    assert_eq!(backfilled, [300; 10]);
    assert_eq!(assert_store_matches(h.store.as_ref(), &fake), 60);
    assert_eq!(health.counters.holes, 0);
    assert_eq!(health.rest.status_429, 0);
    assert_eq!(health.series_live, 60);
    assert!(!health.connections.is_empty());
    assert_eq!(health.streams, 61, "60 kline streams and !miniTicker@arr");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_streams_than_a_connection_takes_use_several() {
    let fake = start_fake(fake_config(20, 120.0)).await;
    let (rest, mut streams) = client_configs(&fake);
    streams.max_streams_per_connection = 8;
    let config = MarketConfig {
        intervals: vec![Interval::M1, Interval::M5],
        ..six_intervals(Universe::Top(10), 50)
    };
    let mut h = Harness::start(config, source(rest, streams)).await;
    h.wait_events(
        Duration::from_secs(30),
        "3 live 1m closes per symbol",
        |events| {
            let counts = close_counts(events);
            counts
                .iter()
                .filter(|((_, i), n)| *i == Interval::M1 && **n >= 3)
                .count()
                == 10
        },
    )
    .await;
    let health = h.handle.health();
    let open = fake.stats().connections_open;
    h.stop().await.expect("collector stops cleanly");
    check_order(&h.events.lock());
    assert_eq!(assert_store_matches(h.store.as_ref(), &fake), 20);
    // 20 kline streams and the ticker stream, 8 per connection.
    assert!(health.connections.len() >= 3, "{health:#?}");
    assert!(open >= 3, "{open} connections open at the server");
    assert!(health.connections.iter().all(|c| c.streams <= 8));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_are_counted_and_skipped() {
    let fake = start_fake(fake_config(10, 120.0)).await;
    let (rest, streams) = client_configs(&fake);
    let config = MarketConfig {
        intervals: vec![Interval::M1, Interval::M5],
        ..six_intervals(Universe::Top(5), 50)
    };
    let mut h = Harness::start(config, source(rest, streams)).await;
    fake.set_faults(Faults {
        malformed_ratio: Some(0.1),
        ..Faults::default()
    });
    h.wait_events(
        Duration::from_secs(30),
        "8 live 1m closes per symbol",
        |events| {
            let counts = close_counts(events);
            counts
                .iter()
                .filter(|((_, i), n)| *i == Interval::M1 && **n >= 8)
                .count()
                == 5
        },
    )
    .await;
    let health = h.handle.health();
    h.stop().await.expect("collector stops cleanly");
    check_order(&h.events.lock());
    assert_eq!(assert_store_matches(h.store.as_ref(), &fake), 10);
    assert!(health.malformed > 0, "{health:#?}");
    assert_eq!(health.counters.holes, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symbols_are_added_removed_halted_and_resumed_at_run_time() {
    let sol = Symbol::new("SOLUSDT").expect("a valid symbol");
    let btc = Symbol::new("BTCUSDT").expect("a valid symbol");
    let fake = start_fake(FakeConfig {
        halted: vec![(sol.clone(), Status::Halt)],
        ..fake_config(12, 120.0)
    })
    .await;
    let (rest, streams) = client_configs(&fake);
    let config = MarketConfig {
        intervals: vec![Interval::M1],
        universe_refresh: Duration::from_millis(500),
        ..six_intervals(Universe::Top(5), 50)
    };
    let mut h = Harness::start(config, source(rest, streams)).await;
    let universe_events = |events: &[MarketEvent]| -> Vec<UniverseChange> {
        events
            .iter()
            .filter_map(|e| match e {
                MarketEvent::Universe(change) => Some(change.clone()),
                _ => None,
            })
            .collect()
    };
    h.wait_events(Duration::from_secs(20), "the first universe", |e| {
        !universe_events(e).is_empty()
    })
    .await;
    assert!(!h.handle.symbols().contains(&sol));

    // SOL trades again and outranks the fifth symbol: added, and one removed. (Symbols of
    // similar volume may also swap places at any refresh.)
    assert!(fake.set_status(&sol, Status::Trading));
    let sol_added = |e: &[MarketEvent]| {
        universe_events(e)
            .into_iter()
            .find(|c| c.added.contains(&sol))
    };
    h.wait_events(Duration::from_secs(20), "SOL added", |e| {
        sol_added(e).is_some()
    })
    .await;
    let change = sol_added(&h.events.lock()).expect("found above");
    assert_eq!(change.added, std::slice::from_ref(&sol));
    assert_eq!(change.removed.len(), 1);
    h.wait_events(Duration::from_secs(20), "SOL closes", |e| {
        close_counts(e)
            .get(&(sol.clone(), Interval::M1))
            .is_some_and(|&n| n >= 3)
    })
    .await;

    // BTC halts: kept, its closes stop; then it resumes.
    let position = |e: &[MarketEvent], f: &dyn Fn(&UniverseChange) -> bool| {
        e.iter()
            .position(|e| matches!(e, MarketEvent::Universe(c) if f(c)))
    };
    assert!(fake.set_status(&btc, Status::Halt));
    let halted = |c: &UniverseChange| c.halted.contains(&btc);
    h.wait_events(Duration::from_secs(20), "BTC halted", |e| {
        position(e, &halted).is_some()
    })
    .await;
    assert_eq!(h.handle.halted(), std::slice::from_ref(&btc));
    let halted_at = position(&h.events.lock(), &halted).expect("found above");
    let store = h.store.clone();
    let btc_stored = || store.len(&btc, Interval::M1).expect("memory store reads");
    let before = btc_stored();
    let ok = wait_until(Duration::from_secs(10), || async {
        btc_stored() >= before + 3
    })
    .await;
    assert!(ok, "BTC's closes are still stored while halted");
    assert!(fake.set_status(&btc, Status::Trading));
    let resumed = |c: &UniverseChange| c.resumed.contains(&btc);
    h.wait_events(Duration::from_secs(20), "BTC resumed", |e| {
        position(e, &resumed).is_some()
    })
    .await;
    let resumed_at = position(&h.events.lock(), &resumed).expect("found above");
    h.wait_events(Duration::from_secs(20), "BTC closes again", |e| {
        e[resumed_at..].iter().any(
            |e| matches!(e, MarketEvent::Closes(b) if b.candles.iter().any(|(s, _)| *s == btc)),
        )
    })
    .await;
    h.stop().await.expect("collector stops cleanly");
    let events = h.events.lock().clone();
    check_order(&events);
    let btc_while_halted = events[halted_at..resumed_at]
        .iter()
        .any(|e| matches!(e, MarketEvent::Closes(b) if b.candles.iter().any(|(s, _)| *s == btc)));
    assert!(!btc_while_halted, "no BTC close handed on while halted");
    // The removed symbol's history stays as it was; every series still equals REST.
    assert!(assert_store_matches(h.store.as_ref(), &fake) >= 6);
}

/// Backfills `symbols` x 6 intervals against a fake server whose weight limit is `limit` per
/// `window` (the client told the same), and returns (wall time, REST weight peak, the
/// server's 429s and 418s).
async fn backfill_within_budget(
    symbols: usize,
    limit: u32,
    window: Duration,
) -> (Duration, u64, u64, u64) {
    let fake = start_fake(FakeConfig {
        weight_limit: limit,
        weight_window: window,
        ..fake_config(symbols + 10, 1.0)
    })
    .await;
    let (mut rest, streams) = client_configs(&fake);
    rest.weight_limit_per_minute = limit;
    rest.weight_window = window;
    let started = std::time::Instant::now();
    let mut h = Harness::start(
        six_intervals(Universe::Top(symbols), 1000),
        source(rest, streams),
    )
    .await;
    let series = symbols * 6;
    h.wait_events(Duration::from_secs(600), "the backfill", |events| {
        events
            .iter()
            .filter(|e| matches!(e, MarketEvent::Backfilled { .. }))
            .count()
            == series
    })
    .await;
    let took = started.elapsed();
    let health = h.handle.health();
    h.stop().await.expect("collector stops cleanly");
    assert_eq!(assert_store_matches(h.store.as_ref(), &fake), series);
    let stats = fake.stats();
    (
        took,
        health.rest.weight_peak,
        stats.rest_429,
        stats.rest_418,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_stays_inside_the_weight_budget() {
    // 60 series: 120 weight of klines plus 101 of universe reads, against a budget of 120
    // per second: the backfill must wait for weight without a single 429.
    let (took, peak, too_many, banned) =
        backfill_within_budget(10, 150, Duration::from_secs(1)).await;
    assert_eq!(
        (too_many, banned),
        (0, 0),
        "peak weight {peak}, took {took:?}"
    );
    assert!(
        took >= Duration::from_secs(1),
        "waited for the budget: {took:?}"
    );
}

/// The full size at Binance's real limits (6000 weight a minute): 500 symbols x 6 intervals.
/// About two minutes; run with
/// `cargo test -p sift-market --release --test binance -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow: about two minutes at Binance's real weight limit"]
async fn backfill_500_symbols_at_binance_limits() {
    let (took, peak, too_many, banned) =
        backfill_within_budget(500, 6000, Duration::from_secs(60)).await;
    eprintln!(
        "500 symbols x 6 intervals: {took:?}, weight peak {peak}, 429s {too_many}, 418s {banned}"
    );
    assert_eq!((too_many, banned), (0, 0));
}
