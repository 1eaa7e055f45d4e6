//! `POST /traders/draft` against a local fake chat-completions server, and the model-free
//! `POST /traders/explain`.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::json;
use sift_ai::fake::{FakeChat, Reply};
use sift_ai::{AiConfig, Drafter};
use sift_core::Tier;

use crate::common::{Auth, TestApp};

const DRAFT: &str = "/api/v1/traders/draft";
const EXPLAIN: &str = "/api/v1/traders/explain";

fn answer(rule: &str) -> Reply {
    Reply::answer(json!({
        "name": "Oversold in an uptrend",
        "description": "RSI below 30 while the hourly trend is up.",
        "interval": "1h",
        "rule": rule,
    }))
}

/// The app with a drafter on `server`.
async fn app_with_ai(server: &FakeChat, config: AiConfig) -> TestApp {
    let mut app = TestApp::new().await;
    let config = AiConfig {
        base_url: server.base_url(),
        model: "fake".to_owned(),
        api_key: Some("sk-secret-key".to_owned().into()),
        ..config
    };
    let drafter = Drafter::new(config).expect("test data");
    app.state = app.state.clone().with_ai(Arc::new(drafter));
    app.router = sift_api::router(app.state.clone());
    app
}

#[tokio::test]
async fn explain_works_anonymously_and_without_ai() {
    let app = TestApp::new().await;
    let reply = app
        .post(
            &Auth::Anonymous,
            EXPLAIN,
            json!({"rule": "rsi(14) < 30 and close @ 1h > ema(200) @ 1h", "interval": "15m"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["combinator"], "all");
    let conditions = reply.json["conditions"].as_array().unwrap();
    assert_eq!(conditions.len(), 2);
    assert_eq!(conditions[0]["condition"], "rsi(14) < 30");
    assert_eq!(
        conditions[0]["meaning"],
        "RSI(14) on the 15m candles is below 30"
    );
    assert_eq!(
        conditions[1]["meaning"],
        "the 1h close is above EMA(200) on the 1h candles"
    );
    assert!(
        reply.json["summary"]
            .as_str()
            .unwrap()
            .starts_with("On each 15m close")
    );

    let reply = app
        .post(&Auth::Anonymous, EXPLAIN, json!({"rule": "close > open"}))
        .await;
    assert_eq!(reply.json["interval"], "15m", "the default interval");
    app.finish().await;
}

#[tokio::test]
async fn explain_rejects_bad_input_with_4xx() {
    let app = TestApp::new().await;
    let reply = app
        .post(&Auth::Anonymous, EXPLAIN, json!({"rule": "rsx(14) < 30"}))
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.code(), "validation");
    assert_eq!(
        reply.json["error"]["details"]["diagnostics"][0]["code"],
        "E0008"
    );
    for body in [
        json!({"rule": "close > open", "interval": "7m"}),
        json!({"rule": "close > open", "extra": 1}),
        json!({"interval": "1h"}),
        json!({"rule": 3}),
    ] {
        let reply = app.post(&Auth::Anonymous, EXPLAIN, body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    let reply = app
        .post(
            &Auth::Anonymous,
            EXPLAIN,
            json!({"rule": "x".repeat(20_000)}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reply.json["error"]["details"]["diagnostics"][0]["code"],
        "E0001"
    );
    app.finish().await;
}

#[tokio::test]
async fn draft_is_503_when_unconfigured_and_tier_gated() {
    let app = TestApp::new().await;
    let pro = app.account("pro@example.com", Tier::Pro, false).await;
    let free = app.account("free@example.com", Tier::Free, false).await;
    let body = json!({"prompt": "rsi oversold"});
    let reply = app.post(&pro.auth, DRAFT, body.clone()).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.code(), "ai_unavailable");
    let reply = app.post(&free.auth, DRAFT, body.clone()).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.code(), "forbidden");
    assert!(
        reply.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("pro")
    );
    let reply = app.post(&Auth::Anonymous, DRAFT, body).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    app.finish().await;
}

#[tokio::test]
async fn a_pro_user_gets_a_checked_draft_repaired_from_diagnostics() {
    let server = FakeChat::start(vec![answer("rsx(14) < 30"), answer("rsi(14) < 30")]).await;
    let app = app_with_ai(&server, AiConfig::default()).await;
    let pro = app.account("pro@example.com", Tier::Pro, false).await;
    let free = app.account("free@example.com", Tier::Free, false).await;
    let reply = app
        .post(&free.auth, DRAFT, json!({"prompt": "rsi oversold"}))
        .await;
    assert_eq!(
        reply.status,
        StatusCode::FORBIDDEN,
        "the gate holds with AI on"
    );
    let reply = app
        .post(
            &pro.auth,
            DRAFT,
            json!({"prompt": "rsi oversold", "interval": "15m"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["rule"], "rsi(14) < 30");
    assert_eq!(reply.json["interval"], "15m");
    assert_eq!(reply.json["rounds"], 2);
    assert_eq!(
        reply.json["explanation"][0]["meaning"],
        "RSI(14) on the 15m candles is below 30"
    );
    assert_eq!(reply.json["timeframes"], json!(["15m"]));
    let text = reply.json.to_string();
    assert!(!text.contains("sk-secret-key"), "the key is never returned");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let last = requests[1].body["messages"][3]["content"].as_str().unwrap();
    assert!(
        last.contains("unknown function or indicator `rsx`"),
        "{last}"
    );
    // Nothing was saved.
    let saved = app
        .store
        .count_traders_by_owner(pro.id)
        .await
        .expect("test data");
    assert_eq!(saved, 0);
    app.finish().await;
}

#[tokio::test]
async fn drafts_are_rate_limited_per_user_and_prompts_are_bounded() {
    let server = FakeChat::start(vec![answer("rsi(14) < 30"); 4]).await;
    let config = AiConfig {
        requests_per_minute: 2,
        max_prompt_chars: 50,
        ..AiConfig::default()
    };
    let app = app_with_ai(&server, config).await;
    let ann = app.account("ann@example.com", Tier::Pro, false).await;
    let bob = app.account("bob@example.com", Tier::Elite, false).await;
    let body = json!({"prompt": "rsi oversold"});
    for _ in 0..2 {
        let reply = app.post(&ann.auth, DRAFT, body.clone()).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    }
    let reply = app.post(&ann.auth, DRAFT, body.clone()).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.code(), "rate_limited");
    assert!(reply.headers.contains_key("retry-after"));
    let reply = app.post(&bob.auth, DRAFT, body).await;
    assert_eq!(reply.status, StatusCode::OK, "limits are per user");

    for prompt in ["   ", &"x".repeat(51)] {
        let reply = app.post(&bob.auth, DRAFT, json!({"prompt": prompt})).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{prompt:?}");
        assert_eq!(reply.json["error"]["details"]["field"], "prompt");
    }
    let reply = app
        .post(&bob.auth, DRAFT, json!({"prompt": "x", "interval": "2m"}))
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        server.requests().len(),
        3,
        "rejected requests never reach the model"
    );
    app.finish().await;
}

#[tokio::test]
async fn model_failures_have_stable_codes() {
    let server = FakeChat::start(vec![
        Reply::Status(500, None),
        Reply::Status(429, Some(12)),
        answer("rsx(14) < 30"),
        answer("rsx(14) < 30"),
        answer("rsx(14) < 30"),
        Reply::Raw("not json".to_owned()),
        Reply::Delayed(Duration::from_secs(30), Box::new(answer("rsi(14) < 30"))),
    ])
    .await;
    let config = AiConfig {
        timeout_ms: 300,
        ..AiConfig::default()
    };
    let app = app_with_ai(&server, config).await;
    let pro = app.account("pro@example.com", Tier::Pro, false).await;
    let body = json!({"prompt": "rsi oversold"});

    let reply = app.post(&pro.auth, DRAFT, body.clone()).await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    assert_eq!(reply.code(), "ai_upstream_error");

    let reply = app.post(&pro.auth, DRAFT, body.clone()).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.code(), "rate_limited");
    assert_eq!(reply.json["error"]["details"]["source"], "model");
    assert_eq!(reply.headers["retry-after"], "12");

    let reply = app.post(&pro.auth, DRAFT, body.clone()).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.code(), "ai_draft_invalid");
    let details = &reply.json["error"]["details"];
    assert_eq!(details["rounds"], 3);
    assert_eq!(details["rule"], "rsx(14) < 30");
    assert_eq!(details["diagnostics"][0]["code"], "E0008");

    let reply = app.post(&pro.auth, DRAFT, body.clone()).await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    assert_eq!(reply.code(), "ai_bad_response");

    let reply = app.post(&pro.auth, DRAFT, body).await;
    assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(reply.code(), "ai_timeout");
    app.finish().await;
}
