//! The collector's state and what it does with each event: one task owns every series, so
//! sequencing needs no locks.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use parking_lot::Mutex;
use sift_binance::KlineUpdate;
use sift_candles::{CandleStore, ClosedPut, validate_candle};
use sift_core::{Candle, Interval, Symbol, Ticker};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, warn};

use super::Shared;
use super::jobs::{Job, Jobs, Task};
use crate::burst::{Gatherer, Ready};
use crate::feed::{Fetcher, Live, SeriesKey};
use crate::health::{BackfillProgress, Counters};
use crate::series::{Offer, Series, Step};
use crate::universe::Watched;
use crate::{CloseBurst, MarketConfig, MarketEvent};

/// Everything the collector task owns.
pub(crate) struct Core {
    pub(crate) config: MarketConfig,
    pub(crate) store: Arc<dyn CandleStore>,
    out: mpsc::Sender<MarketEvent>,
    pub(crate) fetcher: Fetcher,
    pub(crate) live: Live,
    pub(crate) jobs: Jobs,
    pub(crate) watched: Watched,
    pub(crate) series: HashMap<SeriesKey, Series>,
    pub(crate) gatherer: Gatherer,
    /// The newest market time any event or server reply showed: a lower bound of the
    /// exchange's clock, so candles closing before it are certainly closed.
    pub(crate) evidence: i64,
    pub(crate) last_message: Option<Instant>,
    pub(crate) counters: Counters,
    pub(crate) backfill: BackfillProgress,
    pub(crate) started: Instant,
    pub(crate) shared: Arc<Mutex<Shared>>,
    /// Events that must not be lost, kept when the cancellation interrupted their sending.
    unsent: Vec<MarketEvent>,
    pub(crate) cancel: CancellationToken,
}

impl Core {
    pub(crate) fn new(
        config: MarketConfig,
        store: Arc<dyn CandleStore>,
        out: mpsc::Sender<MarketEvent>,
        (fetcher, live): (Fetcher, Live),
        shared: Arc<Mutex<Shared>>,
        cancel: CancellationToken,
    ) -> Self {
        let jobs = Jobs::new(
            fetcher.clone(),
            config.backfill_concurrency,
            config.repair_concurrency,
            cancel.clone(),
        );
        Self {
            gatherer: Gatherer::new(config.burst_wait),
            config,
            store,
            out,
            fetcher,
            live,
            jobs,
            watched: Watched::new(),
            series: HashMap::new(),
            evidence: i64::MIN,
            last_message: None,
            counters: Counters::default(),
            backfill: BackfillProgress::default(),
            started: Instant::now(),
            shared,
            unsent: Vec::new(),
            cancel,
        }
    }

    /// The market time up to which candles are known to have closed.
    pub(crate) fn market_now(&self) -> i64 {
        self.fetcher
            .local_now()
            .map_or(self.evidence, |now| now.max(self.evidence))
    }

    /// Starts queued fetches.
    pub(crate) fn pump(&mut self) {
        let now = self.market_now();
        let series = &self.series;
        self.jobs.pump(now, |key| series.contains_key(key));
    }

    pub(crate) async fn on_kline(&mut self, update: KlineUpdate) -> anyhow::Result<()> {
        self.note_message(update.event_time);
        let KlineUpdate {
            symbol,
            interval,
            candle,
            ..
        } = update;
        let key = (symbol, interval);
        let Some(series) = self.series.get_mut(&key) else {
            return Ok(());
        };
        if let Err(err) = validate_candle(&key.0, interval, &candle) {
            self.invalid(&err);
            return Ok(());
        }
        series.note_update(candle.open_time, candle.closed);
        if !candle.closed {
            if let Err(err) = self.store.put_forming(&key.0, interval, &candle) {
                self.store_failed(&err);
            }
            if self.is_trading(&key.0) {
                let (symbol, interval) = key;
                self.try_send(MarketEvent::Forming {
                    symbol,
                    interval,
                    candle,
                });
            }
            return Ok(());
        }
        match series.offer(candle) {
            Offer::Accepted => {
                let step = series.drain();
                self.apply(key, step).await
            }
            Offer::Duplicate => {
                self.counters.duplicates += 1;
                metrics::counter!("sift_market_duplicates_total").increment(1);
                Ok(())
            }
            Offer::Stale => {
                self.counters.stale += 1;
                metrics::counter!("sift_market_stale_total").increment(1);
                Ok(())
            }
        }
    }

