//! The REST client against a small in-test server: weight budget and header, 429, 418 across
//! clones, retries, typed errors, and kline paging.

mod rest_server;

use std::time::{Duration, Instant};

use rest_server::{Recorded, Reply, RestServer, klines_reply};
use sift_binance::{CODE_INVALID_SYMBOL, RestClient, RestConfig, RestError};
use sift_core::{Interval, Symbol};
use sift_test_support::wait_until;

const MINUTE: i64 = 60_000;
/// 2024-01-01T00:00:00Z.
const T0: i64 = 1_704_067_200_000;

fn client(server: &RestServer, config: RestConfig) -> RestClient {
    RestClient::new(RestConfig {
        base_url: server.url.clone(),
        ..config
    })
    .expect("client")
}

fn quick() -> RestConfig {
    RestConfig {
        timeout: Duration::from_secs(2),
        backoff_min: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
        ..RestConfig::default()
    }
}

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").expect("symbol")
}

#[tokio::test]
async fn server_time_and_the_weight_header() {
    let server = RestServer::start(|_, _| {
        Reply::ok(r#"{"serverTime":1700000000123}"#).header("x-mbx-used-weight-1m", 7)
    })
    .await;
    let rest = client(&server, quick());
    assert_eq!(rest.server_time().await.unwrap(), 1_700_000_000_123);
    let stats = rest.stats();
    assert_eq!((stats.requests, stats.used_weight, stats.errors), (1, 7, 0));
    assert_eq!(server.requests()[0].path, "/api/v3/time");
}

// Timing assertions are lower bounds measured by the caller, which hold however loaded the
// machine is: a call held for the next window cannot be sent before that window starts.

#[tokio::test]
async fn the_weight_header_holds_calls_until_the_next_window() {
    let window = Duration::from_millis(300);
    // The server says 49 of the cap of 50 are used: every call must wait for a new window.
    let server =
        RestServer::start(|r, _| klines_reply(&[T0], r).header("x-mbx-used-weight-1m", 49)).await;
    let rest = client(
        &server,
        RestConfig {
            weight_limit_per_minute: 100,
            weight_headroom: 0.5,
            weight_window: window,
            ..quick()
        },
    );
    let started = Instant::now();
    for _ in 0..4 {
        rest.klines(&btc(), Interval::M1, None, None, 10)
            .await
            .unwrap();
    }
    // Four calls in four windows (at least three if a figure arrived after a boundary and was
    // ignored): the last was sent more than one window after the first.
    assert!(started.elapsed() > window, "{:?}", started.elapsed());
    assert_eq!(rest.stats().used_weight, 49);
}

#[tokio::test]
async fn concurrent_clones_share_one_local_budget() {
    let window = Duration::from_millis(200);
    let server = RestServer::start(|r, _| klines_reply(&[T0], r)).await;
    // Cap 8 per window: four klines calls (weight 2) per window, so 20 calls need 5 windows.
    let rest = client(
        &server,
        RestConfig {
            weight_limit_per_minute: 10,
            weight_headroom: 0.8,
            weight_window: window,
            ..quick()
        },
    );
    let started = Instant::now();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let rest = rest.clone();
            tokio::spawn(async move {
                rest.klines(&btc(), Interval::M1, None, None, 1)
                    .await
                    .unwrap()
            })
        })
        .collect();
    for call in calls {
        call.await.unwrap();
    }
    assert!(started.elapsed() > 3 * window, "{:?}", started.elapsed());
    assert_eq!(rest.stats().requests, 20);
    assert_eq!(server.requests().len(), 20);
}

