//! The fake exchange in a child process, its clock, and a witness of its close frames.
//!
//! The exchange ([`FakeBinance`]) runs in a child process (`sift bench serve
//! --exchange-only`), so that its simulated market, hundreds of MB of history for 500 symbols,
//! and its CPU time are not counted as the server's. Its clock runs `--speed` times real time,
//! but it pushes forming klines every 2 s and tickers every second of wall time, as Binance
//! does, so the server sees Binance's message rate. The child prints one JSON line (URLs,
//! symbols, and one reading of its market clock against the wall clock) and stops when its
//! standard input closes, which also happens when the benchmark dies.
//!
//! The [`Witness`] subscribes to one 1m kline stream of the exchange, as the server does, and
//! notes when each close frame arrives: the moment a close is received.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde_json::{Value, json};
use sift_binance::{StreamConfig, StreamEvent, kline_stream, spawn_streams};
use sift_core::{Interval, Symbol};
use sift_test_support::fake::{FakeBinance, FakeConfig};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::INTERVALS;
use crate::cli::BenchServeArgs;

/// How long the child may take to generate its market (500 symbols x 42 days take about 20 s).
const START_TIMEOUT: Duration = Duration::from_secs(600);
/// How long the child may take to stop once its input closed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// Binance's cadences in wall time.
const KLINE_PUSH: Duration = Duration::from_secs(2);
const TICKER_PUSH: Duration = Duration::from_secs(1);

/// The child's side: serve the fake exchange until standard input closes.
pub(super) fn run_child(args: &BenchServeArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let config = FakeConfig {
            symbols: args.symbols,
            seed: args.seed,
            speed: args.speed,
            history_minutes: args.history_days.max(1) * 24 * 60,
            kept_per_interval: args.history.max(1),
            intervals: INTERVALS.to_vec(),
            halted: Vec::new(),
            kline_push_interval: KLINE_PUSH.mul_f64(args.speed),
            ticker_interval: TICKER_PUSH.mul_f64(args.speed),
            ..FakeConfig::default()
        };
        let fake = FakeBinance::start(config)
            .await
            .context("starting the fake exchange")?;
        let (market_ms, wall) = (fake.now_ms(), wall_us());
        let symbols: Vec<String> = fake.symbols().iter().map(ToString::to_string).collect();
        let line = json!({
            "rest_url": fake.rest_url(),
            "ws_url": fake.ws_url(),
            "symbols": symbols,
            "market_ms": market_ms,
            "wall_us": wall,
        });
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")?;
        out.flush()?;
        drop(out);
        let mut stdin = tokio::io::stdin();
        let mut buffer = [0u8; 64];
        while matches!(stdin.read(&mut buffer).await, Ok(n) if n > 0) {}
        fake.shutdown().await;
        Ok(())
    })
}

/// The exchange's market clock as read against the wall clock once.
#[derive(Debug, Clone, Copy)]
pub(super) struct MarketClock {
    market_ms: i64,
    wall_us: i64,
    speed: f64,
}

impl MarketClock {
    /// The wall time (epoch µs) at which the market clock reads `market_ms`.
    pub(super) fn wall_us(&self, market_ms: i64) -> i64 {
        self.wall_us + ((market_ms - self.market_ms) as f64 * 1e3 / self.speed).round() as i64
    }

    /// The market clock now, epoch ms.
    pub(super) fn market_now(&self) -> i64 {
        self.market_ms + ((wall_us() - self.wall_us) as f64 * self.speed / 1e3) as i64
    }

    /// Wall time until the market clock reads `market_ms` (zero when past).
    pub(super) fn until(&self, market_ms: i64) -> Duration {
        let us = self.wall_us(market_ms) - wall_us();
        Duration::from_micros(u64::try_from(us).unwrap_or(0))
    }

    /// Wall time of `market` of market time.
    pub(super) fn wall(&self, market: Duration) -> Duration {
        market.div_f64(self.speed)
    }
}

