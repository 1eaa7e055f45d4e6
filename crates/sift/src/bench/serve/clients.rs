//! The stream clients: each streams `signals` as one user and times every signal of a measured
//! close from the moment the close frame reached this process (the [`Witness`]; the close's
//! wall time computed from the exchange's clock when the witness missed it).
//!
//! The measured closes are the `closes` 1m closes after every client is connected; the phase
//! ends once the last of them is processed and a close's time has passed for its deliveries.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::StreamExt;
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::exchange::{MarketClock, Witness, wall_us};
use super::histogram::Histogram;
use super::profile::Profile;

/// Limit on connecting and on the first answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// A stream silent this long is dead (the server sends a keep-alive every 15 s).
const SILENCE_TIMEOUT: Duration = Duration::from_secs(60);
/// Wall time between the clients being connected and the first measured close, at least.
const MEASURE_MARGIN: Duration = Duration::from_millis(200);
/// How long the last measured close may take to be processed.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(300);
/// Wall time the deliveries of the last close get, at least.
const DRAIN_MIN: Duration = Duration::from_secs(1);
const POLL: Duration = Duration::from_millis(50);
const MINUTE_MS: i64 = 60_000;

/// What the stream phase needs to know.
#[derive(Debug)]
pub(super) struct Streams<'a> {
    pub(super) url: String,
    /// One client per token.
    pub(super) tokens: &'a [String],
    pub(super) closes: usize,
    /// The market clock's speed.
    pub(super) speed: f64,
}

/// Connects a client per token (on `runtime`), measures the closes, and returns what each
/// client saw with the closes measured.
pub(super) async fn measure(
    streams: &Streams<'_>,
    reference: &Reference,
    profile: &Profile,
    runtime: &Handle,
    cancel: CancellationToken,
) -> anyhow::Result<(Vec<ClientReport>, Measured)> {
    let _stop = cancel.clone().drop_guard();
    let http = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .build()?;
    let window = Arc::new(OnceLock::new());
    let (connected_tx, mut connected_rx) = mpsc::channel(streams.tokens.len().max(1));
    let tasks: Vec<_> = streams
        .tokens
        .iter()
        .map(|token| {
            runtime.spawn(stream(
                http.clone(),
                streams.url.clone(),
                token.clone(),
                Arc::clone(&window),
                reference.clone(),
                connected_tx.clone(),
                cancel.clone(),
            ))
        })
        .collect();
    drop(connected_tx);
    let mut connected = 0;
    while connected < tasks.len() {
        match tokio::time::timeout(CONNECT_TIMEOUT, connected_rx.recv()).await {
            Ok(Some(())) => connected += 1,
            _ => break,
        }
    }
    anyhow::ensure!(
        connected == tasks.len(),
        "only {connected} of {} stream clients connected",
        tasks.len()
    );
    let clock = &reference.clock;
    let margin = (MEASURE_MARGIN.as_secs_f64() * 1e3 * streams.speed) as i64;
    let first = (clock.market_now() + margin).div_euclid(MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    let window = *window.get_or_init(|| Measured {
        first,
        last: first + (streams.closes as i64 - 1) * MINUTE_MS,
    });

    tokio::time::sleep(clock.until(window.last)).await;
    let waited = Instant::now();
    while profile.close(window.last).is_none() {
        anyhow::ensure!(
            waited.elapsed() < PROCESS_TIMEOUT,
            "the last measured close was not processed within {PROCESS_TIMEOUT:?}"
        );
        tokio::time::sleep(POLL).await;
    }
    tokio::time::sleep(clock.wall(Duration::from_secs(60)).max(DRAIN_MIN)).await;
    cancel.cancel();
    let mut reports = Vec::with_capacity(tasks.len());
    for task in tasks {
        reports.push(task.await.context("a stream client panicked")?);
    }
    Ok((reports, window))
}

/// The close instants measured (market ms): every minute from `first` to `last`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Measured {
    pub(super) first: i64,
    pub(super) last: i64,
}

impl Measured {
    pub(super) fn contains(&self, instant: i64) -> bool {
        (self.first..=self.last).contains(&instant) && (instant - self.first) % MINUTE_MS == 0
    }

    pub(super) fn instants(&self) -> impl Iterator<Item = i64> + use<> {
        (self.first..=self.last).step_by(MINUTE_MS as usize)
    }
}

/// When a close was received.
#[derive(Debug, Clone)]
pub(super) struct Reference {
    pub(super) clock: MarketClock,
    pub(super) witness: Witness,
}

impl Reference {
    /// Wall µs the close at `instant` was received, and whether the witness saw it.
    pub(super) fn received_us(&self, instant: i64) -> (i64, bool) {
        match self.witness.received_us(instant) {
            Some(at) => (at, true),
            None => (self.clock.wall_us(instant), false),
        }
    }
}

/// How the signals of one close reached one client.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Delivery {
    pub(super) count: u64,
    pub(super) sum_us: i64,
    pub(super) max_us: i64,
}

impl Delivery {
    pub(super) fn merge(&mut self, other: &Delivery) {
        self.count += other.count;
        self.sum_us += other.sum_us;
        self.max_us = self.max_us.max(other.max_us);
    }
}

