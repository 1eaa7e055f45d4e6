//! The write scripts and the commands that call them, shared by the store and the mirror.
//!
//! Each script takes a whole batch (up to [`CANDLES_PER_CALL`] candles) and applies it
//! atomically with the store's rules, so a close burst of 500 candles is one `EVALSHA` in one
//! round trip.
//!
//! Closed candles are trimmed lazily (see [`closed`]).
//!
//! Scripts are called by SHA; connections load them when they open and again on a
//! `NOSCRIPT` reply (after `SCRIPT FLUSH` or a failover to a fresh server). They touch many keys
//! of many series at once, which a single Redis (and Redis-compatible hosted services such as
//! Upstash) allows and Redis Cluster does not.

use std::collections::HashSet;
use std::sync::LazyLock;

use redis::{Cmd, Pipeline, Script};
use sift_candles::Put;
use sift_core::{Candle, Interval, Symbol, Ticker};

use crate::codec::{encode_candle, encode_ticker};
use crate::{Error, Keys};

mod closed;

pub(crate) use closed::{closed_outcomes, push_closed};

/// Candles (or forming candles, or tickers) per script call. One call runs for about a
/// millisecond per few hundred candles and blocks Redis meanwhile, so a backfill of a million
/// candles is split into calls short enough to keep other clients' latency low; a close burst
/// of 500 symbols fits in one call.
pub(crate) const CANDLES_PER_CALL: usize = 1000;

/// How long Redis keeps a ticker that is not refreshed: the contract's
/// [`TICKER_MAX_AGE_MS`](sift_candles::TICKER_MAX_AGE_MS), measured on Redis's clock.
const TICKER_TTL_MS: i64 = sift_candles::TICKER_MAX_AGE_MS;

const CLOSED_LUA: &str = include_str!("../lua/put_closed.lua");
const FORMING_LUA: &str = include_str!("../lua/put_forming.lua");
const TICKER_LUA: &str = include_str!("../lua/put_ticker.lua");

struct Scripts {
    closed: Script,
    forming: Script,
    ticker: Script,
}

/// The scripts with their SHA-1 computed once.
static SCRIPTS: LazyLock<Scripts> = LazyLock::new(|| Scripts {
    closed: Script::new(CLOSED_LUA),
    forming: Script::new(FORMING_LUA),
    ticker: Script::new(TICKER_LUA),
});

/// A closed or forming candle of one series, borrowed from the caller's batch.
pub(crate) type SeriesCandle<'a> = (&'a Symbol, Interval, &'a Candle);

/// `SCRIPT LOAD` of every script, as one pipeline.
pub(crate) fn load_scripts() -> Pipeline {
    let mut pipe = redis::pipe();
    for source in [CLOSED_LUA, FORMING_LUA, TICKER_LUA] {
        pipe.cmd("SCRIPT").arg("LOAD").arg(source).ignore();
    }
    pipe
}

/// The open time after `open_time`, which is on a boundary of `interval` (validated).
pub(crate) fn next_open(interval: Interval, open_time: i64) -> i64 {
    match interval.fixed_duration_ms() {
        Some(len) => open_time + len,
        None => interval.next_open(open_time),
    }
}

