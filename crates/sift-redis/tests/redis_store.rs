//! What the behavioural suite does not cover: the raw key schema, bursts larger than one
//! round trip, and data in Redis that is not Sift's.

use sift_candles::testsuite::{candle, sym};
use sift_candles::{CandleStore, Capacities, ClosedPut, Put, StoreError};
use sift_core::{Candle, Interval};
use sift_redis::codec::{decode_candle, encode_candle};
use sift_redis::store::CLOSED_PER_ROUND_TRIP;
use sift_redis::{RedisCandleStore, RedisConfig};
use sift_test_support::redis::{RedisServer, TestRedis};

const T0: i64 = 1_735_689_600_000;
const MINUTE: i64 = 60_000;

fn store(redis: &TestRedis, caps: Capacities) -> RedisCandleStore {
    let config = RedisConfig::new(redis.url()).with_prefix(redis.prefix());
    RedisCandleStore::connect(&config, caps).expect("test redis is reachable")
}

#[test]
fn keys_follow_the_guide_schema() {
    let redis = TestRedis::new();
    let store = store(&redis, Capacities::new(3).unwrap());
    let btc = sym("BTCUSDT");
    for m in 0..5 {
        let c = candle(Interval::M1, T0 + m * MINUTE, 10.0 + m as f64);
        store.put_closed(&btc, Interval::M1, &c).unwrap();
    }
    let forming = Candle {
        closed: false,
        ..candle(Interval::M1, T0 + 5 * MINUTE, 1.0)
    };
    store.put_forming(&btc, Interval::M1, &forming).unwrap();
    let p = redis.prefix();
    assert_eq!(
        redis.keys(),
        [
            format!("{p}forming:BTCUSDT:1m"),
            format!("{p}intervals:BTCUSDT"),
            format!("{p}klines:BTCUSDT:1m"),
            format!("{p}lastClosed:BTCUSDT:1m"),
            format!("{p}symbols"),
        ]
    );
    let mut conn = redis.connection();
    // Scored by close time, oldest first, the newest 3 kept.
    let members: Vec<(Vec<u8>, i64)> = redis::cmd("ZRANGE")
        .arg(format!("{p}klines:BTCUSDT:1m"))
        .arg(0)
        .arg(-1)
        .arg("WITHSCORES")
        .query(&mut conn)
        .unwrap();
    // Trimming is lazy (see `lazy_trimming_never_shows_more_than_the_capacity`): the set may
    // hold a few older candles too.
    let closes: Vec<i64> = members.iter().map(|(_, score)| *score).collect();
    assert_eq!(
        closes[closes.len() - 3..],
        [3, 4, 5].map(|m| T0 + m * MINUTE - 1)
    );
    let newest = decode_candle(&members[members.len() - 1].0, true).unwrap();
    let last: Vec<u8> = redis::cmd("GET")
        .arg(format!("{p}lastClosed:BTCUSDT:1m"))
        .query(&mut conn)
        .unwrap();
    assert_eq!(last, encode_candle(&newest));
    // Closing the forming candle leaves its key for the next forming candle to replace; the
    // store's readers no longer show it.
    let close = candle(Interval::M1, T0 + 5 * MINUTE, 2.0);
    store.put_closed(&btc, Interval::M1, &close).unwrap();
    let stale: Vec<u8> = redis::cmd("GET")
        .arg(format!("{p}forming:BTCUSDT:1m"))
        .query(&mut conn)
        .unwrap();
    assert_eq!(stale, encode_candle(&forming));
    assert_eq!(store.forming(&btc, Interval::M1).unwrap(), None);
    let shown = store.last_with_forming(&btc, Interval::M1, 2).unwrap();
    assert_eq!(shown.last(), Some(&close));
    let next = Candle {
        closed: false,
        ..candle(Interval::M1, T0 + 6 * MINUTE, 3.0)
    };
    assert_eq!(
        store.put_forming(&btc, Interval::M1, &next).unwrap(),
        Put::Stored
    );
    assert_eq!(store.forming(&btc, Interval::M1).unwrap(), Some(next));
}

