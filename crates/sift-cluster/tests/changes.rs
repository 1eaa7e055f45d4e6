//! Trader changes and the execution switch reach a worker over `sift:traders` (real Redis
//! under a test prefix, a PostgreSQL database of the test's own).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use sift_cluster::changes::{Shared, listen};
use sift_cluster::process::Traders;
use sift_cluster::{ClusterKeys, TraderMessage};
use sift_engine::EngineConfig;
use sift_server::Evaluator;
use sift_store::{NewTrader, SETTING_PAUSED};
use sift_test_support::postgres::test_database;
use sift_test_support::redis::TestRedis;
use sift_test_support::wait_until;
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(10);

async fn announce(redis: &TestRedis, keys: &ClusterKeys, message: TraderMessage) {
    let mut conn = redis
        .client()
        .get_multiplexed_async_connection()
        .await
        .expect("redis reachable");
    let json = serde_json::to_string(&message).expect("json");
    let _: i64 = redis::cmd("PUBLISH")
        .arg(keys.traders())
        .arg(json)
        .query_async(&mut conn)
        .await
        .expect("published");
}

#[tokio::test]
async fn changes_announced_by_an_api_reach_the_worker() {
    let redis = TestRedis::new();
    let db = test_database().await.unwrap();
    let store = sift_store::open(db.url()).await.unwrap();
    let keys = ClusterKeys::new(redis.prefix());
    let shared = Shared {
        store: Arc::clone(&store),
        evaluator: Evaluator::start(EngineConfig::default()).unwrap(),
        traders: Arc::new(Mutex::new(Traders::default())),
        paused: Arc::new(AtomicBool::new(false)),
    };
    assert_eq!(shared.load_all().await.unwrap(), 0);
    let cancel = CancellationToken::new();
    let task = tokio::spawn(listen(
        redis.client(),
        keys.clone(),
        shared.clone(),
        cancel.clone(),
    ));

    // A trader created (through "another api instance": the store, then the announcement).
    let toml = "name = \"t\"\ninterval = \"1m\"\nrule = \"close > sma(10)\"\n";
    let def = sift_traders::parse_toml("t.toml", toml).unwrap();
    let trader = store
        .create_trader(NewTrader {
            owner_id: None,
            def,
            channels: Vec::new(),
        })
        .await
        .unwrap();
    let id = trader.id;
    // Announced until heard: the listener may still be subscribing.
    let heard = wait_until(WAIT, || {
        let (redis, keys, shared) = (&redis, &keys, &shared);
        async move {
            announce(redis, keys, TraderMessage::Changed { id }).await;
            shared.traders.lock().compiled.contains_key(&id)
        }
    })
    .await;
    assert!(heard, "the new trader reached the worker");
    assert!(shared.traders.lock().book.visibility(id).is_some());
    assert_eq!(shared.evaluator.stats().await.unwrap().traders, 1);

    // The switch: stored by the api, announced, re-read by the worker.
    store.set_setting(SETTING_PAUSED, "true").await.unwrap();
    announce(&redis, &keys, TraderMessage::Paused { paused: true }).await;
    let paused = wait_until(WAIT, || {
        let paused = shared.paused.load(Ordering::SeqCst);
        async move { paused }
    })
    .await;
    assert!(paused, "the worker paused");

    // Deleted.
    store.delete_trader(id).await.unwrap();
    announce(&redis, &keys, TraderMessage::Removed { id }).await;
    let removed = wait_until(WAIT, || {
        let gone = !shared.traders.lock().compiled.contains_key(&id);
        async move { gone }
    })
    .await;
    assert!(removed, "the deleted trader left the worker");
    assert_eq!(shared.evaluator.stats().await.unwrap().traders, 0);

    cancel.cancel();
    task.await.unwrap();
    store.close().await;
    db.cleanup().await.unwrap();
}