    pub(crate) fn on_tickers(&mut self, tickers: Vec<Ticker>) {
        let newest = tickers.iter().map(|t| t.event_time).max();
        self.note_message(newest.unwrap_or(i64::MIN));
        let watched: Vec<Ticker> = tickers
            .into_iter()
            .filter(|t| self.watched.contains_key(&t.symbol))
            .collect();
        if watched.is_empty() {
            return;
        }
        for ticker in &watched {
            if let Err(err) = self.store.put_ticker(ticker) {
                self.store_failed(&err);
            }
        }
        self.try_send(MarketEvent::Tickers(watched));
    }

    /// A connection (re)opened: fetch what its series missed while it was down.
    pub(crate) fn on_connected(&mut self, keys: &[SeriesKey]) {
        let now = self.market_now();
        for key in keys {
            if let Some(series) = self.series.get_mut(key) {
                if let Some(fetch) = series.catch_up(key.1.open_time(now)) {
                    debug!(symbol = %key.0, interval = %key.1, from = fetch.from, to = fetch.to, "catching up after reconnect");
                    self.jobs.push(Job::new(key.clone(), Task::Repair(fetch)));
                }
            }
        }
    }

    /// Periodic work: bursts whose wait ran out, stalled series.
    pub(crate) async fn on_tick(&mut self) -> anyhow::Result<()> {
        let now = Instant::now();
        let ready = self.gatherer.expire(now);
        self.emit(ready).await?;
        let market_now = self.market_now();
        let grace = self.config.stall_grace;
        for (key, series) in &mut self.series {
            if let Some(fetch) = series.stall_check(now, grace, key.1.open_time(market_now)) {
                debug!(symbol = %key.0, interval = %key.1, from = fetch.from, to = fetch.to, "stalled series, fetching");
                self.counters.stalls += 1;
                metrics::counter!("sift_market_stalls_total").increment(1);
                self.jobs.push(Job::new(key.clone(), Task::Repair(fetch)));
            }
        }
        Ok(())
    }

    /// Carries out a series' step: its candles into bursts, its fetch into the queue.
    pub(crate) async fn apply(&mut self, key: SeriesKey, step: Step) -> anyhow::Result<()> {
        let Step {
            deliver,
            fetch,
            holes,
            fetched,
        } = step;
        if holes > 0 {
            warn!(symbol = %key.0, interval = %key.1, holes, "candles missing from the exchange's history, moving on");
            self.counters.holes += holes;
            metrics::counter!("sift_market_holes_total").increment(holes);
        }
        self.counters.candles_repaired += fetched;
        metrics::counter!("sift_market_candles_repaired_total").increment(fetched);
        if let Some(fetch) = fetch {
            self.jobs.push(Job::new(key.clone(), Task::Repair(fetch)));
        }
        let now = Instant::now();
        let (symbol, interval) = key;
        for candle in deliver {
            self.counters.closes += 1;
            metrics::counter!("sift_market_closes_total").increment(1);
            let (watched, series) = (&self.watched, &self.series);
            let ready = self
                .gatherer
                .add(symbol.clone(), interval, candle, now, || {
                    expected(watched, series, interval, candle.open_time)
                });
            self.emit(ready).await?;
        }
        Ok(())
    }

