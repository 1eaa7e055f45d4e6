//! The fake Binance server end to end, with a raw WebSocket client and reqwest: shapes as the
//! real decoder reads them, limits, and every fault.

use std::collections::HashSet;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use sift_binance::{
    Frame, KlineUpdate, SymbolStatus, decode_exchange_info, decode_frame, decode_klines,
    decode_rest_error, decode_ticker_24hr,
};
use sift_core::{Interval, Symbol};
use sift_sim::{Gaps, Status};
use sift_test_support::fake::{FakeBinance, FakeConfig, Faults, KlineGap};
use sift_test_support::wait_until;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

/// 2025-01-01T00:00:30Z: half a minute before the first close.
const START: i64 = 1_735_689_630_000;
/// Longest wait for anything; tests normally take a fraction of it.
const WAIT: Duration = Duration::from_secs(10);
const MINUTE: i64 = 60_000;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Five pairs, 20 hours of history, real time.
fn config() -> FakeConfig {
    FakeConfig {
        symbols: 5,
        start_ms: Some(START),
        history_minutes: 1_200,
        ..FakeConfig::default()
    }
}

/// A 1m candle every 100 ms.
fn fast() -> FakeConfig {
    FakeConfig {
        speed: 600.0,
        ..config()
    }
}

fn btc() -> Symbol {
    "BTCUSDT".parse().expect("a symbol")
}

struct Reply {
    status: u16,
    weight: Option<String>,
    retry_after: Option<String>,
    body: String,
}

async fn get(url: &str) -> Reply {
    let response = reqwest::get(url).await.expect("an http response");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().expect("an ascii header").to_owned())
    };
    Reply {
        status: response.status().as_u16(),
        weight: header("x-mbx-used-weight-1m"),
        retry_after: header("retry-after"),
        body: response.text().await.expect("a body"),
    }
}

async fn connect(url: &str) -> Ws {
    connect_async(url).await.expect("a websocket").0
}

/// The next text frame, or `None` once the connection has ended.
async fn next_text(ws: &mut Ws) -> Option<String> {
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a frame in time")
        {
            Some(Ok(Message::Text(text))) => return Some(text.to_string()),
            Some(Ok(Message::Close(_)) | Err(_)) | None => return None,
            Some(Ok(_)) => {}
        }
    }
}

async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.expect("sending a frame");
}

/// The next answer to a control message, skipping data events.
async fn answer(ws: &mut Ws) -> Value {
    loop {
        let text = next_text(ws).await.expect("an answer");
        let value: Value = serde_json::from_str(&text).expect("json");
        if value.get("id").is_some() || value.get("code").is_some() {
            return value;
        }
    }
}

/// Kline updates until `enough` says so (other frames are skipped).
async fn klines_until(ws: &mut Ws, enough: impl Fn(&[KlineUpdate]) -> bool) -> Vec<KlineUpdate> {
    let mut updates = Vec::new();
    while !enough(&updates) {
        let text = next_text(ws).await.expect("the stream goes on");
        if let Ok(Frame::Kline(update)) = decode_frame(&text) {
            updates.push(update);
        }
    }
    updates
}

fn closes(updates: &[KlineUpdate], interval: Interval) -> Vec<i64> {
    updates
        .iter()
        .filter(|u| u.interval == interval && u.candle.closed)
        .map(|u| u.candle.open_time)
        .collect()
}

