//! One kline: the unit of market data everything downstream consumes.

use serde::{Deserialize, Serialize};

/// One candle (kline) of one symbol and interval.
///
/// Identity is the open time: Binance may send the final update of a candle more than once.
/// Prices and volumes are `f64`; Binance's decimal strings are parsed at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Candle {
    /// Open time, UTC epoch milliseconds.
    pub open_time: i64,
    /// Close time, UTC epoch milliseconds: the next candle's open time minus one millisecond.
    pub close_time: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    /// Base-asset volume.
    pub volume: f64,
    /// Quote-asset volume.
    pub quote_volume: f64,
    /// Number of trades.
    pub trades: u64,
    /// Taker-buy base-asset volume.
    pub taker_buy_volume: f64,
    /// Taker-buy quote-asset volume.
    pub taker_buy_quote_volume: f64,
    /// `true` once the candle is final; `false` while it is still forming.
    pub closed: bool,
}

impl Candle {
    /// A closed candle from OHLCV values alone, for tests, examples and synthetic data.
    ///
    /// The other volumes and the trade count are zero, and **the close time equals the open
    /// time** (no interval is known here), unlike real candles whose close time is the next open
    /// time minus one millisecond. Set `close_time` yourself where it matters.
    pub fn ohlcv(open_time: i64, open: f64, high: f64, low: f64, close: f64, volume: f64) -> Self {
        Self {
            open_time,
            close_time: open_time,
            open,
            high,
            low,
            close,
            volume,
            quote_volume: 0.0,
            trades: 0,
            taker_buy_volume: 0.0,
            taker_buy_quote_volume: 0.0,
            closed: true,
        }
    }

    /// (high + low) / 2.
    pub fn hl2(&self) -> f64 {
        (self.high + self.low) / 2.0
    }

    /// (high + low + close) / 3, the typical price.
    pub fn hlc3(&self) -> f64 {
        (self.high + self.low + self.close) / 3.0
    }

    /// (open + high + low + close) / 4.
    pub fn ohlc4(&self) -> f64 {
        (self.open + self.high + self.low + self.close) / 4.0
    }
}
