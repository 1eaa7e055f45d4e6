//! The mini ticker streams `<symbol>@miniTicker` and `!miniTicker@arr`.

use serde::Deserialize;

/// Rolling 24 h statistics of one symbol, every second while it changes.
///
/// `<symbol>@miniTicker` sends one object; `!miniTicker@arr` sends an array of them holding only
/// the symbols that changed:
/// ```json
/// [{"e":"24hrMiniTicker","E":1672515782136,"s":"BNBBTC","c":"0.0025","o":"0.0010",
///   "h":"0.0025","l":"0.0010","v":"10000","q":"18"}]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MiniTickerEvent<'a> {
    /// Event type, always `24hrMiniTicker`.
    #[serde(rename = "e")]
    pub event_type: &'a str,
    /// Event time, epoch milliseconds: the end of the 24 h window.
    #[serde(rename = "E")]
    pub event_time: i64,
    #[serde(rename = "s")]
    pub symbol: &'a str,
    /// Last price.
    #[serde(rename = "c")]
    pub close: &'a str,
    /// Price 24 h ago.
    #[serde(rename = "o")]
    pub open: &'a str,
    #[serde(rename = "h")]
    pub high: &'a str,
    #[serde(rename = "l")]
    pub low: &'a str,
    /// Base-asset volume.
    #[serde(rename = "v")]
    pub volume: &'a str,
    /// Quote-asset volume.
    #[serde(rename = "q")]
    pub quote_volume: &'a str,
}

/// The `!miniTicker@arr` payload.
pub type MiniTickerArray<'a> = Vec<MiniTickerEvent<'a>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_single_and_array() {
        let one = r#"{"e":"24hrMiniTicker","E":1672515782136,"s":"BNBBTC","c":"0.0025","o":"0.0010","h":"0.0025","l":"0.0010","v":"10000","q":"18"}"#;
        let event: MiniTickerEvent<'_> = serde_json::from_str(one).unwrap();
        assert_eq!(event.symbol, "BNBBTC");
        assert_eq!((event.close, event.quote_volume), ("0.0025", "18"));
        let array = format!("[{one},{one}]");
        let many: MiniTickerArray<'_> = serde_json::from_str(&array).unwrap();
        assert_eq!(many, vec![event.clone(), event]);
    }
}
