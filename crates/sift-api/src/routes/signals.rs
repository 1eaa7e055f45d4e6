//! `/signals`: stored signals of the traders the caller may see (history: free tier and up).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use sift_core::{Interval, Symbol};
use sift_store::{SignalCursor, SignalFilter, SignalOrder};
use utoipa::{IntoParams, ToSchema};

use crate::access::{load_visible, visible_trader_ids};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Path, Query};
use crate::state::AppState;
use crate::views::SignalView;

/// Default page size.
const DEFAULT_LIMIT: u32 = 100;
/// Largest page size.
pub(crate) const MAX_LIMIT: u32 = 500;

/// Signal list filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SignalQuery {
    pub trader_id: Option<i64>,
    #[param(value_type = Option<String>, example = "BTCUSDT")]
    pub symbol: Option<Symbol>,
    #[param(value_type = Option<String>, example = "5m")]
    pub interval: Option<Interval>,
    /// Candles opening at or after this time (ms).
    pub since: Option<i64>,
    /// Candles opening before this time (ms).
    pub until: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 500 (default 100).
    pub limit: Option<u32>,
}

/// A page of signals, newest candle first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SignalPage {
    pub signals: Vec<SignalView>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Signals of the caller's traders and the built-ins they may see, newest first.
#[utoipa::path(operation_id = "list_signals",
    get, path = "/signals", tag = "signals", params(SignalQuery),
    responses((status = 200, body = SignalPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<SignalQuery>,
) -> Result<axum::Json<SignalPage>, ApiError> {
    require_history(&state, &caller)?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1 to {MAX_LIMIT}"
        )));
    }
    let cursor = query
        .cursor
        .as_deref()
        .map(str::parse::<SignalCursor>)
        .transpose()
        .map_err(|_| ApiError::BadRequest("malformed cursor".to_owned()))?;
    let trader_ids = match query.trader_id {
        Some(id) => vec![load_visible(&state, &caller, id).await?.id],
        None => visible_trader_ids(&state, &caller).await?.to_vec(),
    };
    let filter = SignalFilter {
        trader_ids: Some(trader_ids),
        symbol: query.symbol,
        interval: query.interval,
        since: query.since,
        until: query.until,
        cursor,
        order: SignalOrder::OpenTimeDesc,
        limit,
    };
    let (signals, next) = state.store.list_signals(&filter).await?;
    Ok(axum::Json(SignalPage {
        signals: signals.iter().map(SignalView::from).collect(),
        next_cursor: next.map(|c| c.to_string()),
    }))
}

/// One signal with its value snapshot.
#[utoipa::path(operation_id = "get_signal",
    get, path = "/signals/{id}", tag = "signals",
    params(("id" = i64, Path, description = "signal id")),
    responses((status = 200, body = SignalView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<axum::Json<SignalView>, ApiError> {
    require_history(&state, &caller)?;
    let signal = state
        .store
        .get_signal(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    load_visible(&state, &caller, signal.trader_id).await?;
    Ok(axum::Json(SignalView::from(&signal)))
}

/// Signal history is for `tiers.history_from` and up.
fn require_history(state: &AppState, caller: &Caller) -> Result<(), ApiError> {
    let from = state.config.tiers.history_from;
    if caller.tier() >= from || caller.is_admin() {
        return Ok(());
    }
    caller.require_tier(from, "signal history").map(|_| ())
}
