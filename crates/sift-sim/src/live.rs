//! A live, clocked simulated exchange: the market of the `--market sim` source and of the fake
//! Binance server.
//!
//! Time is passed in, never read: [`LiveMarket::advance_to`] closes every 1m candle that ended
//! by then and rolls it into every served interval, so each interval's candles are exactly the
//! aggregation of the 1m candles (calendar months and Monday weeks included) and all timeframes
//! agree. The forming 1m candle is generated ahead and revealed along a deterministic path as
//! the clock moves through its minute ([`LiveMarket::forming`]), so a forming candle always lies
//! inside the closed candle it becomes.

use std::collections::HashMap;
use std::fmt;

use sift_core::{Candle, Interval, Symbol, Ticker};

use crate::bar::{Bar, MINUTE_MS, Scales, Series, minute_of};
use crate::listing::{QUOTE_ASSET, listing};
use crate::window::{WINDOW_MINUTES, Window};
use crate::{Rng, Walk};

/// Salts that give the gap and forming-path generators streams of their own.
const GAP_SALT: u64 = 0x6761_7073;
const PATH_SALT: u64 = 0x7061_7468;
const DAY_MS: i64 = 86_400_000;

/// What a [`LiveMarket`] simulates.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveConfig {
    pub seed: u64,
    /// Number of pairs: `BTCUSDT`, `ETHUSDT`, ... then `SIM00040USDT`, ... (default 100).
    pub symbols: usize,
    /// Minutes of history before the start time (default 30 days).
    pub history_minutes: i64,
    /// Closed candles kept per symbol and interval (default 1,500; 1m keeps at least 1,440 for
    /// the 24 h ticker).
    pub kept_per_interval: usize,
    /// Intervals served (default `1m` to `1M`). `1m` is always served; `1s` is not supported
    /// and ignored.
    pub intervals: Vec<Interval>,
    /// Halted minutes with no candle at all (default none).
    pub gaps: Option<Gaps>,
    /// Pairs whose status is not `TRADING` (default none).
    pub statuses: Vec<(Symbol, Status)>,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            symbols: 100,
            history_minutes: 30 * 24 * 60,
            kept_per_interval: 1_500,
            intervals: Interval::ALL
                .into_iter()
                .filter(|i| *i != Interval::S1)
                .collect(),
            gaps: None,
            statuses: Vec::new(),
        }
    }
}

/// Occasional halts: minutes in which a pair trades nothing and has no candle (Binance serves
/// no kline for such minutes, and an interval with no trade in its whole period has no candle
/// either). The walk moves on meanwhile, so the first candle after a halt opens away from the
/// last close, as after a real one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gaps {
    /// Chance per pair and minute that a halt begins.
    pub chance_per_minute: f64,
    /// A halt lasts 1 to this many minutes.
    pub max_minutes: u32,
}

/// A pair's trading status, as exchangeInfo spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Trading,
    EndOfDay,
    Halt,
    Break,
    CancelOnly,
}

