//! The mirror against the shared test server, each test on its own key prefix.

mod common;

use std::sync::Arc;

use common::*;
use sift_candles::{CandleStore, Capacities, ClosedPut, Put};
use sift_core::Interval;
use sift_redis::{RedisCandleStore, RedisConfig, RedisState};
use sift_test_support::redis::TestRedis;

fn config_for(redis: &TestRedis) -> RedisConfig {
    RedisConfig::new(redis.url()).with_prefix(redis.prefix())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_writes_equal_the_memory_store() {
    let redis = TestRedis::new();
    let running = start(fast(config_for(&redis)), Capacities::new(20).unwrap());
    let syms = symbols(30);
    let mut tickers = Vec::new();
    for m in 0..40 {
        let outcomes = running.mirror.put_closed_batch(&burst(&syms, m)).unwrap();
        assert!(outcomes.iter().all(|o| *o == ClosedPut::Appended));
        for (k, s) in syms.iter().enumerate() {
            let put = running
                .mirror
                .put_forming(s, Interval::M1, &forming(m + 1, k as f64));
            assert_eq!(put.unwrap(), Put::Stored);
        }
    }
    // Single writes, duplicates and stale candles are mirrored as memory decides.
    let late = burst(&syms[..1], 41).remove(0);
    let gap = running.mirror.put_closed(&late.0, late.1, &late.2).unwrap();
    assert!(gap.gap().is_some());
    assert_eq!(
        running.mirror.put_closed(&late.0, late.1, &late.2).unwrap(),
        ClosedPut::Duplicate
    );
    for (k, s) in syms.iter().enumerate() {
        let t = ticker(s, T0 + 1_000 * k as i64, 100.0 + k as f64);
        assert_eq!(running.mirror.put_ticker(&t).unwrap(), Put::Stored);
        tickers.push(t);
    }
    wait_idle(&running).await;
    assert_redis_equals_memory(&running, &tickers).await;

    // The raw schema: the 1m history is capped, tickers carry a TTL.
    let mut conn = redis.connection();
    let klines = format!("{}klines:S000USDT:1m", redis.prefix());
    let card: usize = redis::cmd("ZCARD").arg(&klines).query(&mut conn).unwrap();
    assert_eq!(card, 20);
    let ttl: i64 = redis::cmd("PTTL")
        .arg(format!("{}ticker:S000USDT", redis.prefix()))
        .query(&mut conn)
        .unwrap();
    assert!((1..=60_000).contains(&ttl), "{ttl}");

    let ok =
        sift_test_support::wait_until(WAIT, || async { running.health().ping_latency.is_some() })
            .await;
    assert!(ok);
    let health = running.health();
    assert_eq!(health.state, RedisState::Up);
    assert!(health.ping_latency.unwrap() > std::time::Duration::ZERO);
    assert!(health.flushes >= 1);
    assert!(health.writes > 0, "{health:?}");
    assert_eq!(health.errors, 0, "{health:?}");
    assert_eq!(health.dropped_closed, 0);
    running.stop().await;
}

/// Several threads write close bursts and forming candles as fast as they can while the task
/// flushes: every write reaches Redis.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_arriving_during_a_flush_are_not_lost() {
    const WRITERS: usize = 4;
    const MINUTES: i64 = 150;
    let redis = TestRedis::new();
    let running = start(fast(config_for(&redis)), Capacities::new(100).unwrap());
    let mirror = Arc::new(running.mirror.clone());
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let mirror = Arc::clone(&mirror);
            tokio::task::spawn_blocking(move || {
                let syms: Vec<_> = symbols(40).into_iter().skip(w * 10).take(10).collect();
                for m in 0..MINUTES {
                    let outcomes = mirror.put_closed_batch(&burst(&syms, m)).unwrap();
                    assert!(outcomes.iter().all(|o| o.is_appended()));
                    for s in &syms {
                        mirror
                            .put_forming(s, Interval::M1, &forming(m + 1, m as f64))
                            .unwrap();
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    wait_idle(&running).await;
    let health = running.health();
    assert!(
        health.flushes >= 2,
        "writes and flushes overlapped: {health:?}"
    );
    assert_redis_equals_memory(&running, &[]).await;
    running.stop().await;
}

/// Redis refusing a series' data (a foreign value of another type under its key) drops those
/// writes, counted and logged, without wedging the mirror.
#[tokio::test]
async fn refused_writes_are_counted_and_do_not_wedge_the_mirror() {
    let redis = TestRedis::new();
    let mut conn = redis.connection();
    redis::cmd("SET")
        .arg(format!("{}klines:S000USDT:1m", redis.prefix()))
        .arg("foreign")
        .query::<()>(&mut conn)
        .unwrap();
    let running = start(fast(config_for(&redis)), Capacities::new(50).unwrap());
    let syms = symbols(3);
    running
        .mirror
        .put_closed_batch(&burst(&syms[..1], 0))
        .unwrap();
    let refused =
        sift_test_support::wait_until(WAIT, || async { running.health().dropped_closed > 0 }).await;
    assert!(refused, "{:?}", running.health());
    let health = running.health();
    assert!(
        health.errors >= 1 && health.last_error.is_some(),
        "{health:?}"
    );
    assert_eq!(health.state, RedisState::Up);
    running
        .mirror
        .put_closed_batch(&burst(&syms[1..], 0))
        .unwrap();
    wait_idle(&running).await;
    let store = RedisCandleStore::connect(&running.redis, Capacities::new(50).unwrap()).unwrap();
    let got = tokio::task::spawn_blocking(move || store.len(&symbols(3)[2], Interval::M1))
        .await
        .unwrap();
    assert_eq!(got.unwrap(), 1);
    running.stop().await;
}

/// Cancelling the token writes what is still queued before the task ends.
#[tokio::test]
async fn shutdown_drains_the_queue() {
    let redis = TestRedis::new();
    let running = start(fast(config_for(&redis)), Capacities::new(50).unwrap());
    let syms = symbols(20);
    for m in 0..30 {
        running.mirror.put_closed_batch(&burst(&syms, m)).unwrap();
    }
    let mirror = running.mirror.clone();
    let config = running.redis.clone();
    running.shutdown.cancel();
    tokio::time::timeout(WAIT, running.task)
        .await
        .unwrap()
        .unwrap();
    assert!(mirror.health().is_idle(), "{:?}", mirror.health());
    let memory = mirror.memory().clone();
    tokio::task::spawn_blocking(move || {
        let store = RedisCandleStore::connect(&config, Capacities::new(50).unwrap()).unwrap();
        for s in &syms {
            assert_eq!(
                store.last_closed(s, Interval::M1, 100).unwrap(),
                memory.last_closed(s, Interval::M1, 100).unwrap()
            );
        }
    })
    .await
    .unwrap();
}

/// `rediss://` goes through rustls: against a plain-text server the handshake fails cleanly.
#[test]
fn rediss_urls_connect_over_tls() {
    let url = sift_test_support::redis::redis_url().replacen("redis://", "rediss://", 1);
    let mut config = RedisConfig::new(url);
    config.connect_timeout = std::time::Duration::from_millis(500);
    config.op_timeout = std::time::Duration::from_millis(500);
    let err = RedisCandleStore::connect(&config, Capacities::default()).unwrap_err();
    assert!(
        err.is_transient() || matches!(err, sift_redis::Error::Redis(_)),
        "{err}"
    );
}
