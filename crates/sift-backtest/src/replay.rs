//! The replay: candles in time order through one engine, signals out with forward returns.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use sift_core::{Interval, Symbol};
use sift_engine::{CloseBatch, Engine, EngineConfig, Match, MatchValues, SignalMode, Trader};

use crate::Error;
use crate::forward::forward_returns;
use crate::market::{Feed, Market};
use crate::summary::Summary;

/// How to replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Edge-triggered live signals, or every close where a rule holds.
    pub mode: SignalMode,
    /// Report signals on candles opening at or after this time (epoch ms).
    pub from: Option<i64>,
    /// Report signals on candles opening at or before this time (epoch ms).
    pub to: Option<i64>,
    /// Forward return horizons in bars of each trader's interval, distinct, each 1 to
    /// [`MAX_HORIZON`](crate::forward::MAX_HORIZON); [`Backtest::new`] rejects others.
    pub horizons: Vec<u32>,
}

impl Default for Options {
    /// Edge mode, the whole data, horizons 1, 5, 10 and 20.
    fn default() -> Self {
        Self {
            mode: SignalMode::Edge,
            from: None,
            to: None,
            horizons: vec![1, 5, 10, 20],
        }
    }
}

/// One reported signal.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    /// Index of the trader in [`Backtest::traders`].
    pub trader: usize,
    pub symbol: Symbol,
    /// The trader's interval.
    pub interval: Interval,
    /// Open time of the candle whose close signalled, epoch ms.
    pub open_time: i64,
    /// Its close price.
    pub close: f64,
    /// Return in percent after each horizon of [`Options::horizons`]; `None` where the data
    /// ends first (see [`forward_returns`]).
    pub forward: Vec<Option<f64>>,
    /// The values the rule referenced at that bar ([`Match::values`]).
    pub values: MatchValues,
}

/// A prepared backtest: the traders in one engine and the candle series it will be fed.
///
/// Every candle of every fed series goes through [`Engine::process`] in time order, the
/// candles of all symbols and intervals that close at one instant in one batch, exactly as
/// live closes arrive; the engine's state builds up from the first candle on (candles before
/// [`Options::from`] warm indicators and edge state up but report nothing). The replay stops
/// once no candle opening by [`Options::to`] remains; forward returns still read later
/// candles.
#[derive(Debug)]
pub struct Backtest<'a> {
    engine: Engine,
    names: Vec<String>,
    feeds: Vec<Feed<'a>>,
    /// Feed index by (symbol, interval).
    index: HashMap<(Symbol, Interval), usize>,
    options: Options,
}

impl<'a> Backtest<'a> {
    /// Compiles the enabled `traders` (in the order given: their signals are listed in it at
    /// each instant) into one shared plan and prepares, for every symbol of `market` that a
    /// trader screens, the series of every interval those traders' rules use: the given
    /// candles, or candles aggregated from a finer given interval.
    ///
    /// # Errors
    /// No enabled trader or no screened symbol ([`Error::Nothing`]), a rule needing an
    /// interval that cannot be had from the files ([`Error::Trader`] naming the first such
    /// trader, around [`Error::TooCoarse`] or [`Error::NotAggregable`]), or a trader the engine
    /// rejects.
    pub fn new(market: &'a Market, traders: Vec<Trader>, options: Options) -> Result<Self, Error> {
        for (i, &horizon) in options.horizons.iter().enumerate() {
            let max = crate::forward::MAX_HORIZON;
            if horizon == 0 || horizon > max || options.horizons[..i].contains(&horizon) {
                return Err(Error::Horizon { horizon, max });
            }
        }
        let traders: Vec<Trader> = traders.into_iter().filter(|t| t.enabled).collect();
        if traders.is_empty() {
            return Err(Error::Nothing("no enabled trader"));
        }
        let mut feeds = Vec::new();
        for symbol in market.symbols() {
            let mut needed: Vec<Interval> = traders
                .iter()
                .filter(|t| t.symbols.contains(&symbol))
                .flat_map(|t| t.program.timeframes.iter().copied())
                .collect();
            needed.sort_unstable();
            needed.dedup();
            for interval in needed {
                let feed = market.feed(&symbol, interval).map_err(|error| {
                    let needs = |t: &&Trader| {
                        t.symbols.contains(&symbol) && t.program.timeframes.contains(&interval)
                    };
                    Error::Trader {
                        trader: traders
                            .iter()
                            .find(needs)
                            .map(|t| t.name.clone())
                            .unwrap_or_default(),
                        error: Box::new(error),
                    }
                })?;
                feeds.push(feed);
            }
        }
        if feeds.is_empty() {
            return Err(Error::Nothing(
                "no trader screens a symbol of the candle files",
            ));
        }
        let names = traders.iter().map(|t| t.name.clone()).collect();
        let traders = traders
            .into_iter()
            .enumerate()
            .map(|(i, t)| Trader {
                id: sift_engine::TraderId(i as u64),
                ..t
            })
            .collect();
        let mut engine = Engine::new(EngineConfig {
            // Indicators are never re-planned during a replay, so no history is kept for
            // warming them.
            candle_capacity: 1,
            mode: options.mode,
            ..EngineConfig::default()
        });
        engine.set_traders(traders)?;
        let index = feeds
            .iter()
            .enumerate()
            .map(|(i, f)| ((f.symbol.clone(), f.interval), i))
            .collect();
        Ok(Self {
            engine,
            names,
            feeds,
            index,
            options,
        })
    }

