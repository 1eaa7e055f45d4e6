//! A worker's evaluation of the entries of one close instant (one per owned shard, taken
//! together): series made contiguous (warmed from Redis when this worker did not see the
//! previous close), the engine, one commit (retried until the store takes it), then the signals
//! on `sift:signals`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use parking_lot::Mutex;
use sift_candles::CandleStore;
use sift_core::{Candle, Interval, Symbol};
use sift_engine::{CloseBatch, EngineConfig, Match, Trader};
use sift_market::CloseBurst;
use sift_redis::RedisCandleStore;
use sift_server::Evaluator;
use sift_server::pipeline::{STAGE_SECONDS, close_commits};
use sift_server::traders::{TraderBook, compile};
use sift_store::{CloseCommit, Signal, Store};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::entry::{CloseEntry, SignalMessage};
use crate::keys::ClusterKeys;
use crate::tickers;

/// First and longest wait between commit attempts while the store is unavailable.
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(2);
/// Reads of a series' history while the close before the one processed is not in Redis yet.
const HISTORY_ATTEMPTS: u32 = 20;
const HISTORY_RETRY: Duration = Duration::from_millis(100);

/// The traders as the engine and the stream see them, shared with the change listener.
#[derive(Debug, Default)]
pub struct Traders {
    pub book: TraderBook,
    /// The compiled traders by id (a scratch engine is built from them).
    pub compiled: HashMap<i64, Trader>,
    /// The universe by 24 h quote volume, highest first, for `symbols = {top = N}`.
    pub ranked: Vec<Symbol>,
    /// The stored traders with `symbols = {top = N}`, compiled again when the ranking moves.
    pub top: HashMap<i64, sift_store::Trader>,
}

/// Evaluates and commits close entries.
pub struct Processor {
    pub store: Arc<dyn Store>,
    pub evaluator: Evaluator,
    pub candles: RedisCandleStore,
    pub traders: Arc<Mutex<Traders>>,
    pub paused: Arc<AtomicBool>,
    pub history: usize,
    pub keys: ClusterKeys,
    /// Newest open time fed to the engine per series.
    fed: HashMap<(Symbol, Interval), i64>,
    /// When the universe was last ranked.
    ranked_at: Option<Instant>,
}

impl std::fmt::Debug for Processor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Processor")
            .field("series", &self.fed.len())
            .finish_non_exhaustive()
    }
}

impl Processor {
    pub fn new(
        store: Arc<dyn Store>,
        evaluator: Evaluator,
        candles: RedisCandleStore,
        traders: Arc<Mutex<Traders>>,
        paused: Arc<AtomicBool>,
        history: usize,
        keys: ClusterKeys,
    ) -> Self {
        Self {
            store,
            evaluator,
            candles,
            traders,
            paused,
            history,
            keys,
            fed: HashMap::new(),
            ranked_at: None,
        }
    }

    /// Series whose indicator state this worker holds.
    pub fn series(&self) -> usize {
        self.fed.len()
    }

    /// Forgets the series of shards no longer owned (they are warmed again if they come back).
    pub fn retain(&mut self, keep: impl Fn(&Symbol) -> bool) {
        self.fed.retain(|(symbol, _), _| keep(symbol));
    }

