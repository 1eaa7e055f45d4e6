//! `sift collector`: the market layer writing candles to Redis, and, while it holds the
//! leader lease, one stream entry per close instant and shard.
//!
//! Every collector runs the market warm (candles written to Redis through the loss-free
//! mirror; the Lua writes are idempotent, first write wins). One holds `sift:leader` (renewed
//! every ttl/3) and publishes; the publish script checks the lease atomically, so a collector
//! that lost it cannot publish again. A new leader first publishes every close it holds after
//! the newest published one (`sift:published`), so a takeover leaves no gap; duplicates are
//! harmless downstream.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use metrics_exporter_prometheus::PrometheusHandle;
use parking_lot::Mutex;
use serde_json::json;
use sift_candles::{CandleStore, Capacities, MemoryCandleStore};
use sift_core::{Candle, Interval, Symbol};
use sift_market::{CloseBurst, Collector, MarketEvent};
use sift_redis::{MirrorConfig, RedisConfig, RedisMirror};
use sift_server::Settings;
use sift_server::instant::{INSTANT_WAIT, gather_bursts};
use sift_server::market::collector_config;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::keys::ClusterKeys;
use crate::lease::{Claim, Lease};
use crate::publish::Publisher;

/// Most close instants a new leader republishes after a takeover.
const CATCH_UP_MAX: usize = 2_000;
/// Market events waiting for the publisher (as `serve`).
const MARKET_EVENTS: usize = 1024;

/// How a collector takes part in the cluster.
#[derive(Debug, Clone)]
pub struct CollectorOptions {
    /// Its id in the lease (unique per process).
    pub id: String,
    /// The leader lease's time to live; renewed every third of it.
    pub lease_ttl: Duration,
    /// Shards the closes are split into (every collector and worker must agree).
    pub shards: u32,
    /// Approximate length of each close stream.
    pub maxlen: u64,
    /// The health and metrics listener.
    pub listen: Option<SocketAddr>,
    /// Key prefix (tests).
    pub prefix: String,
}

#[derive(Debug, Default)]
struct Status {
    leader: bool,
    holder: Option<String>,
    published: BTreeMap<Interval, i64>,
    closes_published: u64,
    redis_error: Option<String>,
}

