//! The leader's close publication: one fenced Lua call per close instant appends the entry of
//! every shard to its stream and advances `sift:published`, only while the caller holds the
//! leader lease (a collector that lost it cannot publish even once more).

use std::collections::BTreeMap;

use redis::Script;
use redis::aio::ConnectionLike;
use sift_core::Interval;
use sift_market::CloseBurst;

use crate::entry::split_by_shard;
use crate::keys::ClusterKeys;

/// `KEYS`: leader, published, streams...; `ARGV`: id, maxlen, pairs, (interval, open time) x
/// pairs, one payload per stream.
const PUBLISH: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local n = tonumber(ARGV[3])
local first = 4 + 2 * n
for i = 3, #KEYS do
  redis.call('XADD', KEYS[i], 'MAXLEN', '~', ARGV[2], '*', 'e', ARGV[first + i - 3])
end
for i = 0, n - 1 do
  local interval, open = ARGV[4 + 2 * i], ARGV[5 + 2 * i]
  local current = redis.call('HGET', KEYS[2], interval)
  if (not current) or tonumber(open) > tonumber(current) then
    redis.call('HSET', KEYS[2], interval, open)
  end
end
return 1
";

/// Where and how the leader publishes.
#[derive(Debug, Clone)]
pub struct Publisher {
    pub keys: ClusterKeys,
    /// The leader id the lease is held under.
    pub id: String,
    pub shards: u32,
    /// Approximate length each stream is trimmed to.
    pub maxlen: u64,
}

impl Publisher {
    /// Publishes the bursts of one close instant; `false` when we are not the leader (nothing
    /// was written).
    ///
    /// # Errors
    /// A Redis failure (nothing or everything was written: the script is atomic).
    pub async fn publish(
        &self,
        conn: &mut impl ConnectionLike,
        bursts: &[CloseBurst],
    ) -> redis::RedisResult<bool> {
        let entries = split_by_shard(bursts, self.shards);
        let publish = Script::new(PUBLISH);
        let mut script = publish.prepare_invoke();
        script.key(self.keys.leader()).key(self.keys.published());
        for (shard, _) in &entries {
            script.key(self.keys.closes(*shard));
        }
        script.arg(&self.id).arg(self.maxlen).arg(bursts.len());
        for burst in bursts {
            script.arg(burst.interval.as_str()).arg(burst.open_time);
        }
        for (_, entry) in &entries {
            let json = entry.to_json()?;
            script.arg(json);
        }
        let code: i64 = script.invoke_async(conn).await?;
        Ok(code == 1)
    }

    /// The newest published open time per interval (`sift:published`).
    ///
    /// # Errors
    /// A Redis failure.
    pub async fn published(
        &self,
        conn: &mut impl ConnectionLike,
    ) -> redis::RedisResult<BTreeMap<Interval, i64>> {
        published(conn, &self.keys).await
    }
}

/// The newest published open time per interval.
///
/// # Errors
/// A Redis failure.
pub async fn published(
    conn: &mut impl ConnectionLike,
    keys: &ClusterKeys,
) -> redis::RedisResult<BTreeMap<Interval, i64>> {
    let raw: BTreeMap<String, i64> = redis::cmd("HGETALL")
        .arg(keys.published())
        .query_async(conn)
        .await?;
    Ok(raw
        .into_iter()
        .filter_map(|(interval, open)| Some((interval.parse().ok()?, open)))
        .collect())
}
