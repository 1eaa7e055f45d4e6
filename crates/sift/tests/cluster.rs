//! The cluster as an operator runs it: the real binary as separate processes (two collectors,
//! three workers, two api instances) on a private Redis, a PostgreSQL database of its own and
//! an accelerated fake Binance, with faults: the leader collector and a worker are killed
//! (SIGKILL). At the end the signals in PostgreSQL are exactly those `sift backtest --mode
//! edge` finds in the fake exchange's ground truth for the same traders, and every stream
//! client of both api instances received each of them once.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use sift_core::{Interval, Symbol};
use sift_store::{NewTrader, Store, TraderFilter};
use sift_test_support::fake::{FakeBinance, FakeConfig};
use sift_test_support::postgres::test_database;
use sift_test_support::redis::RedisServer;
use sift_test_support::wait_until;

const SHARDS: u32 = 4;
/// Market speed: a 1m candle closes every 2 s.
const SPEED: f64 = 30.0;
const MINUTE: i64 = 60_000;
/// Long enough for a loaded machine running seven debug processes.
const WAIT: Duration = Duration::from_secs(90);

const TRADERS: &[(&str, &str)] = &[
    ("ema-cross", "crossover(ema(5), ema(13))"),
    ("rsi-up", "rsi(7) > 60"),
    ("above-sma", "close > sma(10) and volume > sma(volume, 10)"),
];

/// A child process of the test, killed when dropped; its output goes to a log file.
struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn spawn(name: &str, args: &[String], dir: &Path) -> Self {
        let log = dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_sift"))
            .args(args)
            .current_dir(dir)
            .env("RUST_LOG", "info")
            .env_remove("SIFT_DATABASE__URL")
            .env_remove("SIFT_REDIS__URL")
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            .spawn()
            .expect("the sift binary runs");
        Self {
            name: name.to_owned(),
            child,
            log,
        }
    }

    /// SIGKILL: a crash.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for the exit.
    fn terminate(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .stderr(Stdio::null())
            .status();
        for _ in 0..300 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
    }

    fn tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.len().saturating_sub(30);
        format!("--- {} ---\n{}", self.name, lines[start..].join("\n"))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A TCP proxy in front of PostgreSQL that the test can cut: open connections are dropped
/// and new ones refused until it is restored.
struct PgProxy {
    port: u16,
    cut: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl PgProxy {
    async fn start(target: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let port = listener.local_addr().expect("bound").port();
        let cut = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (cut2, connections2) = (Arc::clone(&cut), Arc::clone(&connections));
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if cut2.load(Ordering::SeqCst) {
                    continue;
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                connections2.lock().expect("lock").push(task.abort_handle());
            }
        });
        Self {
            port,
            cut,
            connections,
        }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for connection in self.connections.lock().expect("lock").drain(..) {
            connection.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// `url` with its host and port replaced by the proxy's; the original `host:port`.
fn through(url: &str, port: u16) -> (String, String) {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let (user, host) = match authority.rfind('@') {
        Some(at) => (&authority[..=at], &authority[at + 1..]),
        None => ("", authority),
    };
    let target = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    };
    let proxied = format!(
        "{}{user}127.0.0.1:{port}{}",
        &url[..scheme_end],
        &rest[authority_end..]
    );
    (proxied, target)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

async fn health(http: &reqwest::Client, url: &str) -> Option<Value> {
    let response = http.get(url).send().await.ok()?;
    response.json::<Value>().await.ok()
}

/// The collectors' view: (index of the leader, newest published 1m open time).
async fn leader(http: &reqwest::Client, ports: &[(usize, u16)]) -> Option<(usize, i64)> {
    for &(index, port) in ports {
        let Some(h) = health(http, &format!("http://127.0.0.1:{port}/health")).await else {
            continue;
        };
        if h["details"]["leader"] == true {
            let published = h["details"]["published"]["1m"].as_i64()?;
            return Some((index, published));
        }
    }
    None
}

/// Waits until a collector among `ports` leads and has published a 1m close opening at or
/// after `at_least`; answers the leader's index and that open time.
async fn published_past(
    http: &reqwest::Client,
    ports: &[(usize, u16)],
    at_least: i64,
) -> (usize, i64) {
    let found = Arc::new(Mutex::new(None));
    let ok = wait_until(WAIT, || {
        let found = Arc::clone(&found);
        async move {
            match leader(http, ports).await {
                Some((index, t)) if t >= at_least => {
                    *found.lock().expect("lock") = Some((index, t));
                    true
                }
                _ => false,
            }
        }
    })
    .await;
    assert!(ok, "no leader published past {at_least}");
    found.lock().expect("lock").expect("found")
}

/// Reads an SSE stream, recording the ids of `signal` events.
async fn sse_client(url: String, ids: Arc<Mutex<Vec<i64>>>, connected: Arc<Mutex<bool>>) {
    let response = reqwest::Client::new()
        .get(&url)
        .send()
        .await
        .expect("stream connects");
    assert!(
        response.status().is_success(),
        "stream answered {}",
        response.status()
    );
    *connected.lock().expect("lock") = true;
    let mut body = response.bytes_stream();
    let mut buffer = String::new();
    let (mut event, mut id) = (String::new(), None::<i64>);
    while let Some(Ok(chunk)) = body.next().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find('\n') {
            let line: String = buffer.drain(..=end).collect();
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if event == "signal" {
                    ids.lock()
                        .expect("lock")
                        .push(id.expect("signal events carry an id"));
                }
                assert_ne!(event, "resync", "a stream client had to resync");
                event.clear();
                id = None;
            } else if let Some(value) = line.strip_prefix("event:") {
                event = value.trim().to_owned();
            } else if let Some(value) = line.strip_prefix("id:") {
                id = value.trim().parse().ok();
            }
        }
    }
}

