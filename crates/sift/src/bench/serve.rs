//! `sift bench serve`: the whole server, measured as its clients see it.
//!
//! 1. A fake Binance exchange (`sift-test-support`) starts in a child process on a seeded
//!    market of `--symbols` pairs, its clock `--speed` times real time (see `exchange.rs`).
//! 2. `--clients` elite users with API tokens and `--traders` traders drawn from the built-in
//!    templates are written to a fresh SQLite store (see `population.rs`).
//! 3. [`sift_server::serve::run`] starts in this process on that store and exchange, watching
//!    every pair on 1m, 5m, 15m, 1h, 4h and 1d with `--history` candles per series; the first
//!    admin comes from `SIFT_ADMIN_EMAIL`/`SIFT_ADMIN_PASSWORD` and gets an API token through
//!    the API. Rate limits are raised out of the way. The benchmark waits until every series
//!    is backfilled and the pipeline has processed the latest close (`setup`).
//! 4. **Latency**: `--clients` SSE clients (`/api/v1/stream?topics=signals`, one user each)
//!    time every signal of `--closes` consecutive 1m closes from the moment the exchange's
//!    close frame reached this process (a witness subscribed to one kline stream, as the
//!    server is) to the moment the signal's event arrived. `per_close` breaks each close down:
//!    the exchange's delay in sending the frame, gathering the burst and waiting for the
//!    pipeline (`gather`), then the pipeline's stages (`prepare`, `evaluate`, `assign`,
//!    `publish`, from the server's `close processed` event, see `profile.rs`), the last
//!    delivery after publishing (`fan_out`) and the write of the signals (`commit`, while
//!    they fan out). `missed` compares the deliveries with the stored signals of those closes.
//! 5. **API**: `--api-clients` concurrent clients list signals (`limit=50`, API token) for
//!    `--api-seconds` each: as the clients' users, who see their own traders and the
//!    built-ins (`api`); as the admin, who sees every trader (`api_admin`); as the users again
//!    after the admin paused evaluation (`api_paused`: closes still run the engine but commit
//!    no signals), which shows what the closes' commits cost the readers. The market runs
//!    throughout.
//! 6. **Memory**: the process's peak resident set (`VmHWM`) and the candles the candle store
//!    holds; the exchange's own memory is in the child, not counted.
//!
//! The clients run on a runtime of their own ([`CLIENT_THREADS`] threads) so that they do not
//! queue behind the server's tasks; they still share the machine's cores with it.

mod clients;
mod exchange;
mod histogram;
mod load;
mod population;
mod profile;
mod report;
mod setup;

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};
use sift_core::Interval;
use sift_server::serve::Started;
use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use tracing::info;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use self::clients::{Measured, Reference, Streams};
use self::exchange::{Exchange, Witness};
use self::population::Population;
use self::profile::Profile;
use self::report::{Figures, Memory, secs};
use crate::cli::BenchServeArgs;

/// The intervals served and watched, as `sift serve` watches them by default.
const INTERVALS: [Interval; 6] = [
    Interval::M1,
    Interval::M5,
    Interval::M15,
    Interval::H1,
    Interval::H4,
    Interval::D1,
];
/// Worker threads of the clients' runtime.
const CLIENT_THREADS: usize = 2;
const START_TIMEOUT: Duration = Duration::from_secs(300);
const READY_TIMEOUT: Duration = Duration::from_secs(900);

pub(super) fn run(args: &BenchServeArgs) -> anyhow::Result<()> {
    if args.exchange_only {
        return exchange::run_child(args);
    }
    anyhow::ensure!(
        [
            args.symbols,
            args.traders,
            args.clients,
            args.closes,
            args.history,
            args.api_clients
        ]
        .iter()
        .all(|&n| n > 0),
        "--symbols, --traders, --clients, --closes, --history and --api-clients must be at least 1"
    );
    anyhow::ensure!(
        args.speed.is_finite() && args.speed > 0.0,
        "--speed must be a positive number"
    );
    anyhow::ensure!(
        args.api_seconds.is_finite() && args.api_seconds > 0.0,
        "--api-seconds must be a positive number"
    );
    let profile = Profile::default();
    init_logging(&profile);
    let server = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the server's runtime")?;
    let clients = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(CLIENT_THREADS)
        .thread_name("sift-bench-client")
        .enable_all()
        .build()
        .context("starting the clients' runtime")?;
    let report = server.block_on(bench(args, clients.handle(), &profile))?;
    clients.shutdown_timeout(Duration::from_secs(5));
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    Ok(())
}

/// Warnings to stderr (`RUST_LOG=sift=info` adds the phases); the pipeline's close events to
/// the profile.
fn init_logging(profile: &Profile) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter);
    let _ = tracing_subscriber::registry()
        .with(fmt)
        .with(profile.layer())
        .try_init();
}

async fn bench(
    args: &BenchServeArgs,
    runtime: &Handle,
    profile: &Profile,
) -> anyhow::Result<Value> {
    let load_before = setup::load_average();
    let started = Instant::now();
    let exchange = Exchange::spawn(args).await?;
    let exchange_seconds = started.elapsed();
    let result = with_exchange(args, &exchange, runtime, profile).await;
    exchange.stop().await;
    let mut report = result?;
    report["setup"]["exchange_seconds"] = json!(secs(exchange_seconds));
    report["machine"] = json!({
        "cpus": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "load_average_before": load_before,
        "load_average_after": setup::load_average(),
    });
    Ok(report)
}

