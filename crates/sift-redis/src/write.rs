//! The write scripts and the commands that call them, shared by the store and the mirror.
//!
//! Each script takes a whole batch (up to [`CANDLES_PER_CALL`] candles) and applies it
//! atomically with the store's rules, so a close burst of 500 candles is one `EVALSHA` in one
//! round trip.
//!
//! Closed candles are trimmed lazily: an append trims its series back to the capacity N only
//! when [`trims`] says so (one open time in [`TRIM_EVERY`], staggered across series so that a
//! burst trims about 1/16 of its series) or after a gap, so `klines:*` holds at most
//! N + [`TRIM_EVERY`] - 1 candles and the store's readers return the newest N. Trimming at
//! every append cost a second command per candle (about 1 µs of Redis time each, some 10-15%
//! of a burst).
//!
//! Scripts are called by SHA; connections load them when they open and again on a
//! `NOSCRIPT` reply (after `SCRIPT FLUSH` or a failover to a fresh server). They touch many keys
//! of many series at once, which a single Redis (and Redis-compatible hosted services such as
//! Upstash) allows and Redis Cluster does not.

use std::collections::HashSet;
use std::sync::LazyLock;

use redis::{Cmd, Pipeline, Script};
use sift_candles::{Capacities, ClosedPut, Gap, Put};
use sift_core::{Candle, Interval, Symbol, Ticker};

use crate::codec::{encode_candle, encode_ticker};
use crate::{Error, Keys};

/// Candles (or forming candles, or tickers) per script call. One call runs for about a
/// millisecond per few hundred candles and blocks Redis meanwhile, so a backfill of a million
/// candles is split into calls short enough to keep other clients' latency low; a close burst
/// of 500 symbols fits in one call.
pub(crate) const CANDLES_PER_CALL: usize = 1000;

/// How long Redis keeps a ticker that is not refreshed: the contract's
/// [`TICKER_MAX_AGE_MS`](sift_candles::TICKER_MAX_AGE_MS), measured on Redis's clock.
const TICKER_TTL_MS: i64 = sift_candles::TICKER_MAX_AGE_MS;

const CLOSED_LUA: &str = include_str!("lua/put_closed.lua");
const FORMING_LUA: &str = include_str!("lua/put_forming.lua");
const TICKER_LUA: &str = include_str!("lua/put_ticker.lua");

struct Scripts {
    closed: Script,
    forming: Script,
    ticker: Script,
}

/// An append trims its series when its period index plus the series' hash is a multiple of
/// this: a sorted set overshoots its capacity by at most `TRIM_EVERY - 1` candles.
pub(crate) const TRIM_EVERY: i64 = 16;

/// The largest capacity passed to the script: Lua formats the trim rank with 14 significant
/// digits, and no series holds anywhere near this many candles.
const MAX_KEEP: i64 = 1_000_000_000_000;

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

