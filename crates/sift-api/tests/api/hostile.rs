//! Malformed, oversized and hostile inputs get clean 4xx answers in the common error shape and
//! leave the data unchanged.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use sift_core::Tier;

use crate::common::{Auth, Reply, TestApp, test_config};

/// Everything a hostile request could change, as comparable JSON.
async fn snapshot(app: &TestApp) -> Value {
    let users: Vec<String> = app
        .store
        .list_users()
        .await
        .expect("test data")
        .iter()
        .map(|u| format!("{} {} {}", u.email, u.tier, u.is_admin))
        .collect();
    let traders = app
        .store
        .list_traders(&Default::default())
        .await
        .expect("test data")
        .iter()
        .map(|t| serde_json::to_value(t).expect("test data"))
        .collect::<Vec<_>>();
    json!({ "users": users, "traders": traders })
}

fn assert_error_shape(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.json);
    assert_eq!(reply.code(), code, "{}", reply.json);
    assert!(reply.json["error"]["message"].is_string());
    assert!(reply.json["error"].get("details").is_some());
}

#[tokio::test]
async fn malformed_and_oversized_bodies() {
    let mut config = test_config();
    config.body_limit_bytes = 4_096;
    let app = TestApp::with_config(config).await;
    let pro = app.account("p@example.com", Tier::Pro, false).await;
    let Auth::Session { token, csrf } = &pro.auth else {
        unreachable!()
    };
    let before = snapshot(&app).await;
    let raw = |body: Body, content_type: &str| {
        Request::post("/api/v1/traders")
            .header(header::COOKIE, format!("sift_session={token}"))
            .header("x-csrf-token", csrf)
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
            .unwrap()
    };
    let reply = Reply::read(
        app.send(raw(Body::from("{\"name\": "), "application/json"))
            .await,
    )
    .await;
    assert_error_shape(&reply, 400, "invalid_json");
    let reply = Reply::read(app.send(raw(Body::from("name=x"), "text/plain")).await).await;
    assert_error_shape(&reply, 400, "invalid_json");
    let reply = Reply::read(
        app.send(raw(Body::from("[1, 2]"), "application/json"))
            .await,
    )
    .await;
    assert_error_shape(&reply, 422, "validation");
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(10_000));
    let reply = Reply::read(
        app.send(raw(Body::from(huge.clone()), "application/json"))
            .await,
    )
    .await;
    assert_error_shape(&reply, 413, "payload_too_large");
    assert_eq!(reply.json["error"]["details"]["limit"], 4_096);
    // Without a length header (streamed), the limit still holds.
    let stream = futures_util::stream::iter(
        huge.into_bytes()
            .chunks(1_000)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let reply = Reply::read(
        app.send(raw(Body::from_stream(stream), "application/json"))
            .await,
    )
    .await;
    assert_error_shape(&reply, 413, "payload_too_large");

    let wrong_types = json!({ "name": 5, "interval": "1m", "rule": "close > open" });
    let reply = app.post(&pro.auth, "/api/v1/traders", wrong_types).await;
    assert_error_shape(&reply, 422, "validation");
    let bad_interval = json!({ "name": "x", "interval": "7m", "rule": "close > open" });
    let reply = app.post(&pro.auth, "/api/v1/traders", bad_interval).await;
    assert_error_shape(&reply, 422, "validation");
    assert_eq!(snapshot(&app).await, before);
    app.finish().await;
}

