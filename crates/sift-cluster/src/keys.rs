//! The cluster's Redis keys and channels, under the same configurable prefix as the candle
//! keys (tests use a unique prefix per test).

/// Builds the cluster's keys (shown without the prefix):
///
/// | key | type | content |
/// |---|---|---|
/// | `sift:closes:{SHARD}` | stream | one entry per close instant and shard ([`CloseEntry`](crate::CloseEntry) JSON in field `e`), trimmed with `MAXLEN ~` |
/// | `sift:leader` | string, PX ttl | the id of the collector that publishes closes |
/// | `sift:published` | hash | interval -> open time of the newest close the leader published |
/// | `sift:workers` | sorted set | live worker ids, scored by heartbeat expiry (epoch ms) |
/// | `sift:shard:{SHARD}` | string, PX ttl | the id of the worker that owns the shard |
/// | `sift:fallback` | string, PX ttl | held by the worker running the fallback tick |
/// | `sift:signals` | pub/sub channel | committed signals ([`SignalMessage`](crate::SignalMessage) JSON) |
/// | `sift:traders` | pub/sub channel | trader changes and the pause switch ([`TraderMessage`](crate::TraderMessage) JSON) |
///
/// The consumer group on every close stream is [`GROUP`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterKeys {
    prefix: String,
}

/// The workers' consumer group on each close stream.
pub const GROUP: &str = "sift-workers";

impl ClusterKeys {
    /// Keys under `prefix` (may be empty).
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    /// The prefix every key starts with.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// `sift:closes:{shard}`.
    pub fn closes(&self, shard: u32) -> String {
        format!("{}sift:closes:{shard}", self.prefix)
    }

    /// `sift:leader`.
    pub fn leader(&self) -> String {
        self.key("sift:leader")
    }

    /// `sift:published`.
    pub fn published(&self) -> String {
        self.key("sift:published")
    }

    /// `sift:workers`.
    pub fn workers(&self) -> String {
        self.key("sift:workers")
    }

    /// `sift:shard:` (the shard number follows).
    pub fn shard_prefix(&self) -> String {
        self.key("sift:shard:")
    }

    /// `sift:shard:{shard}`.
    pub fn shard(&self, shard: u32) -> String {
        format!("{}{shard}", self.shard_prefix())
    }

    /// `sift:fallback`.
    pub fn fallback(&self) -> String {
        self.key("sift:fallback")
    }

    /// `sift:signals`.
    pub fn signals(&self) -> String {
        self.key("sift:signals")
    }

    /// `sift:traders`.
    pub fn traders(&self) -> String {
        self.key("sift:traders")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_under_a_prefix() {
        let keys = ClusterKeys::new("test:1:");
        assert_eq!(keys.closes(3), "test:1:sift:closes:3");
        assert_eq!(keys.shard(0), "test:1:sift:shard:0");
        assert_eq!(keys.leader(), "test:1:sift:leader");
        assert_eq!(ClusterKeys::default().signals(), "sift:signals");
    }
}
