//! What a backtest can reject. Every message is complete on its own and names what to fix.

use sift_core::{Interval, Symbol};

/// Why a backtest could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--from`/`--to` text that is neither RFC 3339, a date nor epoch milliseconds.
    #[error(
        "{text:?} is not a time: expected RFC 3339 (2025-01-31T12:00:00Z), a date (2025-01-31) \
         or epoch milliseconds"
    )]
    Time { text: String },
    /// A forward-return horizon is 0, too long or repeated.
    #[error(
        "forward horizons must be distinct whole numbers of bars from 1 to {max}: got {horizon}"
    )]
    Horizon { horizon: u32, max: u32 },
    /// The window ends before it starts.
    #[error("the time window is empty: --from is after --to")]
    EmptyWindow,
    /// A symbol asked for is in none of the candle files.
    #[error("{symbol}: no candles for this symbol in the given files")]
    UnknownSymbol { symbol: Symbol },
    /// Two files hold different candles for the same symbol, interval and open time.
    #[error("{symbol} {interval}: two files hold different candles opening at {open_time}")]
    Conflict {
        symbol: Symbol,
        interval: Interval,
        /// RFC 3339.
        open_time: String,
    },
    /// A trader needs an interval finer than any file gives for a symbol.
    #[error(
        "{symbol}: {needed} candles are needed, but the finest given is {finest}: pass a file \
         of {needed} candles or finer"
    )]
    TooCoarse {
        symbol: Symbol,
        needed: Interval,
        finest: Interval,
    },
    /// No given interval's candles fit evenly into the interval needed.
    #[error(
        "{symbol}: {needed} candles are needed, which cannot be built from the given {given} \
         candles (their boundaries do not line up): pass a file of {needed} candles or of an \
         interval that divides it, such as 1m"
    )]
    NotAggregable {
        symbol: Symbol,
        needed: Interval,
        /// The given intervals, comma separated.
        given: String,
    },
    /// What a trader needs cannot be had from the files.
    #[error("{trader}: {error}")]
    Trader { trader: String, error: Box<Error> },
    /// No trader is enabled, or no symbol is screened by any trader.
    #[error("nothing to replay: {0}")]
    Nothing(&'static str),
    /// The engine rejected the traders.
    #[error(transparent)]
    Engine(#[from] sift_engine::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_pass() {
        let err = Error::TooCoarse {
            symbol: "BTCUSDT".parse().unwrap(),
            needed: Interval::M1,
            finest: Interval::M5,
        };
        let err = Error::Trader {
            trader: "rule1".to_owned(),
            error: Box::new(err),
        };
        assert_eq!(
            err.to_string(),
            "rule1: BTCUSDT: 1m candles are needed, but the finest given is 5m: pass a file of \
             1m candles or finer"
        );
    }
}