/// Adds calls of the closed-candle script for `items` (in order, [`CANDLES_PER_CALL`] per call)
/// to `pipe`; returns how many calls were added.
pub(crate) fn push_closed(
    pipe: &mut Pipeline,
    keys: &Keys,
    caps: &Capacities,
    items: &[SeriesCandle<'_>],
) -> usize {
    let mut calls = 0;
    for chunk in items.chunks(CANDLES_PER_CALL) {
        pipe.add_command(closed_cmd(keys, caps, chunk));
        calls += 1;
    }
    calls
}

/// Whether appending the candle opening at `open_time` trims its series: for one open time in
/// [`TRIM_EVERY`] of each series, the phase set by a hash of the series so that the series of
/// one close burst do not all trim in the same burst.
pub(crate) fn trims(symbol: &Symbol, interval: Interval, open_time: i64) -> bool {
    // FNV-1a: stable across processes and versions, unlike the std hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in symbol
        .as_str()
        .bytes()
        .chain([b':'])
        .chain(interval.as_str().bytes())
    {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    let phase = i64::try_from(hash % TRIM_EVERY.unsigned_abs()).unwrap_or_default();
    (interval.periods_between(0, open_time) + phase).rem_euclid(TRIM_EVERY) == 0
}

/// Whether every item is of a different series (a close burst, a coalesced flush of forming
/// candles): the scripts then skip their per-series bookkeeping.
fn distinct_series(items: &[SeriesCandle<'_>]) -> bool {
    let mut seen = HashSet::with_capacity(items.len());
    items
        .iter()
        .all(|&(symbol, interval, _)| seen.insert((symbol, interval)))
}

/// One call of the closed-candle script; see `lua/put_closed.lua` for the layout.
fn closed_cmd(keys: &Keys, caps: &Capacities, items: &[SeriesCandle<'_>]) -> Cmd {
    let mut cmd = redis::cmd("EVALSHA");
    cmd.arg(SCRIPTS.closed.get_hash())
        .arg(1 + 2 * items.len())
        .arg(keys.symbols());
    push_series_keys(
        &mut cmd,
        keys,
        items,
        [Keys::push_last_closed, Keys::push_klines],
    );
    let mut meta = Vec::with_capacity(16 * items.len());
    for &(symbol, interval, candle) in items {
        let keep = i64::try_from(caps.of(interval)).map_or(MAX_KEEP, |c| c.min(MAX_KEEP));
        let keep = if trims(symbol, interval, candle.open_time) {
            -keep
        } else {
            keep
        };
        meta.extend_from_slice(&next_open(interval, candle.open_time).to_le_bytes());
        meta.extend_from_slice(&keep.to_le_bytes());
    }
    cmd.arg(if distinct_series(items) { "1" } else { "0" })
        .arg(keys.prefix())
        .arg(meta);
    for &(_, _, candle) in items {
        cmd.arg(candle.close_time).arg(&encode_candle(candle)[..]);
    }
    cmd
}

/// The outcomes of `items` from the replies of the calls [`push_closed`] added for them.
pub(crate) fn closed_outcomes(
    items: &[SeriesCandle<'_>],
    replies: &[Vec<i64>],
) -> Result<Vec<ClosedPut>, Error> {
    let bad = || Error::UnexpectedReply {
        script: "put_closed",
    };
    let chunks = items.chunks(CANDLES_PER_CALL);
    if chunks.len() != replies.len() {
        return Err(bad());
    }
    let mut out = Vec::with_capacity(items.len());
    for (chunk, reply) in chunks.zip(replies) {
        if reply.len() != 2 * chunk.len() {
            return Err(bad());
        }
        for (&(_, interval, candle), pair) in chunk.iter().zip(reply.chunks_exact(2)) {
            out.push(match pair[0] {
                1 => ClosedPut::Appended,
                2 => appended_after(interval, pair[1], candle.open_time),
                3 => ClosedPut::Duplicate,
                4 => ClosedPut::Stale,
                _ => return Err(bad()),
            });
        }
    }
    Ok(out)
}

/// The outcome of appending the candle opening at `t` after the one opening at `prev`, as the
/// in-process store computes it.
fn appended_after(interval: Interval, prev: i64, t: i64) -> ClosedPut {
    let expected = next_open(interval, prev);
    if t == expected {
        ClosedPut::Appended
    } else {
        ClosedPut::AppendedAfterGap(Gap {
            from: expected,
            to: t,
            missing: interval.periods_between(prev, t) - 1,
        })
    }
}

/// One call of the forming-candle script for `items` (at most [`CANDLES_PER_CALL`]); see
/// `lua/put_forming.lua` for the layout.
pub(crate) fn forming_cmd(keys: &Keys, items: &[SeriesCandle<'_>]) -> Cmd {
    let mut cmd = redis::cmd("EVALSHA");
    cmd.arg(SCRIPTS.forming.get_hash())
        .arg(1 + 2 * items.len())
        .arg(keys.symbols());
    push_series_keys(
        &mut cmd,
        keys,
        items,
        [Keys::push_last_closed, Keys::push_forming],
    );
    cmd.arg(if distinct_series(items) { "1" } else { "0" })
        .arg(keys.prefix());
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

/// Adds the keys of `items` to `cmd`: every item's first kind of key, then every item's second.
fn push_series_keys(
    cmd: &mut Cmd,
    keys: &Keys,
    items: &[SeriesCandle<'_>],
    kinds: [fn(&Keys, &mut String, &Symbol, Interval); 2],
) {
    let mut key = String::with_capacity(keys.prefix().len() + 40);
    for push in kinds {
        for &(symbol, interval, _) in items {
            key.clear();
            push(keys, &mut key, symbol, interval);
            cmd.arg(key.as_str());
        }
    }
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
    use super::*;

    const T0: i64 = 1_735_689_600_000;

    #[test]
    fn gaps_are_computed_on_the_calendar() {
        let min = 60_000;
        assert_eq!(
            appended_after(Interval::M1, T0, T0 + min),
            ClosedPut::Appended
        );
        assert_eq!(
            appended_after(Interval::M1, T0, T0 + 4 * min),
            ClosedPut::AppendedAfterGap(Gap {
                from: T0 + min,
                to: T0 + 4 * min,
                missing: 3
            })
        );
        let feb = Interval::Month1.next_open(T0);
        let mar = Interval::Month1.next_open(feb);
        assert_eq!(
            appended_after(Interval::Month1, T0, feb),
            ClosedPut::Appended
        );
        assert_eq!(
            appended_after(Interval::Month1, T0, mar)
                .gap()
                .map(|g| g.missing),
            Some(1)
        );
    }

    #[test]
    fn trims_are_periodic_per_series_and_staggered_across_series() {
        let min = 60_000;
        let btc = Symbol::new("BTCUSDT").unwrap();
        for start in [T0, T0 + 7 * min] {
            let trims = (0..TRIM_EVERY)
                .filter(|k| trims(&btc, Interval::M1, start + k * min))
                .count();
            assert_eq!(trims, 1);
        }
        let months = (0..TRIM_EVERY)
            .scan(T0, |t, _| {
                let open = *t;
                *t = Interval::Month1.next_open(open);
                Some(open)
            })
            .filter(|&t| trims(&btc, Interval::Month1, t))
            .count();
        assert_eq!(months, 1);
        let symbols: Vec<Symbol> = (0..500)
            .map(|k| Symbol::new(&format!("S{k:03}USDT")).unwrap())
            .collect();
        let in_one_burst = symbols
            .iter()
            .filter(|s| trims(s, Interval::M1, T0))
            .count();
        assert!((10..=60).contains(&in_one_burst), "{in_one_burst}");
    }

    #[test]
    fn bursts_are_split_into_calls_and_replies_checked() {
        let btc = Symbol::new("BTCUSDT").unwrap();
        let candle = Candle::ohlcv(T0, 1.0, 1.0, 1.0, 1.0, 1.0);
        let items: Vec<SeriesCandle<'_>> = (0..CANDLES_PER_CALL + 1)
            .map(|_| (&btc, Interval::M1, &candle))
            .collect();
        let mut pipe = redis::pipe();
        let calls = push_closed(&mut pipe, &Keys::default(), &Capacities::default(), &items);
        assert_eq!(calls, 2);
        let full = vec![3; 2 * CANDLES_PER_CALL];
        assert!(closed_outcomes(&items, &[full.clone(), vec![4, 0]]).is_ok());
        assert!(closed_outcomes(&items, std::slice::from_ref(&full)).is_err());
        assert!(closed_outcomes(&items, &[full, vec![9, 0]]).is_err());
        assert_eq!(
            put_outcomes("t", 2, &[1, 0]).unwrap(),
            [Put::Stored, Put::Stale]
        );
        assert!(put_outcomes("t", 2, &[1]).is_err());
    }

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
