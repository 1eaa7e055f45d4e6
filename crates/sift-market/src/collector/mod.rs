//! The collector task: starting it, its loop, its handle, its health.

mod core;
mod jobs;
mod outcome;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use parking_lot::Mutex;
use sift_candles::CandleStore;
use sift_core::Symbol;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, info, info_span};

use self::core::Core;
use crate::feed::{Feed, FeedEvent};
use crate::health::{MarketHealth, Rates};
use crate::source::{self, SourceStats};
use crate::universe::Watched;
use crate::{MarketConfig, MarketEvent, SourceConfig};

/// Bounds of the housekeeping period (bursts' waits, stall checks, health).
const TICK_MIN: Duration = Duration::from_millis(20);
const TICK_MAX: Duration = Duration::from_millis(250);
/// How long the last events may wait for room in the channel at shutdown.
const SHUTDOWN_DRAIN: Duration = Duration::from_secs(1);

/// A running collector: see the [crate docs](crate).
#[derive(Debug)]
pub struct Collector {
    handle: MarketHandle,
    task: JoinHandle<anyhow::Result<()>>,
}

/// Runs a collector until `cancel` fires (or it fails): [`Collector::start`] then
/// [`Collector::wait`].
pub async fn run(
    config: MarketConfig,
    source: SourceConfig,
    store: Arc<dyn CandleStore>,
    events: mpsc::Sender<MarketEvent>,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    Collector::start(config, source, store, events, cancel)
        .await?
        .wait()
        .await
}

impl Collector {
    /// Validates `config`, starts the source (connecting, or building the simulated market,
    /// or reading the files) and the collector task, and returns at once.
    ///
    /// The task reads the universe, subscribes, backfills, then hands on closes through
    /// `events` and writes every candle to `store`. It stops when `cancel` fires, after
    /// writing the closes still gathering and stopping its fetches and the source; it fails
    /// when the `events` receiver is dropped or the source stops on its own.
    pub async fn start(
        config: MarketConfig,
        source: SourceConfig,
        store: Arc<dyn CandleStore>,
        events: mpsc::Sender<MarketEvent>,
        cancel: CancellationToken,
    ) -> anyhow::Result<Self> {
        let config = config.validate()?;
        let feed_cancel = cancel.child_token();
        let (feed, stats) = source::start(source, &config, feed_cancel.clone())
            .await
            .context("starting the market source")?;
        let shared = Arc::new(Mutex::new(Shared::new(feed.kind)));
        let handle = MarketHandle {
            shared: Arc::clone(&shared),
            stats: stats.clone(),
        };
        let core = Core::new(
            config,
            store,
            events,
            (feed.fetcher.clone(), feed.live.clone()),
            Arc::clone(&shared),
            cancel.clone(),
        );
        let span = info_span!("market", source = feed.kind);
        let task =
            tokio::spawn(run_loop(core, feed, stats, shared, cancel, feed_cancel).instrument(span));
        Ok(Self { handle, task })
    }

    /// A cheap handle for health and the watched symbols.
    pub fn handle(&self) -> MarketHandle {
        self.handle.clone()
    }

    /// Waits for the collector task to end.
    pub async fn wait(self) -> anyhow::Result<()> {
        self.task.await.context("the collector task panicked")?
    }
}

/// What the collector task publishes for its handle.
#[derive(Debug)]
pub(crate) struct Shared {
    health: MarketHealth,
    last_message: Option<Instant>,
    watched: Watched,
}

impl Shared {
    /// The universe changed: the handle shows it before the change is announced.
    pub(crate) fn set_watched(&mut self, watched: &Watched) {
        self.watched.clone_from(watched);
    }

    fn new(source: &'static str) -> Self {
        Self {
            health: MarketHealth {
                source,
                running: true,
                symbols_watched: 0,
                symbols_halted: 0,
                series_live: 0,
                series_repairing: 0,
                backfill: Default::default(),
                streams: 0,
                connections: Vec::new(),
                reconnects: 0,
                rollovers: 0,
                last_message_age_ms: None,
                messages_per_sec: 0.0,
                closes_per_sec: 0.0,
                malformed: 0,
                counters: Default::default(),
                rest: Default::default(),
            },
            last_message: None,
            watched: Watched::new(),
        }
    }
}

/// A cheap-clone view of a running collector.
#[derive(Debug, Clone)]
pub struct MarketHandle {
    shared: Arc<Mutex<Shared>>,
    stats: SourceStats,
}

impl MarketHandle {
    /// The current health: the collector's figures (refreshed every few hundred
    /// milliseconds) and the source's connections and REST figures (live).
    pub fn health(&self) -> MarketHealth {
        let (mut health, last_message) = {
            let shared = self.shared.lock();
            (shared.health.clone(), shared.last_message)
        };
        health.last_message_age_ms =
            last_message.map(|at| u64::try_from(at.elapsed().as_millis()).unwrap_or(u64::MAX));
        self.stats.fill(&mut health);
        health
    }

