//! Which symbols the collector watches: a configured list, or the top N USDT pairs by 24 h
//! quote volume.
//!
//! # Top N
//! A pair is a candidate when its quote asset is `USDT`, its status is `TRADING`, and its base
//! asset is neither a leveraged token ([`is_leveraged_token`]) nor a stablecoin or fiat
//! ([`STABLECOINS`]). Candidates are ranked by the quote volume of their 24 h ticker (highest
//! first, ties by name; a pair without a ticker ranks last) and N are watched.
//!
//! Hysteresis keeps pairs near the cut line from flapping in and out at every refresh: a
//! watched pair counts as `margin` places higher than it ranks
//! ([`MarketConfig::top_margin`](crate::MarketConfig::top_margin), default N / 10 rounded
//! up). So a watched pair stays while it ranks above N + margin, unless pairs ranking more
//! than `margin` places above it fill the N places, and a new pair replaces a watched one only
//! by ranking more than `margin` places above it. A margin of 0 takes the first N.
//! A watched pair that leaves `TRADING` (`BREAK`, `HALT`, ...) but is still listed stays
//! watched as *halted* (its closes are not handed on) until it trades again, even if that
//! makes the universe briefly larger than N; a pair no longer listed is removed.
//!
//! # List
//! Every configured symbol that the exchange lists is watched, halted while not `TRADING`.
//! A configured symbol the exchange does not list is left out (and logged); when the listing
//! cannot be fetched, every configured symbol is watched as trading.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use sift_binance::SymbolInfo;
use sift_core::{Symbol, Ticker};

/// The quote asset of a top-N universe.
pub const QUOTE_ASSET: &str = "USDT";

/// Suffixes of Binance's leveraged tokens (`BTCUP`, `ETHDOWN`, `BNBBULL`, `XRPBEAR`).
pub const LEVERAGED_SUFFIXES: [&str; 4] = ["UP", "DOWN", "BULL", "BEAR"];

/// Real assets whose names end in a leveraged suffix after a prefix of three or more letters:
/// never taken for leveraged tokens.
pub const NOT_LEVERAGED: [&str; 1] = ["SYRUP"];

/// Base assets excluded from a top-N universe: USD and EUR stablecoins and fiat currencies,
/// whose USDT pairs barely move.
pub const STABLECOINS: [&str; 22] = [
    "USDC", "FDUSD", "TUSD", "BUSD", "DAI", "USDP", "PAX", "USDS", "USDE", "USD1", "PYUSD",
    "RLUSD", "BFUSD", "XUSD", "UST", "SUSD", "EUR", "EURI", "AEUR", "GBP", "AUD", "TRY",
];

/// Whether `base` is a leveraged token: it ends in UP, DOWN, BULL or BEAR after at least three
/// more characters, and is not one of [`NOT_LEVERAGED`].
///
/// Every leveraged token Binance listed had an underlying of three or more characters (`BTC`,
/// `ETH`, `LINK`, `1INCH`, ...), so `JUP` (J + UP) and a bare `BULL` are real assets and stay.
pub fn is_leveraged_token(base: &str) -> bool {
    if NOT_LEVERAGED.contains(&base) {
        return false;
    }
    LEVERAGED_SUFFIXES.iter().any(|suffix| {
        base.strip_suffix(suffix)
            .is_some_and(|underlying| underlying.len() >= 3)
    })
}

/// Whether `base` is a stablecoin or fiat currency ([`STABLECOINS`]).
pub fn is_stablecoin(base: &str) -> bool {
    STABLECOINS.contains(&base)
}

/// Whether a listed pair may be part of a top-N universe (whatever its status).
pub fn is_candidate(info: &SymbolInfo) -> bool {
    info.quote_asset == QUOTE_ASSET
        && !is_leveraged_token(&info.base_asset)
        && !is_stablecoin(&info.base_asset)
}

/// How the watched set changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UniverseChange {
    /// Newly watched (subscribed, backfilled).
    pub added: Vec<Symbol>,
    /// No longer watched (unsubscribed; their candles stay in the store).
    pub removed: Vec<Symbol>,
    /// Watched symbols that stopped trading (or were added while not trading): their closes
    /// are kept in the store but not handed on.
    pub halted: Vec<Symbol>,
    /// Watched symbols trading again: their closes are handed on again (the engine should
    /// re-warm them from the store, which stayed complete).
    pub resumed: Vec<Symbol>,
}

impl UniverseChange {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.halted.is_empty()
            && self.resumed.is_empty()
    }
}

/// Watched symbols and whether each is trading.
pub(crate) type Watched = BTreeMap<Symbol, bool>;

