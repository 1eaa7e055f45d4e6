//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use sift_core::Tier;
use sift_server::flags::{ServeFlags, StoreFlags};

/// Sift: a self-hosted, real-time crypto market screener.
#[derive(Debug, Parser)]
#[command(name = "sift", version, about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run everything in one process: market data, engine, storage, API and web UI.
    #[command(after_help = "Examples:\n  \
        sift serve                                   live Binance, top 100 USDT pairs, SQLite in ./data\n  \
        sift serve --market sim --speed 60           offline, a simulated market at 60x\n  \
        sift serve --symbols BTCUSDT,ETHUSDT --intervals 1m,5m\n  \
        sift serve --market replay --candles data/ --speed 600\n\n\
        Configuration: sift.toml (or --config), then SIFT_* variables (SIFT_DATABASE__URL), then flags.\n\
        The first admin: SIFT_ADMIN_EMAIL and SIFT_ADMIN_PASSWORD, or `sift user create --admin`.")]
    Serve(ServeFlags),
    /// Cluster role: the market layer writing candles to Redis and, as leader, closes to the
    /// stream.
    #[command(after_help = "Example:\n  \
        sift collector --redis-url redis://127.0.0.1:6379 --market binance --top 100 --listen 127.0.0.1:9101")]
    Collector(sift_cluster::flags::CollectorFlags),
    /// Cluster role: evaluates the closes of its shards and commits the signals to PostgreSQL.
    #[command(after_help = "Example:\n  \
        sift worker --redis-url redis://127.0.0.1:6379 --database-url postgres://sift@db/sift --listen 127.0.0.1:9102")]
    Worker(sift_cluster::flags::WorkerFlags),
    /// Cluster role: the REST API, stream and UI over the shared PostgreSQL and Redis.
    #[command(after_help = "Example:\n  \
        sift api --redis-url redis://127.0.0.1:6379 --database-url postgres://sift@db/sift --listen 0.0.0.0:8080")]
    Api(sift_cluster::flags::ApiFlags),
    /// Apply the database migrations (serve does it on start).
    Migrate(StoreFlags),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Print a commented example configuration with every default.
    DefaultConfig,
    /// Run a Binance-compatible fake server on a simulated market, for tests and demos.
    FakeBinance(crate::fake_binance::FakeBinanceArgs),
    /// Compute indicators over a candle file and print one row per candle.
    Indicators(IndicatorsArgs),
    /// Check trader files or a rule: print diagnostics, or what each rule needs.
    Check(CheckArgs),
    /// Replay candle files through traders and report their signals and forward returns.
    Backtest(BacktestArgs),
    /// Measure Sift on a seeded synthetic market.
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// Arguments of `sift backtest` (see `backtest.rs`).
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    sift backtest --traders traders/builtin --candles data/ --format summary\n  \
    sift backtest --rule 'crossover(rsi(14), 30)' --interval 5m --candles BTCUSDT-1m-2025-01.zip\n  \
    sift backtest --rule 'close > ema(200) @ 1h' --rule 'volume > 3 * sma(volume, 20)' \\\n    \
    --candles universe-1m.csv --symbols BTCUSDT,ETHUSDT --from 2025-01-10 --forward 5,60 --format csv\n\n\
    Intervals a rule reads that no file gives are built from the finest given interval (UTC\n\
    boundaries, complete spans only). Candles before --from warm the indicators up.")]
#[command(group(clap::ArgGroup::new("traders_or_rules").required(true).args(["traders", "rules"])))]
pub(crate) struct BacktestArgs {
    /// Trader files (TOML) or directories of them; all run together through one engine.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub(crate) traders: Vec<PathBuf>,
    /// A rule to backtest; repeat for several, named rule1, rule2, ...
    #[arg(short = 'e', long = "rule", value_name = "RULE")]
    pub(crate) rules: Vec<String>,
    /// The interval the --rule rules run on.
    #[arg(
        long,
        value_name = "INTERVAL",
        default_value = "1m",
        conflicts_with = "traders"
    )]
    pub(crate) interval: String,
    /// Candle files (Binance kline .csv or .zip, or long-format CSV) or directories of them.
    #[arg(long, value_name = "PATH", num_args = 1.., required = true)]
    pub(crate) candles: Vec<PathBuf>,
    /// Only these symbols, comma separated.
    #[arg(long, value_name = "SYMBOLS", value_delimiter = ',')]
    pub(crate) symbols: Vec<String>,
    /// Report signals on candles opening at or after this time: RFC 3339, a date (UTC) or
    /// epoch milliseconds.
    #[arg(long, value_name = "TIME")]
    pub(crate) from: Option<String>,
    /// Report signals on candles opening at or before this time.
    #[arg(long, value_name = "TIME")]
    pub(crate) to: Option<String>,
    /// `edge`: signals as live (when a rule turns true, with cooldown); `level`: every close
    /// where a rule holds.
    #[arg(long, value_enum, default_value_t = BacktestMode::Edge)]
    pub(crate) mode: BacktestMode,
    /// Forward return horizons in bars of each trader's interval, comma separated.
    #[arg(
        long,
        value_name = "BARS",
        value_delimiter = ',',
        default_value = "1,5,10,20",
        value_parser = clap::value_parser!(u32).range(1..=100_000)
    )]
    pub(crate) forward: Vec<u32>,
    /// `table`: signals and summary for reading; `csv`: only signals on standard output (the
    /// summary on standard error); `json`: one object; `summary`: only the summary.
    #[arg(long, value_enum, default_value_t = BacktestFormat::Table)]
    pub(crate) format: BacktestFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BacktestMode {
    Edge,
    Level,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BacktestFormat {
    Table,
    Csv,
    Json,
    Summary,
}

/// What `sift bench` measures.
#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// The rule engine: many traders over many symbols.
    Engine(BenchEngineArgs),
    /// The whole server: close-to-stream latency, signal listing throughput, peak memory.
    Serve(BenchServeArgs),
    /// The cluster's workers: close published -> signals committed, 1 and 2 workers.
    Cluster(BenchClusterArgs),
}

