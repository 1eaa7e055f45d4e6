//! Stream names (`btcusdt@kline_1m`, `btcusdt@miniTicker`, `!miniTicker@arr`) and the registry
//! of what clients are subscribed to.

use std::collections::BTreeMap;

use sift_core::{Interval, Symbol};

/// A stream the fake server produces data for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum StreamKey {
    Kline(Symbol, Interval),
    MiniTicker(Symbol),
    AllMiniTickers,
}

impl StreamKey {
    /// Parses a stream name as Binance spells it: symbols in lower case (an upper-case name is
    /// accepted by a subscription but, as on Binance, never delivers anything). `None` for a
    /// stream this server does not produce.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        if name == "!miniTicker@arr" {
            return Some(Self::AllMiniTickers);
        }
        let (symbol, kind) = name.split_once('@')?;
        if !symbol
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return None;
        }
        let symbol = Symbol::new(symbol).ok()?;
        match kind {
            "miniTicker" => Some(Self::MiniTicker(symbol)),
            _ => {
                let interval = kind.strip_prefix("kline_")?.parse().ok()?;
                Some(Self::Kline(symbol, interval))
            }
        }
    }

    /// The canonical name, as events are labelled on combined streams.
    pub(crate) fn name(&self) -> String {
        match self {
            Self::Kline(symbol, interval) => {
                format!("{}@kline_{interval}", symbol.as_str().to_ascii_lowercase())
            }
            Self::MiniTicker(symbol) => {
                format!("{}@miniTicker", symbol.as_str().to_ascii_lowercase())
            }
            Self::AllMiniTickers => "!miniTicker@arr".to_owned(),
        }
    }
}

/// How many connections subscribe to each stream; the market driver produces data for these
/// only, in this (deterministic) order.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    counts: BTreeMap<StreamKey, usize>,
}

impl Registry {
    pub(crate) fn add(&mut self, key: &StreamKey) {
        *self.counts.entry(key.clone()).or_default() += 1;
    }

    pub(crate) fn remove(&mut self, key: &StreamKey) {
        if let Some(count) = self.counts.get_mut(key) {
            *count -= 1;
            if *count == 0 {
                self.counts.remove(key);
            }
        }
    }

    pub(crate) fn keys(&self) -> Vec<StreamKey> {
        self.counts.keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_names() {
        for name in [
            "btcusdt@kline_1m",
            "ethusdt@kline_1M",
            "1000satsusdt@miniTicker",
            "!miniTicker@arr",
        ] {
            assert_eq!(StreamKey::parse(name).unwrap().name(), name);
        }
        for name in [
            "BTCUSDT@kline_1m",
            "btcusdt@kline_2m",
            "btcusdt@trade",
            "!ticker@arr",
            "btcusdt",
        ] {
            assert_eq!(StreamKey::parse(name), None, "{name}");
        }
    }

    #[test]
    fn counts_subscribers() {
        let mut registry = Registry::default();
        let key = StreamKey::AllMiniTickers;
        registry.add(&key);
        registry.add(&key);
        registry.remove(&key);
        assert_eq!(registry.keys(), std::slice::from_ref(&key));
        registry.remove(&key);
        assert!(registry.keys().is_empty());
    }
}
