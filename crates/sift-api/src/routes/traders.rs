//! `/traders`: the caller's own traders and the built-ins their tier allows. Admins manage
//! built-ins through the same routes (every change audited); owners can never make a trader
//! built-in or give it an access tier.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sift_core::{Interval, Tier};
use sift_store::{NewTrader, Trader, TraderFilter, TraderScope, TraderUpdate, User};
use sift_traders::TraderDef;
use utoipa::{IntoParams, ToSchema};

use super::rules::{TraderInput, TraderPatch, validate_def};
use crate::access::{audit, load_visible};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use crate::views::TraderView;

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TraderList {
    pub traders: Vec<TraderView>,
}

/// Filters of the trader list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TraderQuery {
    /// `true`: built-ins only; `false`: own traders only.
    pub builtin: Option<bool>,
    pub enabled: Option<bool>,
    #[param(value_type = Option<String>)]
    pub interval: Option<Interval>,
    pub category: Option<String>,
}

/// The caller's traders and the built-ins they may see, ordered by id.
#[utoipa::path(operation_id = "list_traders",
    get, path = "/traders", tag = "traders", params(TraderQuery),
    responses((status = 200, body = TraderList)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<TraderQuery>,
) -> Result<axum::Json<TraderList>, ApiError> {
    let scope = match (caller.user_id(), query.builtin) {
        (None, Some(false)) => {
            return Ok(axum::Json(TraderList {
                traders: Vec::new(),
            }));
        }
        (None, _) | (Some(_), Some(true)) => TraderScope::Builtin,
        (Some(id), Some(false)) => TraderScope::Owner(id),
        (Some(id), None) => TraderScope::OwnerAndBuiltin(id),
    };
    let filter = TraderFilter {
        scope,
        max_access_tier: Some(caller.builtin_tier()),
        enabled: query.enabled,
        interval: query.interval,
        category: query.category,
    };
    let traders = state.store.list_traders(&filter).await?;
    Ok(axum::Json(TraderList {
        traders: traders.iter().map(TraderView::from).collect(),
    }))
}

