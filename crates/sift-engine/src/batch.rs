//! What the engine is fed: the candles that closed at one instant.

use sift_core::{Candle, Interval, Symbol, Ticker};

/// Candles closing at one instant, for any symbols and intervals, plus any ticker updates
/// received since the previous batch.
///
/// A batch should hold every candle that closes at its instant (the 1m, 5m and 1h candles of
/// 10:59:59.999 together), so a 1m rule reading `close @ 1h` sees the 1h candle that closed at
/// the same instant. Candles with different close times may still be mixed: the engine then
/// processes them instant by instant, earliest first. Candles that are not `closed` are
/// ignored.
#[derive(Debug, Clone, Default)]
pub struct CloseBatch {
    pub candles: Vec<(Symbol, Interval, Candle)>,
    /// Latest 24 h statistics; applied before the candles, read by ticker values (`price`,
    /// `volume_24h`, ...).
    pub tickers: Vec<Ticker>,
}

impl CloseBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one candle.
    pub fn push(&mut self, symbol: Symbol, interval: Interval, candle: Candle) {
        self.candles.push((symbol, interval, candle));
    }

    /// Adds one candle, builder style.
    pub fn with(mut self, symbol: Symbol, interval: Interval, candle: Candle) -> Self {
        self.push(symbol, interval, candle);
        self
    }

    /// Whether it holds neither candles nor tickers.
    pub fn is_empty(&self) -> bool {
        self.candles.is_empty() && self.tickers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_up() {
        let symbol = Symbol::new("BTCUSDT").unwrap();
        let candle = Candle::ohlcv(0, 1.0, 1.0, 1.0, 1.0, 1.0);
        assert!(CloseBatch::new().is_empty());
        let batch = CloseBatch::new().with(symbol, Interval::M1, candle);
        assert_eq!(batch.candles.len(), 1);
        assert!(!batch.is_empty());
    }
}
