//! The engine on its own thread, driven from async code.
//!
//! Evaluation is CPU work of milliseconds per close (rayon inside the engine), so it never runs
//! on the async runtime's workers: one dedicated thread owns the [`Engine`] and serves jobs from
//! a bounded queue; async callers await the reply. Jobs run in the order sent, so a trader
//! change sent before a close is in effect for that close.

use std::sync::Arc;
use std::thread;

use sift_core::{Candle, Interval, Symbol, Ticker};
use sift_engine::{
    CandleHistory, CloseBatch, Engine, EngineConfig, EngineStats, Error, Match, Trader, TraderId,
};
use tokio::sync::{mpsc, oneshot};

/// Jobs waiting for the engine thread. Closes arrive a few per minute per interval and trader
/// changes at human speed; 64 absorbs a burst of warm-up jobs without making senders wait long.
const QUEUE: usize = 64;

/// The engine stopped (its thread ended); nothing more can be evaluated.
#[derive(Debug, thiserror::Error)]
#[error("the evaluation thread has stopped")]
pub struct Stopped;

enum Job {
    SetTraders(Vec<Trader>, oneshot::Sender<Result<(), Error>>),
    Upsert(Box<Trader>, oneshot::Sender<Result<(), Error>>),
    Remove(TraderId, oneshot::Sender<Result<bool, Error>>),
    Warm(Symbol, Interval, Vec<Candle>, oneshot::Sender<usize>),
    Tickers(Vec<Ticker>),
    Process(Box<CloseBatch>, oneshot::Sender<Vec<Match>>),
    Warmup(oneshot::Sender<Vec<(Interval, u32)>>),
    Stats(oneshot::Sender<EngineStats>),
}

/// A cheap-clone handle to the engine thread. The thread ends when every handle is dropped.
#[derive(Debug, Clone)]
pub struct Evaluator {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

impl Evaluator {
    /// Starts the engine thread.
    ///
    /// # Errors
    /// When the operating system refuses a thread.
    pub fn start(config: EngineConfig) -> std::io::Result<Self> {
        Self::spawn(config, None)
    }

    /// Starts the engine thread with an engine that warms from `history` rather than keeping
    /// its own candles ([`Engine::with_history`]).
    ///
    /// # Errors
    /// When the operating system refuses a thread.
    pub fn start_with_history(
        config: EngineConfig,
        history: Arc<dyn CandleHistory>,
    ) -> std::io::Result<Self> {
        Self::spawn(config, Some(history))
    }

    fn spawn(
        config: EngineConfig,
        history: Option<Arc<dyn CandleHistory>>,
    ) -> std::io::Result<Self> {
        let (jobs, mut queue) = mpsc::channel(QUEUE);
        thread::Builder::new()
            .name("sift-engine".to_owned())
            .spawn(move || {
                let mut engine = match history {
                    Some(history) => Engine::with_history(config, history),
                    None => Engine::new(config),
                };
                while let Some(job) = queue.blocking_recv() {
                    serve(&mut engine, job);
                }
            })?;
        Ok(Self { jobs })
    }

    /// Replaces the trader set.
    pub async fn set_traders(&self, traders: Vec<Trader>) -> Result<Result<(), Error>, Stopped> {
        self.ask(|reply| Job::SetTraders(traders, reply)).await
    }

    /// Adds or replaces one trader (warmed from the engine's stored candles).
    pub async fn upsert(&self, trader: Trader) -> Result<Result<(), Error>, Stopped> {
        self.ask(|reply| Job::Upsert(Box::new(trader), reply)).await
    }

    /// Removes a trader; `Ok(false)` when it was not there.
    pub async fn remove(&self, id: TraderId) -> Result<Result<bool, Error>, Stopped> {
        self.ask(|reply| Job::Remove(id, reply)).await
    }

    /// Loads history for one series (no matches for it); returns how many candles were kept.
    pub async fn warm(
        &self,
        symbol: Symbol,
        interval: Interval,
        candles: Vec<Candle>,
    ) -> Result<usize, Stopped> {
        self.ask(|reply| Job::Warm(symbol, interval, candles, reply))
            .await
    }

