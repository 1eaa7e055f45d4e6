//! Candle files replayed as if live.
//!
//! - Files are read with `sift-data` (Binance kline CSV or zip, long format) and merged per
//!   (symbol, interval); an interval no file gives is aggregated from a finer one (complete
//!   spans only, as the backtest does). Candles that do not open on their interval's boundary
//!   (old Binance history has some) are dropped: the store only takes aligned candles.
//! - Timestamps are kept as they are in the files. The replay clock starts at `start`, where
//!   the first `history` candles of the finest interval of every symbol have closed (the
//!   latest such instant over the symbols), and runs `speed` times faster than real time.
//!   What closed before `start` is the history (backfill); the rest arrives as live closes.
//!   When the files run out the source goes quiet (no closes, no forming candles).
//! - Every symbol is listed as `TRADING`; the base asset is the name without a trailing
//!   `USDT` (quote `USDT`), or the whole name (empty quote). Tickers are computed from the
//!   finest series over the 24 h before the replay clock. There is no forming candle.

use std::collections::BTreeMap;
use std::path::PathBuf;

use sift_backtest::market::Market;
use sift_binance::{SymbolInfo, SymbolStatus};
use sift_core::{Candle, Interval, Symbol, Ticker};
use sift_data::Overrides;
use tracing::warn;

use super::driven::Driven;
use crate::MarketError;

const DAY_MS: i64 = 86_400_000;

/// Every series of the replay, all candles (history and live).
#[derive(Debug)]
pub(crate) struct ReplayMarket {
    series: BTreeMap<(Symbol, Interval), Vec<Candle>>,
    /// Finest series per symbol, for tickers.
    finest: BTreeMap<Symbol, Interval>,
    start: i64,
    /// The replay clock, advanced by the driver (candles closing after it are not served).
    now: parking_lot::Mutex<i64>,
}

impl ReplayMarket {
    /// Reads `paths` and builds the `intervals` of every symbol; the replay starts after
    /// `history` candles of each symbol's finest interval.
    pub(crate) fn load(
        paths: &[PathBuf],
        intervals: &[Interval],
        history: usize,
    ) -> Result<Self, MarketError> {
        let mut market = Market::new();
        for path in paths {
            let file = sift_data::read_path(path, &Overrides::default())?;
            for series in file.series {
                market.add(series)?;
            }
        }
        let mut series = BTreeMap::new();
        let mut finest = BTreeMap::new();
        for symbol in market.symbols() {
            if let Some(&f) = market.intervals(&symbol).first() {
                finest.insert(symbol.clone(), f);
            }
            let mut wanted: Vec<Interval> = intervals.to_vec();
            wanted.extend(finest.get(&symbol));
            for interval in wanted {
                match market.feed(&symbol, interval) {
                    Ok(feed) => {
                        let aligned: Vec<Candle> = feed
                            .candles
                            .iter()
                            .filter(|c| interval.open_time(c.open_time) == c.open_time)
                            .copied()
                            .collect();
                        let dropped = feed.candles.len() - aligned.len();
                        if dropped > 0 {
                            warn!(%symbol, %interval, dropped, "replay drops candles off their interval boundary");
                        }
                        series.insert((symbol.clone(), interval), aligned);
                    }
                    Err(error) => {
                        warn!(%symbol, %interval, error = %error, "replay cannot serve interval")
                    }
                }
            }
        }
        let start = replay_start(&series, &finest, history);
        Ok(Self {
            series,
            finest,
            start,
            now: parking_lot::Mutex::new(start),
        })
    }

    /// Where the replay clock starts.
    pub(crate) fn start(&self) -> i64 {
        self.start
    }

    fn candles(&self, symbol: &Symbol, interval: Interval) -> &[Candle] {
        self.series
            .get(&(symbol.clone(), interval))
            .map_or(&[], Vec::as_slice)
    }

    /// The served candles: closed by the replay clock.
    fn served(&self, symbol: &Symbol, interval: Interval) -> &[Candle] {
        let now = *self.now.lock();
        let all = self.candles(symbol, interval);
        &all[..all.partition_point(|c| c.close_time < now)]
    }
}

/// The latest instant, over symbols, by which `history` candles of the finest series closed.
fn replay_start(
    series: &BTreeMap<(Symbol, Interval), Vec<Candle>>,
    finest: &BTreeMap<Symbol, Interval>,
    history: usize,
) -> i64 {
    finest
        .iter()
        .filter_map(|(symbol, &interval)| {
            let candles = series.get(&(symbol.clone(), interval))?;
            match history {
                0 => candles.first().map(|c| c.open_time),
                n => candles
                    .get(n - 1)
                    .or(candles.last())
                    .map(|c| c.close_time + 1),
            }
        })
        .max()
        .unwrap_or(0)
}

impl Driven for ReplayMarket {
    fn advance(&self, now_ms: i64) {
        let mut now = self.now.lock();
        *now = (*now).max(now_ms);
    }

    fn closed(&self, symbol: &Symbol, interval: Interval, from: i64, to: i64) -> Vec<Candle> {
        let served = self.served(symbol, interval);
        let lo = served.partition_point(|c| c.open_time < from);
        let hi = served.partition_point(|c| c.open_time < to);
        served[lo..hi.max(lo)].to_vec()
    }

    fn latest_closed(
        &self,
        symbol: &Symbol,
        interval: Interval,
        before_open: i64,
        n: usize,
    ) -> Vec<Candle> {
        let served = self.served(symbol, interval);
        let hi = served.partition_point(|c| c.open_time < before_open);
        served[hi.saturating_sub(n)..hi].to_vec()
    }

