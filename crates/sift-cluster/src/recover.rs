//! The fallback tick's recovery of lost closes: closes the leader published (`sift:published`)
//! that no worker committed for a shard (`shard_closes` in PostgreSQL, written in each commit's
//! transaction) are rebuilt from the candles in Redis and appended to the shard's stream
//! again.
//!
//! A close is lost when Redis dropped its stream entry before a worker committed it: Redis
//! restarted without persistence, the stream was trimmed past unread entries while the
//! workers were down, or the key was deleted. Redis cannot say what it lost; PostgreSQL can.
//! Per interval the expected closes are every open time from the oldest one any shard
//! committed inside the window up to the newest published one whose close is older than the
//! grace; a shard's lost closes are those it did not commit. Rebuilt entries are marked late
//! and go through the normal path (evaluated on a scratch engine when the worker's engine is
//! already past them); the unique key on signals keeps a close evaluated twice from storing a
//! signal twice.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use redis::aio::ConnectionLike;
use sift_candles::CandleStore;
use sift_core::{Candle, Interval, Symbol};
use sift_redis::RedisCandleStore;
use sift_store::Store;

use crate::consumer;
use crate::entry::{CloseEntry, EntryBurst, shard_of};
use crate::keys::ClusterKeys;

/// How far back the tick looks: this long, and at least [`WINDOW_CLOSES`] closes of the
/// interval, capped at half of [`RETAIN_MS`] so a pruned record never looks lost.
pub const WINDOW_MS: i64 = 3 * 60 * 60 * 1000;
/// Closes of each interval the window covers at least.
pub const WINDOW_CLOSES: i64 = 3;
/// Shard records older than this (by commit time) are pruned.
pub const RETAIN_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// Most closes of one shard and interval recovered per tick (the rest on the next ones).
pub const MAX_PER_TICK: usize = 500;

/// The lost open times of each interval, per shard.
pub type Lost = BTreeMap<u32, BTreeMap<Interval, Vec<i64>>>;

/// What a worker's fallback tick needs to recover lost closes.
#[derive(Debug, Clone)]
pub struct Recovery {
    pub store: Arc<dyn Store>,
    pub candles: RedisCandleStore,
    /// Closed candles read per series (the engine's history).
    pub history: usize,
    pub keys: ClusterKeys,
    pub shards: u32,
    /// Closes newer than this may still be on their way through the stream.
    pub grace: Duration,
}

impl Recovery {
    /// Finds the closes of the `owned` shards published but never committed and appends them
    /// to their streams again, skipping a shard while its stream still holds undelivered or
    /// pending entries; how many entries were appended.
    ///
    /// # Errors
    /// A Redis or store failure.
    pub async fn run(
        &self,
        conn: &mut impl ConnectionLike,
        owned: &BTreeSet<u32>,
    ) -> anyhow::Result<usize> {
        let published = crate::publish::published(conn, &self.keys).await?;
        if published.is_empty() {
            return Ok(0);
        }
        let grace = i64::try_from(self.grace.as_millis()).unwrap_or(i64::MAX);
        let settled = now_ms().saturating_sub(grace);
        let lost = find_lost(self.store.as_ref(), &published, owned, settled).await?;
        if lost.is_empty() {
            return Ok(0);
        }
        let candles = self.candles.clone();
        let symbols = tokio::task::spawn_blocking(move || candles.symbols())
            .await
            .context("the symbol read panicked")?
            .context("reading the symbols from redis")?;
        let mut enqueued = 0;
        for (shard, closes) in lost {
            let stream = self.keys.closes(shard);
            if consumer::undelivered(conn, &stream).await? {
                continue;
            }
            let entries = rebuild(
                &self.candles,
                self.history,
                shard,
                self.shards,
                &symbols,
                &closes,
            )
            .await?;
            if entries.is_empty() {
                continue;
            }
            tracing::warn!(shard, entries = entries.len(), "lost closes enqueued again");
            enqueue(conn, &stream, &entries).await?;
            enqueued += entries.len();
        }
        Ok(enqueued)
    }
}

/// The wall clock, epoch ms.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// How far back the tick looks for `interval`, in milliseconds.
pub fn window_ms(interval: Interval) -> i64 {
    (WINDOW_CLOSES * interval.nominal_duration_ms()).clamp(WINDOW_MS, RETAIN_MS / 2)
}

/// The open times from `floor` to `published` (both included) whose close is at or before
/// `settled` and that are not in `committed`, oldest first, at most [`MAX_PER_TICK`].
pub fn lost_closes(
    interval: Interval,
    floor: i64,
    published: i64,
    settled: i64,
    committed: &BTreeSet<i64>,
) -> Vec<i64> {
    let mut lost = Vec::new();
    let mut t = interval.open_time(floor);
    while t <= published && interval.close_time(t) <= settled && lost.len() < MAX_PER_TICK {
        if !committed.contains(&t) {
            lost.push(t);
        }
        t = interval.next_open(t);
    }
    lost
}

