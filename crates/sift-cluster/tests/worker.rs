//! The worker against real Redis and PostgreSQL, each test under its own key prefix and
//! database: closes whose stream entries Redis lost are found by the fallback tick and still
//! produce their signals exactly once; tickers reach the engine and rank `top = N` traders.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use parking_lot::Mutex;
use secrecy::SecretString;
use sift_candles::{CandleStore, Capacities};
use sift_cluster::changes::Shared;
use sift_cluster::process::{Processor, Traders};
use sift_cluster::publish::Publisher;
use sift_cluster::{CloseEntry, ClusterKeys, EntryBurst, Lease, WorkerOptions, shard_of};
use sift_core::{Candle, Interval, Symbol, Ticker};
use sift_engine::{CloseBatch, Engine, EngineConfig};
use sift_market::CloseBurst;
use sift_redis::{RedisCandleStore, RedisConfig};
use sift_server::{Evaluator, Settings};
use sift_store::{NewTrader, Store};
use sift_test_support::postgres::{TestDatabase, test_database};
use sift_test_support::redis::TestRedis;
use sift_test_support::wait_until;
use tokio_util::sync::CancellationToken;

const MINUTE: i64 = 60_000;
/// The first close the cluster publishes; `HISTORY` candles come before it.
const START: i64 = 1_700_000_040_000;
const HISTORY: i64 = 40;
const SHARDS: u32 = 2;
const CAPACITY: usize = 200;
const WAIT: Duration = Duration::from_secs(60);

/// A wavy but deterministic market: each symbol its own phase, so crossovers happen often.
fn candle(symbol: usize, open_time: i64) -> Candle {
    #[allow(clippy::cast_precision_loss)]
    let x = (open_time / MINUTE) as f64 / 3.0 + symbol as f64;
    let close = 100.0 + 10.0 * x.sin() + 3.0 * (x * 2.7).cos();
    let mut c = Candle::ohlcv(
        open_time,
        close - 0.5,
        close + 1.0,
        close - 1.0,
        close,
        10.0,
    );
    c.close_time = open_time + MINUTE - 1;
    c
}

fn symbols() -> Vec<Symbol> {
    let symbols: Vec<Symbol> = [
        "BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT", "ADAUSDT",
    ]
    .iter()
    .map(|s| s.parse().expect("a symbol"))
    .collect();
    let shards: BTreeSet<u32> = symbols.iter().map(|s| shard_of(s, SHARDS)).collect();
    assert_eq!(shards.len(), SHARDS as usize, "every shard has symbols");
    symbols
}

async fn trader(store: &dyn Store, name: &str, rule: &str, symbols: &str) -> i64 {
    let toml =
        format!("name = \"{name}\"\ninterval = \"1m\"\nrule = \"{rule}\"\nsymbols = {symbols}\n");
    let def = sift_traders::parse_toml(name, &toml).expect("a trader file");
    store
        .create_trader(NewTrader {
            owner_id: None,
            def,
            channels: Vec::new(),
        })
        .await
        .expect("trader stored")
        .id
}

/// A fresh database with only the given traders (built-ins are not seeded here).
async fn database() -> (TestDatabase, Arc<dyn Store>) {
    let db = test_database().await.expect("a database");
    let store = sift_store::open(db.url()).await.expect("the store");
    (db, store)
}

fn candles(redis: &TestRedis) -> RedisCandleStore {
    let config = RedisConfig::new(redis.url()).with_prefix(redis.prefix());
    RedisCandleStore::connect(&config, Capacities::new(CAPACITY).expect("capacity"))
        .expect("redis reachable")
}

/// Writes the candles of `opens` for every symbol to Redis.
fn write(candles: &RedisCandleStore, symbols: &[Symbol], opens: impl Iterator<Item = i64>) {
    let batch: Vec<(Symbol, Interval, Candle)> = opens
        .flat_map(|t| {
            symbols
                .iter()
                .enumerate()
                .map(move |(i, s)| (s.clone(), Interval::M1, candle(i, t)))
        })
        .collect();
    candles.put_closed_batch(&batch).expect("candles written");
}

/// The close `index` (0 = `START`) of every symbol, as the leader publishes it.
fn burst(symbols: &[Symbol], index: i64) -> CloseBurst {
    let open_time = START + index * MINUTE;
    CloseBurst {
        interval: Interval::M1,
        open_time,
        candles: symbols
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), candle(i, open_time)))
            .collect(),
        late: false,
    }
}

fn settings(redis: &TestRedis, db: &TestDatabase, dir: &std::path::Path) -> Settings {
    let mut settings = Settings::default();
    settings.redis.url = Some(SecretString::from(redis.url().to_owned()));
    settings.database.url = Some(SecretString::from(db.url().to_owned()));
    settings.market.history = CAPACITY;
    settings.server.data_dir = dir.to_path_buf();
    settings
}

