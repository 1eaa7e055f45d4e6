//! `sift worker`: reads the close streams of the shards it owns in the consumer group
//! `sift-workers`, evaluates, commits to the store, publishes the signals, and only then
//! acknowledges.
//!
//! At-least-once: an entry is acknowledged after its commit; a dead worker's shards go to the
//! others when its leases lapse, and the new owner claims the shard's pending entries first
//! (`XAUTOCLAIM`), so they are processed in order before new ones; the unique key on signals
//! makes a redelivery harmless. Every fallback tick the owner also claims entries pending
//! longer than `claim_idle` under any consumer, and enqueues again the published closes its
//! shards never committed ([`recover`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Context;
use metrics_exporter_prometheus::PrometheusHandle;
use parking_lot::Mutex;
use serde_json::json;
use sift_candles::Capacities;
use sift_engine::EngineConfig;
use sift_redis::{RedisCandleStore, RedisConfig};
use sift_server::{Evaluator, Settings};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::changes::{self, Shared};
use crate::consumer::{self, Delivery};
use crate::entry::{CloseEntry, shard_of};
use crate::keys::ClusterKeys;
use crate::ownership::Ownership;
use crate::process::{Processor, Traders};
use crate::recover;

/// The backlog figures (`XINFO GROUPS` per owned shard) are refreshed every this many
/// fallback ticks, to spare Redis commands.
const BACKLOG_EVERY: u64 = 5;
/// Old shard records are pruned every this many fallback ticks.
const PRUNE_EVERY: u64 = 60;
/// Wait after a Redis failure before trying again.
const BACKOFF: Duration = Duration::from_millis(500);

/// How a worker takes part in the cluster.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Its consumer name and ownership id (unique per process).
    pub id: String,
    /// Shards (as the collectors).
    pub shards: u32,
    /// Heartbeat and shard lease time to live; the ownership tick runs every third of it.
    pub lease_ttl: Duration,
    /// Longest wait of one stream read.
    pub block: Duration,
    /// Entries per read.
    pub batch: usize,
    /// Entries pending this long under any consumer are claimed by the shard's owner.
    pub claim_idle: Duration,
    /// How often the fallback tick runs (claims, lost closes, backlog figures).
    pub fallback_every: Duration,
    /// The health and metrics listener.
    pub listen: Option<SocketAddr>,
    /// Key prefix (tests).
    pub prefix: String,
}

#[derive(Debug, Default)]
struct Status {
    owned: Vec<u32>,
    live: Vec<String>,
    entries: u64,
    signals: u64,
    claimed: u64,
    recovered: u64,
    pending: BTreeMap<u32, u64>,
    lag: BTreeMap<u32, u64>,
    series: usize,
    redis_error: Option<String>,
}

