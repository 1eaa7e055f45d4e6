//! What the API asks of the running process: trader changes to the engine, the execution
//! switch, health, and the market's symbols.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{Value, json};
use sift_api::{Control, HealthReport, SymbolStatus};
use sift_candles::CandleStore;
use sift_market::MarketHandle;
use sift_redis::RedisMirror;
use sift_store::Store;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::pipeline::TraderChange;
use crate::status::PipelineStatus;

/// How often the store's health is probed.
const PROBE_EVERY: Duration = Duration::from_secs(5);
/// A market silent for longer than this makes the service unusable (no data, no signals).
const MARKET_SILENCE_MS: u64 = 120_000;

/// The server's [`Control`]: cheap calls from handlers, no awaiting.
pub struct ServerControl {
    changes: mpsc::Sender<TraderChange>,
    paused: Arc<AtomicBool>,
    market: MarketHandle,
    candles: Arc<dyn CandleStore>,
    mirror: Option<RedisMirror>,
    pipeline: PipelineStatus,
    // Written by the probe task, read by `health`; never held across an await.
    store_health: Arc<Mutex<Value>>,
}

impl std::fmt::Debug for ServerControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerControl")
            .field("paused", &self.paused)
            .field("mirror", &self.mirror.is_some())
            .finish_non_exhaustive()
    }
}

impl ServerControl {
    pub fn new(
        changes: mpsc::Sender<TraderChange>,
        paused: Arc<AtomicBool>,
        market: MarketHandle,
        candles: Arc<dyn CandleStore>,
        mirror: Option<RedisMirror>,
        pipeline: PipelineStatus,
    ) -> Self {
        Self {
            changes,
            paused,
            market,
            candles,
            mirror,
            pipeline,
            store_health: Arc::new(Mutex::new(json!({"status": "unknown"}))),
        }
    }

    /// Probes the store every few seconds until `cancel`, for `/health`.
    pub async fn probe_store(
        store_health: Arc<Mutex<Value>>,
        store: Arc<dyn Store>,
        cancel: CancellationToken,
    ) {
        loop {
            let probe = tokio::time::timeout(PROBE_EVERY, store.ping()).await;
            let value = match probe {
                Ok(Ok(latency)) => json!({
                    "status": "up",
                    "backend": store.backend(),
                    "latency_ms": latency.as_secs_f64() * 1000.0,
                }),
                Ok(Err(err)) => {
                    json!({"status": "down", "backend": store.backend(), "error": err.to_string()})
                }
                Err(_) => {
                    json!({"status": "down", "backend": store.backend(), "error": "ping timed out"})
                }
            };
            *store_health.lock() = value;
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(PROBE_EVERY) => {}
            }
        }
    }

    /// The cell the store probe writes.
    pub fn store_health(&self) -> Arc<Mutex<Value>> {
        Arc::clone(&self.store_health)
    }

    fn send(&self, change: TraderChange) {
        if let Err(err) = self.changes.try_send(change) {
            warn!(?change, error = %err, "trader change queue full; the engine reloads it later");
        }
    }
}

impl Control for ServerControl {
    fn trader_changed(&self, id: i64) {
        self.send(TraderChange::Changed(id));
    }

    fn trader_removed(&self, id: i64) {
        self.send(TraderChange::Removed(id));
    }

    fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::SeqCst);
    }

    fn health(&self) -> HealthReport {
        let market = self.market.health();
        let silent = market
            .last_message_age_ms
            .is_none_or(|age| age > MARKET_SILENCE_MS);
        let market_up = market.running && !silent;
        let store = self.store_health.lock().clone();
        let store_up = store["status"] == "up";
        let mut components = BTreeMap::new();
        components.insert(
            "market",
            json!({"status": if market_up { "up" } else { "down" }, "details": market}),
        );
        components.insert("store", store);
        if let Some(mirror) = &self.mirror {
            let health = mirror.health();
            components.insert(
                "redis",
                json!({
                    "status": format!("{:?}", health.state).to_lowercase(),
                    "ping_ms": health.ping_latency.map(|d| d.as_secs_f64() * 1000.0),
                    "queue_depth": health.queue_depth,
                    "writes": health.writes,
                    "errors": health.errors,
                }),
            );
        }
        let progress = self.pipeline.snapshot();
        let engine = if self.paused.load(Ordering::SeqCst) {
            "paused"
        } else if progress.lagging() {
            "lagging"
        } else {
            "up"
        };
        components.insert("engine", json!({"status": engine, "details": progress}));
        HealthReport {
            usable: market_up && store_up,
            components: json!(components),
        }
    }

    fn market_symbols(&self) -> Vec<SymbolStatus> {
        let halted = self.market.halted();
        let now = crate::now_ms();
        self.market
            .symbols()
            .into_iter()
            .map(|symbol| {
                let quote_volume = self
                    .candles
                    .ticker(&symbol, now)
                    .ok()
                    .flatten()
                    .map(|t| t.quote_volume);
                let trading = !halted.contains(&symbol);
                SymbolStatus {
                    status: if trading { "TRADING" } else { "HALTED" }.to_owned(),
                    symbol,
                    watched: true,
                    quote_volume,
                }
            })
            .collect()
    }
}