    /// Evaluates, commits and publishes the entries of one close instant together, one per
    /// shard and alike ([`consumer::instants`](crate::consumer::instants)): one ticker read,
    /// one evaluation, one transaction recording every shard, one publication. Answers the
    /// signals committed. Fails only when `cancel` fires while the store is unavailable (the
    /// entries are then left pending for the next owner) or on a Redis read failure while
    /// warming.
    pub async fn process(
        &mut self,
        entries: &[(u32, &CloseEntry)],
        redis: &mut redis::aio::ConnectionManager,
        cancel: &CancellationToken,
    ) -> anyhow::Result<usize> {
        let Some(close_time) = entries.first().map(|(_, e)| e.close_time) else {
            return Ok(0);
        };
        let started = Instant::now();
        if self
            .ranked_at
            .is_none_or(|at| at.elapsed() >= tickers::RANK_EVERY)
        {
            self.ranked_at = Some(Instant::now());
            if let Err(err) = self.rank(redis, close_time).await {
                warn!(error = %format!("{err:#}"), "ranking the universe failed");
            }
        }
        let bursts = merge(entries);
        let mut shards: Vec<u32> = entries.iter().map(|(shard, _)| *shard).collect();
        shards.sort_unstable();
        shards.dedup();
        let mut live = CloseBatch::new();
        let mut stale = CloseBatch::new();
        // The latest tickers of the entries' symbols, applied before their candles as in
        // `serve`.
        let mut symbols: Vec<Symbol> = bursts
            .iter()
            .flat_map(|b| b.candles.iter().map(|(s, _)| s.clone()))
            .collect();
        symbols.sort();
        symbols.dedup();
        match tickers::read(redis, self.candles.keys(), &symbols, close_time).await {
            Ok(tickers) => {
                live.tickers.clone_from(&tickers);
                stale.tickers = tickers;
            }
            Err(err) => warn!(error = %err, "tickers not read; the close is evaluated without"),
        }
        for burst in &bursts {
            for (symbol, candle) in &burst.candles {
                let key = (symbol.clone(), burst.interval);
                match self.fed.get(&key) {
                    Some(&last) if last >= candle.open_time => {
                        stale
                            .candles
                            .push((symbol.clone(), burst.interval, *candle));
                        continue;
                    }
                    Some(&last) if burst.interval.next_open(last) == candle.open_time => {}
                    _ => {
                        let history = self.history_before(symbol, burst.interval, candle).await?;
                        self.evaluator
                            .warm(symbol.clone(), burst.interval, history)
                            .await?;
                    }
                }
                self.fed.insert(key, candle.open_time);
                live.candles.push((symbol.clone(), burst.interval, *candle));
            }
        }
        let prepared = started.elapsed();
        let mut matches = if live.candles.is_empty() {
            if !live.tickers.is_empty() {
                self.evaluator.tickers(live.tickers).await?;
            }
            Vec::new()
        } else {
            self.evaluator.process(live).await?
        };
        if !stale.candles.is_empty() {
            matches.extend(self.scratch(stale).await?);
        }
        let paused = self.paused.load(Ordering::SeqCst);
        if paused {
            matches.clear();
        }
        let duration = started.elapsed();
        metrics::histogram!("sift_evaluation_seconds").record(duration.as_secs_f64());

        let commits = close_commits(
            &self.traders.lock().book,
            &bursts,
            &matches,
            paused,
            duration,
            now_ms(),
        );
        let inserted = self.commit(&shards, &commits, cancel).await?;
        let committed = started.elapsed();
        for burst in &bursts {
            metrics::counter!("sift_closes_total", "interval" => burst.interval.to_string())
                .increment(1);
        }
        metrics::counter!("sift_signals_total").increment(inserted.len() as u64);
        self.publish(&inserted, redis).await;
        let published = started.elapsed();
        for (stage, took) in [
            ("prepare", prepared),
            ("evaluate", duration.saturating_sub(prepared)),
            ("commit", committed.saturating_sub(duration)),
            ("publish", published.saturating_sub(committed)),
        ] {
            metrics::histogram!(STAGE_SECONDS, "stage" => stage).record(took.as_secs_f64());
        }
        let latency = (now_ms() - close_time).max(0);
        #[allow(clippy::cast_precision_loss)]
        metrics::histogram!("sift_close_to_commit_seconds").record(latency as f64 / 1000.0);
        debug!(
            close_time,
            shards = shards.len(),
            signals = inserted.len(),
            prepare_us = micros(prepared),
            evaluate_us = micros(duration.saturating_sub(prepared)),
            commit_us = micros(committed.saturating_sub(duration)),
            publish_us = micros(published.saturating_sub(committed)),
            "entries processed"
        );
        Ok(inserted.len())
    }

    /// Ranks the universe by the tickers in Redis and compiles again the `top = N` traders
    /// whose members changed.
    async fn rank(
        &mut self,
        redis: &mut redis::aio::ConnectionManager,
        at: i64,
    ) -> anyhow::Result<()> {
        let candles = self.candles.clone();
        let universe = tokio::task::spawn_blocking(move || candles.symbols())
            .await
            .context("the symbol read panicked")?
            .context("reading the symbols from redis")?;
        let read = tickers::read(redis, self.candles.keys(), &universe, at).await?;
        let ranked = tickers::rank(&universe, &read);
        let changed: Vec<Trader> = {
            let mut traders = self.traders.lock();
            if traders.ranked == ranked {
                return Ok(());
            }
            let old = std::mem::replace(&mut traders.ranked, ranked);
            let mut changed = Vec::new();
            for stored in traders.top.values() {
                let sift_traders::Symbols::Top(n) = stored.def.symbols else {
                    continue;
                };
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                let before = &old[..n.min(old.len())];
                if before != &traders.ranked[..n.min(traders.ranked.len())] {
                    changed.push(compile(stored, &traders.ranked)?);
                }
            }
            for trader in &changed {
                let id = i64::try_from(trader.id.0)?;
                traders.compiled.insert(id, trader.clone());
            }
            changed
        };
        if !changed.is_empty() {
            info!(
                traders = changed.len(),
                "top-N traders follow the new ranking"
            );
        }
        for trader in changed {
            self.evaluator.upsert(trader).await??;
        }
        Ok(())
    }

