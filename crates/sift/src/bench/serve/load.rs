//! Signal listing under load: `--api-clients` tasks each send `GET /api/v1/signals?limit=50`
//! with an API token (client `i` the `i`-th of the tokens given, round robin), one request
//! after the other, for `--api-seconds`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use tokio::runtime::Handle;

use super::histogram::Histogram;

/// Limit on one request, answer included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What the load produced.
#[derive(Debug, Default)]
pub(super) struct LoadReport {
    /// Requests answered 200.
    pub(super) ok: u64,
    /// Other answers by status (0: no answer).
    pub(super) failed: BTreeMap<u16, u64>,
    pub(super) seconds: f64,
    /// Latency of the answered requests.
    pub(super) latency: Histogram,
}

impl LoadReport {
    fn merge(&mut self, other: LoadReport) {
        self.ok += other.ok;
        for (status, count) in other.failed {
            *self.failed.entry(status).or_default() += count;
        }
        self.latency.merge(&other.latency);
    }
}

/// Runs the load on `runtime` (the clients' own) and waits for it.
pub(super) async fn list_signals(
    base: &str,
    tokens: &[String],
    clients: usize,
    duration: Duration,
    runtime: &Handle,
) -> anyhow::Result<LoadReport> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .timeout(REQUEST_TIMEOUT)
        .build()?;
    let url = format!("{base}/api/v1/signals?limit=50");
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = tokens
        .iter()
        .cycle()
        .take(clients)
        .map(|token| runtime.spawn(client(http.clone(), url.clone(), token.clone(), deadline)))
        .collect();
    let mut report = LoadReport::default();
    for task in tasks {
        report.merge(task.await?);
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

async fn client(
    http: reqwest::Client,
    url: String,
    token: String,
    deadline: Instant,
) -> LoadReport {
    let mut report = LoadReport::default();
    while Instant::now() < deadline {
        let sent = Instant::now();
        let status = match http.get(&url).bearer_auth(&token).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                match response.bytes().await {
                    Ok(_) => status,
                    Err(_) => 0,
                }
            }
            Err(_) => 0,
        };
        if status == 200 {
            report.ok += 1;
            report
                .latency
                .record(i64::try_from(sent.elapsed().as_micros()).unwrap_or(i64::MAX));
        } else {
            *report.failed.entry(status).or_default() += 1;
        }
    }
    report
}
