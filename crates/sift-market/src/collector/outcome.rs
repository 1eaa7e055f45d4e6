//! What the collector does when a fetch comes back: history into the store, repairs into
//! their series, a new universe into subscriptions.

use std::time::Duration;

use sift_candles::{StoreError, validate_candle};
use sift_core::Candle;
use tracing::{info, warn};

use super::core::Core;
use super::jobs::{Job, Output, Task, UniverseData, Work};
use crate::feed::{FetchError, SeriesKey};
use crate::series::Series;
use crate::universe::{Watched, diff, select_list, select_top};
use crate::{MarketEvent, Universe};

/// How soon a failed first universe read is retried.
const UNIVERSE_RETRY: Duration = Duration::from_secs(2);

impl Core {
    pub(crate) async fn on_fetched(
        &mut self,
        work: Work,
        result: Result<Output, FetchError>,
    ) -> anyhow::Result<()> {
        match (work, result) {
            (Work::Series(job), Ok(Output::Candles(candles))) => match job.task {
                Task::Backfill { now, .. } => {
                    let bound = now.map_or(i64::MIN, |now| job.key.1.open_time(now));
                    self.backfilled(job.key, candles, bound).await
                }
                Task::Repair(fetch) => {
                    let Some(series) = self.series.get_mut(&job.key) else {
                        return Ok(());
                    };
                    self.counters.gaps_repaired += 1;
                    metrics::counter!("sift_market_gaps_repaired_total").increment(1);
                    let (candles, invalid) = valid_only(&job.key, candles);
                    let step = series.repaired(fetch, &candles);
                    for err in &invalid {
                        self.invalid(err);
                    }
                    self.apply(job.key, step).await
                }
            },
            (Work::Series(job), Err(err)) => self.series_failed(job, &err).await,
            (Work::Universe { .. }, Ok(Output::Universe(data))) => self.universe_read(data).await,
            (Work::Universe { with_tickers }, Err(err)) => {
                warn!(error = %err, "reading the universe failed");
                if !self.watched.is_empty() {
                    return Ok(());
                }
                match &self.config.universe {
                    // A list needs no ranking: watch it as trading now, statuses come with
                    // the next successful read.
                    Universe::List(symbols) => {
                        let (watched, _) = select_list(symbols, None);
                        self.read_universe_after(with_tickers, UNIVERSE_RETRY);
                        self.set_universe(watched).await
                    }
                    Universe::Top(_) => {
                        self.read_universe_after(with_tickers, UNIVERSE_RETRY);
                        Ok(())
                    }
                }
            }
            (work, Ok(_)) => {
                warn!(?work, "fetch returned the wrong kind of output");
                Ok(())
            }
        }
    }

    /// Asks for the listing (and tickers when ranking) after `delay`.
    pub(crate) fn read_universe_after(&mut self, with_tickers: bool, delay: Duration) {
        self.jobs.spawn_universe(with_tickers, delay);
    }

    /// Whether universe reads need tickers.
    pub(crate) fn ranks(&self) -> bool {
        matches!(self.config.universe, Universe::Top(_))
    }

    async fn series_failed(&mut self, job: Job, err: &FetchError) -> anyhow::Result<()> {
        if !self.series.contains_key(&job.key) {
            return Ok(());
        }
        let (symbol, interval) = (&job.key.0, job.key.1);
        if err.retryable && job.first_try.elapsed() < self.config.repair_give_up {
            if job.attempt % 5 == 0 {
                warn!(%symbol, %interval, attempt = job.attempt, error = %err, "fetch failed, retrying");
            }
            self.counters.fetch_retries += 1;
            self.jobs.push(job.retry());
            return Ok(());
        }
        warn!(%symbol, %interval, error = %err, "fetch failed, giving up");
        match job.task {
            Task::Backfill { .. } => self.backfilled(job.key, Vec::new(), i64::MIN).await,
            Task::Repair(fetch) => {
                let Some(series) = self.series.get_mut(&job.key) else {
                    return Ok(());
                };
                let step = series.repair_abandoned(fetch);
                self.apply(job.key, step).await
            }
        }
    }

