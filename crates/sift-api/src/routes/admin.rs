//! `/admin/*`: users and tiers, the global execution switch, the audit log. Every change is
//! audited. Built-in traders are managed through `/traders` (admins only there too).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sift_core::Tier;
use sift_store::{SETTING_PAUSED, UserUpdate};
use utoipa::{IntoParams, ToSchema};

use crate::access::audit_target;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use crate::views::{AuditView, UserView};

/// Most audit entries one request answers.
const MAX_AUDIT: u32 = 500;

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UserList {
    pub users: Vec<UserView>,
}

/// Every user, ordered by id.
#[utoipa::path(operation_id = "list_users",
    get, path = "/admin/users", tag = "admin",
    responses((status = 200, body = UserList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(crate) async fn users(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<UserList>, ApiError> {
    caller.require_admin()?;
    let users = state.store.list_users().await?;
    Ok(axum::Json(UserList {
        users: users.iter().map(UserView::from).collect(),
    }))
}

/// A change of tier or admin flag.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserPatch {
    #[schema(value_type = Option<String>, example = "pro")]
    pub tier: Option<Tier>,
    pub is_admin: Option<bool>,
}

/// Change a user's tier or admin flag (the last admin cannot drop their own flag).
#[utoipa::path(operation_id = "update_user",
    patch, path = "/admin/users/{id}", tag = "admin", request_body = UserPatch,
    params(("id" = i64, Path, description = "user id")),
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<UserPatch>,
) -> Result<axum::Json<UserView>, ApiError> {
    let admin = caller.require_admin()?;
    let user = state.store.get_user(id).await?.ok_or(ApiError::NotFound)?;
    if body.is_admin == Some(false) && user.is_admin && state.store.count_admins().await? <= 1 {
        return Err(ApiError::Conflict(
            "cannot remove the last admin".to_owned(),
        ));
    }
    let update = UserUpdate {
        tier: body.tier,
        is_admin: body.is_admin,
    };
    let updated = state.store.update_user(id, update).await?;
    state.identities.evict_user(id);
    // A tier without notifications keeps no channel sending (re-enabling needs the tier).
    let mut channels_disabled = 0;
    if !updated.is_admin && updated.tier < state.config.tiers.notifications_from {
        for channel in state.store.list_channels(id).await? {
            if channel.enabled {
                state
                    .store
                    .set_channel_enabled(id, channel.id, false)
                    .await?;
                channels_disabled += 1;
            }
        }
    }
    let details = json!({
        "from": { "tier": user.tier, "is_admin": user.is_admin },
        "to": { "tier": updated.tier, "is_admin": updated.is_admin },
        "channels_disabled": channels_disabled,
    });
    audit_target(&state, admin, "user.update", format!("user:{id}"), details).await?;
    Ok(axum::Json(UserView::from(&updated)))
}

/// The global execution switch.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ExecutionState {
    /// Whether all evaluation is paused.
    pub paused: bool,
}

/// Whether evaluation is paused.
#[utoipa::path(operation_id = "get_execution",
    get, path = "/admin/execution", tag = "admin",
    responses((status = 200, body = ExecutionState), (status = 403, body = ErrorBody)))]
pub(crate) async fn execution(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<ExecutionState>, ApiError> {
    caller.require_admin()?;
    Ok(axum::Json(ExecutionState {
        paused: paused(&state).await?,
    }))
}

/// Pause all evaluation (the rollback switch).
#[utoipa::path(operation_id = "pause_execution",
    post, path = "/admin/execution/pause", tag = "admin",
    responses((status = 200, body = ExecutionState), (status = 403, body = ErrorBody)))]
pub(crate) async fn pause(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<ExecutionState>, ApiError> {
    switch(&state, &caller, true).await
}

/// Resume evaluation.
#[utoipa::path(operation_id = "resume_execution",
    post, path = "/admin/execution/resume", tag = "admin",
    responses((status = 200, body = ExecutionState), (status = 403, body = ErrorBody)))]
pub(crate) async fn resume(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<ExecutionState>, ApiError> {
    switch(&state, &caller, false).await
}

async fn switch(
    state: &AppState,
    caller: &Caller,
    paused: bool,
) -> Result<axum::Json<ExecutionState>, ApiError> {
    let admin = caller.require_admin()?;
    state
        .store
        .set_setting(SETTING_PAUSED, if paused { "true" } else { "false" })
        .await?;
    state.control.set_paused(paused);
    let action = if paused {
        "execution.pause"
    } else {
        "execution.resume"
    };
    audit_target(state, admin, action, "execution".to_owned(), json!({})).await?;
    Ok(axum::Json(ExecutionState { paused }))
}

/// The persisted state of the execution switch.
pub(crate) async fn paused(state: &AppState) -> Result<bool, ApiError> {
    Ok(state.store.get_setting(SETTING_PAUSED).await?.as_deref() == Some("true"))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// Entries older than this id (paging back).
    pub before_id: Option<i64>,
    /// 1 to 500 (default 100).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditList {
    pub entries: Vec<AuditView>,
}

/// Admin actions, newest first.
#[utoipa::path(operation_id = "audit_log",
    get, path = "/admin/audit", tag = "admin", params(AuditQuery),
    responses((status = 200, body = AuditList), (status = 403, body = ErrorBody)))]
pub(crate) async fn audit_log(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<AuditQuery>,
) -> Result<axum::Json<AuditList>, ApiError> {
    caller.require_admin()?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_AUDIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1 to {MAX_AUDIT}"
        )));
    }
    let entries = state.store.list_audit(query.before_id, limit).await?;
    Ok(axum::Json(AuditList {
        entries: entries.iter().map(AuditView::from).collect(),
    }))
}
