//! The workers' side of the close streams: the consumer group, reads, claims and acks.

use std::collections::HashMap;
use std::time::Duration;

use redis::aio::ConnectionLike;

use crate::conn::ms;
use crate::entry::CloseEntry;
use crate::keys::GROUP;

/// One entry delivered to this consumer.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub shard: u32,
    pub stream: String,
    /// The stream entry id (`ms-seq`).
    pub id: String,
    /// The entry, or why it could not be read (a malformed entry is acked and skipped).
    pub entry: Result<CloseEntry, String>,
}

type Fields = Option<HashMap<String, String>>;
/// `XREADGROUP`'s reply: per stream, its entries.
type ReadReply = Option<Vec<(String, Vec<(String, Fields)>)>>;

fn decode(shard: u32, stream: &str, id: String, fields: Fields) -> Delivery {
    let entry = match fields.as_ref().and_then(|f| f.get("e")) {
        Some(json) => serde_json::from_str(json).map_err(|err| err.to_string()),
        None => Err("entry without field e".to_owned()),
    };
    Delivery {
        shard,
        stream: stream.to_owned(),
        id,
        entry,
    }
}

/// Creates the group on `stream` (and the stream) unless it exists. New groups start at the
/// beginning of the stream, so nothing published before the first worker is lost.
///
/// # Errors
/// A Redis failure other than "the group exists".
pub async fn ensure_group(conn: &mut impl ConnectionLike, stream: &str) -> redis::RedisResult<()> {
    let created: redis::RedisResult<()> = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(stream)
        .arg(GROUP)
        .arg("0")
        .arg("MKSTREAM")
        .query_async(conn)
        .await;
    match created {
        Err(err) if err.code() == Some("BUSYGROUP") => Ok(()),
        other => other,
    }
}

/// Whether `err` says the group (or its stream) is gone: Redis lost its data.
pub fn is_no_group(err: &redis::RedisError) -> bool {
    err.code() == Some("NOGROUP")
}

/// As [`read`], then, when the entries came from some of `streams` only, once more without
/// waiting, and both together. Redis before 7.2 wakes a reader blocked on several streams
/// with the entries of the first stream written only, while the leader appends a close
/// instant to every shard's stream at once: the second read brings the rest of the instant,
/// so the worker evaluates and commits it in one go ([`instants`]).
///
/// # Errors
/// A Redis failure ([`is_no_group`] when a group must be created again).
pub async fn read_instant(
    conn: &mut impl ConnectionLike,
    consumer: &str,
    streams: &[(u32, String)],
    count: usize,
    block: Duration,
) -> redis::RedisResult<Vec<Delivery>> {
    let mut out = read(conn, consumer, streams, count, block).await?;
    let mut seen: Vec<u32> = out.iter().map(|d| d.shard).collect();
    seen.sort_unstable();
    seen.dedup();
    if !out.is_empty() && seen.len() < streams.len() {
        out.extend(read(conn, consumer, streams, count, Duration::ZERO).await?);
    }
    Ok(out)
}

/// Reads new entries of `streams` (shard, key) for `consumer`, waiting up to `block` (not at
/// all when zero).
///
/// # Errors
/// A Redis failure ([`is_no_group`] when a group must be created again).
pub async fn read(
    conn: &mut impl ConnectionLike,
    consumer: &str,
    streams: &[(u32, String)],
    count: usize,
    block: Duration,
) -> redis::RedisResult<Vec<Delivery>> {
    if streams.is_empty() {
        return Ok(Vec::new());
    }
    let mut cmd = redis::cmd("XREADGROUP");
    cmd.arg("GROUP")
        .arg(GROUP)
        .arg(consumer)
        .arg("COUNT")
        .arg(count.max(1));
    if !block.is_zero() {
        cmd.arg("BLOCK").arg(ms(block).max(1));
    }
    cmd.arg("STREAMS");
    for (_, key) in streams {
        cmd.arg(key);
    }
    for _ in streams {
        cmd.arg(">");
    }
    let reply: ReadReply = cmd.query_async(conn).await?;
    let mut out = Vec::new();
    for (key, entries) in reply.unwrap_or_default() {
        let shard = streams
            .iter()
            .find(|(_, k)| *k == key)
            .map_or(0, |(s, _)| *s);
        out.extend(
            entries
                .into_iter()
                .map(|(id, fields)| decode(shard, &key, id, fields)),
        );
    }
    Ok(out)
}