    /// Writes ready bursts to the store and hands on the trading symbols' closes.
    pub(crate) async fn emit(&mut self, ready: Vec<Ready>) -> anyhow::Result<()> {
        for burst in ready {
            let interval = burst.interval;
            let batch: Vec<(Symbol, Interval, Candle)> = burst
                .candles
                .iter()
                .map(|(s, c)| (s.clone(), interval, *c))
                .collect();
            match self.store.put_closed_batch(&batch) {
                Ok(outcomes) => {
                    for ((symbol, _, candle), outcome) in batch.iter().zip(outcomes) {
                        if !outcome.is_appended() {
                            warn!(%symbol, %interval, open_time = candle.open_time, ?outcome, "store refused a sequenced close");
                        } else if let ClosedPut::AppendedAfterGap(gap) = outcome {
                            debug!(%symbol, %interval, missing = gap.missing, "store notes a hole");
                        }
                    }
                }
                Err(err) => self.store_failed(&err),
            }
            let candles: Vec<(Symbol, Candle)> = burst
                .candles
                .into_iter()
                .filter(|(s, _)| self.is_trading(s))
                .collect();
            if !candles.is_empty() {
                self.send(MarketEvent::Closes(CloseBurst {
                    interval,
                    open_time: burst.open_time,
                    candles,
                    late: burst.late,
                }))
                .await?;
            }
        }
        Ok(())
    }

    /// Sends an event that must not be lost, waiting for room. Once shutting down, events
    /// are kept for [`Core::drain`] instead.
    pub(crate) async fn send(&mut self, event: MarketEvent) -> anyhow::Result<()> {
        if self.cancel.is_cancelled() {
            self.unsent.push(event);
            return Ok(());
        }
        tokio::select! {
            permit = self.out.reserve() => {
                permit.ok().context("the market event receiver is gone")?.send(event);
            }
            () = self.cancel.cancelled() => self.unsent.push(event),
        }
        Ok(())
    }

    /// At shutdown: hands on the events kept since the cancellation, for as long as the
    /// receiver takes them within `limit`.
    pub(crate) async fn drain(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        let unsent = std::mem::take(&mut self.unsent);
        let total = unsent.len();
        for (sent, event) in unsent.into_iter().enumerate() {
            if !matches!(
                tokio::time::timeout_at(deadline, self.out.send(event)).await,
                Ok(Ok(()))
            ) {
                warn!(
                    lost = total - sent,
                    "market events not handed on at shutdown"
                );
                return;
            }
        }
    }

    /// Sends an event a later one supersedes; dropped when the channel is full.
    fn try_send(&mut self, event: MarketEvent) {
        if let Err(TrySendError::Full(_)) = self.out.try_send(event) {
            self.counters.dropped_events += 1;
            metrics::counter!("sift_market_dropped_events_total").increment(1);
        }
    }

    pub(crate) fn is_trading(&self, symbol: &Symbol) -> bool {
        self.watched.get(symbol) == Some(&true)
    }

    fn note_message(&mut self, event_time: i64) {
        self.counters.messages += 1;
        metrics::counter!("sift_market_messages_total").increment(1);
        self.evidence = self.evidence.max(event_time);
        self.last_message = Some(Instant::now());
    }

    pub(crate) fn invalid(&mut self, err: &sift_candles::StoreError) {
        self.counters.invalid += 1;
        metrics::counter!("sift_market_invalid_total").increment(1);
        warn!(error = %err, "dropping an invalid candle");
    }

    pub(crate) fn store_failed(&mut self, err: &sift_candles::StoreError) {
        self.counters.store_errors += 1;
        metrics::counter!("sift_market_store_errors_total").increment(1);
        error!(error = %err, "candle store write failed");
    }
}

/// The symbols whose close of the `interval` candle opening at `open_time` a new burst waits
/// for: trading, live for the interval, and not past that candle already.
fn expected(
    watched: &Watched,
    series: &HashMap<SeriesKey, Series>,
    interval: Interval,
    open_time: i64,
) -> BTreeSet<Symbol> {
    watched
        .iter()
        .filter(|(symbol, trading)| {
            **trading
                && series
                    .get(&((*symbol).clone(), interval))
                    .is_some_and(|s| s.is_live() && s.last().is_none_or(|last| last < open_time))
        })
        .map(|(symbol, _)| symbol.clone())
        .collect()
}
