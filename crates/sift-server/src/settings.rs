//! The typed configuration tree and its loader.
//!
//! Layers, later ones winning: the defaults below, then the TOML file (`sift.toml`, or the one
//! `--config` names), then `SIFT_` environment variables (`__` separates levels:
//! `SIFT_DATABASE__URL`, `SIFT_MARKET__TOP=50`), then command-line flags (applied by the caller
//! on the loaded [`Settings`]). Unknown keys are errors, so a typo never passes silently.
//!
//! The loader takes the environment as a map, so tests never touch the process environment.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;
use sift_core::Interval;

/// The sections an environment variable may address; other `SIFT_*` variables (such as
/// `SIFT_ADMIN_EMAIL`, read by the admin bootstrap, or test settings) are not configuration.
const SECTIONS: &[&str] = &[
    "server",
    "database",
    "redis",
    "market",
    "engine",
    "retention",
    "api",
    "notify",
    "ai",
];

/// Everything `sift serve` (and the other roles) can be configured with.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub market: MarketSettings,
    pub engine: EngineSettings,
    pub retention: RetentionSettings,
    /// The HTTP API: limits per tier, sessions and cookies, throttling, the stream.
    pub api: sift_api::ApiConfig,
    /// AI drafting of traders: an OpenAI-compatible endpoint (off until configured).
    pub ai: sift_ai::AiConfig,
    /// Notifications: the dispatcher, its limits and the SSRF guard.
    pub notify: sift_notify::NotifyConfig,
}

/// Where the process listens and keeps local state, and how it logs.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// HTTP listen address.
    pub listen: SocketAddr,
    /// The SQLite file (`sift.db`) and other local state.
    pub data_dir: PathBuf,
    pub log_format: LogFormat,
    /// A `tracing` filter such as `info` or `sift=debug,info` (`RUST_LOG` wins when set).
    pub log_filter: String,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./data"),
            log_format: LogFormat::Pretty,
            log_filter: "info".to_owned(),
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// The relational store: PostgreSQL when `url` is set, else SQLite in the data directory.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `postgres://user:password@host/db`; a secret (it may carry a password).
    pub url: Option<SecretString>,
}

/// Redis, for the candle mirror and the distributed roles; unused when `url` is unset.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisSettings {
    /// `redis://` or `rediss://` (TLS); a secret (it may carry a password).
    pub url: Option<SecretString>,
}

/// Where candles come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum MarketSource {
    /// Live Binance spot data.
    #[default]
    Binance,
    /// The built-in seeded simulated market (offline).
    Sim,
    /// Candle files replayed as if live.
    Replay,
}

/// The market layer: source, universe, intervals, history.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MarketSettings {
    pub source: MarketSource,
    /// Watch exactly these symbols; empty means the top `top` USDT pairs by 24 h quote volume.
    #[serde(deserialize_with = "list::strings")]
    pub symbols: Vec<String>,
    /// Size of the automatic universe when `symbols` is empty.
    pub top: usize,
    /// How often the automatic universe is recomputed, in seconds.
    pub universe_refresh_s: u64,
    /// Hysteresis of the automatic universe: a watched pair counts as this many places higher
    /// than it ranks, so pairs near the cut line do not flap; unset: `top / 10` rounded up.
    pub top_margin: Option<usize>,
    #[serde(deserialize_with = "list::intervals")]
    pub intervals: Vec<Interval>,
    /// Closed candles backfilled and kept per symbol and interval.
    pub history: usize,
    /// Clock speed of the `sim` and `replay` sources (1 = real time).
    pub speed: f64,
    /// Candle files or directories for the `replay` source.
    #[serde(deserialize_with = "list::paths")]
    pub candles: Vec<PathBuf>,
    pub sim: SimSettings,
    pub binance: BinanceSettings,
}

impl Default for MarketSettings {
    fn default() -> Self {
        Self {
            source: MarketSource::Binance,
            symbols: Vec::new(),
            top: 100,
            universe_refresh_s: 3600,
            top_margin: None,
            intervals: ["1m", "5m", "15m", "1h", "4h", "1d"]
                .iter()
                .filter_map(|text| text.parse().ok())
                .collect(),
            history: 1000,
            speed: 1.0,
            candles: Vec::new(),
            sim: SimSettings::default(),
            binance: BinanceSettings::default(),
        }
    }
}

/// The simulated market.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimSettings {
    pub symbols: usize,
    pub seed: u64,
}

impl Default for SimSettings {
    fn default() -> Self {
        Self {
            symbols: 100,
            seed: 1,
        }
    }
}

/// Binance endpoints (point them at `data-api.binance.vision` and `data-stream.binance.vision`
/// for market-data-only hosts, or at `sift fake-binance`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BinanceSettings {
    pub rest_url: String,
    pub ws_url: String,
}

