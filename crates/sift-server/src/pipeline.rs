//! From candle closes to stored and streamed signals.
//!
//! One task consumes the market's ordered events and the API's trader changes. For the close
//! bursts of one instant it evaluates the traders on the engine thread, then commits the
//! signals and the execution rows in one transaction. The new signals go to the stream as soon
//! as the store has given them ids, while they are written (a failed commit withdraws them:
//! the clients get `resync`). A close counts as processed once it is in the store
//! (`close_progress`), so a crash before the commit re-evaluates it on restart, and the unique
//! key on signals keeps that from duplicating any; notifications leave only from committed
//! rows.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use sift_api::Hub;
use sift_candles::CandleStore;
use sift_core::{Interval, Symbol, Ticker};
use sift_engine::{CloseBatch, Match};
use sift_market::{CloseBurst, MarketEvent};
use sift_store::{CloseCommit, NewExecution, NewOutbox, NewSignal, Store};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::evaluator::Evaluator;
use crate::instant::{INSTANT_WAIT, burst_close_time, gather_bursts};
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
/// (waiting for the instant's other bursts, warm-up of new series, closed candles to the
/// stream), `evaluate` (the engine, signals built), `assign` (the store picks the new signals
/// and their ids), `publish` (signals to the stream) and `commit` (signals and execution rows
/// written, while the clients receive them).
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
    /// The intervals the market delivers, whose bursts of one instant are evaluated together.
    pub intervals: Vec<Interval>,
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
            intervals: Vec::new(),
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
        // Events read ahead while gathering the bursts of one instant, in order.
        let mut deferred = VecDeque::new();
        loop {
            let event = match deferred.pop_front() {
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
                    // that closed at the same instant, and their signals commit together.
                    let close_time = burst_close_time(&first);
                    let taken_up = Instant::now();
                    let bursts = gather_bursts(
                        first,
                        &self.intervals,
                        INSTANT_WAIT,
                        &mut events,
                        &mut deferred,
                    )
                    .await;
                    self.queued = events.len() + deferred.len();
                    if let Err(err) = self.on_closes(&bursts, taken_up).await {
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
                if let Err(err) = self
                    .on_closes(std::slice::from_ref(&burst), Instant::now())
                    .await
                {
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
        let members = |ranked: &[Symbol], n: u32| -> HashSet<Symbol> {
            ranked.iter().take(n as usize).cloned().collect()
        };
        // Once per N, however many traders share it.
        let mut moved: HashMap<u32, bool> = HashMap::new();
        let changed: Vec<i64> = self
            .book
            .top_n()
            .filter(|&(_, n)| {
                *moved
                    .entry(n)
                    .or_insert_with(|| members(before, n) != members(&self.ranked, n))
            })
            .map(|(id, _)| id)
            .collect();
        for id in changed {
            self.reload(id).await?;
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

    /// Processes the bursts of one instant, taken up at `started` (the first one's arrival).
    async fn on_closes(&mut self, bursts: &[CloseBurst], started: Instant) -> anyhow::Result<()> {
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

    /// Evaluates the bursts of one close instant together, then commits them (each burst's
    /// signals and execution row) in one transaction, publishing the new signals as soon as
    /// they have their ids. `prepare` is the time already spent on them, for the stage
    /// figures.
    async fn evaluate(&mut self, bursts: &[CloseBurst], prepare: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        let mut batch = CloseBatch::new();
        batch.tickers = self.tickers.drain().map(|(_, t)| t).collect();
        batch.candles = bursts.iter().flat_map(CloseBurst::to_batch).collect();
        let paused = self.paused.load(Ordering::SeqCst);
        let matches = self.evaluator.process(batch).await?;
        let matches = if paused { Vec::new() } else { matches };
        let engine = started.elapsed();
        metrics::histogram!("sift_evaluation_seconds").record(engine.as_secs_f64());
        let commits = close_commits(
            &self.book,
            bursts,
            &matches,
            paused,
            engine,
            crate::now_ms(),
        );
        // The engine and the signals made of its matches.
        let duration = started.elapsed();
        let stages = self.commit(bursts, commits).await?;
        for (stage, took) in [
            ("prepare", prepare),
            ("evaluate", duration),
            ("assign", stages.assign),
            ("publish", stages.publish),
            ("commit", stages.commit),
        ] {
            metrics::histogram!(STAGE_SECONDS, "stage" => stage).record(took.as_secs_f64());
        }
        let close_time = bursts.first().map_or(0, burst_close_time);
        // Re-evaluations of old closes after a restart are not the market's pace.
        if bursts.iter().any(|b| !b.late) {
            let took = prepare + started.elapsed();
            self.status.processed(
                close_time,
                crate::now_ms(),
                took,
                stages.signals,
                self.queued,
            );
        }
        debug!(
            close_time,
            bursts = bursts.len(),
            signals = stages.signals,
            prepare_us = micros(prepare),
            evaluate_us = micros(duration),
            assign_us = micros(stages.assign),
            publish_us = micros(stages.publish),
            commit_us = micros(stages.commit),
            "close processed"
        );
        Ok(())
    }

    /// Commits the bursts' signals and execution rows, publishing the new signals while they
    /// are written: a failed commit withdraws them (the clients reload).
    async fn commit(
        &mut self,
        bursts: &[CloseBurst],
        commits: Vec<CloseCommit>,
    ) -> anyhow::Result<CommitStages> {
        let book = &self.book;
        let pending = self.hub.uncommitted();
        let committing = Instant::now();
        // Once the signals had ids: how long that took, and how long publishing them took.
        let published = Mutex::new(None);
        let publish = |signals: &[sift_store::Signal]| {
            let assigned = committing.elapsed();
            pending.publish(
                signals
                    .iter()
                    .filter_map(|signal| Some((signal, book.visibility(signal.trader_id)?))),
            );
            *published.lock().unwrap_or_else(PoisonError::into_inner) =
                Some((assigned, committing.elapsed() - assigned));
        };
        let inserted = self.store.commit_instant(commits, &publish).await?;
        pending.committed();
        let total = committing.elapsed();
        let (assign, publish) = published
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .unwrap_or_default();
        for burst in bursts {
            metrics::counter!("sift_closes_total", "interval" => burst.interval.to_string())
                .increment(1);
        }
        metrics::counter!("sift_signals_total").increment(inserted.len() as u64);
        if !inserted.is_empty() {
            info!(
                close_time = bursts.first().map_or(0, burst_close_time),
                signals = inserted.len(),
                "signals"
            );
        }
        Ok(CommitStages {
            assign,
            publish,
            commit: total.saturating_sub(assign + publish),
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

/// What committing the bursts of one instant stores: per burst its signals (its share of
/// `matches`), a pending delivery per signal and notification channel, and its execution row
/// (`duration` is the evaluation's time; `now` stamps the rows). Shared by `serve`'s pipeline
/// and the cluster's workers.
pub fn close_commits(
    book: &TraderBook,
    bursts: &[CloseBurst],
    matches: &[Match],
    paused: bool,
    duration: Duration,
    now: i64,
) -> Vec<CloseCommit> {
    bursts
        .iter()
        .map(|burst| {
            let mine: Vec<&Match> = matches
                .iter()
                .filter(|m| m.interval == burst.interval && m.open_time == burst.open_time)
                .collect();
            close_commit(book, burst, &mine, paused, duration, now)
        })
        .collect()
}

/// What committing one burst stores (see [`close_commits`]).
fn close_commit(
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

/// What committing an instant's bursts took: until the new signals had ids (`assign`),
/// publishing them, then writing and committing (`commit`, while clients receive them).
#[derive(Debug, Clone, Copy)]
struct CommitStages {
    assign: Duration,
    publish: Duration,
    commit: Duration,
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
