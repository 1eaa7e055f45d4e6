//! [`RedisMirror`]: the in-process store, mirrored to Redis in the background.

mod flush;
mod health;
mod queue;
mod task;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use sift_candles::{CandleStore, ClosedPut, MemoryCandleStore, Put, StoreError};
use sift_core::{Candle, Interval, Symbol, Ticker};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::warn;

pub use health::{MirrorHealth, RedisState};

use crate::{Error, Keys, RedisConfig};
use health::Stats;
use queue::{Dropped, Queue};

/// Closed candles the mirror buffers while Redis is unreachable: 500 symbols x 6 intervals
/// (1m to 1d) close about 38,500 candles an hour, so this holds about 6.5 hours of them, in
/// about 35 MB. Beyond it the oldest queued candles are dropped from the queue and their
/// series rewritten from memory once Redis is back (see [`RedisMirror`]).
pub const MAX_PENDING_CLOSED: usize = 250_000;

/// Forming candles (per series) and tickers (per symbol) the mirror buffers: only the latest
/// of each is kept, so this bounds the number of series and symbols, far above a universe of
/// 500 symbols x 16 intervals.
pub const MAX_PENDING_LATEST: usize = 20_000;

/// How the mirror reaches Redis and paces itself.
#[derive(Debug, Clone)]
pub struct MirrorConfig {
    pub redis: RedisConfig,
    /// How often the health PING runs (also detects Redis losing the mirror's data).
    pub ping_interval: Duration,
    /// How often forming candles and tickers are written (closed candles go at once).
    pub latest_interval: Duration,
    /// First wait before reconnecting; doubles per failure up to `reconnect_max`, jittered.
    pub reconnect_min: Duration,
    pub reconnect_max: Duration,
    /// Longest time spent writing what is still queued when shutting down.
    pub drain_timeout: Duration,
    /// Bound on buffered closed candles; [`MAX_PENDING_CLOSED`] by default.
    pub max_pending_closed: usize,
    /// Bound on buffered forming candles and on buffered tickers; [`MAX_PENDING_LATEST`] by
    /// default.
    pub max_pending_latest: usize,
}

impl MirrorConfig {
    /// Defaults: PING every 10 s, forming candles and tickers every 2 s, reconnect after
    /// 100 ms doubling up to 5 s, drain for 5 s.
    pub fn new(redis: RedisConfig) -> Self {
        Self {
            redis,
            ping_interval: Duration::from_secs(10),
            latest_interval: Duration::from_secs(2),
            reconnect_min: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(5),
            drain_timeout: Duration::from_secs(5),
            max_pending_closed: MAX_PENDING_CLOSED,
            max_pending_latest: MAX_PENDING_LATEST,
        }
    }
}

/// The [`CandleStore`] of `sift serve` and the collector when `redis.url` is set: writes go to
/// the in-process [`MemoryCandleStore`] (which serves every read) and are forwarded to Redis,
/// in the same key schema and with the same scripts as [`RedisCandleStore`](crate::RedisCandleStore),
/// by a background task. A cheap-clone handle.
///
/// # Forwarding
/// Only writes the in-process store accepted are forwarded (appended closed candles, stored
/// forming candles and tickers), in the order it applied them: one lock around the in-process
/// write and the enqueue keeps the two orders equal. The task flushes whenever there is
/// something queued: everything queued goes in one pipeline (one round trip; a close burst is
/// one script call), forming candles and tickers coalesced to the latest per key. The queue is
/// swapped out for a flush, so writes arriving meanwhile wait for the next flush and a failed
/// flush is put back in front of them.
///
/// # When Redis is down
/// Writes are buffered (bounded: [`MAX_PENDING_CLOSED`], [`MAX_PENDING_LATEST`]) and replayed
/// in order after reconnecting (jittered exponential backoff). Every script is idempotent
/// (first write wins), so replaying a flush whose reply was lost is harmless. Beyond the bound,
/// the oldest forming and ticker updates are dropped; the oldest queued closed candles are
/// dropped from the queue (counted, logged once per episode) and their series marked for
/// repair: once Redis is back, the series' history (the newest N, exactly what Redis keeps) and
/// forming candle are rewritten from memory, so no closed candle that memory still holds is lost.
///
/// The mirror keeps a marker key (`sift:mirror`). If it is missing after a (re)connect or at a
/// PING (Redis restarted without persistence, or was flushed), every series is repaired from
/// memory; tickers come back with their next update. Repairs go a few series per flush,
/// each flush also carrying the live writes (those of series still awaiting repair are left to
/// the repair, which reads memory later), so live data keeps flowing during a full resync.
///
/// # Shutdown
/// When the token passed to [`spawn`](Self::spawn) is cancelled, the task writes what is queued
/// (for at most `drain_timeout`) and ends; await its `JoinHandle`.
#[derive(Clone)]
pub struct RedisMirror {
    shared: Arc<Shared>,
}

/// State shared by the handle and the writer task.
pub(crate) struct Shared {
    memory: MemoryCandleStore,
    /// Taken around the in-process write and the enqueue (so Redis sees memory's order) and by
    /// the task to take or restore a batch; never held across `.await` or Redis IO.
    queue: Mutex<Queue>,
    notify: Notify,
    stats: Stats,
    keys: Keys,
}

