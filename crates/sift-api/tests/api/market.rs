//! Market data, rule validation, preview and backtest over the candle store, signal paging.

use axum::http::StatusCode;
use serde_json::json;
use sift_api::{ControlEvent, SymbolStatus};
use sift_core::Tier;

use crate::common::{Auth, CANDLES, MINUTE, T0, TestApp};

#[tokio::test]
async fn klines_have_the_fixed_shape_with_the_forming_candle_last() {
    let app = TestApp::new().await;
    let reply = app
        .get(&Auth::Anonymous, "/api/v1/market/klines/btcusdt/1m?limit=3")
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["symbol"], "BTCUSDT");
    assert_eq!(reply.json["interval"], "1m");
    let candles = reply.json["candles"].as_array().unwrap();
    assert_eq!(candles.len(), 3);
    let keys: Vec<&String> = candles[0].as_object().unwrap().keys().collect();
    let want = [
        "open_time",
        "close_time",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "quote_volume",
        "trades",
        "closed",
    ];
    assert_eq!(keys, want);
    assert_eq!(candles[0]["open_time"], T0 + (CANDLES - 2) * MINUTE);
    assert_eq!(candles[0]["closed"], true);
    assert_eq!(candles[2]["open_time"], T0 + CANDLES * MINUTE);
    assert_eq!(candles[2]["closed"], false);
    assert!(candles[2]["close"].is_f64());

    let all = app
        .get(&Auth::Anonymous, "/api/v1/market/klines/BTCUSDT/1m")
        .await;
    assert_eq!(
        all.json["candles"].as_array().unwrap().len(),
        CANDLES as usize + 1
    );
    let none = app
        .get(&Auth::Anonymous, "/api/v1/market/klines/BTCUSDT/1h")
        .await;
    assert_eq!(none.status, StatusCode::OK);
    assert!(none.json["candles"].as_array().unwrap().is_empty());
    let too_many = app
        .get(
            &Auth::Anonymous,
            "/api/v1/market/klines/BTCUSDT/1m?limit=1001",
        )
        .await;
    assert_eq!(too_many.status, StatusCode::BAD_REQUEST);
    app.finish().await;
}

#[tokio::test]
async fn symbols_and_tickers() {
    let app = TestApp::new().await;
    let reply = app.get(&Auth::Anonymous, "/api/v1/market/symbols").await;
    let symbols: Vec<&str> = reply.json["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(symbols, ["BTCUSDT", "ETHUSDT"]);
    app.control.set_symbols(vec![SymbolStatus {
        symbol: "BTCUSDT".parse().unwrap(),
        status: "TRADING".to_owned(),
        watched: true,
        quote_volume: Some(9e9),
    }]);
    let reply = app.get(&Auth::Anonymous, "/api/v1/market/symbols").await;
    assert_eq!(reply.json["symbols"][0]["status"], "TRADING");

    let reply = app.get(&Auth::Anonymous, "/api/v1/market/tickers").await;
    let tickers = reply.json["tickers"].as_array().unwrap();
    assert_eq!(tickers.len(), 2);
    assert_eq!(tickers[0]["symbol"], "BTCUSDT");
    assert!(tickers[0]["change_percent"].is_f64());
    // Stale tickers are left out.
    app.clock.advance(120_000);
    let reply = app.get(&Auth::Anonymous, "/api/v1/market/tickers").await;
    assert!(reply.json["tickers"].as_array().unwrap().is_empty());
    app.finish().await;
}

#[tokio::test]
async fn validate_reports_timeframes_and_warmup() {
    let app = TestApp::new().await;
    let body = json!({ "rule": "rsi(14) < 30 and close @ 1h > ema(20) @ 1h", "interval": "5m" });
    let reply = app
        .post(&Auth::Anonymous, "/api/v1/traders/validate", body)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["valid"], true);
    assert_eq!(reply.json["timeframes"], json!(["5m", "1h"]));
    let warmup = reply.json["warmup"].as_array().unwrap();
    assert_eq!(warmup[0]["interval"], "5m");
    assert!(warmup[1]["bars"].as_u64().unwrap() >= 20);
    assert!(
        reply.json["references"]
            .as_array()
            .unwrap()
            .contains(&json!("rsi(14)"))
    );
    app.finish().await;
}

