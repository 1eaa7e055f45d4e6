//! Short-lived caches that spare the database a query per request: who a credential belongs
//! to, and which traders a caller may see.
//!
//! Entries live [`TTL_MS`]. Every change made through this process evicts what it affects at
//! once (logout, token revocation, a user's tier or admin flag, any trader change); a change
//! made elsewhere (another API instance, a reseed, `sift user`) shows within the TTL. The trader
//! ids are keyed by the caller's tier, so a tier change also applies at once to them.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use parking_lot::Mutex;
use sift_core::Tier;
use sift_store::User;

/// How long an entry is reused, in milliseconds.
pub const TTL_MS: i64 = 1_000;
/// Entries kept at most per cache (one per active caller); beyond, the cache starts over.
const MAX_ENTRIES: usize = 10_000;

/// A map whose entries expire, with protection against storing a value fetched before an
/// eviction that should have removed it.
#[derive(Debug)]
pub(crate) struct TtlCache<K, V> {
    // Never held across an await.
    inner: Mutex<Inner<K, V>>,
}

#[derive(Debug)]
struct Inner<K, V> {
    /// Bumped by every eviction; a fetch that started before one is not stored.
    generation: u64,
    entries: HashMap<K, (i64, V)>,
}

impl<K, V> Default for TtlCache<K, V> {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Inner {
                generation: 0,
                entries: HashMap::new(),
            }),
        }
    }
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    /// The fresh value of `key`, or the generation to pass to [`TtlCache::put`] after
    /// fetching it.
    pub(crate) fn get(&self, key: &K, now_ms: i64) -> Result<V, u64> {
        let inner = self.inner.lock();
        match inner.entries.get(key) {
            Some((at, value)) if (0..TTL_MS).contains(&(now_ms - at)) => Ok(value.clone()),
            _ => Err(inner.generation),
        }
    }

    /// Stores a value fetched since `generation`, unless an eviction happened meanwhile.
    pub(crate) fn put(&self, key: K, generation: u64, now_ms: i64, value: V) {
        let mut inner = self.inner.lock();
        if inner.generation != generation {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES {
            inner.entries.clear();
        }
        inner.entries.insert(key, (now_ms, value));
    }

    /// Evicts the entries `evict` selects.
    pub(crate) fn evict(&self, mut evict: impl FnMut(&K, &V) -> bool) {
        let mut inner = self.inner.lock();
        inner.generation += 1;
        inner.entries.retain(|k, (_, v)| !evict(k, v));
    }
}

/// Who a credential (the hash of a session or API token) belongs to.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub(crate) user: User,
    /// For sessions: the CSRF token and when the session expires.
    pub(crate) session: Option<SessionInfo>,
}

#[derive(Debug, Clone)]
pub(crate) struct SessionInfo {
    pub(crate) csrf: String,
    pub(crate) expires_at: i64,
}

/// Credentials by token hash.
pub(crate) type IdentityCache = TtlCache<String, Identity>;

/// Trader ids visible to a user (or anonymous) at a built-in tier.
pub(crate) type VisibleCache = TtlCache<(Option<i64>, Tier), Arc<[i64]>>;

impl IdentityCache {
    /// Forgets every credential of `user_id` (tier change, token revoked).
    pub(crate) fn evict_user(&self, user_id: i64) {
        self.evict(|_, identity| identity.user.id == user_id);
    }

    /// Forgets one credential (logout).
    pub(crate) fn evict_token(&self, token_hash: &str) {
        self.evict(|hash, _| hash == token_hash);
    }
}

impl VisibleCache {
    /// Forgets everything (a trader was created, changed or deleted).
    pub(crate) fn invalidate(&self) {
        self.evict(|_, _| true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_evictions_win_races() {
        let cache = VisibleCache::default();
        let key = (Some(1), Tier::Free);
        let generation = cache.get(&key, 0).unwrap_err();
        cache.put(key, generation, 0, Arc::from([1, 2]));
        assert_eq!(&*cache.get(&key, 999).unwrap(), &[1, 2]);
        assert!(cache.get(&key, 1_000).is_err(), "expired");
        assert!(cache.get(&(Some(1), Tier::Pro), 0).is_err());

        let generation = cache.get(&key, 2_000).unwrap_err();
        cache.invalidate();
        cache.put(key, generation, 2_000, Arc::from([1]));
        assert!(
            cache.get(&key, 2_000).is_err(),
            "fetched before the change: not stored"
        );
    }
}
