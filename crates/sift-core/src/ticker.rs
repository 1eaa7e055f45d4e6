//! Rolling 24 h statistics of one symbol.

use serde::{Deserialize, Serialize};

use crate::Symbol;

/// Rolling 24 h statistics of one symbol, as Binance's `miniTicker` stream reports them.
///
/// The window is the 24 hours ending at [`event_time`](Self::event_time); it slides with every
/// update, so `open` is the price 24 h ago, not a candle's open. Fields mirror the stream's
/// `E s c o h l v q`; prices and volumes are parsed from Binance's decimal strings at the edge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticker {
    pub symbol: Symbol,
    /// End of the 24 h window, UTC epoch milliseconds (`E`, or `closeTime` over REST).
    pub event_time: i64,
    /// Last traded price (`c`).
    pub last_price: f64,
    /// Price at the start of the window (`o`).
    pub open_price: f64,
    /// Highest price in the window (`h`).
    pub high_price: f64,
    /// Lowest price in the window (`l`).
    pub low_price: f64,
    /// Base-asset volume traded in the window (`v`).
    pub volume: f64,
    /// Quote-asset volume traded in the window (`q`); the usual measure of liquidity.
    pub quote_volume: f64,
}

impl Ticker {
    /// Absolute price change over the window: `last_price - open_price`.
    pub fn change(&self) -> f64 {
        self.last_price - self.open_price
    }

    /// Price change over the window in percent of the open price, or `None` when the open price
    /// is zero (a symbol with no trades at the start of the window), where no ratio exists.
    pub fn change_percent(&self) -> Option<f64> {
        (self.open_price != 0.0).then(|| self.change() / self.open_price * 100.0)
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    /// Relative tolerance for comparing computed percentages.
    const REL_TOL: f64 = 1e-12;

    fn ticker(open_price: f64, last_price: f64) -> Ticker {
        Ticker {
            symbol: "BTCUSDT".parse().unwrap(),
            event_time: 1_735_689_600_000,
            last_price,
            open_price,
            high_price: open_price.max(last_price),
            low_price: open_price.min(last_price),
            volume: 10.0,
            quote_volume: 1_000.0,
        }
    }

    #[rstest]
    #[case(100.0, 110.0, 10.0, Some(10.0))]
    #[case(100.0, 75.0, -25.0, Some(-25.0))]
    #[case(0.000_001_23, 0.000_001_23, 0.0, Some(0.0))]
    #[case(0.0, 5.0, 5.0, None)]
    fn change_and_percent(
        #[case] open: f64,
        #[case] last: f64,
        #[case] change: f64,
        #[case] percent: Option<f64>,
    ) {
        let t = ticker(open, last);
        assert!((t.change() - change).abs() <= REL_TOL * change.abs());
        match (t.change_percent(), percent) {
            (Some(got), Some(want)) => assert!((got - want).abs() <= REL_TOL * want.abs()),
            (got, want) => assert_eq!(got, want),
        }
    }

    #[test]
    fn serde_round_trip() {
        let t = ticker(100.0, 110.0);
        let json = serde_json::to_string(&t).unwrap();
        assert!(json.contains(r#""symbol":"BTCUSDT""#));
        assert_eq!(serde_json::from_str::<Ticker>(&json).unwrap(), t);
    }
}
