//! The roles' command-line flags (`sift collector`, `sift worker`, `sift api`), applied on the
//! loaded [`Settings`] as `serve`'s are.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use secrecy::SecretString;
use sift_server::flags::{CommonFlags, MarketFlags};
use sift_server::{Settings, SettingsError};

use crate::{CollectorOptions, WorkerOptions};

/// What every role shares: Redis, the shard count, the leases.
#[derive(Debug, Clone, Args)]
pub struct ClusterFlags {
    /// Redis URL (`redis://` or `rediss://`); prefer SIFT_REDIS__URL, which stays out of `ps`.
    #[arg(long, value_name = "URL")]
    pub redis_url: Option<String>,
    /// Prefix of every Redis key (to share one Redis between clusters).
    #[arg(long, value_name = "PREFIX", default_value = "")]
    pub redis_prefix: String,
    /// Shards the closes are split into; every collector and worker must agree. At least the
    /// number of workers; each costs about two Redis commands per close instant and one a
    /// minute.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub shards: u32,
    /// Time to live of the leases (leader, worker heartbeats, shards), in milliseconds; they
    /// are renewed every third of it, and a dead process's work moves after it.
    #[arg(long, value_name = "MS", default_value_t = 15_000, value_parser = clap::value_parser!(u64).range(300..))]
    pub lease_ttl_ms: u64,
    /// This process's id in leases and the consumer group (default: host, pid, random).
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
}

impl ClusterFlags {
    fn apply(&self, settings: &mut Settings) {
        if let Some(url) = &self.redis_url {
            settings.redis.url = Some(SecretString::from(url.clone()));
        }
    }

    fn id(&self, role: &str) -> String {
        self.id.clone().unwrap_or_else(|| {
            let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".to_owned());
            format!(
                "{role}-{host}-{}-{:04x}",
                std::process::id(),
                rand::random::<u16>()
            )
        })
    }
}

/// `sift collector`'s flags.
#[derive(Debug, Clone, Args)]
pub struct CollectorFlags {
    #[command(flatten)]
    pub common: CommonFlags,
    #[command(flatten)]
    pub cluster: ClusterFlags,
    /// Address of the `/health` and `/metrics` listener (none when unset).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Approximate length each close stream is trimmed to.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub stream_maxlen: u64,
    #[command(flatten)]
    pub market: MarketFlags,
}

impl CollectorFlags {
    /// The settings and the collector's options.
    ///
    /// # Errors
    /// As [`Settings::load`].
    pub fn load(
        &self,
        env: &BTreeMap<String, String>,
    ) -> Result<(Settings, CollectorOptions), SettingsError> {
        let mut settings = self.common.load(env)?;
        self.cluster.apply(&mut settings);
        self.market.apply(&mut settings);
        let options = CollectorOptions {
            id: self.cluster.id("collector"),
            lease_ttl: Duration::from_millis(self.cluster.lease_ttl_ms),
            shards: self.cluster.shards,
            maxlen: self.stream_maxlen,
            listen: self.listen,
            prefix: self.cluster.redis_prefix.clone(),
        };
        Ok((settings, options))
    }
}

/// `sift worker`'s flags.
#[derive(Debug, Clone, Args)]
pub struct WorkerFlags {
    #[command(flatten)]
    pub common: CommonFlags,
    #[command(flatten)]
    pub cluster: ClusterFlags,
    /// PostgreSQL URL; prefer SIFT_DATABASE__URL.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Address of the `/health` and `/metrics` listener (none when unset).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Closed candles kept per series for the indicators (as the collectors' --history).
    #[arg(long, value_name = "N")]
    pub history: Option<usize>,
    /// Longest wait of one stream read, in milliseconds (also bounded by the ownership tick,
    /// a third of the lease ttl).
    #[arg(long, value_name = "MS", default_value_t = 5_000)]
    pub block_ms: u64,
    /// Entries per stream read.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub batch: usize,
    /// Entries pending this long under any consumer are claimed, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 60_000)]
    pub claim_idle_ms: u64,
    /// Seconds between fallback ticks (stuck entries claimed, published closes never committed
    /// enqueued again, backlog figures refreshed).
    #[arg(long, value_name = "S", default_value_t = 60)]
    pub fallback_s: u64,
}

impl WorkerFlags {
    /// The settings and the worker's options.
    ///
    /// # Errors
    /// As [`Settings::load`].
    pub fn load(
        &self,
        env: &BTreeMap<String, String>,
    ) -> Result<(Settings, WorkerOptions), SettingsError> {
        let mut settings = self.common.load(env)?;
        self.cluster.apply(&mut settings);
        if let Some(url) = &self.database_url {
            settings.database.url = Some(SecretString::from(url.clone()));
        }
        if let Some(history) = self.history {
            settings.market.history = history;
        }
        let options = WorkerOptions {
            id: self.cluster.id("worker"),
            shards: self.cluster.shards,
            lease_ttl: Duration::from_millis(self.cluster.lease_ttl_ms),
            block: Duration::from_millis(self.block_ms.max(1)),
            batch: self.batch.max(1),
            claim_idle: Duration::from_millis(self.claim_idle_ms),
            fallback_every: Duration::from_secs(self.fallback_s.max(1)),
            listen: self.listen,
            prefix: self.cluster.redis_prefix.clone(),
        };
        Ok((settings, options))
    }
}

/// `sift api`'s flags.
#[derive(Debug, Clone, Args)]
pub struct ApiFlags {
    #[command(flatten)]
    pub common: CommonFlags,
    /// Redis URL; prefer SIFT_REDIS__URL.
    #[arg(long, value_name = "URL")]
    pub redis_url: Option<String>,
    /// Prefix of every Redis key (as the other roles').
    #[arg(long, value_name = "PREFIX", default_value = "")]
    pub redis_prefix: String,
    /// PostgreSQL URL; prefer SIFT_DATABASE__URL.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
}

impl ApiFlags {
    /// The settings.
    ///
    /// # Errors
    /// As [`Settings::load`].
    pub fn load(&self, env: &BTreeMap<String, String>) -> Result<Settings, SettingsError> {
        let mut settings = self.common.load(env)?;
        if let Some(url) = &self.redis_url {
            settings.redis.url = Some(SecretString::from(url.clone()));
        }
        if let Some(url) = &self.database_url {
            settings.database.url = Some(SecretString::from(url.clone()));
        }
        if let Some(listen) = self.listen {
            settings.server.listen = listen;
        }
        Ok(settings)
    }
}
