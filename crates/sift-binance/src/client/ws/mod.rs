//! Combined-stream WebSocket connections to Binance, pooled.
//!
//! [`spawn_streams`] starts one pool task. It spreads the subscribed streams over as many
//! connections as needed (at most `max_streams_per_connection` each), connects with the
//! `/stream?streams=` URL, and later subscribes and unsubscribes with control messages, within
//! Binance's message and connection-attempt limits. Each connection answers pings, is declared
//! dead after `silence_timeout` without any frame, reconnects with jittered exponential backoff,
//! and is replaced without a gap before `max_connection_age` or on `serverShutdown`.
//!
//! # Events
//! For each stream, the receiver sees:
//! - [`StreamEvent::Connected`] once the stream is subscribed on a connection, before any of its
//!   data from that connection;
//! - data ([`StreamEvent::Kline`], [`StreamEvent::MiniTickers`]), possibly duplicated around a
//!   rollover (identify candles by open time);
//! - [`StreamEvent::Disconnected`] when its connection was lost: data may be missing from then
//!   until the next `Connected` for it, which comes before any further data of the stream.
//!
//! A rollover emits `Connected` for the replacement and no `Disconnected` for the old
//! connection: nothing was missed. A stream Binance refuses is reported as `Disconnected` (its
//! reason says so) and asked for again when its connection reconnects.
//!
//! # Layout
//! - `pool`: the pool task: streams to connections, reconnects and rollovers, events.
//! - `connection`: one connection task: handshake, control messages, pings, silence, age.
//! - `subscriptions`: what a connection is subscribed to and the messages that change it.
//! - `limits`: messages per second per connection, connection attempts per window.
//! - `stats`: [`StreamStats`].

mod connection;
mod limits;
mod pool;
mod stats;
mod subscriptions;

use std::sync::Arc;
use std::time::Duration;

use sift_core::{Interval, Symbol, Ticker};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::error;

pub use stats::{ConnectionState, ConnectionStats, StreamStats};

use self::stats::SharedStats;
use super::error::ClientError;
use crate::market::KlineUpdate;

/// Events waiting for the consumer. A close burst of 500 symbols x 6 intervals is 3000 kline
/// updates within a second; this absorbs one while the consumer catches up.
pub const EVENT_CHANNEL_CAPACITY: usize = 4096;
/// Subscribe and unsubscribe requests waiting for the pool task (each is answered at once).
const COMMAND_CHANNEL_CAPACITY: usize = 64;
/// Longest stream name accepted (Binance's are under 40 characters).
const MAX_STREAM_NAME_LEN: usize = 100;

/// The all-market mini ticker stream (`!ticker@arr` is retired).
pub const ALL_MINI_TICKERS: &str = "!miniTicker@arr";

/// Stream client settings. `Default` is Binance's production host and limits.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    /// `wss://stream.binance.com:9443`, `wss://data-stream.binance.vision`, or a fake server
    /// (`ws://`).
    pub base_url: String,
    /// Binance allows 1024 streams per connection.
    pub max_streams_per_connection: usize,
    /// A connection that receives nothing (no data, no ping) for this long is dead.
    pub silence_timeout: Duration,
    /// Replace a connection this old; Binance closes them at 24 h.
    pub max_connection_age: Duration,
    /// First reconnect delay (jittered, doubling).
    pub backoff_min: Duration,
    /// Longest reconnect delay. A connection that stayed up this long resets the backoff.
    pub backoff_max: Duration,
    /// Binance allows 5 messages per second per connection (control messages and pongs).
    pub control_messages_per_second: u32,
    /// Binance allows 300 connection attempts per 5 minutes per IP.
    pub connection_attempts_per_5min: u32,
    /// The window of `connection_attempts_per_5min`: 5 minutes at Binance; shorter in tests.
    pub connection_attempt_window: Duration,
    /// Limit on a handshake, and on waiting for the answer to a control message.
    pub connect_timeout: Duration,
    /// Most stream names in one `SUBSCRIBE`/`UNSUBSCRIBE`.
    pub max_streams_per_control_message: usize,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            base_url: "wss://stream.binance.com:9443".to_owned(),
            max_streams_per_connection: 1024,
            silence_timeout: Duration::from_secs(30),
            max_connection_age: Duration::from_secs(23 * 3600 + 30 * 60),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            control_messages_per_second: 5,
            connection_attempts_per_5min: 300,
            connection_attempt_window: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(10),
            max_streams_per_control_message: 200,
        }
    }
}

impl StreamConfig {
    /// Checks the URL scheme (`ws` or `wss`) and that limits and durations are non-zero.
    /// [`spawn_streams`] with an invalid configuration logs the error and stops at once.
    pub fn validate(&self) -> Result<(), ClientError> {
        super::checked_base_url(&self.base_url, &["ws", "wss"])?;
        let zero = [
            (
                "max_streams_per_connection",
                self.max_streams_per_connection == 0,
            ),
            ("silence_timeout", self.silence_timeout.is_zero()),
            ("max_connection_age", self.max_connection_age.is_zero()),
            (
                "control_messages_per_second",
                self.control_messages_per_second == 0,
            ),
            (
                "connection_attempts_per_5min",
                self.connection_attempts_per_5min == 0,
            ),
            (
                "connection_attempt_window",
                self.connection_attempt_window.is_zero(),
            ),
            ("connect_timeout", self.connect_timeout.is_zero()),
            (
                "max_streams_per_control_message",
                self.max_streams_per_control_message == 0,
            ),
        ];
        match zero.iter().find(|(_, is_zero)| *is_zero) {
            Some((name, _)) => Err(ClientError::Config(format!("{name} must be positive"))),
            None => Ok(()),
        }
    }
}

