//! The collector under the fake server's faults: whatever the socket and REST do, the store
//! ends up equal to the server's REST klines and every close is handed on once, in order.

mod common;

use std::time::Duration;

use common::fake::{assert_store_matches, client_configs, fake_config, source, start_fake};
use common::{Harness, check_order, close_counts};
use sift_binance::{RestConfig, StreamConfig};
use sift_core::{Interval, Symbol};
use sift_market::{MarketConfig, MarketHealth, Universe};
use sift_test_support::fake::{FakeBinance, Faults, KlineGap};
use sift_test_support::wait_until;

const MIN: i64 = 60_000;

fn config(symbols: usize) -> MarketConfig {
    MarketConfig {
        intervals: vec![Interval::M1, Interval::M5],
        history: 100,
        stall_grace: Duration::from_millis(600),
        burst_wait: Duration::from_millis(300),
        ..MarketConfig::new(Universe::Top(symbols))
    }
}

/// Closes handed on so far for every 1m series.
fn m1_closes(h: &Harness) -> Vec<usize> {
    close_counts(&h.events.lock())
        .into_iter()
        .filter(|((_, i), _)| *i == Interval::M1)
        .map(|(_, n)| n)
        .collect()
}

/// Waits until every one of `symbols` 1m series handed on `more` closes beyond `base`.
async fn wait_more_closes(h: &Harness, symbols: usize, more: usize, what: &str) {
    let base = m1_closes(h).into_iter().min().unwrap_or(0);
    h.wait_events(Duration::from_secs(40), what, |events| {
        let counts = close_counts(events);
        let m1: Vec<usize> = counts
            .iter()
            .filter(|((_, i), _)| *i == Interval::M1)
            .map(|(_, n)| *n)
            .collect();
        m1.len() == symbols && m1.iter().all(|&n| n >= base + more)
    })
    .await;
}

/// Stops the collector, then checks order and the store against the server.
async fn finish(mut h: Harness, fake: &FakeBinance) -> MarketHealth {
    let health = h.handle.health();
    h.stop().await.expect("collector stops cleanly");
    check_order(&h.events.lock());
    assert!(assert_store_matches(h.store.as_ref(), fake) > 0);
    assert_eq!(health.counters.holes, 0, "{health:#?}");
    health
}

async fn start(
    fake: &FakeBinance,
    symbols: usize,
    tweak: impl FnOnce(&mut RestConfig, &mut StreamConfig),
) -> Harness {
    let (mut rest, mut streams) = client_configs(fake);
    tweak(&mut rest, &mut streams);
    let h = Harness::start(config(symbols), source(rest, streams)).await;
    wait_more_closes(&h, symbols, 2, "the first live closes").await;
    h
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_mid_candle_then_gap_repair() {
    let fake = start_fake(fake_config(10, 120.0)).await;
    // Reconnecting takes at least a candle (500 ms at this speed), so closes are missed.
    let h = start(&fake, 5, |_, streams| {
        streams.backoff_min = Duration::from_millis(1_200);
        streams.backoff_max = Duration::from_millis(1_500);
    })
    .await;
    // In the middle of a candle.
    let now = fake.now_ms();
    let mid = Interval::M1.open_time(now) + 30_000;
    let ok = wait_until(Duration::from_secs(5), || async { fake.now_ms() >= mid }).await;
    assert!(ok);
    fake.set_faults(Faults {
        disconnect_all: true,
        ..Faults::default()
    });
    wait_more_closes(&h, 5, 6, "closes after the reconnect").await;
    let health = finish(h, &fake).await;
    assert!(health.reconnects >= 1, "{health:#?}");
    assert!(health.counters.candles_repaired >= 5, "{health:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_reordered_and_dropped_messages() {
    let fake = start_fake(fake_config(10, 120.0)).await;
    let h = start(&fake, 5, |_, _| {}).await;
    fake.set_faults(Faults {
        duplicate_ratio: Some(0.2),
        reorder_ratio: Some(0.2),
        drop_ratio: Some(0.1),
        ..Faults::default()
    });
    wait_more_closes(&h, 5, 10, "closes under faults").await;
    let health = finish(h, &fake).await;
    assert!(health.counters.duplicates > 0, "{health:#?}");
    assert!(health.counters.candles_repaired > 0, "{health:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kline_gap_is_repaired() {
    let fake = start_fake(fake_config(10, 120.0)).await;
    let h = start(&fake, 5, |_, _| {}).await;
    let btc = Symbol::new("BTCUSDT").expect("a valid symbol");
    let from = Interval::M1.next_open(fake.now_ms()) + MIN;
    fake.set_faults(Faults {
        kline_gap: vec![KlineGap {
            symbol: btc.clone(),
            interval: Interval::M1,
            from,
            to: from + 3 * MIN,
        }],
        ..Faults::default()
    });
    wait_more_closes(&h, 5, 8, "closes past the gap").await;
    let closes = h.closes();
    let btc_times: Vec<i64> = closes[&(btc, Interval::M1)]
        .iter()
        .map(|c| c.open_time)
        .collect();
    for t in (0..4).map(|i| from + i * MIN) {
        assert!(btc_times.contains(&t), "{t} handed on");
    }
    let health = finish(h, &fake).await;
    assert!(health.counters.candles_repaired >= 4, "{health:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connection_is_replaced() {
    let fake = start_fake(fake_config(10, 120.0)).await;
    let h = start(&fake, 5, |_, streams| {
        streams.silence_timeout = Duration::from_secs(1)
    })
    .await;
    fake.set_faults(Faults {
        silence_s: Some(2.5),
        ..Faults::default()
    });
    wait_more_closes(&h, 5, 8, "closes after the silence").await;
    let health = finish(h, &fake).await;
    assert!(health.reconnects >= 1, "{health:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_age_limit_without_gap() {
    let fake = start_fake(fake_config(10, 120.0)).await;
    // The client replaces connections at 1 s, before the server's 2 s limit.
    let h = start(&fake, 5, |_, streams| {
        streams.max_connection_age = Duration::from_secs(1)
    })
    .await;
    fake.set_faults(Faults {
        max_connection_age_s: Some(2.0),
        ..Faults::default()
    });
    wait_more_closes(&h, 5, 10, "closes across rollovers").await;
    let health = finish(h, &fake).await;
    assert!(health.rollovers >= 2, "{health:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_then_ban_are_waited_out() {
    let fake = start_fake(fake_config(10, 120.0)).await;
    // 429 from the very first request: the universe read and the backfill wait it out.
    fake.set_faults(Faults {
        rest_429_for_s: Some(1.0),
        ..Faults::default()
    });
    let h = start(&fake, 5, |_, _| {}).await;
    // A ban while a gap needs REST: the repair waits for the ban's end, then fills the gap.
    let btc = Symbol::new("BTCUSDT").expect("a valid symbol");
    let from = Interval::M1.next_open(fake.now_ms());
    fake.set_faults(Faults {
        ban_418_for_s: Some(2.0),
        kline_gap: vec![KlineGap {
            symbol: btc,
            interval: Interval::M1,
            from,
            to: from + MIN,
        }],
        ..Faults::default()
    });
    wait_more_closes(&h, 5, 10, "closes after the ban").await;
    let health = finish(h, &fake).await;
    assert!(health.rest.status_429 >= 1, "{health:#?}");
    assert!(health.rest.status_418 >= 1, "{health:#?}");
    // The client stops at the first 418 instead of earning longer bans.
    let stats = fake.stats();
    assert!(stats.rest_418 <= 8, "{stats:#?}");
}