#[tokio::test]
async fn a_429_pauses_for_retry_after_then_continues() {
    let server = RestServer::start(|_, i| match i {
        0 => Reply::status(429, r#"{"code":-1003,"msg":"Too many requests."}"#)
            .header("retry-after", "0.5"),
        _ => Reply::ok(r#"{"serverTime":1}"#),
    })
    .await;
    let rest = client(&server, quick());
    assert_eq!(rest.server_time().await.unwrap(), 1);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[1].at - requests[0].at >= Duration::from_millis(500));
    let stats = rest.stats();
    assert_eq!((stats.status_429, stats.retries, stats.errors), (1, 1, 0));
}

#[tokio::test]
async fn a_418_stops_every_clone_until_the_ban_ends() {
    let server = RestServer::start(|_, i| match i {
        0 => Reply::status(
            418,
            r#"{"code":-1003,"msg":"Way too many requests; IP banned."}"#,
        )
        .header("retry-after", 1)
        .after(Duration::from_millis(50)),
        _ => Reply::ok(r#"{"serverTime":2}"#),
    })
    .await;
    let rest = client(&server, quick());
    let first = {
        let rest = rest.clone();
        tokio::spawn(async move { rest.server_time().await })
    };
    assert!(
        wait_until(Duration::from_secs(5), || {
            let banned = rest.stats().banned_until_ms.is_some();
            async move { banned }
        })
        .await
    );
    // Other clones wait too, without sending anything.
    let others: Vec<_> = (0..3)
        .map(|_| {
            let rest = rest.clone();
            tokio::spawn(async move { rest.server_time().await })
        })
        .collect();
    assert_eq!(first.await.unwrap().unwrap(), 2);
    for other in others {
        assert_eq!(other.await.unwrap().unwrap(), 2);
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 5);
    let banned_at = requests[0].at;
    for later in &requests[1..] {
        assert!(
            later.at - banned_at >= Duration::from_secs(1),
            "{:?}",
            later.at - banned_at
        );
    }
    let stats = rest.stats();
    assert_eq!((stats.status_418, stats.banned_until_ms), (1, None));
}

#[tokio::test]
async fn server_errors_and_timeouts_are_retried() {
    let server = RestServer::start(|_, i| match i {
        0 => Reply::status(500, "oops"),
        1 => Reply::status(503, ""),
        2 => Reply::ok(r#"{"serverTime":3}"#).after(Duration::from_secs(3)),
        _ => Reply::ok(r#"{"serverTime":3}"#),
    })
    .await;
    let rest = client(
        &server,
        RestConfig {
            timeout: Duration::from_millis(300),
            ..quick()
        },
    );
    assert_eq!(rest.server_time().await.unwrap(), 3);
    let stats = rest.stats();
    assert_eq!((stats.requests, stats.retries, stats.errors), (4, 3, 0));
}

#[tokio::test]
async fn retries_stop_after_max_retries() {
    let server = RestServer::start(|_, _| Reply::status(502, "")).await;
    let rest = client(
        &server,
        RestConfig {
            max_retries: 2,
            ..quick()
        },
    );
    let err = rest.server_time().await.unwrap_err();
    assert!(matches!(err, RestError::Status { status: 502 }));
    assert!(err.is_retryable());
    assert_eq!(server.requests().len(), 3);
    // Nothing listening: a transport error, retried as well.
    let closed = RestClient::new(RestConfig {
        base_url: "http://127.0.0.1:1".to_owned(),
        max_retries: 1,
        ..quick()
    })
    .unwrap();
    let err = closed.server_time().await.unwrap_err();
    assert!(matches!(err, RestError::Transport(_)), "{err:?}");
    assert_eq!((closed.stats().requests, closed.stats().errors), (2, 1));
}

#[tokio::test]
async fn binance_errors_are_typed_and_not_retried() {
    let server =
        RestServer::start(
            |r: &Recorded, _| match r.query.get("interval").map(String::as_str) {
                Some("1m") => Reply::status(400, r#"{"code":-1121,"msg":"Invalid symbol."}"#),
                _ => Reply::status(404, "not found"),
            },
        )
        .await;
    let rest = client(&server, quick());
    let err = rest
        .klines(&btc(), Interval::M1, None, None, 10)
        .await
        .unwrap_err();
    assert_eq!(err.binance_code(), Some(CODE_INVALID_SYMBOL));
    assert!(!err.is_retryable());
    let err = rest
        .klines(&btc(), Interval::M5, None, None, 10)
        .await
        .unwrap_err();
    assert!(matches!(err, RestError::Status { status: 404 }));
    assert_eq!(server.requests().len(), 2);
    let err = rest
        .klines(&btc(), Interval::M1, None, None, 1001)
        .await
        .unwrap_err();
    assert!(matches!(err, RestError::InvalidRequest(_)));
    // Refused before sending: not a failed call.
    assert_eq!(rest.stats().errors, 2);
}

#[tokio::test]
async fn klines_range_pages_forwards_across_gaps() {
    // 2500 one-minute candles with 10 missing.
    let opens: Vec<i64> = (0..2500)
        .filter(|i| !(1200..1210).contains(i))
        .map(|i| T0 + i * MINUTE)
        .collect();
    let data = opens.clone();
    let server = RestServer::start(move |r, _| klines_reply(&data, r)).await;
    let rest = client(&server, quick());
    let (from, to) = (T0 + 100 * MINUTE, T0 + 2400 * MINUTE);
    let candles = rest
        .klines_range(&btc(), Interval::M1, from, to)
        .await
        .unwrap();
    let expected: Vec<i64> = opens
        .iter()
        .copied()
        .filter(|t| (from..to).contains(t))
        .collect();
    let got: Vec<i64> = candles.iter().map(|c| c.open_time).collect();
    assert_eq!(got, expected);
    assert!(candles.iter().all(|c| c.closed));
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r.param("limit") == Some(1000)
        && r.param("endTime") == Some(to - 1)
        && r.query["symbol"] == "BTCUSDT"
        && r.query["interval"] == "1m"));
    // An empty range asks nothing.
    assert!(
        rest.klines_range(&btc(), Interval::M1, to, to)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn closed_klines_page_backwards_and_drop_the_forming_candle() {
    // History of 1800 candles; the last one is forming at `now`.
    let opens: Vec<i64> = (0..1800).map(|i| T0 + i * MINUTE).collect();
    let now = T0 + 1799 * MINUTE + 30_000;
    let data = opens.clone();
    let server = RestServer::start(move |r, _| klines_reply(&data, r)).await;
    let rest = client(&server, quick());
    let candles = rest
        .closed_klines(&btc(), Interval::M1, 1500, now)
        .await
        .unwrap();
    let got: Vec<i64> = candles.iter().map(|c| c.open_time).collect();
    assert_eq!(got, opens[299..1799]);
    assert!(candles.iter().all(|c| c.closed && c.close_time < now));
    let limits: Vec<Option<i64>> = server.requests().iter().map(|r| r.param("limit")).collect();
    assert_eq!(limits, [Some(1000), Some(500)]);
    // More than the history holds: everything closed, oldest first.
    let all = rest
        .closed_klines(&btc(), Interval::M1, 5000, now)
        .await
        .unwrap();
    assert_eq!(all.len(), 1799);
    assert_eq!(all[0].open_time, T0);
    assert!(all.windows(2).all(|w| w[1].open_time > w[0].open_time));
}

#[tokio::test]
async fn exchange_info_and_all_tickers() {
    let fixture = |name: &str| {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let (info, tickers) = (
        fixture("exchange_info.json"),
        fixture("ticker_24hr_mini_all.json"),
    );
    let server = RestServer::start(move |r, _| match r.path.as_str() {
        "/api/v3/exchangeInfo" => Reply::ok(info.clone()),
        "/api/v3/ticker/24hr" if r.query.get("type").map(String::as_str) == Some("MINI") => {
            Reply::ok(tickers.clone())
        }
        _ => Reply::status(404, ""),
    })
    .await;
    let rest = client(&server, quick());
    let listing = rest.exchange_info().await.unwrap();
    assert!(!listing.symbols.is_empty());
    let all = rest.tickers_24hr().await.unwrap();
    assert!(all.len() > 1);
    // A body that is not what the endpoint documents is a decode error, not retried.
    let garbage = RestServer::start(|_, _| Reply::ok("<html>")).await;
    let err = client(&garbage, quick()).exchange_info().await.unwrap_err();
    assert!(matches!(err, RestError::Decode(_)) && !err.is_retryable());
    assert_eq!(garbage.requests().len(), 1);
}