    /// Records the latest tickers (read by ticker values at later closes); does not wait.
    pub async fn tickers(&self, tickers: Vec<Ticker>) -> Result<(), Stopped> {
        self.jobs
            .send(Job::Tickers(tickers))
            .await
            .map_err(|_| Stopped)
    }

    /// Evaluates one close burst.
    pub async fn process(&self, batch: CloseBatch) -> Result<Vec<Match>, Stopped> {
        self.ask(|reply| Job::Process(Box::new(batch), reply)).await
    }

    /// Closed candles each interval needs before every trader's values are defined.
    pub async fn warmup(&self) -> Result<Vec<(Interval, u32)>, Stopped> {
        self.ask(Job::Warmup).await
    }

    /// What the engine holds.
    pub async fn stats(&self) -> Result<EngineStats, Stopped> {
        self.ask(Job::Stats).await
    }

    async fn ask<T>(&self, job: impl FnOnce(oneshot::Sender<T>) -> Job) -> Result<T, Stopped> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(job(reply)).await.map_err(|_| Stopped)?;
        answer.await.map_err(|_| Stopped)
    }
}

/// Runs one job. A caller that stopped waiting is not an error: the work is done regardless.
fn serve(engine: &mut Engine, job: Job) {
    match job {
        Job::SetTraders(traders, reply) => {
            let _ = reply.send(engine.set_traders(traders));
        }
        Job::Upsert(trader, reply) => {
            let _ = reply.send(engine.upsert_trader(*trader));
        }
        Job::Remove(id, reply) => {
            let _ = reply.send(engine.remove_trader(id));
        }
        Job::Warm(symbol, interval, candles, reply) => {
            let _ = reply.send(engine.warm(&symbol, interval, &candles));
        }
        Job::Tickers(tickers) => {
            for ticker in &tickers {
                engine.update_ticker(ticker);
            }
        }
        Job::Process(batch, reply) => {
            let _ = reply.send(engine.process(&batch));
        }
        Job::Warmup(reply) => {
            let _ = reply.send(engine.warmup());
        }
        Job::Stats(reply) => {
            let _ = reply.send(engine.stats());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use sift_rules::{CheckOptions, check};

    fn trader(id: u64, rule: &str) -> Trader {
        let interval: Interval = "1m".parse().unwrap();
        let program = check(rule, &CheckOptions::new(interval)).unwrap();
        Trader::new(TraderId(id), format!("t{id}"), Arc::new(program))
    }

    fn candle(minute: i64, close: f64) -> Candle {
        Candle::ohlcv(minute * 60_000, close, close, close, close, 1.0)
    }

    #[tokio::test]
    async fn evaluates_off_the_runtime_in_order() {
        let evaluator = Evaluator::start(EngineConfig::default()).unwrap();
        evaluator
            .set_traders(vec![trader(1, "close > 10")])
            .await
            .unwrap()
            .unwrap();
        let symbol: Symbol = "BTCUSDT".parse().unwrap();
        let interval: Interval = "1m".parse().unwrap();
        assert_eq!(
            evaluator
                .warm(symbol.clone(), interval, vec![candle(0, 5.0)])
                .await
                .unwrap(),
            1
        );
        let quiet = CloseBatch::new().with(symbol.clone(), interval, candle(1, 9.0));
        assert!(evaluator.process(quiet).await.unwrap().is_empty());
        let fires = CloseBatch::new().with(symbol.clone(), interval, candle(2, 11.0));
        let matches = evaluator.process(fires).await.unwrap();
        assert_eq!(matches.len(), 1);
        assert_eq!(matches[0].trader, TraderId(1));

        assert!(evaluator.remove(TraderId(1)).await.unwrap().unwrap());
        let after = CloseBatch::new().with(symbol, interval, candle(3, 12.0));
        assert!(evaluator.process(after).await.unwrap().is_empty());
        assert_eq!(evaluator.stats().await.unwrap().traders, 0);
    }
}