    /// The names of the enabled traders, indexed by [`Signal::trader`].
    pub fn traders(&self) -> &[String] {
        &self.names
    }

    /// The series that will be fed, by symbol then interval.
    pub fn feeds(&self) -> &[Feed<'a>] {
        &self.feeds
    }

    /// Replays every candle, handing each signal in the window to `sink` in order (close
    /// time, then trader, then symbol), and returns the summary.
    ///
    /// # Errors
    /// The first error of `sink`, which stops the replay.
    pub fn run<E>(mut self, mut sink: impl FnMut(&Signal) -> Result<(), E>) -> Result<Summary, E> {
        let mut summary = Summary::new(&self.names, &self.options.horizons);
        let last_close = self.last_close();
        let mut cursors = vec![0usize; self.feeds.len()];
        let mut next: BinaryHeap<Reverse<(i64, usize)>> = self
            .feeds
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.candles.first().map(|c| Reverse((c.close_time, i))))
            .collect();
        while let Some(&Reverse((instant, _))) = next.peek() {
            if instant > last_close {
                break;
            }
            let mut batch = CloseBatch::new();
            while let Some(&Reverse((close_time, i))) = next.peek() {
                if close_time != instant {
                    break;
                }
                next.pop();
                let feed = &self.feeds[i];
                batch.push(feed.symbol.clone(), feed.interval, feed.candles[cursors[i]]);
                cursors[i] += 1;
                if let Some(c) = feed.candles.get(cursors[i]) {
                    next.push(Reverse((c.close_time, i)));
                }
            }
            for m in self.engine.process(&batch) {
                if let Some(signal) = self.signal(m) {
                    summary.add(&signal);
                    sink(&signal)?;
                }
            }
        }
        Ok(summary)
    }

    /// Replaying past this close time cannot report a signal: every trader candle opening by
    /// [`Options::to`] has closed (a month and one more candle of the longest trader interval
    /// cover shifted candles too).
    fn last_close(&self) -> i64 {
        let Some(to) = self.options.to else {
            return i64::MAX;
        };
        self.feeds
            .iter()
            .map(|f| {
                f.interval
                    .next_open(to)
                    .saturating_add(f.interval.nominal_duration_ms())
            })
            .max()
            .unwrap_or(i64::MAX)
    }

    /// The signal of a match in the window, with its forward returns.
    fn signal(&self, m: Match) -> Option<Signal> {
        let in_window = self.options.from.is_none_or(|from| m.open_time >= from)
            && self.options.to.is_none_or(|to| m.open_time <= to);
        if !in_window {
            return None;
        }
        let feed = &self.feeds[*self.index.get(&(m.symbol.clone(), m.interval))?];
        let at = feed
            .candles
            .binary_search_by_key(&m.open_time, |c| c.open_time)
            .ok()?;
        Some(Signal {
            trader: usize::try_from(m.trader.0).ok()?,
            forward: forward_returns(m.interval, &feed.candles, at, &self.options.horizons),
            symbol: m.symbol,
            interval: m.interval,
            open_time: m.open_time,
            close: m.close,
            values: m.values,
        })
    }
}

#[cfg(test)]
mod tests {
    use sift_core::Candle;
    use sift_data::CandleSeries;
    use sift_rules::CheckOptions;
    use std::sync::Arc;

    use super::*;

    const MINUTE: i64 = 60_000;
    /// 2025-01-01T00:00:00Z.
    const T0: i64 = 1_735_689_600_000;

