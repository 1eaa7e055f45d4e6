//! The behavioural suite of every candle store, run against Redis: each test on its own key
//! prefix of the shared test server, deleted when the test ends.

use sift_candles::{CandleStore, Capacities, ClosedPut, Put, StoreError};
use sift_core::{Candle, Interval, Symbol, Ticker};
use sift_redis::{RedisCandleStore, RedisConfig};
use sift_test_support::redis::TestRedis;

/// A store on a fresh prefix that deletes its keys when dropped.
struct Scoped {
    store: RedisCandleStore,
    _redis: TestRedis,
}

fn scoped(caps: Capacities) -> Scoped {
    let redis = TestRedis::new();
    let config = RedisConfig::new(redis.url()).with_prefix(redis.prefix());
    let store = RedisCandleStore::connect(&config, caps).expect("test redis is reachable");
    Scoped {
        store,
        _redis: redis,
    }
}

impl CandleStore for Scoped {
    fn put_closed(&self, s: &Symbol, i: Interval, c: &Candle) -> Result<ClosedPut, StoreError> {
        self.store.put_closed(s, i, c)
    }
    fn put_closed_batch(
        &self,
        batch: &[(Symbol, Interval, Candle)],
    ) -> Result<Vec<ClosedPut>, StoreError> {
        self.store.put_closed_batch(batch)
    }
    fn put_forming(&self, s: &Symbol, i: Interval, c: &Candle) -> Result<Put, StoreError> {
        self.store.put_forming(s, i, c)
    }
    fn last_closed(&self, s: &Symbol, i: Interval, n: usize) -> Result<Vec<Candle>, StoreError> {
        self.store.last_closed(s, i, n)
    }
    fn last_with_forming(
        &self,
        s: &Symbol,
        i: Interval,
        n: usize,
    ) -> Result<Vec<Candle>, StoreError> {
        self.store.last_with_forming(s, i, n)
    }
    fn latest_closed(&self, s: &Symbol, i: Interval) -> Result<Option<Candle>, StoreError> {
        self.store.latest_closed(s, i)
    }
    fn forming(&self, s: &Symbol, i: Interval) -> Result<Option<Candle>, StoreError> {
        self.store.forming(s, i)
    }
    fn put_ticker(&self, t: &Ticker) -> Result<Put, StoreError> {
        self.store.put_ticker(t)
    }
    fn ticker(&self, s: &Symbol, now_ms: i64) -> Result<Option<Ticker>, StoreError> {
        self.store.ticker(s, now_ms)
    }
    fn symbols(&self) -> Result<Vec<Symbol>, StoreError> {
        self.store.symbols()
    }
    fn intervals(&self, s: &Symbol) -> Result<Vec<Interval>, StoreError> {
        self.store.intervals(s)
    }
    fn len(&self, s: &Symbol, i: Interval) -> Result<usize, StoreError> {
        self.store.len(s, i)
    }
}

sift_candles::candle_store_suite!(scoped);
