//! One WebSocket connection: wait out its delay and an attempt permit, connect with the streams
//! wanted, keep the subscriptions in line with them, decode frames, and report to the pool until
//! it fails or is told to close.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep, sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, trace, warn};

use super::limits::{AttemptLimiter, MessageLimiter};
use super::stats::{ConnStats, ConnectionState, SharedStats};
use super::subscriptions::{Method, Subscriptions, stream_url};
use super::{StreamConfig, StreamEvent};
use crate::frame::{Frame, decode_frame};

/// Data frames kept while the connection's first subscriptions are still being confirmed
/// (a few hundred milliseconds of traffic); more are dropped, which is allowed before
/// `Connected`.
const MAX_EARLY_EVENTS: usize = 4096;
/// How long a requested close waits for the server's close frame.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What every connection of a pool shares.
#[derive(Debug)]
pub(crate) struct ConnShared {
    pub(crate) config: StreamConfig,
    /// `base_url` without a trailing slash.
    pub(crate) base_url: String,
    pub(crate) attempts: AttemptLimiter,
    pub(crate) stats: Arc<SharedStats>,
    pub(crate) events: mpsc::Sender<ConnEvent>,
    /// The pool's token: stops everything.
    pub(crate) cancel: CancellationToken,
}

/// One connection to start.
#[derive(Debug)]
pub(crate) struct ConnSpec {
    pub(crate) id: u64,
    /// Wait this long before the first attempt (reconnect backoff).
    pub(crate) delay: Duration,
    /// The streams its slot wants.
    pub(crate) desired: watch::Receiver<BTreeSet<String>>,
    /// Cancelled by the pool to close this connection (a child of the pool's token).
    pub(crate) close: CancellationToken,
}

/// A report from connection `conn` to the pool. `Closed` is always the last.
#[derive(Debug)]
pub(crate) struct ConnEvent {
    pub(crate) conn: u64,
    pub(crate) kind: ConnEventKind,
}

#[derive(Debug)]
pub(crate) enum ConnEventKind {
    /// Subscribed to every stream it connected for (those listed).
    Ready {
        streams: Vec<String>,
    },
    /// Streams subscribed later, confirmed.
    Subscribed {
        streams: Vec<String>,
    },
    /// Streams Binance refused.
    Rejected {
        streams: Vec<String>,
        reason: String,
    },
    Data(StreamEvent),
    /// Ready and delivering data (or quiet but alive for `silence_timeout`): safe to switch to.
    Flowing,
    /// Binance announced maintenance (`serverShutdown`).
    Shutdown,
    /// `max_connection_age` reached.
    Aged,
    /// The task ends. `open_for` is how long the connection was open, if it ever was.
    Closed {
        reason: String,
        open_for: Option<Duration>,
    },
}

/// Runs connection `spec` to its end; reports `Closed` last.
pub(crate) async fn run(spec: ConnSpec, shared: Arc<ConnShared>) {
    let id = spec.id;
    let stats = shared.stats.register(id, ConnectionState::Backoff);
    let mut conn = Connection {
        spec,
        shared: Arc::clone(&shared),
        stats,
    };
    let (reason, open_for) = conn.run().await;
    shared.stats.unregister(id);
    conn.emit(ConnEventKind::Closed { reason, open_for }).await;
}

struct Connection {
    spec: ConnSpec,
    shared: Arc<ConnShared>,
    stats: Arc<ConnStats>,
}

/// How the open phase ended.
enum Exit {
    /// Told to close (replaced, unsubscribed, shutting down): close politely.
    Requested,
    /// Failed; the reason goes into `Disconnected`.
    Failed(String),
}

/// The state of an open connection.
struct Open {
    socket: Socket,
    subs: Subscriptions,
    /// The streams wanted when it connected: `Ready` once they are all subscribed.
    initial: BTreeSet<String>,
    ready_at: Option<Instant>,
    flowing: bool,
    early: Vec<StreamEvent>,
    limiter: MessageLimiter,
    last_rx: Instant,
    opened: Instant,
    aged: bool,
    /// Whether the subscriptions may differ from the streams wanted.
    dirty: bool,
}