    fn trader(name: &str, interval: Interval, rule: &str) -> Trader {
        let program = sift_rules::check(rule, &CheckOptions::new(interval)).unwrap();
        Trader::new(sift_engine::TraderId(99), name, Arc::new(program))
    }

    /// 1m candles from `T0` with these closes; each opens at the previous close.
    fn minutes(symbol: &str, closes: &[f64]) -> CandleSeries {
        let candles = closes
            .iter()
            .enumerate()
            .map(|(i, &close)| {
                let open = if i == 0 { close } else { closes[i - 1] };
                let open_time = T0 + i as i64 * MINUTE;
                let mut c = Candle::ohlcv(
                    open_time,
                    open,
                    open.max(close),
                    open.min(close),
                    close,
                    1.0,
                );
                c.close_time = open_time + MINUTE - 1;
                c
            })
            .collect();
        CandleSeries {
            symbol: symbol.parse().unwrap(),
            interval: Interval::M1,
            candles,
        }
    }

    fn market(series: Vec<CandleSeries>) -> Market {
        let mut market = Market::new();
        for s in series {
            market.add(s).unwrap();
        }
        market
    }

    /// (trader, symbol, minute of the open time) of every signal.
    fn run(market: &Market, traders: Vec<Trader>, options: Options) -> Vec<(usize, String, i64)> {
        let mut out = Vec::new();
        Backtest::new(market, traders, options)
            .unwrap()
            .run(|s| {
                out.push((s.trader, s.symbol.to_string(), (s.open_time - T0) / MINUTE));
                Ok::<(), ()>(())
            })
            .unwrap();
        out
    }

    const CLOSES: [f64; 8] = [10.0, 11.0, 12.0, 11.0, 12.0, 13.0, 14.0, 13.0];

    #[test]
    fn edge_reports_turns_and_level_every_bar() {
        let market = market(vec![minutes("BTCUSDT", &CLOSES)]);
        let up = || vec![trader("up", Interval::M1, "close > open")];
        let edge = run(&market, up(), Options::default());
        let minutes: Vec<i64> = edge.iter().map(|s| s.2).collect();
        assert_eq!(minutes, [1, 4]);
        let level = Options {
            mode: SignalMode::Level,
            ..Options::default()
        };
        let minutes: Vec<i64> = run(&market, up(), level).iter().map(|s| s.2).collect();
        assert_eq!(minutes, [1, 2, 4, 5, 6]);
    }

    #[test]
    fn the_window_limits_reports_not_warm_up() {
        let market = market(vec![minutes("BTCUSDT", &CLOSES)]);
        let options = Options {
            mode: SignalMode::Level,
            from: Some(T0 + 2 * MINUTE),
            to: Some(T0 + 5 * MINUTE),
            ..Options::default()
        };
        // `close > close[2]` needs two earlier bars: defined at minute 2 thanks to warm-up.
        let traders = vec![trader("t", Interval::M1, "close > close[2]")];
        let minutes: Vec<i64> = run(&market, traders, options).iter().map(|s| s.2).collect();
        assert_eq!(minutes, [2, 5]);
    }

    #[test]
    fn signals_are_ordered_by_time_trader_and_symbol_with_forward_returns() {
        let market = market(vec![
            minutes("ETHUSDT", &CLOSES),
            minutes("BTCUSDT", &CLOSES),
        ]);
        let traders = vec![
            trader("b", Interval::M1, "close > 11.5"),
            trader("a", Interval::M1, "close < 11.5 and close > 10"),
        ];
        let options = Options {
            horizons: vec![1, 6, 7],
            ..Options::default()
        };
        let got = run(&market, traders.clone(), options.clone());
        let want: Vec<(usize, String, i64)> = [
            (1, "BTCUSDT", 1),
            (1, "ETHUSDT", 1),
            (0, "BTCUSDT", 2),
            (0, "ETHUSDT", 2),
            (1, "BTCUSDT", 3),
            (1, "ETHUSDT", 3),
            (0, "BTCUSDT", 4),
            (0, "ETHUSDT", 4),
        ]
        .into_iter()
        .map(|(t, s, m)| (t, s.to_owned(), m))
        .collect();
        assert_eq!(got, want);
        let mut forward = Vec::new();
        let backtest = Backtest::new(&market, traders, options).unwrap();
        assert_eq!(backtest.traders(), ["b", "a"]);
        let summary = backtest
            .run(|s| {
                forward.push(s.forward.clone());
                Ok::<(), ()>(())
            })
            .unwrap();
        // Minute 1 (close 11): +1 bar 12, +6 bars 13 at minute 7, +7 bars beyond the data.
        let ret = |from: f64, to: f64| Some((to - from) / from * 100.0);
        assert_eq!(forward[0], [ret(11.0, 12.0), ret(11.0, 13.0), None]);
        assert_eq!(summary.traders[1].signals, 4);
        assert_eq!(summary.traders[0].horizons[0].count, 4);
        // Signals at minutes 2 and 4 have no close 6 bars later.
        assert_eq!(summary.traders[0].horizons[1].count, 0);
    }

