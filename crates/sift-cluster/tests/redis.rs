//! The cluster's Redis primitives against the real server, each test under its own key
//! prefix: the leader lease, the fenced publication, the consumer group (delivery, ack,
//! claim of a dead consumer's entries) and shard ownership.

use std::collections::BTreeSet;
use std::time::Duration;

use sift_cluster::consumer::{ack_all, backlog, claim, ensure_group, read};
use sift_cluster::ownership::Ownership;
use sift_cluster::publish::{Publisher, published};
use sift_cluster::{Claim, ClusterKeys, Lease};
use sift_core::{Candle, Interval, Symbol};
use sift_market::CloseBurst;
use sift_test_support::redis::TestRedis;
use sift_test_support::wait_until;

async fn conn(redis: &TestRedis) -> redis::aio::MultiplexedConnection {
    redis
        .client()
        .get_multiplexed_async_connection()
        .await
        .expect("redis reachable")
}

fn burst(open_time: i64, symbols: &[&str]) -> CloseBurst {
    CloseBurst {
        interval: Interval::M1,
        open_time,
        candles: symbols
            .iter()
            .map(|s| {
                let mut c = Candle::ohlcv(open_time, 1.0, 2.0, 0.5, 1.5, 3.0);
                c.close_time = open_time + 59_999;
                (s.parse::<Symbol>().expect("a symbol"), c)
            })
            .collect(),
        late: false,
    }
}

#[tokio::test]
async fn the_lease_has_one_holder_and_only_it_renews_or_releases() {
    let redis = TestRedis::new();
    let mut conn = conn(&redis).await;
    let key = format!("{}lease", redis.prefix());
    let a = Lease::new(&key, "a", Duration::from_millis(300));
    let b = Lease::new(&key, "b", Duration::from_millis(300));
    assert_eq!(a.claim(&mut conn).await.unwrap(), Claim::Acquired);
    assert_eq!(b.claim(&mut conn).await.unwrap(), Claim::Lost);
    assert_eq!(a.claim(&mut conn).await.unwrap(), Claim::Renewed);
    assert!(
        !b.release(&mut conn).await.unwrap(),
        "b cannot drop a's lease"
    );
    assert_eq!(
        Lease::holder(&mut conn, &key).await.unwrap().as_deref(),
        Some("a")
    );
    // Not renewed, it lapses and b takes it.
    let lapsed = wait_until(Duration::from_secs(5), || {
        let b = b.clone();
        let mut conn = conn.clone();
        async move { b.claim(&mut conn).await.unwrap() == Claim::Acquired }
    })
    .await;
    assert!(lapsed);
    assert_eq!(a.claim(&mut conn).await.unwrap(), Claim::Lost);
    assert!(b.release(&mut conn).await.unwrap());
    assert_eq!(Lease::holder(&mut conn, &key).await.unwrap(), None);
}

#[tokio::test]
async fn only_the_leader_publishes_and_published_only_advances() {
    let redis = TestRedis::new();
    let mut conn = conn(&redis).await;
    let keys = ClusterKeys::new(redis.prefix());
    let publisher = Publisher {
        keys: keys.clone(),
        id: "c1".into(),
        shards: 2,
        maxlen: 100,
    };
    let bursts = [burst(120_000, &["BTCUSDT", "ETHUSDT", "SOLUSDT"])];
    assert!(
        !publisher.publish(&mut conn, &bursts).await.unwrap(),
        "no lease, no publication"
    );
    let lease = Lease::new(keys.leader(), "c1", Duration::from_secs(10));
    assert!(lease.claim(&mut conn).await.unwrap().held());
    assert!(publisher.publish(&mut conn, &bursts).await.unwrap());
    // A late repair of an older close does not move `published` back.
    assert!(
        publisher
            .publish(&mut conn, &[burst(60_000, &["BTCUSDT"])])
            .await
            .unwrap()
    );
    let seen = published(&mut conn, &keys).await.unwrap();
    assert_eq!(seen.get(&Interval::M1), Some(&120_000));
    let mut entries = 0;
    for shard in 0..2 {
        let len: usize = redis::cmd("XLEN")
            .arg(keys.closes(shard))
            .query_async(&mut conn)
            .await
            .unwrap();
        entries += len;
    }
    // The three symbols of the first close fall in one or two shards, plus the repair.
    assert!((2..=3).contains(&entries), "{entries} entries");
}

