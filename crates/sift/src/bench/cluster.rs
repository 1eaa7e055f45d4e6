//! `sift bench cluster`: the workers' close path, from a close published on the stream to its
//! signals committed in PostgreSQL, with 1 worker and with 2 (scaling).
//!
//! 1. A seeded synthetic market of `--symbols` pairs (1m, with 5m and 15m aggregated, as the
//!    built-ins read them) and `--traders` traders drawn from the built-in templates, all on 1m
//!    (not timed).
//! 2. For each worker count of `--workers`: a private Redis (`redis-server` on a free loopback
//!    port, so its command statistics are the run's own) and a fresh PostgreSQL database on the
//!    local server (`SIFT_TEST_DATABASE_URL` or `postgres://postgres@127.0.0.1:5432`); the traders
//!    stored; `--history` closes of every series written to Redis; the workers started in this
//!    process ([`sift_cluster::worker::run`], `--shards` shards) and waited for until they split
//!    the shards.
//! 3. The benchmark is the leader collector: per close instant it writes the candles to Redis,
//!    then publishes the entries with the fenced script ([`Publisher`]) and notes the time.
//!    `--warmup` closes (series warmed from Redis) are not measured; then `--closes` closes
//!    one every `--every-ms`: **latency** = the last `committed_at` of the close's shards
//!    (stamped in each commit's transaction) minus its publication, p50/p99/max; then
//!    `--burst` closes back to back: **throughput** = closes per second until the last is
//!    committed.
//! 4. Redis commands per close instant over a third as many closes again, at the same pace
//!    after the measured ones (`redis-cli MONITOR` would slow those): the leader's writes and
//!    publication plus the workers' reads, acks and publishes. `redis_commands` are the
//!    commands clients sent (MONITOR, a script call counted once); `redis_executed` adds the
//!    commands scripts ran (`INFO commandstats`).
//!
//! Prints one JSON object. The workers share this process and the machine's cores. With
//! `RUST_LOG` set, their events go to standard error (`RUST_LOG=sift_cluster::process=debug`:
//! each close's prepare, evaluate, commit and publish times).

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Context;
use secrecy::SecretString;
use serde_json::{Value, json};
use sift_candles::{CandleStore, Capacities};
use sift_cluster::publish::Publisher;
use sift_cluster::{ClusterKeys, Lease, WorkerOptions};
use sift_core::{Candle, Interval, Symbol, Tier};
use sift_engine::{CloseBatch, Trader};
use sift_market::CloseBurst;
use sift_redis::{RedisCandleStore, RedisConfig};
use sift_sim::Rng;
use sift_store::{NewTrader, Store};
use sift_test_support::postgres::test_database;
use sift_test_support::redis::RedisServer;
use tokio_util::sync::CancellationToken;

use crate::bench::market::{self, Replay};
use crate::bench::traders::{definition, random_traders};
use crate::cli::BenchClusterArgs;

/// Longest wait for the workers to split the shards, and for a close to be committed.
const READY_TIMEOUT: Duration = Duration::from_secs(300);
const POLL: Duration = Duration::from_millis(20);
/// The benchmark's own Redis commands, left out of the counts.
const BENCH_COMMANDS: [&str; 2] = ["info", "xpending"];

pub(super) fn run(args: &BenchClusterArgs) -> anyhow::Result<()> {
    // The workers' events (`RUST_LOG=sift_cluster=debug` shows each close's stage times).
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_default_env() {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    anyhow::ensure!(
        args.symbols > 0 && args.traders > 0 && args.closes > 0 && args.history > 0,
        "--symbols, --traders, --closes and --history must be at least 1"
    );
    anyhow::ensure!(
        !args.workers.is_empty() && args.workers.iter().all(|&w| w > 0),
        "--workers lists worker counts of at least 1"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let dir = tempfile::tempdir().context("creating a temporary directory")?;
        let bars = args.history + args.warmup + args.closes + counted_closes(args) + args.burst;
        let path = dir.path().join("market.csv");
        market::write_csv(&sift_sim::Market::new(args.seed, args.symbols), bars, &path)?;
        let series = market::read(&path, &[Interval::M5, Interval::M15])?;
        let mut replay = Replay::new(&series);
        let batches: Vec<CloseBatch> = std::iter::from_fn(|| replay.next_batch()).collect();
        let traders = random_traders(
            &mut Rng::stream(args.seed, u64::MAX),
            args.traders,
            Interval::M1,
        )?;
        let mut runs = Vec::new();
        for &workers in &args.workers {
            let run = measure(args, workers, &batches, &traders, dir.path()).await?;
            writeln!(std::io::stderr(), "{workers} worker(s): {run}")?;
            runs.push(run);
        }
        let report = json!({
            "symbols": args.symbols,
            "traders": args.traders,
            "shards": args.shards,
            "closes": args.closes,
            "every_ms": args.every_ms,
            "runs": runs,
        });
        writeln!(
            std::io::stdout().lock(),
            "{}",
            serde_json::to_string_pretty(&report)?
        )?;
        anyhow::Ok(())
    })
}