impl Connection {
    async fn run(&mut self) -> (String, Option<Duration>) {
        let close = self.spec.close.clone();
        let delay = self.spec.delay;
        tokio::select! {
            () = close.cancelled() => return ("closed before connecting".to_owned(), None),
            () = sleep(delay) => {}
        }
        // Never connect without streams: wait for some, or for the close.
        while self.spec.desired.borrow_and_update().is_empty() {
            tokio::select! {
                () = close.cancelled() => return ("closed before connecting".to_owned(), None),
                changed = self.spec.desired.changed() => {
                    if changed.is_err() {
                        return ("closed before connecting".to_owned(), None);
                    }
                }
            }
        }
        self.stats.set_state(ConnectionState::Connecting);
        if !self.shared.attempts.acquire(&close).await {
            return ("closed before connecting".to_owned(), None);
        }
        let connected = tokio::select! {
            () = close.cancelled() => return ("closed while connecting".to_owned(), None),
            connected = self.connect() => connected,
        };
        let mut open = match connected {
            Ok(open) => open,
            Err(reason) => {
                warn!(conn = self.spec.id, reason, "stream connection failed");
                return (reason, None);
            }
        };
        self.stats.set_state(ConnectionState::Open);
        self.stats
            .connected_since_ms
            .store(crate::client::now_ms(), Ordering::Relaxed);
        metrics::gauge!("sift_binance_ws_connections").increment(1.0);
        let exit = self.serve(&mut open).await;
        self.stats.set_state(ConnectionState::Closing);
        metrics::gauge!("sift_binance_ws_connections").decrement(1.0);
        let open_for = Some(open.opened.elapsed());
        match exit {
            Exit::Requested => {
                debug!(conn = self.spec.id, "closing stream connection");
                let _ = timeout(CLOSE_TIMEOUT, async {
                    let _ = open.socket.close(None).await;
                    while let Some(Ok(_)) = open.socket.next().await {}
                })
                .await;
                ("closed".to_owned(), open_for)
            }
            Exit::Failed(reason) => {
                warn!(conn = self.spec.id, reason, "stream connection lost");
                (reason, open_for)
            }
        }
    }

    async fn connect(&mut self) -> Result<Open, String> {
        let config = &self.shared.config;
        let desired = self.spec.desired.borrow_and_update().clone();
        let (url, in_url) = stream_url(&self.shared.base_url, &desired);
        self.stats.streams.store(desired.len(), Ordering::Relaxed);
        self.shared
            .stats
            .connection_attempts
            .fetch_add(1, Ordering::Relaxed);
        metrics::counter!("sift_binance_ws_connection_attempts_total").increment(1);
        let connecting = tokio_tungstenite::connect_async_with_config(url.as_str(), None, true);
        let (socket, _) = timeout(config.connect_timeout, connecting)
            .await
            .map_err(|_| format!("connect timed out after {:?}", config.connect_timeout))?
            .map_err(|err| format!("connect failed: {err}"))?;
        info!(
            conn = self.spec.id,
            streams = desired.len(),
            "stream connection open"
        );
        let now = Instant::now();
        Ok(Open {
            socket,
            subs: Subscriptions::new(in_url, config.max_streams_per_control_message),
            dirty: !desired.is_empty(),
            initial: desired,
            ready_at: None,
            flowing: false,
            early: Vec::new(),
            limiter: MessageLimiter::new(config.control_messages_per_second),
            last_rx: now,
            opened: now,
            aged: false,
        })
    }

