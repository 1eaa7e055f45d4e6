//! One WebSocket connection: its subscriptions, control messages, pings, limits and faults.
//!
//! Each connection is a task reading the socket, the market pushes and two timers, and a
//! writer task it owns fed through a bounded queue: a client that does not read fast enough
//! fills the queue and is dropped, as Binance drops slow consumers.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use sift_sim::Rng;
use tokio::sync::{broadcast, mpsc};
use tokio::time::{Instant, MissedTickBehavior, interval, interval_at, timeout};
use tracing::debug;

use super::control::{self, Request};
use super::faults::Ratios;
use super::json;
use super::shared::{Batch, Push, Shared};
use super::stats::bump;
use super::streams::StreamKey;

/// Messages queued to a client before it counts as too slow and is dropped: several seconds of
/// a busy connection (1,024 streams at one update per 2 s is 512 messages per second).
const OUTGOING_QUEUE: usize = 4_096;
/// A write that takes longer means the client is gone.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a close frame may take to go out.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How often age, pong timeout and shutdown grace are checked.
const CHECK_EVERY: Duration = Duration::from_millis(20);
/// Ping payloads remembered: a pong echoing any of them proves the client alive.
const PINGS_REMEMBERED: usize = 8;
/// Salt of the per-connection fault generator.
const FAULT_SALT: u64 = 0x6661_756c_7473;

/// How a connection ends.
#[derive(Debug)]
enum End {
    /// The client went away (close frame, error or end of stream).
    Gone,
    /// Dropped at once, without a close frame.
    Drop,
    /// Closed with a close frame.
    Close(u16, &'static str),
}

/// Serves one upgraded socket until it ends.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    socket: WebSocket,
    streams: Vec<String>,
    combined: bool,
) {
    let id = shared.next_connection_id();
    let (sink, source) = socket.split();
    let (out, queue) = mpsc::channel(OUTGOING_QUEUE);
    let writer = tokio::spawn(write_loop(sink, queue));
    let pushes = shared.pushes.subscribe();
    shared
        .stats
        .connections_open
        .fetch_add(1, Ordering::Relaxed);
    let mut conn = Connection::new(Arc::clone(&shared), id, combined, out);
    for name in streams {
        conn.subscribe(name);
    }
    let end = conn.run(source, pushes).await;
    debug!(connection = id, end = ?end, "fake binance connection ended");
    match end {
        End::Drop => writer.abort(),
        End::Close(code, reason) => {
            let frame = CloseFrame {
                code,
                reason: reason.into(),
            };
            // A full queue is the slow client's problem: the writer is aborted below.
            let _ = conn.out.try_send(Message::Close(Some(frame)));
        }
        End::Gone => {}
    }
    drop(conn);
    if timeout(CLOSE_TIMEOUT, writer).await.is_err() {
        debug!(connection = id, "fake binance writer did not finish");
    }
    shared
        .stats
        .connections_open
        .fetch_sub(1, Ordering::Relaxed);
}

/// Writes queued messages, flushing whenever the queue runs empty; stops at a close frame, a
/// failed or slow write, or when the connection drops its sender.
async fn write_loop(mut sink: SplitSink<WebSocket, Message>, mut queue: mpsc::Receiver<Message>) {
    while let Some(first) = queue.recv().await {
        let mut next = Some(first);
        while let Some(message) = next.take() {
            let closing = matches!(message, Message::Close(_));
            if !matches!(timeout(WRITE_TIMEOUT, sink.feed(message)).await, Ok(Ok(()))) {
                return;
            }
            if closing {
                let _ = timeout(WRITE_TIMEOUT, sink.flush()).await;
                return;
            }
            next = queue.try_recv().ok();
        }
        if !matches!(timeout(WRITE_TIMEOUT, sink.flush()).await, Ok(Ok(()))) {
            return;
        }
    }
    let _ = timeout(WRITE_TIMEOUT, sink.close()).await;
}

#[derive(Debug)]
struct Connection {
    shared: Arc<Shared>,
    combined: bool,
    out: mpsc::Sender<Message>,
    /// Subscribed stream names in subscription order, and as a set.
    names: Vec<String>,
    subscribed: HashSet<String>,
    rng: Rng,
    /// A data event the reorder fault holds back until the next one is sent.
    held: Option<(String, bool)>,
    /// Arrival times of the messages received in the last second.
    incoming: VecDeque<Instant>,
    pings: VecDeque<Vec<u8>>,
    /// When the oldest ping still unanswered was sent.
    unanswered_since: Option<Instant>,
    opened: Instant,
    /// After `serverShutdown`: when to close.
    closing_at: Option<Instant>,
}

impl Connection {
    fn new(shared: Arc<Shared>, id: u64, combined: bool, out: mpsc::Sender<Message>) -> Self {
        let rng = Rng::stream(shared.config.seed ^ FAULT_SALT, id);
        Self {
            shared,
            combined,
            out,
            names: Vec::new(),
            subscribed: HashSet::new(),
            rng,
            held: None,
            incoming: VecDeque::new(),
            pings: VecDeque::new(),
            unanswered_since: None,
            opened: Instant::now(),
            closing_at: None,
        }
    }

