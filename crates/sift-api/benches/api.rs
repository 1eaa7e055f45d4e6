//! Signal listing over SQLite through the whole router (authentication, rate limiting, access
//! filtering, JSON), without a socket.
//!
//! `cargo bench -p sift-api --bench api -- --warm-up-time 1 --measurement-time 3` runs the
//! criterion benchmarks (one request at a time) and then prints the throughput of 8 concurrent
//! clients.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use criterion::{Criterion, criterion_group, criterion_main};
use sift_api::config::RateLimits;
use sift_api::{ApiConfig, AppState, Hub, RecordingControl};
use sift_candles::{Capacities, MemoryCandleStore};
use sift_core::{Interval, Tier};
use sift_store::{NewSession, NewSignal, NewTrader, NewUser, Store};
use sift_traders::{Symbols, TraderDef};
use tower::ServiceExt;

/// Signals stored before measuring.
const SIGNALS: i64 = 20_000;
/// Concurrent clients of the throughput run.
const CLIENTS: usize = 8;
/// Length of the throughput run.
const THROUGHPUT_RUN: Duration = Duration::from_secs(3);

struct Fixture {
    router: Router,
    store: Arc<dyn Store>,
    token_hash: String,
    user_id: i64,
    cookie: String,
    bearer: String,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.db");
    let store = sift_store::open(path.to_str().expect("utf-8 path"))
        .await
        .expect("sqlite store");
    let user = store
        .create_user(NewUser {
            email: "bench@example.com".to_owned(),
            password_hash: "unused".to_owned(),
            tier: Tier::Pro,
            is_admin: false,
        })
        .await
        .expect("user");
    let mut traders = Vec::new();
    for (i, tier) in Tier::ALL.into_iter().enumerate() {
        let def = TraderDef {
            name: format!("builtin {i}"),
            description: String::new(),
            interval: Interval::M1,
            rule: "close > open".to_owned(),
            symbols: Symbols::All,
            cooldown_bars: 0,
            enabled: true,
            category: None,
            tags: Vec::new(),
            access_tier: Some(tier),
        };
        let new = NewTrader {
            owner_id: None,
            def,
            channels: Vec::new(),
        };
        traders.push(store.create_trader(new).await.expect("trader").id);
    }
    let now = 1_735_689_600_000;
    let signals: Vec<NewSignal> = (0..SIGNALS)
        .map(|i| NewSignal {
            trader_id: traders[(i % 4) as usize],
            symbol: if i % 2 == 0 { "BTCUSDT" } else { "ETHUSDT" }
                .parse()
                .expect("symbol"),
            interval: Interval::M1,
            open_time: now + i / 4 * 60_000,
            close_time: now + i / 4 * 60_000 + 59_999,
            price: 100.0,
            values: serde_json::json!({ "rsi(14)": 28.5, "close": 100.0 }),
            created_at: now,
        })
        .collect();
    for chunk in signals.chunks(1_000) {
        store.insert_signals(chunk).await.expect("signals");
    }
    let token = sift_store::token::generate();
    store
        .create_session(NewSession {
            token_hash: sift_store::token::hash(&token),
            user_id: user.id,
            csrf_token: "csrf".to_owned(),
            expires_at: i64::MAX / 2,
        })
        .await
        .expect("session");
    let bearer = sift_api::auth::secret::new_api_token();
    store
        .create_api_token(sift_store::NewApiToken {
            user_id: user.id,
            name: "bench".to_owned(),
            token_hash: sift_store::token::hash(&bearer),
        })
        .await
        .expect("token");
    // Closing runs SQLite's `PRAGMA optimize` (planner statistics), as recycled pool
    // connections do every few minutes in a running server: measure that steady state.
    store.close().await;
    let store = sift_store::open(path.to_str().expect("utf-8 path"))
        .await
        .expect("sqlite store");
    let config = ApiConfig {
        rate_limits: RateLimits {
            anonymous: u32::MAX,
            free: u32::MAX,
            pro: u32::MAX,
            elite: u32::MAX,
        },
        ..ApiConfig::default()
    };
    let candles = Arc::new(MemoryCandleStore::new(
        Capacities::new(10).expect("capacity"),
    ));
    let store: Arc<dyn Store> = store;
    let state = AppState::new(
        Arc::clone(&store),
        candles,
        Hub::new(),
        Arc::new(RecordingControl::new()),
        config,
    );
    Fixture {
        router: sift_api::router(state),
        store,
        token_hash: sift_store::token::hash(&token),
        user_id: user.id,
        cookie: format!("sift_session={token}"),
        bearer: format!("Bearer {bearer}"),
        _dir: dir,
    }
}

