//! Redis going away mid-run, on a private server so the shared one is undisturbed.

mod common;

use common::*;
use sift_candles::{CandleStore, Capacities};
use sift_core::Interval;
use sift_redis::{RedisConfig, RedisState};
use sift_test_support::redis::RedisServer;
use sift_test_support::wait_until;

async fn wait_state(running: &Running, state: RedisState) {
    let ok = wait_until(WAIT, || async { running.health().state == state }).await;
    assert!(ok, "never {state:?}: {:?}", running.health());
}

/// Writes minutes `from..to` of bursts and forming candles for `syms`.
fn write(running: &Running, syms: &[sift_core::Symbol], from: i64, to: i64) {
    for m in from..to {
        running
            .mirror
            .put_closed_batch(&burst(syms, m))
            .expect("mirror write");
        for s in syms {
            running
                .mirror
                .put_forming(s, Interval::M1, &forming(m + 1, m as f64))
                .expect("mirror write");
        }
    }
}

/// A crash without persistence: Redis comes back empty; the candles queued while it was down
/// are replayed and the history written before the crash is rewritten from memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_crash_without_persistence_loses_no_candle() {
    let mut server = RedisServer::start_new();
    let running = start(
        fast(RedisConfig::new(server.url())),
        Capacities::new(30).unwrap(),
    );
    let syms = symbols(25);
    write(&running, &syms, 0, 20);
    wait_idle(&running).await;
    assert_eq!(
        running.health().resyncs,
        1,
        "the first connect found an empty redis"
    );

    server.kill();
    wait_state(&running, RedisState::Down).await;
    assert_eq!(running.health().ping_latency, None);
    write(&running, &syms, 20, 45);
    assert!(running.health().queue_depth > 0);

    server.start();
    wait_state(&running, RedisState::Up).await;
    wait_idle(&running).await;
    let health = running.health();
    assert_eq!(health.resyncs, 2, "{health:?}");
    assert!(health.errors > 0);
    assert!(health.last_error.is_some());
    assert_eq!(health.dropped_closed, 0);
    assert_redis_equals_memory(&running, &[]).await;
    let latency = wait_until(WAIT, || async { running.health().ping_latency.is_some() }).await;
    assert!(latency, "ping resumes after the restart");
    running.stop().await;
}

/// A restart that keeps the data: only the queue is replayed, in order, with no rewrite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restart_replays_the_buffered_writes() {
    let mut server = RedisServer::start_new();
    let running = start(
        fast(RedisConfig::new(server.url())),
        Capacities::new(30).unwrap(),
    );
    let syms = symbols(25);
    write(&running, &syms, 0, 20);
    wait_idle(&running).await;

    server.shutdown_saving();
    wait_state(&running, RedisState::Down).await;
    write(&running, &syms, 20, 45);
    let queued = running.health().queue_depth;
    assert!(queued >= 25 * 25, "{queued}");

    server.start();
    wait_idle(&running).await;
    let health = running.health();
    assert_eq!(health.resyncs, 1, "redis kept the data: {health:?}");
    assert_eq!(health.dropped_closed, 0);
    assert_redis_equals_memory(&running, &[]).await;
    running.stop().await;
}

/// More closed candles than the queue holds arrive while Redis is down: the displaced ones are
/// counted and their series rewritten from memory, so Redis still ends up complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_overflow_is_repaired_from_memory() {
    let mut server = RedisServer::start_new();
    let mut config = fast(RedisConfig::new(server.url()));
    config.max_pending_closed = 40;
    config.max_pending_latest = 5;
    let running = start(config, Capacities::new(30).unwrap());
    let syms = symbols(8);
    write(&running, &syms, 0, 5);
    wait_idle(&running).await;

    server.shutdown_saving();
    wait_state(&running, RedisState::Down).await;
    write(&running, &syms, 5, 50);
    let health = running.health();
    assert!(health.dropped_closed > 0, "{health:?}");
    assert!(health.dropped_updates > 0, "{health:?}");
    assert_eq!(
        health.repairs_pending,
        syms.len() * 2,
        "every series overflowed"
    );

    server.start();
    wait_idle(&running).await;
    assert_eq!(
        running.health().resyncs,
        1,
        "repaired without a full resync"
    );
    assert_redis_equals_memory(&running, &[]).await;
    running.stop().await;
}