/// Whether every item is of a different series (a close burst, a coalesced flush of forming
/// candles): the scripts then skip their per-series bookkeeping.
fn distinct_series(items: &[SeriesCandle<'_>]) -> bool {
    let mut seen = HashSet::with_capacity(items.len());
    items
        .iter()
        .all(|&(symbol, interval, _)| seen.insert((symbol, interval)))
}

/// One call of the forming-candle script for `items` (at most [`CANDLES_PER_CALL`]); see
/// `lua/put_forming.lua` for the layout.
pub(crate) fn forming_cmd(keys: &Keys, items: &[SeriesCandle<'_>]) -> Cmd {
    let kinds = [Keys::push_last_closed, Keys::push_forming];
    let mut cmd = series_cmd(&SCRIPTS.forming, keys, items, kinds);
    for &(_, _, candle) in items {
        cmd.arg(&encode_candle(candle)[..]);
    }
    cmd
}

/// One call of the ticker script for `tickers` (at most [`CANDLES_PER_CALL`]); see
/// `lua/put_ticker.lua` for the layout.
pub(crate) fn ticker_cmd(keys: &Keys, tickers: &[&Ticker]) -> Cmd {
    let mut cmd = redis::cmd("EVALSHA");
    cmd.arg(SCRIPTS.ticker.get_hash()).arg(tickers.len());
    let mut key = String::with_capacity(keys.prefix().len() + 30);
    for t in tickers {
        key.clear();
        keys.push_ticker(&mut key, &t.symbol);
        cmd.arg(key.as_str());
    }
    cmd.arg(TICKER_TTL_MS);
    for t in tickers {
        cmd.arg(&encode_ticker(t)[..]);
    }
    cmd
}

/// A call of `script`, a script over the series of `items` laid out as `put_closed.lua` and
/// `put_forming.lua` share: the symbols index, every item's key of the first kind, then of the
/// second, then whether the items' series are distinct and the key prefix. The caller adds the
/// rest of the arguments.
fn series_cmd(
    script: &Script,
    keys: &Keys,
    items: &[SeriesCandle<'_>],
    kinds: [fn(&Keys, &mut String, &Symbol, Interval); 2],
) -> Cmd {
    let mut cmd = redis::cmd("EVALSHA");
    cmd.arg(script.get_hash())
        .arg(1 + 2 * items.len())
        .arg(keys.symbols());
    let mut key = String::with_capacity(keys.prefix().len() + 40);
    for push in kinds {
        for &(symbol, interval, _) in items {
            key.clear();
            push(keys, &mut key, symbol, interval);
            cmd.arg(key.as_str());
        }
    }
    cmd.arg(if distinct_series(items) { "1" } else { "0" })
        .arg(keys.prefix());
    cmd
}

/// The outcomes of a forming or ticker call of `n` items.
pub(crate) fn put_outcomes(
    script: &'static str,
    n: usize,
    reply: &[i64],
) -> Result<Vec<Put>, Error> {
    if reply.len() != n {
        return Err(Error::UnexpectedReply { script });
    }
    reply
        .iter()
        .map(|code| match code {
            1 => Ok(Put::Stored),
            0 => Ok(Put::Stale),
            _ => Err(Error::UnexpectedReply { script }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use sift_candles::Capacities;

    use super::*;

    const T0: i64 = 1_735_689_600_000;

    /// Batches that name a series several times apply in order (the scripts' path for batches
    /// that are not distinct), and the first candle of a series indexes it.
    #[test]
    fn forming_and_ticker_batches_apply_in_order_per_series() {
        let redis = sift_test_support::redis::TestRedis::new();
        let keys = Keys::new(redis.prefix());
        let mut conn = redis.connection();
        load_scripts().query::<()>(&mut conn).unwrap();
        let (btc, eth) = (
            Symbol::new("BTCUSDT").unwrap(),
            Symbol::new("ETHUSDT").unwrap(),
        );
        let min = 60_000;
        let at = |k: i64| Candle {
            closed: false,
            ..Candle::ohlcv(T0 + k * min, 1.0, 2.0, 0.5, 1.5, 10.0)
        };
        let closed = Candle {
            closed: true,
            close_time: T0 + min - 1,
            ..at(0)
        };
        let mut pipe = redis::pipe();
        push_closed(
            &mut pipe,
            &keys,
            &Capacities::default(),
            &[(&btc, Interval::M1, &closed)],
        );
        pipe.query::<()>(&mut conn).unwrap();
        let (one, two) = (at(1), at(2));
        let items = [
            (&btc, Interval::M1, &one),
            (&btc, Interval::M1, &two),
            (&btc, Interval::M1, &closed),
            (&eth, Interval::M5, &one),
            (&btc, Interval::M1, &one),
        ];
        let reply: Vec<i64> = forming_cmd(&keys, &items).query(&mut conn).unwrap();
        assert_eq!(
            put_outcomes("put_forming", items.len(), &reply).unwrap(),
            [
                Put::Stored,
                Put::Stored,
                Put::Stale,
                Put::Stored,
                Put::Stale
            ]
        );
        let stored: Vec<u8> = redis::cmd("GET")
            .arg(keys.forming(&btc, Interval::M1))
            .query(&mut conn)
            .unwrap();
        assert_eq!(stored, encode_candle(&two));
        let intervals: Vec<String> = redis::cmd("SMEMBERS")
            .arg(keys.intervals(&eth))
            .query(&mut conn)
            .unwrap();
        assert_eq!(intervals, ["5m"]);
        let ticker = |symbol: &Symbol, event_time: i64| Ticker {
            symbol: symbol.clone(),
            event_time,
            last_price: 1.0,
            open_price: 1.0,
            high_price: 1.0,
            low_price: 1.0,
            volume: 1.0,
            quote_volume: 1.0,
        };
        let (late, early, other) = (ticker(&btc, T0 + 2), ticker(&btc, T0 + 1), ticker(&eth, T0));
        let reply: Vec<i64> = ticker_cmd(&keys, &[&late, &early, &other])
            .query(&mut conn)
            .unwrap();
        assert_eq!(
            put_outcomes("put_ticker", 3, &reply).unwrap(),
            [Put::Stored, Put::Stale, Put::Stored]
        );
        assert!(put_outcomes("put_ticker", 2, &[1]).is_err());
        assert!(put_outcomes("put_ticker", 1, &[7]).is_err());
        let (stored, ttl): (Vec<u8>, i64) = redis::pipe()
            .cmd("GET")
            .arg(keys.ticker(&btc))
            .cmd("PTTL")
            .arg(keys.ticker(&btc))
            .query(&mut conn)
            .unwrap();
        assert_eq!(stored, encode_ticker(&late));
        assert!(ttl > 0 && ttl <= TICKER_TTL_MS, "{ttl}");
    }
}
