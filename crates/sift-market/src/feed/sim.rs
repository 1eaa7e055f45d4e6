//! The simulated market (`sift-sim`'s [`LiveMarket`]) as a driven source.

use parking_lot::Mutex;
use sift_binance::{SymbolInfo, SymbolStatus};
use sift_core::{Candle, Interval, Symbol, Ticker};
use sift_sim::live::LiveMarket;

use super::driven::Driven;

/// A [`LiveMarket`] behind a lock: the driver advances it, fetches read it. Every call is
/// short (a minute's candles at most per advance once running), so a plain mutex does.
#[derive(Debug)]
pub(crate) struct SimMarket {
    market: Mutex<LiveMarket>,
}

impl SimMarket {
    pub(crate) fn new(market: LiveMarket) -> Self {
        Self {
            market: Mutex::new(market),
        }
    }
}

/// Enough for any range the collector asks for at once.
const NO_LIMIT: usize = usize::MAX;

impl Driven for SimMarket {
    fn advance(&self, now_ms: i64) {
        self.market.lock().advance_to(now_ms);
    }

    fn closed(&self, symbol: &Symbol, interval: Interval, from: i64, to: i64) -> Vec<Candle> {
        self.market
            .lock()
            .closed(symbol, interval, from, to, NO_LIMIT)
    }

    fn latest_closed(
        &self,
        symbol: &Symbol,
        interval: Interval,
        before_open: i64,
        n: usize,
    ) -> Vec<Candle> {
        self.market
            .lock()
            .latest_closed(symbol, interval, Some(before_open - 1), n)
    }

    fn forming(&self, symbol: &Symbol, interval: Interval, now_ms: i64) -> Option<Candle> {
        self.market.lock().forming(symbol, interval, now_ms)
    }

    fn tickers(&self, symbols: &[Symbol], now_ms: i64) -> Vec<Ticker> {
        let market = self.market.lock();
        symbols
            .iter()
            .filter_map(|s| market.ticker(s, now_ms))
            .collect()
    }

    fn listing(&self) -> Vec<SymbolInfo> {
        let market = self.market.lock();
        market
            .symbols()
            .iter()
            .filter_map(|symbol| {
                Some(SymbolInfo {
                    symbol: symbol.clone(),
                    status: SymbolStatus::parse(market.status(symbol)?.as_str()),
                    base_asset: market.base_asset(symbol)?.to_owned(),
                    quote_asset: market.quote_asset().to_owned(),
                })
            })
            .collect()
    }
}
