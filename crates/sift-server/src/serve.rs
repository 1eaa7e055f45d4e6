//! `sift serve`: market, candle store, engine, store, API and stream in one process.
//!
//! Start order: open and migrate the store, bootstrap the admin, seed the built-in traders,
//! load the traders into the engine, start the collector (which backfills, then hands on
//! closes), the pipeline, the retention job and the HTTP server. Shutdown (the token fires on
//! SIGINT/SIGTERM): the HTTP server stops taking requests and drains, the collector stops, the
//! pipeline finishes the close in flight (its commit included), the mirror flushes, the store
//! closes.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Context;
use metrics_exporter_prometheus::PrometheusHandle;
use secrecy::ExposeSecret;
use sift_api::{AppState, Hub};
use sift_candles::{CandleStore, Capacities, MemoryCandleStore};
use sift_engine::EngineConfig;
use sift_market::Collector;
use sift_redis::{MirrorConfig, RedisConfig, RedisMirror};
use sift_store::Store;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::control::ServerControl;
use crate::evaluator::Evaluator;
use crate::market::collector_config;
use crate::pipeline::Pipeline;
use crate::settings::Settings;
use crate::store_history::{StoreHistory, WARM_MARGIN};

/// Market events waiting for the pipeline. A close burst of 500 symbols is one event; forming
/// and ticker events (dropped by the collector when this is full) come a few per second.
const MARKET_EVENTS: usize = 1024;
/// Trader changes waiting for the engine (human-paced; a bulk import may send hundreds).
const TRADER_CHANGES: usize = 4096;
/// What the caller may look at once the server runs: the address it listens on (port 0 picks
/// a free one), and the candle store and engine, for figures such as `sift bench serve`'s. The
/// engine thread lives until its last handle is dropped.
#[derive(Clone)]
pub struct Started {
    pub addr: SocketAddr,
    pub candles: Arc<dyn CandleStore>,
    pub evaluator: Evaluator,
}

