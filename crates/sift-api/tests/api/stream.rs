//! The SSE stream: per-connection filtering of signals by owner and tier, topics, replay after
//! `Last-Event-ID` (also while signals commit), resync on lag and on a failed commit,
//! keep-alive, shutdown.

use std::time::Duration;

use axum::body::{Body, BodyDataStream};
use axum::http::{Request, StatusCode, header};
use futures_util::StreamExt;
use serde_json::Value;
use sift_api::{Hub, TraderVisibility};
use sift_candles::CandleStore;
use sift_core::{Candle, Interval, Tier};
use sift_store::{Signal, Trader};
use sift_test_support::wait_until;

use crate::common::{Auth, Backend, NOW, TestApp, test_config};

/// How long a test waits for an expected event.
const EVENT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq)]
struct SseEvent {
    event: String,
    id: Option<String>,
    data: String,
    /// A comment-only frame (keep-alive).
    comment: bool,
}

impl SseEvent {
    fn json(&self) -> Value {
        serde_json::from_str(&self.data).expect("test data")
    }
}

struct SseClient {
    body: BodyDataStream,
    buffer: String,
}

impl SseClient {
    async fn connect(app: &TestApp, auth: &Auth, uri: &str, last_event_id: Option<i64>) -> Self {
        let mut builder = Request::get(uri);
        builder = match auth {
            Auth::Session { token, .. } | Auth::SessionNoCsrf { token } => {
                builder.header(header::COOKIE, format!("sift_session={token}"))
            }
            Auth::Bearer(token) => builder.header(header::AUTHORIZATION, format!("Bearer {token}")),
            Auth::Anonymous => builder,
        };
        if let Some(id) = last_event_id {
            builder = builder.header("last-event-id", id.to_string());
        }
        let response = app
            .send(builder.body(Body::empty()).expect("test data"))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/event-stream"
        );
        Self {
            body: response.into_body().into_data_stream(),
            buffer: String::new(),
        }
    }

    /// The next frame (keep-alive comments included), or None when the stream ends or
    /// nothing arrives in time.
    async fn frame(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                return Some(parse(&frame));
            }
            let chunk = tokio::time::timeout(EVENT_TIMEOUT, self.body.next())
                .await
                .ok()??;
            self.buffer
                .push_str(std::str::from_utf8(&chunk.ok()?).expect("test data"));
        }
    }

    /// The next event that is not a keep-alive comment.
    async fn event(&mut self) -> SseEvent {
        loop {
            let frame = self.frame().await.expect("an event in time");
            if !frame.comment {
                return frame;
            }
        }
    }

    /// Signal ids received until (and including) `last`; panics on other event kinds.
    async fn signals_until(&mut self, last: i64) -> Vec<i64> {
        let mut ids = Vec::new();
        loop {
            let event = self.event().await;
            assert_eq!(event.event, "signal", "{event:?}");
            let id: i64 = event
                .id
                .as_deref()
                .expect("test data")
                .parse()
                .expect("test data");
            assert_eq!(event.json()["id"], id);
            ids.push(id);
            if id == last {
                return ids;
            }
        }
    }
}

fn parse(frame: &str) -> SseEvent {
    let mut event = SseEvent {
        event: "message".to_owned(),
        id: None,
        data: String::new(),
        comment: true,
    };
    for line in frame.lines() {
        if line.is_empty() || line.starts_with(':') {
            continue;
        }
        event.comment = false;
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => event.event = value.to_owned(),
            "id" => event.id = Some(value.to_owned()),
            "data" => event.data.push_str(value),
            _ => {}
        }
    }
    event
}

async fn publish(app: &TestApp, trader: &Trader, symbol: &str, minute: i64) -> Signal {
    let signal = app.signal(trader.id, symbol, minute).await;
    app.hub
        .publish_signal(&signal, &TraderVisibility::of(trader));
    signal
}

