//! The candles read from every file, by symbol and interval, and the series a replay feeds
//! the engine: as given, or aggregated from a finer interval.

use std::borrow::Cow;
use std::collections::BTreeMap;

use sift_core::{Candle, Interval, Symbol};
use sift_data::CandleSeries;

use crate::Error;
use crate::aggregate::{aggregate, nests};
use crate::time::format_time;

/// Every candle read, merged across files: monthly files of one symbol join into one series.
#[derive(Debug, Clone, Default)]
pub struct Market {
    /// Each series ordered by strictly increasing open time.
    series: BTreeMap<(Symbol, Interval), Vec<Candle>>,
}

/// Where a [`Feed`]'s candles come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A file gave this interval.
    Given,
    /// Built from the given `from` candles; `incomplete` spans inside the data lacked some
    /// `from` candles and were skipped (see [`Aggregate`](crate::aggregate::Aggregate)).
    Aggregated { from: Interval, incomplete: usize },
}

/// The candles of one symbol and interval that a replay feeds the engine.
#[derive(Debug, Clone)]
pub struct Feed<'a> {
    pub symbol: Symbol,
    pub interval: Interval,
    /// Oldest first, strictly increasing open times.
    pub candles: Cow<'a, [Candle]>,
    pub origin: Origin,
}

impl Market {
    /// A market without candles.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a series read from a file, merging it with candles of the same symbol and interval
    /// from other files. Overlapping files must agree: the same open time with different
    /// values is an error, the same candle twice is kept once.
    pub fn add(&mut self, series: CandleSeries) -> Result<(), Error> {
        let CandleSeries {
            symbol,
            interval,
            candles,
        } = series;
        let existing = self.series.entry((symbol.clone(), interval)).or_default();
        let follows = match (existing.last(), candles.first()) {
            (Some(last), Some(first)) => first.open_time > last.open_time,
            _ => true,
        };
        existing.extend(candles);
        if follows {
            return Ok(());
        }
        existing.sort_by_key(|c| c.open_time);
        let mut conflict = None;
        existing.dedup_by(|later, earlier| {
            let same_time = later.open_time == earlier.open_time;
            if same_time && later != earlier {
                conflict.get_or_insert(later.open_time);
            }
            same_time
        });
        match conflict {
            Some(open_time) => Err(Error::Conflict {
                symbol,
                interval,
                open_time: format_time(open_time),
            }),
            None => Ok(()),
        }
    }

    /// Every symbol, alphabetically.
    pub fn symbols(&self) -> Vec<Symbol> {
        let mut symbols: Vec<Symbol> = self.series.keys().map(|(s, _)| s.clone()).collect();
        symbols.dedup();
        symbols
    }

    /// Keeps only `symbols`; each must have candles.
    pub fn retain_symbols(&mut self, symbols: &[Symbol]) -> Result<(), Error> {
        if let Some(symbol) = symbols
            .iter()
            .find(|s| !self.series.keys().any(|(have, _)| have == *s))
        {
            return Err(Error::UnknownSymbol {
                symbol: symbol.clone(),
            });
        }
        self.series.retain(|(s, _), _| symbols.contains(s));
        Ok(())
    }

    /// The intervals given for `symbol`, shortest first.
    pub fn intervals(&self, symbol: &Symbol) -> Vec<Interval> {
        self.series
            .keys()
            .filter(|(s, _)| s == symbol)
            .map(|(_, i)| *i)
            .collect()
    }

    /// The given candles of `symbol` and `interval`.
    pub fn series(&self, symbol: &Symbol, interval: Interval) -> Option<&[Candle]> {
        self.series
            .get(&(symbol.clone(), interval))
            .map(Vec::as_slice)
    }

    /// Symbols by total quote volume of their finest given series, highest first (ties
    /// alphabetically): the ranking a `{ top = N }` trader selects from, standing in for the
    /// live 24 h ranking, which candle files cannot give.
    pub fn ranked_by_quote_volume(&self) -> Vec<Symbol> {
        let mut ranked: Vec<(Symbol, f64)> = self
            .symbols()
            .into_iter()
            .map(|symbol| {
                let finest = self.intervals(&symbol)[0];
                let volume = self
                    .series(&symbol, finest)
                    .map_or(0.0, |c| c.iter().map(|c| c.quote_volume).sum());
                (symbol, volume)
            })
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ranked.into_iter().map(|(s, _)| s).collect()
    }