/// The running child process.
#[derive(Debug)]
pub(super) struct Exchange {
    child: Child,
    pub(super) rest_url: String,
    pub(super) ws_url: String,
    pub(super) symbols: Vec<String>,
    pub(super) clock: MarketClock,
}

impl Exchange {
    /// Starts the child and waits for its first line.
    pub(super) async fn spawn(args: &BenchServeArgs) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("locating the sift binary")?;
        let mut child = Command::new(exe)
            .args(["bench", "serve", "--exchange-only"])
            .args(["--symbols", &args.symbols.to_string()])
            .args(["--seed", &args.seed.to_string()])
            .args(["--speed", &args.speed.to_string()])
            .args(["--history", &args.history.to_string()])
            .args(["--history-days", &args.history_days.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting the fake exchange process")?;
        let stdout = child
            .stdout
            .take()
            .context("the exchange process has no output")?;
        let line = tokio::time::timeout(START_TIMEOUT, BufReader::new(stdout).lines().next_line())
            .await
            .context("the fake exchange did not start in time")?
            .context("reading the fake exchange's output")?
            .context("the fake exchange stopped before it started")?;
        let value: Value = serde_json::from_str(&line).context("the fake exchange's first line")?;
        let text = |key: &str| {
            value[key]
                .as_str()
                .map(str::to_owned)
                .with_context(|| format!("`{key}` missing from the exchange's line"))
        };
        let number = |key: &str| {
            value[key]
                .as_i64()
                .with_context(|| format!("`{key}` missing from the exchange's line"))
        };
        let symbols = value["symbols"]
            .as_array()
            .context("`symbols` missing from the exchange's line")?
            .iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect();
        Ok(Self {
            rest_url: text("rest_url")?,
            ws_url: text("ws_url")?,
            symbols,
            clock: MarketClock {
                market_ms: number("market_ms")?,
                wall_us: number("wall_us")?,
                speed: args.speed,
            },
            child,
        })
    }

    /// Closes the child's input and waits for it to stop (killing it after a while).
    pub(super) async fn stop(mut self) {
        drop(self.child.stdin.take());
        if tokio::time::timeout(STOP_TIMEOUT, self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// When a close frame of the witnessed stream arrived, by close instant (the next candle's open
/// time, market ms) in wall µs.
#[derive(Debug, Clone, Default)]
pub(super) struct Witness {
    seen: Arc<Mutex<BTreeMap<i64, i64>>>,
}

impl Witness {
    /// Subscribes to `symbol`'s 1m klines; the task ends after `cancel`.
    pub(super) async fn start(
        ws_url: &str,
        symbol: &str,
        cancel: CancellationToken,
    ) -> anyhow::Result<(Self, JoinHandle<()>)> {
        let symbol: Symbol = symbol
            .parse()
            .map_err(|_| anyhow::anyhow!("`{symbol}` is not a symbol"))?;
        let config = StreamConfig {
            base_url: ws_url.to_owned(),
            ..StreamConfig::default()
        };
        let (handle, mut events, pool) = spawn_streams(config, cancel);
        let witness = Self::default();
        let seen = Arc::clone(&witness.seen);
        let task = tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if let StreamEvent::Kline(update) = event {
                    if update.candle.closed {
                        let at = wall_us();
                        // Inserting only; nothing awaits under the lock.
                        seen.lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .insert(update.candle.close_time + 1, at);
                    }
                }
            }
            let _ = pool.await;
        });
        tokio::time::timeout(
            Duration::from_secs(30),
            handle.subscribe(vec![kline_stream(&symbol, Interval::M1)]),
        )
        .await
        .context("subscribing the witness timed out")?
        .context("subscribing the witness")?;
        Ok((witness, task))
    }

    /// When the close frame of `instant` arrived, wall µs.
    pub(super) fn received_us(&self, instant: i64) -> Option<i64> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&instant)
            .copied()
    }
}

/// Now, epoch microseconds.
pub(super) fn wall_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}