async fn list(router: &Router, name: header::HeaderName, value: &str) {
    let request = Request::get("/api/v1/signals?limit=50")
        .header(name, value)
        .body(Body::empty())
        .expect("request");
    let response = router.clone().oneshot(request).await.expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    assert!(body.len() > 1_000);
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let fixture = runtime.block_on(fixture());
    let mut group = c.benchmark_group("signals_list");
    group.bench_function("session_cookie", |b| {
        b.to_async(&runtime)
            .iter(|| list(&fixture.router, header::COOKIE, &fixture.cookie));
    });
    group.bench_function("bearer_token", |b| {
        b.to_async(&runtime)
            .iter(|| list(&fixture.router, header::AUTHORIZATION, &fixture.bearer));
    });
    group.finish();
    report(runtime.block_on(throughput(&fixture)));
    runtime.block_on(breakdown(&fixture));
}

/// Process CPU time (user + system) so far, from `/proc/self/stat` (Linux; 0 elsewhere): the
/// machine may be shared, so CPU per request is reported besides wall-clock throughput.
fn cpu_seconds() -> f64 {
    /// Clock ticks per second of `/proc` times (USER_HZ, 100 on Linux).
    const TICKS: f64 = 100.0;
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    fields.iter().sum::<f64>() / TICKS
}

/// Requests per second of `CLIENTS` concurrent clients listing signals with a session, and
/// CPU seconds per request.
async fn throughput(fixture: &Fixture) -> (f64, f64) {
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CLIENTS {
        let router = fixture.router.clone();
        let cookie = fixture.cookie.clone();
        tasks.spawn(async move {
            let mut done = 0u64;
            while started.elapsed() < THROUGHPUT_RUN {
                list(&router, header::COOKIE, &cookie).await;
                done += 1;
            }
            done
        });
    }
    let mut total = 0;
    while let Some(done) = tasks.join_next().await {
        total += done.expect("client task");
    }
    let cpu = cpu_seconds() - cpu_before;
    let total = total as f64;
    (total / started.elapsed().as_secs_f64(), cpu / total)
}

/// Mean time of each store call one listing makes.
#[allow(clippy::print_stderr)]
async fn breakdown(fixture: &Fixture) {
    const N: u32 = 500;
    let store = &fixture.store;
    let time = |started: Instant| started.elapsed() / N;
    let started = Instant::now();
    for _ in 0..N {
        store
            .get_session(&fixture.token_hash)
            .await
            .expect("session");
    }
    eprintln!("get_session: {:?}", time(started));
    let started = Instant::now();
    for _ in 0..N {
        store.get_user(fixture.user_id).await.expect("user");
    }
    eprintln!("get_user: {:?}", time(started));
    let filter = sift_store::TraderFilter {
        scope: sift_store::TraderScope::OwnerAndBuiltin(fixture.user_id),
        max_access_tier: Some(Tier::Pro),
        ..Default::default()
    };
    let started = Instant::now();
    let mut ids = Vec::new();
    for _ in 0..N {
        ids = store
            .list_traders(&filter)
            .await
            .expect("traders")
            .iter()
            .map(|t| t.id)
            .collect();
    }
    eprintln!("list_traders: {:?}", time(started));
    let filter = sift_store::SignalFilter {
        trader_ids: Some(ids),
        limit: 50,
        ..Default::default()
    };
    let started = Instant::now();
    for _ in 0..N {
        store.list_signals(&filter).await.expect("signals");
    }
    eprintln!("list_signals: {:?}", time(started));
}

#[allow(clippy::print_stderr)]
fn report((per_second, cpu_per_request): (f64, f64)) {
    eprintln!(
        "signals_list/throughput ({CLIENTS} clients, session): {per_second:.0} requests/s, \
         {:.0} µs CPU per request ({:.0} requests/s per idle core)",
        cpu_per_request * 1e6,
        1.0 / cpu_per_request
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
