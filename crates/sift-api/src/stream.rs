//! `GET /api/v1/stream`: Server-Sent Events of the signals the caller may see, tickers and
//! candles, filtered per connection.
//!
//! Events: `signal` (`id:` = signal id, data as in the signal list), `ticker`, `candle`,
//! `resync` (data `{"reason": ...}`: the client missed events and should reload what it shows).
//! On connect the hub is subscribed first, then missed signals (`Last-Event-ID` header or
//! `?last_event_id=`) are replayed from the store, and live signals already replayed are
//! skipped, so none is lost or doubled across a reconnect. Signals are published while their
//! commit runs ([`crate::Hub::uncommitted`]): a replay first waits for such commits, and a
//! commit that fails sends `resync` (reason `withdrawn`).

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::fmt::Write as _;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use futures_util::Stream;
use serde::Deserialize;
use serde_json::json;
use sift_core::{Interval, Symbol};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;
use tracing::warn;
use utoipa::IntoParams;

use crate::access::visible_trader_ids;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Query;
use crate::hub::{CandleWatch, HubEvent};
use crate::state::AppState;
use crate::views::SignalView;

/// Longest a replay waits for the commits of signals already published.
const SETTLE_WAIT: Duration = Duration::from_secs(10);
/// Most topics one connection may ask for.
pub(crate) const MAX_TOPICS: usize = 100;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct StreamQuery {
    /// Comma-separated: `signals`, `tickers`, `tickers:SYMBOL`, `candles:SYMBOL:INTERVAL`
    /// (default `signals`).
    #[param(example = "signals,tickers,candles:BTCUSDT:1m")]
    pub topics: Option<String>,
    /// Replay signals after this id (as the `Last-Event-ID` header does).
    pub last_event_id: Option<i64>,
}

/// What one connection asked for.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Topics {
    signals: bool,
    all_tickers: bool,
    tickers: HashSet<Symbol>,
    /// Candle topics by interval.
    candles: HashMap<Interval, HashSet<Symbol>>,
}

impl Topics {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut topics = Topics::default();
        let parts: Vec<&str> = text
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        if parts.len() > MAX_TOPICS {
            return Err(format!("at most {MAX_TOPICS} topics"));
        }
        for part in parts {
            let fields: Vec<&str> = part.split(':').collect();
            let bad = || format!("unknown topic {part:?}");
            match fields.as_slice() {
                ["signals"] => topics.signals = true,
                ["tickers"] => topics.all_tickers = true,
                ["tickers", symbol] => {
                    topics.tickers.insert(symbol.parse().map_err(|_| bad())?);
                }
                ["candles", symbol, interval] => {
                    let symbol = symbol.parse().map_err(|_| bad())?;
                    let interval = interval.parse().map_err(|_| bad())?;
                    topics.candles.entry(interval).or_default().insert(symbol);
                }
                _ => return Err(bad()),
            }
        }
        Ok(topics)
    }
}

/// Live events (SSE). Keep-alive comments are sent every `stream.keep_alive_secs`.
#[utoipa::path(get, path = "/stream", tag = "stream", params(StreamQuery,
        ("Last-Event-ID" = Option<i64>, Header, description = "replay signals after this id")),
    responses((status = 200, description = "text/event-stream of `signal`, `ticker`, `candle` \
        and `resync` events. A signal is sent while its commit runs; `resync` (reason `lagged`, \
        `too_many_missed`, `no_history` or `withdrawn`: a commit failed) asks the client to \
        reload", content_type = "text/event-stream", body = String),
        (status = 400, body = ErrorBody)))]
