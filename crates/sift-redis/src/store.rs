//! [`RedisCandleStore`]: the candle store directly on Redis.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sift_candles::{
    CandleStore, Capacities, ClosedPut, Put, StoreError, TICKER_MAX_AGE_MS, validate_candle,
};
use sift_core::{Candle, Interval, Symbol, Ticker};

use crate::codec::{decode_candle, decode_ticker};
use crate::pool::Pool;
use crate::write::{
    CANDLES_PER_CALL, SeriesCandle, closed_outcomes, forming_cmd, push_closed, put_outcomes,
    ticker_cmd,
};
use crate::{Error, Keys, RedisConfig};

/// Closed candles per round trip: any close burst (3000 candles for 500 symbols x 6 intervals
/// at a day boundary) goes in one; a backfill of millions is split into pipelines that Redis
/// applies well within the op timeout.
pub const CLOSED_PER_ROUND_TRIP: usize = 10 * CANDLES_PER_CALL;

/// The [`CandleStore`] on Redis, with the key schema of [`Keys`] and the candle layout of
/// [`codec`](crate::codec). Used by the distributed roles, which share one Redis.
///
/// Every write is one Lua script call applying the store's rules atomically (first write wins,
/// gaps reported, the forming candle superseded by its close, the newest N kept), so several
/// processes may write at once without breaking the invariants. The newest N are kept lazily:
/// a `klines:*` set may hold up to 15 older candles until its next trim (see
/// `write/closed.rs`), which every read here leaves out, so the store's readers always see at
/// most N. Likewise a close leaves `forming:*` to be replaced by the next forming candle, and
/// readers ignore a forming candle that does not open after the newest closed one. Writers and
/// readers of one Redis must use the same capacities (the cluster roles take them from
/// `market.history`). A close burst of up to 1000 candles is one script call, and up to
/// [`CLOSED_PER_ROUND_TRIP`] candles one pipeline, in one round trip
/// ([`put_closed_batch`](CandleStore::put_closed_batch)).
///
/// The API is synchronous (the [`CandleStore`] trait): each call blocks on a pooled
/// connection with the configured timeouts. Call it from blocking threads (`spawn_blocking`),
/// never directly from async code. A cheap-clone handle (`Arc`).
#[derive(Clone)]
pub struct RedisCandleStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    keys: Keys,
    capacities: Capacities,
    config: RedisConfig,
}

impl RedisCandleStore {
    /// Connects to Redis (one connection, to fail fast on a wrong URL or password), keeping
    /// `capacities` closed candles per series.
    pub fn connect(config: &RedisConfig, capacities: Capacities) -> Result<Self, Error> {
        let store = Self {
            inner: Arc::new(Inner {
                pool: Pool::new(config)?,
                keys: Keys::new(config.prefix.clone()),
                capacities,
                config: config.clone(),
            }),
        };
        store.ping()?;
        Ok(store)
    }

    /// The key schema this store writes.
    pub fn keys(&self) -> &Keys {
        &self.inner.keys
    }

    /// Closed candles kept per series.
    pub fn capacities(&self) -> &Capacities {
        &self.inner.capacities
    }

    /// A `PING` round trip on a pooled connection and how long it took.
    pub fn ping(&self) -> Result<Duration, Error> {
        self.inner.pool.run(|conn| {
            let start = Instant::now();
            redis::cmd("PING").query::<()>(conn)?;
            Ok(start.elapsed())
        })
    }