#[tokio::test]
async fn entries_stay_pending_until_acked_and_a_dead_consumers_are_claimed() {
    let redis = TestRedis::new();
    let mut conn = conn(&redis).await;
    let keys = ClusterKeys::new(redis.prefix());
    let publisher = Publisher {
        keys: keys.clone(),
        id: "c1".into(),
        shards: 1,
        maxlen: 100,
    };
    Lease::new(keys.leader(), "c1", Duration::from_secs(10))
        .claim(&mut conn)
        .await
        .unwrap();
    let stream = keys.closes(0);
    ensure_group(&mut conn, &stream).await.unwrap();
    ensure_group(&mut conn, &stream).await.unwrap(); // exists: fine
    for minute in 1..=3 {
        let bursts = [burst(minute * 60_000, &["BTCUSDT"])];
        assert!(publisher.publish(&mut conn, &bursts).await.unwrap());
    }
    let streams = [(0, stream.clone())];
    let block = Duration::from_millis(50);
    // The dead worker read two entries and acknowledged only the first.
    let got = read(&mut conn, "dead", &streams, 2, block).await.unwrap();
    assert_eq!(got.len(), 2);
    let first = got[0].entry.as_ref().unwrap();
    assert_eq!(first.bursts[0].open_time, 60_000);
    ack_all(&mut conn, &got[..1]).await.unwrap();
    assert_eq!(backlog(&mut conn, &stream).await.unwrap(), (1, Some(1)));

    // Another consumer reads only what was never delivered...
    let fresh = read(&mut conn, "alive", &streams, 10, block).await.unwrap();
    assert_eq!(fresh.len(), 1);
    assert_eq!(
        fresh[0].entry.as_ref().unwrap().bursts[0].open_time,
        180_000
    );
    ack_all(&mut conn, &fresh).await.unwrap();
    // ...and claims the dead one's pending entry once it is idle long enough.
    let early = claim(&mut conn, 0, &stream, "alive", Duration::from_secs(60))
        .await
        .unwrap();
    assert!(early.is_empty(), "not idle long enough yet");
    let claimed = claim(&mut conn, 0, &stream, "alive", Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, got[1].id);
    ack_all(&mut conn, &claimed).await.unwrap();
    assert_eq!(backlog(&mut conn, &stream).await.unwrap(), (0, Some(0)));
    assert!(
        read(&mut conn, "alive", &streams, 10, block)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn shards_are_split_between_live_workers_and_move_when_one_leaves() {
    let redis = TestRedis::new();
    let mut conn = conn(&redis).await;
    let keys = ClusterKeys::new(redis.prefix());
    let ttl = Duration::from_secs(10);
    let mut a = Ownership::new(keys.clone(), "worker-a", 8, ttl);
    let mut b = Ownership::new(keys.clone(), "worker-b", 8, ttl);
    a.tick(&mut conn).await.unwrap();
    assert_eq!(a.owned().len(), 8, "alone, a owns everything");
    b.tick(&mut conn).await.unwrap();
    assert!(b.owned().is_empty(), "held shards are not taken");
    // a learns of b on one tick and releases b's shards on the next; b then takes them (a
    // view is one tick old, so a handover takes two).
    a.tick(&mut conn).await.unwrap();
    a.tick(&mut conn).await.unwrap();
    b.tick(&mut conn).await.unwrap();
    let (mine, theirs) = (a.owned().clone(), b.owned().clone());
    assert!(mine.is_disjoint(&theirs));
    assert_eq!(mine.len() + theirs.len(), 8, "{mine:?} {theirs:?}");
    assert!(!theirs.is_empty());
    // b leaves gracefully; a takes everything back at once.
    b.release(&mut conn).await.unwrap();
    a.tick(&mut conn).await.unwrap();
    a.tick(&mut conn).await.unwrap();
    assert_eq!(a.owned(), &(0..8).collect::<BTreeSet<u32>>());
    assert_eq!(a.live(), ["worker-a".to_owned()]);
}
