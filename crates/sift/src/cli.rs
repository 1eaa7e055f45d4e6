//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    Serve(ServeArgs),
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

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) listen: String,
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