    /// Writes closed candles: one pipeline (one round trip) per [`CLOSED_PER_ROUND_TRIP`].
    fn closed(&self, items: &[SeriesCandle<'_>]) -> Result<Vec<ClosedPut>, Error> {
        let mut outcomes = Vec::with_capacity(items.len());
        for part in items.chunks(CLOSED_PER_ROUND_TRIP) {
            let mut pipe = redis::pipe();
            push_closed(&mut pipe, &self.inner.keys, &self.inner.capacities, part);
            let replies: Vec<Vec<i64>> = self.inner.pool.run(|conn| pipe.query(conn))?;
            outcomes.extend(closed_outcomes(part, &replies)?);
        }
        Ok(outcomes)
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        self.inner
            .pool
            .run(|conn| redis::cmd("GET").arg(key).query(conn))
    }

    fn members(&self, key: &str) -> Result<Vec<String>, Error> {
        self.inner
            .pool
            .run(|conn| redis::cmd("SMEMBERS").arg(key).query(conn))
    }
}

/// Decodes candles read from `key`.
fn decode_all(key: &str, raw: &[Vec<u8>], closed: bool) -> Result<Vec<Candle>, Error> {
    raw.iter()
        .map(|bytes| decode_one(key, bytes, closed))
        .collect()
}

fn decode_one(key: &str, bytes: &[u8], closed: bool) -> Result<Candle, Error> {
    decode_candle(bytes, closed).ok_or_else(|| Error::Malformed {
        key: key.to_owned(),
        what: "candle",
    })
}

/// Whether the candle under `forming:*` is still forming: a close leaves that key for the next
/// forming candle to replace, so it is stale once the newest closed candle opens at or after it.
fn is_forming(forming: &Candle, newest_closed: Option<&Candle>) -> bool {
    newest_closed.is_none_or(|c| forming.open_time > c.open_time)
}

/// `-n` for `ZRANGE key -n -1`, saturating for absurd `n`.
fn from_end(n: usize) -> i64 {
    -i64::try_from(n).unwrap_or(i64::MAX)
}

impl fmt::Debug for RedisCandleStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCandleStore")
            .field("config", &self.inner.config)
            .field("capacities", &self.inner.capacities)
            .finish_non_exhaustive()
    }
}

impl CandleStore for RedisCandleStore {
    fn put_closed(
        &self,
        symbol: &Symbol,
        interval: Interval,
        candle: &Candle,
    ) -> Result<ClosedPut, StoreError> {
        validate_candle(symbol, interval, candle)?;
        let outcomes = self.closed(&[(symbol, interval, candle)])?;
        outcomes.first().copied().ok_or_else(|| {
            Error::UnexpectedReply {
                script: "put_closed",
            }
            .into()
        })
    }

    fn put_closed_batch(
        &self,
        batch: &[(Symbol, Interval, Candle)],
    ) -> Result<Vec<ClosedPut>, StoreError> {
        for (symbol, interval, candle) in batch {
            validate_candle(symbol, *interval, candle)?;
        }
        let items: Vec<SeriesCandle<'_>> = batch.iter().map(|(s, i, c)| (s, *i, c)).collect();
        Ok(self.closed(&items)?)
    }

    fn put_forming(
        &self,
        symbol: &Symbol,
        interval: Interval,
        candle: &Candle,
    ) -> Result<Put, StoreError> {
        validate_candle(symbol, interval, candle)?;
        let cmd = forming_cmd(&self.inner.keys, &[(symbol, interval, candle)]);
        let reply: Vec<i64> = self.inner.pool.run(|conn| cmd.query(conn))?;
        Ok(put_outcomes("put_forming", 1, &reply)?[0])
    }

