//! REST response bodies to values: what the REST client calls with each body.

use sift_core::{Candle, Ticker};

use crate::convert::{rest_candle, symbol_info, ticker_24hr_mini};
use crate::market::SymbolInfo;
use crate::wire::{ExchangeInfo, KlineRow, RestError, Ticker24hrMini};
use crate::{ConvertError, DecodeError};

/// A `GET /api/v3/klines` body. Rows whose close time is not before `now_ms` are marked as not
/// closed (the newest row may still be forming).
pub fn decode_klines(body: &str, now_ms: i64) -> Result<Vec<Candle>, DecodeError> {
    let rows: Vec<KlineRow<'_>> = serde_json::from_str(body)?;
    Ok(rows
        .iter()
        .map(|row| rest_candle(row, now_ms))
        .collect::<Result<_, _>>()?)
}

/// The pairs of an exchangeInfo body.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    /// Every pair Sift can represent, in Binance's order.
    pub symbols: Vec<SymbolInfo>,
    /// Pairs skipped because their names are not valid [`Symbol`](sift_core::Symbol)s.
    pub rejected: Vec<ConvertError>,
}

/// A `GET /api/v3/exchangeInfo` body. A pair Sift cannot represent does not fail the listing; it
/// is reported in [`Listing::rejected`].
pub fn decode_exchange_info(body: &str) -> Result<Listing, DecodeError> {
    let info: ExchangeInfo<'_> = serde_json::from_str(body)?;
    let mut listing = Listing {
        symbols: Vec::with_capacity(info.symbols.len()),
        rejected: Vec::new(),
    };
    for symbol in &info.symbols {
        match symbol_info(symbol) {
            Ok(info) => listing.symbols.push(info),
            Err(err) => listing.rejected.push(err),
        }
    }
    Ok(listing)
}

/// A `GET /api/v3/ticker/24hr` body of either type (`FULL`'s fields are a superset of `MINI`'s,
/// so both parse as [`Ticker24hrMini`]), one object (with `symbol=`) or an array.
pub fn decode_ticker_24hr(body: &str) -> Result<Vec<Ticker>, DecodeError> {
    if body.trim_ascii_start().starts_with('[') {
        let all: Vec<Ticker24hrMini<'_>> = serde_json::from_str(body)?;
        Ok(all.iter().map(ticker_24hr_mini).collect::<Result<_, _>>()?)
    } else {
        let one: Ticker24hrMini<'_> = serde_json::from_str(body)?;
        Ok(vec![ticker_24hr_mini(&one)?])
    }
}

/// The body of a failed call, `{"code":-1121,"msg":"Invalid symbol."}`.
pub fn decode_rest_error(body: &str) -> Result<RestError, DecodeError> {
    Ok(serde_json::from_str(body)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn klines_mark_the_forming_row() {
        let body = r#"[[0,"1","2","0.5","1.5","10",59999,"15",3,"5","7.5","0"],[60000,"1.5","2","1","1.2","4",119999,"5",2,"1","1.2","0"]]"#;
        let candles = decode_klines(body, 100_000).unwrap();
        assert_eq!(candles.len(), 2);
        assert!(candles[0].closed && !candles[1].closed);
        assert!(decode_klines(r#"[[0,"1"]]"#, 0).is_err());
        assert!(
            decode_klines(
                r#"[[0,"x","2","0.5","1.5","10",59999,"15",3,"5","7.5","0"]]"#,
                0
            )
            .is_err()
        );
    }

    #[test]
    fn exchange_info_reports_rejected_names() {
        let body = r#"{"symbols":[{"symbol":"ETHBTC","status":"TRADING","baseAsset":"ETH","quoteAsset":"BTC"},{"symbol":"ETH-BTC","status":"TRADING","baseAsset":"ETH","quoteAsset":"BTC"}]}"#;
        let listing = decode_exchange_info(body).unwrap();
        assert_eq!(listing.symbols.len(), 1);
        assert_eq!(listing.rejected.len(), 1);
    }

    #[test]
    fn ticker_object_or_array() {
        let one = r#"{"symbol":"BNBBTC","openPrice":"1","highPrice":"2","lowPrice":"0.5","lastPrice":"1.5","volume":"1","quoteVolume":"2","openTime":1,"closeTime":2,"firstId":-1,"lastId":-1,"count":0}"#;
        assert_eq!(decode_ticker_24hr(one).unwrap().len(), 1);
        assert_eq!(
            decode_ticker_24hr(&format!(" [{one},{one}]"))
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            decode_rest_error(r#"{"code":-1120,"msg":"bad"}"#)
                .unwrap()
                .code,
            -1120
        );
    }
}