    /// The watched symbols, trading or halted, sorted.
    pub fn symbols(&self) -> Vec<Symbol> {
        self.shared.lock().watched.keys().cloned().collect()
    }

    /// The watched symbols that are not trading, sorted.
    pub fn halted(&self) -> Vec<Symbol> {
        let shared = self.shared.lock();
        shared
            .watched
            .iter()
            .filter(|(_, trading)| !**trading)
            .map(|(s, _)| s.clone())
            .collect()
    }
}

async fn run_loop(
    mut core: Core,
    feed: Feed,
    stats: SourceStats,
    shared: Arc<Mutex<Shared>>,
    cancel: CancellationToken,
    feed_cancel: CancellationToken,
) -> anyhow::Result<()> {
    let Feed {
        events: mut feed_events,
        task: feed_task,
        ..
    } = feed;
    let config = &core.config;
    let tick_every = (config.stall_grace.min(config.burst_wait) / 4).clamp(TICK_MIN, TICK_MAX);
    let refresh_every = config.universe_refresh;
    let mut tick = tokio::time::interval(tick_every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut refresh = tokio::time::interval_at(Instant::now() + refresh_every, refresh_every);
    refresh.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut rates = Rates::new(Instant::now());
    core.read_universe_after(core.ranks(), Duration::ZERO);
    info!(universe = ?core.config.universe, intervals = ?core.config.intervals, "collector started");

    let result = loop {
        core.pump();
        let step = tokio::select! {
            biased;
            () = cancel.cancelled() => break Ok(()),
            Some((work, result)) = core.jobs.next() => core.on_fetched(work, result).await,
            event = feed_events.recv() => match event {
                Some(event) => on_feed(&mut core, event).await,
                None => break Err(anyhow::anyhow!("the market source stopped")),
            },
            _ = tick.tick() => {
                let done = core.on_tick().await;
                rates.update(Instant::now(), &core.counters);
                stats.sample();
                publish(&core, &rates, &shared);
                done
            }
            _ = refresh.tick() => {
                core.read_universe_after(core.ranks(), Duration::ZERO);
                Ok(())
            }
        };
        if let Err(err) = step {
            break Err(err);
        }
    };

    // Write what is still gathering and hand on what the cancellation held back (for a
    // moment at most), then stop the fetches and the source.
    let ready = core.gatherer.flush_all();
    let flushed = core.emit(ready).await;
    core.drain(SHUTDOWN_DRAIN).await;
    core.jobs.shutdown().await;
    feed_cancel.cancel();
    drop(feed_events);
    let _ = feed_task.await;
    publish(&core, &rates, &shared);
    shared.lock().health.running = false;
    info!("collector stopped");
    result.and(flushed)
}

async fn on_feed(core: &mut Core, event: FeedEvent) -> anyhow::Result<()> {
    match event {
        FeedEvent::Kline(update) => core.on_kline(update).await,
        FeedEvent::Tickers(tickers) => {
            core.on_tickers(tickers);
            Ok(())
        }
        FeedEvent::Connected { series } => {
            core.on_connected(&series);
            Ok(())
        }
        FeedEvent::Disconnected { series } => {
            // The repair follows the matching `Connected`.
            tracing::debug!(series = series.len(), "series disconnected");
            Ok(())
        }
    }
}

fn publish(core: &Core, rates: &Rates, shared: &Mutex<Shared>) {
    let (live, busy) = core.series_counts();
    let halted = core.watched.values().filter(|t| !**t).count();
    let mut backfill = core.backfill;
    backfill.done = live;
    backfill.total = core.series.len();
    metrics::gauge!("sift_market_symbols").set(core.watched.len() as f64);
    metrics::gauge!("sift_market_symbols_halted").set(halted as f64);
    metrics::gauge!("sift_market_series_live").set(live as f64);
    metrics::gauge!("sift_market_series_repairing")
        .set(busy.saturating_sub(backfill.total - live) as f64);
    metrics::gauge!("sift_market_backfill_pending").set((backfill.total - live) as f64);
    if let Some(at) = core.last_message {
        metrics::gauge!("sift_market_last_message_age_seconds").set(at.elapsed().as_secs_f64());
    }
    // Plain field copies under the lock; nothing awaits while it is held.
    let mut shared = shared.lock();
    let health = &mut shared.health;
    health.symbols_watched = core.watched.len();
    health.symbols_halted = halted;
    health.series_live = live;
    health.series_repairing = busy.saturating_sub(backfill.total - live);
    health.backfill = backfill;
    health.messages_per_sec = rates.messages_per_sec;
    health.closes_per_sec = rates.closes_per_sec;
    health.counters = core.counters;
    shared.last_message = core.last_message;
}
