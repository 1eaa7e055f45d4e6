//! The REST client: one shared HTTP connection pool, the weight budget, retries.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use sift_core::Ticker;
use tracing::{debug, warn};

use super::backoff::Backoff;
use super::error::{ClientError, RestError};
use super::weight::{BudgetState, WeightBudget};
use crate::rest::{Listing, decode_exchange_info, decode_rest_error, decode_ticker_24hr};

/// `GET /api/v3/time`.
pub(crate) const WEIGHT_TIME: u32 = 1;
/// `GET /api/v3/klines`.
pub(crate) const WEIGHT_KLINES: u32 = 2;
/// `GET /api/v3/exchangeInfo`.
pub(crate) const WEIGHT_EXCHANGE_INFO: u32 = 20;
/// `GET /api/v3/ticker/24hr` without a symbol.
pub(crate) const WEIGHT_TICKERS_ALL: u32 = 80;

/// How long to stop after a 429 without `Retry-After`.
const DEFAULT_RATE_LIMIT_PAUSE: Duration = Duration::from_secs(60);
/// How long to stop after a 418 without `Retry-After`: Binance's shortest ban.
const DEFAULT_BAN: Duration = Duration::from_secs(120);

/// REST client settings. `Default` is Binance's production host and limits.
#[derive(Debug, Clone)]
pub struct RestConfig {
    /// `https://api.binance.com`, `https://data-api.binance.vision`, or a fake server.
    pub base_url: String,
    /// Limit on each HTTP call, from connecting to the end of the body.
    pub timeout: Duration,
    /// Binance's `REQUEST_WEIGHT` limit per window (6000 per minute per IP).
    pub weight_limit_per_minute: u32,
    /// The fraction of the limit this client uses at most (0.8).
    pub weight_headroom: f64,
    /// Retries of retryable failures (5xx, timeouts, transport errors, 429, 418) per call.
    pub max_retries: u32,
    /// First retry delay; doubles per retry (jittered).
    pub backoff_min: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
    /// The weight window: one minute at Binance; shorter only in tests.
    pub weight_window: Duration,
}

impl Default for RestConfig {
    fn default() -> Self {
        Self {
            base_url: "https://api.binance.com".to_owned(),
            timeout: Duration::from_secs(10),
            weight_limit_per_minute: 6000,
            weight_headroom: 0.8,
            max_retries: 5,
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            weight_window: Duration::from_secs(60),
        }
    }
}

/// Counters of one client and all its clones, for `/health`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestStats {
    /// HTTP requests sent (retries included).
    pub requests: u64,
    /// The last `X-MBX-USED-WEIGHT-1M` seen.
    pub used_weight: u64,
    pub status_429: u64,
    pub status_418: u64,
    /// Retries after retryable failures.
    pub retries: u64,
    /// When the current 418 ban ends, epoch milliseconds.
    pub banned_until_ms: Option<i64>,
    /// Calls that returned an error to the caller.
    pub errors: u64,
}

/// A Binance REST client. Cheap to clone; all clones share one connection pool, one weight
/// budget and one ban: a 418 seen by any clone stops them all.
#[derive(Debug, Clone)]
pub struct RestClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    base_url: String,
    config: RestConfig,
    budget: WeightBudget,
    requests: AtomicU64,
    used_weight: AtomicU64,
    status_429: AtomicU64,
    status_418: AtomicU64,
    retries: AtomicU64,
    errors: AtomicU64,
    /// Start of the last 418 ban seen, to log a ban once.
    last_ban_ms: AtomicI64,
}

#[derive(Deserialize)]
struct ServerTime {
    #[serde(rename = "serverTime")]
    server_time: i64,
}

