//! Klines from the stream and from REST to [`Candle`].

use sift_core::Candle;

use super::{decimal, expect_event, interval, symbol};
use crate::ConvertError;
use crate::market::KlineUpdate;
use crate::wire::{Kline, KlineEvent, KlineRow};

/// The stream's candle, `closed` taken from `x`.
pub fn candle(k: &Kline<'_>) -> Result<Candle, ConvertError> {
    checked(Candle {
        open_time: k.open_time,
        close_time: k.close_time,
        open: decimal("o", k.open)?,
        high: decimal("h", k.high)?,
        low: decimal("l", k.low)?,
        close: decimal("c", k.close)?,
        volume: decimal("v", k.volume)?,
        quote_volume: decimal("q", k.quote_volume)?,
        trades: k.trades,
        taker_buy_volume: decimal("V", k.taker_buy_volume)?,
        taker_buy_quote_volume: decimal("Q", k.taker_buy_quote_volume)?,
        closed: k.closed,
    })
}

/// A whole kline event: symbol, interval, event time and candle.
pub fn kline_update(event: &KlineEvent<'_>) -> Result<KlineUpdate, ConvertError> {
    expect_event("kline", event.event_type)?;
    Ok(KlineUpdate {
        interval: interval(event.kline.interval)?,
        candle: candle(&event.kline)?,
        symbol: symbol(event.symbol)?,
        event_time: event.event_time,
    })
}

/// A REST kline row. REST rows carry no closed flag: the candle is closed when its close time is
/// before `now_ms` (the server's or the local clock), since the newest row may still be forming.
pub fn rest_candle(row: &KlineRow<'_>, now_ms: i64) -> Result<Candle, ConvertError> {
    checked(Candle {
        open_time: row.0,
        open: decimal("open", row.1)?,
        high: decimal("high", row.2)?,
        low: decimal("low", row.3)?,
        close: decimal("close", row.4)?,
        volume: decimal("volume", row.5)?,
        close_time: row.6,
        quote_volume: decimal("quote_volume", row.7)?,
        trades: row.8,
        taker_buy_volume: decimal("taker_buy_volume", row.9)?,
        taker_buy_quote_volume: decimal("taker_buy_quote_volume", row.10)?,
        closed: row.6 < now_ms,
    })
}

/// Rejects candles no exchange could have produced, so they never reach indicators.
fn checked(candle: Candle) -> Result<Candle, ConvertError> {
    if candle.high < candle.low {
        return Err(ConvertError::HighBelowLow {
            open_time: candle.open_time,
            high: candle.high,
            low: candle.low,
        });
    }
    if candle.close_time < candle.open_time {
        return Err(ConvertError::CloseBeforeOpen {
            open_time: candle.open_time,
            close_time: candle.close_time,
        });
    }
    Ok(candle)
}

#[cfg(test)]
mod tests {
    use sift_core::Interval;

    use super::*;

    const EVENT: &str = r#"{"e":"kline","E":1672515782136,"s":"BNBBTC","k":{"t":1672515780000,"T":1672515839999,"s":"BNBBTC","i":"1m","f":100,"L":200,"o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0015","v":"1000","n":100,"x":true,"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}"#;
    const ROW: &str = r#"[1499040000000,"0.01634790","0.80000000","0.01575800","0.01577100","148976.11427815",1499644799999,"2434.19055334",308,"1756.87402397","28.46694368","0"]"#;

    fn update(json: &str) -> Result<KlineUpdate, ConvertError> {
        kline_update(&serde_json::from_str(json).unwrap())
    }

    #[test]
    fn converts_every_field() {
        let u = update(EVENT).unwrap();
        assert_eq!(u.symbol.as_str(), "BNBBTC");
        assert_eq!(u.interval, Interval::M1);
        assert_eq!(u.event_time, 1_672_515_782_136);
        assert_eq!(
            u.candle,
            Candle {
                open_time: 1_672_515_780_000,
                close_time: 1_672_515_839_999,
                open: 0.001,
                high: 0.0025,
                low: 0.0015,
                close: 0.002,
                volume: 1000.0,
                quote_volume: 1.0,
                trades: 100,
                taker_buy_volume: 500.0,
                taker_buy_quote_volume: 0.5,
                closed: true,
            }
        );
    }

    #[test]
    fn rejects_bad_values() {
        let bad_decimal = EVENT.replace(r#""h":"0.0025""#, r#""h":"abc""#);
        assert!(matches!(
            update(&bad_decimal),
            Err(ConvertError::Decimal { field: "h", .. })
        ));
        let bad_interval = EVENT.replace(r#""i":"1m""#, r#""i":"2m""#);
        assert!(matches!(
            update(&bad_interval),
            Err(ConvertError::Market(_))
        ));
        let bad_symbol = EVENT.replace(r#""s":"BNBBTC","k""#, r#""s":"BNB/BTC","k""#);
        assert!(matches!(update(&bad_symbol), Err(ConvertError::Market(_))));
        let high_below_low = EVENT.replace(r#""h":"0.0025""#, r#""h":"0.0001""#);
        assert!(matches!(
            update(&high_below_low),
            Err(ConvertError::HighBelowLow { .. })
        ));
        let close_before_open = EVENT.replace("1672515839999", "1672515779999");
        assert!(matches!(
            update(&close_before_open),
            Err(ConvertError::CloseBeforeOpen { .. })
        ));
        let wrong_event = EVENT.replace(r#""e":"kline""#, r#""e":"trade""#);
        assert!(matches!(
            update(&wrong_event),
            Err(ConvertError::EventType { .. })
        ));
    }

    #[test]
    fn rest_rows_are_closed_only_once_their_close_time_passed() {
        let row: KlineRow<'_> = serde_json::from_str(ROW).unwrap();
        let c = rest_candle(&row, 1_499_644_800_000).unwrap();
        assert!(c.closed);
        assert_eq!(
            (c.open, c.high, c.volume, c.trades),
            (0.0163479, 0.8, 148_976.114_278_15, 308)
        );
        assert!(!rest_candle(&row, 1_499_644_799_999).unwrap().closed);
    }
}