fn options(redis: &TestRedis, id: &str) -> WorkerOptions {
    WorkerOptions {
        id: id.to_owned(),
        shards: SHARDS,
        lease_ttl: Duration::from_millis(1_500),
        block: Duration::from_millis(200),
        batch: 16,
        claim_idle: Duration::from_millis(500),
        fallback_every: Duration::from_millis(500),
        listen: None,
        prefix: redis.prefix().to_owned(),
    }
}

/// Waits until every shard committed the closes `0..n`.
async fn committed(store: &Arc<dyn Store>, n: i64) -> bool {
    wait_until(WAIT, || {
        let store = Arc::clone(store);
        async move {
            let rows: BTreeSet<(u32, i64)> = store
                .shard_closes(Interval::M1, START)
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|r| (r.shard, r.open_time))
                .collect();
            (0..SHARDS).all(|s| (0..n).all(|i| rows.contains(&(s, START + i * MINUTE))))
        }
    })
    .await
}

/// What one engine fed every close in order finds: (trader, symbol, open time).
async fn reference(
    store: &dyn Store,
    symbols: &[Symbol],
    closes: i64,
) -> BTreeSet<(i64, String, i64)> {
    let stored = store
        .list_traders(&sift_store::TraderFilter::default())
        .await
        .expect("traders listed");
    let traders = stored
        .iter()
        .map(|t| sift_server::traders::compile(t, &[]).expect("the rule checks"))
        .collect();
    let mut engine = Engine::new(EngineConfig {
        candle_capacity: CAPACITY,
        ..EngineConfig::default()
    });
    engine.set_traders(traders).expect("traders compile");
    for (i, symbol) in symbols.iter().enumerate() {
        let history: Vec<Candle> = (-HISTORY..0)
            .map(|k| candle(i, START + k * MINUTE))
            .collect();
        engine.warm(symbol, Interval::M1, &history);
    }
    let mut out = BTreeSet::new();
    for index in 0..closes {
        let batch = CloseBatch {
            candles: burst(symbols, index).to_batch(),
            ..CloseBatch::new()
        };
        for m in engine.process(&batch) {
            let id = i64::try_from(m.trader.0).expect("ids fit");
            out.insert((id, m.symbol.to_string(), m.open_time));
        }
    }
    out
}

/// Logs to the test's output with `TEST_LOG=1`.
fn logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("info")
            .with_test_writer()
            .try_init();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closes_lost_from_the_streams_are_recovered_once() {
    logs();
    let redis = TestRedis::new();
    let (db, store) = database().await;
    let dir = tempfile::tempdir().unwrap();
    let symbols = symbols();
    trader(store.as_ref(), "above", "close > sma(8)", "\"all\"").await;
    trader(
        store.as_ref(),
        "cross",
        "crossover(sma(3), sma(8))",
        "\"all\"",
    )
    .await;

    let candles = candles(&redis);
    write(
        &candles,
        &symbols,
        (-HISTORY..0).map(|k| START + k * MINUTE),
    );
    let keys = ClusterKeys::new(redis.prefix());
    let mut conn = redis
        .client()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let lease = Lease::new(keys.leader(), "collector", Duration::from_secs(600));
    assert!(lease.claim(&mut conn).await.unwrap().held());
    let publisher = Publisher {
        keys: keys.clone(),
        id: "collector".into(),
        shards: SHARDS,
        maxlen: 10_000,
    };
    let publish = async |range: std::ops::Range<i64>| {
        for index in range {
            write(&candles, &symbols, std::iter::once(START + index * MINUTE));
            let burst = burst(&symbols, index);
            assert!(
                publisher
                    .publish(&mut conn.clone(), &[burst])
                    .await
                    .unwrap()
            );
        }
    };

    // A worker processes the first closes.
    let run = |id: &str| {
        let cancel = CancellationToken::new();
        let task = tokio::spawn(sift_cluster::worker::run(
            settings(&redis, &db, dir.path()),
            options(&redis, id),
            None,
            cancel.clone(),
            None,
        ));
        (cancel, task)
    };
    let (cancel, task) = run("worker-a");
    publish(0..8).await;
    assert!(committed(&store, 8).await, "the first closes committed");
    cancel.cancel();
    task.await.unwrap().unwrap();

    // While no worker runs, closes are published and their entries lost: one stream is
    // deleted (its group with it), the other trimmed past every unread entry.
    publish(8..16).await;
    let mut raw = conn.clone();
    redis::cmd("DEL")
        .arg(keys.closes(0))
        .query_async::<()>(&mut raw)
        .await
        .unwrap();
    redis::cmd("XTRIM")
        .arg(keys.closes(1))
        .arg("MAXLEN")
        .arg(0)
        .query_async::<()>(&mut raw)
        .await
        .unwrap();
    publish(16..18).await;

    // A new worker reads what is left, and its fallback tick recovers the rest.
    let (cancel, task) = run("worker-b");
    let done = committed(&store, 18).await;
    assert!(
        done,
        "every close committed: {:?}",
        store.shard_closes(Interval::M1, START).await
    );
    cancel.cancel();
    task.await.unwrap().unwrap();

    let expected = reference(store.as_ref(), &symbols, 18).await;
    let stored = store.signals_after_id(None, 0, 10_000).await.unwrap();
    let got: BTreeSet<(i64, String, i64)> = stored
        .iter()
        .map(|s| (s.trader_id, s.symbol.to_string(), s.open_time))
        .collect();
    assert_eq!(got.len(), stored.len(), "no signal stored twice");
    assert!(
        expected
            .iter()
            .any(|&(_, _, t)| (START + 8 * MINUTE..START + 16 * MINUTE).contains(&t)),
        "the lost closes had signals to find"
    );
    assert_eq!(got, expected, "the signals of one engine fed every close");
    store.close().await;
    db.cleanup().await.unwrap();
}