/// Arguments of `sift bench engine` (see `bench.rs`).
#[derive(Debug, Args)]
#[command(after_help = "Prints one JSON object. Example:\n  \
    cargo run --release -p sift -- bench engine --symbols 500 --traders 1000 --candles 1000")]
pub(crate) struct BenchEngineArgs {
    /// Symbols in the synthetic market.
    #[arg(long, default_value_t = 500)]
    pub(crate) symbols: usize,
    /// Traders, drawn from the built-in templates with varied parameters, all on 1m.
    #[arg(long, default_value_t = 1_000)]
    pub(crate) traders: usize,
    /// 1m candles per symbol: the closes every trader evaluates.
    #[arg(long, default_value_t = 1_000)]
    pub(crate) candles: usize,
    /// Worker threads of the engine (default: one per core).
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    /// Seed of the market and of the traders.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
}

/// Arguments of `sift bench serve` (see `bench/serve.rs`).
#[derive(Debug, Args)]
#[command(after_help = "Prints one JSON object. Example:\n  \
    cargo run --release -p sift -- bench serve --symbols 500 --traders 1000 --clients 100")]
pub(crate) struct BenchServeArgs {
    /// Symbols of the fake exchange, all watched on 1m, 5m, 15m, 1h, 4h and 1d.
    #[arg(long, default_value_t = 500)]
    pub(crate) symbols: usize,
    /// Traders, drawn from the built-in templates with varied parameters, all on 1m (the
    /// seeded built-in traders run too).
    #[arg(long, default_value_t = 1_000)]
    pub(crate) traders: usize,
    /// SSE clients streaming signals, one user each.
    #[arg(long, default_value_t = 100)]
    pub(crate) clients: usize,
    /// 1m closes measured.
    #[arg(long, default_value_t = 20)]
    pub(crate) closes: usize,
    /// Seed of the market and of the traders.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Market clock speed (24: a 1m candle closes every 2.5 s).
    #[arg(long, default_value_t = 24.0)]
    pub(crate) speed: f64,
    /// Closed candles backfilled and kept per symbol and interval.
    #[arg(long, default_value_t = 1_000)]
    pub(crate) history: usize,
    /// Days of simulated history: 42 fill 1,000 1h candles; 4h and 1d hold what the days give.
    #[arg(long, default_value_t = 42)]
    pub(crate) history_days: i64,
    /// Who sees the signals: each trader's owner (one of the clients), or every client
    /// (built-in traders).
    #[arg(long, value_enum, default_value_t = BenchAudience::Owners)]
    pub(crate) audience: BenchAudience,
    /// Concurrent HTTP clients listing signals.
    #[arg(long, default_value_t = 32)]
    pub(crate) api_clients: usize,
    /// Seconds of signal listing.
    #[arg(long, default_value_t = 10.0)]
    pub(crate) api_seconds: f64,
    /// Internal: run only the fake exchange (the benchmark's child process).
    #[arg(long, hide = true)]
    pub(crate) exchange_only: bool,
}

