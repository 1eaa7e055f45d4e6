//! Trading pair names.

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize, Serializer};

use crate::Error;

/// A validated trading pair name such as `BTCUSDT`.
///
/// Always 2 to 20 characters from `A-Z` and `0-9`. Parsing accepts lower case and normalises it to
/// upper case (Binance stream names are lower case, REST and file names upper case), so two
/// spellings of one pair compare equal. Ordered and hashed by the name, so maps keyed by symbol
/// iterate alphabetically when they are ordered.
///
/// The name is shared: a clone (every candle, match and signal carries its symbol) is a
/// reference count, not an allocation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct Symbol(Arc<str>);

impl Symbol {
    /// Shortest accepted name, in characters.
    pub const MIN_LEN: usize = 2;
    /// Longest accepted name, in characters.
    pub const MAX_LEN: usize = 20;

    /// Validates and normalises `name`; see [`Symbol`] for what is accepted.
    pub fn new(name: &str) -> Result<Self, Error> {
        if is_valid(name) {
            Ok(Self(name.to_ascii_uppercase().into()))
        } else {
            Err(Error::InvalidSymbol(name.to_owned()))
        }
    }

    /// The upper-case name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Length is counted in bytes, which equals characters once every byte is ASCII.
fn is_valid(name: &str) -> bool {
    (Symbol::MIN_LEN..=Symbol::MAX_LEN).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl FromStr for Symbol {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for Symbol {
    type Error = Error;

    fn try_from(mut name: String) -> Result<Self, Self::Error> {
        if is_valid(&name) {
            name.make_ascii_uppercase();
            Ok(Self(name.into()))
        } else {
            Err(Error::InvalidSymbol(name))
        }
    }
}

impl From<Symbol> for String {
    fn from(symbol: Symbol) -> Self {
        symbol.0.as_ref().to_owned()
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Symbol {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Lets maps keyed by [`Symbol`] be queried with a `&str` (which must already be upper case).
impl Borrow<str> for Symbol {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl Serialize for Symbol {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case("BTCUSDT", "BTCUSDT")]
    #[case("btcusdt", "BTCUSDT")]
    #[case("1000SatsUsdt", "1000SATSUSDT")]
    #[case("AB", "AB")]
    #[case("ABCDEFGHIJ0123456789", "ABCDEFGHIJ0123456789")]
    fn accepts_and_normalises(#[case] input: &str, #[case] expected: &str) {
        let symbol: Symbol = input.parse().unwrap();
        assert_eq!(symbol.as_str(), expected);
        assert_eq!(symbol.to_string(), expected);
        assert_eq!(Symbol::try_from(input.to_owned()).unwrap(), symbol);
    }

    #[rstest]
    #[case("")]
    #[case("A")]
    #[case("ABCDEFGHIJ01234567890")]
    #[case("BTC-USDT")]
    #[case("BTC USDT")]
    #[case("BTC_USDT")]
    #[case(" BTCUSDT")]
    #[case("BTCÜSDT")]
    fn rejects(#[case] input: &str) {
        assert_eq!(
            input.parse::<Symbol>(),
            Err(Error::InvalidSymbol(input.to_owned()))
        );
        assert_eq!(
            Symbol::try_from(input.to_owned()),
            Err(Error::InvalidSymbol(input.to_owned()))
        );
    }

    #[test]
    fn error_message_names_the_input() {
        let err = "x".parse::<Symbol>().unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"invalid symbol "x": expected 2 to 20 characters A-Z or 0-9"#
        );
    }

    #[test]
    fn serde_is_a_validated_string() {
        let symbol: Symbol = "ethusdt".parse().unwrap();
        assert_eq!(serde_json::to_string(&symbol).unwrap(), r#""ETHUSDT""#);
        let back: Symbol = serde_json::from_str(r#""ethusdt""#).unwrap();
        assert_eq!(back, symbol);
        assert!(serde_json::from_str::<Symbol>(r#""ETH/USDT""#).is_err());
        assert!(serde_json::from_str::<Symbol>("12").is_err());
    }

    #[test]
    fn orders_by_name_and_looks_up_by_str() {
        let mut symbols: Vec<Symbol> = ["ETHUSDT", "BTCUSDT", "ADAUSDT"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        symbols.sort();
        let names: Vec<&str> = symbols.iter().map(Symbol::as_str).collect();
        assert_eq!(names, ["ADAUSDT", "BTCUSDT", "ETHUSDT"]);

        let map: HashMap<Symbol, i32> = symbols.into_iter().zip(0..).collect();
        assert_eq!(map.get("BTCUSDT"), Some(&1));
    }
}