    /// The `interval` candles of `symbol`: the given series, or else one aggregated from the
    /// finest given interval that nests in it (see [`crate::aggregate`]).
    ///
    /// # Errors
    /// [`Error::TooCoarse`] when every given interval is at least as long as `interval`,
    /// [`Error::NotAggregable`] when the finer ones do not nest in it, and
    /// [`Error::UnknownSymbol`] when the symbol has no candles.
    pub fn feed(&self, symbol: &Symbol, interval: Interval) -> Result<Feed<'_>, Error> {
        let feed = |candles, origin| Feed {
            symbol: symbol.clone(),
            interval,
            candles,
            origin,
        };
        if let Some(candles) = self.series(symbol, interval) {
            return Ok(feed(Cow::Borrowed(candles), Origin::Given));
        }
        let given = self.intervals(symbol);
        let Some(&finest) = given.first() else {
            return Err(Error::UnknownSymbol {
                symbol: symbol.clone(),
            });
        };
        if finest > interval {
            return Err(Error::TooCoarse {
                symbol: symbol.clone(),
                needed: interval,
                finest,
            });
        }
        let Some(from) = given.iter().copied().find(|&g| nests(g, interval)) else {
            let given: Vec<String> = given.iter().map(Interval::to_string).collect();
            return Err(Error::NotAggregable {
                symbol: symbol.clone(),
                needed: interval,
                given: given.join(", "),
            });
        };
        let fine = self.series(symbol, from).unwrap_or_default();
        let built = aggregate(from, fine, interval)
            .unwrap_or_else(|| unreachable!("{from} was chosen because it nests in {interval}"));
        let origin = Origin::Aggregated {
            from,
            incomplete: built.incomplete,
        };
        Ok(feed(Cow::Owned(built.candles), origin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;
    const T0: i64 = 1_735_689_600_000;

    fn sym(name: &str) -> Symbol {
        name.parse().unwrap()
    }

    fn candle(interval: Interval, open_time: i64, close: f64, quote_volume: f64) -> Candle {
        let mut c = Candle::ohlcv(open_time, close, close, close, close, 1.0);
        c.close_time = interval.close_time(open_time);
        c.quote_volume = quote_volume;
        c
    }

    fn series(symbol: &str, interval: Interval, opens: &[i64]) -> CandleSeries {
        let len = interval.nominal_duration_ms();
        CandleSeries {
            symbol: sym(symbol),
            interval,
            candles: opens
                .iter()
                .map(|&i| candle(interval, T0 + i * len, i as f64, 1.0))
                .collect(),
        }
    }

    #[test]
    fn files_of_one_series_merge_in_time_order() {
        let mut market = Market::new();
        market
            .add(series("BTCUSDT", Interval::M1, &[3, 4, 5]))
            .unwrap();
        market
            .add(series("BTCUSDT", Interval::M1, &[0, 1, 2, 3]))
            .unwrap();
        market.add(series("BTCUSDT", Interval::M1, &[6])).unwrap();
        let opens: Vec<i64> = market
            .series(&sym("BTCUSDT"), Interval::M1)
            .unwrap()
            .iter()
            .map(|c| (c.open_time - T0) / MINUTE)
            .collect();
        assert_eq!(opens, [0, 1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn overlapping_files_must_agree() {
        let mut market = Market::new();
        market
            .add(series("BTCUSDT", Interval::M1, &[0, 1]))
            .unwrap();
        let mut other = series("BTCUSDT", Interval::M1, &[1]);
        other.candles[0].close = 99.0;
        let err = market.add(other).unwrap_err();
        assert_eq!(
            err.to_string(),
            "BTCUSDT 1m: two files hold different candles opening at 2025-01-01T00:01:00Z"
        );
    }

    #[test]
    fn symbols_are_filtered_and_must_exist() {
        let mut market = Market::new();
        market.add(series("BTCUSDT", Interval::M1, &[0])).unwrap();
        market.add(series("ETHUSDT", Interval::M5, &[0])).unwrap();
        market.add(series("ETHUSDT", Interval::M1, &[0])).unwrap();
        assert_eq!(market.symbols(), [sym("BTCUSDT"), sym("ETHUSDT")]);
        assert_eq!(
            market.intervals(&sym("ETHUSDT")),
            [Interval::M1, Interval::M5]
        );
        let err = market.retain_symbols(&[sym("XRPUSDT")]).unwrap_err();
        assert!(matches!(err, Error::UnknownSymbol { .. }));
        market.retain_symbols(&[sym("ETHUSDT")]).unwrap();
        assert_eq!(market.symbols(), [sym("ETHUSDT")]);
    }

    #[test]
    fn ranks_by_quote_volume_of_the_finest_series() {
        let mut market = Market::new();
        market.add(series("AAAUSDT", Interval::M1, &[0])).unwrap();
        market
            .add(series("BBBUSDT", Interval::M1, &[0, 1]))
            .unwrap();
        market.add(series("CCCUSDT", Interval::M1, &[0])).unwrap();
        // The 5m series is not counted on top of the 1m one.
        market
            .add(series("AAAUSDT", Interval::M5, &[0, 1, 2]))
            .unwrap();
        assert_eq!(
            market.ranked_by_quote_volume(),
            [sym("BBBUSDT"), sym("AAAUSDT"), sym("CCCUSDT")]
        );
    }

    #[test]
    fn feeds_come_given_or_aggregated_from_the_finest_nesting_interval() {
        let mut market = Market::new();
        let btc = sym("BTCUSDT");
        market
            .add(series("BTCUSDT", Interval::M3, &[0, 1, 2, 3, 4]))
            .unwrap();
        market
            .add(series("BTCUSDT", Interval::M5, &[0, 1, 2]))
            .unwrap();
        let given = market.feed(&btc, Interval::M5).unwrap();
        assert_eq!((given.origin, given.candles.len()), (Origin::Given, 3));
        let built = market.feed(&btc, Interval::M15).unwrap();
        let from_3m = Origin::Aggregated {
            from: Interval::M3,
            incomplete: 0,
        };
        assert_eq!((built.origin, built.candles.len()), (from_3m, 1));
        let err = market.feed(&btc, Interval::M1).unwrap_err();
        assert!(
            matches!(
                err,
                Error::TooCoarse {
                    finest: Interval::M3,
                    ..
                }
            ),
            "{err}"
        );
        market.add(series("ETHUSDT", Interval::M3, &[0])).unwrap();
        let err = market.feed(&sym("ETHUSDT"), Interval::M5).unwrap_err();
        assert!(matches!(err, Error::NotAggregable { .. }), "{err}");
        let err = market.feed(&sym("XRPUSDT"), Interval::M5).unwrap_err();
        assert!(matches!(err, Error::UnknownSymbol { .. }), "{err}");
    }
}