/// What one client saw.
#[derive(Debug, Default)]
pub(super) struct ClientReport {
    /// Latency of every signal of a measured close.
    pub(super) latency: Histogram,
    pub(super) per_close: BTreeMap<i64, Delivery>,
    /// Signal events of any close.
    pub(super) signals: u64,
    pub(super) resyncs: u64,
    /// Latencies measured from the computed close time (the witness missed the close).
    pub(super) unwitnessed: u64,
    pub(super) error: Option<String>,
}

/// Streams until `cancel`; reports once connected on `connected`. Signals count once the
/// measured closes are set.
async fn stream(
    http: reqwest::Client,
    url: String,
    token: String,
    measured: Arc<OnceLock<Measured>>,
    reference: Reference,
    connected: mpsc::Sender<()>,
    cancel: CancellationToken,
) -> ClientReport {
    let mut report = ClientReport::default();
    let request = http.get(&url).bearer_auth(&token).send();
    let response = match tokio::time::timeout(CONNECT_TIMEOUT, request).await {
        Ok(Ok(response)) if response.status().is_success() => response,
        Ok(Ok(response)) => {
            report.error = Some(format!("stream answered {}", response.status()));
            return report;
        }
        Ok(Err(err)) => {
            report.error = Some(format!("stream request failed: {err}"));
            return report;
        }
        Err(_) => {
            report.error = Some("stream request timed out".to_owned());
            return report;
        }
    };
    let _ = connected.send(()).await;
    let mut body = response.bytes_stream();
    let mut buffer: Vec<u8> = Vec::new();
    loop {
        let next = tokio::select! {
            () = cancel.cancelled() => break,
            next = tokio::time::timeout(SILENCE_TIMEOUT, body.next()) => next,
        };
        let now = wall_us();
        match next {
            Ok(Some(Ok(chunk))) => {
                buffer.extend_from_slice(&chunk);
                let used = parse_events(&buffer, |event| {
                    on_event(event, now, measured.get(), &reference, &mut report);
                });
                buffer.drain(..used);
            }
            Ok(Some(Err(err))) => {
                report.error = Some(format!("stream failed: {err}"));
                break;
            }
            Ok(None) => {
                report.error = Some("the server ended the stream".to_owned());
                break;
            }
            Err(_) => {
                report.error = Some("the stream went silent".to_owned());
                break;
            }
        }
    }
    report
}

/// Calls `on_event` with each complete event (`\n\n`-terminated) of `buffer`; returns the
/// bytes consumed.
fn parse_events(buffer: &[u8], mut on_event: impl FnMut(&[u8])) -> usize {
    let mut start = 0;
    while let Some(end) = buffer[start..].windows(2).position(|w| w == b"\n\n") {
        on_event(&buffer[start..start + end]);
        start += end + 2;
    }
    start
}

fn on_event(
    event: &[u8],
    now_us: i64,
    measured: Option<&Measured>,
    reference: &Reference,
    report: &mut ClientReport,
) {
    if event.starts_with(b"event: resync") {
        report.resyncs += 1;
        return;
    }
    if !event.starts_with(b"event: signal") {
        return;
    }
    report.signals += 1;
    let Some(close_time) = close_time(event) else {
        return;
    };
    let instant = close_time + 1;
    if !measured.is_some_and(|m| m.contains(instant)) {
        return;
    }
    let (received, witnessed) = reference.received_us(instant);
    if !witnessed {
        report.unwitnessed += 1;
    }
    let latency = now_us - received;
    report.latency.record(latency);
    let delivery = report.per_close.entry(instant).or_default();
    delivery.count += 1;
    delivery.sum_us += latency;
    delivery.max_us = delivery.max_us.max(latency);
}

/// The signal's `close_time`. Its first occurrence is the signal's own: the fields before it
/// (ids, symbol, interval, open time) cannot contain the text, the value snapshot comes after.
fn close_time(event: &[u8]) -> Option<i64> {
    const KEY: &[u8] = b"\"close_time\":";
    let at = event.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let digits: &[u8] = &event[at..];
    let end = digits
        .iter()
        .position(|b| !(b.is_ascii_digit() || *b == b'-'))
        .unwrap_or(digits.len());
    std::str::from_utf8(&digits[..end]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_split_and_signals_read() {
        let text = b"event: signal\nid: 7\ndata: {\"id\":7,\"trader_id\":1,\"symbol\":\"BTCUSDT\",\
            \"interval\":\"1m\",\"open_time\":0,\"close_time\":59999,\"price\":1.0,\
            \"values\":{\"close_time\":5},\"created_at\":1}\n\n: keep-alive\n\nevent: resy";
        let mut events = Vec::new();
        let used = parse_events(text, |e| events.push(e.to_vec()));
        assert_eq!(events.len(), 2);
        assert_eq!(&text[used..], b"event: resy");
        assert_eq!(close_time(&events[0]), Some(59_999));
        assert_eq!(close_time(&events[1]), None);
        let measured = Measured {
            first: 60_000,
            last: 180_000,
        };
        assert!(measured.contains(120_000) && !measured.contains(90_000));
        assert_eq!(measured.instants().count(), 3);
    }
}
