//! Command-line flags of the roles: the last configuration layer, applied on loaded
//! [`Settings`].

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use secrecy::SecretString;
use sift_core::Interval;

use crate::settings::{LogFormat, MarketSource, Settings, SettingsError};

/// Where the configuration file is and how the process logs; shared by every role.
#[derive(Debug, Clone, Default, Args)]
pub struct CommonFlags {
    /// Configuration file (default: ./sift.toml when it exists).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log format.
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
}

/// The market flags: source, universe, intervals and Binance endpoints.
#[derive(Debug, Clone, Default, Args)]
pub struct MarketFlags {
    /// Market source.
    #[arg(long, value_enum)]
    pub market: Option<MarketSource>,
    /// Watch exactly these symbols (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "SYMBOLS")]
    pub symbols: Vec<String>,
    /// Watch the top N USDT pairs by 24 h quote volume.
    #[arg(long, value_name = "N", conflicts_with = "symbols")]
    pub top: Option<usize>,
    /// Candle intervals (comma-separated), e.g. 1m,5m,1h.
    #[arg(long, value_delimiter = ',', value_name = "INTERVALS")]
    pub intervals: Vec<Interval>,
    /// Closed candles backfilled and kept per symbol and interval.
    #[arg(long, value_name = "N")]
    pub history: Option<usize>,
    /// Clock speed of the sim and replay sources (1 = real time).
    #[arg(long, value_name = "N")]
    pub speed: Option<f64>,
    /// Candle files or directories for `--market replay`.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub candles: Vec<PathBuf>,
    /// Symbols of the simulated market.
    #[arg(long, value_name = "N")]
    pub sim_symbols: Option<usize>,
    /// Seed of the simulated market.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Binance REST base URL (e.g. `https://data-api.binance.vision`).
    #[arg(long, value_name = "URL")]
    pub binance_rest_url: Option<String>,
    /// Binance WebSocket base URL (e.g. `wss://data-stream.binance.vision`).
    #[arg(long, value_name = "URL")]
    pub binance_ws_url: Option<String>,
}

/// `sift serve`'s flags.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeFlags {
    #[command(flatten)]
    pub common: CommonFlags,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Directory of the SQLite file and other local state.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL (instead of SQLite); prefer SIFT_DATABASE__URL, which stays out of `ps`.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Redis URL (mirror candles to Redis).
    #[arg(long, value_name = "URL")]
    pub redis_url: Option<String>,
    #[command(flatten)]
    pub market: MarketFlags,
}

/// Flags of the commands that only need the database (`migrate`, `user`).
#[derive(Debug, Clone, Default, Args)]
pub struct StoreFlags {
    #[command(flatten)]
    pub common: CommonFlags,
    /// Directory of the SQLite file.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL (instead of SQLite); prefer SIFT_DATABASE__URL.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

impl StoreFlags {
    /// Loads every layer: defaults, file, environment, these flags.
    ///
    /// # Errors
    /// As [`Settings::load`].
    pub fn settings(&self, env: &BTreeMap<String, String>) -> Result<Settings, SettingsError> {
        let mut settings = self.common.load(env)?;
        apply_store(
            &mut settings,
            self.data_dir.as_ref(),
            self.database_url.as_ref(),
        );
        Ok(settings)
    }
}

fn apply_store(settings: &mut Settings, data_dir: Option<&PathBuf>, database_url: Option<&String>) {
    if let Some(dir) = data_dir {
        settings.server.data_dir = dir.clone();
    }
    if let Some(url) = database_url {
        settings.database.url = Some(SecretString::from(url.clone()));
    }
}

impl CommonFlags {
    /// Loads the configuration file (the named one must exist; `./sift.toml` may not) and the
    /// environment.
    ///
    /// # Errors
    /// As [`Settings::load`].
    pub fn load(&self, env: &BTreeMap<String, String>) -> Result<Settings, SettingsError> {
        let default = PathBuf::from("sift.toml");
        let file = match &self.config {
            Some(path) => (path.as_path(), true),
            None => (default.as_path(), false),
        };
        let mut settings = Settings::load(Some(file), env)?;
        if let Some(format) = self.log_format {
            settings.server.log_format = format;
        }
        Ok(settings)
    }
}

impl MarketFlags {
    /// Applies the flags that were given.
    pub fn apply(&self, settings: &mut Settings) {
        let market = &mut settings.market;
        if let Some(source) = self.market {
            market.source = source;
        }
        if !self.symbols.is_empty() {
            market.symbols = self.symbols.iter().map(|s| s.trim().to_owned()).collect();
        }
        if let Some(top) = self.top {
            market.top = top;
            market.symbols.clear();
        }
        if !self.intervals.is_empty() {
            market.intervals = self.intervals.clone();
        }
        if let Some(history) = self.history {
            market.history = history;
        }
        if let Some(speed) = self.speed {
            market.speed = speed;
        }
        if !self.candles.is_empty() {
            market.candles = self.candles.clone();
        }
        if let Some(symbols) = self.sim_symbols {
            market.sim.symbols = symbols;
        }
        if let Some(seed) = self.seed {
            market.sim.seed = seed;
        }
        if let Some(url) = &self.binance_rest_url {
            market.binance.rest_url = url.clone();
        }
        if let Some(url) = &self.binance_ws_url {
            market.binance.ws_url = url.clone();
        }
    }
}

impl ServeFlags {
    /// Loads every layer: defaults, file, environment, these flags.
    ///
    /// # Errors
    /// As [`Settings::load`].
    pub fn settings(&self, env: &BTreeMap<String, String>) -> Result<Settings, SettingsError> {
        let mut settings = self.common.load(env)?;
        if let Some(listen) = self.listen {
            settings.server.listen = listen;
        }
        apply_store(
            &mut settings,
            self.data_dir.as_ref(),
            self.database_url.as_ref(),
        );
        if let Some(url) = &self.redis_url {
            settings.redis.url = Some(SecretString::from(url.clone()));
        }
        self.market.apply(&mut settings);
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeFlags,
    }

    #[test]
    fn flags_win_over_environment() {
        let cli = Cli::try_parse_from([
            "sift",
            "--market",
            "sim",
            "--top",
            "5",
            "--intervals",
            "1m,1h",
            "--listen",
            "127.0.0.1:9999",
            "--config",
            "/nonexistent/sift.toml",
        ])
        .unwrap();
        let env: BTreeMap<String, String> =
            [("SIFT_MARKET__TOP".to_owned(), "50".to_owned())].into();
        // The named file must exist.
        assert!(cli.serve.settings(&env).is_err());

        let cli = Cli::try_parse_from([
            "sift",
            "--market",
            "sim",
            "--top",
            "5",
            "--intervals",
            "1m,1h",
        ])
        .unwrap();
        let settings = cli.serve.settings(&env).unwrap();
        assert_eq!(settings.market.source, MarketSource::Sim);
        assert_eq!(settings.market.top, 5);
        assert_eq!(settings.market.intervals.len(), 2);
    }

    #[test]
    fn bad_flags_are_clear_errors() {
        let err = Cli::try_parse_from(["sift", "--intervals", "1m,7m"]).unwrap_err();
        assert!(err.to_string().contains("7m"), "{err}");
        let err = Cli::try_parse_from(["sift", "--symbols", "BTCUSDT", "--top", "3"]).unwrap_err();
        assert!(err.to_string().contains("--top"), "{err}");
    }
}