/// Runs the collector role until `cancel`; `started` learns the health listener's address.
///
/// # Errors
/// When Redis is not configured, or the market or listener cannot start.
pub async fn run(
    settings: Settings,
    options: CollectorOptions,
    metrics: Option<PrometheusHandle>,
    cancel: CancellationToken,
    started: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
) -> anyhow::Result<()> {
    let url = crate::redis_url(&settings, "collector")?;
    let history = settings.market.history.max(1);
    let memory = MemoryCandleStore::new(Capacities::new(history).context("market.history")?);
    let redis = RedisConfig::new(&url).with_prefix(options.prefix.clone());
    let mirror_cancel = CancellationToken::new();
    let (mirror, mirror_task) =
        RedisMirror::spawn(memory, MirrorConfig::new(redis), mirror_cancel.clone())
            .context("redis.url")?;
    let candles: Arc<dyn CandleStore> = Arc::new(mirror.clone());

    let (config, source) = collector_config(&settings.market)?;
    let (events_tx, events_rx) = mpsc::channel(MARKET_EVENTS);
    let market_cancel = cancel.child_token();
    let collector = Collector::start(
        config,
        source,
        Arc::clone(&candles),
        events_tx,
        market_cancel.clone(),
    )
    .await?;

    let status = Arc::new(Mutex::new(Status::default()));
    let http_cancel = CancellationToken::new();
    if let Some(listen) = options.listen {
        let market = collector.handle();
        let (status, mirror, id) = (Arc::clone(&status), mirror.clone(), options.id.clone());
        let health: crate::http::HealthFn = Arc::new(move || {
            let s = status.lock();
            let market = market.health();
            let redis = mirror.health();
            let usable = market.running && s.redis_error.is_none();
            let published: BTreeMap<String, i64> = s
                .published
                .iter()
                .map(|(i, t)| (i.to_string(), *t))
                .collect();
            (
                usable,
                json!({
                    "role": "collector",
                    "id": id,
                    "leader": s.leader,
                    "lease_holder": s.holder,
                    "published": published,
                    "closes_published": s.closes_published,
                    "redis_error": s.redis_error,
                    "market": market,
                    "mirror": {
                        "state": format!("{:?}", redis.state).to_lowercase(),
                        "queue_depth": redis.queue_depth,
                        "errors": redis.errors,
                    },
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

    let client = crate::conn::client(&url).context("redis.url")?;
    let keys = ClusterKeys::new(options.prefix.clone());
    let mut role = Role {
        lease: Lease::new(keys.leader(), options.id.clone(), options.lease_ttl),
        publisher: Publisher {
            keys,
            id: options.id.clone(),
            shards: options.shards.max(1),
            maxlen: options.maxlen,
        },
        candles,
        history,
        intervals: settings.market.intervals.clone(),
        status: Arc::clone(&status),
        local: HashMap::new(),
        catch_up_due: true,
        conn: None,
        client,
    };
    role.run(events_rx, &cancel).await;

    // Hand the lease over at once rather than letting it lapse.
    if let Some(conn) = role.conn.as_mut() {
        match role.lease.release(conn).await {
            Ok(true) => info!("leader lease released"),
            Ok(false) => {}
            Err(err) => warn!(error = %err, "leader lease not released; it lapses"),
        }
    }
    market_cancel.cancel();
    if let Err(err) = collector.wait().await {
        warn!(error = %format!("{err:#}"), "market stopped with an error");
    }
    mirror_cancel.cancel();
    let _ = mirror_task.await;
    http_cancel.cancel();
    info!("stopped");
    Ok(())
}

/// The closed candles of one instant by (interval, open time).
type Closes = BTreeMap<(Interval, i64), Vec<(Symbol, Candle)>>;

struct Role {
    lease: Lease,
    publisher: Publisher,
    candles: Arc<dyn CandleStore>,
    history: usize,
    /// The intervals collected, whose bursts of one instant are published together.
    intervals: Vec<Interval>,
    status: Arc<Mutex<Status>>,
    /// Per interval, the newest open time this process published by catch-up.
    local: HashMap<Interval, i64>,
    catch_up_due: bool,
    conn: Option<redis::aio::ConnectionManager>,
    client: redis::Client,
}

impl Role {
    async fn run(&mut self, mut events: mpsc::Receiver<MarketEvent>, cancel: &CancellationToken) {
        let mut tick = tokio::time::interval(self.lease.ttl() / 3);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Events read ahead while gathering the bursts of one instant, in order.
        let mut deferred = VecDeque::new();
        loop {
            let event = match deferred.pop_front() {
                Some(event) => event,
                None => tokio::select! {
                    biased;
                    () = cancel.cancelled() => return,
                    _ = tick.tick() => {
                        self.renew().await;
                        continue;
                    }
                    event = events.recv() => match event {
                        Some(event) => event,
                        None => return,
                    },
                },
            };
            match event {
                MarketEvent::Closes(first) => {
                    let bursts = gather_bursts(
                        first,
                        &self.intervals,
                        INSTANT_WAIT,
                        &mut events,
                        &mut deferred,
                    )
                    .await;
                    self.on_closes(bursts).await;
                }
                MarketEvent::Backfilled { .. } => self.catch_up_due = true,
                _ => {}
            }
        }
    }

    async fn connection(&mut self) -> Option<&mut redis::aio::ConnectionManager> {
        if self.conn.is_none() {
            match crate::conn::manager(&self.client).await {
                Ok(conn) => self.conn = Some(conn),
                Err(err) => {
                    self.set_error(Some(err.to_string()));
                    return None;
                }
            }
        }
        self.conn.as_mut()
    }

    fn set_error(&self, error: Option<String>) {
        let mut status = self.status.lock();
        if error.is_some() {
            status.leader = false;
        }
        status.redis_error = error;
    }

    async fn renew(&mut self) {
        let lease = self.lease.clone();
        let Some(conn) = self.connection().await else {
            return;
        };
        match lease.claim_seeing(conn).await {
            Ok((claim, holder)) => {
                let was = {
                    let mut status = self.status.lock();
                    let was = status.leader;
                    status.leader = claim.held();
                    status.holder = holder;
                    status.redis_error = None;
                    was
                };
                if claim == Claim::Acquired || (claim.held() && !was) {
                    info!(id = lease.id(), "leader lease acquired");
                    metrics::counter!("sift_collector_takeovers_total").increment(1);
                    self.catch_up_due = true;
                    self.catch_up().await;
                } else if !claim.held() && was {
                    warn!("leader lease lost; publishing stopped");
                }
            }
            Err(err) => {
                warn!(error = %err, "leader lease not renewed; publishing stopped");
                self.set_error(Some(err.to_string()));
            }
        }
    }

    fn leader(&self) -> bool {
        self.status.lock().leader
    }

    async fn on_closes(&mut self, bursts: Vec<CloseBurst>) {
        if !self.leader() {
            return;
        }
        if self.catch_up_due {
            self.catch_up().await;
        }
        // Closes a catch-up already published.
        let bursts: Vec<CloseBurst> = bursts
            .into_iter()
            .filter(|b| b.late || self.local.get(&b.interval).is_none_or(|&t| b.open_time > t))
            .collect();
        if bursts.is_empty() {
            return;
        }
        if !self.publish(&bursts).await {
            // Not written: the next catch-up publishes it from the candle store.
            self.catch_up_due = true;
        }
    }

    /// Publishes one close instant; whether it was written.
    async fn publish(&mut self, bursts: &[CloseBurst]) -> bool {
        let publisher = self.publisher.clone();
        let Some(conn) = self.connection().await else {
            return false;
        };
        match publisher.publish(conn, bursts).await {
            Ok(true) => {
                let mut status = self.status.lock();
                for burst in bursts {
                    let t = status.published.entry(burst.interval).or_insert(i64::MIN);
                    *t = (*t).max(burst.open_time);
                }
                status.closes_published += 1;
                metrics::counter!("sift_closes_published_total").increment(1);
                true
            }
            Ok(false) => {
                warn!("not the leader any more; publishing stopped");
                self.status.lock().leader = false;
                false
            }
            Err(err) => {
                warn!(error = %err, "closes not published");
                false
            }
        }
    }

    /// Publishes the closes held in the candle store after the newest published one of each
    /// interval, oldest instant first.
    async fn catch_up(&mut self) {
        let publisher = self.publisher.clone();
        let Some(conn) = self.connection().await else {
            return;
        };
        let mut published = match publisher.published(conn).await {
            Ok(published) => published,
            Err(err) => {
                warn!(error = %err, "reading the published closes failed");
                return;
            }
        };
        // Redis lost its data (restarted without persistence): what this process published
        // still says where to resume. When Redis has a value (possibly an older snapshot's),
        // it wins: entries after it may be gone, and republishing them is harmless.
        for (interval, &t) in &self.status.lock().published {
            published.entry(*interval).or_insert(t);
        }
        let symbols = self.candles.symbols().unwrap_or_default();
        // close time -> (interval, open time) -> candles
        let mut instants: BTreeMap<i64, Closes> = BTreeMap::new();
        for (&interval, &after) in &published {
            for symbol in &symbols {
                let Ok(candles) = self.candles.last_closed(symbol, interval, self.history) else {
                    continue;
                };
                for candle in candles.into_iter().filter(|c| c.open_time > after) {
                    instants
                        .entry(candle.close_time)
                        .or_default()
                        .entry((interval, candle.open_time))
                        .or_default()
                        .push((symbol.clone(), candle));
                }
            }
        }
        let skip = instants.len().saturating_sub(CATCH_UP_MAX);
        let count = instants.len() - skip;
        for (_, groups) in instants.into_iter().skip(skip) {
            let bursts: Vec<CloseBurst> = groups
                .into_iter()
                .map(|((interval, open_time), candles)| CloseBurst {
                    interval,
                    open_time,
                    candles,
                    late: true,
                })
                .collect();
            if !self.publish(&bursts).await {
                return;
            }
            for burst in &bursts {
                let t = self.local.entry(burst.interval).or_insert(i64::MIN);
                *t = (*t).max(burst.open_time);
            }
        }
        if count > 0 {
            info!(instants = count, "caught up on closes not yet published");
        }
        self.catch_up_due = false;
    }
}
