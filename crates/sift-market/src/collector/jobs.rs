//! Fetches in flight: backfills and repairs per series (each with its own concurrency limit,
//! repairs first) and universe reads, run as tasks of one `JoinSet` owned by the collector.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use rand::Rng;
use sift_binance::SymbolInfo;
use sift_core::{Candle, Ticker};
use tokio::task::{Id, JoinSet};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::feed::{FetchError, Fetcher, SeriesKey};
use crate::series::Fetch;

/// First retry delay after a failed fetch; doubles per attempt up to [`RETRY_MAX`].
const RETRY_MIN: Duration = Duration::from_millis(250);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// What a series job fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Task {
    /// The newest `n` candles closed at `now` (set when the job starts, so a queued job asks
    /// for the freshest history).
    Backfill {
        n: usize,
        now: Option<i64>,
    },
    Repair(Fetch),
}

/// A fetch for one series, with its retry state.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) key: SeriesKey,
    pub(crate) task: Task,
    pub(crate) attempt: u32,
    pub(crate) first_try: Instant,
    delay: Duration,
}

impl Job {
    pub(crate) fn new(key: SeriesKey, task: Task) -> Self {
        Self {
            key,
            task,
            attempt: 0,
            first_try: Instant::now(),
            delay: Duration::ZERO,
        }
    }

    /// The same job again after a jittered, exponentially growing delay.
    pub(crate) fn retry(mut self) -> Self {
        self.attempt += 1;
        let exp = RETRY_MIN
            .saturating_mul(1 << self.attempt.min(16))
            .min(RETRY_MAX);
        let jitter = rand::thread_rng().gen_range(0.5..1.0);
        self.delay = exp.mul_f64(jitter);
        if let Task::Backfill { now, .. } = &mut self.task {
            *now = None;
        }
        self
    }
}

/// A universe read: the listing, and the tickers when ranking.
#[derive(Debug)]
pub(crate) struct UniverseData {
    pub(crate) listing: Vec<SymbolInfo>,
    pub(crate) tickers: Vec<Ticker>,
    /// The market's time when the read began.
    pub(crate) now: i64,
}

/// What a finished task was.
#[derive(Debug)]
pub(crate) enum Work {
    Series(Job),
    Universe { with_tickers: bool },
}

#[derive(Debug)]
pub(crate) enum Output {
    Candles(Vec<Candle>),
    Universe(UniverseData),
}

/// The job queues and the running tasks.
#[derive(Debug)]
pub(crate) struct Jobs {
    fetcher: Fetcher,
    cancel: CancellationToken,
    backfills: VecDeque<Job>,
    repairs: VecDeque<Job>,
    backfill_limit: usize,
    repair_limit: usize,
    backfills_running: usize,
    repairs_running: usize,
    set: JoinSet<Result<Output, FetchError>>,
    running: HashMap<Id, Work>,
}

impl Jobs {
    pub(crate) fn new(
        fetcher: Fetcher,
        backfill_limit: usize,
        repair_limit: usize,
        cancel: CancellationToken,
    ) -> Self {
        Self {
            fetcher,
            cancel,
            backfills: VecDeque::new(),
            repairs: VecDeque::new(),
            backfill_limit,
            repair_limit,
            backfills_running: 0,
            repairs_running: 0,
            set: JoinSet::new(),
            running: HashMap::new(),
        }
    }

    pub(crate) fn push(&mut self, job: Job) {
        match job.task {
            Task::Backfill { .. } => self.backfills.push_back(job),
            Task::Repair(_) => self.repairs.push_back(job),
        }
    }

    /// Backfill jobs queued or running.
    pub(crate) fn backfills_pending(&self) -> usize {
        self.backfills.len() + self.backfills_running
    }

    /// Starts queued jobs up to the limits; `now` is the market time backfills ask up to, and
    /// `keep` says whether a queued job's series still exists.
    pub(crate) fn pump(&mut self, now: i64, keep: impl Fn(&SeriesKey) -> bool) {
        while self.repairs_running < self.repair_limit {
            let Some(job) = self.repairs.pop_front() else {
                break;
            };
            if keep(&job.key) {
                self.repairs_running += 1;
                self.spawn_series(job);
            }
        }
        while self.backfills_running < self.backfill_limit {
            let Some(mut job) = self.backfills.pop_front() else {
                break;
            };
            if keep(&job.key) {
                if let Task::Backfill { now: at, .. } = &mut job.task {
                    at.get_or_insert(now);
                }
                self.backfills_running += 1;
                self.spawn_series(job);
            }
        }
    }

    /// Reads the universe after `delay`.
    pub(crate) fn spawn_universe(&mut self, with_tickers: bool, delay: Duration) {
        let fetcher = self.fetcher.clone();
        let cancel = self.cancel.clone();
        let handle = self.set.spawn(async move {
            wait(delay, &cancel).await?;
            let now = fetcher.now().await?;
            let listing = fetcher.listing().await?;
            let tickers = if with_tickers {
                fetcher.tickers().await?
            } else {
                Vec::new()
            };
            Ok(Output::Universe(UniverseData {
                listing,
                tickers,
                now,
            }))
        });
        self.running
            .insert(handle.id(), Work::Universe { with_tickers });
    }

    fn spawn_series(&mut self, job: Job) {
        let fetcher = self.fetcher.clone();
        let cancel = self.cancel.clone();
        let (key, task, delay) = (job.key.clone(), job.task, job.delay);
        let handle = self.set.spawn(async move {
            wait(delay, &cancel).await?;
            let (symbol, interval) = (&key.0, key.1);
            let candles = match task {
                Task::Backfill { n, now } => {
                    let now = now.unwrap_or(i64::MIN);
                    fetcher.closed_klines(symbol, interval, n, now).await?
                }
                Task::Repair(fetch) => {
                    fetcher
                        .klines_range(symbol, interval, fetch.from, fetch.to)
                        .await?
                }
            };
            Ok(Output::Candles(candles))
        });
        self.running.insert(handle.id(), Work::Series(job));
    }

    /// The next finished task; `None` when none is running. A task that panicked is reported
    /// as a retryable failure.
    pub(crate) async fn next(&mut self) -> Option<(Work, Result<Output, FetchError>)> {
        loop {
            let (id, result) = match self.set.join_next_with_id().await? {
                Ok((id, result)) => (id, result),
                Err(error) => {
                    let id = error.id();
                    let failed = FetchError {
                        retryable: true,
                        error: anyhow::Error::new(error).context("fetch task failed"),
                    };
                    (id, Err(failed))
                }
            };
            let Some(work) = self.running.remove(&id) else {
                continue;
            };
            if let Work::Series(job) = &work {
                match job.task {
                    Task::Backfill { .. } => self.backfills_running -= 1,
                    Task::Repair(_) => self.repairs_running -= 1,
                }
            }
            return Some((work, result));
        }
    }

    /// Stops every task and waits for them.
    pub(crate) async fn shutdown(&mut self) {
        self.set.shutdown().await;
        self.running.clear();
    }
}

async fn wait(delay: Duration, cancel: &CancellationToken) -> Result<(), FetchError> {
    if delay.is_zero() {
        return Ok(());
    }
    tokio::select! {
        () = tokio::time::sleep(delay) => Ok(()),
        () = cancel.cancelled() => Err(FetchError {
            retryable: false,
            error: anyhow::anyhow!("cancelled"),
        }),
    }
}