/// Runs the worker role until `cancel`; `started` learns the health listener's address.
///
/// # Errors
/// When Redis or the database is not configured or cannot be reached at start.
pub async fn run(
    settings: Settings,
    options: WorkerOptions,
    metrics: Option<PrometheusHandle>,
    cancel: CancellationToken,
    started: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
) -> anyhow::Result<()> {
    let url = crate::redis_url(&settings, "worker")?;
    crate::require_database(&settings, "worker")?;
    let store = sift_server::serve::open_store(&settings).await?;
    let history = settings.market.history.max(1);
    let evaluator = Evaluator::start(EngineConfig {
        candle_capacity: history,
        ..EngineConfig::default()
    })
    .context("starting the engine thread")?;
    let shared = Shared {
        store: Arc::clone(&store),
        evaluator: evaluator.clone(),
        traders: Arc::new(Mutex::new(Traders::default())),
        paused: Arc::new(AtomicBool::new(false)),
    };
    let running = shared.load_all().await?;
    info!(traders = running, "traders loaded");

    let redis = RedisConfig::new(&url).with_prefix(options.prefix.clone());
    let capacities = Capacities::new(history).context("market.history")?;
    let candles =
        tokio::task::spawn_blocking(move || RedisCandleStore::connect(&redis, capacities))
            .await
            .context("connecting to redis panicked")?
            .context("connecting to redis")?;
    let client = crate::conn::client(&url).context("redis.url")?;
    let keys = ClusterKeys::new(options.prefix.clone());
    let changes_cancel = CancellationToken::new();
    let listener = tokio::spawn(changes::listen(
        client.clone(),
        keys.clone(),
        shared.clone(),
        changes_cancel.clone(),
    ));

    // Workers commit the notification outbox; every worker sends (claims are leased).
    let notifier = sift_notify::Dispatcher::spawn(
        Arc::clone(&store),
        settings.notify.clone(),
        crate::notify_key(&settings)?,
        cancel.child_token(),
    )
    .context("notify")?;

    let status = Arc::new(Mutex::new(Status::default()));
    let http_cancel = CancellationToken::new();
    if let Some(listen) = options.listen {
        let (status, id) = (Arc::clone(&status), options.id.clone());
        let health: crate::http::HealthFn = Arc::new(move || {
            let s = status.lock();
            (
                s.redis_error.is_none(),
                json!({
                    "role": "worker",
                    "id": id,
                    "owned_shards": s.owned,
                    "live_workers": s.live,
                    "entries_processed": s.entries,
                    "signals_committed": s.signals,
                    "entries_claimed": s.claimed,
                    "entries_recovered": s.recovered,
                    "pending": s.pending,
                    "lag": s.lag,
                    "series": s.series,
                    "redis_error": s.redis_error,
                }),
            )
        });
        let (addr, _task) =
            crate::http::spawn(listen, health, metrics, http_cancel.clone()).await?;
        info!(%addr, "health listening");
        if let Some(started) = started {
            let _ = started.send(addr);
        }
    }

    let processor = Processor::new(
        Arc::clone(&store),
        evaluator,
        candles,
        Arc::clone(&shared.traders),
        Arc::clone(&shared.paused),
        history,
        keys.clone(),
    );
    let mut worker = Worker {
        ownership: Ownership::new(
            keys.clone(),
            options.id.clone(),
            options.shards,
            options.lease_ttl,
        ),
        options,
        keys,
        client,
        conn: None,
        reader: None,
        processor,
        status,
        fallbacks: 0,
    };
    worker.run(&cancel).await;
    worker.release().await;
    notifier.join().await;
    changes_cancel.cancel();
    let _ = listener.await;
    http_cancel.cancel();
    store.close().await;
    info!("stopped");
    Ok(())
}

struct Worker {
    options: WorkerOptions,
    keys: ClusterKeys,
    client: redis::Client,
    conn: Option<redis::aio::ConnectionManager>,
    reader: Option<redis::aio::MultiplexedConnection>,
    ownership: Ownership,
    processor: Processor,
    status: Arc<Mutex<Status>>,
    fallbacks: u64,
}

