//! The pool task: assigns streams to connection slots, starts and replaces connections, and
//! turns their reports into [`StreamEvent`]s.
//!
//! A *slot* is a group of at most `max_streams_per_connection` streams served by one active
//! connection, plus a standby while a replacement is being prepared (rollover). All data goes
//! through this task, so the order of events per stream is the order this task decides.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use super::connection::{self, ConnEvent, ConnEventKind, ConnShared, ConnSpec};
use super::limits::{AttemptLimiter, AttemptWindow};
use super::stats::SharedStats;
use super::{Command, StreamConfig, StreamEvent};
use crate::client::backoff::Backoff;

/// Reports from connection tasks waiting for the pool (data included).
const CONN_EVENT_CHANNEL_CAPACITY: usize = 1024;

pub(crate) struct Pool {
    shared: Arc<ConnShared>,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Receiver<ConnEvent>,
    out: mpsc::Sender<StreamEvent>,
    slots: BTreeMap<u64, Slot>,
    stream_slots: HashMap<String, u64>,
    conns: HashMap<u64, ConnEntry>,
    tasks: JoinSet<()>,
    task_conns: HashMap<tokio::task::Id, u64>,
    next_slot: u64,
    next_conn: u64,
}

struct Slot {
    desired: watch::Sender<BTreeSet<String>>,
    active: u64,
    standby: Option<u64>,
    /// A rollover was asked for and has not completed.
    rollover_wanted: bool,
    backoff: Backoff,
}

struct ConnEntry {
    slot: u64,
    close: CancellationToken,
    /// `Connected` was emitted for it.
    connected: bool,
    /// Streams it confirmed and that are still wanted.
    live: BTreeSet<String>,
    /// Closed on purpose (replaced or unsubscribed): its end is not a loss.
    retiring: bool,
}

impl Pool {
    pub(crate) fn new(
        config: StreamConfig,
        cancel: CancellationToken,
        commands: mpsc::Receiver<Command>,
        out: mpsc::Sender<StreamEvent>,
        stats: Arc<SharedStats>,
    ) -> Self {
        let (events_tx, events) = mpsc::channel(CONN_EVENT_CHANNEL_CAPACITY);
        let attempts = AttemptLimiter::new(AttemptWindow::new(
            config.connection_attempts_per_5min,
            config.connection_attempt_window,
        ));
        let base_url = config.base_url.trim_end_matches('/').to_owned();
        Self {
            shared: Arc::new(ConnShared {
                config,
                base_url,
                attempts,
                stats,
                events: events_tx,
                cancel,
            }),
            commands,
            events,
            out,
            slots: BTreeMap::new(),
            stream_slots: HashMap::new(),
            conns: HashMap::new(),
            tasks: JoinSet::new(),
            task_conns: HashMap::new(),
            next_slot: 0,
            next_conn: 1,
        }
    }

