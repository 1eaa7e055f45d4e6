//! From candle closes to stored and streamed signals.
//!
//! One task consumes the market's ordered events and the API's trader changes. For each close
//! burst it evaluates the traders on the engine thread, commits the signals and the execution
//! row in one transaction, and only then publishes the new signals: a close counts as
//! processed once it is in the store (`close_progress`), so a crash before the commit
//! re-evaluates it on restart, and the unique key on signals keeps that from duplicating any.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use sift_api::Hub;
use sift_candles::CandleStore;
use sift_core::{Interval, Symbol, Ticker};
use sift_engine::{CloseBatch, Match};
use sift_market::{CloseBurst, MarketEvent};
use sift_store::{CloseCommit, NewExecution, NewOutbox, NewSignal, Store};
use sift_traders::Symbols;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::evaluator::Evaluator;
use crate::status::PipelineStatus;
use crate::traders::{TraderBook, compile, rank_by_volume};

/// Closes after the last committed one that are re-evaluated on start, per series: enough for
/// a crash between a close and its commit, without turning a long outage into a flood of
/// old signals.
const REPLAY_MAX: usize = 5;
/// How often the symbols are ranked again by the tickers' quote volume for
/// `symbols = {top = N}` traders (and at every universe change).
const RANK_EVERY: Duration = Duration::from_secs(60);
/// Histogram of the time each stage of a close instant takes, labelled `stage`: `prepare`
/// (warm-up of new series, closed candles to the stream), `evaluate` (the engine, signals
/// built), `commit` (signals and execution rows stored) and `publish` (signals to the stream).
pub const STAGE_SECONDS: &str = "sift_close_stage_seconds";

/// A change the API made to the stored traders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraderChange {
    Changed(i64),
    Removed(i64),
}

/// Everything the pipeline task owns.
pub struct Pipeline {
    pub store: Arc<dyn Store>,
    pub candles: Arc<dyn CandleStore>,
    pub evaluator: Evaluator,
    pub hub: Hub,
    pub book: TraderBook,
    pub paused: Arc<AtomicBool>,
    /// Candles kept per series for warming (the engine's capacity).
    pub history: usize,
    /// Series whose history the engine holds.
    warmed: HashSet<(Symbol, Interval)>,
    /// Tickers received since the last close, applied before it.
    tickers: HashMap<Symbol, Ticker>,
    /// Watched symbols ranked by 24 h quote volume, for `symbols = {top = N}` traders.
    ranked: Vec<Symbol>,
    /// When `ranked` was last computed.
    ranked_at: Option<Instant>,
    /// Progress for `/health`.
    status: PipelineStatus,
    /// Market events waiting when the current close instant was taken up.
    queued: usize,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("history", &self.history)
            .field("warmed", &self.warmed.len())
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    pub fn new(
        store: Arc<dyn Store>,
        candles: Arc<dyn CandleStore>,
        evaluator: Evaluator,
        hub: Hub,
        paused: Arc<AtomicBool>,
        history: usize,
    ) -> Self {
        Self {
            store,
            candles,
            evaluator,
            hub,
            book: TraderBook::default(),
            paused,
            history,
            warmed: HashSet::new(),
            tickers: HashMap::new(),
            ranked: Vec::new(),
            ranked_at: None,
            status: PipelineStatus::default(),
            queued: 0,
        }
    }

    /// The pipeline's progress, for [`crate::control::ServerControl`].
    pub fn status(&self) -> PipelineStatus {
        self.status.clone()
    }

    /// Loads every enabled stored trader into the engine.
    ///
    /// # Errors
    /// When the store or the engine thread fails.
    pub async fn load_traders(&mut self) -> anyhow::Result<usize> {
        let stored = self
            .store
            .list_traders(&sift_store::TraderFilter::default())
            .await?;
        let mut traders = Vec::with_capacity(stored.len());
        for trader in &stored {
            match compile(trader, &self.ranked) {
                Ok(compiled) => {
                    self.book.insert(trader);
                    traders.push(compiled);
                }
                Err(err) => warn!(trader = trader.id, error = %err, "trader skipped"),
            }
        }
        let count = traders.iter().filter(|t| t.enabled).count();
        self.evaluator.set_traders(traders).await??;
        Ok(count)
    }