/// The closes of `shards` that were published but not committed: per interval of `published`,
/// from the oldest close any shard committed in the window. `settled` is the newest close
/// time old enough to have been committed (now minus a grace).
///
/// # Errors
/// A store failure.
pub async fn find_lost(
    store: &dyn Store,
    published: &BTreeMap<Interval, i64>,
    shards: &BTreeSet<u32>,
    settled: i64,
) -> anyhow::Result<Lost> {
    let mut out = Lost::new();
    for (&interval, &newest) in published {
        let since = newest - window_ms(interval);
        let rows = store
            .shard_closes(interval, since)
            .await
            .context("reading the shards' committed closes")?;
        // Before the oldest record nothing is known (a fresh database, pruned rows).
        let Some(floor) = rows.iter().map(|r| r.open_time).min() else {
            continue;
        };
        for &shard in shards {
            let committed: BTreeSet<i64> = rows
                .iter()
                .filter(|r| r.shard == shard)
                .map(|r| r.open_time)
                .collect();
            let lost = lost_closes(interval, floor, newest, settled, &committed);
            if !lost.is_empty() {
                out.entry(shard).or_default().insert(interval, lost);
            }
        }
    }
    Ok(out)
}

/// Rebuilds the entries of `lost` closes of `shard` from the candles Redis holds for the
/// shard's `symbols`, one per close instant, oldest first. Closes Redis no longer holds (or
/// holds for none of the symbols yet, while the mirror repairs) are left out.
///
/// # Errors
/// A Redis read failure.
pub async fn rebuild(
    candles: &RedisCandleStore,
    history: usize,
    shard: u32,
    shards: u32,
    symbols: &[Symbol],
    lost: &BTreeMap<Interval, Vec<i64>>,
) -> anyhow::Result<Vec<CloseEntry>> {
    let mine: Vec<Symbol> = symbols
        .iter()
        .filter(|s| shard_of(s, shards) == shard)
        .cloned()
        .collect();
    // close time -> interval -> candles
    let mut instants: BTreeMap<i64, BTreeMap<Interval, Vec<(Symbol, Candle)>>> = BTreeMap::new();
    for (&interval, opens) in lost {
        let Some(&oldest) = opens.first() else {
            continue;
        };
        let wanted: BTreeSet<i64> = opens.iter().copied().collect();
        for symbol in &mine {
            let (store, symbol2) = (candles.clone(), symbol.clone());
            let series =
                tokio::task::spawn_blocking(move || store.last_closed(&symbol2, interval, history))
                    .await
                    .context("the candle read panicked")?
                    .with_context(|| format!("reading {symbol} {interval} from redis"))?;
            for candle in series
                .into_iter()
                .filter(|c| c.open_time >= oldest && wanted.contains(&c.open_time))
            {
                instants
                    .entry(candle.close_time)
                    .or_default()
                    .entry(interval)
                    .or_default()
                    .push((symbol.clone(), candle));
            }
        }
    }
    Ok(instants
        .into_iter()
        .map(|(close_time, bursts)| CloseEntry {
            close_time,
            bursts: bursts
                .into_iter()
                .map(|(interval, candles)| EntryBurst {
                    interval,
                    open_time: candles.first().map_or(0, |(_, c)| c.open_time),
                    late: true,
                    candles,
                })
                .collect(),
        })
        .collect())
}

/// Appends rebuilt entries to a shard's stream, in order.
///
/// # Errors
/// A Redis failure (entries before it were appended).
pub async fn enqueue(
    conn: &mut impl ConnectionLike,
    stream: &str,
    entries: &[CloseEntry],
) -> redis::RedisResult<()> {
    for entry in entries {
        let json = entry.to_json()?;
        redis::cmd("XADD")
            .arg(stream)
            .arg("*")
            .arg("e")
            .arg(json)
            .query_async::<String>(conn)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    #[test]
    fn holes_and_the_tail_are_lost_not_what_is_in_flight() {
        let committed: BTreeSet<i64> = [0, MINUTE, 4 * MINUTE].into_iter().collect();
        // Published up to 6; closes after 5 are still in flight (not settled).
        let settled = Interval::M1.close_time(5 * MINUTE);
        let lost = lost_closes(Interval::M1, 0, 6 * MINUTE, settled, &committed);
        assert_eq!(lost, vec![2 * MINUTE, 3 * MINUTE, 5 * MINUTE]);
        // Nothing before the floor.
        let lost = lost_closes(Interval::M1, 4 * MINUTE, 4 * MINUTE, settled, &committed);
        assert!(lost.is_empty());
    }

    #[test]
    fn the_window_covers_a_few_closes_and_stays_inside_retention() {
        assert_eq!(window_ms(Interval::M1), WINDOW_MS);
        assert_eq!(window_ms(Interval::H4), 3 * 4 * 60 * MINUTE);
        assert_eq!(window_ms(Interval::Month1), RETAIN_MS / 2);
    }
}