impl Status {
    /// Binance's spelling: `TRADING`, `END_OF_DAY`, `HALT`, `BREAK`, `CANCEL_ONLY`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trading => "TRADING",
            Self::EndOfDay => "END_OF_DAY",
            Self::Halt => "HALT",
            Self::Break => "BREAK",
            Self::CancelOnly => "CANCEL_ONLY",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A pair's rolling 24 h statistics with what Binance's full `ticker/24hr` adds to a
/// [`Ticker`].
#[derive(Debug, Clone, PartialEq)]
pub struct DayStats {
    pub ticker: Ticker,
    /// Start of the window: `now - 24 h`.
    pub open_time: i64,
    /// Trades in the window.
    pub trades: u64,
    /// Id of the first and the last trade of the window (`-1` both without trades).
    pub first_trade_id: i64,
    pub last_trade_id: i64,
}

/// One pair's generator and candles.
#[derive(Debug, Clone)]
struct Pair {
    base: String,
    status: Status,
    scales: Scales,
    walk: Walk,
    gap_rng: Rng,
    /// Minutes of the current halt still to come.
    gap_left: u32,
    /// The candle of the forming minute, generated ahead (`None` when halted).
    pending: Option<Bar>,
    /// One per served interval, in the market's order; `series[0]` is `1m`.
    series: Vec<Series>,
    window: Window,
    /// Trades of every closed 1m candle so far: the next trade's id.
    trades_closed: u64,
}

/// A simulated exchange advanced by a clock the caller owns. See the [module docs](self).
///
/// Memory: rings of compact 56-byte candles only. With `n` the minutes simulated, a pair holds
/// `sum over intervals of min(kept, n / interval length)` candles: about 9,300 (0.5 MB) after
/// the default 30 days, 15,800 (0.9 MB) after a simulated year.
#[derive(Debug, Clone)]
pub struct LiveMarket {
    seed: u64,
    gaps: Option<Gaps>,
    intervals: Vec<Interval>,
    symbols: Vec<Symbol>,
    index: HashMap<Symbol, usize>,
    pairs: Vec<Pair>,
    history_start: i64,
    /// Open time of the forming minute: every 1m candle before it is closed.
    forming_minute: i64,
}

impl LiveMarket {
    /// A market whose history begins `history_minutes` before `start_ms` (on a minute
    /// boundary), generated up to `start_ms`.
    pub fn new(config: LiveConfig, start_ms: i64) -> Self {
        let mut intervals: Vec<Interval> = config
            .intervals
            .iter()
            .copied()
            .chain([Interval::M1])
            .filter(|i| *i != Interval::S1)
            .collect();
        intervals.sort();
        intervals.dedup();
        let history_start =
            Interval::M1.open_time(start_ms - config.history_minutes.max(0) * MINUTE_MS);
        let statuses: HashMap<&Symbol, Status> =
            config.statuses.iter().map(|(s, st)| (s, *st)).collect();
        let mut symbols = Vec::with_capacity(config.symbols);
        let mut pairs = Vec::with_capacity(config.symbols);
        for i in 0..config.symbols {
            let listed = listing(i);
            let rng = Rng::stream(config.seed, i as u64);
            let walk = match listed.profile {
                Some(profile) => Walk::with_profile(rng, history_start, profile),
                None => Walk::new(rng, history_start),
            };
            let series = intervals
                .iter()
                .map(|&interval| {
                    let kept = if interval == Interval::M1 {
                        config.kept_per_interval.max(WINDOW_MINUTES as usize + 1)
                    } else {
                        config.kept_per_interval
                    };
                    Series::new(interval, kept)
                })
                .collect();
            let mut pair = Pair {
                base: listed.base,
                status: statuses
                    .get(&listed.symbol)
                    .copied()
                    .unwrap_or(Status::Trading),
                scales: Scales {
                    price: walk.price_scale(),
                    volume: walk.volume_scale(),
                },
                walk,
                gap_rng: Rng::stream(config.seed ^ GAP_SALT, i as u64),
                gap_left: 0,
                pending: None,
                series,
                window: Window::default(),
                trades_closed: 0,
            };
            pair.pending = pair.generate(config.gaps);
            symbols.push(listed.symbol);
            pairs.push(pair);
        }
        let index = symbols.iter().cloned().zip(0..).collect();
        let mut market = Self {
            seed: config.seed,
            gaps: config.gaps,
            intervals,
            symbols,
            index,
            pairs,
            history_start,
            forming_minute: history_start,
        };
        market.advance_to(start_ms);
        market
    }

    /// Closes every 1m candle that ended at or before `now_ms` and rolls it into every
    /// interval. Going back in time does nothing.
    pub fn advance_to(&mut self, now_ms: i64) {
        let target = Interval::M1.open_time(now_ms);
        if target <= self.forming_minute {
            return;
        }
        for pair in &mut self.pairs {
            let mut minute = self.forming_minute;
            while minute < target {
                minute += MINUTE_MS;
                pair.close_minute(minute, self.gaps);
            }
        }
        self.forming_minute = target;
    }

    /// Every pair, in listing order.
    pub fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    pub fn contains(&self, symbol: &Symbol) -> bool {
        self.index.contains_key(symbol)
    }

    /// The served intervals, shortest first.
    pub fn intervals(&self) -> &[Interval] {
        &self.intervals
    }

    /// Open time of the first 1m candle.
    pub fn history_start(&self) -> i64 {
        self.history_start
    }

    /// Open time of the forming 1m candle: every candle ending by then is closed.
    pub fn forming_minute(&self) -> i64 {
        self.forming_minute
    }

    /// The base asset of `symbol` (`BTC` for `BTCUSDT`).
    pub fn base_asset(&self, symbol: &Symbol) -> Option<&str> {
        self.pair(symbol).map(|p| p.base.as_str())
    }

    /// The quote asset of every pair.
    pub fn quote_asset(&self) -> &'static str {
        QUOTE_ASSET
    }

