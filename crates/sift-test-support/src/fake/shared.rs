//! State shared by the REST handlers, the WebSocket connections and the market driver.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use sift_core::{Candle, Interval, Symbol};
use sift_sim::LiveMarket;
use tokio::sync::broadcast;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::FakeConfig;
use super::clock::MarketClock;
use super::faults::{ActiveFaults, Faults};
use super::limiter::Limiter;
use super::stats::Counters;
use super::streams::Registry;

/// Market pushes the connections may fall behind before they are dropped as slow: at the
/// fastest cadence (one push per `min_push_interval`, 20 ms) about 20 s.
pub(crate) const PUSH_CHANNEL: usize = 1_024;
/// Binance's window for counting connection attempts.
const ATTEMPT_WINDOW: Duration = Duration::from_secs(300);

/// What the market driver and the fault switches tell every connection.
#[derive(Debug, Clone)]
pub(crate) enum Push {
    /// Data events, in a deterministic order.
    Batch(Arc<Batch>),
    /// `disconnect_all`: drop the connection at once, without a close frame.
    Disconnect,
    /// `server_shutdown`: send `serverShutdown`, then close after the grace period.
    ServerShutdown,
}

/// The events of one market step.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(crate) events: Vec<Event>,
}

/// One data event: the canonical stream name and the raw (unwrapped) payload.
#[derive(Debug)]
pub(crate) struct Event {
    pub(crate) stream: String,
    pub(crate) payload: String,
    /// Whether this is a final kline update (`x=true`).
    pub(crate) close: bool,
}

/// Everything behind the fake server. Locks are parking_lot mutexes held for short sections
/// with no `.await` inside.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: FakeConfig,
    pub(crate) clock: MarketClock,
    pub(crate) market: Mutex<LiveMarket>,
    pub(crate) faults: Mutex<ActiveFaults>,
    pub(crate) limiter: Mutex<Limiter>,
    pub(crate) registry: Mutex<Registry>,
    attempts: Mutex<VecDeque<Instant>>,
    pub(crate) pushes: broadcast::Sender<Push>,
    pub(crate) stats: Counters,
    pub(crate) cancel: CancellationToken,
    /// The WebSocket connection tasks (spawned by axum on upgrade, tracked here).
    pub(crate) connections: TaskTracker,
    next_connection: AtomicU64,
}

impl Shared {
    pub(crate) fn new(config: FakeConfig, market: LiveMarket, clock: MarketClock) -> Self {
        let now = Instant::now();
        let limiter = Limiter::new(
            config.weight_limit,
            config.weight_window,
            config.ban_duration,
            now,
        );
        Self {
            config,
            clock,
            market: Mutex::new(market),
            faults: Mutex::new(ActiveFaults::default()),
            limiter: Mutex::new(limiter),
            registry: Mutex::new(Registry::default()),
            attempts: Mutex::new(VecDeque::new()),
            pushes: broadcast::channel(PUSH_CHANNEL).0,
            stats: Counters::default(),
            cancel: CancellationToken::new(),
            connections: TaskTracker::new(),
            next_connection: AtomicU64::new(0),
        }
    }

    pub(crate) fn next_connection_id(&self) -> u64 {
        self.next_connection.fetch_add(1, Ordering::Relaxed)
    }

    /// Runs `f` on the market advanced to the market clock's now.
    pub(crate) fn with_market<R>(&self, f: impl FnOnce(&mut LiveMarket, i64) -> R) -> R {
        let now = self.clock.now_ms();
        let mut market = self.market.lock();
        market.advance_to(now);
        f(&mut market, now)
    }

    /// Closed candles opening in `[from_open, to_open)`: what REST serves.
    pub(crate) fn ground_truth(
        &self,
        symbol: &Symbol,
        interval: Interval,
        from_open: i64,
        to_open: i64,
    ) -> Vec<Candle> {
        self.with_market(|m, _| m.closed(symbol, interval, from_open, to_open, usize::MAX))
    }

    /// Records a connection attempt; `false` when over the limit per 5 minutes.
    pub(crate) fn admit_attempt(&self) -> bool {
        let now = Instant::now();
        let mut attempts = self.attempts.lock();
        while attempts
            .front()
            .is_some_and(|t| now.duration_since(*t) >= ATTEMPT_WINDOW)
        {
            attempts.pop_front();
        }
        if attempts.len() >= self.config.max_connection_attempts {
            return false;
        }
        attempts.push_back(now);
        true
    }

    /// Merges `faults` into the set in force and performs the one-shot ones.
    pub(crate) fn apply_faults(&self, faults: &Faults) {
        let now = Instant::now();
        self.faults.lock().apply(faults, now);
        {
            let mut limiter = self.limiter.lock();
            if faults.clear {
                limiter.clear();
            }
            if let Some(s) = faults.rest_429_for_s {
                limiter.throttle_for(s, now);
            }
            if let Some(s) = faults.ban_418_for_s {
                limiter.ban_for(s, now);
            }
        }
        // No receiver (no connection) is fine: there is nobody to disconnect.
        if faults.disconnect_all {
            let _ = self.pushes.send(Push::Disconnect);
        }
        if faults.server_shutdown {
            let _ = self.pushes.send(Push::ServerShutdown);
        }
    }

    /// The faults in force, as `GET /fake/faults` shows them.
    pub(crate) fn faults_view(&self) -> Faults {
        let now = Instant::now();
        let (rest_429_for_s, ban_418_for_s) = self.limiter.lock().view(now);
        Faults {
            rest_429_for_s,
            ban_418_for_s,
            ..self.faults.lock().view(now)
        }
    }
}
