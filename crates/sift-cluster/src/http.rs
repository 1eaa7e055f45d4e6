//! The tiny HTTP listener of the collector and worker roles: `GET /health` (JSON, 503 when
//! not usable) and `GET /metrics` (Prometheus text).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// What `/health` reports: whether the role is usable, and its details.
pub type HealthFn = Arc<dyn Fn() -> (bool, Value) + Send + Sync>;

#[derive(Clone)]
struct Shared {
    health: HealthFn,
    metrics: Option<PrometheusHandle>,
}

/// Binds `listen` and serves until `cancel`; answers the bound address (port 0 picks one) and
/// the server task.
///
/// # Errors
/// When the address cannot be bound.
pub async fn spawn(
    listen: SocketAddr,
    health: HealthFn,
    metrics: Option<PrometheusHandle>,
    cancel: CancellationToken,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let app = Router::new()
        .route("/health", get(health_route))
        .route("/metrics", get(metrics_route))
        .with_state(Shared { health, metrics });
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { cancel.cancelled().await })
            .await;
        if let Err(err) = served {
            tracing::warn!(error = %err, "health listener stopped");
        }
    });
    Ok((addr, task))
}

async fn health_route(State(shared): State<Shared>) -> impl IntoResponse {
    let (usable, details) = (shared.health)();
    let status = if usable {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if usable { "up" } else { "down" },
        "details": details,
    });
    (status, axum::Json(body))
}

async fn metrics_route(State(shared): State<Shared>) -> impl IntoResponse {
    match &shared.metrics {
        Some(handle) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            handle.render(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