impl Worker {
    async fn run(&mut self, cancel: &CancellationToken) {
        let tick_every = self.options.lease_ttl / 3;
        let mut next_tick = Instant::now();
        let mut next_fallback = Instant::now() + self.options.fallback_every;
        while !cancel.is_cancelled() {
            if Instant::now() >= next_tick {
                next_tick = Instant::now() + tick_every;
                if let Err(err) = self.tick(cancel).await {
                    self.failed(&err);
                    self.pause(cancel).await;
                    continue;
                }
            }
            if Instant::now() >= next_fallback {
                next_fallback = Instant::now() + self.options.fallback_every;
                if let Err(err) = self.fallback(cancel).await {
                    self.failed(&err);
                }
                if let Err(err) = self.recover().await {
                    warn!(error = %format!("{err:#}"), "lost closes not recovered");
                }
            }
            let streams: Vec<(u32, String)> = self
                .ownership
                .owned()
                .iter()
                .map(|&s| (s, self.keys.closes(s)))
                .collect();
            if streams.is_empty() {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = tokio::time::sleep_until(next_tick) => {}
                }
                continue;
            }
            let block = self
                .options
                .block
                .min(next_tick.saturating_duration_since(Instant::now()))
                .max(Duration::from_millis(1));
            let (id, batch) = (self.options.id.clone(), self.options.batch);
            let read = match self.reader().await {
                Ok(reader) => {
                    let read = consumer::read_instant(reader, &id, &streams, batch, block);
                    tokio::select! {
                        () = cancel.cancelled() => return,
                        read = read => read,
                    }
                }
                Err(err) => Err(err),
            };
            match read {
                Ok(deliveries) => self.handle(deliveries, cancel).await,
                Err(err) => {
                    if consumer::is_no_group(&err) {
                        // Redis lost its data: create the groups again.
                        next_tick = Instant::now();
                        self.ownership.forget();
                    } else {
                        self.reader = None;
                        self.failed(&err);
                        self.pause(cancel).await;
                    }
                }
            }
        }
    }

    fn failed(&self, err: &redis::RedisError) {
        warn!(error = %err, "redis failure");
        self.status.lock().redis_error = Some(err.to_string());
    }

    async fn pause(&self, cancel: &CancellationToken) {
        tokio::select! {
            () = cancel.cancelled() => {}
            () = tokio::time::sleep(BACKOFF) => {}
        }
    }

    async fn conn(&mut self) -> redis::RedisResult<&mut redis::aio::ConnectionManager> {
        if self.conn.is_none() {
            self.conn = Some(crate::conn::manager(&self.client).await?);
        }
        Ok(self.conn.as_mut().expect("just set"))
    }

    async fn reader(&mut self) -> redis::RedisResult<&mut redis::aio::MultiplexedConnection> {
        if self.reader.is_none() {
            self.reader = Some(crate::conn::blocking(&self.client, self.options.block).await?);
        }
        Ok(self.reader.as_mut().expect("just set"))
    }

    /// The ownership tick: heartbeat, leases; newly owned shards get their group ensured and
    /// their pending entries claimed and processed first.
    async fn tick(&mut self, cancel: &CancellationToken) -> redis::RedisResult<()> {
        let mut ownership = self.ownership.clone();
        let conn = self.conn().await?;
        let gained = match ownership.tick(conn).await {
            Ok(gained) => gained,
            Err(err) => {
                // Our leases lapse; stop reading until a tick works again.
                self.ownership.forget();
                return Err(err);
            }
        };
        self.ownership = ownership;
        let owned = self.ownership.owned().clone();
        let shards = self.options.shards;
        self.processor
            .retain(|symbol| owned.contains(&shard_of(symbol, shards)));
        {
            let mut status = self.status.lock();
            status.owned = owned.iter().copied().collect();
            status.live = self.ownership.live().to_vec();
            status.redis_error = None;
            status.series = self.processor.series();
        }
        if !gained.is_empty() {
            info!(?gained, owned = ?owned, "shards acquired");
        }
        for shard in gained {
            let stream = self.keys.closes(shard);
            let id = self.options.id.clone();
            let conn = self.conn().await?;
            consumer::ensure_group(conn, &stream).await?;
            // We hold the shard's lease: whatever its previous owner left pending is ours.
            let pending = consumer::claim(conn, shard, &stream, &id, Duration::ZERO).await?;
            if !pending.is_empty() {
                info!(shard, entries = pending.len(), "pending entries claimed");
                self.status.lock().claimed += pending.len() as u64;
                metrics::counter!("sift_worker_claimed_total").increment(pending.len() as u64);
            }
            self.handle(pending, cancel).await;
        }
        Ok(())
    }

    /// Claims entries pending too long on the owned shards and refreshes the backlog figures.
    async fn fallback(&mut self, cancel: &CancellationToken) -> redis::RedisResult<()> {
        let owned: Vec<u32> = self.ownership.owned().iter().copied().collect();
        let id = self.options.id.clone();
        let idle = self.options.claim_idle;
        let mut pending = BTreeMap::new();
        let mut lag = BTreeMap::new();
        for shard in owned {
            let stream = self.keys.closes(shard);
            let conn = self.conn().await?;
            let stuck = consumer::claim(conn, shard, &stream, &id, idle).await?;
            if !stuck.is_empty() {
                warn!(shard, entries = stuck.len(), "stuck entries claimed");
                self.status.lock().claimed += stuck.len() as u64;
                self.handle(stuck, cancel).await;
            }
            if self.fallbacks % BACKLOG_EVERY == 0 {
                let conn = self.conn().await?;
                let (p, l) = consumer::backlog(conn, &stream).await?;
                pending.insert(shard, p);
                if let Some(l) = l {
                    lag.insert(shard, l);
                }
            }
        }
        self.fallbacks += 1;
        if pending.is_empty() {
            return Ok(());
        }
        let total_lag: u64 = lag.values().sum();
        #[allow(clippy::cast_precision_loss)]
        metrics::gauge!("sift_worker_stream_lag").set(total_lag as f64);
        let mut status = self.status.lock();
        status.pending = pending;
        status.lag = lag;
        Ok(())
    }

    /// Finds closes published but never committed on the owned shards and appends them to
    /// their streams again ([`recover`]); prunes old shard records now and then.
    async fn recover(&mut self) -> anyhow::Result<()> {
        let owned = self.ownership.owned().clone();
        if owned.is_empty() {
            return Ok(());
        }
        if self.fallbacks % PRUNE_EVERY == 1 {
            self.processor
                .store
                .prune_shard_closes(recover::now_ms() - recover::RETAIN_MS)
                .await
                .context("pruning shard records")?;
        }
        let recovery = recover::Recovery {
            store: Arc::clone(&self.processor.store),
            candles: self.processor.candles.clone(),
            history: self.processor.history,
            keys: self.keys.clone(),
            shards: self.options.shards,
            grace: self.options.claim_idle,
        };
        let enqueued = recovery.run(self.conn().await?, &owned).await?;
        if enqueued > 0 {
            metrics::counter!("sift_worker_recovered_total").increment(enqueued as u64);
            self.status.lock().recovered += enqueued as u64;
        }
        Ok(())
    }

    /// Processes deliveries a close instant at a time ([`consumer::instants`]: the entries of
    /// one instant across the owned shards together), acknowledging them after their commit.
    /// After a failure (stopping while the store is down, Redis unreachable) the rest stay
    /// pending: the shard's next owner, or the fallback tick after `claim_idle`, claims them.
    async fn handle(&mut self, deliveries: Vec<Delivery>, cancel: &CancellationToken) {
        for group in consumer::instants(deliveries) {
            let entries: Vec<(u32, &CloseEntry)> = group
                .iter()
                .filter_map(|d| d.entry.as_ref().ok().map(|e| (d.shard, e)))
                .collect();
            if entries.is_empty() {
                for d in &group {
                    if let Err(reason) = &d.entry {
                        warn!(id = %d.id, reason, "malformed close entry skipped");
                    }
                }
            } else {
                let Ok(conn) = self.conn().await.cloned() else {
                    return;
                };
                let mut conn = conn;
                match self.processor.process(&entries, &mut conn, cancel).await {
                    Ok(signals) => {
                        let mut status = self.status.lock();
                        status.entries += entries.len() as u64;
                        status.signals += signals as u64;
                    }
                    Err(err) => {
                        let ids: Vec<&str> = group.iter().map(|d| d.id.as_str()).collect();
                        warn!(?ids, error = %format!("{err:#}"), "entries not processed; left pending");
                        return;
                    }
                }
            }
            let acked = match self.conn().await {
                Ok(conn) => consumer::ack_all(conn, &group).await,
                Err(err) => Err(err),
            };
            if let Err(err) = acked {
                // Delivered again later; the commit is idempotent.
                warn!(entries = group.len(), error = %err, "ack failed");
            }
        }
    }

    /// Hands the shards back at once (graceful shutdown).
    async fn release(&mut self) {
        let mut ownership = self.ownership.clone();
        match self.conn().await {
            Ok(conn) => match ownership.release(conn).await {
                Ok(()) => info!("shards released"),
                Err(err) => warn!(error = %err, "shards not released; their leases lapse"),
            },
            Err(err) => warn!(error = %err, "shards not released; their leases lapse"),
        }
    }
}