#[tokio::test]
async fn signals_reach_exactly_the_callers_who_may_see_them() {
    let app = TestApp::new().await;
    let owner = app.account("owner@example.com", Tier::Pro, false).await;
    let other = app.account("other@example.com", Tier::Pro, false).await;
    let free = app.account("free@example.com", Tier::Free, false).await;
    let elite = app.account("elite@example.com", Tier::Elite, false).await;
    let admin = app.account("admin@example.com", Tier::Free, true).await;
    let own = app.trader(Some(owner.id), "own", None).await;
    let b_anon = app.trader(None, "anon", Some(Tier::Anonymous)).await;
    let b_free = app.trader(None, "free", Some(Tier::Free)).await;
    let b_elite = app.trader(None, "elite", Some(Tier::Elite)).await;
    let callers = [
        &Auth::Anonymous,
        &free.auth,
        &owner.auth,
        &other.auth,
        &elite.auth,
        &admin.auth,
    ];
    let mut clients = Vec::new();
    for auth in callers {
        clients.push(SseClient::connect(&app, auth, "/api/v1/stream?topics=signals", None).await);
    }
    assert_eq!(app.hub.client_count(), callers.len());

    let s_own = publish(&app, &own, "BTCUSDT", 1).await.id;
    let s_free = publish(&app, &b_free, "BTCUSDT", 2).await.id;
    let s_elite = publish(&app, &b_elite, "ETHUSDT", 3).await.id;
    let end = publish(&app, &b_anon, "ETHUSDT", 4).await.id;
    let expected = [
        vec![end],
        vec![s_free, end],
        vec![s_own, s_free, end],
        vec![s_free, end],
        vec![s_free, s_elite, end],
        vec![s_free, s_elite, end],
    ];
    for (client, want) in clients.iter_mut().zip(expected) {
        assert_eq!(client.signals_until(end).await, want);
    }

    // The event carries the same JSON as the signal list.
    let listed = app.get(&owner.auth, "/api/v1/signals?limit=500").await;
    let from_list = listed.json["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == s_own)
        .unwrap()
        .clone();
    let s_again = publish(&app, &own, "ETHUSDT", 5).await;
    let event = clients[2].event().await;
    let listed = app
        .get(&owner.auth, &format!("/api/v1/signals/{}", s_again.id))
        .await;
    assert_eq!(event.json(), listed.json);
    assert_eq!(
        event.json().as_object().unwrap().keys().collect::<Vec<_>>(),
        from_list.as_object().unwrap().keys().collect::<Vec<_>>()
    );

    drop(clients);
    assert!(wait_until(EVENT_TIMEOUT, || async { app.hub.client_count() == 0 }).await);
    app.finish().await;
}

#[tokio::test]
async fn last_event_id_replays_missed_signals_once() {
    let app = TestApp::new().await;
    let free = app.account("free@example.com", Tier::Free, false).await;
    let b_anon = app.trader(None, "anon", Some(Tier::Anonymous)).await;
    let b_free = app.trader(None, "free", Some(Tier::Free)).await;
    let b_elite = app.trader(None, "elite", Some(Tier::Elite)).await;
    let s1 = app.signal(b_anon.id, "BTCUSDT", 1).await;
    let s2 = app.signal(b_free.id, "BTCUSDT", 2).await;
    app.signal(b_elite.id, "BTCUSDT", 3).await;
    let s4 = app.signal(b_free.id, "ETHUSDT", 4).await;

    let mut client = SseClient::connect(&app, &free.auth, "/api/v1/stream", Some(s1.id)).await;
    // A live copy of an already replayed signal is not sent twice.
    app.hub.publish_signal(&s4, &TraderVisibility::of(&b_free));
    let s5 = publish(&app, &b_anon, "ETHUSDT", 5).await;
    assert_eq!(client.signals_until(s5.id).await, [s2.id, s4.id, s5.id]);

    // The query parameter works as the header does.
    let uri = format!("/api/v1/stream?topics=signals&last_event_id={}", s4.id);
    let mut client = SseClient::connect(&app, &free.auth, &uri, None).await;
    let end = publish(&app, &b_anon, "ETHUSDT", 6).await;
    assert_eq!(client.signals_until(end.id).await, [s5.id, end.id]);

    // Without history (anonymous), a reconnect gets a resync instead of a replay.
    let mut anonymous = SseClient::connect(&app, &Auth::Anonymous, "/api/v1/stream", Some(0)).await;
    let event = anonymous.event().await;
    assert_eq!(event.event, "resync");
    assert_eq!(event.json()["reason"], "no_history");
    app.finish().await;
}

#[tokio::test]
async fn too_many_missed_signals_resync() {
    let mut config = test_config();
    config.stream.replay_limit = 2;
    let app = TestApp::with(Backend::Sqlite, config, Hub::new()).await;
    let free = app.account("free@example.com", Tier::Free, false).await;
    let b_anon = app.trader(None, "anon", Some(Tier::Anonymous)).await;
    for minute in 0..3 {
        app.signal(b_anon.id, "BTCUSDT", minute).await;
    }
    let mut client = SseClient::connect(&app, &free.auth, "/api/v1/stream", Some(0)).await;
    let event = client.event().await;
    assert_eq!(
        (event.event.as_str(), &event.json()["reason"]),
        ("resync", &"too_many_missed".into())
    );
    app.finish().await;
}

#[tokio::test]
async fn a_lagging_client_gets_resync() {
    let app = TestApp::with(Backend::Sqlite, test_config(), Hub::with_capacity(4)).await;
    let mut client = SseClient::connect(
        &app,
        &Auth::Anonymous,
        "/api/v1/stream?topics=tickers",
        None,
    )
    .await;
    let ticker = app
        .candles
        .ticker(&"BTCUSDT".parse().unwrap(), NOW)
        .unwrap()
        .unwrap();
    for _ in 0..10 {
        app.hub.publish_tickers(std::slice::from_ref(&ticker));
    }
    let event = client.event().await;
    assert_eq!(event.event, "resync");
    assert_eq!(event.json()["reason"], "lagged");
    assert_eq!(event.json()["missed"], 6);
    // It keeps receiving afterwards.
    let event = client.event().await;
    assert_eq!(event.event, "ticker");
    assert_eq!(event.json()["symbol"], "BTCUSDT");
    app.finish().await;
}

#[tokio::test]
async fn topics_select_tickers_and_candles() {
    let app = TestApp::new().await;
    let uri = "/api/v1/stream?topics=candles:BTCUSDT:1m,tickers:ETHUSDT";
    let mut client = SseClient::connect(&app, &Auth::Anonymous, uri, None).await;
    let btc = "BTCUSDT".parse().unwrap();
    let eth = "ETHUSDT".parse().unwrap();
    let candle = Candle::ohlcv(0, 1.0, 2.0, 0.5, 1.5, 10.0);
    app.hub.publish_candle(&eth, Interval::M1, &candle, true);
    app.hub.publish_candle(&btc, Interval::M5, &candle, true);
    app.hub.publish_candle(&btc, Interval::M1, &candle, false);
    let tickers: Vec<_> = [&btc, &eth]
        .iter()
        .map(|s| app.candles.ticker(s, NOW).unwrap().unwrap())
        .collect();
    app.hub.publish_tickers(&tickers);
    let event = client.event().await;
    assert_eq!(event.event, "candle");
    let json = event.json();
    assert_eq!(
        (json["symbol"].as_str(), json["interval"].as_str()),
        (Some("BTCUSDT"), Some("1m"))
    );
    assert_eq!(json["candle"]["closed"], false);
    assert_eq!(json["candle"]["close"], 1.5);
    let event = client.event().await;
    assert_eq!(
        (event.event.as_str(), event.json()["symbol"].as_str()),
        ("ticker", Some("ETHUSDT"))
    );
    app.finish().await;
}

#[tokio::test]
async fn keep_alive_and_shutdown() {
    let mut config = test_config();
    config.stream.keep_alive_secs = 1;
    let app = TestApp::with(Backend::Sqlite, config, Hub::new()).await;
    let mut client = SseClient::connect(&app, &Auth::Anonymous, "/api/v1/stream", None).await;
    let frame = client.frame().await.expect("a keep-alive");
    assert!(frame.comment, "{frame:?}");
    app.hub.shutdown();
    while let Some(frame) = client.frame().await {
        assert!(frame.comment);
    }
    assert!(wait_until(EVENT_TIMEOUT, || async { app.hub.client_count() == 0 }).await);
    app.finish().await;
}

#[tokio::test]
async fn a_replay_waits_for_signals_published_while_committing() {
    let app = TestApp::new().await;
    let free = app.account("free@example.com", Tier::Free, false).await;
    let b_anon = app.trader(None, "anon", Some(Tier::Anonymous)).await;
    let s1 = app.signal(b_anon.id, "BTCUSDT", 1).await;

    // A signal goes out while its commit runs (no client is connected to see it live)...
    let pending = app.hub.uncommitted();
    let mut s2 = s1.clone();
    s2.id += 1;
    pending.publish([(&s2, &TraderVisibility::of(&b_anon))]);
    // ...then a client resumes after s1: the replay must wait for that commit to find s2.
    let connect = SseClient::connect(&app, &free.auth, "/api/v1/stream", Some(s1.id));
    let commit = async {
        assert!(wait_until(EVENT_TIMEOUT, || async { app.hub.client_count() == 1 }).await);
        let stored = app.signal(b_anon.id, "BTCUSDT", 2).await;
        assert_eq!(stored.id, s2.id);
        pending.committed();
    };
    let (mut client, ()) = tokio::join!(connect, commit);
    let end = publish(&app, &b_anon, "ETHUSDT", 3).await;
    assert_eq!(client.signals_until(end.id).await, [s2.id, end.id]);
    app.finish().await;
}

#[tokio::test]
async fn signals_whose_commit_failed_are_withdrawn() {
    let app = TestApp::new().await;
    let b_anon = app.trader(None, "anon", Some(Tier::Anonymous)).await;
    let mut client = SseClient::connect(&app, &Auth::Anonymous, "/api/v1/stream", None).await;
    let signal = app.signal(b_anon.id, "BTCUSDT", 1).await;

    // Settled without publishing: nothing to take back.
    drop(app.hub.uncommitted());
    let pending = app.hub.uncommitted();
    pending.publish([(&signal, &TraderVisibility::of(&b_anon))]);
    drop(pending);
    assert_eq!(client.event().await.id, Some(signal.id.to_string()));
    let event = client.event().await;
    assert_eq!(event.event, "resync");
    assert_eq!(event.json()["reason"], "withdrawn");
    // A committed publication sends nothing more.
    let pending = app.hub.uncommitted();
    let next = app.signal(b_anon.id, "BTCUSDT", 2).await;
    pending.publish([(&next, &TraderVisibility::of(&b_anon))]);
    pending.committed();
    let end = publish(&app, &b_anon, "ETHUSDT", 3).await;
    assert_eq!(client.signals_until(end.id).await, [next.id, end.id]);
    app.finish().await;
}