/// What the stream client reports.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    Kline(KlineUpdate),
    MiniTickers(Vec<Ticker>),
    /// A connection (re)opened and is subscribed to these streams.
    Connected {
        connection: u64,
        streams: Vec<String>,
    },
    /// These streams lost their connection (data may be missing until the next `Connected`).
    Disconnected {
        connection: u64,
        streams: Vec<String>,
        reason: String,
    },
}

/// A request to the pool task.
#[derive(Debug)]
enum Command {
    Subscribe(Vec<String>, oneshot::Sender<()>),
    Unsubscribe(Vec<String>, oneshot::Sender<()>),
}

/// Subscribes and unsubscribes at run time; reads [`StreamStats`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct StreamHandle {
    commands: mpsc::Sender<Command>,
    stats: Arc<SharedStats>,
}

impl StreamHandle {
    /// Adds streams (`btcusdt@kline_1m`, `!miniTicker@arr`); streams already subscribed are
    /// ignored. Returns once the pool has assigned them to connections; each is reported by
    /// [`StreamEvent::Connected`] when Binance confirmed it.
    pub async fn subscribe(&self, streams: Vec<String>) -> Result<(), ClientError> {
        validate_streams(&streams)?;
        self.request(|reply| Command::Subscribe(streams, reply))
            .await
    }

    /// Removes streams; unknown ones are ignored. A connection left without streams is closed.
    pub async fn unsubscribe(&self, streams: Vec<String>) -> Result<(), ClientError> {
        self.request(|reply| Command::Unsubscribe(streams, reply))
            .await
    }

    /// A snapshot of connections and counters.
    pub fn stats(&self) -> StreamStats {
        self.stats.snapshot(super::now_ms())
    }

    async fn request(
        &self,
        command: impl FnOnce(oneshot::Sender<()>) -> Command,
    ) -> Result<(), ClientError> {
        let (reply, done) = oneshot::channel();
        self.commands
            .send(command(reply))
            .await
            .map_err(|_| ClientError::Closed)?;
        done.await.map_err(|_| ClientError::Closed)
    }
}

/// Starts the stream pool. It runs until `cancel`; the join handle finishes after every
/// connection has closed. No streams are subscribed at first: call
/// [`StreamHandle::subscribe`].
pub fn spawn_streams(
    config: StreamConfig,
    cancel: CancellationToken,
) -> (StreamHandle, mpsc::Receiver<StreamEvent>, JoinHandle<()>) {
    let (commands_tx, commands_rx) = mpsc::channel(COMMAND_CHANNEL_CAPACITY);
    let (events_tx, events_rx) = mpsc::channel(EVENT_CHANNEL_CAPACITY);
    let stats = Arc::new(SharedStats::default());
    let handle = StreamHandle {
        commands: commands_tx,
        stats: Arc::clone(&stats),
    };
    let task = tokio::spawn(async move {
        if let Err(err) = config.validate() {
            error!(error = %err, "stream client not started");
            return;
        }
        super::install_crypto_provider();
        pool::Pool::new(config, cancel, commands_rx, events_tx, stats)
            .run()
            .await;
    });
    (handle, events_rx, task)
}

/// The kline stream name of a pair and interval: `btcusdt@kline_1m`.
pub fn kline_stream(symbol: &Symbol, interval: Interval) -> String {
    format!(
        "{}@kline_{}",
        symbol.as_str().to_ascii_lowercase(),
        interval.as_str()
    )
}

/// Stream names are short and made of ASCII letters, digits and `@ _ ! . -`; `/` would break
/// the combined-stream URL.
fn validate_streams(streams: &[String]) -> Result<(), ClientError> {
    let valid = |name: &str| {
        !name.is_empty()
            && name.len() <= MAX_STREAM_NAME_LEN
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"@_!.-".contains(&b))
    };
    match streams.iter().find(|name| !valid(name)) {
        Some(bad) => Err(ClientError::InvalidStream(bad.clone())),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kline_stream_names_are_lower_case() {
        let symbol = Symbol::new("BTCUSDT").unwrap();
        assert_eq!(kline_stream(&symbol, Interval::M1), "btcusdt@kline_1m");
        assert_eq!(kline_stream(&symbol, Interval::Month1), "btcusdt@kline_1M");
    }

    #[test]
    fn stream_names_are_checked() {
        let ok = |s: &str| validate_streams(&[s.to_owned()]).is_ok();
        assert!(ok("btcusdt@kline_1m"));
        assert!(ok(ALL_MINI_TICKERS));
        assert!(ok("btcusdt@depth@100ms"));
        assert!(!ok(""));
        assert!(!ok("a/b"));
        assert!(!ok("btc usdt"));
        assert!(!ok(&"a".repeat(101)));
    }

    #[test]
    fn config_validation() {
        assert!(StreamConfig::default().validate().is_ok());
        let http = StreamConfig {
            base_url: "http://x".to_owned(),
            ..StreamConfig::default()
        };
        assert!(matches!(
            http.validate(),
            Err(ClientError::InvalidUrl { .. })
        ));
        let zero = StreamConfig {
            max_streams_per_connection: 0,
            ..StreamConfig::default()
        };
        assert!(matches!(zero.validate(), Err(ClientError::Config(_))));
    }
}