impl RedisMirror {
    /// Starts mirroring `memory` to Redis. Returns at once: the task connects in the
    /// background (the mirror reports [`RedisState::Down`] until it does) and runs until
    /// `shutdown` is cancelled. Writes must go through the returned handle: writes made to
    /// `memory` directly are not mirrored (those made before `spawn` reach Redis only through
    /// the repair that follows finding Redis without the mirror's marker).
    ///
    /// # Panics
    /// Outside a Tokio runtime.
    pub fn spawn(
        memory: MemoryCandleStore,
        config: MirrorConfig,
        shutdown: CancellationToken,
    ) -> Result<(Self, JoinHandle<()>), Error> {
        let client = config.redis.client()?;
        let shared = Arc::new(Shared {
            memory,
            queue: Mutex::new(Queue::new(
                config.max_pending_closed,
                config.max_pending_latest,
            )),
            notify: Notify::new(),
            stats: Stats::new(),
            keys: Keys::new(config.redis.prefix.clone()),
        });
        let writer = task::Writer::new(Arc::clone(&shared), client, config, shutdown);
        let handle = tokio::spawn(writer.run());
        Ok((Self { shared }, handle))
    }

    /// The mirror's state for `/health`.
    pub fn health(&self) -> MirrorHealth {
        let (depth, repairs) = {
            let queue = self.shared.queue.lock();
            (queue.depth(), queue.repairs_pending())
        };
        self.shared.stats.snapshot(depth, repairs)
    }

    /// The in-process store that serves reads.
    pub fn memory(&self) -> &MemoryCandleStore {
        &self.shared.memory
    }

    /// Applies `write` to memory and queues what it accepted, under the queue lock.
    fn write<R>(
        &self,
        write: impl FnOnce(&MemoryCandleStore, &mut Queue) -> Result<(R, Dropped), StoreError>,
    ) -> Result<R, StoreError> {
        let (result, dropped) = {
            let mut queue = self.shared.queue.lock();
            write(&self.shared.memory, &mut queue)?
        };
        self.shared.notify.notify_one();
        if dropped != Dropped::default() {
            self.shared.stats.dropped(dropped);
            if dropped.started_overflow {
                warn!(
                    dropped_closed = dropped.closed,
                    "redis mirror queue full; oldest closed candles will be repaired from memory"
                );
            }
        }
        Ok(result)
    }
}

impl fmt::Debug for RedisMirror {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisMirror")
            .field("keys", &self.shared.keys)
            .field("health", &self.health())
            .finish_non_exhaustive()
    }
}

impl CandleStore for RedisMirror {
    fn put_closed(
        &self,
        symbol: &Symbol,
        interval: Interval,
        candle: &Candle,
    ) -> Result<ClosedPut, StoreError> {
        self.write(|memory, queue| {
            let outcome = memory.put_closed(symbol, interval, candle)?;
            let mut dropped = Dropped::default();
            if outcome.is_appended() {
                let closed = Candle {
                    closed: true,
                    ..*candle
                };
                dropped = queue.push_closed([(symbol.clone(), interval, closed)]);
            }
            Ok((outcome, dropped))
        })
    }

    fn put_closed_batch(
        &self,
        batch: &[(Symbol, Interval, Candle)],
    ) -> Result<Vec<ClosedPut>, StoreError> {
        self.write(|memory, queue| {
            let outcomes = memory.put_closed_batch(batch)?;
            let appended = batch
                .iter()
                .zip(&outcomes)
                .filter(|(_, o)| o.is_appended())
                .map(|((s, i, c), _)| {
                    let closed = Candle { closed: true, ..*c };
                    (s.clone(), *i, closed)
                });
            let dropped = queue.push_closed(appended);
            Ok((outcomes, dropped))
        })
    }

    fn put_forming(
        &self,
        symbol: &Symbol,
        interval: Interval,
        candle: &Candle,
    ) -> Result<Put, StoreError> {
        self.write(|memory, queue| {
            let put = memory.put_forming(symbol, interval, candle)?;
            let mut dropped = Dropped::default();
            if put == Put::Stored {
                let forming = Candle {
                    closed: false,
                    ..*candle
                };
                dropped = queue.push_forming(symbol, interval, forming);
            }
            Ok((put, dropped))
        })
    }

    fn last_closed(
        &self,
        symbol: &Symbol,
        interval: Interval,
        n: usize,
    ) -> Result<Vec<Candle>, StoreError> {
        self.shared.memory.last_closed(symbol, interval, n)
    }

    fn last_with_forming(
        &self,
        symbol: &Symbol,
        interval: Interval,
        n: usize,
    ) -> Result<Vec<Candle>, StoreError> {
        self.shared.memory.last_with_forming(symbol, interval, n)
    }

    fn latest_closed(
        &self,
        symbol: &Symbol,
        interval: Interval,
    ) -> Result<Option<Candle>, StoreError> {
        self.shared.memory.latest_closed(symbol, interval)
    }

    fn forming(&self, symbol: &Symbol, interval: Interval) -> Result<Option<Candle>, StoreError> {
        self.shared.memory.forming(symbol, interval)
    }

    fn put_ticker(&self, ticker: &Ticker) -> Result<Put, StoreError> {
        self.write(|memory, queue| {
            let put = memory.put_ticker(ticker)?;
            let mut dropped = Dropped::default();
            if put == Put::Stored {
                dropped = queue.push_ticker(ticker);
            }
            Ok((put, dropped))
        })
    }

    fn ticker(&self, symbol: &Symbol, now_ms: i64) -> Result<Option<Ticker>, StoreError> {
        self.shared.memory.ticker(symbol, now_ms)
    }

    fn symbols(&self) -> Result<Vec<Symbol>, StoreError> {
        self.shared.memory.symbols()
    }

    fn intervals(&self, symbol: &Symbol) -> Result<Vec<Interval>, StoreError> {
        self.shared.memory.intervals(symbol)
    }

    fn len(&self, symbol: &Symbol, interval: Interval) -> Result<usize, StoreError> {
        self.shared.memory.len(symbol, interval)
    }
}
