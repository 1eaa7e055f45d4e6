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