fn ticker(symbol: &Symbol, price: f64, quote_volume: f64, at: i64) -> Ticker {
    Ticker {
        symbol: symbol.clone(),
        event_time: at,
        last_price: price,
        open_price: price / 2.0,
        high_price: price,
        low_price: price / 2.0,
        volume: 1.0,
        quote_volume,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_feed_tickers_and_rank_top_n_traders() {
    let redis = TestRedis::new();
    let (db, store) = database().await;
    let symbols = symbols();
    let pricey = trader(store.as_ref(), "pricey", "price > 150", "\"all\"").await;
    let movers = trader(
        store.as_ref(),
        "movers",
        "change_pct_24h > 50 and close > sma(3)",
        "{ top = 2 }",
    )
    .await;

    let candles = candles(&redis);
    write(
        &candles,
        &symbols,
        (-HISTORY..0).map(|k| START + k * MINUTE),
    );
    let at = START + MINUTE - 1;
    // Prices above 150 for the first three symbols; the highest volumes for the last two.
    for (i, symbol) in symbols.iter().enumerate() {
        let price = if i < 3 { 200.0 } else { 100.0 };
        #[allow(clippy::cast_precision_loss)]
        let volume = 1_000.0 * i as f64;
        candles
            .put_ticker(&ticker(symbol, price, volume, at - 500))
            .unwrap();
    }

    let evaluator = Evaluator::start(EngineConfig {
        candle_capacity: CAPACITY,
        ..EngineConfig::default()
    })
    .unwrap();
    let shared = Shared {
        store: Arc::clone(&store),
        evaluator: evaluator.clone(),
        traders: Arc::new(Mutex::new(Traders::default())),
        paused: Arc::new(AtomicBool::new(false)),
    };
    assert_eq!(shared.load_all().await.unwrap(), 2);
    let mut processor = Processor::new(
        Arc::clone(&store),
        evaluator,
        candles,
        Arc::clone(&shared.traders),
        Arc::clone(&shared.paused),
        CAPACITY,
        ClusterKeys::new(redis.prefix()),
    );
    let client = redis.client();
    let mut conn = redis::aio::ConnectionManager::new(client).await.unwrap();
    // One close of every symbol, rising above its average.
    let entry = CloseEntry {
        close_time: at,
        bursts: vec![EntryBurst {
            interval: Interval::M1,
            open_time: START,
            late: false,
            candles: symbols
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let mut c = candle(i, START);
                    c.close = 1_000.0;
                    c.high = 1_000.0;
                    (s.clone(), c)
                })
                .collect(),
        }],
    };
    let cancel = CancellationToken::new();
    let mine: Vec<(u32, CloseEntry)> = (0..SHARDS)
        .map(|shard| {
            let entry = CloseEntry {
                close_time: entry.close_time,
                bursts: vec![EntryBurst {
                    candles: entry.bursts[0]
                        .candles
                        .iter()
                        .filter(|(s, _)| shard_of(s, SHARDS) == shard)
                        .cloned()
                        .collect(),
                    ..entry.bursts[0].clone()
                }],
            };
            (shard, entry)
        })
        .collect();
    // The first shard alone, then the others together (as a worker takes one instant).
    let (first, rest) = mine.split_at(1);
    for group in [first, rest] {
        let entries: Vec<(u32, &CloseEntry)> = group.iter().map(|(s, e)| (*s, e)).collect();
        processor
            .process(&entries, &mut conn, &cancel)
            .await
            .unwrap();
    }

    let stored = store.signals_after_id(None, 0, 100).await.unwrap();
    let mut got: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for s in &stored {
        got.entry(s.trader_id)
            .or_default()
            .insert(s.symbol.to_string());
    }
    let names = |range: std::ops::Range<usize>| -> BTreeSet<String> {
        symbols[range].iter().map(ToString::to_string).collect()
    };
    assert_eq!(
        got.get(&pricey),
        Some(&names(0..3)),
        "price read the tickers"
    );
    assert_eq!(
        got.get(&movers),
        Some(&names(4..6)),
        "the top 2 by quote volume"
    );
    store.close().await;
    db.cleanup().await.unwrap();
}