impl Default for BinanceSettings {
    fn default() -> Self {
        Self {
            rest_url: "https://api.binance.com".to_owned(),
            ws_url: "wss://stream.binance.com:9443".to_owned(),
        }
    }
}

/// The rule engine.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineSettings {
    /// Evaluation threads (default: one per core).
    pub threads: Option<usize>,
}

/// How long old rows are kept.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionSettings {
    pub executions_days: u32,
    pub signals_days: u32,
    /// How often the pruning job runs, in seconds.
    pub interval_s: u64,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            executions_days: 7,
            signals_days: 30,
            interval_s: 3600,
        }
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

impl Settings {
    /// Loads defaults, then `file` (when given; `required` says whether a missing file is an
    /// error), then the `SIFT_` variables of `env`.
    ///
    /// # Errors
    /// An unreadable or invalid file, an invalid variable, or an unknown key, each naming where
    /// it came from.
    pub fn load(
        file: Option<(&Path, bool)>,
        env: &BTreeMap<String, String>,
    ) -> Result<Self, SettingsError> {
        let mut merged = toml::Table::new();
        if let Some((path, required)) = file {
            match std::fs::read_to_string(path) {
                Ok(text) => {
                    let table: toml::Table =
                        toml::from_str(&text).map_err(|err| SettingsError::Invalid {
                            origin: path.display().to_string(),
                            message: err.message().to_owned(),
                        })?;
                    check(table.clone(), &path.display().to_string())?;
                    merge(&mut merged, table);
                }
                Err(err) if err.kind() == std::io::ErrorKind::NotFound && !required => {}
                Err(source) => {
                    return Err(SettingsError::Read {
                        path: path.to_owned(),
                        source,
                    });
                }
            }
        }
        let from_env = env_table(env);
        check(from_env.clone(), "environment (SIFT_*)")?;
        merge(&mut merged, from_env);
        check(merged, "configuration")
    }
}

/// Deserializes a table into settings, naming `origin` in the error.
fn check(table: toml::Table, origin: &str) -> Result<Settings, SettingsError> {
    Settings::deserialize(toml::Value::Table(table)).map_err(|err| SettingsError::Invalid {
        origin: origin.to_owned(),
        message: err.message().to_owned(),
    })
}

/// Deep merge: tables merge key by key, anything else in `over` replaces.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(value)) => merge(inner, value),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// `SIFT_A__B=v` as `{a = {b = v}}`, for the known sections only. Values that read as TOML
/// scalars (numbers, booleans) take that type; everything else is a string.
fn env_table(env: &BTreeMap<String, String>) -> toml::Table {
    let mut table = toml::Table::new();
    for (name, raw) in env {
        let Some(rest) = name.strip_prefix("SIFT_") else {
            continue;
        };
        let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
        if path.len() < 2 || !SECTIONS.contains(&path[0].as_str()) {
            continue;
        }
        let value = scalar(raw);
        let mut node = &mut table;
        for segment in &path[..path.len() - 1] {
            let entry = node
                .entry(segment.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !entry.is_table() {
                *entry = toml::Value::Table(toml::Table::new());
            }
            let toml::Value::Table(inner) = entry else {
                unreachable!("replaced by a table just above");
            };
            node = inner;
        }
        node.insert(path[path.len() - 1].clone(), value);
    }
    table
}

fn scalar(raw: &str) -> toml::Value {
    if let Ok(value) = raw.parse::<i64>() {
        return toml::Value::Integer(value);
    }
    if let Ok(value) = raw.parse::<f64>() {
        return toml::Value::Float(value);
    }
    match raw {
        "true" => toml::Value::Boolean(true),
        "false" => toml::Value::Boolean(false),
        _ => toml::Value::String(raw.to_owned()),
    }
}

/// Lists that may also be written as one comma-separated string (handy in the environment).
mod list {
    use std::path::PathBuf;

    use serde::{Deserialize, Deserializer, de::Error};
    use sift_core::Interval;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        One(String),
        Many(Vec<String>),
    }

    fn items<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
        Ok(match Repr::deserialize(de)? {
            Repr::One(text) => text
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            Repr::Many(items) => items,
        })
    }

    pub(super) fn strings<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
        items(de)
    }

    pub(super) fn paths<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<PathBuf>, D::Error> {
        Ok(items(de)?.into_iter().map(PathBuf::from).collect())
    }

    pub(super) fn intervals<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<Interval>, D::Error> {
        items(de)?
            .iter()
            .map(|text| {
                text.parse::<Interval>()
                    .map_err(|_| D::Error::custom(format!("unknown interval `{text}`")))
            })
            .collect()
    }
}