    async fn run(
        &mut self,
        mut source: SplitStream<WebSocket>,
        mut pushes: broadcast::Receiver<Push>,
    ) -> End {
        let every = self
            .shared
            .config
            .ping_interval
            .max(Duration::from_millis(1));
        let mut ping = interval_at(Instant::now() + every, every);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut check = interval(CHECK_EVERY);
        check.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let cancel = self.shared.cancel.clone();
        loop {
            let outcome = tokio::select! {
                () = cancel.cancelled() => Err(End::Close(1001, "server stopping")),
                message = source.next() => match message {
                    Some(Ok(message)) => self.on_message(message),
                    Some(Err(_)) | None => Err(End::Gone),
                },
                push = pushes.recv() => self.on_push(push),
                _ = ping.tick() => self.on_ping(),
                _ = check.tick() => self.on_check(),
            };
            if let Err(end) = outcome {
                return end;
            }
        }
    }

    fn silent(&self) -> bool {
        self.shared
            .faults
            .lock()
            .silent(self.opened, Instant::now())
    }

    fn on_message(&mut self, message: Message) -> Result<(), End> {
        let now = Instant::now();
        self.incoming.push_back(now);
        while self
            .incoming
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            self.incoming.pop_front();
        }
        if self.incoming.len() > self.shared.config.max_messages_per_second as usize {
            bump(&self.shared.stats.dropped_for_rate);
            return Err(End::Drop);
        }
        match message {
            Message::Text(text) => {
                bump(&self.shared.stats.control_messages);
                let reply = self.control(text.as_str());
                self.send_control(reply)
            }
            Message::Pong(payload) => {
                bump(&self.shared.stats.pongs_received);
                // Unsolicited pongs are allowed but prove nothing.
                if self.pings.iter().any(|p| p[..] == payload[..]) {
                    self.pings.clear();
                    self.unanswered_since = None;
                }
                Ok(())
            }
            Message::Close(_) => Err(End::Gone),
            // Pings are answered by the WebSocket layer; binary frames mean nothing here.
            Message::Ping(_) | Message::Binary(_) => Ok(()),
        }
    }

    fn on_push(&mut self, push: Result<Push, broadcast::error::RecvError>) -> Result<(), End> {
        match push {
            Ok(Push::Batch(batch)) => self.on_batch(&batch),
            Ok(Push::Disconnect) => {
                bump(&self.shared.stats.closed_by_fault);
                Err(End::Drop)
            }
            Ok(Push::ServerShutdown) => {
                if !self.silent() {
                    let payload = json::server_shutdown(self.shared.clock.now_ms());
                    let text = if self.combined {
                        json::combined("!serverShutdown", &payload)
                    } else {
                        payload
                    };
                    self.enqueue(text, false)?;
                }
                self.closing_at = Some(Instant::now() + self.shared.config.shutdown_grace);
                Ok(())
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {
                bump(&self.shared.stats.dropped_slow);
                Err(End::Drop)
            }
            Err(broadcast::error::RecvError::Closed) => Err(End::Close(1001, "server stopping")),
        }
    }

    fn on_batch(&mut self, batch: &Batch) -> Result<(), End> {
        if self.subscribed.is_empty() || self.silent() {
            return Ok(());
        }
        let ratios = self.shared.faults.lock().ratios();
        for event in &batch.events {
            if self.subscribed.contains(&event.stream) {
                let text = if self.combined {
                    json::combined(&event.stream, &event.payload)
                } else {
                    event.payload.clone()
                };
                self.send_data(text, event.close, ratios)?;
            }
        }
        Ok(())
    }

    /// Sends one data event through the per-message faults.
    fn send_data(&mut self, text: String, close: bool, ratios: Ratios) -> Result<(), End> {
        let rng = &mut self.rng;
        if ratios.drop > 0.0 && rng.chance(ratios.drop) {
            bump(&self.shared.stats.faults_dropped);
            return Ok(());
        }
        let text = if ratios.malformed > 0.0 && rng.chance(ratios.malformed) {
            text[..text.len() / 2].to_owned()
        } else {
            text
        };
        let copies = if ratios.duplicate > 0.0 && rng.chance(ratios.duplicate) {
            2
        } else {
            1
        };
        if ratios.reorder > 0.0 && self.held.is_none() && rng.chance(ratios.reorder) {
            self.held = Some((text, close));
            return Ok(());
        }
        for _ in 1..copies {
            self.enqueue(text.clone(), close)?;
        }
        self.enqueue(text, close)?;
        if let Some((held, held_close)) = self.held.take() {
            self.enqueue(held, held_close)?;
        }
        Ok(())
    }

    /// Queues a data event; a full queue drops the client as too slow.
    fn enqueue(&mut self, text: String, close: bool) -> Result<(), End> {
        match self.out.try_send(Message::Text(text.into())) {
            Ok(()) => {
                bump(&self.shared.stats.messages_sent);
                if close {
                    bump(&self.shared.stats.closes_sent);
                }
                Ok(())
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                bump(&self.shared.stats.dropped_slow);
                Err(End::Drop)
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(End::Gone),
        }
    }

    /// Answers a control message (nothing goes out while the server is silent).
    fn send_control(&mut self, reply: String) -> Result<(), End> {
        if self.silent() {
            return Ok(());
        }
        self.send_control_message(Message::Text(reply.into()))
    }

    fn on_ping(&mut self) -> Result<(), End> {
        if self.silent() {
            return Ok(());
        }
        let payload = self.shared.clock.now_ms().to_string().into_bytes();
        if self.pings.len() == PINGS_REMEMBERED {
            self.pings.pop_front();
        }
        self.pings.push_back(payload.clone());
        self.unanswered_since.get_or_insert_with(Instant::now);
        bump(&self.shared.stats.pings_sent);
        self.send_control_message(Message::Ping(payload.into()))
    }

    /// Queues a message that is not a data event (no fault applies, no count).
    fn send_control_message(&mut self, message: Message) -> Result<(), End> {
        match self.out.try_send(message) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => {
                bump(&self.shared.stats.dropped_slow);
                Err(End::Drop)
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(End::Gone),
        }
    }

    fn on_check(&mut self) -> Result<(), End> {
        let now = Instant::now();
        // A silent (half-open) connection ends without a word.
        let close = |code, reason| {
            if self.silent() {
                End::Drop
            } else {
                End::Close(code, reason)
            }
        };
        if self.closing_at.is_some_and(|at| now >= at) {
            bump(&self.shared.stats.closed_by_fault);
            return Err(close(1001, "server shutdown"));
        }
        let config = &self.shared.config;
        let max_age = match self.shared.faults.lock().max_connection_age() {
            Some(fault) => fault.min(config.max_connection_age),
            None => config.max_connection_age,
        };
        if now.duration_since(self.opened) >= max_age {
            bump(&self.shared.stats.closed_for_age);
            return Err(close(1000, "connection age limit"));
        }
        if self.silent() {
            // Nothing was asked of the client while the server kept quiet.
            self.unanswered_since = None;
            self.pings.clear();
        } else if self
            .unanswered_since
            .is_some_and(|since| now.duration_since(since) > config.pong_timeout)
        {
            bump(&self.shared.stats.dropped_for_silence);
            return Err(End::Drop);
        }
        Ok(())
    }

    /// Answers one control message.
    fn control(&mut self, text: &str) -> String {
        let (id, request) = match control::parse(text) {
            Ok(parsed) => parsed,
            Err(rejection) => return rejection.to_json(),
        };
        let result = match request {
            Request::Subscribe(names) => {
                let new = names
                    .iter()
                    .filter(|n| !self.subscribed.contains(*n))
                    .count();
                if self.names.len() + new > self.shared.config.max_streams_per_connection {
                    let msg = format!(
                        "Invalid request: a connection holds at most {} streams",
                        self.shared.config.max_streams_per_connection
                    );
                    let rejection = control::Rejection {
                        code: 2,
                        msg,
                        id: Some(id),
                    };
                    return rejection.to_json();
                }
                for name in names {
                    self.subscribe(name);
                }
                Value::Null
            }
            Request::Unsubscribe(names) => {
                for name in names {
                    self.unsubscribe(&name);
                }
                Value::Null
            }
            Request::List => Value::from(self.names.clone()),
            Request::SetCombined(on) => {
                self.combined = on;
                Value::Null
            }
            Request::GetCombined => Value::Bool(self.combined),
        };
        control::answer(&id, &result)
    }

    fn subscribe(&mut self, name: String) {
        if self.subscribed.contains(&name) {
            return;
        }
        if let Some(key) = StreamKey::parse(&name) {
            self.shared.registry.lock().add(&key);
        }
        bump(&self.shared.stats.subscriptions);
        self.subscribed.insert(name.clone());
        self.names.push(name);
    }

    fn unsubscribe(&mut self, name: &str) {
        if !self.subscribed.remove(name) {
            return;
        }
        self.names.retain(|n| n != name);
        if let Some(key) = StreamKey::parse(name) {
            self.shared.registry.lock().remove(&key);
        }
        self.shared
            .stats
            .subscriptions
            .fetch_sub(1, Ordering::Relaxed);
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        for name in std::mem::take(&mut self.names) {
            self.subscribed.remove(&name);
            if let Some(key) = StreamKey::parse(&name) {
                self.shared.registry.lock().remove(&key);
            }
            self.shared
                .stats
                .subscriptions
                .fetch_sub(1, Ordering::Relaxed);
        }
    }
}
