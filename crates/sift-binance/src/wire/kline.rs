//! The kline stream `<symbol>@kline_<interval>`.

use serde::Deserialize;

/// A kline event, as Binance sends it on `<symbol>@kline_<interval>`.
///
/// ```json
/// {"e":"kline","E":1672515782136,"s":"BNBBTC","k":{"t":1672515780000,"T":1672515839999,
///  "s":"BNBBTC","i":"1m","f":100,"L":200,"o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0015",
///  "v":"1000","n":100,"x":false,"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}
/// ```
/// Strings are borrowed from the frame: Binance never escapes characters in these fields.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KlineEvent<'a> {
    /// Event type, always `kline`.
    #[serde(rename = "e")]
    pub event_type: &'a str,
    /// Event time, epoch milliseconds.
    #[serde(rename = "E")]
    pub event_time: i64,
    /// Symbol, upper case.
    #[serde(rename = "s")]
    pub symbol: &'a str,
    #[serde(rename = "k", borrow)]
    pub kline: Kline<'a>,
}

/// The candle inside a [`KlineEvent`] (`k`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Kline<'a> {
    /// Open time, epoch milliseconds.
    #[serde(rename = "t")]
    pub open_time: i64,
    /// Close time: open time + interval - 1 ms.
    #[serde(rename = "T")]
    pub close_time: i64,
    #[serde(rename = "s")]
    pub symbol: &'a str,
    /// Interval name, `1s` to `1M`.
    #[serde(rename = "i")]
    pub interval: &'a str,
    /// First trade id (`-1` when there was no trade).
    #[serde(rename = "f")]
    pub first_trade_id: i64,
    /// Last trade id (`-1` when there was no trade).
    #[serde(rename = "L")]
    pub last_trade_id: i64,
    #[serde(rename = "o")]
    pub open: &'a str,
    #[serde(rename = "c")]
    pub close: &'a str,
    #[serde(rename = "h")]
    pub high: &'a str,
    #[serde(rename = "l")]
    pub low: &'a str,
    /// Base-asset volume.
    #[serde(rename = "v")]
    pub volume: &'a str,
    /// Number of trades.
    #[serde(rename = "n")]
    pub trades: u64,
    /// Whether this is the final update of the candle.
    #[serde(rename = "x")]
    pub closed: bool,
    /// Quote-asset volume.
    #[serde(rename = "q")]
    pub quote_volume: &'a str,
    /// Taker-buy base-asset volume.
    #[serde(rename = "V")]
    pub taker_buy_volume: &'a str,
    /// Taker-buy quote-asset volume.
    #[serde(rename = "Q")]
    pub taker_buy_quote_volume: &'a str,
    /// Documented as "ignore".
    #[serde(rename = "B", default)]
    pub ignore: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAW: &str = r#"{"e":"kline","E":1672515782136,"s":"BNBBTC","k":{"t":1672515780000,"T":1672515839999,"s":"BNBBTC","i":"1m","f":100,"L":200,"o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0015","v":"1000","n":100,"x":false,"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}"#;

    #[test]
    fn mirrors_the_documented_example() {
        let event: KlineEvent<'_> = serde_json::from_str(RAW).unwrap();
        assert_eq!(event.event_type, "kline");
        assert_eq!(event.event_time, 1_672_515_782_136);
        let k = &event.kline;
        assert_eq!(
            (k.open_time, k.close_time),
            (1_672_515_780_000, 1_672_515_839_999)
        );
        assert_eq!((k.symbol, k.interval), ("BNBBTC", "1m"));
        assert_eq!(
            (k.first_trade_id, k.last_trade_id, k.trades),
            (100, 200, 100)
        );
        assert_eq!(
            (k.open, k.high, k.low, k.close),
            ("0.0010", "0.0025", "0.0015", "0.0020")
        );
        assert_eq!((k.volume, k.quote_volume), ("1000", "1.0000"));
        assert_eq!(
            (k.taker_buy_volume, k.taker_buy_quote_volume),
            ("500", "0.500")
        );
        assert_eq!(k.ignore, Some("123456"));
        assert!(!k.closed);
    }

    #[test]
    fn missing_field_is_an_error() {
        let without_close = RAW.replace(r#""c":"0.0020","#, "");
        assert!(serde_json::from_str::<KlineEvent<'_>>(&without_close).is_err());
    }
}