impl std::fmt::Debug for Started {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Started")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Runs `sift serve` until `cancel` fires. `env` supplies `SIFT_ADMIN_EMAIL` and
/// `SIFT_ADMIN_PASSWORD` (the first admin) and nothing else; `started` learns the bound
/// address.
///
/// # Errors
/// When a component cannot start (store, listener, market source); failures after start are
/// logged and the process keeps serving what it can.
pub async fn run(
    settings: Settings,
    env: &BTreeMap<String, String>,
    metrics: Option<PrometheusHandle>,
    cancel: CancellationToken,
    started: Option<tokio::sync::oneshot::Sender<Started>>,
) -> anyhow::Result<()> {
    let store = open_store(&settings).await?;
    crate::bootstrap::admin_from_env(store.as_ref(), env).await?;
    crate::bootstrap::seed_builtins(store.as_ref()).await?;
    let paused = Arc::new(AtomicBool::new(
        crate::bootstrap::paused(store.as_ref()).await?,
    ));

    let history = settings.market.history.max(1);
    // The engine warms from this store (no copy of its own): a margin over `history` keeps its
    // whole window while the store runs ahead of it.
    let kept = history + WARM_MARGIN;
    let memory = MemoryCandleStore::new(Capacities::new(kept).context("market.history")?);
    let mut tasks = JoinSet::new();
    let (candles, mirror): (Arc<dyn CandleStore>, Option<RedisMirror>) = match &settings.redis.url {
        Some(url) => {
            let config = MirrorConfig::new(RedisConfig::new(url.expose_secret()));
            let (mirror, task) =
                RedisMirror::spawn(memory, config, cancel.child_token()).context("redis.url")?;
            tasks.spawn(async move {
                task.await.context("the redis mirror task panicked")?;
                Ok(())
            });
            (Arc::new(mirror.clone()), Some(mirror))
        }
        None => (Arc::new(memory), None),
    };

    let evaluator = Evaluator::start_with_history(
        EngineConfig {
            candle_capacity: history,
            ..EngineConfig::default()
        },
        Arc::new(StoreHistory::new(Arc::clone(&candles), kept)),
    )
    .context("starting the engine thread")?;
    let hub = Hub::new();
    let engine = evaluator.clone();
    let mut pipeline = Pipeline::new(
        Arc::clone(&store),
        Arc::clone(&candles),
        evaluator,
        hub.clone(),
        Arc::clone(&paused),
        history,
    );
    pipeline.intervals.clone_from(&settings.market.intervals);
    let traders = pipeline.load_traders().await?;
    info!(traders, "traders loaded");

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
    let (changes_tx, changes_rx) = mpsc::channel(TRADER_CHANGES);
    let control = ServerControl::new(
        changes_tx,
        Arc::clone(&paused),
        collector.handle(),
        Arc::clone(&candles),
        mirror,
        pipeline.status(),
    );
    let probe = ServerControl::probe_store(
        control.store_health(),
        Arc::clone(&store),
        cancel.child_token(),
    );
    tasks.spawn(async move {
        probe.await;
        Ok(())
    });
    let pipeline_cancel = CancellationToken::new();
    let pipeline_task = tokio::spawn(pipeline.run(events_rx, changes_rx, pipeline_cancel.clone()));
    tasks.spawn(crate::retention::run(
        Arc::clone(&store),
        settings.retention.clone(),
        cancel.child_token(),
    ));
    // Seals channel secrets in the API and opens them in the dispatcher.
    let notify_key = notify_key(&settings)?;
    let notifier = sift_notify::Dispatcher::spawn(
        Arc::clone(&store),
        settings.notify.clone(),
        notify_key.clone(),
        cancel.child_token(),
    )
    .context("notify")?;
    tasks.spawn(async move {
        notifier.join().await;
        Ok(())
    });

    let mut state = AppState::new(
        Arc::clone(&store),
        Arc::clone(&candles),
        hub.clone(),
        Arc::new(control),
        settings.api.clone(),
    )
    .with_notify_key(notify_key);
    if let Some(handle) = metrics {
        state = state.with_metrics(handle);
    }
    if settings.ai.is_configured() {
        let drafter =
            sift_ai::Drafter::new(settings.ai.clone()).context("setting up AI drafting")?;
        info!(model = %settings.ai.model, "ai drafting enabled");
        state = state.with_ai(Arc::new(drafter));
    }
    let listener = TcpListener::bind(settings.server.listen)
        .await
        .with_context(|| format!("listening on {}", settings.server.listen))?;
    let addr = listener.local_addr()?;
    info!(%addr, "listening");
    if let Some(started) = started {
        let _ = started.send(Started {
            addr,
            candles: Arc::clone(&candles),
            evaluator: engine,
        });
    }
    let app = sift_api::router(state)
        .merge(sift_web::router())
        .into_make_service_with_connect_info::<SocketAddr>();
    let http_cancel = cancel.clone();
    let http_hub = hub.clone();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        http_cancel.cancelled().await;
        // End the streams so their connections can drain.
        http_hub.shutdown();
    });
    let served = server.await.context("http server");

    // The HTTP server has drained; stop the market, then let the pipeline finish what it holds.
    market_cancel.cancel();
    if let Err(err) = collector.wait().await {
        warn!(error = %format!("{err:#}"), "market stopped with an error");
    }
    pipeline_cancel.cancel();
    pipeline_task.await.context("the pipeline task panicked")?;
    while let Some(result) = tasks.join_next().await {
        match result {
            Ok(Ok(())) => {}
            Ok(Err(err)) => warn!(error = %format!("{err:#}"), "task failed"),
            Err(err) => warn!(error = %err, "task panicked"),
        }
    }
    store.close().await;
    info!("stopped");
    served
}

/// The key that seals notification channel secrets: `notify.secret_key`, else the one kept in
/// the data directory (created on first start).
///
/// # Errors
/// When the setting or the key file is not a key, or the file cannot be created.
pub fn notify_key(settings: &Settings) -> anyhow::Result<sift_notify::SecretKey> {
    sift_notify::SecretKey::resolve(&settings.notify, &settings.server.data_dir)
        .context("the notification secret key")
}

/// PostgreSQL when `database.url` is set, else SQLite in the data directory; migrated.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let location = match &settings.database.url {
        Some(url) => url.expose_secret().to_owned(),
        None => {
            let dir = &settings.server.data_dir;
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the data directory {}", dir.display()))?;
            dir.join("sift.db").display().to_string()
        }
    };
    let store = tokio::time::timeout(Duration::from_secs(30), sift_store::open(&location))
        .await
        .context("opening the database timed out")?
        .context("opening the database")?;
    info!(backend = store.backend(), "database ready");
    Ok(store)
}

/// Cancels `cancel` on SIGINT or SIGTERM.
pub async fn shutdown_on_signals(cancel: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        () = term => {}
        () = cancel.cancelled() => return,
    }
    info!("shutting down");
    cancel.cancel();
}