/// The commented example configuration `sift default-config` prints: every key with its default.
pub const DEFAULT_CONFIG: &str = include_str!("default-config.toml");

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn write(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn the_example_is_the_defaults() {
        let file = write(DEFAULT_CONFIG);
        let loaded = Settings::load(Some((file.path(), true)), &env(&[])).unwrap();
        let defaults = Settings::default();
        assert_eq!(format!("{loaded:?}"), format!("{defaults:?}"));
    }

    #[test]
    fn environment_overrides_the_file() {
        let file =
            write("[market]\ntop = 20\nsource = \"sim\"\n[server]\nlisten = \"0.0.0.0:9000\"\n");
        let settings = Settings::load(
            Some((file.path(), true)),
            &env(&[
                ("SIFT_MARKET__TOP", "50"),
                ("SIFT_MARKET__INTERVALS", "1m, 5m"),
                ("SIFT_MARKET__SIM__SEED", "7"),
                ("SIFT_DATABASE__URL", "postgres://u:hunter2@db/sift"),
                ("SIFT_ADMIN_EMAIL", "a@example.com"),
                ("SIFT_TEST_DATABASE_URL", "ignored"),
                ("PATH", "/bin"),
            ]),
        )
        .unwrap();
        assert_eq!(settings.market.top, 50);
        assert_eq!(settings.market.source, MarketSource::Sim);
        assert_eq!(settings.market.sim.seed, 7);
        assert_eq!(settings.server.listen.port(), 9000);
        let intervals: Vec<String> = settings
            .market
            .intervals
            .iter()
            .map(|i| i.to_string())
            .collect();
        assert_eq!(intervals, ["1m", "5m"]);
        let debug = format!("{settings:?}");
        assert!(!debug.contains("hunter2"), "secrets never printed: {debug}");
    }

    #[test]
    fn errors_name_their_origin() {
        let file = write("[market]\ntopp = 20\n");
        let err = Settings::load(Some((file.path(), true)), &env(&[])).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(&file.path().display().to_string()) && text.contains("topp"),
            "{text}"
        );

        let err = Settings::load(None, &env(&[("SIFT_MARKET__INTERVALS", "1m,7m")])).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("environment") && text.contains("7m"),
            "{text}"
        );

        let err = Settings::load(None, &env(&[("SIFT_SERVER__LISTEN", "nowhere")])).unwrap_err();
        assert!(err.to_string().contains("environment"), "{err}");
    }

    #[test]
    fn ai_settings_come_from_the_environment_and_the_key_stays_secret() {
        let settings = Settings::load(
            None,
            &env(&[
                ("SIFT_AI__BASE_URL", "http://127.0.0.1:11434/v1"),
                ("SIFT_AI__MODEL", "qwen2.5-coder"),
                ("SIFT_AI__API_KEY", "sk-hunter2"),
                ("SIFT_AI__MAX_ROUNDS", "2"),
            ]),
        )
        .unwrap();
        assert!(settings.ai.is_configured());
        assert_eq!(settings.ai.max_rounds, 2);
        let debug = format!("{settings:?}");
        assert!(!debug.contains("hunter2"), "secrets never printed: {debug}");
        assert!(!Settings::default().ai.is_configured(), "off by default");
    }

    #[test]
    fn notify_settings_come_from_the_environment() {
        assert!(!Settings::default().notify.allow_private_targets);
        let settings = Settings::load(
            None,
            &env(&[
                ("SIFT_NOTIFY__ALLOW_PRIVATE_TARGETS", "true"),
                ("SIFT_NOTIFY__PUBLIC_URL", "https://sift.example.com"),
                ("SIFT_NOTIFY__MAX_ATTEMPTS", "3"),
                (
                    "SIFT_NOTIFY__SECRET_KEY",
                    "aHVudGVyMmh1bnRlcjJodW50ZXIyaHVudGVyMmh1bnQ=",
                ),
            ]),
        )
        .unwrap();
        assert!(settings.notify.validate().is_ok());
        let debug = format!("{settings:?}");
        assert!(
            !debug.contains("aHVudGVy"),
            "secrets never printed: {debug}"
        );
        assert!(settings.notify.allow_private_targets);
        assert_eq!(settings.notify.max_attempts, 3);
        assert_eq!(
            settings.notify.public_url.as_deref(),
            Some("https://sift.example.com")
        );
        assert!(Settings::load(None, &env(&[("SIFT_NOTIFY__NOPE", "1")])).is_err());
    }

    #[test]
    fn a_missing_optional_file_is_fine_and_a_required_one_is_not() {
        let path = Path::new("/nonexistent/sift.toml");
        assert!(Settings::load(Some((path, false)), &env(&[])).is_ok());
        let err = Settings::load(Some((path, true)), &env(&[])).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/sift.toml"), "{err}");
    }
}
