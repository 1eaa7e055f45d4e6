//! The server's settings for the benchmark, the admin's API token, waiting until the server is
//! live, and what is read afterwards (stored signals, memory).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};
use sift_api::config::RateLimits;
use sift_server::Settings;
use sift_server::settings::MarketSource;
use sift_store::{SignalFilter, SignalOrder, Store};

use super::INTERVALS;
use super::clients::Measured;
use super::exchange::{Exchange, MarketClock};
use super::population::Population;
use crate::cli::BenchServeArgs;

pub(super) const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_PASSWORD: &str = "bench-admin-password";
/// Requests per minute per caller: high enough that the rate limiter never answers 429, so
/// the benchmark measures the server rather than its limits.
const RATE_LIMIT: u32 = 1_000_000_000;
/// Limit on each of the benchmark's own requests.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(200);
const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;

/// `sift serve` on the exchange, SQLite in `data_dir`, listening on a free loopback port.
pub(super) fn settings(args: &BenchServeArgs, exchange: &Exchange, data_dir: &Path) -> Settings {
    let mut settings = Settings::default();
    settings.server.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    settings.server.data_dir = data_dir.to_owned();
    let market = &mut settings.market;
    market.source = MarketSource::Binance;
    market.binance.rest_url.clone_from(&exchange.rest_url);
    market.binance.ws_url.clone_from(&exchange.ws_url);
    market.symbols.clone_from(&exchange.symbols);
    market.intervals = INTERVALS.to_vec();
    market.history = args.history;
    settings.api.secure_cookies = false;
    settings.api.rate_limits = RateLimits {
        anonymous: RATE_LIMIT,
        free: RATE_LIMIT,
        pro: RATE_LIMIT,
        elite: RATE_LIMIT,
    };
    settings
}

/// The environment `serve` reads the first admin from.
pub(super) fn environment() -> BTreeMap<String, String> {
    [
        ("SIFT_ADMIN_EMAIL".to_owned(), ADMIN_EMAIL.to_owned()),
        ("SIFT_ADMIN_PASSWORD".to_owned(), ADMIN_PASSWORD.to_owned()),
    ]
    .into()
}

/// Logs the admin in and creates an API token, as a script's owner would.
pub(super) async fn admin_token(base: &str) -> anyhow::Result<String> {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .timeout(REQUEST_TIMEOUT)
        .build()?;
    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await?
        .error_for_status()
        .context("logging the admin in")?
        .json()
        .await?;
    let csrf = login["csrf_token"]
        .as_str()
        .context("the login answer has no csrf_token")?;
    let created: Value = http
        .post(format!("{base}/api/v1/auth/tokens"))
        .header("X-CSRF-Token", csrf)
        .json(&json!({"name": "bench"}))
        .send()
        .await?
        .error_for_status()
        .context("creating the admin's API token")?
        .json()
        .await?;
    created["token"]
        .as_str()
        .map(str::to_owned)
        .context("the token answer has no token")
}

/// Pauses evaluation with the admin's execution switch: closes still run the engine but store
/// no signals.
pub(super) async fn pause_evaluation(base: &str, token: &str) -> anyhow::Result<()> {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()?
        .post(format!("{base}/api/v1/admin/execution/pause"))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()
        .context("pausing evaluation")?;
    Ok(())
}

/// How long the server took to be live, from its launch.
#[derive(Debug, Clone, Copy)]
pub(super) struct Readiness {
    /// Until every series was backfilled.
    pub(super) backfilled: Duration,
    /// Until the pipeline had processed the closes after that.
    pub(super) caught_up: Duration,
}

/// 1m closes processed after the backfill before the server counts as live: the last series'
/// histories reach the engine with the backfill's end, and the next close pays for warming
/// them up.
const SETTLE_CLOSES: i64 = 2;

/// Waits until every series is backfilled (`/health`) and the pipeline has processed the
/// [`SETTLE_CLOSES`] 1m closes after that (`/api/v1/executions`), within `limit` of `started`
/// (the server's launch).
pub(super) async fn wait_ready(
    base: &str,
    token: &str,
    clock: &MarketClock,
    series: usize,
    started: Instant,
    limit: Duration,
) -> anyhow::Result<Readiness> {
    let http = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()?;
    loop {
        let health: Value = http
            .get(format!("{base}/health"))
            .send()
            .await?
            .json()
            .await?;
        let backfill = &health["components"]["market"]["details"]["backfill"];
        let (done, total) = (backfill["done"].as_u64(), backfill["total"].as_u64());
        if total == Some(series as u64) && done == total {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < limit,
            "the server was not backfilled after {limit:?}: {backfill}"
        );
        tokio::time::sleep(POLL).await;
    }
    let backfilled = started.elapsed();
    let settled =
        clock.market_now().div_euclid(MINUTE_MS) * MINUTE_MS + (SETTLE_CLOSES - 1) * MINUTE_MS;
    loop {
        let runs: Value = http
            .get(format!("{base}/api/v1/executions?interval=1m&limit=1"))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let processed = runs["executions"][0]["open_time"].as_i64();
        if processed.is_some_and(|open| open >= settled) {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < limit,
            "the server did not catch up with the market after {limit:?}"
        );
        tokio::time::sleep(POLL).await;
    }
    Ok(Readiness {
        backfilled,
        caught_up: started.elapsed(),
    })
}

/// The stored signals of the measured closes, and how many deliveries to the clients they
/// make: one for a signal of a client's own trader, one per client for a built-in's.
pub(super) async fn expected_deliveries(
    store: &dyn Store,
    measured: &Measured,
    population: &Population,
    clients: usize,
) -> anyhow::Result<(u64, u64)> {
    let mut filter = SignalFilter {
        trader_ids: None,
        symbol: None,
        interval: None,
        // A 1d candle closing at the first instant opened a day earlier.
        since: Some(measured.first - DAY_MS),
        until: Some(measured.last),
        cursor: None,
        order: SignalOrder::OpenTimeDesc,
        limit: 500,
    };
    let (mut signals, mut deliveries) = (0, 0);
    loop {
        let (page, next) = store.list_signals(&filter).await?;
        for signal in page.iter().filter(|s| measured.contains(s.close_time + 1)) {
            signals += 1;
            deliveries += match population.owners.get(&signal.trader_id) {
                Some(Some(_)) => 1,
                _ => clients as u64,
            };
        }
        match next {
            Some(cursor) => filter.cursor = Some(cursor),
            None => return Ok((signals, deliveries)),
        }
    }
}

/// The machine's load average over the last minute (`/proc/loadavg`); `None` off Linux.
pub(super) fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// A `/proc/self/status` figure in MB (`VmHWM`: peak resident set, `VmRSS`: now); `None` off
/// Linux.
pub(super) fn memory_mb(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some((kb / 1024.0 * 10.0).round() / 10.0)
}