    #[test]
    fn higher_intervals_are_aggregated_and_equal_given_ones() {
        let closes: Vec<f64> = (0..60).map(|i| 100.0 + f64::from((i * 7) % 11)).collect();
        let fine = minutes("BTCUSDT", &closes);
        let built = crate::aggregate::aggregate(Interval::M1, &fine.candles, Interval::M5).unwrap();
        let given = CandleSeries {
            symbol: fine.symbol.clone(),
            interval: Interval::M5,
            candles: built.candles,
        };
        let rule = "close > sma(3) @ 5m and close @ 5m > open @ 5m";
        let traders = || vec![trader("mtf", Interval::M1, rule)];
        let alone = market(vec![fine.clone()]);
        let both = market(vec![fine, given]);
        let from_1m = run(&alone, traders(), Options::default());
        assert!(!from_1m.is_empty());
        assert_eq!(from_1m, run(&both, traders(), Options::default()));
        let feeds = Backtest::new(&alone, traders(), Options::default()).unwrap();
        let origins: Vec<_> = feeds
            .feeds()
            .iter()
            .map(|f| (f.interval, f.origin))
            .collect();
        let aggregated = crate::market::Origin::Aggregated {
            from: Interval::M1,
            incomplete: 0,
        };
        assert_eq!(
            origins,
            [
                (Interval::M1, crate::market::Origin::Given),
                (Interval::M5, aggregated)
            ]
        );
    }

    #[test]
    fn symbol_filters_and_disabled_traders_decide_what_is_fed() {
        let market = market(vec![
            minutes("BTCUSDT", &CLOSES),
            minutes("ETHUSDT", &CLOSES),
        ]);
        let eth = sift_engine::SymbolFilter::List(vec!["ETHUSDT".parse().unwrap()]);
        let traders = vec![
            trader("eth", Interval::M5, "close > 0").with_symbols(eth),
            trader("off", Interval::M1, "close > 0").with_enabled(false),
        ];
        let backtest = Backtest::new(&market, traders, Options::default()).unwrap();
        let feeds: Vec<_> = backtest
            .feeds()
            .iter()
            .map(|f| (f.symbol.to_string(), f.interval))
            .collect();
        assert_eq!(feeds, [("ETHUSDT".to_owned(), Interval::M5)]);
        assert_eq!(backtest.traders(), ["eth"]);
    }

    #[test]
    fn horizons_must_be_distinct_and_in_range() {
        let market = market(vec![minutes("BTCUSDT", &CLOSES)]);
        for horizons in [vec![0], vec![5, 5], vec![crate::forward::MAX_HORIZON + 1]] {
            let traders = vec![trader("t", Interval::M1, "close > 0")];
            let options = Options {
                horizons,
                ..Options::default()
            };
            let err = Backtest::new(&market, traders, options).unwrap_err();
            assert!(matches!(err, Error::Horizon { .. }), "{err}");
        }
    }

    #[test]
    fn errors_name_what_is_missing() {
        let market = market(vec![minutes("BTCUSDT", &CLOSES)]);
        let off = vec![trader("off", Interval::M1, "close > 0").with_enabled(false)];
        let err = Backtest::new(&market, off, Options::default()).unwrap_err();
        assert!(matches!(err, Error::Nothing(_)), "{err}");
        let fast = vec![trader("s", Interval::S1, "close > 0")];
        let err = Backtest::new(&market, fast, Options::default()).unwrap_err();
        let Error::Trader {
            trader: name,
            error,
        } = &err
        else {
            panic!("{err}");
        };
        assert_eq!(name, "s");
        assert!(
            matches!(
                **error,
                Error::TooCoarse {
                    needed: Interval::S1,
                    ..
                }
            ),
            "{err}"
        );
        let none = sift_engine::SymbolFilter::List(vec!["XRPUSDT".parse().unwrap()]);
        let other = vec![trader("x", Interval::M1, "close > 0").with_symbols(none)];
        let err = Backtest::new(&market, other, Options::default()).unwrap_err();
        assert!(matches!(err, Error::Nothing(_)), "{err}");
    }
}