/// The fake exchange's 1m candles of `symbols` up to `last_open`, as a long-format CSV.
fn ground_truth(fake: &FakeBinance, symbols: &[Symbol], last_open: i64, path: &Path) {
    let mut text = String::from(
        "symbol,interval,open_time,close_time,open,high,low,close,volume,quote_volume,trades,\
         taker_buy_volume,taker_buy_quote_volume\n",
    );
    for symbol in symbols {
        for c in fake.ground_truth(symbol, Interval::M1, 0, last_open + 1) {
            writeln!(
                text,
                "{symbol},1m,{},{},{},{},{},{},{},{},{},{},{}",
                c.open_time,
                c.close_time,
                c.open,
                c.high,
                c.low,
                c.close,
                c.volume,
                c.quote_volume,
                c.trades,
                c.taker_buy_volume,
                c.taker_buy_quote_volume
            )
            .expect("formatting");
        }
    }
    std::fs::write(path, text).expect("write ground truth");
}

/// `sift backtest --mode edge` over the ground truth: (trader, symbol, open time).
fn backtest(dir: &Path, candles: &Path, from: i64, to: i64) -> BTreeSet<(String, String, i64)> {
    let out = Command::new(env!("CARGO_BIN_EXE_sift"))
        .args(["backtest", "--traders"])
        .arg(dir.join("traders"))
        .arg("--candles")
        .arg(candles)
        .args(["--from", &from.to_string(), "--to", &to.to_string()])
        .args(["--mode", "edge", "--format", "csv", "--forward", "1"])
        .output()
        .expect("sift backtest runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "backtest failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (
                fields[0].to_owned(),
                fields[1].to_owned(),
                fields[3].parse().expect("open time"),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::too_many_lines)]
async fn cluster_survives_failover_and_a_dead_worker() {
    let dir = tempfile::tempdir().unwrap();
    let mut redis = RedisServer::start_new();
    let db = test_database().await.unwrap();
    let fake = FakeBinance::start(FakeConfig {
        symbols: 8,
        speed: SPEED,
        history_minutes: 240,
        halted: Vec::new(),
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    let symbols = fake.symbols();
    let symbol_list = symbols
        .iter()
        .map(Symbol::as_str)
        .collect::<Vec<_>>()
        .join(",");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let redis_url = redis.url();
    let db_url = db.url().to_owned();
    let cluster = |role: &str| -> Vec<String> {
        let mut args = strings(&[role, "--redis-url", &redis_url]);
        if role != "api" {
            args.extend(strings(&[
                "--shards",
                &SHARDS.to_string(),
                "--lease-ttl-ms",
                "3000",
            ]));
        }
        args
    };

    // The first api instance migrates the database and seeds the built-ins.
    let api_ports = [free_port(), free_port()];
    let mut procs: BTreeMap<String, Proc> = BTreeMap::new();
    let api_args = |port: u16| {
        let mut args = cluster("api");
        args.extend(strings(&[
            "--database-url",
            &db_url,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ]));
        args
    };
    procs.insert(
        "api1".into(),
        Proc::spawn("api1", &api_args(api_ports[0]), dir.path()),
    );
    let up = |port: u16| {
        let http = http.clone();
        async move {
            wait_until(WAIT, || {
                let http = http.clone();
                async move {
                    http.get(format!("http://127.0.0.1:{port}/api/v1/health"))
                        .send()
                        .await
                        .is_ok()
                }
            })
            .await
        }
    };
    assert!(up(api_ports[0]).await, "{}", procs["api1"].tail());

    // Only the test's traders run: built-ins off, three rules on 1m, visible to everyone.
    let store = sift_store::open(&db_url).await.unwrap();
    for trader in store.list_traders(&TraderFilter::default()).await.unwrap() {
        store.set_trader_enabled(trader.id, false).await.unwrap();
    }
    std::fs::create_dir_all(dir.path().join("traders")).unwrap();
    let mut names = BTreeMap::new();
    for (name, rule) in TRADERS {
        let toml = format!("name = \"{name}\"\ninterval = \"1m\"\nrule = \"{rule}\"\n");
        std::fs::write(dir.path().join(format!("traders/{name}.toml")), &toml).unwrap();
        let def = sift_traders::parse_toml(name, &toml).unwrap();
        let trader = store
            .create_trader(NewTrader {
                owner_id: None,
                def,
                channels: Vec::new(),
            })
            .await
            .unwrap();
        names.insert(trader.id, (*name).to_owned());
    }

    procs.insert(
        "api2".into(),
        Proc::spawn("api2", &api_args(api_ports[1]), dir.path()),
    );
    assert!(up(api_ports[1]).await, "{}", procs["api2"].tail());
    let mut clients = Vec::new();
    for port in api_ports {
        for _ in 0..2 {
            let ids = Arc::new(Mutex::new(Vec::new()));
            let connected = Arc::new(Mutex::new(false));
            tokio::spawn(sse_client(
                format!("http://127.0.0.1:{port}/api/v1/stream?topics=signals"),
                Arc::clone(&ids),
                Arc::clone(&connected),
            ));
            clients.push((ids, connected));
        }
    }
    let all_connected = wait_until(WAIT, || {
        let done = clients.iter().all(|(_, c)| *c.lock().expect("lock"));
        async move { done }
    })
    .await;
    assert!(all_connected, "stream clients connected");

    // The workers reach PostgreSQL through a proxy the test can cut.
    let (proxied_url, pg_target) = through(&db_url, 0);
    let proxy = PgProxy::start(pg_target).await;
    let proxied_url = proxied_url.replace("127.0.0.1:0", &format!("127.0.0.1:{}", proxy.port));
    let worker_ports = [free_port(), free_port(), free_port()];
    for (i, port) in worker_ports.iter().enumerate() {
        let mut args = cluster("worker");
        args.extend(strings(&[
            "--database-url",
            &proxied_url,
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--history",
            "1000",
            "--block-ms",
            "500",
            "--claim-idle-ms",
            "5000",
            "--fallback-s",
            "5",
            "--id",
            &format!("worker{}", i + 1),
        ]));
        let name = format!("worker{}", i + 1);
        procs.insert(name.clone(), Proc::spawn(&name, &args, dir.path()));
    }
    let collector_ports = [(1, free_port()), (2, free_port())];
    for (i, port) in collector_ports {
        let mut args = cluster("collector");
        args.extend(strings(&[
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--market",
            "binance",
            "--binance-rest-url",
            &fake.rest_url(),
            "--binance-ws-url",
            &fake.ws_url(),
            "--symbols",
            &symbol_list,
            "--intervals",
            "1m",
            "--history",
            "1000",
            "--id",
            &format!("collector{i}"),
        ]));
        let name = format!("collector{i}");
        procs.insert(name.clone(), Proc::spawn(&name, &args, dir.path()));
    }

    // Normal operation, then the leader collector dies.
    let (first_leader, first) = published_past(&http, &collector_ports, i64::MIN).await;
    let (_, t) = published_past(&http, &collector_ports, first + 4 * MINUTE).await;
    procs
        .get_mut(&format!("collector{first_leader}"))
        .unwrap()
        .kill();
    let standby: Vec<(usize, u16)> = collector_ports
        .iter()
        .copied()
        .filter(|(i, _)| *i != first_leader)
        .collect();
    let (second_leader, _) = published_past(&http, &standby, t + 4 * MINUTE).await;
    assert_ne!(second_leader, first_leader);

    // A worker that owns shards dies; the others take its shards and pending entries.
    let mut victim = None;
    for (i, port) in worker_ports.iter().enumerate() {
        if let Some(h) = health(&http, &format!("http://127.0.0.1:{port}/health")).await {
            if h["details"]["owned_shards"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
            {
                victim = Some(i);
                break;
            }
        }
    }
    let victim = victim.expect("a worker owns shards");
    procs
        .get_mut(&format!("worker{}", victim + 1))
        .unwrap()
        .kill();
    let survivors: Vec<u16> = worker_ports
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != victim)
        .map(|(_, p)| *p)
        .collect();
    let rebalanced = wait_until(WAIT, || {
        let http = http.clone();
        let survivors = survivors.clone();
        async move {
            let mut owned = 0;
            for port in survivors {
                if let Some(h) = health(&http, &format!("http://127.0.0.1:{port}/health")).await {
                    owned += h["details"]["owned_shards"].as_array().map_or(0, Vec::len);
                }
            }
            owned == SHARDS as usize
        }
    })
    .await;
    assert!(rebalanced, "the surviving workers own every shard");
    let (_, t) = published_past(&http, &standby, t + 8 * MINUTE).await;

    // PostgreSQL is unreachable for the workers over two closes: commits are retried.
    proxy.cut();
    let (_, t) = published_past(&http, &standby, t + 2 * MINUTE).await;
    proxy.restore();
    let (_, t) = published_past(&http, &standby, t + 2 * MINUTE).await;

    // Redis restarts (saving and loading its data, as on an upgrade): every role reconnects,
    // the leader publishes what it could not meanwhile.
    redis.shutdown_saving();
    redis.start();
    let (_, _) = published_past(&http, &standby, t + 4 * MINUTE).await;

    // Stop the market and let the workers drain.
    procs
        .get_mut(&format!("collector{second_leader}"))
        .unwrap()
        .terminate();
    let last = leader(&http, &standby).await.map(|(_, t)| t);
    assert!(last.is_none(), "the stopped collector no longer leads");
    let shards: BTreeSet<u32> = symbols
        .iter()
        .map(|s| sift_cluster::shard_of(s, SHARDS))
        .collect();
    // Shards that committed each 1m close (a worker commits its shards' entries of one
    // instant together, with one execution row).
    let executions = |store: Arc<dyn Store>| async move {
        let rows = store
            .shard_closes(Interval::M1, 0)
            .await
            .unwrap_or_default();
        let mut per_minute: BTreeMap<i64, usize> = BTreeMap::new();
        for row in rows {
            *per_minute.entry(row.open_time).or_default() += 1;
        }
        per_minute
    };
    // The newest published close, from Redis.
    let final_open: i64 = {
        let mut conn = redis::Client::open(redis_url.as_str())
            .unwrap()
            .get_connection()
            .unwrap();
        redis::cmd("HGET")
            .arg("sift:published")
            .arg("1m")
            .query(&mut conn)
            .unwrap()
    };
    let drained = wait_until(WAIT, || {
        let store = Arc::clone(&store);
        let shards = shards.len();
        async move {
            executions(store)
                .await
                .get(&final_open)
                .is_some_and(|&n| n >= shards)
        }
    })
    .await;
    let tails: Vec<String> = procs.values().map(Proc::tail).collect();
    assert!(
        drained,
        "the last close was processed\n{}",
        tails.join("\n")
    );

    // No close missing between the first and the last processed one.
    let per_minute = executions(Arc::clone(&store)).await;
    let from = *per_minute.keys().next().unwrap();
    let mut t = from;
    while t <= final_open {
        assert!(
            per_minute.get(&t).is_some_and(|&n| n >= shards.len()),
            "close {t} not processed for every shard: {per_minute:?}\n{}",
            tails.join("\n")
        );
        t += MINUTE;
    }

    // Signals equal the backtest's, none duplicated.
    let candles = dir.path().join("truth.csv");
    ground_truth(&fake, &symbols, final_open, &candles);
    let expected = backtest(dir.path(), &candles, from, final_open);
    let stored = store.signals_after_id(None, 0, 100_000).await.unwrap();
    let got: BTreeSet<(String, String, i64)> = stored
        .iter()
        .map(|s| {
            (
                names[&s.trader_id].clone(),
                s.symbol.to_string(),
                s.open_time,
            )
        })
        .collect();
    assert_eq!(got.len(), stored.len(), "duplicated signals");
    assert!(!expected.is_empty(), "the traders fired during the test");
    let missing: Vec<_> = expected.difference(&got).collect();
    let extra: Vec<_> = got.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "signals differ from the backtest ({from}..={final_open}): missing {missing:?}, extra {extra:?}\n{}",
        tails.join("\n")
    );

    eprintln!(
        "{} signals over closes {from}..={final_open} ({} minutes), victim worker{}",
        stored.len(),
        (final_open - from) / MINUTE + 1,
        victim + 1
    );

    // Every stream client saw every signal once.
    let ids: BTreeSet<i64> = stored.iter().map(|s| s.id).collect();
    let streamed = wait_until(WAIT, || {
        let done = clients
            .iter()
            .all(|(c, _)| c.lock().expect("lock").len() >= ids.len());
        async move { done }
    })
    .await;
    assert!(streamed, "stream clients received every signal");
    for (client, _) in &clients {
        let seen = client.lock().expect("lock").clone();
        let unique: BTreeSet<i64> = seen.iter().copied().collect();
        assert_eq!(
            unique.len(),
            seen.len(),
            "a stream client got a signal twice"
        );
        assert_eq!(unique, ids, "a stream client's signals");
    }

    for proc in procs.values_mut() {
        proc.terminate();
    }
    store.close().await;
    redis.kill();
    fake.shutdown().await;
    db.cleanup().await.unwrap();
    if std::env::var_os("SIFT_TEST_KEEP_LOGS").is_some() {
        eprintln!("logs kept in {}", dir.keep().display());
    }
}
