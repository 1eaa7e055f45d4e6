//! Helpers shared by the mirror tests.

#![allow(dead_code)] // each test binary uses a different subset

use std::time::Duration;

use sift_candles::testsuite::{candle, sym};
use sift_candles::{CandleStore, Capacities, MemoryCandleStore};
use sift_core::{Candle, Interval, Symbol, Ticker};
use sift_redis::{MirrorConfig, MirrorHealth, RedisCandleStore, RedisConfig, RedisMirror};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// 2025-01-01 00:00 UTC.
pub(crate) const T0: i64 = 1_735_689_600_000;
pub(crate) const MINUTE: i64 = 60_000;
/// Long enough for any condition of these tests on a loaded machine.
pub(crate) const WAIT: Duration = Duration::from_secs(20);

/// A running mirror, the token that stops it and the task to await.
pub(crate) struct Running {
    pub(crate) mirror: RedisMirror,
    pub(crate) task: JoinHandle<()>,
    pub(crate) shutdown: CancellationToken,
    pub(crate) redis: RedisConfig,
}

impl Running {
    pub(crate) async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("mirror task ends")
            .expect("mirror task does not panic");
    }

    pub(crate) fn health(&self) -> MirrorHealth {
        self.mirror.health()
    }
}

/// Test timings: fast PINGs and reconnects.
pub(crate) fn fast(redis: RedisConfig) -> MirrorConfig {
    let mut config = MirrorConfig::new(RedisConfig {
        connect_timeout: Duration::from_secs(1),
        op_timeout: Duration::from_secs(2),
        ..redis
    });
    config.ping_interval = Duration::from_millis(50);
    config.latest_interval = Duration::from_millis(50);
    config.reconnect_min = Duration::from_millis(10);
    config.reconnect_max = Duration::from_millis(100);
    config
}

pub(crate) fn start(config: MirrorConfig, caps: Capacities) -> Running {
    let shutdown = CancellationToken::new();
    let redis = config.redis.clone();
    let (mirror, task) = RedisMirror::spawn(MemoryCandleStore::new(caps), config, shutdown.clone())
        .expect("valid redis url");
    Running {
        mirror,
        task,
        shutdown,
        redis,
    }
}

pub(crate) fn symbols(n: usize) -> Vec<Symbol> {
    (0..n).map(|k| sym(&format!("S{k:03}USDT"))).collect()
}

/// The close burst at minute `m`: every symbol's 1m candle, and its 5m candle on 5m
/// boundaries.
pub(crate) fn burst(symbols: &[Symbol], m: i64) -> Vec<(Symbol, Interval, Candle)> {
    let mut out = Vec::new();
    for (k, s) in symbols.iter().enumerate() {
        let seed = 100.0 + k as f64 + m as f64 / 7.0;
        out.push((
            s.clone(),
            Interval::M1,
            candle(Interval::M1, T0 + m * MINUTE, seed),
        ));
        if (m + 1) % 5 == 0 {
            let open = T0 + (m - 4) * MINUTE;
            out.push((
                s.clone(),
                Interval::M5,
                candle(Interval::M5, open, seed * 2.0),
            ));
        }
    }
    out
}

/// The forming 1m candle of minute `m`.
pub(crate) fn forming(m: i64, price: f64) -> Candle {
    Candle {
        closed: false,
        ..candle(Interval::M1, T0 + m * MINUTE, price)
    }
}

pub(crate) fn ticker(symbol: &Symbol, event_time: i64, price: f64) -> Ticker {
    Ticker {
        symbol: symbol.clone(),
        event_time,
        last_price: price,
        open_price: 100.0,
        high_price: price.max(100.0),
        low_price: price.min(100.0),
        volume: 10.0,
        quote_volume: 10.0 * price,
    }
}

/// Waits until the mirror has written everything to Redis.
pub(crate) async fn wait_idle(running: &Running) {
    let idle = sift_test_support::wait_until(WAIT, || async {
        let h = running.health();
        h.is_idle() && h.state == sift_redis::RedisState::Up
    })
    .await;
    assert!(idle, "mirror never became idle: {:?}", running.health());
}

/// Asserts that Redis (read through `RedisCandleStore`) holds exactly what memory holds:
/// symbols, intervals, every closed history, every forming candle, and the given tickers.
pub(crate) async fn assert_redis_equals_memory(running: &Running, tickers: &[Ticker]) {
    let memory = running.mirror.memory().clone();
    let redis = running.redis.clone();
    let tickers = tickers.to_vec();
    tokio::task::spawn_blocking(move || {
        let caps = memory.capacities().clone();
        let store = RedisCandleStore::connect(&redis, caps.clone()).expect("connect");
        let symbols = memory.symbols().expect("store call");
        assert!(!symbols.is_empty());
        assert_eq!(store.symbols().expect("store call"), symbols);
        for s in &symbols {
            let intervals = memory.intervals(s).expect("store call");
            assert_eq!(store.intervals(s).expect("store call"), intervals, "{s}");
            for &i in &intervals {
                let n = caps.of(i) + 1;
                assert_eq!(
                    store.last_with_forming(s, i, n).expect("store call"),
                    memory.last_with_forming(s, i, n).expect("store call"),
                    "{s} {i}"
                );
                assert_eq!(
                    store.len(s, i).expect("store call"),
                    memory.len(s, i).expect("store call")
                );
                assert_eq!(
                    store.latest_closed(s, i).expect("store call"),
                    memory.latest_closed(s, i).expect("store call")
                );
            }
        }
        for t in &tickers {
            let got = store.ticker(&t.symbol, t.event_time).expect("store call");
            assert_eq!(
                got,
                memory.ticker(&t.symbol, t.event_time).expect("store call")
            );
            assert_eq!(got.as_ref(), Some(t));
        }
    })
    .await
    .expect("comparison passes");
}
