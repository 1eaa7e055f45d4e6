//! The names and profiles of the live market's symbols: familiar USDT pairs first, then
//! `SIM00042USDT`-style names.

use sift_core::Symbol;

use crate::market::Profile;

/// A pair of the live market: its name, base asset and, for the named ones, a profile.
#[derive(Debug, Clone)]
pub(crate) struct Listing {
    pub(crate) symbol: Symbol,
    pub(crate) base: String,
    /// `None`: a random price and volume, as [`crate::Market`] draws them.
    pub(crate) profile: Option<Profile>,
}

/// The quote asset of every pair.
pub(crate) const QUOTE_ASSET: &str = "USDT";

/// (base asset, first price, usual quote volume per minute, volatility multiplier).
///
/// The multipliers put a normal regime's daily volatility near the pair's real one (about 2 %
/// for BTC, 4 % for a mid cap; the unscaled walk's is 6 %).
///
/// Ordered roughly by volume, with a stablecoin (`USDC`, `FDUSD`) and leveraged tokens
/// (`BTCUP`, `BTCDOWN`) early in the list so that a small market already holds the pairs a
/// universe filter must drop, and `JUP` (which ends in `UP` but is no leveraged token) among
/// them.
const NAMED: [(&str, f64, f64, f64); 40] = [
    ("BTC", 65_000.0, 1_500_000.0, 0.4),
    ("ETH", 3_200.0, 800_000.0, 0.5),
    ("SOL", 150.0, 300_000.0, 0.7),
    ("BNB", 580.0, 120_000.0, 0.45),
    ("XRP", 0.55, 150_000.0, 0.6),
    ("USDC", 1.0, 400_000.0, 0.005),
    ("DOGE", 0.15, 100_000.0, 0.8),
    ("BTCUP", 30.0, 8_000.0, 1.2),
    ("ADA", 0.45, 40_000.0, 0.7),
    ("JUP", 1.0, 20_000.0, 0.9),
    ("BTCDOWN", 0.005, 6_000.0, 1.2),
    ("FDUSD", 1.0, 250_000.0, 0.005),
    ("TRX", 0.12, 25_000.0, 0.4),
    ("AVAX", 35.0, 40_000.0, 0.8),
    ("LINK", 15.0, 35_000.0, 0.75),
    ("DOT", 7.0, 20_000.0, 0.75),
    ("LTC", 80.0, 30_000.0, 0.6),
    ("BCH", 400.0, 25_000.0, 0.65),
    ("UNI", 8.0, 15_000.0, 0.8),
    ("ATOM", 8.0, 12_000.0, 0.75),
    ("NEAR", 5.0, 20_000.0, 0.85),
    ("APT", 9.0, 15_000.0, 0.85),
    ("ARB", 1.0, 18_000.0, 0.9),
    ("OP", 2.0, 15_000.0, 0.9),
    ("FIL", 5.0, 10_000.0, 0.8),
    ("INJ", 25.0, 12_000.0, 1.0),
    ("SUI", 1.2, 30_000.0, 1.0),
    ("SEI", 0.5, 10_000.0, 1.0),
    ("TIA", 8.0, 10_000.0, 1.0),
    ("PEPE", 0.000_012, 60_000.0, 1.1),
    ("SHIB", 0.000_02, 20_000.0, 0.9),
    ("WIF", 2.5, 30_000.0, 1.2),
    ("FET", 1.5, 15_000.0, 1.0),
    ("AAVE", 100.0, 12_000.0, 0.8),
    ("ETC", 25.0, 8_000.0, 0.7),
    ("HBAR", 0.08, 8_000.0, 0.75),
    ("ICP", 10.0, 6_000.0, 0.85),
    ("RUNE", 5.0, 7_000.0, 1.0),
    ("ALGO", 0.18, 5_000.0, 0.7),
    ("XLM", 0.11, 6_000.0, 0.6),
];

/// Pair `index`: a named one while the list lasts, then `SIM00040USDT`, `SIM00041USDT`, ...
///
/// # Panics
/// If `index` has more than 12 digits (the name would exceed 20 characters).
pub(crate) fn listing(index: usize) -> Listing {
    match NAMED.get(index) {
        Some(&(base, price, quote_per_minute, volatility)) => Listing {
            symbol: symbol(base),
            base: base.to_owned(),
            profile: Some(Profile {
                price,
                quote_per_minute,
                volatility,
            }),
        },
        None => {
            let base = format!("SIM{index:05}");
            Listing {
                symbol: symbol(&base),
                base,
                profile: None,
            }
        }
    }
}

fn symbol(base: &str) -> Symbol {
    Symbol::new(&format!("{base}{QUOTE_ASSET}")).expect("a valid symbol name")
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn names_are_distinct_and_valid() {
        let names: HashSet<Symbol> = (0..500).map(|i| listing(i).symbol).collect();
        assert_eq!(names.len(), 500);
        assert_eq!(listing(0).symbol.as_str(), "BTCUSDT");
        assert_eq!(listing(45).symbol.as_str(), "SIM00045USDT");
        assert_eq!(listing(45).base, "SIM00045");
        assert!((0..12).any(|i| listing(i).base == "BTCUP"));
        assert!((0..12).any(|i| listing(i).base == "USDC"));
    }
}