/// Series are trimmed lazily: a sorted set holds at most N + 15 candles, readers see the newest
/// N, a candle still in the set but beyond the newest N is stale, and a gap trims at once.
#[test]
fn lazy_trimming_never_shows_more_than_the_capacity() {
    const CAP: usize = 10;
    const MAX_OVERSHOOT: usize = 15;
    let redis = TestRedis::new();
    let store = store(&redis, Capacities::new(CAP).unwrap());
    let names = ["AAAUSDT", "BBBUSDT", "CCCUSDT", "DDDUSDT"];
    let mut conn = redis.connection();
    let p = redis.prefix();
    let zcard = |conn: &mut redis::Connection, name: &str| -> usize {
        redis::cmd("ZCARD")
            .arg(format!("{p}klines:{name}:1m"))
            .query(conn)
            .unwrap()
    };
    let mut trimmed_some_time = false;
    for m in 0..100 {
        let burst: Vec<_> = names
            .iter()
            .map(|n| {
                (
                    sym(n),
                    Interval::M1,
                    candle(Interval::M1, T0 + m * MINUTE, 1.0),
                )
            })
            .collect();
        assert!(
            store
                .put_closed_batch(&burst)
                .unwrap()
                .iter()
                .all(|o| o.is_appended())
        );
        for name in names {
            let raw = zcard(&mut conn, name);
            assert!(raw <= CAP + MAX_OVERSHOOT, "{name} holds {raw}");
            trimmed_some_time |= m >= 20 && raw < CAP + MAX_OVERSHOOT;
            let want = usize::try_from(m + 1).unwrap().min(CAP);
            assert_eq!(store.len(&sym(name), Interval::M1).unwrap(), want);
            let got = store.last_closed(&sym(name), Interval::M1, 100).unwrap();
            let opens: Vec<i64> = got.iter().map(|c| (c.open_time - T0) / MINUTE).collect();
            assert_eq!(opens, (m + 1 - want as i64..=m).collect::<Vec<_>>());
            let with = store
                .last_with_forming(&sym(name), Interval::M1, 100)
                .unwrap();
            assert_eq!(with, got);
        }
    }
    assert!(trimmed_some_time);
    // Find a series holding candles beyond its newest N: they are stale, not duplicates.
    let (name, raw) = names
        .iter()
        .map(|n| (*n, zcard(&mut conn, n)))
        .max_by_key(|(_, raw)| *raw)
        .unwrap();
    assert!(raw > CAP, "some series awaits its next trim");
    let beyond = candle(Interval::M1, T0 + (99 - CAP as i64) * MINUTE, 1.0);
    assert_eq!(
        store.put_closed(&sym(name), Interval::M1, &beyond).unwrap(),
        ClosedPut::Stale
    );
    let oldest_kept = candle(Interval::M1, T0 + (100 - CAP as i64) * MINUTE, 1.0);
    assert_eq!(
        store
            .put_closed(&sym(name), Interval::M1, &oldest_kept)
            .unwrap(),
        ClosedPut::Duplicate
    );
    // A gap trims at once.
    let after_gap = candle(Interval::M1, T0 + 150 * MINUTE, 1.0);
    assert!(matches!(
        store
            .put_closed(&sym(name), Interval::M1, &after_gap)
            .unwrap(),
        ClosedPut::AppendedAfterGap(_)
    ));
    assert_eq!(zcard(&mut conn, name), CAP);
}

/// A backfill larger than one round trip: split into several pipelines of several script
/// calls, outcomes in order, capacity applied.
#[test]
fn bursts_larger_than_a_round_trip_keep_their_order() {
    let redis = TestRedis::new();
    let store = store(&redis, Capacities::new(1000).unwrap());
    let names = ["AAAUSDT", "BBBUSDT", "CCCUSDT"];
    let per_series = (CLOSED_PER_ROUND_TRIP / 2) as i64;
    let mut burst = Vec::new();
    for m in 0..per_series {
        for (k, name) in names.iter().enumerate() {
            let c = candle(Interval::M1, T0 + m * MINUTE, k as f64 + m as f64);
            burst.push((sym(name), Interval::M1, c));
        }
    }
    burst.push(burst[7].clone());
    let outcomes = store.put_closed_batch(&burst).unwrap();
    assert_eq!(outcomes.len(), burst.len());
    assert!(
        outcomes[..burst.len() - 1]
            .iter()
            .all(|o| *o == ClosedPut::Appended)
    );
    assert_eq!(
        outcomes[burst.len() - 1],
        ClosedPut::Stale,
        "evicted by then"
    );
    for (k, name) in names.iter().enumerate() {
        let got = store.last_closed(&sym(name), Interval::M1, 2000).unwrap();
        let want: Vec<Candle> = (per_series - 1000..per_series)
            .map(|m| candle(Interval::M1, T0 + m * MINUTE, k as f64 + m as f64))
            .collect();
        assert_eq!(got, want, "{name}");
    }
}

/// Foreign data under Sift's keys is reported as a backend error, never misread.
#[test]
fn foreign_values_are_errors() {
    let redis = TestRedis::new();
    let store = store(&redis, Capacities::default());
    let btc = sym("BTCUSDT");
    let mut conn = redis.connection();
    let p = redis.prefix();
    redis::cmd("SET")
        .arg(format!("{p}forming:BTCUSDT:1m"))
        .arg("not a candle")
        .query::<()>(&mut conn)
        .unwrap();
    redis::cmd("SADD")
        .arg(format!("{p}symbols"))
        .arg("not-a-symbol")
        .query::<()>(&mut conn)
        .unwrap();
    let backend = |r: Result<(), StoreError>| matches!(r, Err(StoreError::Backend(_)));
    assert!(backend(store.forming(&btc, Interval::M1).map(|_| ())));
    assert!(backend(
        store.last_with_forming(&btc, Interval::M1, 5).map(|_| ())
    ));
    assert!(backend(store.symbols().map(|_| ())));
    // A value of the wrong type makes the write script fail; the store stays usable.
    redis::cmd("SET")
        .arg(format!("{p}klines:ETHUSDT:1m"))
        .arg("x")
        .query::<()>(&mut conn)
        .unwrap();
    let c = candle(Interval::M1, T0, 1.0);
    assert!(backend(
        store
            .put_closed(&sym("ETHUSDT"), Interval::M1, &c)
            .map(|_| ())
    ));
    assert_eq!(
        store.put_closed(&btc, Interval::M1, &c).unwrap(),
        ClosedPut::Appended
    );
}

/// `SCRIPT FLUSH` (or a failover to a server without the scripts) is survived; on a private
/// server, since flushing scripts would disturb other tests on the shared one.
#[test]
fn scripts_are_reloaded_after_a_flush() {
    let server = RedisServer::start_new();
    let redis = TestRedis::on(&server.url());
    let store = store(&redis, Capacities::default());
    let btc = sym("BTCUSDT");
    store
        .put_closed(&btc, Interval::M1, &candle(Interval::M1, T0, 1.0))
        .unwrap();
    redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query::<()>(&mut redis.connection())
        .unwrap();
    let c = candle(Interval::M1, T0 + MINUTE, 2.0);
    assert_eq!(
        store.put_closed(&btc, Interval::M1, &c).unwrap(),
        ClosedPut::Appended
    );
    assert!(store.ping().unwrap() > std::time::Duration::ZERO);
}