    pub(crate) async fn run(mut self) {
        let cancel = self.shared.cancel.clone();
        loop {
            tokio::select! {
                biased;
                () = cancel.cancelled() => break,
                Some(event) = self.events.recv() => self.on_event(event).await,
                Some(command) = self.commands.recv() => self.on_command(command),
                Some(ended) = self.tasks.join_next_with_id(), if !self.tasks.is_empty() => {
                    self.on_task_end(ended).await;
                }
            }
        }
        // Every connection's close token is a child of `cancel`: they are all closing.
        while self.tasks.join_next().await.is_some() {}
        info!("stream client stopped");
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Subscribe(streams, reply) => {
                self.subscribe(streams);
                let _ = reply.send(());
            }
            Command::Unsubscribe(streams, reply) => {
                self.unsubscribe(streams);
                let _ = reply.send(());
            }
        }
        self.shared
            .stats
            .streams
            .store(self.stream_slots.len(), Ordering::Relaxed);
    }

    fn subscribe(&mut self, streams: Vec<String>) {
        let max = self.shared.config.max_streams_per_connection;
        let mut added: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        let mut new_slots: Vec<u64> = Vec::new();
        for stream in streams {
            if self.stream_slots.contains_key(&stream) {
                continue;
            }
            let count = |slot: &u64, pool: &Self| {
                pool.slots.get(slot).map_or(0, |s| s.desired.borrow().len())
                    + added.get(slot).map_or(0, Vec::len)
            };
            let free = self
                .slots
                .keys()
                .chain(new_slots.iter())
                .copied()
                .find(|slot| count(slot, self) < max);
            let slot = free.unwrap_or_else(|| {
                let slot = self.next_slot;
                self.next_slot += 1;
                new_slots.push(slot);
                slot
            });
            self.stream_slots.insert(stream.clone(), slot);
            added.entry(slot).or_default().push(stream);
        }
        for (slot_id, streams) in added {
            match self.slots.get(&slot_id) {
                Some(slot) => slot.desired.send_modify(|set| set.extend(streams)),
                None => {
                    let (desired, _) = watch::channel(streams.into_iter().collect());
                    let config = &self.shared.config;
                    let slot = Slot {
                        desired,
                        active: 0,
                        standby: None,
                        rollover_wanted: false,
                        backoff: Backoff::new(config.backoff_min, config.backoff_max),
                    };
                    self.slots.insert(slot_id, slot);
                    let conn = self.spawn_conn(slot_id, Duration::ZERO);
                    if let Some(slot) = self.slots.get_mut(&slot_id) {
                        slot.active = conn;
                    }
                }
            }
        }
    }

    fn unsubscribe(&mut self, streams: Vec<String>) {
        let mut removed: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        for stream in streams {
            if let Some(slot) = self.stream_slots.remove(&stream) {
                removed.entry(slot).or_default().push(stream);
            }
        }
        for (slot_id, streams) in removed {
            let Some(slot) = self.slots.get(&slot_id) else {
                continue;
            };
            slot.desired.send_modify(|set| {
                for stream in &streams {
                    set.remove(stream);
                }
            });
            let empty = slot.desired.borrow().is_empty();
            let members = [Some(slot.active), slot.standby];
            for conn in members.into_iter().flatten() {
                if let Some(entry) = self.conns.get_mut(&conn) {
                    for stream in &streams {
                        entry.live.remove(stream);
                    }
                    if empty {
                        entry.retiring = true;
                        entry.close.cancel();
                    }
                }
            }
            if empty {
                self.slots.remove(&slot_id);
            }
        }
    }

    fn spawn_conn(&mut self, slot: u64, delay: Duration) -> u64 {
        let id = self.next_conn;
        self.next_conn += 1;
        let close = self.shared.cancel.child_token();
        let Some(desired) = self.slots.get(&slot).map(|s| s.desired.subscribe()) else {
            return id;
        };
        let spec = ConnSpec {
            id,
            delay,
            desired,
            close: close.clone(),
        };
        let task = self
            .tasks
            .spawn(connection::run(spec, Arc::clone(&self.shared)));
        self.task_conns.insert(task.id(), id);
        self.conns.insert(
            id,
            ConnEntry {
                slot,
                close,
                connected: false,
                live: BTreeSet::new(),
                retiring: false,
            },
        );
        id
    }

    async fn on_event(&mut self, event: ConnEvent) {
        let conn = event.conn;
        let Some(entry) = self.conns.get_mut(&conn) else {
            return;
        };
        let slot_id = entry.slot;
        let retiring = entry.retiring;
        match event.kind {
            ConnEventKind::Data(data) => self.emit(data).await,
            ConnEventKind::Ready { streams } => {
                entry.connected = true;
                entry.live = streams.iter().cloned().collect();
                if !retiring {
                    self.emit(StreamEvent::Connected {
                        connection: conn,
                        streams,
                    })
                    .await;
                }
            }
            ConnEventKind::Subscribed { streams } => {
                entry.live.extend(streams.iter().cloned());
                if !retiring {
                    self.emit(StreamEvent::Connected {
                        connection: conn,
                        streams,
                    })
                    .await;
                }
            }
            ConnEventKind::Rejected { streams, reason } => {
                let active = self.slots.get(&slot_id).is_some_and(|s| s.active == conn);
                if active && !retiring {
                    self.emit(StreamEvent::Disconnected {
                        connection: conn,
                        streams,
                        reason,
                    })
                    .await;
                }
            }
            ConnEventKind::Flowing => {
                if self
                    .slots
                    .get(&slot_id)
                    .is_some_and(|s| s.standby == Some(conn))
                {
                    self.promote(slot_id);
                }
            }
            ConnEventKind::Shutdown | ConnEventKind::Aged => {
                if self.slots.get(&slot_id).is_some_and(|s| s.active == conn) {
                    self.start_rollover(slot_id);
                }
            }
            ConnEventKind::Closed { reason, open_for } => {
                self.on_closed(conn, reason, open_for).await;
            }
        }
    }

    /// Opens a standby for the slot's active connection, if none is being prepared.
    fn start_rollover(&mut self, slot_id: u64) {
        let Some(slot) = self.slots.get_mut(&slot_id) else {
            return;
        };
        slot.rollover_wanted = true;
        if slot.standby.is_none() {
            let standby = self.spawn_conn(slot_id, Duration::ZERO);
            if let Some(slot) = self.slots.get_mut(&slot_id) {
                slot.standby = Some(standby);
            }
            info!(slot = slot_id, standby, "opening replacement connection");
        }
    }

    /// The standby is subscribed and delivering: it becomes active and the old one closes.
    fn promote(&mut self, slot_id: u64) {
        let Some(slot) = self.slots.get_mut(&slot_id) else {
            return;
        };
        let Some(new) = slot.standby.take() else {
            return;
        };
        let old = std::mem::replace(&mut slot.active, new);
        slot.rollover_wanted = false;
        if let Some(entry) = self.conns.get_mut(&old) {
            entry.retiring = true;
            entry.close.cancel();
        }
        self.shared.stats.rollovers.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("sift_binance_ws_rollovers_total").increment(1);
        info!(old, new, "connection replaced");
    }

    async fn on_closed(&mut self, conn: u64, reason: String, open_for: Option<Duration>) {
        let Some(entry) = self.conns.remove(&conn) else {
            return;
        };
        if entry.retiring || self.shared.cancel.is_cancelled() {
            return;
        }
        let Some(slot) = self.slots.get_mut(&entry.slot) else {
            return;
        };
        let healthy = open_for.is_some_and(|open| open >= self.shared.config.backoff_max);
        if healthy {
            slot.backoff.reset();
        }
        if slot.standby == Some(conn) {
            // The replacement failed; the active connection still serves. Try again.
            slot.standby = None;
            if slot.rollover_wanted {
                let delay = slot.backoff.next_delay();
                let standby = self.spawn_conn(entry.slot, delay);
                if let Some(slot) = self.slots.get_mut(&entry.slot) {
                    slot.standby = Some(standby);
                }
            }
            return;
        }
        if slot.active != conn {
            return;
        }
        let standby = slot.standby.take();
        let standby_ready =
            standby.is_some_and(|id| self.conns.get(&id).is_some_and(|e| e.connected));
        if let (Some(standby), true) = (standby, standby_ready) {
            // The replacement is already subscribed: nothing was missed.
            slot.active = standby;
            slot.rollover_wanted = false;
            self.shared.stats.rollovers.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("sift_binance_ws_rollovers_total").increment(1);
            return;
        }
        let replacement = match standby {
            Some(standby) => standby,
            None => {
                let delay = slot.backoff.next_delay();
                self.spawn_conn(entry.slot, delay)
            }
        };
        if let Some(slot) = self.slots.get_mut(&entry.slot) {
            slot.active = replacement;
            slot.rollover_wanted = false;
        }
        self.shared.stats.reconnects.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("sift_binance_ws_reconnects_total").increment(1);
        if entry.connected && !entry.live.is_empty() {
            warn!(
                conn,
                replacement, reason, "streams disconnected, reconnecting"
            );
            self.emit(StreamEvent::Disconnected {
                connection: conn,
                streams: entry.live.into_iter().collect(),
                reason,
            })
            .await;
        }
    }

    async fn on_task_end(&mut self, ended: Result<(tokio::task::Id, ()), JoinError>) {
        match ended {
            Ok((task, ())) => {
                self.task_conns.remove(&task);
            }
            Err(err) => {
                let Some(conn) = self.task_conns.remove(&err.id()) else {
                    return;
                };
                if self.conns.contains_key(&conn) {
                    error!(conn, error = %err, "stream connection task failed");
                    self.shared.stats.unregister(conn);
                    self.on_closed(conn, format!("connection task failed: {err}"), None)
                        .await;
                }
            }
        }
    }

    /// Hands `event` to the consumer. While the consumer is behind, subscribe and unsubscribe
    /// requests are still served (they never wait), so a consumer that subscribes from its own
    /// event loop cannot deadlock with a full channel.
    async fn emit(&mut self, event: StreamEvent) {
        let event = match self.out.try_send(event) {
            Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => return,
            Err(mpsc::error::TrySendError::Full(event)) => event,
        };
        let out = self.out.clone();
        let permit = loop {
            tokio::select! {
                biased;
                () = self.shared.cancel.cancelled() => return,
                permit = out.reserve() => match permit {
                    Ok(permit) => break permit,
                    // The consumer is gone; keep serving connections until cancelled.
                    Err(_) => return,
                },
                Some(command) = self.commands.recv() => self.on_command(command),
            }
        };
        permit.send(event);
    }
}