/// One trader.
#[utoipa::path(operation_id = "get_trader",
    get, path = "/traders/{id}", tag = "traders",
    params(("id" = i64, Path, description = "trader id")),
    responses((status = 200, body = TraderView), (status = 404, body = ErrorBody)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<axum::Json<TraderView>, ApiError> {
    let trader = load_visible(&state, &caller, id).await?;
    Ok(axum::Json(TraderView::from(&trader)))
}

/// Create a trader: one of the caller's (within the tier's quota), or a built-in (admins,
/// `"builtin": true`).
#[utoipa::path(operation_id = "create_trader",
    post, path = "/traders", tag = "traders", request_body = TraderInput,
    responses((status = 201, body = TraderView), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<TraderInput>,
) -> Result<(StatusCode, axum::Json<TraderView>), ApiError> {
    let user = caller.require_user()?;
    if (input.builtin || input.access_tier.is_some()) && !user.is_admin {
        return Err(ApiError::Forbidden(
            "only admins create built-in traders or set access tiers".to_owned(),
        ));
    }
    if input.access_tier.is_some() && !input.builtin {
        return Err(ApiError::field(
            "access_tier",
            "only built-in traders have one",
        ));
    }
    let owner_id = (!input.builtin).then_some(user.id);
    if owner_id.is_some() {
        check_quota(&state, user).await?;
    }
    let mut def = input.def();
    def.access_tier = input
        .builtin
        .then(|| input.access_tier.unwrap_or(Tier::Anonymous));
    validate_def(&def)?;
    check_channels(&state, user, owner_id, &input.channels).await?;
    let trader = state
        .store
        .create_trader(NewTrader {
            owner_id,
            def,
            channels: input.channels,
        })
        .await?;
    if trader.is_builtin() {
        audit(
            &state,
            user,
            "trader.create",
            &trader,
            json!({ "name": trader.def.name }),
        )
        .await?;
    }
    notify_changed(&state, trader.id);
    Ok((StatusCode::CREATED, axum::Json(TraderView::from(&trader))))
}

/// Replace a trader's definition.
#[utoipa::path(operation_id = "replace_trader",
    put, path = "/traders/{id}", tag = "traders", request_body = TraderInput,
    params(("id" = i64, Path, description = "trader id")),
    responses((status = 200, body = TraderView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(input): Json<TraderInput>,
) -> Result<axum::Json<TraderView>, ApiError> {
    if input.builtin {
        return Err(ApiError::field("builtin", "cannot be changed"));
    }
    let def = input.def();
    let change = Change {
        channels: Some(input.channels),
        access_tier: input.access_tier,
        version: input.version,
    };
    update(&state, &caller, id, move |_| def, change).await
}

/// Change some fields of a trader.
#[utoipa::path(operation_id = "patch_trader",
    patch, path = "/traders/{id}", tag = "traders", request_body = TraderPatch,
    params(("id" = i64, Path, description = "trader id")),
    responses((status = 200, body = TraderView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(patch): Json<TraderPatch>,
) -> Result<axum::Json<TraderView>, ApiError> {
    let change = Change {
        channels: patch.channels.clone(),
        access_tier: patch.access_tier,
        version: patch.version,
    };
    update(&state, &caller, id, |old| patch.apply(old), change).await
}

/// What an update sets besides the definition.
struct Change {
    channels: Option<Vec<i64>>,
    access_tier: Option<Tier>,
    version: Option<i64>,
}

async fn update(
    state: &AppState,
    caller: &Caller,
    id: i64,
    new_def: impl FnOnce(TraderDef) -> TraderDef,
    change: Change,
) -> Result<axum::Json<TraderView>, ApiError> {
    let user = caller.require_user()?;
    let trader = load_writable(state, caller, id).await?;
    if change.access_tier.is_some() && !(trader.is_builtin() && user.is_admin) {
        return Err(ApiError::Forbidden(
            "only admins set the access tier of built-in traders".to_owned(),
        ));
    }
    let mut def = new_def(trader.def.clone());
    def.access_tier = change.access_tier.or(trader.def.access_tier);
    validate_def(&def)?;
    let channels = change.channels.unwrap_or_else(|| trader.channels.clone());
    if channels != trader.channels {
        check_channels(state, user, trader.owner_id, &channels).await?;
    }
    let update = TraderUpdate {
        def,
        channels,
        expected_version: change.version,
    };
    let updated = state.store.update_trader(id, update).await.map_err(|e| {
        if e.is_conflict_on("traders_version") {
            ApiError::Conflict("the trader was changed meanwhile; reload it".to_owned())
        } else {
            e.into()
        }
    })?;
    if updated.is_builtin() {
        let details = json!({ "version": updated.version, "access_tier": updated.def.access_tier });
        audit(state, user, "trader.update", &updated, details).await?;
    }
    notify_changed(state, id);
    Ok(axum::Json(TraderView::from(&updated)))
}

/// Delete a trader and its signals.
#[utoipa::path(operation_id = "delete_trader",
    delete, path = "/traders/{id}", tag = "traders",
    params(("id" = i64, Path, description = "trader id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let user = caller.require_user()?;
    let trader = load_writable(&state, &caller, id).await?;
    state.store.delete_trader(id).await?;
    if trader.is_builtin() {
        audit(
            &state,
            user,
            "trader.delete",
            &trader,
            json!({ "name": trader.def.name }),
        )
        .await?;
    }
    state.visible.invalidate();
    state.control.trader_removed(id);
    Ok(StatusCode::NO_CONTENT)
}

/// Enable a trader.
#[utoipa::path(operation_id = "enable_trader",
    post, path = "/traders/{id}/enable", tag = "traders",
    params(("id" = i64, Path, description = "trader id")),
    responses((status = 200, body = TraderView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(crate) async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<axum::Json<TraderView>, ApiError> {
    set_enabled(&state, &caller, id, true).await
}

/// Disable a trader.
#[utoipa::path(operation_id = "disable_trader",
    post, path = "/traders/{id}/disable", tag = "traders",
    params(("id" = i64, Path, description = "trader id")),
    responses((status = 200, body = TraderView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(crate) async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<axum::Json<TraderView>, ApiError> {
    set_enabled(&state, &caller, id, false).await
}

async fn set_enabled(
    state: &AppState,
    caller: &Caller,
    id: i64,
    enabled: bool,
) -> Result<axum::Json<TraderView>, ApiError> {
    let user = caller.require_user()?;
    load_writable(state, caller, id).await?;
    let trader = state.store.set_trader_enabled(id, enabled).await?;
    if trader.is_builtin() {
        let action = if enabled {
            "trader.enable"
        } else {
            "trader.disable"
        };
        audit(state, user, action, &trader, json!({})).await?;
    }
    notify_changed(state, id);
    Ok(axum::Json(TraderView::from(&trader)))
}

/// Tells the engine and drops cached access data.
fn notify_changed(state: &AppState, id: i64) {
    state.visible.invalidate();
    state.control.trader_changed(id);
}

/// A trader the caller may change: their own, or a built-in for admins. Others' traders are
/// 404; built-ins the caller sees but may not change are 403.
async fn load_writable(state: &AppState, caller: &Caller, id: i64) -> Result<Trader, ApiError> {
    let trader = load_visible(state, caller, id).await?;
    if trader.is_builtin() && !caller.is_admin() {
        return Err(ApiError::Forbidden(
            "only admins change built-in traders".to_owned(),
        ));
    }
    Ok(trader)
}

/// 409 `quota_exceeded` when the caller's tier allows no more custom traders (admins have no
/// quota).
async fn check_quota(state: &AppState, user: &User) -> Result<(), ApiError> {
    if user.is_admin {
        return Ok(());
    }
    let quota = state.config.tiers.custom_traders.of(user.tier);
    let used = u64::try_from(state.store.count_traders_by_owner(user.id).await?).unwrap_or(0);
    if quota.allows_one_more(used) {
        return Ok(());
    }
    match quota {
        crate::config::Quota::Limit(0) => Err(ApiError::Forbidden(format!(
            "custom traders need a higher tier than {}",
            user.tier
        ))),
        crate::config::Quota::Limit(limit) => Err(ApiError::QuotaExceeded {
            what: "custom traders",
            used,
            limit: u64::from(limit),
        }),
        crate::config::Quota::Unlimited => Ok(()),
    }
}

/// Channels must be the owner's, and need the notifications tier; built-ins notify nobody.
async fn check_channels(
    state: &AppState,
    user: &User,
    owner_id: Option<i64>,
    channels: &[i64],
) -> Result<(), ApiError> {
    if channels.is_empty() {
        return Ok(());
    }
    let Some(owner_id) = owner_id else {
        return Err(ApiError::field(
            "channels",
            "built-in traders have no channels",
        ));
    };
    let from = state.config.tiers.notifications_from;
    if user.tier < from && !user.is_admin {
        return Err(ApiError::Forbidden(format!(
            "notifications need the {from} tier"
        )));
    }
    for &id in channels {
        let channel = state.store.get_channel(id).await?;
        if channel.is_none_or(|c| c.user_id != owner_id) {
            return Err(ApiError::field("channels", format!("no channel {id}")));
        }
    }
    Ok(())
}
