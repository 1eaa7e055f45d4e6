//! Writing one close burst of 500 candles (one pipeline, one script call) to loopback Redis,
//! plus reading a full history back.
//!
//! `cargo bench -p sift-redis --bench redis -- --warm-up-time 1 --measurement-time 3`
//!
//! As in production, every series has a forming candle when its close arrives: before each
//! burst (and outside its timing) the forming candles of the burst are written with one `MSET`.
//!
//! After criterion's mean, 1000 bursts are timed one by one and their p50/p90/p99/max printed
//! (criterion reports means, the target is a p99), then 1000 bursts written as plain commands
//! with none of the store's rules, for scale. The series hold their full 1000 candles, so
//! appends trim as in production (lazily, about one series in 16 per burst). Each line also
//! gives the mean time Redis itself spent per burst (`INFO commandstats`, whose counters are
//! server-wide: other clients' commands of the same name count too); the rest of the round
//! trip is the client, the network stack and waiting for a CPU.

use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, black_box};
use sift_candles::testsuite::{candle, sym};
use sift_candles::{CandleStore, Capacities};
use sift_core::{Candle, Interval, Symbol};
use sift_redis::{RedisCandleStore, RedisConfig};
use sift_test_support::redis::TestRedis;

const SYMBOLS: usize = 500;
const HISTORY: i64 = 1000;
const T0: i64 = 1_735_689_600_000;
const MINUTE: i64 = 60_000;

struct Fixture {
    store: RedisCandleStore,
    symbols: Vec<Symbol>,
    next_minute: i64,
    /// Writes the forming candles.
    conn: redis::Connection,
    redis: TestRedis,
}

impl Fixture {
    fn new() -> Self {
        let redis = TestRedis::new();
        let config = RedisConfig::new(redis.url()).with_prefix(redis.prefix());
        let store = RedisCandleStore::connect(&config, Capacities::default())
            .expect("redis at SIFT_TEST_REDIS_URL or 127.0.0.1:6379");
        let symbols: Vec<Symbol> = (0..SYMBOLS).map(|k| sym(&format!("B{k:03}USDT"))).collect();
        let mut fixture = Self {
            store,
            symbols,
            next_minute: 0,
            conn: redis.connection(),
            redis,
        };
        for _ in 0..HISTORY {
            let burst = fixture.next_candles();
            fixture.store.put_closed_batch(&burst).expect("prefill");
        }
        fixture
    }

    /// The next close burst, after writing its candles as forming ones.
    fn next_burst(&mut self) -> Vec<(Symbol, Interval, Candle)> {
        let burst = self.next_candles();
        let keys = self.store.keys();
        let mut forming = redis::cmd("MSET");
        for (s, i, c) in &burst {
            let open = Candle {
                closed: false,
                ..*c
            };
            forming
                .arg(keys.forming(s, *i))
                .arg(&sift_redis::codec::encode_candle(&open)[..]);
        }
        forming.query::<()>(&mut self.conn).expect("forming");
        burst
    }

    fn next_candles(&mut self) -> Vec<(Symbol, Interval, Candle)> {
        let m = self.next_minute;
        self.next_minute += 1;
        self.symbols
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let c = candle(
                    Interval::M1,
                    T0 + m * MINUTE,
                    100.0 + k as f64 + m as f64 / 10.0,
                );
                (s.clone(), Interval::M1, c)
            })
            .collect()
    }
}

fn bench(c: &mut Criterion, fixture: &mut Fixture) {
    let mut group = c.benchmark_group("redis");
    let store = fixture.store.clone();
    group.bench_function("close_burst_500", |b| {
        b.iter_batched(
            || fixture.next_burst(),
            |burst| black_box(store.put_closed_batch(&burst).expect("write")),
            BatchSize::SmallInput,
        );
    });
    let btc = fixture.symbols[0].clone();
    group.bench_function("last_closed_1000", |b| {
        b.iter(|| {
            black_box(
                fixture
                    .store
                    .last_closed(&btc, Interval::M1, 1000)
                    .expect("read"),
            )
        });
    });
    group.finish();
}

