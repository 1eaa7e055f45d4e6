//! `AppState`, the cheap-clone bundle of handles every route gets, and the interfaces the
//! server implements for it: [`Control`] (engine and market) and [`Clock`].

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use metrics_exporter_prometheus::PrometheusHandle;
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Value;
use sift_candles::CandleStore;
use sift_core::Symbol;
use sift_store::Store;
use tokio::sync::Semaphore;

use crate::cache::{IdentityCache, VisibleCache};
use crate::config::ApiConfig;
use crate::hub::Hub;
use crate::limits::{LoginThrottler, RateLimiter};

/// Wall-clock time, injectable so tests can move it.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now, UTC epoch milliseconds.
    fn now_ms(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// A clock that moves only when told to, for tests.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(now_ms: i64) -> Self {
        Self(AtomicI64::new(now_ms))
    }

    pub fn set(&self, now_ms: i64) {
        self.0.store(now_ms, Ordering::SeqCst);
    }

    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// What the API needs from the rest of the process (engine, market): implemented by the
/// server. Calls must return quickly (send on a channel, read a snapshot); they are made from
/// async handlers.
pub trait Control: Send + Sync {
    /// A trader was created or changed in the store (enabled, disabled, rule, symbols...): the
    /// engine reloads it from the store.
    fn trader_changed(&self, id: i64);
    /// A trader was deleted from the store.
    fn trader_removed(&self, id: i64);
    /// The global execution switch was flipped (already persisted in the store's settings
    /// under [`sift_store::SETTING_PAUSED`], `"true"` while paused).
    fn set_paused(&self, paused: bool);
    /// Component health for `/health`.
    fn health(&self) -> HealthReport;
    /// The market's symbols and their status, for `GET /market/symbols`.
    fn market_symbols(&self) -> Vec<SymbolStatus>;
}

/// The answer of `/health`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthReport {
    /// Whether the service can do its job; `/health` answers 200 when true, 503 otherwise.
    pub usable: bool,
    /// Per component (market, store, redis, engine...): free-form JSON such as
    /// `{"status": "up", "age_ms": 120}`.
    pub components: Value,
}

/// One market symbol and its status.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SymbolStatus {
    #[schema(value_type = String, example = "BTCUSDT")]
    pub symbol: Symbol,
    /// The exchange's status, such as `TRADING` or `BREAK`.
    pub status: String,
    /// Whether Sift currently watches it (is in the universe).
    pub watched: bool,
    /// 24 h quote volume, when known.
    pub quote_volume: Option<f64>,
}

/// A [`Control`] for tests and tools: records what it is told, reports a fixed health.
#[derive(Debug, Default)]
pub struct RecordingControl {
    paused: AtomicBool,
    unusable: AtomicBool,
    // Never held across an await.
    events: Mutex<Vec<ControlEvent>>,
    symbols: Mutex<Vec<SymbolStatus>>,
}

/// What a [`RecordingControl`] was told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlEvent {
    Changed(i64),
    Removed(i64),
    Paused(bool),
}

impl RecordingControl {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every call so far, oldest first.
    pub fn events(&self) -> Vec<ControlEvent> {
        self.events.lock().clone()
    }

    pub fn paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    /// Makes `/health` report the service unusable (or usable again).
    pub fn set_usable(&self, usable: bool) {
        self.unusable.store(!usable, Ordering::SeqCst);
    }

    /// The symbols `market_symbols` reports.
    pub fn set_symbols(&self, symbols: Vec<SymbolStatus>) {
        *self.symbols.lock() = symbols;
    }
}

impl Control for RecordingControl {
    fn trader_changed(&self, id: i64) {
        self.events.lock().push(ControlEvent::Changed(id));
    }

    fn trader_removed(&self, id: i64) {
        self.events.lock().push(ControlEvent::Removed(id));
    }

    fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::SeqCst);
        self.events.lock().push(ControlEvent::Paused(paused));
    }

    fn health(&self) -> HealthReport {
        let usable = !self.unusable.load(Ordering::SeqCst);
        let status = if usable { "up" } else { "down" };
        HealthReport {
            usable,
            components: serde_json::json!({ "engine": { "status": status } }),
        }
    }

    fn market_symbols(&self) -> Vec<SymbolStatus> {
        self.symbols.lock().clone()
    }
}

/// Everything a request handler can reach. Cheap to clone: handles only.
#[derive(Clone)]
pub struct AppState {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) candles: Arc<dyn CandleStore>,
    pub(crate) hub: Hub,
    pub(crate) control: Arc<dyn Control>,
    pub(crate) config: Arc<ApiConfig>,
    pub(crate) metrics: Option<PrometheusHandle>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) limiter: Arc<RateLimiter>,
    pub(crate) logins: Arc<LoginThrottler>,
    pub(crate) visible: Arc<VisibleCache>,
    pub(crate) identities: Arc<IdentityCache>,
    /// Slots for previews and backtests running on the blocking pool.
    pub(crate) evaluations: Arc<Semaphore>,
    /// The AI drafter; `None` when no endpoint is configured (drafts answer 503).
    pub(crate) ai: Option<Arc<sift_ai::Drafter>>,
    /// Seals channel secrets before they are stored; `None` stores them plain.
    pub(crate) notify_key: Option<sift_notify::SecretKey>,
}

/// Previews and backtests run at once: each keeps a core busy for up to seconds, and live
/// evaluation must keep the rest.
pub const EVALUATION_CONCURRENCY: usize = 2;

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("hub", &self.hub)
            .field("config", &self.config)
            .field("metrics", &self.metrics.is_some())
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// The state over these handles, with the system clock and without a metrics handle
    /// (`/metrics` then answers 404). The first call in a process hashes a dummy password
    /// (tens of milliseconds) so that logins with unknown emails take as long as others.
    pub fn new(
        store: Arc<dyn Store>,
        candles: Arc<dyn CandleStore>,
        hub: Hub,
        control: Arc<dyn Control>,
        config: ApiConfig,
    ) -> Self {
        crate::auth::account::dummy_hash();
        Self {
            store,
            candles,
            hub,
            control,
            config: Arc::new(config),
            metrics: None,
            clock: Arc::new(SystemClock),
            limiter: Arc::default(),
            logins: Arc::default(),
            visible: Arc::default(),
            identities: Arc::default(),
            evaluations: Arc::new(Semaphore::new(EVALUATION_CONCURRENCY)),
            ai: None,
            notify_key: None,
        }
    }

    /// Serves `/metrics` from this Prometheus recorder handle.
    pub fn with_metrics(mut self, handle: PrometheusHandle) -> Self {
        self.metrics = Some(handle);
        self
    }

    /// Drafts traders with `drafter` (`POST /traders/draft`).
    pub fn with_ai(mut self, drafter: Arc<sift_ai::Drafter>) -> Self {
        self.ai = Some(drafter);
        self
    }

    /// Seals channel secrets (webhook secrets, bot tokens, webhook URLs) with `key` before
    /// storing them: the key the notification dispatcher opens them with.
    pub fn with_notify_key(mut self, key: sift_notify::SecretKey) -> Self {
        self.notify_key = Some(key);
        self
    }

    /// Uses `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The realtime hub the server publishes signals, tickers and candles on.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Drops cached access data: call after changing traders or users in the store outside
    /// the API (seeding built-ins); otherwise such changes show within [`crate::cache::TTL_MS`].
    pub fn store_changed(&self) {
        self.visible.invalidate();
        self.identities.evict(|_, _| true);
    }

    pub fn config(&self) -> &ApiConfig {
        &self.config
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}
