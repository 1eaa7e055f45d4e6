//! Every fault at once, at high speed, for half a minute (`SIFT_SOAK_ROUNDS` rounds of about
//! 3 s; default 10): afterwards the store equals the fake server's REST klines for every
//! series, with no gap and no duplicate, downstream saw exactly the stored candles, once each,
//! in order, and the Redis mirror the collector wrote through holds the same candles.

mod common;

use std::time::Duration;

use common::fake::{assert_store_matches, client_configs, fake_config, source, start_fake};
use common::{Harness, assert_closes_match_store, check_order};
use std::sync::Arc;

use sift_candles::Capacities;
use sift_core::{Interval, Symbol};
use sift_market::{MarketConfig, Universe};
use sift_redis::{MirrorConfig, RedisCandleStore, RedisConfig, RedisMirror};
use sift_test_support::fake::{FakeConfig, Faults, KlineGap};
use sift_test_support::redis::TestRedis;
use sift_test_support::wait_until;
use tokio_util::sync::CancellationToken;

const SPEED: f64 = 300.0;
const SYMBOLS: usize = 20;
/// Fault rounds, each a few seconds of wall time (`SIFT_SOAK_ROUNDS` runs longer soaks).
const ROUNDS: i64 = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_faults_together_leave_the_store_equal_to_rest() {
    // A request in flight when a 429 arrives earns a ban: scaled down from 2 minutes.
    let fake = start_fake(FakeConfig {
        ban_duration: Duration::from_secs(2),
        ..fake_config(SYMBOLS + 5, SPEED)
    })
    .await;
    let (rest, mut streams) = client_configs(&fake);
    streams.silence_timeout = Duration::from_secs(1);
    streams.max_connection_age = Duration::from_secs(4);
    streams.max_streams_per_connection = 40;
    let config = MarketConfig {
        history: 200,
        stall_grace: Duration::from_millis(500),
        burst_wait: Duration::from_millis(300),
        ..MarketConfig::new(Universe::Top(SYMBOLS))
    };
    let redis = TestRedis::new();
    let redis_config = RedisConfig::new(redis.url()).with_prefix(redis.prefix());
    let mirror_cancel = CancellationToken::new();
    let (mirror, mirror_task) = RedisMirror::spawn(
        common::memory_store(),
        MirrorConfig::new(redis_config.clone()),
        mirror_cancel.clone(),
    )
    .expect("the mirror starts");
    let mut h = Harness::start_with(config, source(rest, streams), Arc::new(mirror.clone())).await;
    h.wait_events(Duration::from_secs(60), "the backfill", |_| {
        h.handle.health().series_live == SYMBOLS * 6
    })
    .await;

    fake.set_faults(Faults {
        drop_ratio: Some(0.05),
        duplicate_ratio: Some(0.05),
        reorder_ratio: Some(0.05),
        malformed_ratio: Some(0.02),
        max_connection_age_s: Some(5.0),
        ..Faults::default()
    });
    let symbols = h.handle.symbols();
    // One market minute is 200 ms of wall time: a round of 15 minutes lasts 3 s.
    let round = 15 * 60_000;
    let rounds = std::env::var("SIFT_SOAK_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(ROUNDS);
    for i in 0..rounds {
        let at = fake.now_ms() + round;
        let gap_symbol = symbols[i as usize % symbols.len()].clone();
        let gap_from = Interval::M1.next_open(fake.now_ms());
        let mut faults = Faults {
            kline_gap: vec![KlineGap {
                symbol: gap_symbol,
                interval: Interval::M1,
                from: gap_from,
                to: gap_from + 2 * 60_000,
            }],
            ..Faults::default()
        };
        match i % 5 {
            0 => faults.disconnect_all = true,
            1 => faults.silence_s = Some(1.5),
            2 => faults.rest_429_for_s = Some(1.0),
            3 => faults.server_shutdown = true,
            _ => faults.ban_418_for_s = Some(1.0),
        }
        fake.set_faults(faults);
        let ok = wait_until(Duration::from_secs(20), || async { fake.now_ms() >= at }).await;
        assert!(ok, "the fake market clock moves");
    }
    fake.set_faults(Faults {
        clear: true,
        ..Faults::default()
    });

    // Caught up: every series holds the candle that closed 30 market seconds ago.
    let store = h.store.clone();
    let caught_up = || {
        let newest = fake.now_ms() - 30_000;
        symbols.iter().all(|s: &Symbol| {
            MarketConfig::DEFAULT_INTERVALS.iter().all(|&i| {
                let want = i.open_time(newest) - i.nominal_duration_ms();
                store
                    .latest_closed(s, i)
                    .expect("memory store reads")
                    .is_some_and(|c| c.open_time >= want)
            })
        })
    };
    let ok = wait_until(Duration::from_secs(30), || async { caught_up() }).await;
    assert!(ok, "caught up after the faults: {:#?}", h.handle.health());
    let health = h.handle.health();
    h.stop().await.expect("collector stops cleanly");
    let events = h.events.lock().clone();
    check_order(&events);
    assert_eq!(assert_store_matches(h.store.as_ref(), &fake), SYMBOLS * 6);
    assert_closes_match_store(&events, h.store.as_ref());
    assert_eq!(health.counters.holes, 0, "{health:#?}");
    assert!(health.counters.candles_repaired > 0, "{health:#?}");
    assert!(health.malformed > 0, "{health:#?}");
    assert!(health.reconnects > 0, "{health:#?}");

    // The Redis mirror holds the same history.
    let idle = wait_until(Duration::from_secs(30), || async {
        mirror.health().is_idle()
    })
    .await;
    assert!(idle, "the mirror drains: {:?}", mirror.health());
    let capacities = Capacities::new(common::STORE_CAPACITY).expect("a positive capacity");
    let in_redis = tokio::task::spawn_blocking(move || {
        let store = RedisCandleStore::connect(&redis_config, capacities).expect("redis answers");
        let checked = assert_store_matches(&store, &fake);
        (checked, fake)
    })
    .await
    .expect("the check runs");
    assert_eq!(in_redis.0, SYMBOLS * 6);
    mirror_cancel.cancel();
    mirror_task.await.expect("the mirror stops");
}
