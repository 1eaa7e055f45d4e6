//! A fake Binance spot market-data server for tests and demos, on top of
//! [`sift_sim::LiveMarket`].
//!
//! It serves what Sift's client uses, as Binance does (see `shared/BINANCE.md`):
//! - WebSocket `/ws/<stream>` (raw events), `/ws` (subscribe later) and
//!   `/stream?streams=<a>/<b>` (`{"stream":...,"data":...}`), with `SUBSCRIBE`,
//!   `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`/`GET_PROPERTY ["combined"]` and their
//!   error codes; streams `<symbol>@kline_<interval>` (the forming candle every
//!   `kline_push_interval` of market time, exactly one `x=true` per candle at its close, then the
//!   next candle), `<symbol>@miniTicker` and `!miniTicker@arr` (every `ticker_interval`, changed
//!   symbols only); a ping every `ping_interval`, a client that does not echo one within
//!   `pong_timeout` is dropped; more than `max_messages_per_second` incoming messages in a
//!   second drops the client; at most `max_streams_per_connection` streams (a larger URL is
//!   refused with 400, a larger `SUBSCRIBE` answered with error code 2); connections closed at
//!   `max_connection_age`.
//! - REST `/api/v3/klines`, `exchangeInfo`, `ticker/24hr` (FULL and MINI, object or array),
//!   `ping` and `time`, each charging its weight: `X-MBX-USED-WEIGHT-1M` on every response,
//!   429 with `Retry-After` over `weight_limit`, then 418 (banned for `ban_duration`) for a
//!   request during that 429's window.
//! - Faults, from tests ([`FakeBinance::set_faults`]) or by hand (`POST /fake/faults`): see
//!   [`Faults`].
//!
//! The market clock starts at `start_ms` (default: the wall clock) and runs `speed` times
//! faster than wall time; pushes never come faster than `min_push_interval` of wall time, so
//! at high speed forming updates and tickers thin out while every close is still sent. Pong
//! timeout, ping interval, connection age, ban and fault durations are wall-clock. Candles are
//! a function of the seed and the start time alone; REST klines (and
//! [`FakeBinance::ground_truth`]) are the truth the WebSocket's closes must add up to.
//!
//! Halts (minutes without any candle, [`FakeConfig::gaps`]) are off by default: tests that
//! want the history served to have holes turn them on.
//!
//! # Layout
//! - `shared`: the state behind every handler and task; `clock`: the sped-up market clock.
//! - `driver`: the task advancing the market and producing data events.
//! - `ws` (endpoints), `connection` (one socket), `control` (control messages),
//!   `streams` (stream names and the subscription registry).
//! - `rest` (market data endpoints), `limiter` (weight, 429, 418), `admin` (`/fake/faults`).
//! - `faults`: [`Faults`] and the set in force; `stats`: [`FakeStats`]; `json`: Binance's JSON.

mod admin;
mod clock;
mod connection;
mod control;
mod driver;
mod faults;
mod json;
mod limiter;
mod rest;
mod shared;
mod stats;
mod streams;
mod ws;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use axum::Router;
use axum::routing::get;
use sift_core::{Candle, Interval, Symbol};
use sift_sim::{Gaps, LiveConfig, LiveMarket, Status};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

pub use faults::{Faults, KlineGap};
pub use stats::FakeStats;

use clock::MarketClock;
use shared::Shared;

/// How long [`FakeBinance::shutdown`] waits for each task.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// What the fake server simulates and how strictly it behaves. Durations are wall-clock except
/// `kline_push_interval` and `ticker_interval`, which are market time.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeConfig {
    /// Pairs listed: `BTCUSDT`, `ETHUSDT`, ... (see [`sift_sim::LiveMarket`]); default 50.
    pub symbols: usize,
    pub seed: u64,
    /// Market milliseconds per wall millisecond (default 1).
    pub speed: f64,
    /// Market time at the start, epoch ms (default: the wall clock).
    pub start_ms: Option<i64>,
    /// History before the start (default 3 days: quick to generate in debug builds).
    pub history_minutes: i64,
    /// Closed candles kept (and served) per pair and interval (default 1,500).
    pub kept_per_interval: usize,
    /// Intervals served (default `1m` to `1M`); others answer `-1120`.
    pub intervals: Vec<Interval>,
    /// Halted minutes without candles (default none).
    pub gaps: Option<Gaps>,
    /// Pairs not `TRADING` in exchangeInfo (default `ALGOUSDT` HALT and `XLMUSDT` BREAK,
    /// listed from 40 pairs on).
    pub halted: Vec<(Symbol, Status)>,
    pub ping_interval: Duration,
    pub pong_timeout: Duration,
    /// Market time between forming-kline updates (default 2 s).
    pub kline_push_interval: Duration,
    /// Market time between ticker updates (default 1 s).
    pub ticker_interval: Duration,
    /// Wall-time floor of both cadences (default 20 ms).
    pub min_push_interval: Duration,
    pub weight_limit: u32,
    /// The weight window (default a minute).
    pub weight_window: Duration,
    /// How long a 418 ban lasts (default 2 minutes).
    pub ban_duration: Duration,
    pub max_streams_per_connection: usize,
    pub max_messages_per_second: u32,
    /// Connection attempts per 5 minutes (default 300).
    pub max_connection_attempts: usize,
    /// Connections are closed at this age (default 24 h).
    pub max_connection_age: Duration,
    /// Between `serverShutdown` and the close (default 1 s).
    pub shutdown_grace: Duration,
}