    /// The open phase: one event at a time until the connection fails or is closed.
    async fn serve(&mut self, open: &mut Open) -> Exit {
        let close = self.spec.close.clone();
        let silence = self.shared.config.silence_timeout;
        let control_timeout = self.shared.config.connect_timeout;
        let max_age = self.shared.config.max_connection_age;
        if let Some(exit) = self.check_ready(open).await {
            return exit;
        }
        loop {
            let now = Instant::now();
            let send_at = if open.dirty {
                open.limiter.next_control_at(now.into_std()).into()
            } else {
                now
            };
            let ack_deadline = open
                .subs
                .oldest_pending()
                .map(|sent| Instant::from_std(sent) + control_timeout);
            let flowing_deadline = open
                .ready_at
                .filter(|_| !open.flowing)
                .map(|at| at + silence);
            let result = tokio::select! {
                biased;
                () = close.cancelled() => return Exit::Requested,
                changed = self.spec.desired.changed() => {
                    if changed.is_err() {
                        return Exit::Requested;
                    }
                    let count = self.spec.desired.borrow_and_update().len();
                    self.stats.streams.store(count, Ordering::Relaxed);
                    open.dirty = true;
                    self.check_ready(open).await
                }
                message = open.socket.next() => self.on_message(open, message).await,
                () = sleep_until(send_at), if open.dirty => self.send_control(open).await,
                () = sleep_until(open.last_rx + silence) => {
                    return Exit::Failed(format!("no message for {silence:?}"));
                }
                () = sleep_until(open.opened + max_age), if !open.aged => {
                    open.aged = true;
                    self.emit_or_exit(ConnEventKind::Aged).await
                }
                () = sleep_until(ack_deadline.unwrap_or(now)), if ack_deadline.is_some() => {
                    self.shared.stats.control_errors.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("sift_binance_ws_control_errors_total").increment(1);
                    return Exit::Failed(format!("control message unanswered for {control_timeout:?}"));
                }
                () = sleep_until(flowing_deadline.unwrap_or(now)), if flowing_deadline.is_some() => {
                    open.flowing = true;
                    self.emit_or_exit(ConnEventKind::Flowing).await
                }
            };
            if let Some(exit) = result {
                return exit;
            }
        }
    }

    async fn on_message(
        &mut self,
        open: &mut Open,
        message: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    ) -> Option<Exit> {
        let message = match message {
            Some(Ok(message)) => message,
            Some(Err(err)) => return Some(Exit::Failed(format!("read failed: {err}"))),
            None => return Some(Exit::Failed("connection ended".to_owned())),
        };
        open.last_rx = Instant::now();
        self.stats
            .last_message_ms
            .store(crate::client::now_ms(), Ordering::Relaxed);
        match message {
            Message::Text(text) => self.on_text(open, text.as_str()).await,
            Message::Ping(_) => {
                // tungstenite queues the pong (same payload) and sends it on the next read.
                open.limiter.record(open.last_rx.into_std());
                None
            }
            Message::Close(frame) => Some(Exit::Failed(match frame {
                Some(frame) => format!("closed by server: {} {}", frame.code, frame.reason),
                None => "closed by server".to_owned(),
            })),
            Message::Binary(_) => {
                self.malformed("binary frame");
                None
            }
            Message::Pong(_) | Message::Frame(_) => None,
        }
    }

    async fn on_text(&mut self, open: &mut Open, text: &str) -> Option<Exit> {
        self.shared.stats.messages.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("sift_binance_ws_messages_total").increment(1);
        match decode_frame(text) {
            Ok(Frame::Kline(update)) => self.data(open, StreamEvent::Kline(update)).await,
            Ok(Frame::MiniTickers(tickers)) => {
                self.data(open, StreamEvent::MiniTickers(tickers)).await
            }
            Ok(Frame::ServerShutdown { event_time }) => {
                info!(conn = self.spec.id, event_time, "server shutdown announced");
                self.emit_or_exit(ConnEventKind::Shutdown).await
            }
            Ok(Frame::Response(response)) => {
                let Some(op) = open.subs.on_response(response.id) else {
                    debug!(
                        conn = self.spec.id,
                        id = response.id,
                        "answer to no request"
                    );
                    return None;
                };
                open.dirty = true;
                if op.method == Method::Subscribe && open.ready_at.is_some() {
                    let streams = self.still_wanted(op.streams);
                    if !streams.is_empty() {
                        return self
                            .emit_or_exit(ConnEventKind::Subscribed { streams })
                            .await;
                    }
                    return None;
                }
                self.check_ready(open).await
            }
            Ok(Frame::Error(err)) => {
                self.shared
                    .stats
                    .control_errors
                    .fetch_add(1, Ordering::Relaxed);
                metrics::counter!("sift_binance_ws_control_errors_total").increment(1);
                warn!(conn = self.spec.id, code = err.code, msg = %err.msg, id = ?err.id, "control message refused");
                let op = err.id.and_then(|id| open.subs.on_error(id))?;
                if op.method == Method::Subscribe {
                    let reason = format!("subscribe refused: {} {}", err.code, err.msg);
                    let streams = op.streams;
                    if let Some(exit) = self
                        .emit_or_exit(ConnEventKind::Rejected { streams, reason })
                        .await
                    {
                        return Some(exit);
                    }
                }
                self.check_ready(open).await
            }
            Err(err) if err.is_malformed() => {
                self.malformed(&err.to_string());
                None
            }
            Err(err) => {
                trace!(conn = self.spec.id, error = %err, "skipping unsupported frame");
                None
            }
        }
    }