/// Total calls and microseconds Redis spent in each of `commands`, from `INFO commandstats`.
fn server_time(conn: &mut redis::Connection, commands: &[&str]) -> (u64, u64) {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(conn)
        .expect("info");
    let field = |line: &str, name: &str| -> u64 {
        line.split([':', ','])
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    info.lines()
        .filter(|line| {
            commands
                .iter()
                .any(|c| line.starts_with(&format!("cmdstat_{c}:")))
        })
        .fold((0, 0), |(calls, usec), line| {
            (calls + field(line, "calls"), usec + field(line, "usec"))
        })
}

/// Times `n` bursts one by one and prints percentiles.
fn percentiles(fixture: &mut Fixture, n: usize) {
    let mut conn = fixture.redis.connection();
    let before = server_time(&mut conn, &["evalsha"]);
    let took: Vec<Duration> = (0..n)
        .map(|_| {
            let burst = fixture.next_burst();
            let start = Instant::now();
            let outcomes = fixture.store.put_closed_batch(&burst).expect("write");
            let elapsed = start.elapsed();
            assert!(outcomes.iter().all(|o| o.is_appended()));
            elapsed
        })
        .collect();
    let after = server_time(&mut conn, &["evalsha"]);
    report(
        "close burst, one script call (RedisCandleStore)",
        took,
        (after.1 - before.1) / n as u64,
    );
}

/// For scale: the same bursts as plain pipelined `ZADD`s (+ `ZREMRANGEBYRANK` for one series in
/// 16, as the store trims) and one `MSET` of the `lastClosed` keys, with none of the store's
/// rules (no duplicate or gap check, not atomic): the least work the key schema asks of Redis,
/// measured on the same machine.
fn floor_percentiles(fixture: &mut Fixture, n: usize) {
    let mut conn = fixture.redis.connection();
    let prefix = fixture.redis.prefix().to_owned();
    let mut before = (0, 0);
    let took: Vec<Duration> = (0..n + HISTORY as usize)
        .map(|k| {
            if k == HISTORY as usize {
                before = server_time(&mut conn, &["zadd", "zremrangebyrank", "mset"]);
            }
            let burst = fixture.next_candles();
            let start = Instant::now();
            let mut pipe = redis::pipe();
            let mut last = redis::cmd("MSET");
            for (j, (s, i, c)) in burst.iter().enumerate() {
                let member = sift_redis::codec::encode_candle(c);
                let klines = format!("{prefix}floor:klines:{s}:{i}");
                pipe.cmd("ZADD")
                    .arg(&klines)
                    .arg(c.close_time)
                    .arg(&member[..])
                    .ignore();
                if (j + k) % 16 == 0 {
                    pipe.cmd("ZREMRANGEBYRANK")
                        .arg(&klines)
                        .arg(0)
                        .arg(-1001)
                        .ignore();
                }
                last.arg(format!("{prefix}floor:lastClosed:{s}:{i}"))
                    .arg(&member[..]);
            }
            pipe.add_command(last).ignore();
            pipe.query::<()>(&mut conn).expect("write");
            start.elapsed()
        })
        .collect();
    let after = server_time(&mut conn, &["zadd", "zremrangebyrank", "mset"]);
    // The first HISTORY bursts fill the series to their capacity, as in the other runs.
    report(
        "floor: plain ZADD(+ZREMRANGEBYRANK 1/16)+MSET pipeline",
        took[HISTORY as usize..].to_vec(),
        (after.1 - before.1) / n as u64,
    );
}

#[allow(clippy::print_stderr)]
fn report(what: &str, mut took: Vec<Duration>, server_us: u64) {
    took.sort_unstable();
    let n = took.len();
    let at = |q: f64| took[((n as f64 * q) as usize).min(n - 1)];
    eprintln!(
        "{what}: {SYMBOLS} candles, {n} bursts: p50 {:?}  p90 {:?}  p99 {:?}  max {:?}; \
         redis busy {server_us} µs per burst (mean)",
        at(0.50),
        at(0.90),
        at(0.99),
        took[n - 1]
    );
}

fn main() {
    let mut fixture = Fixture::new();
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion, &mut fixture);
    criterion.final_summary();
    percentiles(&mut fixture, 1000);
    floor_percentiles(&mut fixture, 1000);
}
