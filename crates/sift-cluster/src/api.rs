//! `sift api`: the REST API, the stream and the UI over the shared store and Redis. Signals
//! committed by any worker reach this instance's stream clients through `sift:signals`;
//! trader changes and the execution switch made here reach the workers (and the other api
//! instances) through `sift:traders`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures_util::StreamExt;
use metrics_exporter_prometheus::PrometheusHandle;
use parking_lot::Mutex;
use serde_json::{Value, json};
use sift_api::{AppState, Control, HealthReport, Hub, SymbolStatus, TraderVisibility};
use sift_candles::{CandleStore, Capacities};
use sift_core::Symbol;
use sift_redis::{RedisCandleStore, RedisConfig};
use sift_server::Settings;
use sift_server::control::ServerControl;
use sift_store::{Signal, Store};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::entry::{SignalMessage, TraderMessage};
use crate::keys::ClusterKeys;
use crate::lease::Lease;

/// How often the cluster view (leader, workers, symbols) shown by `/health` is refreshed
/// (four commands: about 11,500 a day).
const REFRESH: Duration = Duration::from_secs(30);
/// Wait before subscribing again after a failure.
const RESUBSCRIBE: Duration = Duration::from_millis(500);

/// Runs the api role until `cancel`; `env` supplies the admin bootstrap variables; `started`
/// learns the bound address.
///
/// # Errors
/// When Redis or the database is not configured or cannot be reached at start, or the
/// listener cannot bind.
pub async fn run(
    settings: Settings,
    prefix: String,
    env: &BTreeMap<String, String>,
    metrics: Option<PrometheusHandle>,
    cancel: CancellationToken,
    started: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
) -> anyhow::Result<()> {
    let url = crate::redis_url(&settings, "api")?;
    crate::require_database(&settings, "api")?;
    let store = sift_server::serve::open_store(&settings).await?;
    sift_server::bootstrap::admin_from_env(store.as_ref(), env).await?;
    sift_server::bootstrap::seed_builtins(store.as_ref()).await?;

    let history = settings.market.history.max(1);
    let redis = RedisConfig::new(&url).with_prefix(prefix.clone());
    let capacities = Capacities::new(history).context("market.history")?;
    let candles =
        tokio::task::spawn_blocking(move || RedisCandleStore::connect(&redis, capacities))
            .await
            .context("connecting to redis panicked")?
            .context("connecting to redis")?;
    let client = crate::conn::client(&url).context("redis.url")?;
    let conn = crate::conn::manager(&client)
        .await
        .context("connecting to redis")?;
    let keys = ClusterKeys::new(prefix);
    let hub = Hub::new();

    let (messages_tx, messages_rx) = mpsc::unbounded_channel();
    let control = Arc::new(ClusterControl {
        messages: messages_tx,
        store_health: Arc::new(Mutex::new(json!({"status": "unknown"}))),
        cluster: Arc::new(Mutex::new(json!({"status": "unknown"}))),
        symbols: Arc::new(Mutex::new(Vec::new())),
    });
    let tasks_cancel = CancellationToken::new();
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(ServerControl::probe_store(
        Arc::clone(&control.store_health),
        Arc::clone(&store),
        tasks_cancel.clone(),
    ));
    tasks.spawn(announce(conn.clone(), keys.clone(), messages_rx));
    tasks.spawn(refresh(
        conn,
        keys.clone(),
        candles.clone(),
        Arc::clone(&control.cluster),
        Arc::clone(&control.symbols),
        tasks_cancel.clone(),
    ));

    let mut state = AppState::new(
        Arc::clone(&store),
        Arc::new(candles),
        hub.clone(),
        Arc::clone(&control) as Arc<dyn Control>,
        settings.api.clone(),
    )
    .with_notify_key(crate::notify_key(&settings)?);
    if let Some(handle) = metrics {
        state = state.with_metrics(handle);
    }
    if settings.ai.is_configured() {
        let drafter =
            sift_ai::Drafter::new(settings.ai.clone()).context("setting up AI drafting")?;
        info!(model = %settings.ai.model, "ai drafting enabled");
        state = state.with_ai(Arc::new(drafter));
    }
    // Subscribed before serving, so no signal committed after a client connects is missed.
    let pubsub = subscribe(&client, &keys, &cancel).await?;
    tasks.spawn(forward(
        client,
        keys,
        pubsub,
        state.clone(),
        Arc::clone(&store),
        tasks_cancel.clone(),
    ));

    let listener = TcpListener::bind(settings.server.listen)
        .await
        .with_context(|| format!("listening on {}", settings.server.listen))?;
    let addr = listener.local_addr()?;
    info!(%addr, "listening");
    if let Some(started) = started {
        let _ = started.send(addr);
    }
    let app = sift_api::router(state)
        .merge(sift_web::router())
        .into_make_service_with_connect_info::<SocketAddr>();
    let http_hub = hub.clone();
    let http_cancel = cancel.clone();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            http_cancel.cancelled().await;
            http_hub.shutdown();
        })
        .await
        .context("http server");
    tasks_cancel.cancel();
    drop(control);
    while tasks.join_next().await.is_some() {}
    store.close().await;
    info!("stopped");
    served
}

