//! A small pool of blocking connections for the synchronous store.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use parking_lot::{Mutex, MutexGuard};

use crate::write::load_scripts;
use crate::{Error, RedisConfig};

/// Blocking connections kept open. The store's callers are a few blocking threads at once (the
/// collector's writer, engine workers warming up, API handlers via `spawn_blocking`); more
/// threads than connections wait on a slot's lock, each call being a single round trip.
pub(crate) const POOL_SIZE: usize = 4;

/// Connections opened lazily and replaced after a connection-level failure.
///
/// Each slot is a `parking_lot::Mutex` held for one call, IO included: the pool serves
/// blocking callers only (never hold it in async code; the mirror has its own connection).
pub(crate) struct Pool {
    client: redis::Client,
    connect_timeout: Duration,
    op_timeout: Duration,
    slots: Box<[Mutex<Option<redis::Connection>>]>,
    next: AtomicUsize,
    /// Connect threads still running, abandoned ones included (see [`Pool::connect`]).
    connecting: Arc<AtomicUsize>,
}

impl Pool {
    /// A pool for `config`; does not connect.
    pub(crate) fn new(config: &RedisConfig) -> Result<Self, Error> {
        Ok(Self {
            client: config.client()?,
            connect_timeout: config.connect_timeout,
            op_timeout: config.op_timeout,
            slots: (0..POOL_SIZE).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
            connecting: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// A free slot if there is one, else the next slot in turn (waiting for it).
    fn slot(&self) -> MutexGuard<'_, Option<redis::Connection>> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.slots.len();
        (0..n)
            .find_map(|k| self.slots[(start + k) % n].try_lock())
            .unwrap_or_else(|| self.slots[start % n].lock())
    }

    /// Opens a connection on a helper thread, waiting at most the connect plus the op timeout.
    ///
    /// redis-rs bounds only the TCP connect of a blocking connection: its TLS handshake and
    /// setup commands read without a timeout, so a server that accepts and never answers (or
    /// a plain server behind a `rediss://` URL) would block the caller forever. The helper
    /// thread takes that risk instead; at most [`POOL_SIZE`] of them may be stuck at once,
    /// beyond which connecting fails at once until one ends.
    fn connect(&self) -> Result<redis::Connection, Error> {
        let limit = self.connect_timeout + self.op_timeout;
        if self.connecting.fetch_add(1, Ordering::AcqRel) >= POOL_SIZE {
            self.connecting.fetch_sub(1, Ordering::AcqRel);
            return Err(Error::Timeout(limit));
        }
        let (tx, rx) = mpsc::sync_channel(1);
        let (client, connect_timeout, op_timeout) =
            (self.client.clone(), self.connect_timeout, self.op_timeout);
        let connecting = Arc::clone(&self.connecting);
        let spawned = std::thread::Builder::new()
            .name("redis-connect".into())
            .spawn(move || {
                let _ = tx.send(open(&client, connect_timeout, op_timeout));
                connecting.fetch_sub(1, Ordering::AcqRel);
            });
        if let Err(err) = spawned {
            self.connecting.fetch_sub(1, Ordering::AcqRel);
            return Err(Error::Redis(err.into()));
        }
        match rx.recv_timeout(limit) {
            Ok(result) => result.map_err(Error::Redis),
            Err(_) => Err(Error::Timeout(limit)),
        }
    }

    /// Runs `call` on a pooled connection, connecting first if needed. On `NOSCRIPT` the
    /// scripts are loaded and `call` runs once more (the scripts are idempotent, and nothing
    /// ran anyway). A connection that failed at the connection level (IO error, timeout) is
    /// dropped, since a late reply could otherwise be read as the answer to the next call.
    pub(crate) fn run<R>(
        &self,
        mut call: impl FnMut(&mut redis::Connection) -> redis::RedisResult<R>,
    ) -> Result<R, Error> {
        let mut slot = self.slot();
        let conn = match slot.as_mut() {
            Some(conn) => conn,
            None => slot.insert(self.connect()?),
        };
        let result = match call(conn) {
            Err(err) if err.kind() == redis::ErrorKind::NoScriptError => {
                load_scripts().query::<()>(conn).and_then(|()| call(conn))
            }
            other => other,
        };
        result.map_err(|err| {
            if err.is_io_error()
                || err.is_timeout()
                || err.is_connection_dropped()
                || err.is_unrecoverable_error()
            {
                *slot = None;
            }
            Error::Redis(err)
        })
    }
}

/// A blocking connection with its timeouts set and the scripts loaded.
fn open(
    client: &redis::Client,
    connect_timeout: Duration,
    op_timeout: Duration,
) -> Result<redis::Connection, redis::RedisError> {
    let mut conn = client.get_connection_with_timeout(connect_timeout)?;
    conn.set_read_timeout(Some(op_timeout))?;
    conn.set_write_timeout(Some(op_timeout))?;
    load_scripts().query::<()>(&mut conn)?;
    Ok(conn)
}
