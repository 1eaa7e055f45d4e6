//! `GET /api/v3/ticker/24hr`, `type=FULL` (default) and `type=MINI`.
//!
//! With `symbol=` the body is one object, otherwise an array of them.

use serde::Deserialize;

/// One symbol's 24 h statistics, `type=FULL`.
///
/// ```json
/// {"symbol":"BNBBTC","priceChange":"-94.99999800","priceChangePercent":"-95.960",
///  "weightedAvgPrice":"0.29628482","prevClosePrice":"0.10002000","lastPrice":"4.00000200",
///  "lastQty":"200.00000000","bidPrice":"4.00000000","bidQty":"100.00000000",
///  "askPrice":"4.00000200","askQty":"100.00000000","openPrice":"99.00000000",
///  "highPrice":"100.00000000","lowPrice":"0.10000000","volume":"8913.30000000",
///  "quoteVolume":"15.30000000","openTime":1499783499040,"closeTime":1499869899040,
///  "firstId":28385,"lastId":28460,"count":76}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticker24hrFull<'a> {
    pub symbol: &'a str,
    pub price_change: &'a str,
    pub price_change_percent: &'a str,
    pub weighted_avg_price: &'a str,
    pub prev_close_price: &'a str,
    pub last_price: &'a str,
    pub last_qty: &'a str,
    pub bid_price: &'a str,
    pub bid_qty: &'a str,
    pub ask_price: &'a str,
    pub ask_qty: &'a str,
    pub open_price: &'a str,
    pub high_price: &'a str,
    pub low_price: &'a str,
    pub volume: &'a str,
    pub quote_volume: &'a str,
    pub open_time: i64,
    pub close_time: i64,
    /// `-1` when there was no trade in the window.
    pub first_id: i64,
    pub last_id: i64,
    pub count: u64,
}

/// One symbol's 24 h statistics, `type=MINI`.
///
/// ```json
/// {"symbol":"BNBBTC","openPrice":"99.00000000","highPrice":"100.00000000",
///  "lowPrice":"0.10000000","lastPrice":"4.00000200","volume":"8913.30000000",
///  "quoteVolume":"15.30000000","openTime":1499783499040,"closeTime":1499869899040,
///  "firstId":28385,"lastId":28460,"count":76}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticker24hrMini<'a> {
    pub symbol: &'a str,
    pub open_price: &'a str,
    pub high_price: &'a str,
    pub low_price: &'a str,
    pub last_price: &'a str,
    pub volume: &'a str,
    pub quote_volume: &'a str,
    pub open_time: i64,
    pub close_time: i64,
    pub first_id: i64,
    pub last_id: i64,
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mini_rejects_a_missing_field() {
        let body = r#"{"symbol":"BNBBTC","openPrice":"99","highPrice":"100","lowPrice":"0.1","lastPrice":"4","volume":"1","quoteVolume":"2","openTime":1,"closeTime":2,"firstId":-1,"lastId":-1,"count":0}"#;
        let t: Ticker24hrMini<'_> = serde_json::from_str(body).unwrap();
        assert_eq!((t.first_id, t.count), (-1, 0));
        let broken = body.replace(r#""volume":"1","#, "");
        assert!(serde_json::from_str::<Ticker24hrMini<'_>>(&broken).is_err());
    }
}
