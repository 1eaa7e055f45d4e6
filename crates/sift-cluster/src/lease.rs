//! A lease in Redis: `SET key id NX PX ttl`, renewed by compare-and-renew and dropped by
//! compare-and-delete (Lua, atomic), so only the holder can extend or release it.

use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionLike;

use crate::conn::ms;

/// Renews the lease when `id` holds it (1), takes it when free (2), else 0; with the holder.
const CLAIM: &str = r"
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, holder}
elseif not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {2, ARGV[1]}
end
return {0, holder}
";

/// Deletes the lease when `id` holds it.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// What a claim found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Held by another id.
    Lost,
    /// Held by us already; renewed.
    Renewed,
    /// Was free; now ours.
    Acquired,
}

impl Claim {
    /// Whether we hold the lease now.
    pub fn held(self) -> bool {
        !matches!(self, Claim::Lost)
    }
}

/// One lease key claimed under one id.
#[derive(Debug, Clone)]
pub struct Lease {
    key: String,
    id: String,
    ttl: Duration,
}

impl Lease {
    /// The lease `key` claimed as `id`, expiring `ttl` after the last renewal. Renew it every
    /// `ttl / 3`.
    pub fn new(key: impl Into<String>, id: impl Into<String>, ttl: Duration) -> Self {
        Self {
            key: key.into(),
            id: id.into(),
            ttl,
        }
    }

    /// The id this lease is claimed as.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// How long it lasts without renewal.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Renews or takes the lease: one round trip.
    ///
    /// # Errors
    /// A Redis failure (the caller must then assume the lease lost).
    pub async fn claim(&self, conn: &mut impl ConnectionLike) -> redis::RedisResult<Claim> {
        Ok(self.claim_seeing(conn).await?.0)
    }

    /// [`claim`](Self::claim), also answering who holds the lease now (same round trip).
    ///
    /// # Errors
    /// A Redis failure (the caller must then assume the lease lost).
    pub async fn claim_seeing(
        &self,
        conn: &mut impl ConnectionLike,
    ) -> redis::RedisResult<(Claim, Option<String>)> {
        let (code, holder): (i64, Option<String>) = Script::new(CLAIM)
            .key(&self.key)
            .arg(&self.id)
            .arg(ms(self.ttl).max(1))
            .invoke_async(conn)
            .await?;
        let claim = match code {
            1 => Claim::Renewed,
            2 => Claim::Acquired,
            _ => Claim::Lost,
        };
        Ok((claim, holder))
    }

    /// Drops the lease if we hold it; whether we did.
    ///
    /// # Errors
    /// A Redis failure (the lease then lapses after its ttl).
    pub async fn release(&self, conn: &mut impl ConnectionLike) -> redis::RedisResult<bool> {
        let n: i64 = Script::new(RELEASE)
            .key(&self.key)
            .arg(&self.id)
            .invoke_async(conn)
            .await?;
        Ok(n == 1)
    }

    /// Who holds the lease `key`.
    ///
    /// # Errors
    /// A Redis failure.
    pub async fn holder(
        conn: &mut impl ConnectionLike,
        key: &str,
    ) -> redis::RedisResult<Option<String>> {
        redis::cmd("GET").arg(key).query_async(conn).await
    }
}