/// Arguments of `sift bench cluster` (see `bench/cluster.rs`).
#[derive(Debug, Args)]
#[command(
    after_help = "Needs redis-server and PostgreSQL. Prints one JSON object. Example:\n  \
    cargo run --release -p sift -- bench cluster --symbols 500 --traders 1000 --workers 1,2"
)]
pub(crate) struct BenchClusterArgs {
    /// Symbols of the synthetic market (1m, with 5m and 15m).
    #[arg(long, default_value_t = 500)]
    pub(crate) symbols: usize,
    /// Traders, drawn from the built-in templates with varied parameters, all on 1m.
    #[arg(long, default_value_t = 1_000)]
    pub(crate) traders: usize,
    /// Worker counts to measure, one run each.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 2])]
    pub(crate) workers: Vec<usize>,
    /// Shards the closes are split into.
    #[arg(long, default_value_t = 8)]
    pub(crate) shards: u32,
    /// Closes written to Redis before the first one published (the workers warm from them).
    #[arg(long, default_value_t = 300)]
    pub(crate) history: usize,
    /// Closes published and committed before measuring (16 include the first 5m and 15m
    /// closes, whose series the workers warm from Redis).
    #[arg(long, default_value_t = 16)]
    pub(crate) warmup: usize,
    /// Closes measured for latency, one every `--every-ms`.
    #[arg(long, default_value_t = 30)]
    pub(crate) closes: usize,
    /// Milliseconds between two measured closes.
    #[arg(long, default_value_t = 1_000)]
    pub(crate) every_ms: u64,
    /// Closes published back to back for the throughput.
    #[arg(long, default_value_t = 20)]
    pub(crate) burst: usize,
    /// Seed of the market and of the traders.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BenchAudience {
    Owners,
    Everyone,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    sift check traders/builtin\n  \
    sift check -e 'crossover(sma(50), sma(200))' --interval 15m\n  \
    sift check my-trader.toml --format json")]
pub(crate) struct CheckArgs {
    /// Trader files (TOML) or directories of them.
    #[arg(value_name = "FILE", required_unless_present = "rule")]
    pub(crate) files: Vec<PathBuf>,
    /// A rule to check instead of files.
    #[arg(
        short = 'e',
        long = "rule",
        value_name = "RULE",
        conflicts_with = "files"
    )]
    pub(crate) rule: Option<String>,
    /// The interval a rule given with -e runs on.
    #[arg(long, default_value = "1m")]
    pub(crate) interval: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub(crate) format: CheckFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CheckFormat {
    Text,
    Json,
}

/// `sift user` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Create an account; the password is asked for, or read from stdin.
    #[command(after_help = "Examples:\n  \
        sift user create --email admin@example.com --admin\n  \
        echo \"$PASSWORD\" | sift user create --email ann@example.com --tier pro --password-stdin")]
    Create(UserCreateArgs),
}

/// Arguments of `sift user create`.
#[derive(Debug, Args)]
pub(crate) struct UserCreateArgs {
    #[arg(long)]
    pub(crate) email: String,
    /// Make the account an admin (an existing account is promoted).
    #[arg(long)]
    pub(crate) admin: bool,
    /// Tier of a new non-admin account.
    #[arg(long, default_value = "free", value_parser = parse_tier)]
    pub(crate) tier: Tier,
    /// Read the password from the first line of stdin instead of asking.
    #[arg(long)]
    pub(crate) password_stdin: bool,
    #[command(flatten)]
    pub(crate) store: StoreFlags,
}

fn parse_tier(text: &str) -> Result<Tier, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not a tier (anonymous, free, pro, elite)"))
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    sift indicators --candles BTCUSDT-1m-2025-01.zip --indicator 'rsi(14)' --indicator 'macd(12, 26, 9)'\n  \
    sift indicators --candles universe.csv --interval 1h --indicator 'bb(20, mult=2.5)' --format json\n  \
    sift indicators --list")]
pub(crate) struct IndicatorsArgs {
    /// Candle file: Binance kline .csv or .zip (data.binance.vision), or a long-format CSV with a
    /// header (symbol,open_time,open,high,low,close,volume,...).
    #[arg(long, value_name = "PATH", required_unless_present = "list")]
    pub(crate) candles: Option<PathBuf>,
    /// Symbol of a Binance file whose name does not say it; filters a long-format file.
    #[arg(long, value_name = "SYMBOL")]
    pub(crate) symbol: Option<String>,
    /// Interval of a file whose name does not say it; filters a file with several intervals.
    #[arg(long, value_name = "INTERVAL")]
    pub(crate) interval: Option<String>,
    /// An indicator as the rule language writes it, e.g. 'rsi(14)', 'sma(volume, 20)',
    /// 'bb(20, mult=2.5)'. Repeat for more columns.
    #[arg(
        long = "indicator",
        short = 'i',
        value_name = "SPEC",
        required_unless_present = "list"
    )]
    pub(crate) indicators: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub(crate) format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "PATH")]
    pub(crate) output: Option<PathBuf>,
    /// List every indicator with its parameters and outputs, then exit.
    #[arg(long)]
    pub(crate) list: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Csv,
    Json,
}
