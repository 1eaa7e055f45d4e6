//! Counters and per-connection state of the stream pool, readable from any [`StreamHandle`]
//! clone without talking to the pool task.
//!
//! [`StreamHandle`]: super::StreamHandle

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// What a connection is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionState {
    /// Waiting for a permit or for the handshake.
    Connecting,
    /// Connected (subscribed or subscribing).
    Open,
    /// Waiting out a reconnect delay.
    Backoff,
    /// Closing (replaced, unsubscribed or shutting down).
    Closing,
}

impl ConnectionState {
    fn from_u8(value: u8) -> Self {
        match value {
            0 => Self::Connecting,
            1 => Self::Open,
            2 => Self::Backoff,
            _ => Self::Closing,
        }
    }

    fn as_u8(self) -> u8 {
        match self {
            Self::Connecting => 0,
            Self::Open => 1,
            Self::Backoff => 2,
            Self::Closing => 3,
        }
    }
}

/// One connection in [`StreamStats`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionStats {
    /// The id used in [`StreamEvent::Connected`](super::StreamEvent::Connected) and
    /// `Disconnected`.
    pub id: u64,
    pub state: ConnectionState,
    /// Streams the connection carries or is to carry.
    pub streams: usize,
    /// When the handshake completed, epoch milliseconds.
    pub connected_since_ms: Option<i64>,
    /// Milliseconds since the last frame of any kind was received.
    pub last_message_age_ms: Option<i64>,
}

/// A snapshot of the pool, for `/health` and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Live connection tasks, by id.
    pub connections: Vec<ConnectionStats>,
    /// Streams subscribed through the handle.
    pub streams: usize,
    /// Text frames received.
    pub messages: u64,
    /// Frames that could not be decoded, skipped.
    pub malformed: u64,
    /// Replacement connections started after a connection was lost or failed to open.
    pub reconnects: u64,
    /// Connections replaced without a gap (age limit or `serverShutdown`).
    pub rollovers: u64,
    /// Connection attempts (handshakes started).
    pub connection_attempts: u64,
    /// Control messages Binance rejected or never answered.
    pub control_errors: u64,
}

/// Pool-wide counters and the registry of connections.
#[derive(Debug, Default)]
pub(crate) struct SharedStats {
    pub(crate) streams: AtomicUsize,
    pub(crate) messages: AtomicU64,
    pub(crate) malformed: AtomicU64,
    pub(crate) reconnects: AtomicU64,
    pub(crate) rollovers: AtomicU64,
    pub(crate) connection_attempts: AtomicU64,
    pub(crate) control_errors: AtomicU64,
    // std Mutex: inserts, removals and snapshots only, never held across an await.
    connections: Mutex<BTreeMap<u64, Arc<ConnStats>>>,
}

/// One connection's live figures, written by its task.
#[derive(Debug, Default)]
pub(crate) struct ConnStats {
    state: AtomicU8,
    pub(crate) streams: AtomicUsize,
    /// 0 until connected.
    pub(crate) connected_since_ms: AtomicI64,
    /// 0 until the first frame.
    pub(crate) last_message_ms: AtomicI64,
}

impl ConnStats {
    pub(crate) fn set_state(&self, state: ConnectionState) {
        self.state.store(state.as_u8(), Ordering::Relaxed);
    }
}

fn positive(value: i64) -> Option<i64> {
    (value > 0).then_some(value)
}

impl SharedStats {
    /// Adds connection `id` to the registry.
    pub(crate) fn register(&self, id: u64, state: ConnectionState) -> Arc<ConnStats> {
        let stats = Arc::new(ConnStats::default());
        stats.set_state(state);
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, Arc::clone(&stats));
        stats
    }

    pub(crate) fn unregister(&self, id: u64) {
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }

    pub(crate) fn snapshot(&self, now_ms: i64) -> StreamStats {
        let connections = self
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(id, conn)| ConnectionStats {
                id: *id,
                state: ConnectionState::from_u8(conn.state.load(Ordering::Relaxed)),
                streams: conn.streams.load(Ordering::Relaxed),
                connected_since_ms: positive(conn.connected_since_ms.load(Ordering::Relaxed)),
                last_message_age_ms: positive(conn.last_message_ms.load(Ordering::Relaxed))
                    .map(|last| (now_ms - last).max(0)),
            })
            .collect();
        StreamStats {
            connections,
            streams: self.streams.load(Ordering::Relaxed),
            messages: self.messages.load(Ordering::Relaxed),
            malformed: self.malformed.load(Ordering::Relaxed),
            reconnects: self.reconnects.load(Ordering::Relaxed),
            rollovers: self.rollovers.load(Ordering::Relaxed),
            connection_attempts: self.connection_attempts.load(Ordering::Relaxed),
            control_errors: self.control_errors.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_snapshot() {
        let shared = SharedStats::default();
        let conn = shared.register(7, ConnectionState::Backoff);
        conn.streams.store(3, Ordering::Relaxed);
        conn.last_message_ms.store(1_000, Ordering::Relaxed);
        shared.messages.fetch_add(2, Ordering::Relaxed);
        let snap = shared.snapshot(1_250);
        assert_eq!(snap.messages, 2);
        assert_eq!(
            snap.connections,
            vec![ConnectionStats {
                id: 7,
                state: ConnectionState::Backoff,
                streams: 3,
                connected_since_ms: None,
                last_message_age_ms: Some(250),
            }]
        );
        conn.set_state(ConnectionState::Closing);
        assert_eq!(
            shared.snapshot(0).connections[0].state,
            ConnectionState::Closing
        );
        shared.unregister(7);
        assert!(shared.snapshot(0).connections.is_empty());
    }
}