    /// Runs until `cancel`, or until the market's channel closes. The event being handled when
    /// `cancel` fires is finished (its commit included) first.
    pub async fn run(
        mut self,
        mut events: mpsc::Receiver<MarketEvent>,
        mut changes: mpsc::Receiver<TraderChange>,
        cancel: CancellationToken,
    ) {
        // An event read ahead while gathering the bursts of one instant.
        let mut next: Option<MarketEvent> = None;
        loop {
            let event = match next.take() {
                Some(event) => event,
                None => tokio::select! {
                    biased;
                    () = cancel.cancelled() => break,
                    Some(change) = changes.recv() => {
                        self.on_change(change).await;
                        continue;
                    }
                    event = events.recv() => match event {
                        Some(event) => event,
                        None => break,
                    },
                },
            };
            match event {
                MarketEvent::Closes(first) => {
                    // The collector sends the bursts of one instant (1m, 5m, 1h...) one after
                    // the other: evaluate them together, so a rule on 1m reads the 1h candle
                    // that closed at the same instant.
                    let close_time = burst_close_time(&first);
                    let (bursts, ahead) = gather_instant(first, &mut events);
                    next = ahead;
                    self.queued = events.len();
                    if let Err(err) = self.on_closes(&bursts).await {
                        warn!(close_time, error = %format!("{err:#}"), "close not processed");
                    }
                }
                other => self.on_event(other).await,
            }
        }
    }

    async fn on_event(&mut self, event: MarketEvent) {
        match event {
            MarketEvent::Backfilled {
                symbol, interval, ..
            } => {
                if let Err(err) = self.warm(&symbol, interval, i64::MAX).await {
                    warn!(%symbol, %interval, error = %format!("{err:#}"), "warm-up failed");
                }
            }
            MarketEvent::Closes(burst) => {
                if let Err(err) = self.on_closes(std::slice::from_ref(&burst)).await {
                    warn!(interval = %burst.interval, open_time = burst.open_time,
                        error = %format!("{err:#}"), "close not processed");
                }
            }
            MarketEvent::Forming {
                symbol,
                interval,
                candle,
            } => self.hub.publish_candle(&symbol, interval, &candle, false),
            MarketEvent::Tickers(tickers) => {
                self.hub.publish_tickers(&tickers);
                for ticker in tickers {
                    self.tickers.insert(ticker.symbol.clone(), ticker);
                }
                if self.ranked_at.is_none_or(|at| at.elapsed() >= RANK_EVERY) {
                    self.rerank().await;
                }
            }
            MarketEvent::Universe(_) => self.rerank().await,
        }
    }

    /// Ranks the watched symbols again and recompiles the `symbols = {top = N}` traders whose
    /// members changed.
    async fn rerank(&mut self) {
        let before = std::mem::take(&mut self.ranked);
        self.rank();
        self.ranked_at = Some(Instant::now());
        if self.ranked == before {
            return;
        }
        if let Err(err) = self.recompile_top(&before).await {
            warn!(error = %format!("{err:#}"), "top-N traders not updated");
        }
    }

    async fn recompile_top(&mut self, before: &[Symbol]) -> anyhow::Result<()> {
        let stored = self
            .store
            .list_traders(&sift_store::TraderFilter::default())
            .await?;
        for trader in stored {
            let Symbols::Top(n) = trader.def.symbols else {
                continue;
            };
            let members = |ranked: &[Symbol]| -> HashSet<Symbol> {
                ranked.iter().take(n as usize).cloned().collect()
            };
            if members(before) != members(&self.ranked) {
                self.reload(trader.id).await?;
            }
        }
        Ok(())
    }

    /// Ranks the watched symbols by the latest tickers' quote volume.
    fn rank(&mut self) {
        let symbols = self.candles.symbols().unwrap_or_default();
        let tickers = &self.tickers;
        self.ranked = rank_by_volume(symbols, |symbol| {
            tickers.get(symbol).map_or(0.0, |t| t.quote_volume)
        });
    }

