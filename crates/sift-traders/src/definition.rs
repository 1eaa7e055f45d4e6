//! The trader definition and its validation.

use serde::{Deserialize, Serialize};
use sift_core::{Interval, Symbol, Tier};
use sift_engine::SymbolFilter;
use sift_rules::{CheckOptions, Diagnostic, Program};

/// Longest trader name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;
/// Most tags per trader.
pub const MAX_TAGS: usize = 20;
/// Longest cooldown, in bars.
pub const MAX_COOLDOWN_BARS: u32 = 100_000;
/// Most symbols in an explicit list.
pub const MAX_SYMBOLS: usize = 2_000;

/// A trader as written in a file or sent to the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraderDef {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The candle close the trader runs on.
    pub interval: Interval,
    /// The rule, in Sift's rule language.
    pub rule: String,
    #[serde(default)]
    pub symbols: Symbols,
    /// After a signal, none for this many bars of `interval` on the same symbol.
    #[serde(default)]
    pub cooldown_bars: u32,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The lowest tier that may see a built-in trader and its signals; `None` for user traders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_tier: Option<Tier>,
}

fn enabled_by_default() -> bool {
    true
}

/// Which symbols a trader screens.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "SymbolsRepr", into = "SymbolsRepr")]
pub enum Symbols {
    /// Every watched symbol (`"all"`).
    #[default]
    All,
    /// These symbols (`["BTCUSDT", "ETHUSDT"]`).
    List(Vec<Symbol>),
    /// The `n` watched symbols with the highest 24 h quote volume (`{ top = 50 }`).
    Top(u32),
}

/// The three spellings of [`Symbols`] in files and JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum SymbolsRepr {
    Word(String),
    List(Vec<Symbol>),
    Top { top: u32 },
}

impl TryFrom<SymbolsRepr> for Symbols {
    type Error = String;

    fn try_from(repr: SymbolsRepr) -> Result<Self, String> {
        match repr {
            SymbolsRepr::Word(word) if word == "all" => Ok(Symbols::All),
            SymbolsRepr::Word(word) => Err(format!(
                "symbols: expected \"all\", a list of symbols or {{ top = N }}, found {word:?}"
            )),
            SymbolsRepr::List(list) => Ok(Symbols::List(list)),
            SymbolsRepr::Top { top } => Ok(Symbols::Top(top)),
        }
    }
}

impl From<Symbols> for SymbolsRepr {
    fn from(symbols: Symbols) -> Self {
        match symbols {
            Symbols::All => SymbolsRepr::Word("all".to_owned()),
            Symbols::List(list) => SymbolsRepr::List(list),
            Symbols::Top(top) => SymbolsRepr::Top { top },
        }
    }
}

impl Symbols {
    /// The engine's filter, given the watched symbols ranked by 24 h quote volume (highest
    /// first) for `Top`.
    pub fn filter(&self, ranked: &[Symbol]) -> SymbolFilter {
        match self {
            Symbols::All => SymbolFilter::All,
            Symbols::List(list) => SymbolFilter::List(list.clone()),
            Symbols::Top(n) => {
                SymbolFilter::List(ranked.iter().take(*n as usize).cloned().collect())
            }
        }
    }
}

impl TraderDef {
    /// Checks every setting except the rule; the message names the offending field.
    pub fn validate_settings(&self) -> Result<(), (&'static str, String)> {
        let name_chars = self.name.trim().chars().count();
        if name_chars == 0 || name_chars > MAX_NAME_CHARS {
            return Err((
                "name",
                format!("must have 1 to {MAX_NAME_CHARS} characters"),
            ));
        }
        if self.description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err((
                "description",
                format!("must have at most {MAX_DESCRIPTION_CHARS} characters"),
            ));
        }
        if self.cooldown_bars > MAX_COOLDOWN_BARS {
            return Err((
                "cooldown_bars",
                format!("must be at most {MAX_COOLDOWN_BARS}"),
            ));
        }
        if self.tags.len() > MAX_TAGS || self.tags.iter().any(|t| t.trim().is_empty()) {
            return Err(("tags", format!("at most {MAX_TAGS} non-empty tags")));
        }
        match &self.symbols {
            Symbols::List(list) if list.is_empty() || list.len() > MAX_SYMBOLS => Err((
                "symbols",
                format!("a list must hold 1 to {MAX_SYMBOLS} symbols"),
            )),
            Symbols::Top(0) => Err(("symbols", "top must be at least 1".to_owned())),
            _ => Ok(()),
        }
    }

    /// Checks the rule for this trader's interval.
    pub fn check_rule(&self) -> Result<Program, Vec<Diagnostic>> {
        sift_rules::check(&self.rule, &CheckOptions::new(self.interval))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(symbols: &str) -> Result<TraderDef, toml::de::Error> {
        toml::from_str(&format!(
            "name = \"t\"\ninterval = \"5m\"\nrule = \"close > open\"\n{symbols}"
        ))
    }

    #[test]
    fn symbols_have_three_spellings() {
        assert_eq!(def("").unwrap().symbols, Symbols::All);
        assert_eq!(def("symbols = \"all\"").unwrap().symbols, Symbols::All);
        assert_eq!(
            def("symbols = [\"btcusdt\", \"ETHUSDT\"]").unwrap().symbols,
            Symbols::List(vec!["BTCUSDT".parse().unwrap(), "ETHUSDT".parse().unwrap()])
        );
        assert_eq!(
            def("symbols = { top = 50 }").unwrap().symbols,
            Symbols::Top(50)
        );
        assert!(def("symbols = \"some\"").is_err());
        assert!(def("symbols = [\"BTC-USDT\"]").is_err());
    }

    #[test]
    fn defaults_and_json_round_trip() {
        let d = def("").unwrap();
        assert!(d.enabled);
        assert_eq!(d.cooldown_bars, 0);
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<TraderDef>(&json).unwrap(), d);
        let top = def("symbols = { top = 5 }").unwrap();
        let json = serde_json::to_value(&top).unwrap();
        assert_eq!(json["symbols"], serde_json::json!({ "top": 5 }));
    }

    #[test]
    fn settings_are_validated() {
        let mut d = def("").unwrap();
        assert!(d.validate_settings().is_ok());
        d.name = " ".into();
        assert_eq!(d.validate_settings().unwrap_err().0, "name");
        let d = def("symbols = { top = 0 }").unwrap();
        assert_eq!(d.validate_settings().unwrap_err().0, "symbols");
        let d = def("cooldown_bars = 100001").unwrap();
        assert_eq!(d.validate_settings().unwrap_err().0, "cooldown_bars");
    }

    #[test]
    fn top_takes_the_highest_ranked() {
        let ranked: Vec<Symbol> = ["AAAUSDT", "BBBUSDT", "CCCUSDT"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(
            Symbols::Top(2).filter(&ranked),
            SymbolFilter::List(ranked[..2].to_vec())
        );
        assert_eq!(Symbols::All.filter(&ranked), SymbolFilter::All);
    }
}
