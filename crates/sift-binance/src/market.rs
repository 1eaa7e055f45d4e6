//! Normalised exchange values that `sift-core` has no type for: a kline update with its stream
//! identity, and a listed pair with its trading status.

use std::fmt;

use sift_core::{Candle, Interval, Symbol};

/// One update of one candle from the kline stream: forming (`candle.closed == false`) or final.
///
/// Binance may send the final update more than once; the candle's open time is its identity.
#[derive(Debug, Clone, PartialEq)]
pub struct KlineUpdate {
    pub symbol: Symbol,
    pub interval: Interval,
    /// When Binance emitted the update, epoch milliseconds.
    pub event_time: i64,
    pub candle: Candle,
}

/// Whether and how a pair trades, from exchangeInfo's `status`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SymbolStatus {
    Trading,
    EndOfDay,
    Halt,
    Break,
    CancelOnly,
    /// A status this version does not know (Binance has added and retired some); kept verbatim
    /// and treated as not trading.
    Other(String),
}

impl SymbolStatus {
    /// Parses Binance's spelling (`TRADING`, `END_OF_DAY`, `HALT`, `BREAK`, `CANCEL_ONLY`).
    pub fn parse(text: &str) -> Self {
        match text {
            "TRADING" => Self::Trading,
            "END_OF_DAY" => Self::EndOfDay,
            "HALT" => Self::Halt,
            "BREAK" => Self::Break,
            "CANCEL_ONLY" => Self::CancelOnly,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Binance's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Trading => "TRADING",
            Self::EndOfDay => "END_OF_DAY",
            Self::Halt => "HALT",
            Self::Break => "BREAK",
            Self::CancelOnly => "CANCEL_ONLY",
            Self::Other(other) => other,
        }
    }

    /// Only `TRADING` pairs are evaluated.
    pub fn is_trading(&self) -> bool {
        *self == Self::Trading
    }
}

impl fmt::Display for SymbolStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One pair from exchangeInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolInfo {
    pub symbol: Symbol,
    pub status: SymbolStatus,
    pub base_asset: String,
    pub quote_asset: String,
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case("TRADING", SymbolStatus::Trading, true)]
    #[case("END_OF_DAY", SymbolStatus::EndOfDay, false)]
    #[case("HALT", SymbolStatus::Halt, false)]
    #[case("BREAK", SymbolStatus::Break, false)]
    #[case("CANCEL_ONLY", SymbolStatus::CancelOnly, false)]
    #[case("PRE_TRADING", SymbolStatus::Other("PRE_TRADING".to_owned()), false)]
    fn status_round_trips(#[case] text: &str, #[case] status: SymbolStatus, #[case] trading: bool) {
        let parsed = SymbolStatus::parse(text);
        assert_eq!(parsed, status);
        assert_eq!(parsed.to_string(), text);
        assert_eq!(parsed.is_trading(), trading);
    }
}
