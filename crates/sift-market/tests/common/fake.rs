//! The fake Binance server and the real client, wired for tests.

use std::time::Duration;

use sift_binance::{RestConfig, StreamConfig};
use sift_candles::CandleStore;
use sift_market::SourceConfig;
use sift_test_support::fake::{FakeBinance, FakeConfig};

use super::assert_series_eq;

/// A fake market of `symbols` pairs running `speed` times faster than real time.
pub(crate) async fn start_fake(config: FakeConfig) -> FakeBinance {
    FakeBinance::start(config)
        .await
        .expect("fake binance starts")
}

pub(crate) fn fake_config(symbols: usize, speed: f64) -> FakeConfig {
    FakeConfig {
        symbols,
        speed,
        seed: 11,
        ..FakeConfig::default()
    }
}

/// Client settings pointing at `fake`, with short waits so failures show quickly.
pub(crate) fn client_configs(fake: &FakeBinance) -> (RestConfig, StreamConfig) {
    let rest = RestConfig {
        base_url: fake.rest_url(),
        timeout: Duration::from_secs(5),
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_secs(2),
        ..RestConfig::default()
    };
    let streams = StreamConfig {
        base_url: fake.ws_url(),
        silence_timeout: Duration::from_secs(5),
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_millis(500),
        connect_timeout: Duration::from_secs(5),
        ..StreamConfig::default()
    };
    (rest, streams)
}

pub(crate) fn source(rest: RestConfig, streams: StreamConfig) -> SourceConfig {
    SourceConfig::Binance { rest, streams }
}

/// Every series in `store` equals the fake server's REST klines over the same span: no
/// candle missing, none extra, none different. Returns the number of series checked.
pub(crate) fn assert_store_matches(store: &dyn CandleStore, fake: &FakeBinance) -> usize {
    let mut checked = 0;
    for symbol in store.symbols().expect("memory store reads") {
        for interval in store.intervals(&symbol).expect("memory store reads") {
            let stored = store
                .last_closed(&symbol, interval, usize::MAX)
                .expect("memory store reads");
            let (Some(first), Some(last)) = (stored.first(), stored.last()) else {
                continue;
            };
            let truth = fake.ground_truth(&symbol, interval, first.open_time, last.open_time + 1);
            assert_series_eq(store, &symbol, interval, &truth);
            checked += 1;
        }
    }
    checked
}