#[tokio::test]
async fn invalid_rules_answer_diagnostics_with_spans() {
    let app = TestApp::new().await;
    let pro = app.account("p@example.com", Tier::Pro, false).await;
    let before = snapshot(&app).await;
    let body = json!({ "name": "typo", "interval": "5m", "rule": "rsx(14) < 30" });
    let reply = app.post(&pro.auth, "/api/v1/traders", body).await;
    assert_error_shape(&reply, 422, "validation");
    let diagnostic = &reply.json["error"]["details"]["diagnostics"][0];
    assert_eq!(diagnostic["code"], "E0008");
    assert_eq!(
        diagnostic["span"],
        json!({ "start": 0, "end": 3, "line": 1, "col": 1 })
    );
    assert!(diagnostic["help"].as_str().unwrap().contains("rsi"));

    let settings = json!({ "name": "  ", "interval": "5m", "rule": "close > open" });
    let reply = app.post(&pro.auth, "/api/v1/traders", settings).await;
    assert_error_shape(&reply, 422, "validation");
    assert_eq!(reply.json["error"]["details"]["field"], "name");

    // A second line with a multi-byte character: line and column in characters.
    let rule = "close > 1\n  and ☃ > 1";
    let reply = app
        .post(
            &pro.auth,
            "/api/v1/traders/validate",
            json!({ "rule": rule, "interval": "1m" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["valid"], false);
    assert_eq!(reply.json["diagnostics"][0]["span"]["line"], 2);

    // Updates are checked the same way.
    let created = app
        .post(
            &pro.auth,
            "/api/v1/traders",
            json!({ "name": "ok", "interval": "1m", "rule": "close > open" }),
        )
        .await;
    let path = format!("/api/v1/traders/{}", created.id());
    let after_create = snapshot(&app).await;
    assert_ne!(after_create, before);
    let reply = app
        .call(
            &pro.auth,
            "PATCH",
            &path,
            Some(json!({ "rule": "close >" })),
        )
        .await;
    assert_error_shape(&reply, 422, "validation");
    let reply = app
        .call(
            &pro.auth,
            "PATCH",
            &path,
            Some(json!({ "cooldown_bars": 100_001 })),
        )
        .await;
    assert_error_shape(&reply, 422, "validation");
    assert_eq!(snapshot(&app).await, after_create);
    app.finish().await;
}

#[tokio::test]
async fn sql_metacharacters_and_unicode_are_just_text() {
    let app = TestApp::new().await;
    let pro = app.account("p@example.com", Tier::Pro, false).await;
    let nasty = "x'); DROP TABLE users; -- \" ☃ 🚀 \u{202e} Ω";
    let body = json!({ "name": nasty, "description": nasty, "interval": "1m",
                       "rule": "close > open", "category": nasty, "tags": [nasty] });
    let reply = app.post(&pro.auth, "/api/v1/traders", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    let stored = app
        .get(&pro.auth, &format!("/api/v1/traders/{}", reply.id()))
        .await;
    assert_eq!(stored.json["name"], nasty);
    assert_eq!(stored.json["tags"][0], nasty);
    let before = snapshot(&app).await;

    let login = json!({ "email": "' OR 1=1 --@x.com", "password": "' OR '1'='1" });
    let reply = app
        .post(&Auth::Anonymous, "/api/v1/auth/login", login)
        .await;
    assert_error_shape(&reply, 401, "unauthorized");
    for query in [
        "/api/v1/signals?symbol=BTC'--",
        "/api/v1/signals?trader_id=1%20OR%201=1",
        "/api/v1/signals?cursor=1_1'%3B",
        "/api/v1/signals?interval=1m'",
        "/api/v1/signals?limit=100000",
        "/api/v1/market/klines/BTC%27USDT/1m",
        "/api/v1/market/klines/BTCUSDT/1m?limit=-1",
        "/api/v1/traders/1%20OR%201=1",
        "/api/v1/stream?topics=candles:BTCUSDT:1m';--",
    ] {
        let reply = app.get(&pro.auth, query).await;
        assert_error_shape(&reply, 400, "bad_request");
    }
    let reply = app
        .post(
            &pro.auth,
            "/api/v1/favourites",
            json!({ "symbol": "BTC'; --" }),
        )
        .await;
    assert_error_shape(&reply, 422, "validation");
    assert_eq!(snapshot(&app).await, before);
    assert_eq!(app.store.list_users().await.unwrap().len(), 1);
    app.finish().await;
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let app = TestApp::new().await;
    let reply = app.get(&Auth::Anonymous, "/api/v1/nope").await;
    assert_error_shape(&reply, 404, "not_found");
    assert_eq!(reply.json["error"]["message"], "no such route");
    let reply = app
        .call(&Auth::Anonymous, "DELETE", "/api/v1/market/symbols", None)
        .await;
    assert_error_shape(&reply, 405, "method_not_allowed");
    assert!(reply.headers.contains_key("x-request-id"));
    app.finish().await;
}
