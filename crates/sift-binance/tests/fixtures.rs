//! Every fixture in `tests/fixtures/` decodes to the values it holds. See PROVENANCE.md there.

use sift_binance::wire::{ControlResult, Ticker24hrFull, Ticker24hrMini};
use sift_binance::{
    Frame, SymbolStatus, decode_exchange_info, decode_frame, decode_klines, decode_rest_error,
    decode_ticker_24hr,
};
use sift_core::Interval;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A frame as the socket delivers it (no trailing newline); the file with its newline must
/// decode identically (the general path).
fn frame(name: &str) -> Frame {
    let text = fixture(name);
    let decoded = decode_frame(text.trim_end()).expect("decoding the frame as sent");
    let with_newline = decode_frame(&text).expect("decoding the frame with a newline");
    assert_eq!(with_newline, decoded, "{name}");
    decoded
}

#[test]
fn kline_raw_forming() {
    let Frame::Kline(u) = frame("kline_raw_forming.json") else {
        panic!()
    };
    assert_eq!((u.symbol.as_str(), u.interval), ("BTCUSDT", Interval::M1));
    assert_eq!(u.event_time, 1_735_689_662_013);
    let c = u.candle;
    assert!(!c.closed);
    assert_eq!(
        (c.open_time, c.close_time),
        (1_735_689_600_000, 1_735_689_659_999)
    );
    assert_eq!(
        (c.open, c.high, c.low, c.close),
        (93_576.0, 93_610.93, 93_537.5, 93_610.93)
    );
    assert_eq!(
        (c.volume, c.quote_volume, c.trades),
        (8.218_27, 768_978.602_719, 1317)
    );
    assert_eq!(
        (c.taker_buy_volume, c.taker_buy_quote_volume),
        (4.325_39, 404_713.314_302_9)
    );
}

#[test]
fn kline_combined_closed_is_the_same_candle_final() {
    let Frame::Kline(forming) = frame("kline_raw_forming.json") else {
        panic!()
    };
    let Frame::Kline(closed) = frame("kline_combined_closed.json") else {
        panic!()
    };
    assert!(closed.candle.closed);
    assert_eq!(closed.candle.open_time, forming.candle.open_time);
    assert_eq!(closed.candle.trades, 1321);
}

#[test]
fn kline_without_trades() {
    let Frame::Kline(u) = frame("kline_combined_no_trades.json") else {
        panic!()
    };
    assert_eq!(u.interval, Interval::Month1);
    assert_eq!(
        u.candle.close_time,
        Interval::Month1.close_time(u.candle.open_time)
    );
    assert_eq!(
        (u.candle.trades, u.candle.volume, u.candle.open),
        (0, 0.0, 0.000_021_61)
    );
}

#[test]
fn mini_tickers() {
    let Frame::MiniTickers(one) = frame("mini_ticker_raw.json") else {
        panic!()
    };
    assert_eq!(one.len(), 1);
    assert_eq!((one[0].last_price, one[0].quote_volume), (0.0025, 18.0));
    let Frame::MiniTickers(all) = frame("mini_ticker_arr_combined.json") else {
        panic!()
    };
    let names: Vec<&str> = all.iter().map(|t| t.symbol.as_str()).collect();
    assert_eq!(names, ["BTCUSDT", "ETHUSDT", "1000SATSUSDT"]);
    assert_eq!(all[0].quote_volume, 1_100_853_416.705_844_7);
    assert_eq!(all[2].last_price, 0.000_331_5);
}

#[test]
fn server_shutdown_and_control() {
    assert_eq!(
        frame("server_shutdown_combined.json"),
        Frame::ServerShutdown {
            event_time: 1_735_689_661_004
        }
    );
    let Frame::Response(r) = frame("control_result_null.json") else {
        panic!()
    };
    assert_eq!((r.id, r.result), (1, None));
    let Frame::Response(r) = frame("control_list_subscriptions.json") else {
        panic!()
    };
    let Some(ControlResult::Streams(streams)) = r.result else {
        panic!()
    };
    assert_eq!(streams.len(), 3);
    let Frame::Error(e) = frame("control_error.json") else {
        panic!()
    };
    assert_eq!(
        (e.code, e.msg.as_str(), e.id),
        (0, "Unknown property", Some(3))
    );
}

#[test]
fn rest_klines() {
    let candles = decode_klines(&fixture("rest_klines.json"), 1_735_689_700_000).unwrap();
    assert_eq!(candles.len(), 3);
    assert!(candles[0].closed && candles[1].closed && !candles[2].closed);
    assert_eq!(candles[0].open, 0.016_347_9);
    assert_eq!(candles[0].volume, 148_976.114_278_15);
    assert_eq!(candles[2].close, 93_641.21);
}

#[test]
fn exchange_info() {
    let listing = decode_exchange_info(&fixture("exchange_info.json")).unwrap();
    assert!(listing.rejected.is_empty());
    let statuses: Vec<(&str, &SymbolStatus)> = listing
        .symbols
        .iter()
        .map(|s| (s.symbol.as_str(), &s.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("ETHBTC", &SymbolStatus::Trading),
            ("BTCUSDT", &SymbolStatus::Trading),
            ("LUNAUSDT", &SymbolStatus::Break),
            ("XYZUSDT", &SymbolStatus::Halt),
            ("BTCUPUSDT", &SymbolStatus::EndOfDay),
        ]
    );
    assert_eq!(listing.symbols[3].base_asset, "XYZ");
}

#[test]
fn ticker_24hr_full_and_mini() {
    let full_text = fixture("ticker_24hr_full_one.json");
    let full: Ticker24hrFull<'_> = serde_json::from_str(&full_text).unwrap();
    assert_eq!(
        (full.price_change_percent, full.bid_qty),
        ("-95.960", "100.00000000")
    );
    let one = decode_ticker_24hr(&full_text).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(
        (one[0].last_price, one[0].event_time),
        (4.000_002, 1_499_869_899_040)
    );

    let mini_text = fixture("ticker_24hr_mini_all.json");
    let minis: Vec<Ticker24hrMini<'_>> = serde_json::from_str(&mini_text).unwrap();
    assert_eq!(minis[2].first_id, -1);
    let all = decode_ticker_24hr(&mini_text).unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0], one[0]);
    assert_eq!(all[2].change_percent(), None);
}

#[test]
fn rest_errors() {
    let e = decode_rest_error(&fixture("rest_error_invalid_symbol.json")).unwrap();
    assert_eq!((e.code, e.msg.as_str()), (-1121, "Invalid symbol."));
    let e = decode_rest_error(&fixture("rest_error_invalid_interval.json")).unwrap();
    assert_eq!(e.code, -1120);
}
