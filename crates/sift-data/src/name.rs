//! Symbol and interval from a file name, as data.binance.vision names its kline files.

use sift_core::{Interval, Symbol};

/// What a file name says about its candles; either part may be unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NameHints {
    pub(crate) symbol: Option<Symbol>,
    pub(crate) interval: Option<Interval>,
}

impl NameHints {
    /// Reads names shaped `SYMBOL-INTERVAL[-anything].{csv,zip}`, such as
    /// `BTCUSDT-1m-2025-01.csv` or `BTCUSDT-1m-2025-01-15.zip`, in any directory.
    ///
    /// Both parts are taken only when the second dash-separated part is an interval, so a name
    /// like `data.csv` does not pass for the symbol `DATA`. The interval is case-sensitive
    /// (`1m` vs `1M`); the symbol may be lower case.
    pub(crate) fn from_name(name: &str) -> Self {
        let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let stem = strip_extension(file);
        let mut parts = stem.split('-');
        let (Some(first), Some(second)) = (parts.next(), parts.next()) else {
            return Self::default();
        };
        match second.parse::<Interval>() {
            Ok(interval) => Self {
                symbol: first.parse().ok(),
                interval: Some(interval),
            },
            Err(_) => Self::default(),
        }
    }

    /// Each part from `self` when known, else from `other`.
    pub(crate) fn or(self, other: Self) -> Self {
        Self {
            symbol: self.symbol.or(other.symbol),
            interval: self.interval.or(other.interval),
        }
    }
}

/// `stem` without a trailing `.csv` or `.zip` (any case).
fn strip_extension(file: &str) -> &str {
    match file.rsplit_once('.') {
        Some((stem, ext)) if ext.eq_ignore_ascii_case("csv") || ext.eq_ignore_ascii_case("zip") => {
            stem
        }
        _ => file,
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case("BTCUSDT-1m-2025-01.csv", Some("BTCUSDT"), Some(Interval::M1))]
    #[case("BTCUSDT-1m-2025-01-15.zip", Some("BTCUSDT"), Some(Interval::M1))]
    #[case(
        "data/spot/monthly/ETHUSDT-1M-2024-02.ZIP",
        Some("ETHUSDT"),
        Some(Interval::Month1)
    )]
    #[case(r"C:\data\btcusdt-4h-2025-01.csv", Some("BTCUSDT"), Some(Interval::H4))]
    #[case("BTCUSDT-1h.csv", Some("BTCUSDT"), Some(Interval::H1))]
    #[case("BTCUSDT-1h", Some("BTCUSDT"), Some(Interval::H1))]
    #[case("top-500-1h.csv", None, None)]
    #[case("universe-1d.csv", Some("UNIVERSE"), Some(Interval::D1))]
    #[case("my_candles-15m.csv", None, Some(Interval::M15))]
    #[case("BTCUSDT-1H-2025-01.csv", None, None)]
    #[case("data.csv", None, None)]
    #[case("BTCUSDT.csv", None, None)]
    #[case("", None, None)]
    fn reads_names(
        #[case] name: &str,
        #[case] symbol: Option<&str>,
        #[case] interval: Option<Interval>,
    ) {
        let hints = NameHints::from_name(name);
        assert_eq!(hints.symbol.as_ref().map(Symbol::as_str), symbol);
        assert_eq!(hints.interval, interval);
    }

    #[test]
    fn or_prefers_self() {
        let zip = NameHints::from_name("BTCUSDT-1m-2025-01.zip");
        let inner = NameHints::from_name("ETHUSDT-1h-2025-01.csv");
        assert_eq!(zip.clone().or(inner.clone()), zip);
        assert_eq!(NameHints::default().or(inner.clone()), inner);
    }
}
