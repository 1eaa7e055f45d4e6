//! The OpenAPI document against the router, `/health`, `/metrics`, request ids.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use serde_json::Value;
use sift_core::Tier;

use crate::common::{Auth, TestApp};

/// Every route the API serves: a new route must be added here, and so to the document.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/metrics"),
    ("GET", "/api/v1/openapi.json"),
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/auth/tokens"),
    ("POST", "/api/v1/auth/tokens"),
    ("DELETE", "/api/v1/auth/tokens/{id}"),
    ("GET", "/api/v1/traders"),
    ("POST", "/api/v1/traders"),
    ("GET", "/api/v1/traders/{id}"),
    ("PUT", "/api/v1/traders/{id}"),
    ("PATCH", "/api/v1/traders/{id}"),
    ("DELETE", "/api/v1/traders/{id}"),
    ("POST", "/api/v1/traders/{id}/enable"),
    ("POST", "/api/v1/traders/{id}/disable"),
    ("POST", "/api/v1/traders/{id}/preview"),
    ("POST", "/api/v1/traders/{id}/backtest"),
    ("POST", "/api/v1/traders/validate"),
    ("POST", "/api/v1/traders/draft"),
    ("POST", "/api/v1/traders/explain"),
    ("POST", "/api/v1/traders/preview"),
    ("GET", "/api/v1/signals"),
    ("GET", "/api/v1/signals/{id}"),
    ("GET", "/api/v1/market/symbols"),
    ("GET", "/api/v1/market/tickers"),
    ("GET", "/api/v1/market/klines/{symbol}/{interval}"),
    ("GET", "/api/v1/stream"),
    ("GET", "/api/v1/executions"),
    ("GET", "/api/v1/favourites"),
    ("POST", "/api/v1/favourites"),
    ("DELETE", "/api/v1/favourites/{id}"),
    ("GET", "/api/v1/admin/users"),
    ("PATCH", "/api/v1/admin/users/{id}"),
    ("GET", "/api/v1/admin/execution"),
    ("POST", "/api/v1/admin/execution/pause"),
    ("POST", "/api/v1/admin/execution/resume"),
    ("GET", "/api/v1/admin/audit"),
    ("GET", "/api/v1/channels"),
    ("POST", "/api/v1/channels"),
    ("GET", "/api/v1/channels/{id}"),
    ("DELETE", "/api/v1/channels/{id}"),
    ("POST", "/api/v1/channels/{id}/enable"),
    ("POST", "/api/v1/channels/{id}/disable"),
    ("POST", "/api/v1/channels/{id}/test"),
    ("GET", "/api/v1/channels/{id}/deliveries"),
];

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("test data") {
        for method in item.as_object().expect("test data").keys() {
            ops.insert((method.to_uppercase(), path.clone()));
        }
    }
    ops
}

#[tokio::test]
async fn the_openapi_document_covers_every_route() {
    let app = TestApp::new().await;
    let reply = app.get(&Auth::Anonymous, "/api/v1/openapi.json").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.json["openapi"].as_str().unwrap().starts_with("3."));
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(documented(&reply.json), served);
    let mut operation_ids = BTreeSet::new();
    for item in reply.json["paths"].as_object().expect("paths").values() {
        for operation in item.as_object().expect("path item").values() {
            let id = operation["operationId"].as_str().expect("an operationId");
            assert!(
                operation_ids.insert(id.to_owned()),
                "duplicate operationId {id}"
            );
        }
    }
    assert_eq!(
        documented(&serde_json::to_value(sift_api::openapi()).unwrap()),
        served
    );

    // Every documented operation is routed: never the router's "no such route" or 405.
    let admin = app.account("admin@example.com", Tier::Elite, true).await;
    for (method, path) in ROUTES {
        let uri = path
            .replace("{id}", "1")
            .replace("{symbol}", "BTCUSDT")
            .replace("{interval}", "1m");
        if uri.ends_with("/stream") || uri.ends_with("/logout") {
            continue;
        }
        let reply = app
            .call(&admin.auth, method, &uri, Some(serde_json::json!({})))
            .await;
        assert_ne!(
            reply.json["error"]["message"], "no such route",
            "{method} {uri}"
        );
        assert_ne!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {uri}"
        );
    }
    // Shapes fixed by the issue are documented.
    let schemas = &reply.json["components"]["schemas"];
    for name in [
        "SignalView",
        "SignalPage",
        "Klines",
        "CandleView",
        "MeView",
        "SessionView",
        "CreatedToken",
        "TraderView",
        "ErrorBody",
        "DiagnosticView",
    ] {
        assert!(schemas.get(name).is_some(), "{name}");
    }
    app.finish().await;
}

#[tokio::test]
async fn health_follows_control_and_store() {
    let app = TestApp::new().await;
    let reply = app.get(&Auth::Anonymous, "/health").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["status"], "ok");
    assert_eq!(reply.json["components"]["api_store"]["status"], "up");
    assert_eq!(reply.json["components"]["engine"]["status"], "up");
    app.control.set_usable(false);
    let reply = app.get(&Auth::Anonymous, "/health").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.json["status"], "unavailable");
    app.control.set_usable(true);
    // A closed database makes the service unusable.
    app.store.close().await;
    let reply = app.get(&Auth::Anonymous, "/health").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.json["components"]["api_store"]["status"], "down");
    // Requests needing the database answer 503, not 500.
    let user = app.get(&Auth::Bearer("sift_x".into()), "/api/v1/me").await;
    assert_eq!(
        (user.status, user.code()),
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    );
    app.finish().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route() {
    let app = TestApp::new().await;
    app.get(&Auth::Anonymous, "/api/v1/market/klines/BTCUSDT/1m?limit=1")
        .await;
    let response = app
        .send(
            axum::http::Request::get("/metrics")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = String::from_utf8(
        axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(
        text.contains("route=\"/api/v1/market/klines/{symbol}/{interval}\""),
        "{text}"
    );
    assert!(text.contains("sift_http_request_duration_seconds"));
    app.finish().await;
}

#[tokio::test]
async fn responses_carry_a_request_id() {
    let app = TestApp::new().await;
    let reply = app.get(&Auth::Anonymous, "/api/v1/market/symbols").await;
    let id = reply.headers["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 16);
    app.finish().await;
}
