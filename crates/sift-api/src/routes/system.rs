//! `/health`, `/metrics` and `/api/v1/openapi.json`.

use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// How long `/health` waits for the database.
const STORE_PING_TIMEOUT: Duration = Duration::from_secs(2);

/// Component health: 200 when the service is usable, 503 otherwise. The body lists each
/// component (the server's, plus the database as seen from the API).
#[utoipa::path(get, path = "/health", tag = "system",
    responses((status = 200, description = "usable", body = Object),
        (status = 503, description = "not usable", body = Object)))]
pub(crate) async fn health(State(state): State<AppState>) -> Response {
    let report = state.control.health();
    let store = match tokio::time::timeout(STORE_PING_TIMEOUT, state.store.ping()).await {
        Ok(Ok(latency)) => json!({
            "status": "up",
            "backend": state.store.backend(),
            "latency_ms": latency.as_secs_f64() * 1000.0,
        }),
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "health: store ping failed");
            json!({ "status": "down", "backend": state.store.backend() })
        }
        Err(_) => json!({ "status": "down", "backend": state.store.backend(), "timeout": true }),
    };
    let store_up = store["status"] == "up";
    let mut components = match report.components {
        Value::Object(map) => map,
        other => {
            let mut map = serde_json::Map::new();
            map.insert("server".to_owned(), other);
            map
        }
    };
    components.insert("api_store".to_owned(), store);
    components.insert(
        "stream".to_owned(),
        json!({ "status": "up", "clients": state.hub.client_count() }),
    );
    let usable = report.usable && store_up;
    let status = if usable {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if usable { "ok" } else { "unavailable" },
        "components": components,
    });
    (status, axum::Json(body)).into_response()
}

/// Prometheus text exposition (404 when the server installed no recorder).
#[utoipa::path(get, path = "/metrics", tag = "system",
    responses((status = 200, description = "Prometheus text format", body = String),
        (status = 404, body = ErrorBody)))]
pub(crate) async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let handle = state.metrics.as_ref().ok_or(ApiError::NotFound)?;
    let text = handle.render();
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// The OpenAPI document, rendered once at router construction.
#[derive(Debug, Clone)]
pub(crate) struct OpenApiJson(pub(crate) Arc<str>);

/// This API's OpenAPI 3 document.
#[utoipa::path(get, path = "/openapi.json", tag = "system",
    responses((status = 200, description = "OpenAPI 3 document", body = Object)))]
pub(crate) async fn openapi(Extension(doc): Extension<OpenApiJson>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        doc.0.to_string(),
    )
        .into_response()
}

/// The answer to an unknown route.
pub(crate) async fn not_found() -> ApiError {
    ApiError::UnknownRoute
}

/// The answer to a known route with a method it does not have.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