/// One run with `workers` workers on a Redis and a database of its own.
async fn measure(
    args: &BenchClusterArgs,
    workers: usize,
    batches: &[CloseBatch],
    traders: &[Trader],
    dir: &std::path::Path,
) -> anyhow::Result<Value> {
    let redis = tokio::task::spawn_blocking(RedisServer::start_new)
        .await
        .context("starting redis-server")?;
    let db = test_database().await.context("creating a database")?;
    let store = sift_store::open(db.url()).await?;
    for trader in traders {
        store.create_trader(stored(trader)).await?;
    }
    let config = RedisConfig::new(redis.url());
    let capacities = Capacities::new(args.history).context("--history")?;
    let candles =
        tokio::task::spawn_blocking(move || RedisCandleStore::connect(&config, capacities))
            .await??;
    let (history, live) = batches.split_at(args.history.min(batches.len()));
    for chunk in history.chunks(50) {
        let all: Vec<(Symbol, Interval, Candle)> = chunk
            .iter()
            .flat_map(|b| b.candles.iter().cloned())
            .collect();
        write(&candles, all).await?;
    }

    let client = redis::Client::open(redis.url())?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let keys = ClusterKeys::default();
    let lease = Lease::new(keys.leader(), "bench", Duration::from_secs(3600));
    anyhow::ensure!(lease.claim(&mut conn).await?.held(), "leader lease");
    let leader = Leader {
        publisher: Publisher {
            keys: keys.clone(),
            id: "bench".to_owned(),
            shards: args.shards,
            maxlen: 100_000,
        },
        candles,
        conn: conn.clone(),
    };

    let cancel = CancellationToken::new();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..workers {
        let mut settings = sift_server::Settings::default();
        settings.redis.url = Some(SecretString::from(redis.url()));
        settings.database.url = Some(SecretString::from(db.url().to_owned()));
        settings.market.history = args.history;
        settings.server.data_dir = dir.to_path_buf();
        let options = WorkerOptions {
            id: format!("bench-worker-{i}"),
            shards: args.shards,
            lease_ttl: Duration::from_secs(3),
            block: Duration::from_secs(1),
            batch: 16,
            claim_idle: Duration::from_secs(60),
            fallback_every: Duration::from_secs(60),
            listen: None,
            prefix: String::new(),
        };
        tasks.spawn(sift_cluster::worker::run(
            settings,
            options,
            None,
            cancel.child_token(),
            None,
        ));
    }
    split(&mut conn, &keys, args.shards, workers).await?;

    // Every shard that has symbols commits each close.
    let shards: usize = batches
        .first()
        .map(|b| {
            b.candles
                .iter()
                .map(|(s, _, _)| sift_cluster::shard_of(s, args.shards))
                .collect::<std::collections::BTreeSet<u32>>()
                .len()
        })
        .unwrap_or(0);
    let (warmup, rest) = live.split_at(args.warmup.min(live.len()));
    let (paced, rest) = rest.split_at(args.closes.min(rest.len()));
    let (counted, rest) = rest.split_at(counted_closes(args).min(rest.len()));
    let burst = &rest[..args.burst.min(rest.len())];
    for batch in warmup {
        let at = leader.publish(batch).await?;
        committed(store.as_ref(), shards, &[(open_1m(batch), at)]).await?;
    }

    let published = leader.paced(paced, args.every_ms).await?;
    let latencies = committed(store.as_ref(), shards, &published).await?;

    // Commands are counted over closes of their own: MONITOR copies every command with its
    // arguments (megabytes of signals per close) to redis-cli, load the latency must not carry.
    let before = commandstats(&mut conn).await?;
    let monitor = Monitor::start(&redis.url(), dir).await?;
    let published = leader.paced(counted, args.every_ms).await?;
    committed(store.as_ref(), shards, &published).await?;
    // The workers acknowledge and publish right after their commits: count those too.
    acked(&mut conn, &keys, args.shards).await?;
    let after = commandstats(&mut conn).await?;
    let sent = monitor.stop().await?;

    let mut bursts = Vec::with_capacity(burst.len());
    for batch in burst {
        bursts.push((open_1m(batch), leader.publish(batch).await?));
    }
    let burst_ms = committed(store.as_ref(), shards, &bursts).await?;
    let throughput = match (
        bursts.first(),
        burst_ms
            .iter()
            .zip(&bursts)
            .map(|(l, (_, at))| at + l)
            .max(),
    ) {
        (Some(&(_, first)), Some(last)) if last > first => {
            #[allow(clippy::cast_precision_loss)]
            let per_second = bursts.len() as f64 * 1000.0 / (last - first) as f64;
            Some(per_second)
        }
        _ => None,
    };
    let signals = store.signals_after_id(None, 0, 1).await?.len();

    cancel.cancel();
    while let Some(result) = tasks.join_next().await {
        result.context("a worker panicked")??;
    }
    store.close().await;
    db.cleanup().await?;
    drop(redis);

    let commands = delta(&before, &after);
    let executed: u64 = commands.values().sum();
    let total: u64 = sent.values().sum();
    #[allow(clippy::cast_precision_loss)]
    let (per_close, executed_per_close) = (
        total as f64 / counted.len().max(1) as f64,
        executed as f64 / counted.len().max(1) as f64,
    );
    Ok(json!({
        "workers": workers,
        "close_to_commit_ms": percentiles(latencies),
        "burst_closes": bursts.len(),
        "throughput_closes_per_s": throughput,
        "redis_counted_closes": counted.len(),
        "redis_commands_per_close": per_close,
        "redis_commands": sent,
        "redis_executed_per_close": executed_per_close,
        "redis_executed": commands,
        "any_signal": signals > 0,
    }))
}

