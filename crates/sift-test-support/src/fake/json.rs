//! The fake server's JSON, written by hand to mirror Binance's byte for byte: key order as
//! documented, decimals as strings with eight places.

use std::fmt::Write;

use serde_json::json;
use sift_core::{Candle, Interval, Symbol, Ticker};
use sift_sim::DayStats;

/// A decimal as Binance prints spot prices and quantities: eight places. The market's values
/// are decimals of at most eight places, which the shortest round-trip form prints exactly
/// (`{:.8}` would print a large value's binary noise: `930950190.63639998`); computed ones
/// (averages) are rounded to eight places.
fn dec(x: f64) -> String {
    let shortest = x.to_string();
    match shortest.split_once('.') {
        None if x.is_finite() => format!("{shortest}.00000000"),
        Some((_, fraction)) if fraction.len() <= 8 => {
            format!("{shortest}{}", "0".repeat(8 - fraction.len()))
        }
        _ => format!("{x:.8}"),
    }
}

/// A kline event (`<symbol>@kline_<interval>`).
///
/// ```json
/// {"e":"kline","E":1672515782136,"s":"BNBBTC","k":{"t":1672515780000,"T":1672515839999,
///  "s":"BNBBTC","i":"1m","f":100,"L":200,"o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0015",
///  "v":"1000","n":100,"x":false,"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}
/// ```
pub(crate) fn kline_event(
    symbol: &Symbol,
    interval: Interval,
    c: &Candle,
    event_time: i64,
    trade_ids: (i64, i64),
) -> String {
    let s = symbol.as_str();
    let mut out = String::with_capacity(400);
    let _ = write!(
        out,
        r#"{{"e":"kline","E":{event_time},"s":"{s}","k":{{"t":{},"T":{},"s":"{s}","i":"{interval}","f":{},"L":{},"o":"{}","c":"{}","h":"{}","l":"{}","v":"{}","n":{},"x":{},"q":"{}","V":"{}","Q":"{}","B":"0"}}}}"#,
        c.open_time,
        c.close_time,
        trade_ids.0,
        trade_ids.1,
        dec(c.open),
        dec(c.close),
        dec(c.high),
        dec(c.low),
        dec(c.volume),
        c.trades,
        c.closed,
        dec(c.quote_volume),
        dec(c.taker_buy_volume),
        dec(c.taker_buy_quote_volume),
    );
    out
}

/// A mini ticker event (`<symbol>@miniTicker`, and each item of `!miniTicker@arr`).
///
/// ```json
/// {"e":"24hrMiniTicker","E":1672515782136,"s":"BNBBTC","c":"0.0025","o":"0.0010",
///  "h":"0.0025","l":"0.0010","v":"10000","q":"18"}
/// ```
pub(crate) fn mini_ticker(t: &Ticker) -> String {
    format!(
        r#"{{"e":"24hrMiniTicker","E":{},"s":"{}","c":"{}","o":"{}","h":"{}","l":"{}","v":"{}","q":"{}"}}"#,
        t.event_time,
        t.symbol,
        dec(t.last_price),
        dec(t.open_price),
        dec(t.high_price),
        dec(t.low_price),
        dec(t.volume),
        dec(t.quote_volume),
    )
}

/// Items already written, as one JSON array.
pub(crate) fn array(items: &[String]) -> String {
    let mut out = String::with_capacity(items.iter().map(|i| i.len() + 1).sum::<usize>() + 2);
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out.push(']');
    out
}

