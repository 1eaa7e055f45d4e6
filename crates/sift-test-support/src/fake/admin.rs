//! `GET` and `POST /fake/faults`: the faults in force, and merging new ones.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::faults::Faults;
use super::shared::Shared;

pub(crate) async fn get_faults(State(shared): State<Arc<Shared>>) -> Json<Faults> {
    Json(shared.faults_view())
}

/// Merges the posted faults and answers with the set in force (400 for a body that is not a
/// [`Faults`] object).
pub(crate) async fn post_faults(State(shared): State<Arc<Shared>>, body: String) -> Response {
    match serde_json::from_str::<Faults>(&body) {
        Ok(faults) => {
            shared.apply_faults(&faults);
            Json(shared.faults_view()).into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, format!("invalid faults: {e}")).into_response(),
    }
}