    fn malformed(&self, error: &str) {
        self.shared.stats.malformed.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("sift_binance_ws_malformed_total").increment(1);
        debug!(conn = self.spec.id, error, "skipping malformed frame");
    }

    async fn data(&mut self, open: &mut Open, event: StreamEvent) -> Option<Exit> {
        if open.ready_at.is_none() {
            if open.early.len() < MAX_EARLY_EVENTS {
                open.early.push(event);
            }
            return None;
        }
        if !open.flowing {
            open.flowing = true;
            if let Some(exit) = self.emit_or_exit(ConnEventKind::Flowing).await {
                return Some(exit);
            }
        }
        self.emit_or_exit(ConnEventKind::Data(event)).await
    }

    /// Reports `Ready` (then the data held back) once the first subscriptions are confirmed.
    async fn check_ready(&mut self, open: &mut Open) -> Option<Exit> {
        if open.ready_at.is_some() {
            return None;
        }
        let streams: Vec<String> = {
            let desired = self.spec.desired.borrow();
            if !open.subs.covers(&open.initial, &desired) {
                return None;
            }
            open.subs
                .subscribed()
                .iter()
                .filter(|s| desired.contains(*s))
                .cloned()
                .collect()
        };
        open.ready_at = Some(Instant::now());
        if let Some(exit) = self.emit_or_exit(ConnEventKind::Ready { streams }).await {
            return Some(exit);
        }
        let early = std::mem::take(&mut open.early);
        for event in early {
            if let Some(exit) = self.data(open, event).await {
                return Some(exit);
            }
        }
        None
    }

    async fn send_control(&mut self, open: &mut Open) -> Option<Exit> {
        let next = {
            let desired = self.spec.desired.borrow();
            open.subs.next_op(&desired, Instant::now().into_std())
        };
        let Some((id, text)) = next else {
            open.dirty = false;
            return None;
        };
        trace!(conn = self.spec.id, id, text, "sending control message");
        let sending = open.socket.send(Message::text(text));
        let result = timeout(self.shared.config.connect_timeout, sending).await;
        open.limiter.record(Instant::now().into_std());
        match result {
            Ok(Ok(())) => None,
            Ok(Err(err)) => Some(Exit::Failed(format!("send failed: {err}"))),
            Err(_) => Some(Exit::Failed("send timed out".to_owned())),
        }
    }

    fn still_wanted(&self, streams: Vec<String>) -> Vec<String> {
        let desired = self.spec.desired.borrow();
        streams
            .into_iter()
            .filter(|s| desired.contains(s))
            .collect()
    }

    /// Reports to the pool; `Some(Exit::Requested)` if the pool is shutting down.
    async fn emit_or_exit(&self, kind: ConnEventKind) -> Option<Exit> {
        if self.emit(kind).await {
            None
        } else {
            Some(Exit::Requested)
        }
    }

    /// Sends `kind` to the pool unless the pool is shutting down; whether it was sent.
    async fn emit(&self, kind: ConnEventKind) -> bool {
        let event = ConnEvent {
            conn: self.spec.id,
            kind,
        };
        tokio::select! {
            biased;
            sent = self.shared.events.send(event) => sent.is_ok(),
            () = self.shared.cancel.cancelled() => false,
        }
    }
}