/// Claims every pending entry of `stream` idle at least `min_idle` for `consumer`, oldest
/// first (`XAUTOCLAIM`, paged).
///
/// # Errors
/// A Redis failure.
pub async fn claim(
    conn: &mut impl ConnectionLike,
    shard: u32,
    stream: &str,
    consumer: &str,
    min_idle: Duration,
) -> redis::RedisResult<Vec<Delivery>> {
    let mut cursor = "0-0".to_owned();
    let mut out = Vec::new();
    loop {
        let reply: (String, Vec<(String, Fields)>, redis::Value) = redis::cmd("XAUTOCLAIM")
            .arg(stream)
            .arg(GROUP)
            .arg(consumer)
            .arg(ms(min_idle))
            .arg(&cursor)
            .arg("COUNT")
            .arg(100)
            .query_async(conn)
            .await?;
        let (next, entries, _deleted) = reply;
        out.extend(
            entries
                .into_iter()
                .map(|(id, fields)| decode(shard, stream, id, fields)),
        );
        if next == "0-0" {
            break;
        }
        cursor = next;
    }
    out.sort_by_key(|d| stream_id(&d.id));
    Ok(out)
}

/// Splits deliveries into the groups a worker processes together: the entries of one close
/// instant across shards, at most one per shard, with the same bursts (intervals and open
/// times), so one evaluation, one commit and one publication serve them all. Each shard's
/// entries keep their delivery order; groups come oldest instant first. A malformed entry is
/// a group of its own.
pub fn instants(deliveries: Vec<Delivery>) -> Vec<Vec<Delivery>> {
    let mut queues: Vec<std::collections::VecDeque<Delivery>> = Vec::new();
    for delivery in deliveries {
        match queues
            .iter_mut()
            .find(|q| q.front().is_some_and(|d| d.shard == delivery.shard))
        {
            Some(queue) => queue.push_back(delivery),
            None => queues.push(std::collections::VecDeque::from([delivery])),
        }
    }
    let mut groups = Vec::new();
    loop {
        queues.retain(|q| !q.is_empty());
        let heads: Vec<&Delivery> = queues.iter().filter_map(|q| q.front()).collect();
        if heads.is_empty() {
            return groups;
        }
        // A malformed head goes first, alone; otherwise the oldest instant's heads alike.
        let first = heads
            .iter()
            .position(|d| d.entry.is_err())
            .or_else(|| {
                heads
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, d)| d.entry.as_ref().map_or(i64::MIN, |e| e.close_time))
                    .map(|(i, _)| i)
            })
            .unwrap_or(0);
        let key = heads.get(first).and_then(|d| signature(d));
        let take: Vec<bool> = heads
            .iter()
            .enumerate()
            .map(|(i, d)| i == first || (key.is_some() && signature(d) == key))
            .collect();
        groups.push(
            queues
                .iter_mut()
                .zip(take)
                .filter(|(_, take)| *take)
                .filter_map(|(q, _)| q.pop_front())
                .collect(),
        );
    }
}

/// What must match for entries to be processed together: the instant and its bursts.
fn signature(delivery: &Delivery) -> Option<(i64, Vec<(sift_core::Interval, i64)>)> {
    let entry = delivery.entry.as_ref().ok()?;
    let bursts = entry
        .bursts
        .iter()
        .map(|b| (b.interval, b.open_time))
        .collect();
    Some((entry.close_time, bursts))
}

/// Acknowledges deliveries of any streams in one round trip (one `XACK` per stream).
///
/// # Errors
/// A Redis failure (the entries stay pending and are delivered again).
pub async fn ack_all(
    conn: &mut impl ConnectionLike,
    deliveries: &[Delivery],
) -> redis::RedisResult<()> {
    let mut by_stream: Vec<(&str, Vec<&str>)> = Vec::new();
    for d in deliveries {
        match by_stream.iter_mut().find(|(s, _)| *s == d.stream) {
            Some((_, ids)) => ids.push(&d.id),
            None => by_stream.push((&d.stream, vec![&d.id])),
        }
    }
    if by_stream.is_empty() {
        return Ok(());
    }
    let mut pipe = redis::pipe();
    for (stream, ids) in by_stream {
        pipe.cmd("XACK").arg(stream).arg(GROUP).arg(ids).ignore();
    }
    pipe.query_async(conn).await
}

