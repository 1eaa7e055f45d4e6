//! What the fake server counted: connections, messages, drops and REST limits.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the fake server's counters (totals since the start unless said otherwise).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FakeStats {
    /// WebSocket connections open now.
    pub connections_open: u64,
    /// WebSocket upgrade requests, accepted or not.
    pub connection_attempts: u64,
    /// Upgrades refused: over the attempt limit, or too many streams in the URL.
    pub connections_rejected: u64,
    /// Streams subscribed now, summed over connections.
    pub subscriptions: u64,
    /// Data events queued to clients (klines, tickers, `serverShutdown`), duplicates and
    /// malformed ones included, dropped ones not.
    pub messages_sent: u64,
    /// Final kline updates (`x=true`) sent, duplicates included.
    pub closes_sent: u64,
    /// Control messages (`SUBSCRIBE`, ...) received, valid or not.
    pub control_messages: u64,
    pub pings_sent: u64,
    pub pongs_received: u64,
    /// Clients dropped for not answering pings within the pong timeout.
    pub dropped_for_silence: u64,
    /// Clients dropped for sending more than the allowed messages per second.
    pub dropped_for_rate: u64,
    /// Clients dropped for not reading fast enough (full queue or lagging behind the market).
    pub dropped_slow: u64,
    /// Connections closed at their maximum age.
    pub closed_for_age: u64,
    /// Connections ended by `disconnect_all` or `server_shutdown`.
    pub closed_by_fault: u64,
    /// Data events the drop fault swallowed.
    pub faults_dropped: u64,
    /// REST requests under `/api/v3`.
    pub rest_requests: u64,
    pub rest_429: u64,
    pub rest_418: u64,
}

/// The live counters behind [`FakeStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) connections_open: AtomicU64,
    pub(crate) connection_attempts: AtomicU64,
    pub(crate) connections_rejected: AtomicU64,
    pub(crate) subscriptions: AtomicU64,
    pub(crate) messages_sent: AtomicU64,
    pub(crate) closes_sent: AtomicU64,
    pub(crate) control_messages: AtomicU64,
    pub(crate) pings_sent: AtomicU64,
    pub(crate) pongs_received: AtomicU64,
    pub(crate) dropped_for_silence: AtomicU64,
    pub(crate) dropped_for_rate: AtomicU64,
    pub(crate) dropped_slow: AtomicU64,
    pub(crate) closed_for_age: AtomicU64,
    pub(crate) closed_by_fault: AtomicU64,
    pub(crate) faults_dropped: AtomicU64,
    pub(crate) rest_requests: AtomicU64,
    pub(crate) rest_429: AtomicU64,
    pub(crate) rest_418: AtomicU64,
}

/// Adds one.
pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    pub(crate) fn snapshot(&self) -> FakeStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        FakeStats {
            connections_open: get(&self.connections_open),
            connection_attempts: get(&self.connection_attempts),
            connections_rejected: get(&self.connections_rejected),
            subscriptions: get(&self.subscriptions),
            messages_sent: get(&self.messages_sent),
            closes_sent: get(&self.closes_sent),
            control_messages: get(&self.control_messages),
            pings_sent: get(&self.pings_sent),
            pongs_received: get(&self.pongs_received),
            dropped_for_silence: get(&self.dropped_for_silence),
            dropped_for_rate: get(&self.dropped_for_rate),
            dropped_slow: get(&self.dropped_slow),
            closed_for_age: get(&self.closed_for_age),
            closed_by_fault: get(&self.closed_by_fault),
            faults_dropped: get(&self.faults_dropped),
            rest_requests: get(&self.rest_requests),
            rest_429: get(&self.rest_429),
            rest_418: get(&self.rest_418),
        }
    }
}