#[tokio::test]
async fn preview_lists_the_symbols_matching_now_with_values() {
    let app = TestApp::new().await;
    let pro = app.account("p@example.com", Tier::Pro, false).await;
    let body = json!({ "rule": "close > open", "interval": "1m" });
    let reply = app.post(&pro.auth, "/api/v1/traders/preview", body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["checked"], 2);
    let matches = reply.json["matches"].as_array().unwrap();
    assert_eq!(matches.len(), 1, "{matches:?}");
    assert_eq!(matches[0]["symbol"], "BTCUSDT");
    assert_eq!(matches[0]["open_time"], T0 + (CANDLES - 1) * MINUTE);
    let values = matches[0]["values"].as_object().unwrap();
    assert!(values["close"].as_f64().unwrap() > values["open"].as_f64().unwrap());

    // A history-dependent rule: the warm-up comes from the stored candles.
    let body = json!({ "rule": "close < open and close[1] > open[1] and sma(close, 20) > 0",
                       "interval": "1m", "symbols": ["ETHUSDT", "BTCUSDT"] });
    let reply = app.post(&pro.auth, "/api/v1/traders/preview", body).await;
    let matches = reply.json["matches"].as_array().unwrap();
    assert_eq!(matches.len(), 1, "{}", reply.json);
    assert_eq!(matches[0]["symbol"], "ETHUSDT");

    // Top 1 by ticker quote volume is BTCUSDT.
    let body = json!({ "rule": "close > 0", "interval": "1m", "symbols": { "top": 1 } });
    let reply = app.post(&pro.auth, "/api/v1/traders/preview", body).await;
    assert_eq!(reply.json["checked"], 1);
    assert_eq!(reply.json["matches"][0]["symbol"], "BTCUSDT");

    let invalid = json!({ "rule": "close >", "interval": "1m" });
    let reply = app
        .post(&pro.auth, "/api/v1/traders/preview", invalid)
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.json["error"]["details"]["diagnostics"].is_array());
    app.finish().await;
}

#[tokio::test]
async fn backtest_replays_stored_candles() {
    let app = TestApp::new().await;
    let pro = app.account("p@example.com", Tier::Pro, false).await;
    let created = app
        .post(
            &pro.auth,
            "/api/v1/traders",
            json!({ "name": "up", "interval": "1m",
            "rule": "close > open", "symbols": ["BTCUSDT"] }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(app.control.events(), [ControlEvent::Changed(created.id())]);
    let path = format!("/api/v1/traders/{}/backtest", created.id());
    let reply = app
        .post(&pro.auth, &path, json!({ "horizons": [1, 2] }))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    // Candles alternate down/up: every up candle after a down one is a new edge.
    assert_eq!(reply.json["signal_count"], CANDLES / 2);
    assert_eq!(reply.json["symbols"], 1);
    let horizons = reply.json["horizons"].as_array().unwrap();
    assert_eq!(horizons[0]["bars"], 1);
    // The newest signal has no later candle.
    assert_eq!(horizons[0]["count"], CANDLES / 2 - 1);
    let signal = &reply.json["signals"][0];
    assert_eq!(signal["symbol"], "BTCUSDT");
    assert_eq!(signal["forward"].as_array().unwrap().len(), 2);

    let window = json!({ "from": T0 + 100 * MINUTE, "to": T0 + 109 * MINUTE });
    let reply = app.post(&pro.auth, &path, window).await;
    assert_eq!(reply.json["signal_count"], 5);
    let bad = app.post(&pro.auth, &path, json!({ "horizons": [0] })).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = app
        .post(&pro.auth, &path, json!({ "from": 10, "to": 1 }))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    app.finish().await;
}

#[tokio::test]
async fn signals_page_with_cursors_and_filters() {
    let app = TestApp::new().await;
    let free = app.account("f@example.com", Tier::Free, false).await;
    let trader = app.trader(None, "anon", Some(Tier::Anonymous)).await;
    for minute in 0..25 {
        app.signal(
            trader.id,
            if minute % 2 == 0 {
                "BTCUSDT"
            } else {
                "ETHUSDT"
            },
            minute,
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut uri = "/api/v1/signals?limit=10".to_owned();
    loop {
        let reply = app.get(&free.auth, &uri).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        for s in reply.json["signals"].as_array().unwrap() {
            seen.push(s["open_time"].as_i64().unwrap());
        }
        match reply.json["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/api/v1/signals?limit=10&cursor={cursor}"),
            None => break,
        }
    }
    let want: Vec<i64> = (0..25).rev().map(|m| T0 + m * MINUTE).collect();
    assert_eq!(seen, want, "newest first, each once");

    let since = T0 + 10 * MINUTE;
    let until = T0 + 20 * MINUTE;
    let uri = format!("/api/v1/signals?symbol=BTCUSDT&interval=1m&since={since}&until={until}");
    let reply = app.get(&free.auth, &uri).await;
    let times: Vec<i64> = reply.json["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["open_time"].as_i64().unwrap() - T0) / MINUTE)
        .collect();
    assert_eq!(times, [18, 16, 14, 12, 10]);
    let reply = app.get(&free.auth, "/api/v1/signals?limit=501").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    app.finish().await;
}
