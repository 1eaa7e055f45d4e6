//! The collector's health: a snapshot for `/health` and Prometheus metrics.
//!
//! Metrics (the `metrics` crate; the binary installs the exporter):
//! - counters `sift_market_messages_total` (kline and ticker events in),
//!   `sift_market_closes_total` (closed candles handed on or stored),
//!   `sift_market_duplicates_total`, `sift_market_stale_total`,
//!   `sift_market_gaps_repaired_total`, `sift_market_candles_repaired_total`,
//!   `sift_market_holes_total` (candles the exchange's history lacks),
//!   `sift_market_stalls_total`, `sift_market_invalid_total`, `sift_market_store_errors_total`,
//!   `sift_market_dropped_events_total`;
//! - gauges `sift_market_symbols`, `sift_market_symbols_halted`, `sift_market_series_live`,
//!   `sift_market_series_repairing`, `sift_market_backfill_pending`,
//!   `sift_market_last_message_age_seconds`.
//!
//! The Binance client records connections, messages, malformed frames, REST weight, 429s and
//! 418s itself (`sift_binance_ws_*`, `sift_binance_rest_*`); [`MarketHealth`] repeats them.

use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

/// Counters kept by the collector task.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Kline and ticker events received.
    pub messages: u64,
    /// Closed candles delivered (handed on or, for halted symbols, stored only).
    pub closes: u64,
    /// Repeated final updates ignored.
    pub duplicates: u64,
    /// Reordered or late updates ignored.
    pub stale: u64,
    /// Repair fetches completed (gaps, reconnects, stalls).
    pub gaps_repaired: u64,
    /// Candles delivered from repair fetches.
    pub candles_repaired: u64,
    /// Candles given up on: the exchange's history has none for that time, or REST kept
    /// failing past `repair_give_up`.
    pub holes: u64,
    /// Candles that cannot belong to their series (open time off the interval's boundary,
    /// close time outside the candle): dropped.
    pub invalid: u64,
    /// Stalls detected (a closed candle missing past the grace).
    pub stalls: u64,
    /// Store writes that failed (logged).
    pub store_errors: u64,
    /// `Forming` and `Tickers` events dropped because the output channel was full.
    pub dropped_events: u64,
    /// REST fetches retried after an error.
    pub fetch_retries: u64,
}

/// Progress of the initial (and added symbols') history.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BackfillProgress {
    /// Series whose history is in.
    pub done: usize,
    /// Series watched in all.
    pub total: usize,
    /// Closed candles written by backfills.
    pub candles: u64,
    /// Time from the start to the moment every series of the initial universe was in.
    pub initial_ms: Option<u64>,
}

/// One connection of the Binance source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionHealth {
    pub id: u64,
    /// `connecting`, `open`, `backoff` or `closing`.
    pub state: &'static str,
    pub streams: usize,
    pub last_message_age_ms: Option<i64>,
}

/// The REST side of the Binance source.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct RestHealth {
    pub requests: u64,
    /// Weight used in the current minute, as Binance last reported it.
    pub weight_used: u64,
    /// Highest weight seen in any minute since the start.
    pub weight_peak: u64,
    pub status_429: u64,
    pub status_418: u64,
    pub retries: u64,
    pub errors: u64,
    /// End of the current IP ban, epoch milliseconds.
    pub banned_until_ms: Option<i64>,
}

/// Everything `/health` shows about the market layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarketHealth {
    /// `binance`, `sim` or `replay`.
    pub source: &'static str,
    /// Whether the collector task is running.
    pub running: bool,
    pub symbols_watched: usize,
    pub symbols_halted: usize,
    pub series_live: usize,
    /// Series with a repair (or backfill) fetch in flight.
    pub series_repairing: usize,
    pub backfill: BackfillProgress,
    /// Streams subscribed.
    pub streams: usize,
    /// Connections of the Binance source (empty for the others).
    pub connections: Vec<ConnectionHealth>,
    /// Connections reopened after one was lost (Binance source).
    pub reconnects: u64,
    /// Connections replaced without a gap: age limit or `serverShutdown` (Binance source).
    pub rollovers: u64,
    /// Milliseconds since the last event from the source.
    pub last_message_age_ms: Option<u64>,
    pub messages_per_sec: f64,
    pub closes_per_sec: f64,
    /// Frames the source could not decode (skipped).
    pub malformed: u64,
    pub counters: Counters,
    /// The Binance source's REST client (zero for the others).
    pub rest: RestHealth,
}

/// Messages and closes per second over the last few seconds.
#[derive(Debug)]
pub(crate) struct Rates {
    at: Instant,
    messages: u64,
    closes: u64,
    pub(crate) messages_per_sec: f64,
    pub(crate) closes_per_sec: f64,
}

impl Rates {
    /// How long a rate is averaged over.
    const WINDOW: Duration = Duration::from_secs(2);

    pub(crate) fn new(now: Instant) -> Self {
        Self {
            at: now,
            messages: 0,
            closes: 0,
            messages_per_sec: 0.0,
            closes_per_sec: 0.0,
        }
    }

    pub(crate) fn update(&mut self, now: Instant, counters: &Counters) {
        let elapsed = now.duration_since(self.at);
        if elapsed < Self::WINDOW {
            return;
        }
        let secs = elapsed.as_secs_f64();
        self.messages_per_sec = (counters.messages - self.messages) as f64 / secs;
        self.closes_per_sec = (counters.closes - self.closes) as f64 / secs;
        self.at = now;
        self.messages = counters.messages;
        self.closes = counters.closes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn rates_average_over_the_window() {
        let start = Instant::now();
        let mut rates = Rates::new(start);
        let mut counters = Counters {
            messages: 100,
            closes: 10,
            ..Counters::default()
        };
        rates.update(start + Duration::from_secs(1), &counters);
        assert_eq!(rates.messages_per_sec, 0.0);
        rates.update(start + Duration::from_secs(2), &counters);
        assert_eq!(rates.messages_per_sec, 50.0);
        assert_eq!(rates.closes_per_sec, 5.0);
        counters.messages = 100;
        rates.update(start + Duration::from_secs(4), &counters);
        assert_eq!(rates.messages_per_sec, 0.0);
    }
}