    /// Writes a series' history, announces it, then hands on the closes buffered meanwhile.
    async fn backfilled(
        &mut self,
        key: SeriesKey,
        candles: Vec<Candle>,
        bound: i64,
    ) -> anyhow::Result<()> {
        if !self.series.contains_key(&key) {
            return Ok(());
        }
        let (candles, invalid) = valid_only(&key, candles);
        for err in &invalid {
            self.invalid(err);
        }
        let history = clean_history(candles, bound, self.config.history);
        let batch: Vec<_> = history.iter().map(|c| (key.0.clone(), key.1, *c)).collect();
        if let Err(err) = self.store.put_closed_batch(&batch) {
            self.store_failed(&err);
        }
        self.backfill.candles += history.len() as u64;
        if self.backfill.initial_ms.is_none() && self.jobs.backfills_pending() == 0 {
            let took = self.started.elapsed();
            self.backfill.initial_ms = Some(u64::try_from(took.as_millis()).unwrap_or(u64::MAX));
            info!(
                series = self.series.len(),
                candles = self.backfill.candles,
                ?took,
                "backfill complete"
            );
        }
        let step = match self.series.get_mut(&key) {
            Some(series) => series.backfilled(&history, bound),
            None => return Ok(()),
        };
        self.send(MarketEvent::Backfilled {
            symbol: key.0.clone(),
            interval: key.1,
            candles: history.len(),
        })
        .await?;
        self.apply(key, step).await
    }

    async fn universe_read(&mut self, data: UniverseData) -> anyhow::Result<()> {
        self.evidence = self.evidence.max(data.now);
        let new = match &self.config.universe {
            Universe::Top(n) => {
                let margin = self.config.top_margin_for(*n);
                select_top(*n, margin, &data.listing, &data.tickers, &self.watched)
            }
            Universe::List(symbols) => {
                let (watched, unknown) = select_list(symbols, Some(&data.listing));
                if !unknown.is_empty() {
                    warn!(
                        ?unknown,
                        "configured symbols the exchange does not list are left out"
                    );
                }
                watched
            }
        };
        self.set_universe(new).await
    }

    /// Subscribes, unsubscribes and backfills to make `new` the watched set.
    pub(crate) async fn set_universe(&mut self, new: Watched) -> anyhow::Result<()> {
        let change = diff(&self.watched, &new);
        if change.is_empty() {
            return Ok(());
        }
        info!(
            added = change.added.len(),
            removed = change.removed.len(),
            halted = change.halted.len(),
            resumed = change.resumed.len(),
            "universe changed"
        );
        let intervals = self.config.intervals.clone();
        let keys = |symbols: &[sift_core::Symbol]| -> Vec<SeriesKey> {
            symbols
                .iter()
                .flat_map(|s| intervals.iter().map(move |i| (s.clone(), *i)))
                .collect()
        };
        let removed = keys(&change.removed);
        for key in &removed {
            self.series.remove(key);
        }
        self.watched = new;
        // Bursts stop waiting for symbols that left or stopped trading.
        for key in removed.iter().chain(&keys(&change.halted)) {
            let ready = self.gatherer.forget(&key.0, key.1);
            self.emit(ready).await?;
        }
        if !removed.is_empty() {
            if let Err(err) = self.live.unsubscribe(&removed).await {
                warn!(error = %format!("{err:#}"), "unsubscribing failed");
            }
        }
        let added = keys(&change.added);
        if !added.is_empty() {
            for key in &added {
                self.series.insert(key.clone(), Series::new(key.1));
            }
            // Subscribe before backfilling, so no close falls between history and live.
            self.live.subscribe(&added).await?;
            for key in added {
                self.jobs.push(Job::new(
                    key,
                    Task::Backfill {
                        n: self.config.history,
                        now: None,
                    },
                ));
            }
        }
        self.shared.lock().set_watched(&self.watched);
        self.send(MarketEvent::Universe(change)).await
    }

    /// Counts for the health snapshot.
    pub(crate) fn series_counts(&self) -> (usize, usize) {
        let live = self.series.values().filter(|s| s.is_live()).count();
        let busy = self.series.values().filter(|s| s.is_busy()).count();
        (live, busy)
    }
}

/// The candles that can belong to the series, and the errors of those that cannot.
fn valid_only(key: &SeriesKey, candles: Vec<Candle>) -> (Vec<Candle>, Vec<StoreError>) {
    let mut errors = Vec::new();
    let valid = candles
        .into_iter()
        .filter(|c| match validate_candle(&key.0, key.1, c) {
            Ok(()) => true,
            Err(err) => {
                errors.push(err);
                false
            }
        })
        .collect();
    (valid, errors)
}

/// The closed candles opening below `bound`, oldest first, unique, at most `n`.
fn clean_history(mut candles: Vec<Candle>, bound: i64, n: usize) -> Vec<Candle> {
    candles.retain(|c| c.closed && c.open_time < bound);
    candles.sort_by_key(|c| c.open_time);
    candles.dedup_by_key(|c| c.open_time);
    let skip = candles.len().saturating_sub(n);
    candles.drain(..skip);
    candles
}
