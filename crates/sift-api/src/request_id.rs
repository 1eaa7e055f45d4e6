//! Request ids and HTTP metrics: one middleware around every request.
//!
//! Each request gets a random id, answered in `x-request-id` and available to the code that
//! handles it through a task-local, so a 500's body, its header and the log line of its cause
//! share one id. The same middleware records `sift_http_requests_total{route, method, status}`
//! and `sift_http_request_duration_seconds{route, method}` with the matched route (never the
//! raw path, whose ids would explode the label set).

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use rand::RngCore;

/// Response header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled, or a fresh one outside a request.
pub fn current() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| new_id())
}

fn new_id() -> String {
    let mut bytes = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The middleware: id, metrics, and a debug log line per request.
pub(crate) async fn observe(request: Request, next: Next) -> Response {
    let id = new_id();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let mut response = REQUEST_ID.scope(id.clone(), next.run(request)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    metrics::counter!(
        "sift_http_requests_total",
        "route" => route.clone(),
        "method" => method.clone(),
        "status" => status.to_string()
    )
    .increment(1);
    metrics::histogram!(
        "sift_http_request_duration_seconds",
        "route" => route.clone(),
        "method" => method.clone()
    )
    .record(elapsed);
    tracing::debug!(request_id = %id, %method, %route, status, elapsed, "request");
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}
