//! What the collector hands on: an ordered stream of candle closes, plus forming candles,
//! tickers and universe changes.

use sift_core::{Candle, Interval, Symbol, Ticker};

use crate::UniverseChange;

/// One event of the collector's output stream.
///
/// Per (symbol, interval), [`MarketEvent::Backfilled`] comes first and closes follow in
/// open-time order, each exactly once, with no gap the exchange's REST history could fill.
/// `Closes`, `Backfilled` and `Universe` events are never dropped (the collector waits for
/// room in the channel); `Forming` and `Tickers` are dropped when the channel is full, since a
/// later one supersedes them (counted in [`MarketHealth::dropped_events`](crate::MarketHealth)).
#[derive(Debug, Clone, PartialEq)]
pub enum MarketEvent {
    /// The history of a series is in the store (`candles` closed candles, possibly 0), before
    /// any of its live closes; read it from the store to warm indicators.
    Backfilled {
        symbol: Symbol,
        interval: Interval,
        candles: usize,
    },
    /// Closed candles, already written to the store.
    Closes(CloseBurst),
    /// The forming candle of a series changed (also written to the store). Not sent for
    /// halted symbols.
    Forming {
        symbol: Symbol,
        interval: Interval,
        candle: Candle,
    },
    /// 24 h tickers of watched symbols (from `!miniTicker@arr`, only those that changed), also
    /// written to the store.
    Tickers(Vec<Ticker>),
    /// The watched set changed.
    Universe(UniverseChange),
}

/// The closes of one candle (one interval and open time) across symbols.
///
/// Gathered until every trading symbol that is live for the interval has reported, or a short
/// wait ([`MarketConfig::burst_wait`](crate::MarketConfig)) passed. A close that arrives later
/// (late on the socket, or repaired over REST) comes as a burst of its own with `late` set,
/// still in its series' order. Halted symbols' closes are written to the store but left out.
#[derive(Debug, Clone, PartialEq)]
pub struct CloseBurst {
    pub interval: Interval,
    /// Open time of every candle in the burst.
    pub open_time: i64,
    /// One closed candle per symbol, at most once each.
    pub candles: Vec<(Symbol, Candle)>,
    /// Closes of a candle whose burst was already handed on.
    pub late: bool,
}

impl CloseBurst {
    /// The candles with their interval, as the engine's `CloseBatch` takes them.
    pub fn to_batch(&self) -> Vec<(Symbol, Interval, Candle)> {
        self.candles
            .iter()
            .map(|(symbol, candle)| (symbol.clone(), self.interval, *candle))
            .collect()
    }
}