/// The benchmark's leader: writes a close's candles to Redis, then publishes it.
struct Leader {
    publisher: Publisher,
    candles: RedisCandleStore,
    conn: redis::aio::MultiplexedConnection,
}

impl Leader {
    /// Writes and publishes one close instant; the time of its publication (epoch ms).
    async fn publish(&self, batch: &CloseBatch) -> anyhow::Result<i64> {
        write(&self.candles, batch.candles.clone()).await?;
        let mut by_interval: BTreeMap<(Interval, i64), Vec<(Symbol, Candle)>> = BTreeMap::new();
        for (symbol, interval, candle) in &batch.candles {
            by_interval
                .entry((*interval, candle.open_time))
                .or_default()
                .push((symbol.clone(), *candle));
        }
        let bursts: Vec<CloseBurst> = by_interval
            .into_iter()
            .map(|((interval, open_time), candles)| CloseBurst {
                interval,
                open_time,
                candles,
                late: false,
            })
            .collect();
        let published = self
            .publisher
            .publish(&mut self.conn.clone(), &bursts)
            .await?;
        anyhow::ensure!(published, "the benchmark lost the leader lease");
        Ok(now_ms())
    }

    /// Publishes `batches` one every `every_ms`; each close's (1m open time, publication).
    async fn paced(
        &self,
        batches: &[CloseBatch],
        every_ms: u64,
    ) -> anyhow::Result<Vec<(i64, i64)>> {
        let mut published = Vec::with_capacity(batches.len());
        let start = Instant::now();
        for (i, batch) in batches.iter().enumerate() {
            let due = start + Duration::from_millis(every_ms) * u32::try_from(i)?;
            tokio::time::sleep_until(due.into()).await;
            published.push((open_1m(batch), self.publish(batch).await?));
        }
        Ok(published)
    }
}

async fn write(
    candles: &RedisCandleStore,
    all: Vec<(Symbol, Interval, Candle)>,
) -> anyhow::Result<()> {
    let candles = candles.clone();
    tokio::task::spawn_blocking(move || candles.put_closed_batch(&all))
        .await
        .context("the candle write panicked")?
        .context("writing candles to redis")?;
    Ok(())
}

/// Closes over which the Redis commands are counted (after the measured ones, at the same
/// pace): a third of `--closes`, at least one.
fn counted_closes(args: &BenchClusterArgs) -> usize {
    (args.closes / 3).max(1)
}

/// The 1m open time of a close instant.
fn open_1m(batch: &CloseBatch) -> i64 {
    batch
        .candles
        .iter()
        .find(|(_, interval, _)| *interval == Interval::M1)
        .map_or(0, |(_, _, c)| c.open_time)
}

/// A benchmark trader as stored: visible to everyone, on every symbol.
fn stored(trader: &Trader) -> NewTrader {
    NewTrader {
        owner_id: None,
        def: definition(trader, Some(Tier::Anonymous)),
        channels: Vec::new(),
    }
}