    /// Price tick and volume lot of `symbol` (exchangeInfo's `tickSize` and `stepSize`).
    pub fn tick_and_lot(&self, symbol: &Symbol) -> Option<(f64, f64)> {
        self.pair(symbol)
            .map(|p| (1.0 / p.scales.price, 1.0 / p.scales.volume))
    }

    pub fn status(&self, symbol: &Symbol) -> Option<Status> {
        self.pair(symbol).map(|p| p.status)
    }

    /// Changes a pair's status (its candles go on: the status is what exchangeInfo lists);
    /// returns whether the pair exists.
    pub fn set_status(&mut self, symbol: &Symbol, status: Status) -> bool {
        match self.index.get(symbol) {
            Some(&i) => {
                self.pairs[i].status = status;
                true
            }
            None => false,
        }
    }

    /// Closed candles opening in `[from_open, to_open)`, oldest first, at most `limit`; empty
    /// for an unknown pair or an interval not served.
    pub fn closed(
        &self,
        symbol: &Symbol,
        interval: Interval,
        from_open: i64,
        to_open: i64,
        limit: usize,
    ) -> Vec<Candle> {
        self.series(symbol, interval)
            .map(|(pair, series)| {
                series
                    .range(from_open, to_open, limit)
                    .map(|b| b.to_candle(interval, pair.scales, true))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The newest `limit` closed candles opening at or before `end_open` (or the newest of all
    /// when `None`), oldest first: REST klines without `startTime`.
    pub fn latest_closed(
        &self,
        symbol: &Symbol,
        interval: Interval,
        end_open: Option<i64>,
        limit: usize,
    ) -> Vec<Candle> {
        self.series(symbol, interval)
            .map(|(pair, series)| {
                series
                    .latest(end_open, limit)
                    .map(|b| b.to_candle(interval, pair.scales, true))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The forming candle of `interval` at `now_ms` (`closed == false`): the period's closed 1m
    /// candles and the forming 1m candle as it stands at `now_ms`. `None` when the period has
    /// no trade yet (a halt). Call [`advance_to`](Self::advance_to) first; the forming minute's
    /// path is a function of `now_ms` within it.
    pub fn forming(&self, symbol: &Symbol, interval: Interval, now_ms: i64) -> Option<Candle> {
        let i = *self.index.get(symbol)?;
        let (pair, series) = self.series(symbol, interval)?;
        let partial = self.partial(i, now_ms);
        let bar = match (series.building(), partial) {
            (Some(built), Some(part)) => {
                let mut bar = *built;
                bar.merge(&part);
                bar
            }
            (Some(built), None) => *built,
            (None, Some(part)) => Bar {
                minute: minute_of(interval.open_time(part.open_ms())),
                ..part
            },
            (None, None) => return None,
        };
        Some(bar.to_candle(interval, pair.scales, false))
    }

    /// Rolling 24 h statistics at `now_ms`, from the closed 1m candles of the last 1,439 minutes
    /// and the forming one. `None` for an unknown pair or one without any candle in the window.
    pub fn ticker(&self, symbol: &Symbol, now_ms: i64) -> Option<Ticker> {
        self.day_stats(symbol, now_ms).map(|d| d.ticker)
    }

    /// [`ticker`](Self::ticker) with trade count and ids, for a full `ticker/24hr`.
    pub fn day_stats(&self, symbol: &Symbol, now_ms: i64) -> Option<DayStats> {
        let i = *self.index.get(symbol)?;
        let pair = &self.pairs[i];
        let ring = pair.series[0].bars();
        let partial = self.partial(i, now_ms);
        let window = pair.window.stats(ring);
        let (open, mut high, mut low, mut trades, mut volume, mut quote) = match window {
            Some(w) => (w.open, w.high, w.low, w.trades, w.volume, w.quote),
            None => {
                let p = partial?;
                (p.open, p.high, p.low, 0, 0, 0)
            }
        };
        let last = match (&partial, ring.back()) {
            (Some(p), _) => p.close,
            (None, Some(b)) => b.close,
            (None, None) => return None,
        };
        if let Some(p) = &partial {
            if window.is_some() {
                high = high.max(p.high);
                low = low.min(p.low);
            }
            trades += u64::from(p.trades);
            volume += p.volume;
            quote += p.quote;
        }
        let next_id = pair.trades_closed + partial.map_or(0, |p| u64::from(p.trades));
        let (first_trade_id, last_trade_id) = match trades {
            0 => (-1, -1),
            n => ((next_id - n) as i64, next_id as i64 - 1),
        };
        let price = |ticks: u32| f64::from(ticks) / pair.scales.price;
        Some(DayStats {
            ticker: Ticker {
                symbol: symbol.clone(),
                event_time: now_ms,
                last_price: price(last),
                open_price: price(open),
                high_price: price(high),
                low_price: price(low),
                volume: volume as f64 / pair.scales.volume,
                quote_volume: quote as f64 / crate::market::QUOTE_SCALE,
            },
            open_time: now_ms - DAY_MS,
            trades,
            first_trade_id,
            last_trade_id,
        })
    }

    /// Trades of `symbol` up to `now_ms` (closed candles and the forming one so far): one more
    /// than the id of the last trade. For kline events' first and last trade ids.
    pub fn trade_count(&self, symbol: &Symbol, now_ms: i64) -> Option<u64> {
        let i = *self.index.get(symbol)?;
        let forming = self.partial(i, now_ms).map_or(0, |p| u64::from(p.trades));
        Some(self.pairs[i].trades_closed + forming)
    }

    /// Bytes held by the candle rings of every pair.
    pub fn memory_bytes(&self) -> usize {
        self.pairs
            .iter()
            .map(|p| {
                size_of::<Pair>()
                    + p.base.capacity()
                    + p.series.iter().map(Series::memory_bytes).sum::<usize>()
            })
            .sum()
    }

    fn pair(&self, symbol: &Symbol) -> Option<&Pair> {
        self.index.get(symbol).map(|&i| &self.pairs[i])
    }

    fn series(&self, symbol: &Symbol, interval: Interval) -> Option<(&Pair, &Series)> {
        let pair = self.pair(symbol)?;
        let at = self.intervals.iter().position(|i| *i == interval)?;
        Some((pair, &pair.series[at]))
    }

    /// The forming 1m candle of pair `i` as it stands at `now_ms`.
    fn partial(&self, i: usize, now_ms: i64) -> Option<Bar> {
        let pending = self.pairs[i].pending?;
        let fraction = (now_ms - self.forming_minute) as f64 / MINUTE_MS as f64;
        let path = Rng::stream(
            Rng::stream(self.seed ^ PATH_SALT, i as u64).next_u64(),
            pending.minute as u64,
        );
        Some(pending.partial(fraction, path))
    }
}

impl Pair {
    /// Closes the forming minute, which ends at `end`, and generates the next one.
    fn close_minute(&mut self, end: i64, gaps: Option<Gaps>) {
        let added = self.pending.take();
        if let Some(bar) = &added {
            self.trades_closed += u64::from(bar.trades);
            for series in &mut self.series {
                series.add(bar);
            }
        }
        for series in &mut self.series {
            series.close_through(end);
        }
        let start = minute_of(end) - WINDOW_MINUTES;
        self.window
            .slide(self.series[0].bars(), added.as_ref(), start);
        self.pending = self.generate(gaps);
    }

    /// The walk's next 1m candle, unless a halt swallows it.
    fn generate(&mut self, gaps: Option<Gaps>) -> Option<Bar> {
        let candle = self.walk.next()?;
        if let Some(gaps) = gaps {
            if self.gap_left > 0 {
                self.gap_left -= 1;
                return None;
            }
            if self.gap_rng.chance(gaps.chance_per_minute) {
                self.gap_left = self.gap_rng.below(gaps.max_minutes.max(1) as usize) as u32;
                return None;
            }
        }
        Some(Bar::from_candle(&candle, self.scales))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2025-03-12T10:17:23.456Z: inside a minute, a week and a month.
    const START: i64 = 1_741_774_643_456;
    /// Relative tolerance for volumes summed as floats by the tests.
    const REL_TOL: f64 = 1e-9;

    fn config(symbols: usize, history_days: i64) -> LiveConfig {
        LiveConfig {
            seed: 7,
            symbols,
            history_minutes: history_days * 24 * 60,
            kept_per_interval: 200_000,
            ..LiveConfig::default()
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= REL_TOL * a.abs().max(b.abs())
    }

    /// The candles of `interval` built from `minutes` by hand, complete periods only.
    fn aggregate(minutes: &[Candle], interval: Interval, until: i64) -> Vec<Candle> {
        let mut out: Vec<Candle> = Vec::new();
        for c in minutes {
            let open = interval.open_time(c.open_time);
            match out.last_mut() {
                Some(last) if last.open_time == open => {
                    last.high = last.high.max(c.high);
                    last.low = last.low.min(c.low);
                    last.close = c.close;
                    last.volume += c.volume;
                    last.quote_volume += c.quote_volume;
                    last.taker_buy_volume += c.taker_buy_volume;
                    last.taker_buy_quote_volume += c.taker_buy_quote_volume;
                    last.trades += c.trades;
                }
                _ => out.push(Candle {
                    open_time: open,
                    close_time: interval.close_time(open),
                    ..*c
                }),
            }
        }
        out.retain(|c| c.close_time < until);
        out
    }

    fn assert_same(got: &[Candle], want: &[Candle]) {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert_eq!(
                (
                    g.open_time,
                    g.close_time,
                    g.open,
                    g.high,
                    g.low,
                    g.close,
                    g.trades
                ),
                (
                    w.open_time,
                    w.close_time,
                    w.open,
                    w.high,
                    w.low,
                    w.close,
                    w.trades
                )
            );
            assert!(close(g.volume, w.volume) && close(g.quote_volume, w.quote_volume));
            assert!(close(g.taker_buy_volume, w.taker_buy_volume), "{g:?} {w:?}");
            assert!(g.closed);
        }
    }

    fn check_aggregation(market: &LiveMarket) {
        for symbol in market.symbols() {
            let minutes = market.closed(symbol, Interval::M1, i64::MIN, i64::MAX, usize::MAX);
            assert!(minutes.windows(2).all(|w| w[0].open_time < w[1].open_time));
            for &interval in market.intervals() {
                let got = market.closed(symbol, interval, i64::MIN, i64::MAX, usize::MAX);
                assert_same(
                    &got,
                    &aggregate(&minutes, interval, market.forming_minute()),
                );
            }
        }
    }

    #[test]
    fn every_interval_aggregates_the_minutes() {
        let market = LiveMarket::new(config(3, 75), START);
        assert_eq!(market.forming_minute(), Interval::M1.open_time(START));
        let months = market.closed(&market.symbols()[0], Interval::Month1, 0, i64::MAX, 10);
        assert_eq!(months.len(), 3, "december (partial), january and february");
        check_aggregation(&market);
    }

    #[test]
    fn halts_leave_gaps_that_every_interval_agrees_on() {
        let gaps = Gaps {
            chance_per_minute: 0.002,
            max_minutes: 90,
        };
        let market = LiveMarket::new(
            LiveConfig {
                gaps: Some(gaps),
                ..config(3, 10)
            },
            START,
        );
        let symbol = &market.symbols()[1];
        let minutes = market.closed(symbol, Interval::M1, 0, i64::MAX, usize::MAX);
        let missing = Interval::M1
            .periods_between(minutes[0].open_time, minutes[minutes.len() - 1].open_time)
            + 1
            - minutes.len() as i64;
        assert!(missing > 100, "{missing} minutes halted");
        check_aggregation(&market);
    }

    #[test]
    fn the_same_seed_and_start_give_the_same_market_however_it_is_advanced() {
        let mut a = LiveMarket::new(config(4, 2), START);
        let mut b = LiveMarket::new(config(4, 2), START);
        let end = START + 3 * 3_600_000 + 12_345;
        a.advance_to(end);
        let mut rng = Rng::new(3);
        let mut now = START;
        while now < end {
            now = (now + rng.below(900_000) as i64).min(end);
            b.advance_to(now);
        }
        for symbol in a.symbols() {
            for &interval in a.intervals() {
                let all = |m: &LiveMarket| m.closed(symbol, interval, 0, i64::MAX, usize::MAX);
                assert_eq!(all(&a), all(&b));
                assert_eq!(
                    a.forming(symbol, interval, end),
                    b.forming(symbol, interval, end)
                );
            }
            assert_eq!(a.day_stats(symbol, end), b.day_stats(symbol, end));
        }
        let other = LiveMarket::new(
            LiveConfig {
                seed: 8,
                ..config(4, 2)
            },
            START,
        );
        let first = |m: &LiveMarket| m.latest_closed(&m.symbols()[0], Interval::M1, None, 5);
        assert_ne!(first(&a), first(&other));
    }

    #[test]
    fn a_forming_candle_lies_inside_the_closed_one_it_becomes() {
        let mut market = LiveMarket::new(config(5, 1), START);
        let period = Interval::M5.open_time(START);
        let mut formed = Vec::new();
        let mut now = START;
        while now < period + 300_000 {
            market.advance_to(now);
            for symbol in market.symbols() {
                for interval in [Interval::M1, Interval::M5] {
                    let f = market.forming(symbol, interval, now).unwrap();
                    assert!(!f.closed && f.low <= f.close && f.close <= f.high);
                    formed.push((symbol.clone(), interval, f));
                }
            }
            now += 7_919;
        }
        market.advance_to(now);
        for (symbol, interval, f) in formed {
            let closed = market.closed(&symbol, interval, f.open_time, f.open_time + 1, 1);
            let c = closed[0];
            assert_eq!(
                (c.open_time, c.close_time, c.open),
                (f.open_time, f.close_time, f.open)
            );
            assert!(f.high <= c.high && f.low >= c.low, "{f:?} {c:?}");
            assert!(f.volume <= c.volume && f.trades <= c.trades);
        }
        // At the start of a minute, the forming 1m candle has not traded yet.
        let minute = market.forming_minute();
        let f = market
            .forming(&market.symbols()[0], Interval::M1, minute)
            .unwrap();
        assert_eq!(
            (f.open, f.high, f.low, f.close, f.volume),
            (f.open, f.open, f.open, f.open, 0.0)
        );
    }

    #[test]
    fn the_ticker_covers_the_last_24_hours() {
        let market = LiveMarket::new(config(2, 3), START);
        for symbol in market.symbols() {
            let stats = market.day_stats(symbol, START).unwrap();
            let t = &stats.ticker;
            let mut window = market.closed(
                symbol,
                Interval::M1,
                market.forming_minute() - 1_439 * MINUTE_MS,
                i64::MAX,
                usize::MAX,
            );
            window.push(market.forming(symbol, Interval::M1, START).unwrap());
            assert_eq!(window.len(), 1_440);
            assert_eq!(t.open_price, window[0].open);
            assert_eq!(t.last_price, window[1_439].close);
            assert_eq!(
                t.high_price,
                window.iter().map(|c| c.high).fold(0.0, f64::max)
            );
            assert_eq!(
                t.low_price,
                window.iter().map(|c| c.low).fold(f64::MAX, f64::min)
            );
            assert!(close(t.volume, window.iter().map(|c| c.volume).sum()));
            assert_eq!(stats.trades, window.iter().map(|c| c.trades).sum::<u64>());
            assert_eq!(
                stats.last_trade_id + 1,
                market.trade_count(symbol, START).unwrap() as i64
            );
            assert_eq!((t.event_time, stats.open_time), (START, START - DAY_MS));
        }
    }

    #[test]
    fn names_statuses_and_prices_look_like_binance() {
        let btc: Symbol = "BTCUSDT".parse().unwrap();
        let mut market = LiveMarket::new(
            LiveConfig {
                statuses: vec![(btc.clone(), Status::Break)],
                ..config(50, 1)
            },
            START,
        );
        assert_eq!(market.symbols().len(), 50);
        assert_eq!(market.status(&btc), Some(Status::Break));
        assert_eq!(market.base_asset(&btc), Some("BTC"));
        assert_eq!(market.quote_asset(), "USDT");
        let price = market.ticker(&btc, START).unwrap().last_price;
        assert!((20_000.0..200_000.0).contains(&price), "{price}");
        let eth: Symbol = "ETHUSDT".parse().unwrap();
        assert_eq!(market.status(&eth), Some(Status::Trading));
        assert!(market.set_status(&eth, Status::Halt));
        assert_eq!(market.status(&eth).map(Status::as_str), Some("HALT"));
        let unknown: Symbol = "NOPEUSDT".parse().unwrap();
        assert!(!market.contains(&unknown) && market.ticker(&unknown, START).is_none());
        assert!(
            market
                .closed(&btc, Interval::S1, 0, i64::MAX, 10)
                .is_empty()
        );
    }

    #[test]
    fn memory_stays_well_under_100_mb_for_100_pairs() {
        // Ten pairs with the default 30 days of history, scaled to 100.
        let market = LiveMarket::new(
            LiveConfig {
                symbols: 10,
                ..LiveConfig::default()
            },
            START,
        );
        let per_100 = market.memory_bytes() * 10;
        assert!(per_100 < 60_000_000, "{per_100} bytes for 100 pairs");
        let ring = market.closed(&market.symbols()[0], Interval::M5, 0, i64::MAX, usize::MAX);
        assert_eq!(ring.len(), 1_500, "rings keep the newest 1,500");
    }
}
