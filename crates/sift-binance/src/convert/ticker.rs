//! Mini ticker events and REST 24 h tickers to [`Ticker`].

use sift_core::Ticker;

use super::{decimal, expect_event, symbol};
use crate::ConvertError;
use crate::wire::{MiniTickerEvent, Ticker24hrFull, Ticker24hrMini};

/// A `24hrMiniTicker` event; the window ends at the event time `E`.
pub fn mini_ticker(event: &MiniTickerEvent<'_>) -> Result<Ticker, ConvertError> {
    expect_event("24hrMiniTicker", event.event_type)?;
    Ok(Ticker {
        symbol: symbol(event.symbol)?,
        event_time: event.event_time,
        last_price: decimal("c", event.close)?,
        open_price: decimal("o", event.open)?,
        high_price: decimal("h", event.high)?,
        low_price: decimal("l", event.low)?,
        volume: decimal("v", event.volume)?,
        quote_volume: decimal("q", event.quote_volume)?,
    })
}

/// A `type=FULL` REST ticker; the window ends at `closeTime`. The extra FULL fields (bid, ask,
/// change, ...) are not part of [`Ticker`] and are not read.
pub fn ticker_24hr_full(t: &Ticker24hrFull<'_>) -> Result<Ticker, ConvertError> {
    Ok(Ticker {
        symbol: symbol(t.symbol)?,
        event_time: t.close_time,
        last_price: decimal("lastPrice", t.last_price)?,
        open_price: decimal("openPrice", t.open_price)?,
        high_price: decimal("highPrice", t.high_price)?,
        low_price: decimal("lowPrice", t.low_price)?,
        volume: decimal("volume", t.volume)?,
        quote_volume: decimal("quoteVolume", t.quote_volume)?,
    })
}

/// A `type=MINI` REST ticker; the window ends at `closeTime`.
pub fn ticker_24hr_mini(t: &Ticker24hrMini<'_>) -> Result<Ticker, ConvertError> {
    Ok(Ticker {
        symbol: symbol(t.symbol)?,
        event_time: t.close_time,
        last_price: decimal("lastPrice", t.last_price)?,
        open_price: decimal("openPrice", t.open_price)?,
        high_price: decimal("highPrice", t.high_price)?,
        low_price: decimal("lowPrice", t.low_price)?,
        volume: decimal("volume", t.volume)?,
        quote_volume: decimal("quoteVolume", t.quote_volume)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI_EVENT: &str = r#"{"e":"24hrMiniTicker","E":1672515782136,"s":"BNBBTC","c":"0.0025","o":"0.0010","h":"0.0025","l":"0.0010","v":"10000","q":"18"}"#;

    #[test]
    fn mini_ticker_event() {
        let t = mini_ticker(&serde_json::from_str(MINI_EVENT).unwrap()).unwrap();
        assert_eq!(t.symbol.as_str(), "BNBBTC");
        assert_eq!(t.event_time, 1_672_515_782_136);
        assert_eq!(
            (t.last_price, t.open_price, t.high_price, t.low_price),
            (0.0025, 0.001, 0.0025, 0.001)
        );
        assert_eq!((t.volume, t.quote_volume), (10_000.0, 18.0));
        let bad = MINI_EVENT.replace(r#""q":"18""#, r#""q":"""#);
        assert!(mini_ticker(&serde_json::from_str(&bad).unwrap()).is_err());
    }

    #[test]
    fn full_and_mini_rest_tickers_agree() {
        let full = r#"{"symbol":"BNBBTC","priceChange":"-94.99999800","priceChangePercent":"-95.960","weightedAvgPrice":"0.29628482","prevClosePrice":"0.10002000","lastPrice":"4.00000200","lastQty":"200.00000000","bidPrice":"4.00000000","bidQty":"100.00000000","askPrice":"4.00000200","askQty":"100.00000000","openPrice":"99.00000000","highPrice":"100.00000000","lowPrice":"0.10000000","volume":"8913.30000000","quoteVolume":"15.30000000","openTime":1499783499040,"closeTime":1499869899040,"firstId":28385,"lastId":28460,"count":76}"#;
        let mini = r#"{"symbol":"BNBBTC","openPrice":"99.00000000","highPrice":"100.00000000","lowPrice":"0.10000000","lastPrice":"4.00000200","volume":"8913.30000000","quoteVolume":"15.30000000","openTime":1499783499040,"closeTime":1499869899040,"firstId":28385,"lastId":28460,"count":76}"#;
        let a = ticker_24hr_full(&serde_json::from_str(full).unwrap()).unwrap();
        let b = ticker_24hr_mini(&serde_json::from_str(mini).unwrap()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.event_time, 1_499_869_899_040);
        assert_eq!(a.last_price, 4.000_002);
    }
}