pub(crate) async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(query): Query<StreamQuery>,
) -> Result<Response, ApiError> {
    let topics = Topics::parse(query.topics.as_deref().unwrap_or("signals"))
        .map_err(ApiError::BadRequest)?;
    let header_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let last_id = header_id.or(query.last_event_id);
    // Subscribe before reading the store so nothing falls between replay and live.
    let receiver = state.hub.subscribe();
    let candles = state
        .hub
        .watch_candles(topics.candles.iter().flat_map(|(interval, symbols)| {
            symbols
                .iter()
                .map(move |symbol| (symbol.clone(), *interval))
        }));
    let mut connection = Connection {
        receiver,
        _candles: candles,
        pending: String::new(),
        topics,
        caller,
        replayed_up_to: i64::MIN,
        shutdown: state.hub.shutdown_token().clone(),
        _client: ClientGuard::new(),
    };
    if connection.topics.signals {
        if let Some(after) = last_id {
            // Signals published before the subscription may still be committing: the store
            // holds them once that is settled.
            if tokio::time::timeout(SETTLE_WAIT, state.hub.settled())
                .await
                .is_err()
            {
                warn!("replaying while signals are still being committed");
            }
            connection.replay(&state, after).await?;
        }
    }
    let keep_alive = Duration::from_secs(state.config.stream.keep_alive_secs.max(1));
    let mut response = Response::new(Body::from_stream(events(connection, keep_alive)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Tell buffering proxies (nginx) to pass events through at once.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// One SSE client.
struct Connection {
    receiver: broadcast::Receiver<HubEvent>,
    /// Events ready to send, in order, in the text/event-stream format: everything a hub
    /// batch holds for this client goes out as one chunk.
    pending: String,
    topics: Topics,
    caller: Caller,
    /// Live signals up to this id were sent by the replay.
    replayed_up_to: i64,
    shutdown: CancellationToken,
    /// Keeps this connection's candle topics published.
    _candles: CandleWatch,
    _client: ClientGuard,
}

impl Connection {
    /// Queues the stored signals after `after` that the caller may see; `resync` instead
    /// when the caller has no history or more are missing than `stream.replay_limit`.
    async fn replay(&mut self, state: &AppState, after: i64) -> Result<(), ApiError> {
        let history = state.config.tiers.history_from;
        if !(self.caller.is_admin() || self.caller.tier() >= history) {
            resync(&mut self.pending, "no_history");
            return Ok(());
        }
        let limit = state.config.stream.replay_limit;
        let ids = visible_trader_ids(state, &self.caller).await?;
        let signals = state
            .store
            .signals_after_id(Some(&*ids), after, limit.saturating_add(1))
            .await?;
        if signals.len() > limit as usize {
            resync(&mut self.pending, "too_many_missed");
            return Ok(());
        }
        for signal in &signals {
            let json = serde_json::to_string(&SignalView::from(signal))
                .map_err(|e| ApiError::internal(format!("serializing a signal: {e}")))?;
            push_event(&mut self.pending, "signal", Some(signal.id), &json);
            self.replayed_up_to = self.replayed_up_to.max(signal.id);
        }
        Ok(())
    }

    /// Queues what the caller asked for and may see of one hub event.
    fn accept(&mut self, event: HubEvent) {
        match event {
            HubEvent::Signals(items) => {
                if !self.topics.signals {
                    return;
                }
                for item in items.iter() {
                    if item.id > self.replayed_up_to && self.caller.can_see(&item.visibility) {
                        push_event(&mut self.pending, "signal", Some(item.id), &item.json);
                    }
                }
            }
            HubEvent::Tickers(items) => {
                for (symbol, json) in items.iter() {
                    if self.topics.all_tickers || self.topics.tickers.contains(symbol) {
                        push_event(&mut self.pending, "ticker", None, json);
                    }
                }
            }
            HubEvent::Candles(items) => {
                for item in items.iter() {
                    let wanted = self.topics.candles.get(&item.interval);
                    if wanted.is_some_and(|symbols| symbols.contains(&item.symbol)) {
                        push_event(&mut self.pending, "candle", None, &item.json);
                    }
                }
            }
            HubEvent::Withdrawn => {
                if self.topics.signals {
                    resync(&mut self.pending, "withdrawn");
                }
            }
        }
    }
}

/// Appends one event: `event:`, `id:` when given, one `data:` line per line of `data`, and
/// the blank line that ends it.
fn push_event(out: &mut String, name: &str, id: Option<i64>, data: &str) {
    out.push_str("event: ");
    out.push_str(name);
    out.push('\n');
    if let Some(id) = id {
        let _ = writeln!(out, "id: {id}");
    }
    for line in data.split('\n') {
        out.push_str("data: ");
        out.push_str(line.strip_suffix('\r').unwrap_or(line));
        out.push('\n');
    }
    out.push('\n');
}

fn resync(out: &mut String, reason: &str) {
    push_event(
        out,
        "resync",
        None,
        &json!({ "reason": reason }).to_string(),
    );
}

/// Hub events taken at once before the chunk they make is sent.
const BATCH_EVENTS: usize = 64;

/// The connection as a stream of text/event-stream chunks (a keep-alive comment after
/// `keep_alive` without events); ends when the hub shuts down.
fn events(
    connection: Connection,
    keep_alive: Duration,
) -> impl Stream<Item = Result<Bytes, Infallible>> {
    futures_util::stream::unfold(connection, move |mut conn| async move {
        loop {
            if !conn.pending.is_empty() {
                let chunk = Bytes::from(std::mem::take(&mut conn.pending));
                return Some((Ok(chunk), conn));
            }
            let received = tokio::select! {
                () = conn.shutdown.cancelled() => return None,
                received = tokio::time::timeout(keep_alive, conn.receiver.recv()) => received,
            };
            let Ok(mut received) = received else {
                return Some((Ok(Bytes::from_static(b":\n\n")), conn));
            };
            // Whatever else is already waiting joins the same chunk.
            for _ in 0..BATCH_EVENTS {
                match received {
                    Ok(event) => conn.accept(event),
                    Err(RecvError::Lagged(missed)) => {
                        metrics::counter!("sift_stream_lagged_total").increment(1);
                        let data = json!({ "reason": "lagged", "missed": missed }).to_string();
                        push_event(&mut conn.pending, "resync", None, &data);
                    }
                    Err(RecvError::Closed) => return None,
                }
                match conn.receiver.try_recv() {
                    Err(broadcast::error::TryRecvError::Empty) => break,
                    Err(broadcast::error::TryRecvError::Closed) => return None,
                    Err(broadcast::error::TryRecvError::Lagged(missed)) => {
                        received = Err(RecvError::Lagged(missed));
                    }
                    Ok(event) => received = Ok(event),
                }
            }
        }
    })
}

/// Counts connected clients in the `sift_stream_clients` gauge while alive.
struct ClientGuard;

impl ClientGuard {
    fn new() -> Self {
        metrics::gauge!("sift_stream_clients").increment(1.0);
        ClientGuard
    }
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        metrics::gauge!("sift_stream_clients").decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_framed_as_text_event_stream() {
        let mut out = String::new();
        push_event(&mut out, "signal", Some(7), r#"{"a":1}"#);
        push_event(&mut out, "note", None, "one\r\ntwo");
        resync(&mut out, "lagged");
        assert_eq!(
            out,
            "event: signal\nid: 7\ndata: {\"a\":1}\n\n\
             event: note\ndata: one\ndata: two\n\n\
             event: resync\ndata: {\"reason\":\"lagged\"}\n\n"
        );
    }

    #[test]
    fn topics_parse() {
        let t = Topics::parse("signals, tickers:btcusdt,candles:BTCUSDT:1m").unwrap();
        assert!(t.signals && !t.all_tickers);
        assert!(t.tickers.contains("BTCUSDT"));
        assert!(t.candles[&Interval::M1].contains(&"BTCUSDT".parse::<Symbol>().unwrap()));
        for bad in [
            "signal",
            "candles:BTCUSDT",
            "candles:BTCUSDT:7m",
            "tickers:B-C",
            "a:b:c:d",
        ] {
            assert!(Topics::parse(bad).is_err(), "{bad}");
        }
        let many = vec!["signals"; MAX_TOPICS + 1].join(",");
        assert!(Topics::parse(&many).is_err());
        assert_eq!(Topics::parse("").unwrap(), Topics::default());
    }
}
