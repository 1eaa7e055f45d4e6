//! The closed-candle script's calls and replies.
//!
//! Closed candles are trimmed lazily: an append trims its series back to the capacity N only
//! when [`trims`] says so (one open time in [`TRIM_EVERY`], staggered across series so that a
//! burst trims about 1/16 of its series) or after a gap, so `klines:*` holds at most
//! N + [`TRIM_EVERY`] - 1 candles and the store's readers return the newest N. Trimming at
//! every append cost a second command per candle (about 1 µs of Redis time each, some 10-15%
//! of a burst).

use redis::{Cmd, Pipeline};
use sift_candles::{Capacities, ClosedPut, Gap};
use sift_core::{Interval, Symbol};

use super::{CANDLES_PER_CALL, SCRIPTS, SeriesCandle, next_open, series_cmd};
use crate::codec::encode_candle;
use crate::{Error, Keys};

/// An append trims its series when its period index plus the series' hash is a multiple of
/// this: a sorted set overshoots its capacity by at most `TRIM_EVERY - 1` candles.
pub(crate) const TRIM_EVERY: i64 = 16;

/// The largest capacity passed to the script: Lua formats the trim rank with 14 significant
/// digits, and no series holds anywhere near this many candles.
const MAX_KEEP: i64 = 1_000_000_000_000;

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

/// One call of the closed-candle script; see `lua/put_closed.lua` for the layout.
fn closed_cmd(keys: &Keys, caps: &Capacities, items: &[SeriesCandle<'_>]) -> Cmd {
    let kinds = [Keys::push_last_closed, Keys::push_klines];
    let mut cmd = series_cmd(&SCRIPTS.closed, keys, items, kinds);
    let mut meta = Vec::with_capacity(24 * items.len());
    for &(symbol, interval, candle) in items {
        let keep = i64::try_from(caps.of(interval)).map_or(MAX_KEEP, |c| c.min(MAX_KEEP));
        let keep = if trims(symbol, interval, candle.open_time) {
            -keep
        } else {
            keep
        };
        meta.extend_from_slice(&candle.open_time.to_le_bytes());
        meta.extend_from_slice(&next_open(interval, candle.open_time).to_le_bytes());
        meta.extend_from_slice(&keep.to_le_bytes());
    }
    cmd.arg(meta);
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

#[cfg(test)]
mod tests {
    use sift_core::Candle;

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
    }
}