/// The top `n` candidates, current members counting `margin` places higher (see the module
/// documentation), plus current members that are listed but not trading (halted).
pub(crate) fn select_top(
    n: usize,
    margin: usize,
    listing: &[SymbolInfo],
    tickers: &[Ticker],
    current: &Watched,
) -> Watched {
    let volume: HashMap<&Symbol, f64> = tickers
        .iter()
        .map(|t| (&t.symbol, t.quote_volume))
        .collect();
    let mut ranked: Vec<(&Symbol, f64)> = listing
        .iter()
        .filter(|info| info.status.is_trading() && is_candidate(info))
        .map(|info| {
            (
                &info.symbol,
                volume.get(&info.symbol).copied().unwrap_or(-1.0),
            )
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    // (effective rank, not a member, rank): members first among equal effective ranks.
    let mut placed: Vec<(usize, bool, usize, &Symbol)> = ranked
        .iter()
        .enumerate()
        .map(|(rank, (symbol, _))| {
            let member = current.contains_key(*symbol);
            let effective = if member {
                rank.saturating_sub(margin)
            } else {
                rank
            };
            (effective, !member, rank, *symbol)
        })
        .collect();
    placed.sort_unstable();
    let mut watched: Watched = placed
        .into_iter()
        .take(n)
        .map(|(_, _, _, symbol)| (symbol.clone(), true))
        .collect();
    for info in listing {
        if !info.status.is_trading() && current.contains_key(&info.symbol) && is_candidate(info) {
            watched.insert(info.symbol.clone(), false);
        }
    }
    watched
}

/// The configured symbols that are listed, trading or not; all of them as trading when there
/// is no listing. Also returns the configured symbols the listing lacks.
pub(crate) fn select_list(
    symbols: &[Symbol],
    listing: Option<&[SymbolInfo]>,
) -> (Watched, Vec<Symbol>) {
    let Some(listing) = listing else {
        return (
            symbols.iter().map(|s| (s.clone(), true)).collect(),
            Vec::new(),
        );
    };
    let status: HashMap<&Symbol, bool> = listing
        .iter()
        .map(|info| (&info.symbol, info.status.is_trading()))
        .collect();
    let mut unknown = Vec::new();
    let mut watched = Watched::new();
    for symbol in symbols {
        match status.get(symbol) {
            Some(&trading) => {
                watched.insert(symbol.clone(), trading);
            }
            None => unknown.push(symbol.clone()),
        }
    }
    (watched, unknown)
}

/// What changed from `old` to `new`, each list sorted.
pub(crate) fn diff(old: &Watched, new: &Watched) -> UniverseChange {
    let mut change = UniverseChange::default();
    for (symbol, &trading) in new {
        match old.get(symbol) {
            None => {
                change.added.push(symbol.clone());
                if !trading {
                    change.halted.push(symbol.clone());
                }
            }
            Some(&was) if was && !trading => change.halted.push(symbol.clone()),
            Some(&was) if !was && trading => change.resumed.push(symbol.clone()),
            Some(_) => {}
        }
    }
    let kept: BTreeSet<&Symbol> = new.keys().collect();
    change.removed = old.keys().filter(|s| !kept.contains(s)).cloned().collect();
    change
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use sift_binance::SymbolStatus;

    use super::*;

    fn info(base: &str, quote: &str, status: SymbolStatus) -> SymbolInfo {
        SymbolInfo {
            symbol: Symbol::new(&format!("{base}{quote}")).unwrap(),
            status,
            base_asset: base.to_owned(),
            quote_asset: quote.to_owned(),
        }
    }

    fn ticker(symbol: &str, quote_volume: f64) -> Ticker {
        Ticker {
            symbol: Symbol::new(symbol).unwrap(),
            event_time: 0,
            last_price: 1.0,
            open_price: 1.0,
            high_price: 1.0,
            low_price: 1.0,
            volume: 1.0,
            quote_volume,
        }
    }

    fn names(watched: &Watched) -> Vec<(&str, bool)> {
        watched.iter().map(|(s, &t)| (s.as_str(), t)).collect()
    }

    #[rstest]
    #[case("BTCUP", true)]
    #[case("ETHDOWN", true)]
    #[case("BNBBULL", true)]
    #[case("XRPBEAR", true)]
    #[case("LINKUP", true)]
    #[case("1INCHDOWN", true)]
    #[case("JUP", false)]
    #[case("SYRUP", false)]
    #[case("UP", false)]
    #[case("BULL", false)]
    #[case("BTC", false)]
    #[case("SUPER", false)]
    fn leveraged_tokens(#[case] base: &str, #[case] leveraged: bool) {
        assert_eq!(is_leveraged_token(base), leveraged, "{base}");
    }

    #[test]
    fn top_n_ranks_trading_candidates_by_quote_volume() {
        use SymbolStatus::*;
        let listing = vec![
            info("BTC", "USDT", Trading),
            info("ETH", "USDT", Trading),
            info("JUP", "USDT", Trading),
            info("BTCUP", "USDT", Trading),
            info("USDC", "USDT", Trading),
            info("ETH", "BTC", Trading),
            info("SOL", "USDT", Break),
            info("ADA", "USDT", Trading),
        ];
        let tickers = vec![
            ticker("BTCUSDT", 900.0),
            ticker("ETHUSDT", 500.0),
            ticker("JUPUSDT", 700.0),
            ticker("BTCUPUSDT", 10_000.0),
            ticker("USDCUSDT", 10_000.0),
            ticker("ETHBTC", 10_000.0),
            ticker("SOLUSDT", 10_000.0),
        ];
        let top = select_top(3, 0, &listing, &tickers, &Watched::new());
        assert_eq!(
            names(&top),
            [("BTCUSDT", true), ("ETHUSDT", true), ("JUPUSDT", true)]
        );
        // SOL was watched and went to BREAK: kept, halted.
        let current: Watched = [(Symbol::new("SOLUSDT").unwrap(), true)].into();
        let top = select_top(1, 0, &listing, &tickers, &current);
        assert_eq!(names(&top), [("BTCUSDT", true), ("SOLUSDT", false)]);
        // No ticker ranks last.
        let top = select_top(4, 0, &listing, &tickers, &Watched::new());
        assert!(top.contains_key("ADAUSDT"));
    }

    #[test]
    fn top_n_members_near_the_cut_line_do_not_flap() {
        let listing: Vec<SymbolInfo> = ["AAA", "BBB", "CCC", "DDD", "XXX"]
            .iter()
            .map(|b| info(b, "USDT", SymbolStatus::Trading))
            .collect();
        // Tickers whose quote volumes rank the bases in `order`, highest first.
        let ranked = |order: &[&str]| -> Vec<Ticker> {
            order
                .iter()
                .enumerate()
                .map(|(k, b)| ticker(&format!("{b}USDT"), 1000.0 - k as f64))
                .collect()
        };
        let refresh = |current: &Watched, order: &[&str], margin: usize| {
            select_top(2, margin, &listing, &ranked(order), current)
        };
        let bases = |w: &Watched| -> Vec<String> {
            w.keys()
                .map(|s| s.as_str().trim_end_matches("USDT").to_owned())
                .collect()
        };
        let start = refresh(&Watched::new(), &["AAA", "BBB", "CCC"], 1);
        assert_eq!(bases(&start), ["AAA", "BBB"]);
        // BBB and CCC swap places at the cut, back and forth: without a margin the universe
        // flaps at every refresh, with one it stays.
        let swapped = ["AAA", "CCC", "BBB"];
        assert_eq!(bases(&refresh(&start, &swapped, 0)), ["AAA", "CCC"]);
        let kept = refresh(&start, &swapped, 1);
        assert_eq!(bases(&kept), ["AAA", "BBB"]);
        assert_eq!(refresh(&kept, &["AAA", "BBB", "CCC"], 1), kept);
        // BBB falls to rank N + margin: replaced by the best non-member.
        let fallen = refresh(&kept, &["AAA", "CCC", "DDD", "BBB"], 1);
        assert_eq!(bases(&fallen), ["AAA", "CCC"]);
        // A newcomer more than `margin` places above a member takes its place at once.
        let newcomer = refresh(&fallen, &["XXX", "DDD", "AAA", "CCC"], 1);
        assert_eq!(bases(&newcomer), ["AAA", "XXX"]);
        assert!(newcomer.values().all(|&trading| trading));
    }

    #[test]
    fn list_keeps_listed_symbols_with_their_status() {
        let listing = vec![
            info("BTC", "USDT", SymbolStatus::Trading),
            info("ETH", "USDT", SymbolStatus::Halt),
        ];
        let wanted: Vec<Symbol> = ["BTCUSDT", "ETHUSDT", "NOPEUSDT"]
            .iter()
            .map(|s| Symbol::new(s).unwrap())
            .collect();
        let (watched, unknown) = select_list(&wanted, Some(&listing));
        assert_eq!(names(&watched), [("BTCUSDT", true), ("ETHUSDT", false)]);
        assert_eq!(unknown, [Symbol::new("NOPEUSDT").unwrap()]);
        let (watched, _) = select_list(&wanted, None);
        assert_eq!(watched.len(), 3);
    }

    #[test]
    fn diff_reports_every_kind_of_change() {
        let s = |n: &str| Symbol::new(n).unwrap();
        let old: Watched = [(s("AAA"), true), (s("BBB"), true), (s("CCC"), false)].into();
        let new: Watched = [(s("BBB"), false), (s("CCC"), true), (s("DDD"), false)].into();
        let change = diff(&old, &new);
        assert_eq!(change.added, [s("DDD")]);
        assert_eq!(change.removed, [s("AAA")]);
        assert_eq!(change.halted, [s("BBB"), s("DDD")]);
        assert_eq!(change.resumed, [s("CCC")]);
        assert!(diff(&new, &new).is_empty());
    }
}