    /// Gives the engine a series' stored history, up to (not including) `before` open time, and
    /// re-evaluates the closes after the last committed one (a crash between close and commit).
    async fn warm(
        &mut self,
        symbol: &Symbol,
        interval: Interval,
        before: i64,
    ) -> anyhow::Result<()> {
        if !self.warmed.insert((symbol.clone(), interval)) {
            return Ok(());
        }
        let mut candles = self.candles.last_closed(symbol, interval, self.history)?;
        candles.retain(|c| c.open_time < before);
        let progress = self.store.close_progress(interval).await?;
        let split = match progress {
            Some(last) => candles.partition_point(|c| c.open_time <= last),
            None => candles.len(),
        };
        let replay_from = split.max(candles.len().saturating_sub(REPLAY_MAX));
        let replay = candles.split_off(replay_from);
        self.evaluator
            .warm(symbol.clone(), interval, candles)
            .await?;
        for candle in replay {
            let burst = CloseBurst {
                interval,
                open_time: candle.open_time,
                candles: vec![(symbol.clone(), candle)],
                late: true,
            };
            self.evaluate(std::slice::from_ref(&burst), Duration::ZERO)
                .await?;
        }
        Ok(())
    }

    async fn on_closes(&mut self, bursts: &[CloseBurst]) -> anyhow::Result<()> {
        let started = Instant::now();
        for burst in bursts {
            for (symbol, _) in &burst.candles {
                self.warm(symbol, burst.interval, burst.open_time).await?;
            }
            let candles = burst
                .candles
                .iter()
                .map(|(symbol, candle)| (symbol, candle));
            self.hub.publish_candles(burst.interval, candles, true);
        }
        self.evaluate(bursts, started.elapsed()).await
    }

    /// Evaluates the bursts of one close instant together, commits each burst (its signals and
    /// execution row) in its own transaction, then publishes the new signals. `prepare` is the
    /// time already spent on them, for the stage figures.
    async fn evaluate(&mut self, bursts: &[CloseBurst], prepare: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        let mut batch = CloseBatch::new();
        batch.tickers = self.tickers.drain().map(|(_, t)| t).collect();
        batch.candles = bursts.iter().flat_map(CloseBurst::to_batch).collect();
        let paused = self.paused.load(Ordering::SeqCst);
        let matches = self.evaluator.process(batch).await?;
        let matches = if paused { Vec::new() } else { matches };
        let duration = started.elapsed();
        metrics::histogram!("sift_evaluation_seconds").record(duration.as_secs_f64());
        let (mut commit, mut publish, mut signals) = (Duration::ZERO, Duration::ZERO, 0);
        for burst in bursts {
            let mine: Vec<&Match> = matches
                .iter()
                .filter(|m| m.interval == burst.interval && m.open_time == burst.open_time)
                .collect();
            let stages = self.commit(burst, &mine, paused, duration).await?;
            commit += stages.commit;
            publish += stages.publish;
            signals += stages.signals;
        }
        for (stage, took) in [
            ("prepare", prepare),
            ("evaluate", duration),
            ("commit", commit),
            ("publish", publish),
        ] {
            metrics::histogram!(STAGE_SECONDS, "stage" => stage).record(took.as_secs_f64());
        }
        let close_time = bursts.first().map_or(0, burst_close_time);
        // Re-evaluations of old closes after a restart are not the market's pace.
        if bursts.iter().any(|b| !b.late) {
            let took = prepare + started.elapsed();
            self.status
                .processed(close_time, crate::now_ms(), took, signals, self.queued);
        }
        debug!(
            close_time,
            bursts = bursts.len(),
            signals,
            prepare_us = micros(prepare),
            evaluate_us = micros(duration),
            commit_us = micros(commit),
            publish_us = micros(publish),
            "close processed"
        );
        Ok(())
    }

    /// Commits one burst's signals and execution row, then publishes the new signals.
    async fn commit(
        &mut self,
        burst: &CloseBurst,
        matches: &[&Match],
        paused: bool,
        duration: std::time::Duration,
    ) -> anyhow::Result<CommitStages> {
        let commit = close_commit(
            &self.book,
            burst,
            matches,
            paused,
            duration,
            crate::now_ms(),
        );
        let committing = Instant::now();
        let inserted = self.store.commit_close(commit).await?;
        let commit = committing.elapsed();
        metrics::counter!("sift_closes_total", "interval" => burst.interval.to_string())
            .increment(1);
        metrics::counter!("sift_signals_total").increment(inserted.len() as u64);
        let publishing = Instant::now();
        let book = &self.book;
        self.hub.publish_signals(
            inserted
                .iter()
                .filter_map(|signal| Some((signal, book.visibility(signal.trader_id)?))),
        );
        let publish = publishing.elapsed();
        if !inserted.is_empty() {
            info!(interval = %burst.interval, open_time = burst.open_time,
                signals = inserted.len(), "signals");
        }
        Ok(CommitStages {
            commit,
            publish,
            signals: inserted.len(),
        })
    }