/// An event on a combined-stream connection: `{"stream":"<name>","data":<payload>}`.
pub(crate) fn combined(stream: &str, payload: &str) -> String {
    format!(r#"{{"stream":"{stream}","data":{payload}}}"#)
}

/// `{"e":"serverShutdown","E":...}` (combined stream `!serverShutdown`).
pub(crate) fn server_shutdown(event_time: i64) -> String {
    format!(r#"{{"e":"serverShutdown","E":{event_time}}}"#)
}

/// `GET /api/v3/klines` rows: `[openTime, "open", "high", "low", "close", "volume", closeTime,
/// "quoteVolume", trades, "takerBuyBase", "takerBuyQuote", "0"]`.
pub(crate) fn kline_rows(candles: &[Candle]) -> String {
    let rows: Vec<String> = candles
        .iter()
        .map(|c| {
            format!(
                r#"[{},"{}","{}","{}","{}","{}",{},"{}",{},"{}","{}","0"]"#,
                c.open_time,
                dec(c.open),
                dec(c.high),
                dec(c.low),
                dec(c.close),
                dec(c.volume),
                c.close_time,
                dec(c.quote_volume),
                c.trades,
                dec(c.taker_buy_volume),
                dec(c.taker_buy_quote_volume),
            )
        })
        .collect();
    array(&rows)
}

/// One symbol of `GET /api/v3/ticker/24hr`, `type=FULL`. The fake has no order book: the bid is
/// one tick under the last price, the ask the last price, with a few lots on each side.
pub(crate) fn ticker_full(d: &DayStats, tick: f64, lot: f64) -> String {
    let t = &d.ticker;
    let change_percent = t.change_percent().unwrap_or(0.0);
    let weighted = if t.volume > 0.0 {
        t.quote_volume / t.volume
    } else {
        0.0
    };
    let bid = (t.last_price - tick).max(0.0);
    format!(
        r#"{{"symbol":"{}","priceChange":"{}","priceChangePercent":"{change_percent:.3}","weightedAvgPrice":"{}","prevClosePrice":"{}","lastPrice":"{}","lastQty":"{}","bidPrice":"{}","bidQty":"{}","askPrice":"{}","askQty":"{}","openPrice":"{}","highPrice":"{}","lowPrice":"{}","volume":"{}","quoteVolume":"{}","openTime":{},"closeTime":{},"firstId":{},"lastId":{},"count":{}}}"#,
        t.symbol,
        dec(t.change()),
        dec(weighted),
        dec(t.open_price),
        dec(t.last_price),
        dec(lot),
        dec(bid),
        dec(lot * 7.0),
        dec(t.last_price),
        dec(lot * 5.0),
        dec(t.open_price),
        dec(t.high_price),
        dec(t.low_price),
        dec(t.volume),
        dec(t.quote_volume),
        d.open_time,
        t.event_time,
        d.first_trade_id,
        d.last_trade_id,
        d.trades,
    )
}

/// One symbol of `GET /api/v3/ticker/24hr`, `type=MINI`.
pub(crate) fn ticker_mini(d: &DayStats) -> String {
    let t = &d.ticker;
    format!(
        r#"{{"symbol":"{}","openPrice":"{}","highPrice":"{}","lowPrice":"{}","lastPrice":"{}","volume":"{}","quoteVolume":"{}","openTime":{},"closeTime":{},"firstId":{},"lastId":{},"count":{}}}"#,
        t.symbol,
        dec(t.open_price),
        dec(t.high_price),
        dec(t.low_price),
        dec(t.last_price),
        dec(t.volume),
        dec(t.quote_volume),
        d.open_time,
        t.event_time,
        d.first_trade_id,
        d.last_trade_id,
        d.trades,
    )
}

/// A REST error body: `{"code":-1121,"msg":"Invalid symbol."}`.
pub(crate) fn rest_error(code: i64, msg: &str) -> String {
    json!({ "code": code, "msg": msg }).to_string()
}

/// One pair of exchangeInfo.
#[derive(Debug, Clone)]
pub(crate) struct PairInfo {
    pub(crate) symbol: Symbol,
    pub(crate) status: &'static str,
    pub(crate) base: String,
    pub(crate) quote: &'static str,
    pub(crate) tick: f64,
    pub(crate) lot: f64,
}

/// `GET /api/v3/exchangeInfo`, with the fields a spot pair has (most fixed).
pub(crate) fn exchange_info(server_time: i64, weight_limit: u32, pairs: &[PairInfo]) -> String {
    let symbols: Vec<serde_json::Value> = pairs
        .iter()
        .map(|p| {
            json!({
                "symbol": p.symbol,
                "status": p.status,
                "baseAsset": p.base,
                "baseAssetPrecision": 8,
                "quoteAsset": p.quote,
                "quotePrecision": 8,
                "quoteAssetPrecision": 8,
                "baseCommissionPrecision": 8,
                "quoteCommissionPrecision": 8,
                "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
                "icebergAllowed": true,
                "ocoAllowed": true,
                "otoAllowed": true,
                "quoteOrderQtyMarketAllowed": true,
                "allowTrailingStop": true,
                "cancelReplaceAllowed": true,
                "isSpotTradingAllowed": true,
                "isMarginTradingAllowed": false,
                "filters": [
                    {"filterType": "PRICE_FILTER", "minPrice": dec(p.tick), "maxPrice": "1000000.00000000", "tickSize": dec(p.tick)},
                    {"filterType": "LOT_SIZE", "minQty": dec(p.lot), "maxQty": "90000000.00000000", "stepSize": dec(p.lot)},
                    {"filterType": "NOTIONAL", "minNotional": "5.00000000", "applyMinToMarket": true, "maxNotional": "9000000.00000000", "applyMaxToMarket": false, "avgPriceMins": 5}
                ],
                "permissions": [],
                "permissionSets": [["SPOT"]],
                "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
                "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"]
            })
        })
        .collect();
    json!({
        "timezone": "UTC",
        "serverTime": server_time,
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": weight_limit},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
            {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000}
        ],
        "exchangeFilters": [],
        "symbols": symbols
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use sift_binance::wire::{KlineEvent, KlineRow, MiniTickerEvent};

    use super::*;

    fn candle() -> Candle {
        Candle {
            open_time: 1_735_689_600_000,
            close_time: 1_735_689_659_999,
            open: 93_576.0,
            high: 93_610.93,
            low: 93_537.5,
            close: 93_610.93,
            volume: 8.21827,
            quote_volume: 768_978.602_719,
            trades: 1_317,
            taker_buy_volume: 4.32539,
            taker_buy_quote_volume: 404_713.314_302_9,
            closed: false,
        }
    }

    #[test]
    fn decimals_have_eight_places_without_binary_noise() {
        assert_eq!(dec(930_950_190.636_4), "930950190.63640000");
        assert_eq!(dec(65_000.0), "65000.00000000");
        assert_eq!(dec(0.000_012_34), "0.00001234");
        assert_eq!(dec(1.0 / 3.0), "0.33333333");
        assert_eq!(dec(0.0), "0.00000000");
    }

    #[test]
    fn a_kline_event_is_byte_for_byte_binance() {
        let btc: Symbol = "BTCUSDT".parse().unwrap();
        let text = kline_event(
            &btc,
            Interval::M1,
            &candle(),
            1_735_689_662_013,
            (4_337_402_141, 4_337_403_457),
        );
        let fixture = r#"{"e":"kline","E":1735689662013,"s":"BTCUSDT","k":{"t":1735689600000,"T":1735689659999,"s":"BTCUSDT","i":"1m","f":4337402141,"L":4337403457,"o":"93576.00000000","c":"93610.93000000","h":"93610.93000000","l":"93537.50000000","v":"8.21827000","n":1317,"x":false,"q":"768978.60271900","V":"4.32539000","Q":"404713.31430290","B":"0"}}"#;
        assert_eq!(text, fixture);
        let event: KlineEvent<'_> = serde_json::from_str(&text).unwrap();
        assert_eq!(event.kline.interval, "1m");
    }

    #[test]
    fn rows_and_tickers_parse_as_binance_wire() {
        let rows = kline_rows(&[candle(), candle()]);
        let parsed: Vec<KlineRow<'_>> = serde_json::from_str(&rows).unwrap();
        assert_eq!(
            (parsed.len(), parsed[1].2, parsed[1].11),
            (2, "93610.93000000", "0")
        );
        let ticker = Ticker {
            symbol: "BTCUSDT".parse().unwrap(),
            event_time: 5,
            last_price: 2.0,
            open_price: 1.0,
            high_price: 2.5,
            low_price: 0.5,
            volume: 10.0,
            quote_volume: 15.0,
        };
        let mini = mini_ticker(&ticker);
        let event: MiniTickerEvent<'_> = serde_json::from_str(&mini).unwrap();
        assert_eq!(
            (event.close, event.quote_volume),
            ("2.00000000", "15.00000000")
        );
        let stats = DayStats {
            ticker,
            open_time: 0,
            trades: 3,
            first_trade_id: 7,
            last_trade_id: 9,
        };
        let full_text = ticker_full(&stats, 0.01, 0.001);
        let full: sift_binance::wire::Ticker24hrFull<'_> =
            serde_json::from_str(&full_text).unwrap();
        assert_eq!(
            (full.price_change_percent, full.weighted_avg_price),
            ("100.000", "1.50000000")
        );
        let mini_text = ticker_mini(&stats);
        let mini: sift_binance::wire::Ticker24hrMini<'_> =
            serde_json::from_str(&mini_text).unwrap();
        assert_eq!((mini.first_id, mini.count), (7, 3));
    }
}
