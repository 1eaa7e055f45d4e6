//! The key schema, every key under a configurable prefix.

use sift_core::{Interval, Symbol};

/// Builds the keys of the schema (shown without the prefix):
///
/// | key | type | content |
/// |---|---|---|
/// | `klines:{SYMBOL}:{INTERVAL}` | sorted set | closed candles ([`codec`](crate::codec)), scored by close time, newest N kept (trimmed lazily: up to N + 15 between trims, readers return N) |
/// | `lastClosed:{SYMBOL}:{INTERVAL}` | string | the newest closed candle |
/// | `forming:{SYMBOL}:{INTERVAL}` | string | the latest forming candle; stale (ignored by readers) once `lastClosed` opens at or after it, until the next forming candle replaces it |
/// | `ticker:{SYMBOL}` | string, 60 s TTL | the latest ticker |
/// | `symbols` | set | symbols with at least one candle |
/// | `intervals:{SYMBOL}` | set | intervals of the symbol with at least one candle |
/// | `sift:mirror` | string | present while Redis holds what the mirror wrote (see [`RedisMirror`](crate::RedisMirror)) |
///
/// Intervals are spelled as Binance does (`1m`, `1h`, `1M`). The key builders append to a
/// caller's buffer so that a burst of 500 candles formats its 2000 keys without allocating.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    /// Keys under `prefix` (may be empty).
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    /// The prefix every key starts with.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn series(&self, out: &mut String, kind: &str, symbol: &Symbol, interval: Interval) {
        out.push_str(&self.prefix);
        out.push_str(kind);
        out.push_str(symbol.as_str());
        out.push(':');
        out.push_str(interval.as_str());
    }

    fn of_symbol(&self, out: &mut String, kind: &str, symbol: &Symbol) {
        out.push_str(&self.prefix);
        out.push_str(kind);
        out.push_str(symbol.as_str());
    }

    /// Appends `klines:{SYMBOL}:{INTERVAL}` to `out`.
    pub fn push_klines(&self, out: &mut String, symbol: &Symbol, interval: Interval) {
        self.series(out, "klines:", symbol, interval);
    }

    /// Appends `lastClosed:{SYMBOL}:{INTERVAL}` to `out`.
    pub fn push_last_closed(&self, out: &mut String, symbol: &Symbol, interval: Interval) {
        self.series(out, "lastClosed:", symbol, interval);
    }

    /// Appends `forming:{SYMBOL}:{INTERVAL}` to `out`.
    pub fn push_forming(&self, out: &mut String, symbol: &Symbol, interval: Interval) {
        self.series(out, "forming:", symbol, interval);
    }

    /// Appends `intervals:{SYMBOL}` to `out`.
    pub fn push_intervals(&self, out: &mut String, symbol: &Symbol) {
        self.of_symbol(out, "intervals:", symbol);
    }

    /// Appends `ticker:{SYMBOL}` to `out`.
    pub fn push_ticker(&self, out: &mut String, symbol: &Symbol) {
        self.of_symbol(out, "ticker:", symbol);
    }

    /// `klines:{SYMBOL}:{INTERVAL}`.
    pub fn klines(&self, symbol: &Symbol, interval: Interval) -> String {
        self.build(|k, out| k.push_klines(out, symbol, interval))
    }

    /// `lastClosed:{SYMBOL}:{INTERVAL}`.
    pub fn last_closed(&self, symbol: &Symbol, interval: Interval) -> String {
        self.build(|k, out| k.push_last_closed(out, symbol, interval))
    }

    /// `forming:{SYMBOL}:{INTERVAL}`.
    pub fn forming(&self, symbol: &Symbol, interval: Interval) -> String {
        self.build(|k, out| k.push_forming(out, symbol, interval))
    }

    /// `intervals:{SYMBOL}`.
    pub fn intervals(&self, symbol: &Symbol) -> String {
        self.build(|k, out| k.push_intervals(out, symbol))
    }

    /// `ticker:{SYMBOL}`.
    pub fn ticker(&self, symbol: &Symbol) -> String {
        self.build(|k, out| k.push_ticker(out, symbol))
    }

    /// `symbols`.
    pub fn symbols(&self) -> String {
        format!("{}symbols", self.prefix)
    }

    /// `sift:mirror`, the mirror's marker.
    pub fn mirror_marker(&self) -> String {
        format!("{}sift:mirror", self.prefix)
    }

    fn build(&self, f: impl FnOnce(&Self, &mut String)) -> String {
        let mut out = String::with_capacity(self.prefix.len() + 40);
        f(self, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_of_the_guide_under_a_prefix() {
        let btc = Symbol::new("BTCUSDT").unwrap();
        let bare = Keys::default();
        assert_eq!(bare.klines(&btc, Interval::M1), "klines:BTCUSDT:1m");
        assert_eq!(
            bare.last_closed(&btc, Interval::Month1),
            "lastClosed:BTCUSDT:1M"
        );
        assert_eq!(bare.ticker(&btc), "ticker:BTCUSDT");
        let keys = Keys::new("test:1f:");
        assert_eq!(
            keys.forming(&btc, Interval::H4),
            "test:1f:forming:BTCUSDT:4h"
        );
        assert_eq!(keys.intervals(&btc), "test:1f:intervals:BTCUSDT");
        assert_eq!(keys.symbols(), "test:1f:symbols");
        assert_eq!(keys.mirror_marker(), "test:1f:sift:mirror");
        let mut buf = String::from("x");
        keys.push_klines(&mut buf, &btc, Interval::D1);
        assert_eq!(buf, "xtest:1f:klines:BTCUSDT:1d");
    }
}