    fn forming(&self, _: &Symbol, _: Interval, _: i64) -> Option<Candle> {
        None
    }

    fn tickers(&self, symbols: &[Symbol], now_ms: i64) -> Vec<Ticker> {
        symbols
            .iter()
            .filter_map(|symbol| {
                let interval = *self.finest.get(symbol)?;
                let served = self.served(symbol, interval);
                let from = served.partition_point(|c| c.open_time < now_ms - DAY_MS);
                day_ticker(symbol, &served[from..], now_ms)
            })
            .collect()
    }

    fn listing(&self) -> Vec<SymbolInfo> {
        self.finest
            .keys()
            .map(|symbol| {
                let name = symbol.as_str();
                let (base, quote) = match name.strip_suffix("USDT") {
                    Some(base) if !base.is_empty() => (base, "USDT"),
                    _ => (name, ""),
                };
                SymbolInfo {
                    symbol: symbol.clone(),
                    status: SymbolStatus::Trading,
                    base_asset: base.to_owned(),
                    quote_asset: quote.to_owned(),
                }
            })
            .collect()
    }
}

/// A 24 h ticker from the candles of the window.
fn day_ticker(symbol: &Symbol, window: &[Candle], now_ms: i64) -> Option<Ticker> {
    let (first, last) = (window.first()?, window.last()?);
    Some(Ticker {
        symbol: symbol.clone(),
        event_time: now_ms,
        last_price: last.close,
        open_price: first.open,
        high_price: window.iter().map(|c| c.high).fold(f64::MIN, f64::max),
        low_price: window.iter().map(|c| c.low).fold(f64::MAX, f64::min),
        volume: window.iter().map(|c| c.volume).sum(),
        quote_volume: window.iter().map(|c| c.quote_volume).sum(),
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const MIN: i64 = 60_000;
    const T0: i64 = 1_735_689_600_000;

    fn write_file(dir: &tempfile::TempDir, name: &str, minutes: i64) -> PathBuf {
        let path = dir.path().join(name);
        let mut file = std::fs::File::create(&path).unwrap();
        for m in 0..minutes {
            let t = T0 + m * MIN;
            writeln!(file, "{t},1.0,2.0,0.5,1.5,10,{},15,3,5,7.5,0", t + MIN - 1).unwrap();
        }
        path
    }

    /// The driver releases candles at its ticks, so the market can lag the clock the collector
    /// reads: a fetch still serves every candle closed by the clock, never a false hole.
    #[tokio::test]
    async fn fetches_serve_what_closed_by_the_clock_before_the_driver_releases_it() {
        use std::sync::Arc;

        use crate::feed::Fetcher;
        use crate::feed::driven::Clock;

        let dir = tempfile::tempdir().unwrap();
        let path = write_file(&dir, "BTCUSDT-1m-2025-01.csv", 60);
        let market = Arc::new(ReplayMarket::load(&[path], &[Interval::M1], 20).unwrap());
        let btc = Symbol::new("BTCUSDT").unwrap();
        // The driver last released minute 19; the clock already reads minute 30 (and only
        // moves on, at real speed, during the test).
        let fetcher = Fetcher::Driven {
            market: Arc::clone(&market) as Arc<dyn Driven>,
            clock: Clock::new(market.start() + 10 * MIN, 1.0),
        };
        let now = T0 + 30 * MIN;
        let repaired = fetcher
            .klines_range(&btc, Interval::M1, T0 + 20 * MIN, now)
            .await
            .unwrap();
        let opens: Vec<i64> = repaired.iter().map(|c| (c.open_time - T0) / MIN).collect();
        assert_eq!(opens, (20..30).collect::<Vec<_>>());
        let history = fetcher
            .closed_klines(&btc, Interval::M1, 1000, now)
            .await
            .unwrap();
        assert_eq!(history.len(), 30);
        // Nothing past the clock is served.
        let ahead = fetcher
            .klines_range(&btc, Interval::M1, T0 + 40 * MIN, T0 + 50 * MIN)
            .await
            .unwrap();
        assert!(ahead.is_empty());
    }

    #[test]
    fn history_then_live_with_aggregated_intervals() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(&dir, "BTCUSDT-1m-2025-01.csv", 60);
        let market = ReplayMarket::load(&[path], &[Interval::M1, Interval::M5], 20).unwrap();
        assert_eq!(market.start(), T0 + 20 * MIN);
        let btc = Symbol::new("BTCUSDT").unwrap();
        assert_eq!(
            market
                .latest_closed(&btc, Interval::M1, i64::MAX, 1000)
                .len(),
            20
        );
        assert_eq!(
            market
                .latest_closed(&btc, Interval::M5, i64::MAX, 1000)
                .len(),
            4
        );
        market.advance(T0 + 30 * MIN);
        assert_eq!(
            market
                .closed(&btc, Interval::M1, T0 + 20 * MIN, i64::MAX)
                .len(),
            10
        );
        let tickers = market.tickers(std::slice::from_ref(&btc), T0 + 30 * MIN);
        assert_eq!(tickers[0].quote_volume, 30.0 * 15.0);
        let listing = market.listing();
        assert_eq!(
            (
                listing[0].base_asset.as_str(),
                listing[0].quote_asset.as_str()
            ),
            ("BTC", "USDT")
        );
    }
}
