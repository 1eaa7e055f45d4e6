//! `sift bench engine`: the rule engine on a seeded synthetic market.
//!
//! 1. A market of `--symbols` symbols with `--candles` 1m candles each ([`sift_sim`]) is written
//!    to a long-format CSV file in a temporary directory (not timed).
//! 2. `--traders` traders are drawn from the built-in templates with varied numbers, all on 1m
//!    ([`traders`]).
//! 3. Timed (`wall_seconds`): the file is read as `sift backtest` reads it and the longer
//!    intervals the rules read (5m and 15m for the built-ins) are aggregated from 1m
//!    (`read_seconds`); the traders are compiled into one engine (`compile_seconds`); every
//!    close instant is replayed through [`Engine::process`] on a rayon pool of `--threads`
//!    threads (`replay_seconds`; `process_seconds` is the part spent in `process`, without
//!    assembling the batches), each call timed for the latency percentiles.
//!
//! Prints one JSON object. `evaluations` counts every trader at every 1m close of every symbol
//! (traders x symbols x closes, warm-up included); `evaluations_per_second` divides it by
//! `replay_seconds`. `peak_memory_mb` is the process's peak resident set (`VmHWM`), Linux only.

mod cluster;
mod market;
mod serve;
mod traders;

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Context;
use sift_core::Interval;
use sift_engine::{Engine, EngineConfig, Trader};
use sift_sim::Rng;

use crate::bench::market::SymbolCandles;
use crate::cli::BenchEngineArgs;

/// The interval every benchmark trader runs on.
const TRADER_INTERVAL: Interval = Interval::M1;

/// `sift bench serve`: the whole server (see `bench/serve.rs`).
pub(crate) fn serve(args: &crate::cli::BenchServeArgs) -> anyhow::Result<()> {
    serve::run(args)
}

/// `sift bench cluster`: the cluster's workers (see `bench/cluster.rs`).
pub(crate) fn cluster(args: &crate::cli::BenchClusterArgs) -> anyhow::Result<()> {
    cluster::run(args)
}

pub(crate) fn engine(args: &BenchEngineArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.symbols > 0 && args.traders > 0 && args.candles > 0,
        "--symbols, --traders and --candles must be at least 1"
    );
    let threads = match args.threads {
        Some(0) => anyhow::bail!("--threads must be at least 1"),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("starting the thread pool")?;

    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let path = dir.path().join("sift-bench-1m.csv");
    let sim = sift_sim::Market::new(args.seed, args.symbols);
    let file_bytes = market::write_csv(&sim, args.candles, &path)?;
    let mut rng = Rng::stream(args.seed, u64::MAX);
    let traders = traders::random_traders(&mut rng, args.traders, TRADER_INTERVAL)?;
    let mut intervals: Vec<Interval> = traders
        .iter()
        .flat_map(|t| t.program.timeframes.iter().copied())
        .chain([TRADER_INTERVAL])
        .collect();
    intervals.sort_unstable();
    intervals.dedup();

    let start = Instant::now();
    let longer: Vec<Interval> = intervals
        .iter()
        .copied()
        .filter(|tf| *tf > TRADER_INTERVAL)
        .collect();
    let candles = market::read(&path, &longer)?;
    let read_seconds = start.elapsed();
    drop(dir);
    let report = pool.install(|| run(traders, &candles, args.candles))?;

    let stats = report.engine.stats();
    let closes = report.latencies.len();
    let evaluations = (stats.traders * stats.symbols * closes) as u64;
    let wall = read_seconds + report.compile_seconds + report.replay_seconds;
    let mut sorted = report.latencies.clone();
    sorted.sort_unstable();
    let intervals: Vec<&str> = intervals.iter().map(|i| i.as_str()).collect();
    let json = serde_json::json!({
        "symbols": stats.symbols,
        "traders": stats.traders,
        "threads": threads,
        "seed": args.seed,
        "candles": report.fed,
        "candles_per_symbol": args.candles,
        "intervals": intervals,
        "closes": closes,
        "evaluations": evaluations,
        "signals": report.signals,
        "indicator_instances": stats.indicators,
        "plan_indicators": stats.plan_indicators,
        "plan_nodes": stats.plan_nodes,
        "candle_capacity": report.engine.config().candle_capacity,
        "file_bytes": file_bytes,
        "read_seconds": seconds(read_seconds),
        "compile_seconds": seconds(report.compile_seconds),
        "replay_seconds": seconds(report.replay_seconds),
        "process_seconds": seconds(report.latencies.iter().sum()),
        "wall_seconds": seconds(wall),
        "evaluations_per_second":
            (evaluations as f64 / report.replay_seconds.as_secs_f64()).round(),
        "close_latency_p50_ms": millis(percentile(&sorted, 0.50)),
        "close_latency_p99_ms": millis(percentile(&sorted, 0.99)),
        "close_latency_max_ms": millis(sorted.last().copied().unwrap_or_default()),
        "peak_memory_mb": peak_memory_mb(),
    });
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
    Ok(())
}

/// Compiles `traders` into one engine and replays `candles` through it, timing each close.
fn run(traders: Vec<Trader>, candles: &[SymbolCandles], closes: usize) -> anyhow::Result<Report> {
    // As `sift backtest`: every trader is set before the first candle, so no candles need
    // keeping for warming new indicators.
    let config = EngineConfig {
        candle_capacity: 1,
        ..EngineConfig::default()
    };
    let compile_start = Instant::now();
    let mut engine = Engine::new(config);
    engine
        .set_traders(traders)
        .context("compiling the traders")?;
    let compile_seconds = compile_start.elapsed();
    let mut replay = market::Replay::new(candles);
    let mut latencies = Vec::with_capacity(closes);
    let (mut fed, mut signals) = (0usize, 0usize);
    let replay_start = Instant::now();
    while let Some(batch) = replay.next_batch() {
        fed += batch.candles.len();
        let call = Instant::now();
        let matches = engine.process(&batch);
        latencies.push(call.elapsed());
        signals += matches.len();
    }
    Ok(Report {
        compile_seconds,
        replay_seconds: replay_start.elapsed(),
        latencies,
        fed,
        signals,
        engine,
    })
}

/// What the timed part of the run produced.
#[derive(Debug)]
struct Report {
    compile_seconds: Duration,
    replay_seconds: Duration,
    /// Time of each `process` call, in replay order.
    latencies: Vec<Duration>,
    /// Candles fed, all intervals.
    fed: usize,
    signals: usize,
    engine: Engine,
}

/// The nearest-rank percentile `q` (0 to 1) of ascending `sorted`; zero when empty.
fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn seconds(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e4).round() / 1e4
}

fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// Peak resident memory of this process in MB (`VmHWM` of `/proc/self/status`), or `None`
/// where that file does not exist.
fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some((kb / 1024.0 * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let ms = |n: u64| Duration::from_millis(n);
        let sorted: Vec<Duration> = (1..=100).map(ms).collect();
        assert_eq!(percentile(&sorted, 0.50), ms(50));
        assert_eq!(percentile(&sorted, 0.99), ms(99));
        assert_eq!(percentile(&sorted[..1], 0.99), ms(1));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }

    #[test]
    fn peak_memory_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(peak_memory_mb().is_some_and(|mb| mb > 0.0));
        }
    }
}
