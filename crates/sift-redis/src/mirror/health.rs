//! The mirror's health for `/health` and its Prometheus metrics.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use metrics::{counter, gauge, histogram};
use parking_lot::Mutex;

use super::flush::Counts;
use super::queue::Dropped;

/// Whether the mirror's connection to Redis works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedisState {
    /// Connected, and the last write or PING succeeded.
    Up,
    /// Not connected yet, or the last connection attempt, write or PING failed; writes are
    /// buffered meanwhile.
    Down,
}

/// A snapshot of the mirror's state, for `/health`.
#[derive(Debug, Clone, PartialEq)]
pub struct MirrorHealth {
    pub state: RedisState,
    /// Round trip of the last PING (measured every `ping_interval`); `None` while down.
    pub ping_latency: Option<Duration>,
    /// Writes waiting for Redis or being written: closed candles, forming candles, tickers.
    pub queue_depth: usize,
    /// Series waiting to be rewritten from memory (after Redis lost data or the queue
    /// overflowed).
    pub repairs_pending: usize,
    /// Items written to Redis (closed candles, forming candles and tickers).
    pub writes: u64,
    /// Successful flushes (pipelines, one round trip each).
    pub flushes: u64,
    /// Failed connection attempts, flushes and PINGs.
    pub errors: u64,
    /// Times Redis was found without the mirror's data (first start, restart without
    /// persistence, flush) and everything was rewritten from memory.
    pub resyncs: u64,
    /// Queued closed candles displaced by the queue bound (their series were repaired from
    /// memory) or refused by Redis with a permanent error.
    pub dropped_closed: u64,
    /// Forming-candle and ticker updates displaced by the queue bound.
    pub dropped_updates: u64,
    /// The last error, with its cause chain.
    pub last_error: Option<String>,
}

impl MirrorHealth {
    /// Whether everything written so far has reached Redis.
    pub fn is_idle(&self) -> bool {
        self.queue_depth == 0 && self.repairs_pending == 0
    }
}

/// Counters shared by the handle and the writer task; every update also goes to `metrics`.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    up: AtomicBool,
    /// Microseconds of the last PING; `u64::MAX` when none is valid.
    ping_us: AtomicU64,
    writes: AtomicU64,
    flushes: AtomicU64,
    errors: AtomicU64,
    resyncs: AtomicU64,
    dropped_closed: AtomicU64,
    dropped_updates: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl Stats {
    pub(crate) fn new() -> Self {
        gauge!("sift_redis_up").set(0.0);
        Self {
            ping_us: AtomicU64::new(u64::MAX),
            ..Self::default()
        }
    }

    pub(crate) fn up(&self) {
        self.up.store(true, Ordering::Relaxed);
        gauge!("sift_redis_up").set(1.0);
    }

    /// Records a failure; `down` also marks the connection as lost.
    pub(crate) fn error(&self, error: &crate::Error, down: bool) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        counter!("sift_redis_mirror_errors_total").increment(1);
        *self.last_error.lock() = Some(chain(error));
        if down {
            self.up.store(false, Ordering::Relaxed);
            self.ping_us.store(u64::MAX, Ordering::Relaxed);
            gauge!("sift_redis_up").set(0.0);
        }
    }

    pub(crate) fn ping(&self, rtt: Duration) {
        let us = u64::try_from(rtt.as_micros()).unwrap_or(u64::MAX - 1);
        self.ping_us.store(us, Ordering::Relaxed);
        gauge!("sift_redis_ping_seconds").set(rtt.as_secs_f64());
    }

    pub(crate) fn flushed(&self, counts: Counts, took: Duration) {
        let Counts {
            closed,
            forming,
            tickers,
        } = counts;
        let items = (closed + forming + tickers) as u64;
        self.writes.fetch_add(items, Ordering::Relaxed);
        self.flushes.fetch_add(1, Ordering::Relaxed);
        counter!("sift_redis_mirror_writes_total", "kind" => "closed").increment(closed as u64);
        counter!("sift_redis_mirror_writes_total", "kind" => "forming").increment(forming as u64);
        counter!("sift_redis_mirror_writes_total", "kind" => "ticker").increment(tickers as u64);
        counter!("sift_redis_mirror_flushes_total").increment(1);
        histogram!("sift_redis_mirror_flush_seconds").record(took.as_secs_f64());
    }

    pub(crate) fn resync(&self) {
        self.resyncs.fetch_add(1, Ordering::Relaxed);
        counter!("sift_redis_mirror_resyncs_total").increment(1);
    }

    pub(crate) fn dropped(&self, d: Dropped) {
        if d.closed > 0 {
            self.dropped_closed.fetch_add(d.closed, Ordering::Relaxed);
            counter!("sift_redis_mirror_dropped_total", "kind" => "closed").increment(d.closed);
        }
        let updates = d.forming + d.tickers;
        if updates > 0 {
            self.dropped_updates.fetch_add(updates, Ordering::Relaxed);
            counter!("sift_redis_mirror_dropped_total", "kind" => "forming").increment(d.forming);
            counter!("sift_redis_mirror_dropped_total", "kind" => "ticker").increment(d.tickers);
        }
    }

    pub(crate) fn queue_depth(&self, depth: usize) {
        gauge!("sift_redis_mirror_queue_depth").set(depth as f64);
    }

    pub(crate) fn snapshot(&self, queue_depth: usize, repairs_pending: usize) -> MirrorHealth {
        let up = self.up.load(Ordering::Relaxed);
        let ping_us = self.ping_us.load(Ordering::Relaxed);
        MirrorHealth {
            state: if up { RedisState::Up } else { RedisState::Down },
            ping_latency: (up && ping_us != u64::MAX).then(|| Duration::from_micros(ping_us)),
            queue_depth,
            repairs_pending,
            writes: self.writes.load(Ordering::Relaxed),
            flushes: self.flushes.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            resyncs: self.resyncs.load(Ordering::Relaxed),
            dropped_closed: self.dropped_closed.load(Ordering::Relaxed),
            dropped_updates: self.dropped_updates.load(Ordering::Relaxed),
            last_error: self.last_error.lock().clone(),
        }
    }
}

/// An error and its sources, `outer: inner: innermost`.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}