/// Entries delivered and not acknowledged on `stream`, and how many entries the group has
/// not been delivered yet (`lag`; Redis 7), for `/health`.
///
/// # Errors
/// A Redis failure.
pub async fn backlog(
    conn: &mut impl ConnectionLike,
    stream: &str,
) -> redis::RedisResult<(u64, Option<u64>)> {
    let groups: Vec<HashMap<String, redis::Value>> = redis::cmd("XINFO")
        .arg("GROUPS")
        .arg(stream)
        .query_async(conn)
        .await?;
    for group in groups {
        let name = group
            .get("name")
            .and_then(|v| redis::from_redis_value::<String>(v).ok());
        if name.as_deref() == Some(GROUP) {
            let pending = group
                .get("pending")
                .and_then(|v| redis::from_redis_value::<u64>(v).ok())
                .unwrap_or(0);
            let lag = group
                .get("lag")
                .and_then(|v| redis::from_redis_value::<u64>(v).ok());
            return Ok((pending, lag));
        }
    }
    Ok((0, None))
}

/// Whether `stream` holds entries the group has not finished with: pending ones, or ones
/// after its last delivered id (also when the group is missing and the stream is not empty,
/// since a new group reads from the start). Unlike `lag`, this stays exact after trims and
/// deletions.
///
/// # Errors
/// A Redis failure.
pub async fn undelivered(conn: &mut impl ConnectionLike, stream: &str) -> redis::RedisResult<bool> {
    let newest: Vec<(String, redis::Value)> = redis::cmd("XREVRANGE")
        .arg(stream)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(conn)
        .await?;
    let Some((newest, _)) = newest.into_iter().next() else {
        // Empty or missing: nothing to deliver; pending entries whose data is gone are lost.
        return Ok(false);
    };
    let groups: redis::RedisResult<Vec<HashMap<String, redis::Value>>> = redis::cmd("XINFO")
        .arg("GROUPS")
        .arg(stream)
        .query_async(conn)
        .await;
    for group in groups? {
        let field = |name: &str| group.get(name).cloned().unwrap_or(redis::Value::Nil);
        if redis::from_redis_value::<String>(&field("name"))
            .ok()
            .as_deref()
            != Some(GROUP)
        {
            continue;
        }
        let pending = redis::from_redis_value::<u64>(&field("pending")).unwrap_or(0);
        let delivered =
            redis::from_redis_value::<String>(&field("last-delivered-id")).unwrap_or_default();
        return Ok(pending > 0 || stream_id(&newest) > stream_id(&delivered));
    }
    Ok(true)
}

/// An entry id as a sortable pair.
pub fn stream_id(id: &str) -> (u64, u64) {
    let (ms, seq) = id.split_once('-').unwrap_or((id, "0"));
    (ms.parse().unwrap_or(0), seq.parse().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use sift_core::Interval;

    use super::*;
    use crate::entry::EntryBurst;

    fn delivery(shard: u32, id: &str, close_time: i64, intervals: &[Interval]) -> Delivery {
        let bursts = intervals
            .iter()
            .map(|&interval| EntryBurst {
                interval,
                open_time: interval.open_time(close_time),
                late: false,
                candles: Vec::new(),
            })
            .collect();
        Delivery {
            shard,
            stream: format!("closes:{shard}"),
            id: id.to_owned(),
            entry: Ok(CloseEntry { close_time, bursts }),
        }
    }

    fn ids(groups: &[Vec<Delivery>]) -> Vec<Vec<&str>> {
        groups
            .iter()
            .map(|g| g.iter().map(|d| d.id.as_str()).collect())
            .collect()
    }

    #[test]
    fn one_group_per_instant_across_shards_in_each_shards_order() {
        let m1 = [Interval::M1];
        let both = [Interval::M1, Interval::M5];
        let deliveries = vec![
            // Stream by stream, as XREADGROUP answers.
            delivery(0, "a1", 299_999, &both),
            delivery(0, "a2", 359_999, &m1),
            delivery(1, "b1", 299_999, &both),
            delivery(1, "b2", 359_999, &m1),
            delivery(2, "c2", 359_999, &m1),
        ];
        assert_eq!(
            ids(&instants(deliveries)),
            [vec!["a1", "b1"], vec!["a2", "b2", "c2"]]
        );
    }

    #[test]
    fn different_bursts_and_malformed_entries_go_apart() {
        let mut bad = delivery(2, "bad", 0, &[]);
        bad.entry = Err("no e".to_owned());
        let deliveries = vec![
            delivery(0, "a", 299_999, &[Interval::M1, Interval::M5]),
            delivery(1, "b", 299_999, &[Interval::M1]),
            bad,
            // A late close after a newer one of its shard stays behind it.
            delivery(0, "late", 239_999, &[Interval::M1]),
        ];
        assert_eq!(
            ids(&instants(deliveries)),
            [vec!["bad"], vec!["a"], vec!["late"], vec!["b"]]
        );
    }
}