/// Populates the store, runs the server, measures, stops the server and counts what the
/// clients should have received.
async fn with_exchange(
    args: &BenchServeArgs,
    exchange: &Exchange,
    runtime: &Handle,
    profile: &Profile,
) -> anyhow::Result<Value> {
    let data = tempfile::tempdir().context("creating a data directory")?;
    let settings = setup::settings(args, exchange, data.path());
    let store = sift_server::serve::open_store(&settings).await?;
    let population = population::populate(store.as_ref(), args).await;
    store.close().await;
    let population = population?;

    let cancel = CancellationToken::new();
    let (started_tx, started_rx) = oneshot::channel();
    let launched = Instant::now();
    let server = tokio::spawn({
        let (settings, cancel) = (settings.clone(), cancel.clone());
        async move {
            let env = setup::environment();
            sift_server::serve::run(settings, &env, None, cancel, Some(started_tx)).await
        }
    });
    let measured = measure(
        args,
        exchange,
        &population,
        (started_rx, launched),
        runtime,
        profile,
    )
    .await;
    cancel.cancel();
    let served = server.await.context("the server task panicked")?;
    // A server that failed explains a failed measurement better than the measurement does.
    let (mut report, window) = match (measured, served) {
        (_, Err(err)) => return Err(err.context("the server failed")),
        (measured, Ok(())) => measured?,
    };

    let store = sift_server::serve::open_store(&settings).await?;
    let expected =
        setup::expected_deliveries(store.as_ref(), &window, &population, args.clients).await;
    store.close().await;
    let (signals, expected) = expected?;
    let latency = &mut report["latency"];
    let delivered = latency["deliveries"].as_u64().unwrap_or(0);
    latency["signals"] = json!(signals);
    latency["deliveries_expected"] = json!(expected);
    latency["missed"] = json!(expected.saturating_sub(delivered));
    Ok(report)
}

/// Everything measured while the server runs; returns the report and the measured closes.
async fn measure(
    args: &BenchServeArgs,
    exchange: &Exchange,
    population: &Population,
    (started, launched): (oneshot::Receiver<Started>, Instant),
    runtime: &Handle,
    profile: &Profile,
) -> anyhow::Result<(Value, Measured)> {
    let started = tokio::time::timeout(START_TIMEOUT, started)
        .await
        .context("the server did not start in time")?
        .context("the server stopped while starting")?;
    let start_seconds = launched.elapsed();
    let base = format!("http://{}", started.addr);
    let token = setup::admin_token(&base).await?;
    let cancel = CancellationToken::new();
    let _stop = cancel.clone().drop_guard();
    let witnessed = exchange
        .symbols
        .first()
        .context("the exchange lists no symbol")?;
    let (witness, witness_task) =
        Witness::start(&exchange.ws_url, witnessed, cancel.child_token()).await?;
    let series = exchange.symbols.len() * INTERVALS.len();
    let clock = exchange.clock;
    let ready = setup::wait_ready(&base, &token, &clock, series, launched, READY_TIMEOUT).await?;
    let ready_rss_mb = setup::memory_mb("VmRSS:");
    info!(?ready, "server live; streaming");

    let reference = Reference { clock, witness };
    let streams = Streams {
        url: format!("{base}/api/v1/stream?topics=signals"),
        tokens: &population.tokens,
        closes: args.closes,
        speed: args.speed,
    };
    let (reports, window) =
        clients::measure(&streams, &reference, profile, runtime, cancel.child_token()).await?;

    let api_duration = Duration::from_secs_f64(args.api_seconds);
    let (users, admin) = (&population.tokens, std::slice::from_ref(&token));
    info!("listing signals");
    let api = load::list_signals(&base, users, args.api_clients, api_duration, runtime).await?;
    info!("listing signals as the admin");
    let api_admin =
        load::list_signals(&base, admin, args.api_clients, api_duration, runtime).await?;
    // Again without the closes' signal commits, which take SQLite's write lock.
    setup::pause_evaluation(&base, &token).await?;
    info!("listing signals, evaluation paused");
    let quiet = load::list_signals(&base, users, args.api_clients, api_duration, runtime).await?;

    let memory = Memory {
        peak_mb: setup::memory_mb("VmHWM:"),
        rss_mb: setup::memory_mb("VmRSS:"),
        ready_rss_mb,
        held: report::candles_held(started.candles.as_ref())?,
    };
    let engine = started.evaluator.stats().await.ok();
    drop(started);
    cancel.cancel();
    let _ = witness_task.await;

    let figures = Figures {
        args,
        symbols: exchange.symbols.len(),
        traders: population.owners.len(),
        start_seconds,
        ready,
        reports: &reports,
        window: &window,
        reference: &reference,
        profile,
        api: &api,
        api_admin: &api_admin,
        api_paused: &quiet,
        memory,
        engine,
    };
    Ok((report::build(&figures), window))
}