impl Default for FakeConfig {
    fn default() -> Self {
        let halted = [("ALGOUSDT", Status::Halt), ("XLMUSDT", Status::Break)]
            .into_iter()
            .filter_map(|(name, status)| Some((name.parse().ok()?, status)))
            .collect();
        Self {
            symbols: 50,
            seed: 1,
            speed: 1.0,
            start_ms: None,
            history_minutes: 3 * 24 * 60,
            kept_per_interval: 1_500,
            intervals: LiveConfig::default().intervals,
            gaps: None,
            halted,
            ping_interval: Duration::from_secs(20),
            pong_timeout: Duration::from_secs(60),
            kline_push_interval: Duration::from_secs(2),
            ticker_interval: Duration::from_secs(1),
            min_push_interval: Duration::from_millis(20),
            weight_limit: 6_000,
            weight_window: Duration::from_secs(60),
            ban_duration: Duration::from_secs(120),
            max_streams_per_connection: 1_024,
            max_messages_per_second: 5,
            max_connection_attempts: 300,
            max_connection_age: Duration::from_secs(24 * 3_600),
            shutdown_grace: Duration::from_secs(1),
        }
    }
}

/// A running fake Binance server. Dropping it stops its tasks; [`shutdown`](Self::shutdown)
/// also waits for them.
#[derive(Debug)]
pub struct FakeBinance {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: Option<JoinHandle<()>>,
    driver: Option<JoinHandle<()>>,
}

impl FakeBinance {
    /// Starts on `127.0.0.1` at a free port.
    pub async fn start(config: FakeConfig) -> anyhow::Result<Self> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts on `addr` once the market's history is generated.
    pub async fn start_on(config: FakeConfig, addr: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the fake binance server to {addr}"))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let start_ms = config.start_ms.unwrap_or_else(wall_clock_ms);
        let live = LiveConfig {
            seed: config.seed,
            symbols: config.symbols,
            history_minutes: config.history_minutes,
            kept_per_interval: config.kept_per_interval,
            intervals: config.intervals.clone(),
            gaps: config.gaps,
            statuses: config.halted.clone(),
        };
        let market = tokio::task::spawn_blocking(move || LiveMarket::new(live, start_ms))
            .await
            .context("generating the simulated market")?;
        let clock = MarketClock::new(start_ms, config.speed);
        let shared = Arc::new(Shared::new(config, market, clock));
        let driver = tokio::spawn(driver::run(Arc::clone(&shared)));
        let app = router(Arc::clone(&shared));
        let cancel = shared.cancel.clone();
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(cancel.cancelled_owned());
            if let Err(error) = serve.await {
                warn!(error = %error, "fake binance server failed");
            }
        });
        debug!(%addr, "fake binance server started");
        Ok(Self {
            shared,
            addr,
            server: Some(server),
            driver: Some(driver),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://127.0.0.1:PORT`; clients append `/ws/<stream>` or `/stream?streams=...`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The market clock, epoch milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.shared.clock.now_ms()
    }

    /// Merges `faults` into the set in force, as `POST /fake/faults` does.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.apply_faults(&faults);
    }

    /// The faults in force, as `GET /fake/faults` shows them.
    pub fn faults(&self) -> Faults {
        self.shared.faults_view()
    }

    /// The closed candles REST serves, opening in `[from_open, to_open)`.
    pub fn ground_truth(
        &self,
        symbol: &Symbol,
        interval: Interval,
        from_open: i64,
        to_open: i64,
    ) -> Vec<Candle> {
        self.shared
            .ground_truth(symbol, interval, from_open, to_open)
    }

    /// Every listed pair.
    pub fn symbols(&self) -> Vec<Symbol> {
        self.shared.market.lock().symbols().to_vec()
    }

    /// Changes a pair's exchangeInfo status at run time; `false` for an unknown pair.
    pub fn set_status(&self, symbol: &Symbol, status: Status) -> bool {
        self.shared.market.lock().set_status(symbol, status)
    }

    pub fn stats(&self) -> FakeStats {
        self.shared.stats.snapshot()
    }

    /// Stops accepting, closes every connection and waits for the tasks.
    pub async fn shutdown(mut self) {
        self.shared.cancel.cancel();
        for handle in [self.server.take(), self.driver.take()]
            .into_iter()
            .flatten()
        {
            if tokio::time::timeout(SHUTDOWN_TIMEOUT, handle)
                .await
                .is_err()
            {
                warn!("fake binance task did not stop in time");
            }
        }
        self.shared.connections.close();
        if tokio::time::timeout(SHUTDOWN_TIMEOUT, self.shared.connections.wait())
            .await
            .is_err()
        {
            warn!("fake binance connections did not close in time");
        }
    }
}

impl Drop for FakeBinance {
    fn drop(&mut self) {
        self.shared.cancel.cancel();
    }
}

/// The fake server's routes.
fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v3/ping", get(rest::ping))
        .route("/api/v3/time", get(rest::time))
        .route("/api/v3/klines", get(rest::klines))
        .route("/api/v3/exchangeInfo", get(rest::exchange_info))
        .route("/api/v3/ticker/24hr", get(rest::ticker_24hr))
        .route(
            "/fake/faults",
            get(admin::get_faults).post(admin::post_faults),
        )
        .route("/ws", get(ws::raw_root))
        .route("/ws/{*streams}", get(ws::raw))
        .route("/stream", get(ws::combined))
        .with_state(shared)
}

fn wall_clock_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
