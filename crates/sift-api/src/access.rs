//! Who sees what: trader visibility, the traders a caller may read signals of, and the audit
//! log of admin actions.

use std::sync::Arc;

use serde_json::Value;
use sift_store::{NewAudit, Trader, TraderFilter, TraderScope, User};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::hub::TraderVisibility;
use crate::state::AppState;

/// The trader if the caller may see it; 404 otherwise (never telling "exists" from "hidden").
pub(crate) async fn load_visible(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<Trader, ApiError> {
    match state.store.get_trader(id).await? {
        Some(trader) if caller.can_see(&TraderVisibility::of(&trader)) => Ok(trader),
        _ => Err(ApiError::NotFound),
    }
}

/// Ids of every trader whose signals the caller may see: their own and the built-ins of their
/// tier, ordered by id (cached briefly, see `cache`).
pub(crate) async fn visible_trader_ids(
    state: &AppState,
    caller: &Caller,
) -> Result<Arc<[i64]>, ApiError> {
    let key = (caller.user_id(), caller.builtin_tier());
    let generation = match state.visible.get(&key, state.now_ms()) {
        Ok(ids) => return Ok(ids),
        Err(generation) => generation,
    };
    let scope = match caller.user_id() {
        Some(id) => TraderScope::OwnerAndBuiltin(id),
        None => TraderScope::Builtin,
    };
    let filter = TraderFilter {
        scope,
        max_access_tier: Some(caller.builtin_tier()),
        ..TraderFilter::default()
    };
    let traders = state.store.list_traders(&filter).await?;
    let ids: Arc<[i64]> = traders.iter().map(|t| t.id).collect();
    state
        .visible
        .put(key, generation, state.now_ms(), Arc::clone(&ids));
    Ok(ids)
}

/// Records an admin action on a trader.
pub(crate) async fn audit(
    state: &AppState,
    actor: &User,
    action: &str,
    trader: &Trader,
    details: Value,
) -> Result<(), ApiError> {
    audit_target(
        state,
        actor,
        action,
        format!("trader:{}", trader.id),
        details,
    )
    .await
}

/// Records an admin action on any target (`user:7`, `execution`).
pub(crate) async fn audit_target(
    state: &AppState,
    actor: &User,
    action: &str,
    target: String,
    details: Value,
) -> Result<(), ApiError> {
    tracing::info!(actor = actor.id, action, target = %target, "admin action");
    state
        .store
        .insert_audit(NewAudit {
            actor_id: Some(actor.id),
            action: action.to_owned(),
            target,
            details,
        })
        .await?;
    Ok(())
}