    fn last_closed(
        &self,
        symbol: &Symbol,
        interval: Interval,
        n: usize,
    ) -> Result<Vec<Candle>, StoreError> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let key = self.inner.keys.klines(symbol, interval);
        let n = n.min(self.inner.capacities.of(interval));
        let raw: Vec<Vec<u8>> = self.inner.pool.run(|conn| {
            redis::cmd("ZRANGE")
                .arg(&key)
                .arg(from_end(n))
                .arg(-1)
                .query(conn)
        })?;
        Ok(decode_all(&key, &raw, true)?)
    }

    fn last_with_forming(
        &self,
        symbol: &Symbol,
        interval: Interval,
        n: usize,
    ) -> Result<Vec<Candle>, StoreError> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let klines = self.inner.keys.klines(symbol, interval);
        let forming_key = self.inner.keys.forming(symbol, interval);
        let closed = n.min(self.inner.capacities.of(interval));
        // MULTI/EXEC: the forming candle and the history are read at one instant, so a close
        // between two reads cannot show the same candle twice or skip one.
        let (forming, raw): (Option<Vec<u8>>, Vec<Vec<u8>>) = self.inner.pool.run(|conn| {
            redis::pipe()
                .atomic()
                .cmd("GET")
                .arg(&forming_key)
                .cmd("ZRANGE")
                .arg(&klines)
                .arg(from_end(closed))
                .arg(-1)
                .query(conn)
        })?;
        let forming = forming
            .map(|bytes| decode_one(&forming_key, &bytes, false))
            .transpose()?;
        let mut out = decode_all(&klines, &raw, true)?;
        if let Some(forming) = forming.filter(|f| is_forming(f, out.last())) {
            out.drain(..(out.len() + 1).saturating_sub(n));
            out.push(forming);
        }
        Ok(out)
    }

    fn latest_closed(
        &self,
        symbol: &Symbol,
        interval: Interval,
    ) -> Result<Option<Candle>, StoreError> {
        let key = self.inner.keys.last_closed(symbol, interval);
        match self.get(&key)? {
            Some(bytes) => Ok(Some(decode_one(&key, &bytes, true)?)),
            None => Ok(None),
        }
    }

    fn forming(&self, symbol: &Symbol, interval: Interval) -> Result<Option<Candle>, StoreError> {
        let forming_key = self.inner.keys.forming(symbol, interval);
        let last_key = self.inner.keys.last_closed(symbol, interval);
        let (forming, last): (Option<Vec<u8>>, Option<Vec<u8>>) = self.inner.pool.run(|conn| {
            redis::cmd("MGET")
                .arg(&forming_key)
                .arg(&last_key)
                .query(conn)
        })?;
        let Some(forming) = forming else {
            return Ok(None);
        };
        let forming = decode_one(&forming_key, &forming, false)?;
        let last = last
            .map(|bytes| decode_one(&last_key, &bytes, true))
            .transpose()?;
        Ok(is_forming(&forming, last.as_ref()).then_some(forming))
    }

    fn put_ticker(&self, ticker: &Ticker) -> Result<Put, StoreError> {
        let cmd = ticker_cmd(&self.inner.keys, &[ticker]);
        let reply: Vec<i64> = self.inner.pool.run(|conn| cmd.query(conn))?;
        Ok(put_outcomes("put_ticker", 1, &reply)?[0])
    }

    fn ticker(&self, symbol: &Symbol, now_ms: i64) -> Result<Option<Ticker>, StoreError> {
        let key = self.inner.keys.ticker(symbol);
        let Some(bytes) = self.get(&key)? else {
            return Ok(None);
        };
        let ticker = decode_ticker(symbol, &bytes).ok_or(Error::Malformed {
            key,
            what: "ticker",
        })?;
        Ok((now_ms.saturating_sub(ticker.event_time) <= TICKER_MAX_AGE_MS).then_some(ticker))
    }

    fn symbols(&self) -> Result<Vec<Symbol>, StoreError> {
        let key = self.inner.keys.symbols();
        let mut symbols = self
            .members(&key)?
            .iter()
            .map(|name| Symbol::new(name))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| Error::Malformed {
                key,
                what: "symbol name",
            })?;
        symbols.sort_unstable();
        Ok(symbols)
    }

    fn intervals(&self, symbol: &Symbol) -> Result<Vec<Interval>, StoreError> {
        let key = self.inner.keys.intervals(symbol);
        let mut intervals = self
            .members(&key)?
            .iter()
            .map(|name| name.parse::<Interval>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| Error::Malformed {
                key,
                what: "interval name",
            })?;
        intervals.sort_unstable();
        Ok(intervals)
    }

    fn len(&self, symbol: &Symbol, interval: Interval) -> Result<usize, StoreError> {
        let key = self.inner.keys.klines(symbol, interval);
        let stored: usize = self
            .inner
            .pool
            .run(|conn| redis::cmd("ZCARD").arg(&key).query(conn))?;
        Ok(stored.min(self.inner.capacities.of(interval)))
    }
}