/// Subscribes to the signal and trader channels, retrying until it works or `cancel`.
async fn subscribe(
    client: &redis::Client,
    keys: &ClusterKeys,
    cancel: &CancellationToken,
) -> anyhow::Result<redis::aio::PubSub> {
    loop {
        let attempt = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(keys.signals()).await?;
            pubsub.subscribe(keys.traders()).await?;
            redis::RedisResult::Ok(pubsub)
        }
        .await;
        match attempt {
            Ok(pubsub) => return Ok(pubsub),
            Err(err) => warn!(error = %err, "subscribing to the signal channel failed"),
        }
        tokio::select! {
            () = cancel.cancelled() => anyhow::bail!("stopped before subscribing"),
            () = tokio::time::sleep(RESUBSCRIBE) => {}
        }
    }
}

/// Signals forwarded, remembered to drop repeats after a replay.
const FORWARDED_KEPT: usize = 100_000;
/// After a lost subscription, stored signals are replayed from this many ids before the
/// newest one forwarded (workers commit concurrently, so ids arrive slightly out of order).
const REPLAY_WINDOW: i64 = 1_000;

/// Hands the workers' signals to the hub, each once; trader changes clear the api's caches.
/// After a lost subscription the signals committed meanwhile are replayed from the store.
async fn forward(
    client: redis::Client,
    keys: ClusterKeys,
    mut pubsub: redis::aio::PubSub,
    state: AppState,
    store: Arc<dyn Store>,
    cancel: CancellationToken,
) {
    let signals = keys.signals();
    let mut hub = Forwarder {
        state,
        store,
        forwarded: BTreeSet::new(),
        visibility: HashMap::new(),
    };
    loop {
        {
            let mut messages = pubsub.on_message();
            loop {
                let message = tokio::select! {
                    () = cancel.cancelled() => return,
                    message = messages.next() => message,
                };
                let Some(message) = message else { break };
                let payload: String = message.get_payload().unwrap_or_default();
                if message.get_channel_name() == signals {
                    match serde_json::from_str::<Vec<SignalMessage>>(&payload) {
                        Ok(batch) => {
                            for m in batch {
                                let (signal, visibility) = m.into_parts();
                                hub.visibility.insert(signal.trader_id, visibility);
                                hub.publish(&signal, &visibility);
                            }
                        }
                        Err(err) => warn!(error = %err, "malformed signal message"),
                    }
                } else {
                    hub.visibility.clear();
                    hub.state.store_changed();
                }
            }
        }
        warn!("signal subscription lost; resubscribing");
        match subscribe(&client, &keys, &cancel).await {
            Ok(next) => pubsub = next,
            Err(_) => return,
        }
        if let Err(err) = hub.replay().await {
            warn!(error = %format!("{err:#}"), "replaying stored signals failed");
        }
    }
}

struct Forwarder {
    state: AppState,
    store: Arc<dyn Store>,
    forwarded: BTreeSet<i64>,
    visibility: HashMap<i64, TraderVisibility>,
}

impl Forwarder {
    fn publish(&mut self, signal: &Signal, visibility: &TraderVisibility) {
        if !self.forwarded.insert(signal.id) {
            return;
        }
        if self.forwarded.len() > FORWARDED_KEPT {
            self.forwarded.pop_first();
        }
        self.state.hub().publish_signal(signal, visibility);
    }