    /// Stored closed candles of a series opening before `candle`, read from Redis.
    async fn history_before(
        &self,
        symbol: &Symbol,
        interval: Interval,
        candle: &Candle,
    ) -> anyhow::Result<Vec<Candle>> {
        let before = candle.open_time;
        let mut attempts = 0;
        let mut candles = loop {
            let (store, symbol2, history) = (self.candles.clone(), symbol.clone(), self.history);
            let mut candles = tokio::task::spawn_blocking(move || {
                store.last_closed(&symbol2, interval, history + 1)
            })
            .await
            .context("the candle read panicked")?
            .with_context(|| format!("reading {symbol} {interval} from redis"))?;
            candles.retain(|c| c.open_time < before);
            // The collectors write candles behind the stream: wait a little for the close
            // just before this one unless the series really has a hole there.
            let complete = candles
                .last()
                .is_some_and(|c| interval.next_open(c.open_time) == before);
            attempts += 1;
            if complete || attempts >= HISTORY_ATTEMPTS {
                if !complete {
                    debug!(%symbol, %interval, before, "history ends before the previous close");
                }
                break candles;
            }
            tokio::time::sleep(HISTORY_RETRY).await;
        };
        let excess = candles.len().saturating_sub(self.history);
        candles.drain(..excess);
        Ok(candles)
    }

    /// Evaluates closes older than what the engine holds (an entry claimed late, after newer
    /// ones) on a scratch engine warmed from Redis, so they still produce their signals.
    async fn scratch(&self, batch: CloseBatch) -> anyhow::Result<Vec<Match>> {
        metrics::counter!("sift_worker_scratch_total").increment(1);
        info!(
            candles = batch.candles.len(),
            "late closes evaluated on a scratch engine"
        );
        let traders: Vec<Trader> = self.traders.lock().compiled.values().cloned().collect();
        let engine = Evaluator::start(EngineConfig {
            candle_capacity: self.history,
            ..EngineConfig::default()
        })?;
        engine.set_traders(traders).await??;
        for (symbol, interval, candle) in &batch.candles {
            let history = self.history_before(symbol, *interval, candle).await?;
            engine.warm(symbol.clone(), *interval, history).await?;
        }
        Ok(engine.process(batch).await?)
    }

    /// Commits the closes of one instant (recording that `shards` committed them), retrying
    /// while the store is unavailable, until `cancel`.
    async fn commit(
        &self,
        shards: &[u32],
        commits: &[CloseCommit],
        cancel: &CancellationToken,
    ) -> anyhow::Result<Vec<Signal>> {
        let mut wait = RETRY_FIRST;
        let mut attempts = 0u32;
        loop {
            match self.store.commit_shard_closes(shards, commits).await {
                Ok(inserted) => {
                    if attempts > 0 {
                        info!(attempts, "commit went through after retries");
                    }
                    return Ok(inserted);
                }
                Err(err) => {
                    attempts += 1;
                    metrics::counter!("sift_commit_retries_total").increment(1);
                    if attempts == 1 || attempts % 10 == 0 {
                        warn!(error = %err, attempts, "commit failed; retrying");
                    }
                }
            }
            tokio::select! {
                () = cancel.cancelled() => anyhow::bail!("stopped while the store was unavailable"),
                () = tokio::time::sleep(wait) => {}
            }
            wait = (wait * 2).min(RETRY_MAX);
        }
    }

    /// Publishes the committed signals on `sift:signals` (one message per processed instant, a
    /// JSON array; at most once: a stream client that misses one catches up from the store by
    /// `Last-Event-ID`).
    async fn publish(&self, signals: &[Signal], redis: &mut redis::aio::ConnectionManager) {
        if signals.is_empty() {
            return;
        }
        let messages: Vec<SignalMessage> = {
            let traders = self.traders.lock();
            signals
                .iter()
                .filter_map(|s| Some(SignalMessage::new(s, traders.book.visibility(s.trader_id)?)))
                .collect()
        };
        let Ok(json) = serde_json::to_string(&messages) else {
            return;
        };
        let published: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(self.keys.signals())
            .arg(json)
            .query_async(redis)
            .await;
        if let Err(err) = published {
            warn!(error = %err, signals = messages.len(), "signals not published to the api instances");
        }
    }
}

/// The bursts of `entries` merged per interval and open time, in the order they come.
fn merge(entries: &[(u32, &CloseEntry)]) -> Vec<CloseBurst> {
    let mut out: Vec<CloseBurst> = Vec::new();
    for (_, entry) in entries {
        for burst in &entry.bursts {
            match out
                .iter_mut()
                .find(|m| m.interval == burst.interval && m.open_time == burst.open_time)
            {
                Some(merged) => {
                    merged.candles.extend(burst.candles.iter().cloned());
                    merged.late |= burst.late;
                }
                None => out.push(burst.to_burst()),
            }
        }
    }
    out
}

fn micros(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