#[tokio::test]
async fn klines_page_like_binance_and_equal_the_ground_truth() {
    let fake = FakeBinance::start(config()).await.unwrap();
    let url = |query: &str| format!("{}/api/v3/klines?{query}", fake.rest_url());

    // Without startTime: the newest rows, the forming candle last.
    let reply = get(&url("symbol=BTCUSDT&interval=1m&limit=5")).await;
    assert_eq!((reply.status, reply.weight.as_deref()), (200, Some("2")));
    let rows = decode_klines(&reply.body, fake.now_ms()).unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[4].open_time, Interval::M1.open_time(START));
    assert!(!rows[4].closed && rows[..4].iter().all(|c| c.closed));
    assert!(
        rows.windows(2)
            .all(|w| w[1].open_time == w[0].open_time + MINUTE)
    );

    // Paging by startTime from the beginning gives exactly the ground truth.
    let truth = fake.ground_truth(&btc(), Interval::M1, 0, i64::MAX);
    assert_eq!(truth.len(), 1_200);
    let mut paged = Vec::new();
    let mut start = 0;
    loop {
        let reply = get(&url(&format!(
            "symbol=BTCUSDT&interval=1m&startTime={start}&limit=333"
        )))
        .await;
        let rows = decode_klines(&reply.body, fake.now_ms()).unwrap();
        paged.extend(rows.iter().filter(|c| c.closed).copied());
        match rows.last() {
            Some(last) if rows.len() == 333 => start = last.open_time + 1,
            _ => break,
        }
    }
    assert_eq!(paged, truth);

    // endTime is inclusive; without startTime it bounds the newest rows.
    let (t10, t20) = (truth[10].open_time, truth[20].open_time);
    let reply = get(&url(&format!(
        "symbol=BTCUSDT&interval=1m&startTime={t10}&endTime={t20}"
    )))
    .await;
    assert_eq!(
        decode_klines(&reply.body, fake.now_ms()).unwrap(),
        truth[10..=20]
    );
    let reply = get(&url(&format!(
        "symbol=BTCUSDT&interval=1m&endTime={t20}&limit=3"
    )))
    .await;
    assert_eq!(
        decode_klines(&reply.body, fake.now_ms()).unwrap(),
        truth[18..=20]
    );

    // Default limit 500, at most 1000.
    let count = |body: &str| decode_klines(body, 0).unwrap().len();
    assert_eq!(
        count(&get(&url("symbol=BTCUSDT&interval=1m")).await.body),
        500
    );
    assert_eq!(
        count(
            &get(&url("symbol=BTCUSDT&interval=1m&limit=5000"))
                .await
                .body
        ),
        1_000
    );

    // Longer intervals are served too and agree with their ground truth.
    let reply = get(&url("symbol=ETHUSDT&interval=1h&startTime=0&limit=1000")).await;
    let hours = decode_klines(&reply.body, fake.now_ms()).unwrap();
    let eth: Symbol = "ETHUSDT".parse().unwrap();
    assert_eq!(
        hours[..hours.len() - 1],
        fake.ground_truth(&eth, Interval::H1, 0, i64::MAX)
    );

    for (query, code) in [
        ("symbol=NOPEUSDT&interval=1m", -1121),
        ("symbol=BTCUSDT&interval=2m", -1120),
        ("interval=1m", -1102),
        ("symbol=BTCUSDT", -1102),
        ("symbol=BTCUSDT&interval=1m&limit=0", -1130),
        ("symbol=BTCUSDT&interval=1m&startTime=soon", -1100),
    ] {
        let reply = get(&url(query)).await;
        assert_eq!(reply.status, 400, "{query}");
        assert_eq!(
            decode_rest_error(&reply.body).unwrap().code,
            code,
            "{query}"
        );
        assert!(reply.weight.is_some());
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn exchange_info_and_tickers_list_every_pair() {
    let fake = FakeBinance::start(FakeConfig {
        symbols: 50,
        ..config()
    })
    .await
    .unwrap();
    let base = fake.rest_url();

    let reply = get(&format!("{base}/api/v3/exchangeInfo")).await;
    assert_eq!(reply.weight.as_deref(), Some("20"));
    let listing = decode_exchange_info(&reply.body).unwrap();
    assert!(listing.rejected.is_empty());
    assert_eq!(listing.symbols.len(), 50);
    let find = |name: &str| {
        listing
            .symbols
            .iter()
            .find(|s| s.symbol.as_str() == name)
            .unwrap()
            .clone()
    };
    assert_eq!(find("ALGOUSDT").status, SymbolStatus::Halt);
    assert_eq!(find("XLMUSDT").status, SymbolStatus::Break);
    assert_eq!(find("BTCUSDT").status, SymbolStatus::Trading);
    assert_eq!(find("BTCUPUSDT").base_asset, "BTCUP");
    assert_eq!(find("USDCUSDT").base_asset, "USDC");
    assert!(listing.symbols.iter().all(|s| s.quote_asset == "USDT"));

    assert!(fake.set_status(&btc(), Status::Break));
    let reply = get(&format!("{base}/api/v3/exchangeInfo?symbol=BTCUSDT")).await;
    let listing = decode_exchange_info(&reply.body).unwrap();
    assert_eq!(listing.symbols.len(), 1);
    assert_eq!(listing.symbols[0].status, SymbolStatus::Break);

    let reply = get(&format!("{base}/api/v3/ticker/24hr?symbol=BTCUSDT")).await;
    assert!(reply.body.starts_with('{'));
    assert_eq!(reply.weight.as_deref(), Some("42"));
    let one = decode_ticker_24hr(&reply.body).unwrap();
    assert_eq!(one[0].symbol, btc());
    assert!((20_000.0..200_000.0).contains(&one[0].last_price));
    let full: sift_binance::wire::Ticker24hrFull<'_> = serde_json::from_str(&reply.body).unwrap();
    assert!(full.count > 0 && full.last_id >= full.first_id);

    let reply = get(&format!("{base}/api/v3/ticker/24hr?type=MINI")).await;
    assert_eq!(reply.weight.as_deref(), Some("122"));
    assert!(reply.body.starts_with('['));
    assert_eq!(decode_ticker_24hr(&reply.body).unwrap().len(), 50);
    let mini: Vec<sift_binance::wire::Ticker24hrMini<'_>> =
        serde_json::from_str(&reply.body).unwrap();
    assert_eq!(mini.len(), 50);

    let reply = get(&format!(
        r#"{base}/api/v3/ticker/24hr?symbols=["BTCUSDT","ETHUSDT"]"#
    ))
    .await;
    assert_eq!(decode_ticker_24hr(&reply.body).unwrap().len(), 2);
    let reply = get(&format!("{base}/api/v3/ticker/24hr?symbol=NOPEUSDT")).await;
    assert_eq!(decode_rest_error(&reply.body).unwrap().code, -1121);

    assert_eq!(get(&format!("{base}/api/v3/ping")).await.body, "{}");
    let time: Value =
        serde_json::from_str(&get(&format!("{base}/api/v3/time")).await.body).unwrap();
    assert!(time["serverTime"].as_i64().unwrap() >= START);
    fake.shutdown().await;
}

#[tokio::test]
async fn weight_over_the_limit_gives_429_then_418_until_the_ban_ends() {
    let fake = FakeBinance::start(FakeConfig {
        weight_limit: 10,
        weight_window: Duration::from_secs(2),
        ban_duration: Duration::from_secs(3),
        ..config()
    })
    .await
    .unwrap();
    let url = format!(
        "{}/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1",
        fake.rest_url()
    );
    for used in [2, 4, 6, 8, 10] {
        let reply = get(&url).await;
        assert_eq!((reply.status, reply.weight), (200, Some(used.to_string())));
    }
    let reply = get(&url).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.weight.as_deref(), Some("10"));
    assert!(reply.retry_after.is_some());
    assert_eq!(decode_rest_error(&reply.body).unwrap().code, -1003);
    let reply = get(&url).await;
    assert_eq!(
        (reply.status, reply.retry_after.as_deref()),
        (418, Some("3"))
    );
    let stats = fake.stats();
    assert_eq!(
        (stats.rest_429, stats.rest_418, stats.rest_requests),
        (1, 1, 7)
    );

    assert!(wait_until(WAIT, || async { fake.faults().ban_418_for_s.is_none() }).await);
    let reply = get(&url).await;
    assert_eq!((reply.status, reply.weight.as_deref()), (200, Some("2")));
    fake.shutdown().await;
}