/// Waits until `workers` live workers hold every shard between them.
async fn split(
    conn: &mut redis::aio::MultiplexedConnection,
    keys: &ClusterKeys,
    shards: u32,
    workers: usize,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let mut get = redis::cmd("MGET");
        for shard in 0..shards {
            get.arg(keys.shard(shard));
        }
        let holders: Vec<Option<String>> = get.query_async(conn).await?;
        let distinct: std::collections::BTreeSet<&String> = holders.iter().flatten().collect();
        if holders.iter().all(Option::is_some) && distinct.len() == workers.min(shards as usize) {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the workers did not split the shards"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until no close entry is pending on any shard's stream (every commit acknowledged),
/// with `XPENDING`, which the workers never send.
async fn acked(
    conn: &mut redis::aio::MultiplexedConnection,
    keys: &ClusterKeys,
    shards: u32,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let mut pipe = redis::pipe();
        for shard in 0..shards {
            pipe.cmd("XPENDING")
                .arg(keys.closes(shard))
                .arg(sift_cluster::GROUP);
        }
        let replies: Vec<(u64, redis::Value, redis::Value, redis::Value)> =
            pipe.query_async(conn).await?;
        if replies.iter().all(|(pending, _, _, _)| *pending == 0) {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "closes not acknowledged in time");
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until `shards` shards committed each (1m open time, publication time); answers each
/// close's latency: its last commit minus its publication, in ms.
async fn committed(
    store: &dyn Store,
    shards: usize,
    closes: &[(i64, i64)],
) -> anyhow::Result<Vec<i64>> {
    let Some(first) = closes.iter().map(|c| c.0).min() else {
        return Ok(Vec::new());
    };
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let rows = store.shard_closes(Interval::M1, first).await?;
        let mut last: BTreeMap<i64, (usize, i64)> = BTreeMap::new();
        for r in &rows {
            let (n, t) = last.entry(r.open_time).or_insert((0, i64::MIN));
            *n += 1;
            *t = (*t).max(r.committed_at);
        }
        let done = closes
            .iter()
            .all(|(open, _)| last.get(open).is_some_and(|&(n, _)| n >= shards));
        if done {
            return Ok(closes
                .iter()
                .map(|(open, at)| last.get(open).map_or(0, |&(_, t)| t - at))
                .collect());
        }
        anyhow::ensure!(Instant::now() < deadline, "closes not committed in time");
        tokio::time::sleep(POLL).await;
    }
}

fn percentiles(mut ms: Vec<i64>) -> Value {
    ms.sort_unstable();
    let at = |q: f64| -> Option<i64> {
        if ms.is_empty() {
            return None;
        }
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let i = ((ms.len() - 1) as f64 * q).round() as usize;
        ms.get(i).copied()
    };
    json!({ "p50": at(0.5), "p99": at(0.99), "max": ms.last(), "samples": ms.len() })
}

/// `redis-cli MONITOR` into a file: the commands clients sent, each script call once (the
/// commands a script runs show as `[0 lua]` and are not counted).
struct Monitor {
    child: tokio::process::Child,
    path: std::path::PathBuf,
}

impl Monitor {
    async fn start(url: &str, dir: &std::path::Path) -> anyhow::Result<Self> {
        let path = dir.join("monitor.txt");
        let file = std::fs::File::create(&path).context("creating the monitor file")?;
        let child = tokio::process::Command::new("redis-cli")
            .args(["-u", url, "MONITOR"])
            .stdout(file)
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting redis-cli MONITOR")?;
        // MONITOR answers OK once it is subscribed.
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::fs::metadata(&path).map_or(0, |m| m.len()) == 0 {
            anyhow::ensure!(Instant::now() < deadline, "redis-cli MONITOR did not start");
            tokio::time::sleep(POLL).await;
        }
        Ok(Self { child, path })
    }

    /// Stops it; client commands by name (`EVALSHA` counted once per call), the benchmark's
    /// own left out.
    async fn stop(mut self) -> anyhow::Result<BTreeMap<String, u64>> {
        self.child.kill().await.context("stopping redis-cli")?;
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        let mut out: BTreeMap<String, u64> = BTreeMap::new();
        for line in text.lines() {
            let Some((_, rest)) = line.split_once(" [") else {
                continue;
            };
            if rest.starts_with("0 lua]") {
                continue;
            }
            let Some((_, command)) = rest.split_once("] \"") else {
                continue;
            };
            let name = command.split('"').next().unwrap_or_default().to_lowercase();
            if !BENCH_COMMANDS.contains(&name.as_str()) {
                *out.entry(name).or_default() += 1;
            }
        }
        Ok(out)
    }
}

/// `INFO commandstats` as command -> calls.
async fn commandstats(
    conn: &mut redis::aio::MultiplexedConnection,
) -> anyhow::Result<BTreeMap<String, u64>> {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(conn)
        .await?;
    Ok(info
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = rest.split(',').find_map(|f| f.strip_prefix("calls="))?;
            Some((name.to_owned(), calls.parse().ok()?))
        })
        .collect())
}

/// Calls made between two readings (the benchmark's own commands left out).
fn delta(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .filter(|(name, _)| !BENCH_COMMANDS.contains(&name.as_str()))
        .filter_map(|(name, &calls)| {
            let n = calls.saturating_sub(before.get(name).copied().unwrap_or(0));
            (n > 0).then(|| (name.clone(), n))
        })
        .collect()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