impl RestClient {
    /// Builds the client (TLS with rustls and the ring provider). Fails on a base URL that is
    /// not `http(s)://` or a configuration out of range.
    pub fn new(config: RestConfig) -> Result<Self, ClientError> {
        let base_url = super::checked_base_url(&config.base_url, &["http", "https"])?;
        if !(config.weight_headroom > 0.0 && config.weight_headroom <= 1.0) {
            return Err(ClientError::Config(format!(
                "weight_headroom {} is not in (0, 1]",
                config.weight_headroom
            )));
        }
        if config.weight_limit_per_minute == 0 || config.weight_window.is_zero() {
            return Err(ClientError::Config("empty weight budget".to_owned()));
        }
        super::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()
            .map_err(ClientError::Http)?;
        let budget = WeightBudget::new(BudgetState::new(
            config.weight_limit_per_minute,
            config.weight_headroom,
            config.weight_window,
        ));
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base_url,
                config,
                budget,
                requests: AtomicU64::new(0),
                used_weight: AtomicU64::new(0),
                status_429: AtomicU64::new(0),
                status_418: AtomicU64::new(0),
                retries: AtomicU64::new(0),
                errors: AtomicU64::new(0),
                last_ban_ms: AtomicI64::new(0),
            }),
        })
    }

    /// `GET /api/v3/time`: the server's clock, epoch milliseconds.
    pub async fn server_time(&self) -> Result<i64, RestError> {
        let body = self.get("/api/v3/time", &[], WEIGHT_TIME).await?;
        let time: ServerTime = serde_json::from_str(&body).map_err(crate::DecodeError::from)?;
        Ok(time.server_time)
    }

    /// `GET /api/v3/exchangeInfo`: every listed pair with its status.
    pub async fn exchange_info(&self) -> Result<Listing, RestError> {
        let body = self
            .get("/api/v3/exchangeInfo", &[], WEIGHT_EXCHANGE_INFO)
            .await?;
        Ok(decode_exchange_info(&body)?)
    }

    /// `GET /api/v3/ticker/24hr?type=MINI`: the rolling 24 h ticker of every pair (weight 80).
    pub async fn tickers_24hr(&self) -> Result<Vec<Ticker>, RestError> {
        let query = [("type", "MINI".to_owned())];
        let body = self
            .get("/api/v3/ticker/24hr", &query, WEIGHT_TICKERS_ALL)
            .await?;
        Ok(decode_ticker_24hr(&body)?)
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> RestStats {
        let inner = &self.inner;
        RestStats {
            requests: inner.requests.load(Ordering::Relaxed),
            used_weight: inner.used_weight.load(Ordering::Relaxed),
            status_429: inner.status_429.load(Ordering::Relaxed),
            status_418: inner.status_418.load(Ordering::Relaxed),
            retries: inner.retries.load(Ordering::Relaxed),
            banned_until_ms: inner
                .budget
                .with(|state| state.banned_until_ms(Instant::now())),
            errors: inner.errors.load(Ordering::Relaxed),
        }
    }

    /// One GET with the budget, retries and backoff; the body of the first success.
    pub(crate) async fn get(
        &self,
        path: &str,
        query: &[(&str, String)],
        weight: u32,
    ) -> Result<String, RestError> {
        let config = &self.inner.config;
        let mut backoff = Backoff::new(config.backoff_min, config.backoff_max);
        let mut attempt = 0;
        loop {
            let window = self.inner.budget.acquire(weight).await;
            match self.send_once(path, query, window).await {
                Ok(body) => return Ok(body),
                Err(err) if err.is_retryable() && attempt < config.max_retries => {
                    attempt += 1;
                    self.inner.retries.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("sift_binance_rest_retries_total").increment(1);
                    // A 429 or 418 has already paused the budget for Retry-After.
                    let delay = match err {
                        RestError::RateLimited { .. } | RestError::Banned { .. } => Duration::ZERO,
                        _ => backoff.next_delay(),
                    };
                    debug!(path, attempt, ?delay, error = %err, "retrying rest call");
                    tokio::time::sleep(delay).await;
                }
                Err(err) => {
                    self.inner.errors.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("sift_binance_rest_errors_total").increment(1);
                    return Err(err);
                }
            }
        }
    }

    async fn send_once(
        &self,
        path: &str,
        query: &[(&str, String)],
        window: i64,
    ) -> Result<String, RestError> {
        let inner = &self.inner;
        let url = format!("{}{path}", inner.base_url);
        inner.requests.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("sift_binance_rest_requests_total").increment(1);
        let response = inner
            .http
            .get(&url)
            .query(query)
            .timeout(inner.config.timeout)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        self.observe_weight(response.headers(), window);
        let retry_after = retry_after(response.headers());
        let body = response.text().await.map_err(transport)?;
        if status.is_success() {
            return Ok(body);
        }
        Err(self.failure(status, retry_after, &body))
    }

    fn observe_weight(&self, headers: &HeaderMap, window: i64) {
        let Some(used) = headers
            .get("x-mbx-used-weight-1m")
            .and_then(|value| value.to_str().ok())
            .and_then(|text| text.trim().parse::<u32>().ok())
        else {
            return;
        };
        self.inner
            .used_weight
            .store(u64::from(used), Ordering::Relaxed);
        metrics::gauge!("sift_binance_rest_used_weight").set(f64::from(used));
        self.inner
            .budget
            .with(|state| state.observe_used(used, window, super::now_ms()));
    }

    fn failure(&self, status: StatusCode, retry_after: Option<Duration>, body: &str) -> RestError {
        let inner = &self.inner;
        match status.as_u16() {
            429 => {
                let retry_after = retry_after.unwrap_or(DEFAULT_RATE_LIMIT_PAUSE);
                inner.status_429.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("sift_binance_rest_429_total").increment(1);
                warn!(
                    ?retry_after,
                    "binance rate limit hit (429), pausing rest calls"
                );
                inner
                    .budget
                    .with(|state| state.on_rate_limited(retry_after, Instant::now()));
                RestError::RateLimited { retry_after }
            }
            418 => {
                let retry_after = retry_after.unwrap_or(DEFAULT_BAN);
                inner.status_418.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("sift_binance_rest_418_total").increment(1);
                let now_ms = super::now_ms();
                let until_ms = inner.budget.with(|state| {
                    state.on_banned(retry_after, Instant::now(), now_ms);
                    state.banned_until_ms(Instant::now()).unwrap_or(now_ms)
                });
                if inner.last_ban_ms.swap(until_ms, Ordering::Relaxed) != until_ms {
                    warn!(
                        ?retry_after,
                        until_ms, "binance banned this ip (418), stopping rest calls"
                    );
                }
                RestError::Banned { until_ms }
            }
            code => match decode_rest_error(body) {
                Ok(err) if (400..500).contains(&code) => RestError::Binance {
                    status: code,
                    code: err.code,
                    msg: err.msg,
                },
                _ => RestError::Status { status: code },
            },
        }
    }
}

fn transport(err: reqwest::Error) -> RestError {
    if err.is_timeout() {
        RestError::Timeout
    } else {
        RestError::Transport(err)
    }
}

/// `Retry-After` in seconds (Binance sends whole seconds; fractions are accepted too).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get("retry-after")?.to_str().ok()?;
    let seconds: f64 = text.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(1e9)))
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn retry_after_whole_or_fractional_seconds() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert("retry-after", HeaderValue::from_static("120"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(120)));
        headers.insert("retry-after", HeaderValue::from_static("0.25"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
        headers.insert("retry-after", HeaderValue::from_static("-1"));
        assert_eq!(retry_after(&headers), None);
        headers.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn rejects_bad_configuration() {
        let bad_url = RestConfig {
            base_url: "ftp://example.com".to_owned(),
            ..RestConfig::default()
        };
        assert!(matches!(
            RestClient::new(bad_url),
            Err(ClientError::InvalidUrl { .. })
        ));
        let bad_headroom = RestConfig {
            weight_headroom: 1.5,
            ..RestConfig::default()
        };
        assert!(matches!(
            RestClient::new(bad_headroom),
            Err(ClientError::Config(_))
        ));
        assert!(RestClient::new(RestConfig::default()).is_ok());
    }
}