    async fn on_change(&mut self, change: TraderChange) {
        let result = match change {
            TraderChange::Removed(id) => self.remove(id).await,
            TraderChange::Changed(id) => self.reload(id).await,
        };
        if let Err(err) = result {
            warn!(?change, error = %format!("{err:#}"), "trader change not applied");
        }
    }

    async fn remove(&mut self, id: i64) -> anyhow::Result<()> {
        self.book.remove(id);
        let id = u64::try_from(id)?;
        self.evaluator.remove(sift_engine::TraderId(id)).await??;
        Ok(())
    }

    async fn reload(&mut self, id: i64) -> anyhow::Result<()> {
        let Some(stored) = self.store.get_trader(id).await? else {
            return self.remove(id).await;
        };
        let trader = compile(&stored, &self.ranked)?;
        self.book.insert(&stored);
        self.evaluator.upsert(trader).await??;
        Ok(())
    }
}

/// What committing one burst stores: its signals (the matches), a pending delivery per signal
/// and notification channel, and its execution row. `duration` is the evaluation's time;
/// `now` stamps the rows. Shared by `serve`'s pipeline and the cluster's workers.
pub fn close_commit(
    book: &TraderBook,
    burst: &CloseBurst,
    matches: &[&Match],
    paused: bool,
    duration: Duration,
    now: i64,
) -> CloseCommit {
    let signals: Vec<NewSignal> = matches.iter().map(|m| new_signal(m, now)).collect();
    let outbox = signals
        .iter()
        .flat_map(|s| {
            book.channels(s.trader_id)
                .iter()
                .map(|&channel_id| NewOutbox {
                    trader_id: s.trader_id,
                    symbol: s.symbol.clone(),
                    interval: s.interval,
                    open_time: s.open_time,
                    channel_id,
                })
        })
        .collect();
    let matched: HashSet<&Symbol> = matches.iter().map(|m| &m.symbol).collect();
    let execution = NewExecution {
        interval: burst.interval,
        open_time: burst.open_time,
        traders_run: if paused {
            0
        } else {
            count(book.running(burst.interval))
        },
        symbols_checked: count(burst.candles.len()),
        symbols_matched: count(matched.len()),
        duration_us: i64::try_from(duration.as_micros()).unwrap_or(i64::MAX),
        errors: if paused { json!(["paused"]) } else { json!([]) },
        created_at: now,
    };
    CloseCommit {
        execution,
        signals,
        outbox,
    }
}

/// The bursts of `first`'s close instant that wait in `events` right behind it, with `first`;
/// and the event read ahead that is not one of them.
pub fn gather_instant(
    first: CloseBurst,
    events: &mut mpsc::Receiver<MarketEvent>,
) -> (Vec<CloseBurst>, Option<MarketEvent>) {
    let close_time = burst_close_time(&first);
    let mut bursts = vec![first];
    while let Ok(event) = events.try_recv() {
        match event {
            MarketEvent::Closes(burst) if burst_close_time(&burst) == close_time => {
                bursts.push(burst);
            }
            other => return (bursts, Some(other)),
        }
    }
    (bursts, None)
}

/// When the candles of a burst closed (their close time is open time + interval - 1 ms).
pub fn burst_close_time(burst: &CloseBurst) -> i64 {
    burst
        .candles
        .first()
        .map_or(burst.open_time, |(_, candle)| candle.close_time)
}

/// What committing one burst took.
#[derive(Debug, Clone, Copy)]
struct CommitStages {
    commit: Duration,
    publish: Duration,
    signals: usize,
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// A match as a stored signal; the value snapshot as a JSON object in the rule's order.
pub fn new_signal(m: &Match, now: i64) -> NewSignal {
    let values: Map<String, Value> = m
        .values
        .iter()
        .map(|(name, value)| (name.to_string(), json!(value)))
        .collect();
    NewSignal {
        trader_id: i64::try_from(m.trader.0).unwrap_or(i64::MAX),
        symbol: m.symbol.clone(),
        interval: m.interval,
        open_time: m.open_time,
        close_time: m.close_time,
        price: m.close,
        values: Value::Object(values),
        created_at: now,
    }
}