#[tokio::test]
async fn rest_faults_throttle_ban_and_clear() {
    let fake = FakeBinance::start(config()).await.unwrap();
    let url = format!("{}/api/v3/ping", fake.rest_url());
    fake.set_faults(Faults {
        rest_429_for_s: Some(0.3),
        ..Faults::default()
    });
    let reply = get(&url).await;
    assert_eq!(
        (reply.status, reply.retry_after.as_deref()),
        (429, Some("1"))
    );
    // A client that waits the throttle out is not banned.
    assert!(wait_until(WAIT, || async { fake.faults().rest_429_for_s.is_none() }).await);
    assert_eq!(get(&url).await.status, 200);

    let client = reqwest::Client::new();
    let posted: Value = client
        .post(format!("{}/fake/faults", fake.rest_url()))
        .body(r#"{"ban_418_for_s": 30}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(posted["ban_418_for_s"].as_f64().unwrap() > 29.0);
    let reply = get(&url).await;
    assert_eq!(
        (reply.status, reply.retry_after.as_deref()),
        (418, Some("30"))
    );
    let shown: Value =
        serde_json::from_str(&get(&format!("{}/fake/faults", fake.rest_url())).await.body).unwrap();
    assert!(shown["ban_418_for_s"].as_f64().is_some());
    let cleared = client
        .post(format!("{}/fake/faults", fake.rest_url()))
        .body(r#"{"clear": true}"#)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(cleared, "{}");
    assert_eq!(get(&url).await.status, 200);
    let bad = client
        .post(format!("{}/fake/faults", fake.rest_url()))
        .body(r#"{"drop": 1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    fake.shutdown().await;
}

#[tokio::test]
async fn raw_and_combined_streams_have_binance_shapes() {
    let fake = FakeBinance::start(fast()).await.unwrap();
    let mut raw = connect(&format!("{}/ws/btcusdt@kline_1m", fake.ws_url())).await;
    let text = next_text(&mut raw).await.unwrap();
    assert!(text.starts_with(r#"{"e":"kline","E":"#), "{text}");
    match decode_frame(&text).unwrap() {
        Frame::Kline(update) => {
            assert_eq!((update.symbol, update.interval), (btc(), Interval::M1));
        }
        other => panic!("{other:?}"),
    }

    let url = format!(
        "{}/stream?streams=btcusdt@kline_5m/ethusdt@miniTicker",
        fake.ws_url()
    );
    let mut combined = connect(&url).await;
    let mut seen = HashSet::new();
    while seen.len() < 2 {
        let text = next_text(&mut combined).await.unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        let stream = value["stream"].as_str().unwrap().to_owned();
        match (stream.as_str(), decode_frame(&text).unwrap()) {
            ("btcusdt@kline_5m", Frame::Kline(update)) => assert_eq!(update.interval, Interval::M5),
            ("ethusdt@miniTicker", Frame::MiniTickers(tickers)) => {
                assert_eq!(tickers[0].symbol.as_str(), "ETHUSDT");
                assert_eq!(value["data"]["e"], "24hrMiniTicker");
            }
            other => panic!("{other:?}"),
        }
        seen.insert(stream);
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn every_candle_closes_exactly_once_then_the_next_one_forms() {
    let fake = FakeBinance::start(fast()).await.unwrap();
    let url = format!(
        "{}/stream?streams=btcusdt@kline_1m/btcusdt@kline_3m",
        fake.ws_url()
    );
    let mut ws = connect(&url).await;
    let updates = klines_until(&mut ws, |u| closes(u, Interval::M1).len() >= 12).await;
    for interval in [Interval::M1, Interval::M3] {
        let closed = closes(&updates, interval);
        assert!(closed.len() >= 3, "{interval}: {closed:?}");
        assert!(
            closed
                .windows(2)
                .all(|w| interval.periods_between(w[0], w[1]) == 1),
            "{interval}: one final update per candle, in order: {closed:?}"
        );
        let truth = fake.ground_truth(&btc(), interval, closed[0], i64::MAX);
        for (update, want) in updates
            .iter()
            .filter(|u| u.interval == interval && u.candle.closed)
            .zip(&truth)
        {
            assert_eq!(update.candle, *want);
        }
    }
    // After a close, updates are of the next candle only; the first of them follows it at once.
    let minute: Vec<&KlineUpdate> = updates
        .iter()
        .filter(|u| u.interval == Interval::M1)
        .collect();
    for (i, update) in minute.iter().enumerate() {
        if update.candle.closed {
            let t = update.candle.open_time;
            assert!(minute[i + 1..].iter().all(|u| u.candle.open_time > t));
            if let Some(next) = minute.get(i + 1) {
                assert_eq!(next.candle.open_time, t + MINUTE);
            }
        }
    }
    assert!(fake.stats().closes_sent >= 12);
    fake.shutdown().await;
}

#[tokio::test]
async fn control_messages_answer_like_binance() {
    let fake = FakeBinance::start(FakeConfig {
        max_messages_per_second: 100,
        ..fast()
    })
    .await
    .unwrap();
    let mut ws = connect(&format!("{}/ws", fake.ws_url())).await;
    let cases = [
        (
            r#"{"method":"SUBSCRIBE","params":["btcusdt@kline_1m"],"id":1}"#,
            r#"{"result":null,"id":1}"#,
        ),
        (
            r#"{"method":"LIST_SUBSCRIPTIONS","id":2}"#,
            r#"{"result":["btcusdt@kline_1m"],"id":2}"#,
        ),
        (
            r#"{"method":"GET_PROPERTY","params":["combined"],"id":3}"#,
            r#"{"result":false,"id":3}"#,
        ),
        (
            r#"{"method":"SET_PROPERTY","params":["combined",true],"id":4}"#,
            r#"{"result":null,"id":4}"#,
        ),
        (
            r#"{"method":"GET_PROPERTY","params":["combined"],"id":5}"#,
            r#"{"result":true,"id":5}"#,
        ),
        (
            r#"{"method":"SET_PROPERTY","params":["nope",true],"id":6}"#,
            r#"{"code":0,"msg":"Unknown property","id":6}"#,
        ),
        (
            r#"{"method":"SET_PROPERTY","params":["combined","yes"],"id":7}"#,
            r#"{"code":1,"msg":"Invalid value type: expected Boolean","id":7}"#,
        ),
        (r#"{"method":"SUBSCRIB","params":[],"id":8}"#, ""),
        (r#"{"method":"SUBSCRIBE","params":[],"id":"x"}"#, ""),
        ("{not json", ""),
        (
            r#"{"method":"UNSUBSCRIBE","params":["btcusdt@kline_1m"],"id":9}"#,
            r#"{"result":null,"id":9}"#,
        ),
        (
            r#"{"method":"LIST_SUBSCRIPTIONS","id":10}"#,
            r#"{"result":[],"id":10}"#,
        ),
    ];
    for (request, expected) in cases {
        send(&mut ws, request).await;
        let reply = answer(&mut ws).await;
        if expected.is_empty() {
            let code = reply["code"].as_i64().unwrap();
            assert!(code == 2 || code == 3, "{request}: {reply}");
            assert!(matches!(
                decode_frame(&reply.to_string()),
                Ok(Frame::Error(_))
            ));
        } else {
            assert_eq!(
                reply,
                serde_json::from_str::<Value>(expected).unwrap(),
                "{request}"
            );
        }
    }
    // Once combined is set, a raw connection's events come wrapped.
    send(
        &mut ws,
        r#"{"method":"SUBSCRIBE","params":["ethusdt@kline_1m"],"id":11}"#,
    )
    .await;
    loop {
        let value: Value = serde_json::from_str(&next_text(&mut ws).await.unwrap()).unwrap();
        if value.get("stream").is_some() {
            assert_eq!(value["stream"], "ethusdt@kline_1m");
            break;
        }
    }
    assert!(fake.stats().control_messages >= 13);
    fake.shutdown().await;
}

#[tokio::test]
async fn more_than_five_messages_a_second_disconnects() {
    let fake = FakeBinance::start(config()).await.unwrap();
    let mut ws = connect(&format!("{}/ws", fake.ws_url())).await;
    for id in 0..6 {
        send(
            &mut ws,
            &format!(r#"{{"method":"LIST_SUBSCRIPTIONS","id":{id}}}"#),
        )
        .await;
    }
    let mut answers = 0;
    while next_text(&mut ws).await.is_some() {
        answers += 1;
    }
    assert!(answers <= 5);
    assert!(wait_until(WAIT, || async { fake.stats().dropped_for_rate == 1 }).await);
    fake.shutdown().await;
}

#[tokio::test]
async fn a_connection_holds_at_most_1024_streams() {
    let fake = FakeBinance::start(config()).await.unwrap();
    let mut ws = connect(&format!("{}/ws", fake.ws_url())).await;
    let names: Vec<String> = (0..1_024)
        .map(|i| format!("s{i:04}usdt@kline_1m"))
        .collect();
    let request = serde_json::json!({"method": "SUBSCRIBE", "params": names, "id": 1});
    send(&mut ws, &request.to_string()).await;
    assert_eq!(
        answer(&mut ws).await,
        serde_json::json!({"result": null, "id": 1})
    );
    send(
        &mut ws,
        r#"{"method":"SUBSCRIBE","params":["btcusdt@kline_1m"],"id":2}"#,
    )
    .await;
    let reply = answer(&mut ws).await;
    assert_eq!(
        (reply["code"].as_i64(), reply["id"].as_i64()),
        (Some(2), Some(2))
    );
    send(&mut ws, r#"{"method":"LIST_SUBSCRIPTIONS","id":3}"#).await;
    assert_eq!(
        answer(&mut ws).await["result"].as_array().unwrap().len(),
        1_024
    );
    assert_eq!(fake.stats().subscriptions, 1_024);
    drop(ws);
    assert!(wait_until(WAIT, || async { fake.stats().subscriptions == 0 }).await);

    // A URL naming more streams than allowed is refused.
    let small = FakeBinance::start(FakeConfig {
        max_streams_per_connection: 2,
        ..config()
    })
    .await
    .unwrap();
    let url = format!(
        "{}/stream?streams=a@kline_1m/b@kline_1m/c@kline_1m",
        small.ws_url()
    );
    assert!(connect_async(url).await.is_err());
    assert_eq!(small.stats().connections_rejected, 1);
    small.shutdown().await;
    fake.shutdown().await;
}

#[tokio::test]
async fn pings_keep_a_reading_client_and_drop_a_silent_one() {
    let fake = FakeBinance::start(FakeConfig {
        ping_interval: Duration::from_millis(50),
        pong_timeout: Duration::from_millis(250),
        max_messages_per_second: 100,
        ..fast()
    })
    .await
    .unwrap();
    let url = format!("{}/ws/btcusdt@kline_1m", fake.ws_url());
    // A client that reads answers pings (tungstenite echoes them while reading).
    let mut reader = connect(&url).await;
    let reading = tokio::spawn(async move {
        let mut texts = 0usize;
        while tokio::time::timeout(WAIT, reader.next())
            .await
            .is_ok_and(|m| matches!(m, Some(Ok(_))))
        {
            texts += 1;
            if texts > 100_000 {
                break;
            }
        }
    });
    // One client never reads (so never answers); another sends only unsolicited pongs.
    let _silent = connect(&url).await;
    let mut unsolicited = connect(&url).await;
    let ponging = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_millis(50));
        for _ in 0..100 {
            every.tick().await;
            if unsolicited
                .send(Message::Pong(b"hello".to_vec().into()))
                .await
                .is_err()
            {
                break;
            }
        }
    });
    assert!(wait_until(WAIT, || async { fake.stats().dropped_for_silence == 2 }).await);
    let stats = fake.stats();
    assert!(
        stats.pings_sent >= 6 && stats.pongs_received >= 3,
        "{stats:?}"
    );
    assert!(wait_until(WAIT, || async { fake.stats().connections_open == 1 }).await);
    assert!(!reading.is_finished());
    reading.abort();
    ponging.abort();
    fake.shutdown().await;
}

#[tokio::test]
async fn disconnect_all_drops_every_connection() {
    let fake = FakeBinance::start(fast()).await.unwrap();
    let mut a = connect(&format!("{}/ws/btcusdt@kline_1m", fake.ws_url())).await;
    let mut b = connect(&format!(
        "{}/stream?streams=ethusdt@kline_1m",
        fake.ws_url()
    ))
    .await;
    assert!(next_text(&mut a).await.is_some() && next_text(&mut b).await.is_some());
    fake.set_faults(Faults {
        disconnect_all: true,
        ..Faults::default()
    });
    while next_text(&mut a).await.is_some() {}
    while next_text(&mut b).await.is_some() {}
    assert!(wait_until(WAIT, || async { fake.stats().connections_open == 0 }).await);
    assert_eq!(fake.stats().closed_by_fault, 2);
    let mut c = connect(&format!("{}/ws/btcusdt@kline_1m", fake.ws_url())).await;
    assert!(next_text(&mut c).await.is_some());
    fake.shutdown().await;
}

#[tokio::test]
async fn silence_sends_nothing_without_closing() {
    let fake = FakeBinance::start(FakeConfig {
        ping_interval: Duration::from_millis(50),
        max_messages_per_second: 100,
        ..fast()
    })
    .await
    .unwrap();
    let mut ws = connect(&format!("{}/ws/btcusdt@kline_1m", fake.ws_url())).await;
    assert!(next_text(&mut ws).await.is_some());
    fake.set_faults(Faults {
        silence_s: Some(0.6),
        ..Faults::default()
    });
    let set_at = tokio::time::Instant::now();
    // A connection opened now is served: only the old one is half-open.
    let mut fresh = connect(&format!("{}/ws/btcusdt@kline_1m", fake.ws_url())).await;
    assert!(next_text(&mut fresh).await.is_some());
    // On the old one frames of any kind (pings included) pause for long, then resume.
    let mut last = set_at;
    let mut longest = Duration::ZERO;
    while set_at.elapsed() < Duration::from_millis(900) {
        match tokio::time::timeout(WAIT, ws.next()).await.unwrap() {
            Some(Ok(_)) => {
                longest = longest.max(last.elapsed());
                last = tokio::time::Instant::now();
            }
            other => panic!("the connection stays open: {other:?}"),
        }
    }
    assert!(longest >= Duration::from_millis(400), "{longest:?}");
    assert_eq!(fake.stats().connections_open, 2);
    fake.shutdown().await;
}

/// Texts of the BTCUSDT 1m stream under `faults`, until `closes` distinct closes were seen.
async fn under_faults(faults: Faults, closes: usize) -> (FakeBinance, Vec<String>) {
    let fake = FakeBinance::start(FakeConfig {
        speed: 3_000.0,
        ..config()
    })
    .await
    .expect("a fake server");
    let mut ws = connect(&format!("{}/ws/btcusdt@kline_1m", fake.ws_url())).await;
    fake.set_faults(faults);
    let mut texts = Vec::new();
    let mut seen = HashSet::new();
    while seen.len() < closes {
        let text = next_text(&mut ws).await.expect("the stream goes on");
        if let Ok(Frame::Kline(u)) = decode_frame(&text) {
            if u.candle.closed {
                seen.insert(u.candle.open_time);
            }
        }
        texts.push(text);
    }
    (fake, texts)
}

fn updates(texts: &[String]) -> Vec<KlineUpdate> {
    texts
        .iter()
        .filter_map(|t| match decode_frame(t) {
            Ok(Frame::Kline(u)) => Some(u),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn drop_fault_loses_events() {
    let faults = Faults {
        drop_ratio: Some(0.4),
        ..Faults::default()
    };
    let (fake, texts) = under_faults(faults, 15).await;
    let closed = closes(&updates(&texts), Interval::M1);
    assert!(
        closed.windows(2).any(|w| w[1] - w[0] > MINUTE),
        "a close is missing"
    );
    assert!(fake.stats().faults_dropped > 0);
    fake.shutdown().await;
}

#[tokio::test]
async fn duplicate_fault_repeats_events() {
    let faults = Faults {
        duplicate_ratio: Some(0.5),
        ..Faults::default()
    };
    let (fake, texts) = under_faults(faults, 10).await;
    let closed = closes(&updates(&texts), Interval::M1);
    assert!(
        closed.windows(2).any(|w| w[0] == w[1]),
        "a close is repeated"
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn reorder_fault_sends_events_out_of_order() {
    let faults = Faults {
        reorder_ratio: Some(0.5),
        ..Faults::default()
    };
    let (fake, texts) = under_faults(faults, 10).await;
    let all = updates(&texts);
    assert!(
        all.windows(2)
            .any(|w| (w[1].event_time, w[1].candle.open_time)
                < (w[0].event_time, w[0].candle.open_time)),
        "an event arrives after a later one"
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn malformed_fault_sends_broken_frames() {
    let faults = Faults {
        malformed_ratio: Some(0.3),
        ..Faults::default()
    };
    let (fake, texts) = under_faults(faults, 5).await;
    let broken = texts.iter().filter(|t| decode_frame(t).is_err()).count();
    assert!(
        broken > 0 && broken < texts.len(),
        "{broken} of {}",
        texts.len()
    );
    assert!(
        texts
            .iter()
            .filter_map(|t| decode_frame(t).err())
            .all(|e| e.is_malformed())
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn connections_close_at_their_maximum_age() {
    let fake = FakeBinance::start(fast()).await.unwrap();
    fake.set_faults(Faults {
        max_connection_age_s: Some(0.3),
        ..Faults::default()
    });
    let mut ws = connect(&format!("{}/ws/btcusdt@kline_1m", fake.ws_url())).await;
    let code = loop {
        match tokio::time::timeout(WAIT, ws.next()).await.unwrap() {
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            other => panic!("expected a close frame: {other:?}"),
        }
    };
    assert_eq!(code, Some(1000));
    assert_eq!(fake.stats().closed_for_age, 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn server_shutdown_is_announced_then_the_connection_closes() {
    let fake = FakeBinance::start(FakeConfig {
        shutdown_grace: Duration::from_millis(200),
        ..fast()
    })
    .await
    .unwrap();
    let mut ws = connect(&format!(
        "{}/stream?streams=btcusdt@kline_1m",
        fake.ws_url()
    ))
    .await;
    assert!(next_text(&mut ws).await.is_some());
    fake.set_faults(Faults {
        server_shutdown: true,
        ..Faults::default()
    });
    loop {
        let text = next_text(&mut ws)
            .await
            .expect("serverShutdown before the close");
        if let Ok(Frame::ServerShutdown { event_time }) = decode_frame(&text) {
            assert!(
                text.starts_with(r#"{"stream":"!serverShutdown","data":{"e":"serverShutdown""#)
            );
            assert!(event_time >= START);
            break;
        }
    }
    while next_text(&mut ws).await.is_some() {}
    assert_eq!(fake.stats().closed_by_fault, 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn a_kline_gap_hides_closes_that_rest_still_serves() {
    let fake = FakeBinance::start(fast()).await.unwrap();
    let from = Interval::M1.open_time(fake.now_ms()) + 3 * MINUTE;
    let to = from + 2 * MINUTE;
    let gap: Faults = serde_json::from_str(&format!(
        r#"{{"kline_gap": {{"symbol": "BTCUSDT", "interval": "1m", "from": {from}, "to": {to}}}}}"#
    ))
    .unwrap();
    fake.set_faults(gap);
    assert_eq!(
        fake.faults().kline_gap,
        [KlineGap {
            symbol: btc(),
            interval: Interval::M1,
            from,
            to
        }]
    );
    let mut ws = connect(&format!("{}/ws/btcusdt@kline_1m", fake.ws_url())).await;
    let updates = klines_until(&mut ws, |u| {
        closes(u, Interval::M1)
            .last()
            .is_some_and(|t| *t > to + MINUTE)
    })
    .await;
    let closed = closes(&updates, Interval::M1);
    assert!(
        closed.contains(&(from - MINUTE)) && closed.contains(&(to + MINUTE)),
        "{closed:?}"
    );
    assert!(
        closed.iter().all(|t| !(from..=to).contains(t)),
        "{closed:?}"
    );
    let truth = fake.ground_truth(&btc(), Interval::M1, from, to + 1);
    assert_eq!(truth.len(), 3);
    fake.shutdown().await;
}

#[tokio::test]
async fn mini_tickers_arrive_per_symbol_and_as_an_array_of_changes() {
    // A very slow clock (a push per 1 ms of market time, 100 ms of wall time) and short halts:
    // a halted pair's 24 h statistics stand still, a trading pair's move with every push.
    let fake = FakeBinance::start(FakeConfig {
        speed: 0.01,
        ticker_interval: Duration::from_millis(1),
        gaps: Some(Gaps {
            chance_per_minute: 0.3,
            max_minutes: 4,
        }),
        ..config()
    })
    .await
    .unwrap();
    let url = format!(
        "{}/stream?streams=!miniTicker@arr/btcusdt@miniTicker",
        fake.ws_url()
    );
    let mut ws = connect(&url).await;
    let mut arrays: Vec<usize> = Vec::new();
    let mut single = 0;
    while single < 5 {
        let text = next_text(&mut ws).await.unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        let Ok(Frame::MiniTickers(tickers)) = decode_frame(&text) else {
            panic!("{text}");
        };
        match value["stream"].as_str() {
            Some("!miniTicker@arr") => {
                assert!(value["data"].is_array());
                assert!(tickers.iter().all(|t| t.last_price > 0.0));
                arrays.push(tickers.len());
            }
            Some("btcusdt@miniTicker") => {
                assert!(value["data"].is_object());
                assert_eq!(tickers[0].symbol, btc());
                single += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(arrays[0], 5, "the first array has every pair");
    assert!(arrays.len() >= 3, "trading pairs change: {arrays:?}");
    assert!(
        arrays[1..].iter().all(|n| *n < 5),
        "halted pairs do not: {arrays:?}"
    );
    fake.shutdown().await;
}
