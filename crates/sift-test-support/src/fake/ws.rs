//! WebSocket endpoints: `/ws`, `/ws/<stream>[/<stream>...]` (raw events) and
//! `/stream?streams=<a>/<b>` (events wrapped as `{"stream":...,"data":...}`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::connection;
use super::shared::Shared;
use super::stats::bump;

/// `/ws`: a raw connection subscribing at run time.
pub(crate) async fn raw_root(
    State(shared): State<Arc<Shared>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    accept(shared, upgrade, Vec::new(), false)
}

/// `/ws/<stream>`: raw events of the named stream(s).
pub(crate) async fn raw(
    State(shared): State<Arc<Shared>>,
    Path(streams): Path<String>,
    upgrade: WebSocketUpgrade,
) -> Response {
    accept(shared, upgrade, split(&streams), false)
}

/// `/stream?streams=<a>/<b>`: combined events.
pub(crate) async fn combined(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<HashMap<String, String>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let streams = params.get("streams").map(|s| split(s)).unwrap_or_default();
    accept(shared, upgrade, streams, true)
}

fn split(streams: &str) -> Vec<String> {
    streams
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Counts the attempt, refuses one over the attempt limit (429) or with too many streams
/// (400), and upgrades the rest into a tracked connection task.
fn accept(
    shared: Arc<Shared>,
    upgrade: WebSocketUpgrade,
    streams: Vec<String>,
    combined: bool,
) -> Response {
    bump(&shared.stats.connection_attempts);
    if !shared.admit_attempt() {
        bump(&shared.stats.connections_rejected);
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "too many connection attempts",
        )
            .into_response();
    }
    let max = shared.config.max_streams_per_connection;
    if streams.len() > max {
        bump(&shared.stats.connections_rejected);
        let body = format!("a connection holds at most {max} streams");
        return (StatusCode::BAD_REQUEST, body).into_response();
    }
    let tracker = shared.connections.clone();
    upgrade.on_upgrade(move |socket| {
        tracker.track_future(connection::serve(shared, socket, streams, combined))
    })
}
