//! One flush of the mirror: a batch taken from the queue, encoded, written in one pipeline.

use std::sync::Arc;
use std::time::Instant;

use redis::aio::MultiplexedConnection;
use sift_candles::CandleStore;
use tracing::error;

use super::Shared;
use super::health::chain;
use super::queue::{Batch, Dropped};
use super::task::{Writer, timed};
use crate::write::{CANDLES_PER_CALL, SeriesCandle, forming_cmd, push_closed, ticker_cmd};
use crate::{Error, Keys};

/// Series rewritten from memory per flush (up to 1000 candles each): a pipeline of about
/// 400 kB, applied by Redis in a few milliseconds.
const REPAIRS_PER_FLUSH: usize = 4;

/// Closed candles per flush: a whole close burst of a large universe (500 symbols x 6
/// intervals at a day boundary is 3000), while a long backlog replays in pipelines of about
/// 1 MB instead of one huge one.
const CLOSED_PER_FLUSH: usize = 10 * CANDLES_PER_CALL;

/// Items up to which a flush's pipeline is encoded on the runtime thread (well under the half
/// millisecond async code may take); larger flushes (backlogs, repairs) are encoded on the
/// blocking pool.
const INLINE_BUILD_MAX: usize = 1000;

/// Items one flush writes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counts {
    pub(crate) closed: usize,
    pub(crate) forming: usize,
    pub(crate) tickers: usize,
}

impl From<Counts> for Dropped {
    fn from(c: Counts) -> Self {
        Dropped {
            closed: c.closed as u64,
            forming: c.forming as u64,
            tickers: c.tickers as u64,
            started_overflow: false,
        }
    }
}

impl Writer {
    /// Flushes until the queue is empty.
    pub(super) async fn flush_all(&self, conn: &mut MultiplexedConnection) -> Result<(), Error> {
        while self.flush_once(conn).await? {}
        Ok(())
    }

    /// Writes one batch; `Ok(false)` when there was nothing to write. A transient failure puts
    /// the batch back and is returned; a permanent one (Redis refusing the data) drops the
    /// batch, counted and logged, so one bad key cannot wedge the mirror.
    async fn flush_once(&self, conn: &mut MultiplexedConnection) -> Result<bool, Error> {
        let batch = {
            let mut queue = self.shared.queue.lock();
            if !queue.has_work() {
                return Ok(false);
            }
            queue.take(REPAIRS_PER_FLUSH, CLOSED_PER_FLUSH)
        };
        let start = Instant::now();
        let Some((batch, pipe, counts)) = self.build(batch).await else {
            return Ok(true);
        };
        let result = timed(self.config.redis.op_timeout, pipe.query_async::<()>(conn)).await;
        match result {
            Ok(()) => {
                self.shared.queue.lock().done();
                self.shared.stats.flushed(counts, start.elapsed());
            }
            Err(err) if err.is_transient() => {
                let dropped = self.shared.queue.lock().restore(batch);
                self.shared.stats.dropped(dropped);
                return Err(err);
            }
            Err(err) => {
                self.shared.queue.lock().done();
                error!(error = %chain(&err), closed = counts.closed, repairs = batch.repairs.len(), "redis refused mirror writes; dropped");
                self.shared.stats.error(&err, false);
                self.shared.stats.dropped(counts.into());
            }
        }
        self.shared.stats.queue_depth(self.depth());
        Ok(true)
    }

    /// The pipeline writing `batch`: encoded inline for a live burst, on the blocking pool for
    /// a backlog or repairs. `None` only if encoding panicked (a bug), logged and counted with
    /// the batch dropped.
    async fn build(&self, batch: Batch) -> Option<(Batch, redis::Pipeline, Counts)> {
        let weight = batch.repairs.len() * CANDLES_PER_CALL
            + batch.closed.len()
            + batch.forming.len()
            + batch.tickers.len();
        if weight <= INLINE_BUILD_MAX {
            let (pipe, counts) = build_pipeline(&self.shared, &batch);
            return Some((batch, pipe, counts));
        }
        let queued = Counts {
            closed: batch.closed.len(),
            forming: batch.forming.len(),
            tickers: batch.tickers.len(),
        };
        let shared = Arc::clone(&self.shared);
        let built = tokio::task::spawn_blocking(move || {
            let (pipe, counts) = build_pipeline(&shared, &batch);
            (batch, pipe, counts)
        })
        .await;
        match built {
            Ok(built) => Some(built),
            Err(err) => {
                self.shared.queue.lock().done();
                error!(error = %err, closed = queued.closed, "encoding a redis mirror flush failed; dropped");
                self.shared.stats.dropped(queued.into());
                None
            }
        }
    }
}

/// The pipeline writing `batch` (repairs first, read from memory now) and what it writes.
fn build_pipeline(shared: &Shared, batch: &Batch) -> (redis::Pipeline, Counts) {
    let memory = &shared.memory;
    let caps = memory.capacities();
    let mut repaired = Vec::new();
    let mut repaired_forming = Vec::new();
    for (symbol, interval) in &batch.repairs {
        let history = memory
            .last_closed(symbol, *interval, caps.of(*interval))
            .unwrap_or_default();
        repaired.extend(history.into_iter().map(|c| (symbol, *interval, c)));
        if let Ok(Some(forming)) = memory.forming(symbol, *interval) {
            repaired_forming.push((symbol, *interval, forming));
        }
    }
    let keys: &Keys = &shared.keys;
    let mut pipe = redis::pipe();
    let closed: Vec<SeriesCandle<'_>> = repaired
        .iter()
        .map(|(s, i, c)| (*s, *i, c))
        .chain(batch.closed.iter().map(|(s, i, c)| (s, *i, c)))
        .collect();
    push_closed(&mut pipe, keys, caps, &closed);
    let forming: Vec<SeriesCandle<'_>> = repaired_forming
        .iter()
        .map(|(s, i, c)| (*s, *i, c))
        .chain(batch.forming.iter().map(|(s, i, c)| (s, *i, c)))
        .collect();
    for chunk in forming.chunks(CANDLES_PER_CALL) {
        pipe.add_command(forming_cmd(keys, chunk));
    }
    let tickers: Vec<_> = batch.tickers.iter().collect();
    for chunk in tickers.chunks(CANDLES_PER_CALL) {
        pipe.add_command(ticker_cmd(keys, chunk));
    }
    let counts = Counts {
        closed: closed.len(),
        forming: forming.len(),
        tickers: tickers.len(),
    };
    (pipe, counts)
}
