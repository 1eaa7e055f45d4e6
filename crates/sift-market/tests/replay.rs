//! The collector on replayed candle files: history, then the rest as live closes, aggregated
//! intervals, and a hole in the files accepted without looping.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use common::{Harness, assert_series_eq, check_order};
use sift_backtest::aggregate::aggregate;
use sift_core::{Candle, Interval, Symbol};
use sift_market::{MarketConfig, SourceConfig, Universe};

/// 2025-01-01T00:00:00Z.
const T0: i64 = 1_735_689_600_000;
const MIN: i64 = 60_000;
const MINUTES: i64 = 120;
/// Minutes 80, 81 and 82 are missing from ETH's file.
const HOLE: std::ops::Range<i64> = 80..83;

fn candle(m: i64) -> Candle {
    let open = 100.0 + (m % 7) as f64;
    let mut c = Candle::ohlcv(
        T0 + m * MIN,
        open,
        open + 2.0,
        open - 1.0,
        open + 1.0,
        10.0 + m as f64,
    );
    c.close_time = c.open_time + MIN - 1;
    c.quote_volume = 1000.0 + m as f64;
    c.trades = 3;
    c.taker_buy_volume = 5.0;
    c.taker_buy_quote_volume = 500.0;
    c
}

fn file_candles(hole: bool) -> Vec<Candle> {
    (0..MINUTES)
        .filter(|m| !(hole && HOLE.contains(m)))
        .map(candle)
        .collect()
}

fn write(dir: &tempfile::TempDir, name: &str, candles: &[Candle]) -> PathBuf {
    let path = dir.path().join(name);
    let mut file = std::fs::File::create(&path).expect("creating a temporary file");
    for c in candles {
        writeln!(
            file,
            "{},{},{},{},{},{},{},{},{},{},{},0",
            c.open_time,
            c.open,
            c.high,
            c.low,
            c.close,
            c.volume,
            c.close_time,
            c.quote_volume,
            c.trades,
            c.taker_buy_volume,
            c.taker_buy_quote_volume
        )
        .expect("writing a temporary file");
    }
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_replay_as_history_then_live_closes() {
    let dir = tempfile::tempdir().unwrap();
    let btc = Symbol::new("BTCUSDT").unwrap();
    let eth = Symbol::new("ETHUSDT").unwrap();
    let paths = vec![
        write(&dir, "BTCUSDT-1m-2025-01.csv", &file_candles(false)),
        write(&dir, "ETHUSDT-1m-2025-01.csv", &file_candles(true)),
    ];
    let config = MarketConfig {
        intervals: vec![Interval::M1, Interval::M5],
        history: 30,
        // Longer than a loaded machine can delay the feed, so stall checks stay rare (one that
        // runs ahead of the driver still gets the candles: fetches bring the replay to its clock).
        stall_grace: Duration::from_secs(3),
        burst_wait: Duration::from_millis(200),
        ..MarketConfig::new(Universe::Top(10))
    };
    // One minute every 20 ms.
    let source = SourceConfig::Replay {
        paths,
        speed: 3_000.0,
    };
    let mut h = Harness::start(config, source).await;
    let last_open = T0 + (MINUTES - 1) * MIN;
    let store = h.store.clone();
    h.wait_events(Duration::from_secs(20), "the files to run out", |_| {
        [&btc, &eth].iter().all(|s| {
            store
                .latest_closed(s, Interval::M1)
                .unwrap()
                .is_some_and(|c| c.open_time == last_open)
        })
    })
    .await;
    let health = h.handle.health();
    h.stop().await.unwrap();
    check_order(&h.events.lock());

    for (symbol, hole) in [(&btc, false), (&eth, true)] {
        let m1 = file_candles(hole);
        let stored = h
            .store
            .last_closed(symbol, Interval::M1, usize::MAX)
            .unwrap();
        let from = m1
            .iter()
            .position(|c| c.open_time == stored[0].open_time)
            .unwrap();
        assert!(
            stored.len() >= 30 + 40,
            "{symbol}: history and live, {} stored",
            stored.len()
        );
        assert_series_eq(h.store.as_ref(), symbol, Interval::M1, &m1[from..]);
        let m5 = aggregate(Interval::M1, &m1, Interval::M5).unwrap().candles;
        let stored = h
            .store
            .last_closed(symbol, Interval::M5, usize::MAX)
            .unwrap();
        let from = m5
            .iter()
            .position(|c| c.open_time == stored[0].open_time)
            .unwrap();
        assert_series_eq(h.store.as_ref(), symbol, Interval::M5, &m5[from..]);
    }
    // ETH's 3 missing minutes, and the 5m candle they belong to, are holes.
    assert_eq!(health.counters.holes, 4, "{health:#?}");
    assert_eq!(health.source, "replay");
}
