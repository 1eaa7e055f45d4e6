//! `/executions` (recent candle-close runs) and `/favourites` (free tier and up).

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sift_core::{Interval, Symbol};
use sift_store::FavouriteTarget;
use utoipa::{IntoParams, ToSchema};

use crate::access::load_visible;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use crate::views::{ExecutionView, FavouriteView};

/// Most executions one request answers.
const MAX_EXECUTIONS: u32 = 500;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExecutionQuery {
    #[param(value_type = Option<String>, example = "1m")]
    pub interval: Option<Interval>,
    /// 1 to 500 (default 50).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ExecutionList {
    pub executions: Vec<ExecutionView>,
    /// Whether evaluation is paused by the execution switch.
    pub paused: bool,
}

/// Recent candle-close runs with their figures, newest first (logged-in users; the per-trader
/// `errors` only for admins, since they name other users' traders).
#[utoipa::path(operation_id = "list_executions",
    get, path = "/executions", tag = "executions", params(ExecutionQuery),
    responses((status = 200, body = ExecutionList), (status = 401, body = ErrorBody)))]
pub(crate) async fn executions(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ExecutionQuery>,
) -> Result<axum::Json<ExecutionList>, ApiError> {
    let user = caller.require_user()?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=MAX_EXECUTIONS).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1 to {MAX_EXECUTIONS}"
        )));
    }
    let rows = state.store.list_executions(query.interval, limit).await?;
    let executions = rows
        .iter()
        .map(|row| {
            let mut view = ExecutionView::from(row);
            if !user.is_admin {
                view.errors = Value::Array(Vec::new());
            }
            view
        })
        .collect();
    Ok(axum::Json(ExecutionList {
        executions,
        paused: super::admin::paused(&state).await?,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FavouriteList {
    pub favourites: Vec<FavouriteView>,
}

/// A favourite to add: exactly one of `symbol` and `trader_id`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewFavourite {
    #[schema(value_type = Option<String>, example = "BTCUSDT")]
    pub symbol: Option<Symbol>,
    pub trader_id: Option<i64>,
}

/// The caller's favourite symbols and traders.
#[utoipa::path(get, path = "/favourites", tag = "favourites",
    responses((status = 200, body = FavouriteList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(crate) async fn list_favourites(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<FavouriteList>, ApiError> {
    let user = caller.require_tier(state.config.tiers.favourites_from, "favourites")?;
    let favourites = state.store.list_favourites(user.id).await?;
    Ok(axum::Json(FavouriteList {
        favourites: favourites.iter().map(FavouriteView::from).collect(),
    }))
}

/// Add a favourite (adding one twice returns the existing one).
#[utoipa::path(post, path = "/favourites", tag = "favourites", request_body = NewFavourite,
    responses((status = 201, body = FavouriteView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn add_favourite(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewFavourite>,
) -> Result<(StatusCode, axum::Json<FavouriteView>), ApiError> {
    let user = caller.require_tier(state.config.tiers.favourites_from, "favourites")?;
    let target = target(&state, &caller, body).await?;
    let favourite = state.store.add_favourite(user.id, &target).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(FavouriteView::from(&favourite)),
    ))
}

/// Remove a favourite.
#[utoipa::path(delete, path = "/favourites/{id}", tag = "favourites",
    params(("id" = i64, Path, description = "favourite id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn remove_favourite(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let user = caller.require_tier(state.config.tiers.favourites_from, "favourites")?;
    let favourites = state.store.list_favourites(user.id).await?;
    let favourite = favourites
        .into_iter()
        .find(|f| f.id == id)
        .ok_or(ApiError::NotFound)?;
    state
        .store
        .remove_favourite(user.id, &favourite.target)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn target(
    state: &AppState,
    caller: &Caller,
    body: NewFavourite,
) -> Result<FavouriteTarget, ApiError> {
    match (body.symbol, body.trader_id) {
        (Some(symbol), None) => Ok(FavouriteTarget::Symbol(symbol)),
        (None, Some(id)) => {
            load_visible(state, caller, id).await?;
            Ok(FavouriteTarget::Trader(id))
        }
        _ => Err(ApiError::field(
            "symbol",
            "give exactly one of `symbol` and `trader_id`",
        )),
    }
}
