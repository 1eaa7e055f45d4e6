//! Which worker owns which shard: live workers heartbeat into `sift:workers`; each shard goes
//! to the live worker with the highest rendezvous hash of (worker, shard); ownership is a
//! lease per shard, taken only when free, so a shard has at most one owner at a time and
//! moves only when its owner leaves, dies (its lease lapses) or a new worker joins (the old
//! owner releases it on its next tick).
//!
//! One Lua call per tick does it all: heartbeat, expiry of dead workers, renewal of owned
//! leases, release of unwanted ones, acquisition of wanted free ones.

use std::collections::BTreeSet;
use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionLike;

use crate::conn::ms;
use crate::keys::ClusterKeys;

/// `KEYS[1]`: workers; `ARGV`: id, ttl ms, shards, shard key prefix, then one `0`/`1` per
/// shard (wanted). Answers the owned shards and the live workers.
const TICK: &str = r"
local id, ttl, n, prefix = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if ttl > 0 then redis.call('ZADD', KEYS[1], now + ttl, id) else redis.call('ZREM', KEYS[1], id) end
local owned = {}
for s = 0, n - 1 do
  local key = prefix .. s
  local holder = redis.call('GET', key)
  if ARGV[5 + s] == '1' and ttl > 0 then
    if holder == id then
      redis.call('PEXPIRE', key, ttl)
      owned[#owned + 1] = s
    elseif not holder then
      redis.call('SET', key, id, 'PX', ttl)
      owned[#owned + 1] = s
    end
  elseif holder == id then
    redis.call('DEL', key)
  end
end
return {owned, redis.call('ZRANGE', KEYS[1], 0, -1)}
";

/// The rendezvous weight of a worker for a shard (FNV-1a over both, then mixed).
fn weight(worker: &str, shard: u32) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in worker.bytes().chain(shard.to_le_bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    // splitmix64 finaliser: FNV's low bits alone spread short inputs poorly.
    hash ^= hash >> 30;
    hash = hash.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash ^= hash >> 27;
    hash = hash.wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^ (hash >> 31)
}

/// The shards `me` should own when `live` are the workers (me included or not).
pub fn wanted(me: &str, live: &[String], shards: u32) -> BTreeSet<u32> {
    (0..shards)
        .filter(|&shard| {
            let mine = weight(me, shard);
            live.iter()
                .filter(|w| w.as_str() != me)
                .all(|w| (weight(w, shard), w.as_str()) < (mine, me))
        })
        .collect()
}

/// One worker's view of the ownership.
#[derive(Debug, Clone)]
pub struct Ownership {
    keys: ClusterKeys,
    id: String,
    shards: u32,
    ttl: Duration,
    live: Vec<String>,
    owned: BTreeSet<u32>,
}

impl Ownership {
    /// A worker `id` among `shards` shards, its heartbeat and leases lasting `ttl` (tick
    /// every `ttl / 3`).
    pub fn new(keys: ClusterKeys, id: impl Into<String>, shards: u32, ttl: Duration) -> Self {
        Self {
            keys,
            id: id.into(),
            shards: shards.max(1),
            ttl,
            live: Vec::new(),
            owned: BTreeSet::new(),
        }
    }

    /// The shards owned after the last tick.
    pub fn owned(&self) -> &BTreeSet<u32> {
        &self.owned
    }

    /// The live workers seen at the last tick.
    pub fn live(&self) -> &[String] {
        &self.live
    }

    /// Heartbeats, renews and rebalances; answers the shards newly owned.
    ///
    /// # Errors
    /// A Redis failure: the caller must stop reading (its leases lapse).
    pub async fn tick(&mut self, conn: &mut impl ConnectionLike) -> redis::RedisResult<Vec<u32>> {
        let mut live = self.live.clone();
        if !live.contains(&self.id) {
            live.push(self.id.clone());
        }
        let want = wanted(&self.id, &live, self.shards);
        let (owned, live) = self.call(conn, ms(self.ttl).max(1), &want).await?;
        let before = std::mem::replace(&mut self.owned, owned);
        self.live = live;
        Ok(self.owned.difference(&before).copied().collect())
    }

    /// Releases every shard and leaves the worker set (graceful shutdown).
    ///
    /// # Errors
    /// A Redis failure (the leases then lapse after their ttl).
    pub async fn release(&mut self, conn: &mut impl ConnectionLike) -> redis::RedisResult<()> {
        self.call(conn, 0, &BTreeSet::new()).await?;
        self.owned.clear();
        Ok(())
    }

    /// Forgets the owned shards without telling Redis (after a failure: they lapse).
    pub fn forget(&mut self) {
        self.owned.clear();
    }

    async fn call(
        &self,
        conn: &mut impl ConnectionLike,
        ttl_ms: u64,
        want: &BTreeSet<u32>,
    ) -> redis::RedisResult<(BTreeSet<u32>, Vec<String>)> {
        let tick = Script::new(TICK);
        let mut script = tick.prepare_invoke();
        script
            .key(self.keys.workers())
            .arg(&self.id)
            .arg(ttl_ms)
            .arg(self.shards)
            .arg(self.keys.shard_prefix());
        for shard in 0..self.shards {
            script.arg(if want.contains(&shard) { "1" } else { "0" });
        }
        let (owned, live): (Vec<u32>, Vec<String>) = script.invoke_async(conn).await?;
        Ok((owned.into_iter().collect(), live))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shard_has_exactly_one_wanting_worker() {
        let live: Vec<String> = ["w-a", "w-b", "w-c"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut seen = BTreeSet::new();
        for worker in &live {
            for shard in wanted(worker, &live, 16) {
                assert!(seen.insert(shard), "shard {shard} wanted twice");
            }
        }
        assert_eq!(seen.len(), 16);
        // Alone, a worker wants everything.
        assert_eq!(wanted("w-a", &[], 4).len(), 4);
        // A leaving worker's shards move; the others' stay.
        let two = &live[..2];
        for shard in wanted("w-a", &live, 16) {
            assert!(wanted("w-a", two, 16).contains(&shard));
        }
    }
}
