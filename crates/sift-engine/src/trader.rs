//! Traders: a checked rule plus the settings that say where and how often it may fire.

use std::fmt;
use std::sync::Arc;

use sift_core::{Interval, Symbol};
use sift_rules::program::Program;

/// Identifies a trader. Matches are ordered by it, so callers pick ids in the order they want
/// signals listed (a backtest numbers its traders in file order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TraderId(pub u64);

impl fmt::Display for TraderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Which symbols a trader screens.
///
/// Dynamic selections such as "the top 50 by 24 h quote volume" are resolved by the caller into
/// a [`SymbolFilter::List`] and re-set when they change: the engine reads no market-wide state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SymbolFilter {
    /// Every symbol the engine receives candles for.
    All,
    /// Only these symbols.
    List(Vec<Symbol>),
}

impl SymbolFilter {
    /// Whether the trader screens `symbol`.
    pub fn contains(&self, symbol: &Symbol) -> bool {
        match self {
            SymbolFilter::All => true,
            SymbolFilter::List(list) => list.contains(symbol),
        }
    }
}

/// One screening rule with its settings.
///
/// Build with [`Trader::new`], then adjust the public fields (or use the `with_*` helpers).
#[derive(Debug, Clone)]
pub struct Trader {
    pub id: TraderId,
    pub name: String,
    /// The candle close it runs on; must equal the program's interval.
    pub interval: Interval,
    pub program: Arc<Program>,
    /// [`rule_hash`] of the rule text, carried by every match for audit. Two traders whose
    /// rules hash alike but whose programs differ are not confused: signal state is kept per
    /// trader id and hash.
    pub rule_hash: u64,
    pub symbols: SymbolFilter,
    /// After a signal, no other signal of this trader and symbol for this many bars of the
    /// trader's interval (0: only the edge trigger applies).
    pub cooldown_bars: u32,
    /// A disabled trader is not evaluated and holds no state.
    pub enabled: bool,
}

impl Trader {
    /// An enabled trader on every symbol, without cooldown, running on the program's interval,
    /// with the hash of the program's source text.
    pub fn new(id: TraderId, name: impl Into<String>, program: Arc<Program>) -> Self {
        Self {
            id,
            name: name.into(),
            interval: program.interval,
            rule_hash: rule_hash(&program.source),
            program,
            symbols: SymbolFilter::All,
            cooldown_bars: 0,
            enabled: true,
        }
    }

    /// The same trader screening only `symbols`.
    pub fn with_symbols(self, symbols: SymbolFilter) -> Self {
        Self { symbols, ..self }
    }

    /// The same trader with a cooldown.
    pub fn with_cooldown(self, cooldown_bars: u32) -> Self {
        Self {
            cooldown_bars,
            ..self
        }
    }

    /// The same trader, enabled or not.
    pub fn with_enabled(self, enabled: bool) -> Self {
        Self { enabled, ..self }
    }
}

/// A stable 64-bit hash of a rule's text: FNV-1a over its UTF-8 bytes.
///
/// Stable across platforms, builds and Rust versions (unlike `std`'s hashers), so a hash stored
/// with a signal can be recomputed from the trader's rule later.
pub fn rule_hash(text: &str) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    text.bytes().fold(OFFSET, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_hash_is_fnv1a() {
        // Reference values of FNV-1a 64.
        assert_eq!(rule_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(rule_hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(rule_hash("rsi(14) < 30"), rule_hash("rsi(14) < 31"));
    }

    #[test]
    fn symbol_filters() {
        let btc = Symbol::new("BTCUSDT").unwrap();
        let eth = Symbol::new("ETHUSDT").unwrap();
        assert!(SymbolFilter::All.contains(&btc));
        let list = SymbolFilter::List(vec![eth.clone()]);
        assert!(list.contains(&eth));
        assert!(!list.contains(&btc));
    }
}
