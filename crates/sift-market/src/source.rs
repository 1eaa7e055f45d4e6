//! Where market data comes from: Binance, the simulated market, or candle files.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use sift_binance::{RestClient, RestConfig, StreamConfig, StreamHandle};
use sift_sim::live::{LiveConfig, LiveMarket};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::MarketConfig;
use crate::feed::driven::{self, Clock, DrivenLive};
use crate::feed::replay::ReplayMarket;
use crate::feed::sim::SimMarket;
use crate::feed::{Feed, Fetcher, Live, binance};
use crate::health::{ConnectionHealth, MarketHealth, RestHealth};

/// Events buffered between a driven source and the collector.
const DRIVEN_EVENT_CAPACITY: usize = 4096;

/// The market source.
#[derive(Debug, Clone)]
pub enum SourceConfig {
    /// Binance (or a compatible server such as the fake one in tests) over REST and WebSocket.
    Binance {
        rest: RestConfig,
        streams: StreamConfig,
    },
    /// The seeded simulated market, its clock running `speed` times faster than real time from
    /// `start_ms` (default: now). History is read from the market directly.
    Sim {
        live: LiveConfig,
        speed: f64,
        start_ms: Option<i64>,
    },
    /// Candle files (Binance kline CSV or zip, or the long format) replayed at `speed` times
    /// real time with their own timestamps. The first `history` candles of each symbol's
    /// finest interval (up to the latest such instant over symbols) are history; the rest
    /// arrive as live closes. Intervals no file gives are built from finer ones; there are
    /// no forming candles, and tickers are computed from the candles.
    Replay { paths: Vec<PathBuf>, speed: f64 },
}

/// Where the handle reads the source's own figures.
#[derive(Debug, Clone)]
pub(crate) enum SourceStats {
    Binance {
        rest: RestClient,
        streams: StreamHandle,
        weight_peak: Arc<AtomicU64>,
    },
    Driven(DrivenLive),
}

impl SourceStats {
    /// Samples figures that need watching over time (the REST weight's peak).
    pub(crate) fn sample(&self) {
        if let Self::Binance {
            rest, weight_peak, ..
        } = self
        {
            weight_peak.fetch_max(rest.stats().used_weight, Ordering::Relaxed);
        }
    }

    /// Adds the source's connections, streams and REST figures to `health`.
    pub(crate) fn fill(&self, health: &mut MarketHealth) {
        match self {
            Self::Binance {
                rest,
                streams,
                weight_peak,
            } => {
                let r = rest.stats();
                let peak = weight_peak
                    .fetch_max(r.used_weight, Ordering::Relaxed)
                    .max(r.used_weight);
                health.rest = RestHealth {
                    requests: r.requests,
                    weight_used: r.used_weight,
                    weight_peak: peak,
                    status_429: r.status_429,
                    status_418: r.status_418,
                    retries: r.retries,
                    errors: r.errors,
                    banned_until_ms: r.banned_until_ms,
                };
                let s = streams.stats();
                health.streams = s.streams;
                health.malformed = s.malformed;
                health.reconnects = s.reconnects;
                health.rollovers = s.rollovers;
                health.connections = s
                    .connections
                    .iter()
                    .map(|c| ConnectionHealth {
                        id: c.id,
                        state: state_name(c.state),
                        streams: c.streams,
                        last_message_age_ms: c.last_message_age_ms,
                    })
                    .collect();
            }
            Self::Driven(live) => health.streams = live.streams(),
        }
    }
}

fn state_name(state: sift_binance::ConnectionState) -> &'static str {
    use sift_binance::ConnectionState::*;
    match state {
        Connecting => "connecting",
        Open => "open",
        Backoff => "backoff",
        Closing => "closing",
    }
}

/// Starts the source.
pub(crate) async fn start(
    source: SourceConfig,
    config: &MarketConfig,
    cancel: CancellationToken,
) -> anyhow::Result<(Feed, SourceStats)> {
    match source {
        SourceConfig::Binance { rest, streams } => {
            let (fetcher, live, events, task) = binance::start(rest, streams, cancel).await?;
            let stats = SourceStats::Binance {
                rest: fetcher.rest.clone(),
                streams: live.streams.clone(),
                weight_peak: Arc::default(),
            };
            let feed = Feed {
                fetcher: Fetcher::Binance(fetcher),
                live: Live::Binance(live),
                events,
                task,
                kind: "binance",
            };
            Ok((feed, stats))
        }
        SourceConfig::Sim {
            mut live,
            speed,
            start_ms,
        } => {
            check_speed(speed)?;
            live.intervals.extend(&config.intervals);
            let start_ms = start_ms.unwrap_or_else(wall_clock_ms);
            let market = tokio::task::spawn_blocking(move || LiveMarket::new(live, start_ms))
                .await
                .context("building the simulated market")?;
            driven_feed(
                Arc::new(SimMarket::new(market)),
                Clock::new(start_ms, speed),
                "sim",
                cancel,
            )
        }
        SourceConfig::Replay { paths, speed } => {
            check_speed(speed)?;
            let (intervals, history) = (config.intervals.clone(), config.history);
            let market = tokio::task::spawn_blocking(move || {
                ReplayMarket::load(&paths, &intervals, history)
            })
            .await
            .context("reading candle files")??;
            let clock = Clock::new(market.start(), speed);
            driven_feed(Arc::new(market), clock, "replay", cancel)
        }
    }
}

fn driven_feed(
    market: Arc<dyn driven::Driven>,
    clock: Clock,
    kind: &'static str,
    cancel: CancellationToken,
) -> anyhow::Result<(Feed, SourceStats)> {
    let (tx, events) = mpsc::channel(DRIVEN_EVENT_CAPACITY);
    let (live, task) = driven::spawn(Arc::clone(&market), clock, tx, cancel);
    let feed = Feed {
        fetcher: Fetcher::Driven { market, clock },
        live: Live::Driven(live.clone()),
        events,
        task,
        kind,
    };
    Ok((feed, SourceStats::Driven(live)))
}

fn check_speed(speed: f64) -> anyhow::Result<()> {
    anyhow::ensure!(
        speed.is_finite() && speed > 0.0,
        "speed must be a positive number, got {speed}"
    );
    Ok(())
}

/// Wall-clock epoch milliseconds.
fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