    /// Publishes the stored signals this instance may have missed.
    async fn replay(&mut self) -> anyhow::Result<()> {
        let after = self
            .forwarded
            .last()
            .map_or(0, |&id| id.saturating_sub(REPLAY_WINDOW));
        let stored = self.store.signals_after_id(None, after, 10_000).await?;
        let mut replayed = 0;
        for signal in stored {
            if self.forwarded.contains(&signal.id) {
                continue;
            }
            let visibility = match self.visibility.get(&signal.trader_id) {
                Some(v) => *v,
                None => match self.store.get_trader(signal.trader_id).await? {
                    Some(trader) => {
                        let v = TraderVisibility::of(&trader);
                        self.visibility.insert(signal.trader_id, v);
                        v
                    }
                    None => continue,
                },
            };
            self.publish(&signal, &visibility);
            replayed += 1;
        }
        if replayed > 0 {
            info!(
                replayed,
                "signals missed while unsubscribed replayed from the store"
            );
        }
        Ok(())
    }
}

/// Publishes the control's announcements in order.
async fn announce(
    mut conn: redis::aio::ConnectionManager,
    keys: ClusterKeys,
    mut messages: mpsc::UnboundedReceiver<TraderMessage>,
) {
    let channel = keys.traders();
    while let Some(message) = messages.recv().await {
        let Ok(json) = serde_json::to_string(&message) else {
            continue;
        };
        let mut wait = Duration::from_millis(100);
        for _ in 0..20 {
            let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
                .arg(&channel)
                .arg(&json)
                .query_async(&mut conn)
                .await;
            match sent {
                Ok(_) => break,
                Err(err) => {
                    warn!(?message, error = %err, "trader change not announced; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(2));
                }
            }
        }
    }
}

/// Refreshes the cluster view for `/health` and the symbol list.
async fn refresh(
    mut conn: redis::aio::ConnectionManager,
    keys: ClusterKeys,
    candles: RedisCandleStore,
    cluster: Arc<Mutex<Value>>,
    symbols: Arc<Mutex<Vec<Symbol>>>,
    cancel: CancellationToken,
) {
    loop {
        let view = async {
            let leader = Lease::holder(&mut conn, &keys.leader()).await?;
            let published = crate::publish::published(&mut conn, &keys).await?;
            let workers: Vec<String> = redis::cmd("ZRANGE")
                .arg(keys.workers())
                .arg(0)
                .arg(-1)
                .query_async(&mut conn)
                .await?;
            let published: BTreeMap<String, i64> = published
                .into_iter()
                .map(|(i, t)| (i.to_string(), t))
                .collect();
            redis::RedisResult::Ok(json!({
                "status": "up",
                "leader": leader,
                "published": published,
                "workers": workers,
            }))
        }
        .await;
        *cluster.lock() =
            view.unwrap_or_else(|err| json!({"status": "down", "error": err.to_string()}));
        let reader = candles.clone();
        if let Ok(Ok(list)) = tokio::task::spawn_blocking(move || reader.symbols()).await {
            *symbols.lock() = list;
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(REFRESH) => {}
        }
    }
}

/// The api's [`Control`]: changes announced to the workers, health of the shared services.
struct ClusterControl {
    messages: mpsc::UnboundedSender<TraderMessage>,
    store_health: Arc<Mutex<Value>>,
    cluster: Arc<Mutex<Value>>,
    symbols: Arc<Mutex<Vec<Symbol>>>,
}

impl ClusterControl {
    fn send(&self, message: TraderMessage) {
        if self.messages.send(message).is_err() {
            warn!(?message, "trader change not announced: shutting down");
        }
    }
}

impl Control for ClusterControl {
    fn trader_changed(&self, id: i64) {
        self.send(TraderMessage::Changed { id });
    }

    fn trader_removed(&self, id: i64) {
        self.send(TraderMessage::Removed { id });
    }

    fn set_paused(&self, paused: bool) {
        // The store holds the switch (the handler wrote it); the workers re-read it.
        self.send(TraderMessage::Paused { paused });
    }

    fn health(&self) -> HealthReport {
        let store = self.store_health.lock().clone();
        let cluster = self.cluster.lock().clone();
        let usable = store["status"] == "up" && cluster["status"] == "up";
        HealthReport {
            usable,
            components: json!({"store": store, "cluster": cluster}),
        }
    }

    fn market_symbols(&self) -> Vec<SymbolStatus> {
        self.symbols
            .lock()
            .iter()
            .map(|symbol| SymbolStatus {
                symbol: symbol.clone(),
                status: "TRADING".to_owned(),
                watched: true,
                quote_volume: None,
            })
            .collect()
    }
}
