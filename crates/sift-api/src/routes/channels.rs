//! `/channels`: the caller's notification channels (webhook, Telegram, Discord), a test send,
//! and the delivery log. Only the owner sees a channel (admins included); creating, enabling
//! and testing need the notifications tier, while listing, disabling and deleting stay open to
//! owners whose tier dropped. Secrets are never shown after creation: a webhook's signing
//! secret is in the creation answer only, and bot tokens and webhook URLs are always masked.
//! They are stored sealed with the server's notification key when it has one
//! ([`AppState::with_notify_key`]).

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sift_notify::{ChannelTarget, SecretKey};
use sift_store::{
    Channel, ChannelKind, Delivery, DeliveryAttemptRecord, NewChannel, NewDelivery, User,
};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

/// Most channels one user may have.
const MAX_CHANNELS: u64 = 20;
/// Longest channel name, in characters.
const MAX_NAME: usize = 100;
/// Most deliveries one request lists.
const MAX_DELIVERIES: u32 = 100;

/// A channel to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChannelInput {
    /// `webhook`, `telegram` or `discord`.
    #[schema(example = "webhook")]
    pub kind: String,
    pub name: String,
    /// `{"url"}` for a webhook or Discord, `{"bot_token", "chat_id"}` for Telegram.
    #[schema(value_type = Object)]
    pub config: Value,
}

/// A notification channel; secrets masked.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChannelView {
    pub id: i64,
    #[schema(example = "webhook")]
    pub kind: &'static str,
    pub name: String,
    /// The configuration with the bot token and the URL path masked (`***`).
    #[schema(value_type = Object)]
    pub config: Value,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// A webhook's signing secret: in the answer to its creation only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl ChannelView {
    /// `c` as shown: its secrets opened with `key` (when sealed), then masked. A secret that
    /// does not open shows as `***` whole.
    fn new(c: &Channel, key: Option<&SecretKey>) -> Self {
        let opened = key.and_then(|key| key.open_config(c.kind, &c.config).ok());
        Self {
            id: c.id,
            kind: c.kind.as_str(),
            name: c.name.clone(),
            config: sift_notify::masked(c.kind, opened.as_ref().unwrap_or(&c.config)),
            enabled: c.enabled,
            created_at: c.created_at,
            updated_at: c.updated_at,
            secret: None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChannelList {
    pub channels: Vec<ChannelView>,
}

/// One delivery of a notification and its attempts.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DeliveryView {
    pub id: i64,
    pub channel_id: i64,
    /// Null for a test message.
    pub signal_id: Option<i64>,
    pub idempotency_key: String,
    /// `pending`, `sent` or `failed`.
    #[schema(example = "sent")]
    pub status: &'static str,
    pub attempts: i64,
    /// When a pending delivery is next tried (ms).
    pub next_attempt_at: i64,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub latency_ms: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Every attempt, oldest first.
    pub attempt_log: Vec<AttemptView>,
}

/// One attempt at a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AttemptView {
    /// 1 for the first.
    pub attempt: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub latency_ms: i64,
    pub created_at: i64,
}

impl DeliveryView {
    fn new(d: &Delivery, log: &[DeliveryAttemptRecord]) -> Self {
        Self {
            id: d.id,
            channel_id: d.channel_id,
            signal_id: d.signal_id,
            idempotency_key: d.idempotency_key.clone(),
            status: d.status.as_str(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_status_code: d.last_status_code,
            last_error: d.last_error.clone(),
            latency_ms: d.latency_ms,
            created_at: d.created_at,
            updated_at: d.updated_at,
            attempt_log: log
                .iter()
                .map(|a| AttemptView {
                    attempt: a.attempt,
                    status_code: a.status_code,
                    error: a.error.clone(),
                    latency_ms: a.latency_ms,
                    created_at: a.created_at,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DeliveryList {
    pub deliveries: Vec<DeliveryView>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeliveryQuery {
    /// 1 to 100 (default 50), newest first.
    pub limit: Option<u32>,
}

fn require_notifications<'a>(state: &AppState, caller: &'a Caller) -> Result<&'a User, ApiError> {
    caller.require_tier(state.config.tiers.notifications_from, "notifications")
}

/// The caller's channel `id`, or 404.
async fn own_channel(state: &AppState, user: &User, id: i64) -> Result<Channel, ApiError> {
    match state.store.get_channel(id).await? {
        Some(channel) if channel.user_id == user.id => Ok(channel),
        _ => Err(ApiError::NotFound),
    }
}

/// The caller's channels, ordered by id.
#[utoipa::path(operation_id = "list_channels",
    get, path = "/channels", tag = "notifications",
    responses((status = 200, body = ChannelList), (status = 401, body = ErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<ChannelList>, ApiError> {
    let user = caller.require_user()?;
    let channels = state.store.list_channels(user.id).await?;
    Ok(axum::Json(ChannelList {
        channels: channels
            .iter()
            .map(|c| ChannelView::new(c, state.notify_key.as_ref()))
            .collect(),
    }))
}

/// Create a channel. A webhook's answer carries its signing `secret`, shown only this once.
#[utoipa::path(operation_id = "create_channel",
    post, path = "/channels", tag = "notifications", request_body = ChannelInput,
    responses((status = 201, body = ChannelView), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<ChannelInput>,
) -> Result<(StatusCode, axum::Json<ChannelView>), ApiError> {
    let user = require_notifications(&state, &caller)?;
    let kind: ChannelKind = input
        .kind
        .parse()
        .map_err(|_| ApiError::field("kind", "must be one of webhook, telegram, discord"))?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(ApiError::field(
            "name",
            format!("1 to {MAX_NAME} characters, no control characters"),
        ));
    }
    let target = ChannelTarget::parse(kind, &input.config)
        .map_err(|e| ApiError::field(&e.field, e.message))?;
    let used = state.store.list_channels(user.id).await?.len() as u64;
    if used >= MAX_CHANNELS {
        return Err(ApiError::QuotaExceeded {
            what: "channels",
            used,
            limit: MAX_CHANNELS,
        });
    }
    let secret = (kind == ChannelKind::Webhook).then(sift_notify::new_webhook_secret);
    let key = state.notify_key.as_ref();
    let config = target.to_config();
    let channel = state
        .store
        .create_channel(NewChannel {
            user_id: user.id,
            kind,
            name: name.to_owned(),
            config: key.map_or_else(|| config.clone(), |k| k.seal_config(kind, &config)),
            secret: match (key, &secret) {
                (Some(key), Some(secret)) => Some(key.seal_secret(secret)),
                _ => secret.clone(),
            },
            enabled: true,
        })
        .await?;
    let mut view = ChannelView::new(&channel, key);
    view.secret = secret;
    Ok((StatusCode::CREATED, axum::Json(view)))
}

/// One of the caller's channels.
#[utoipa::path(operation_id = "get_channel",
    get, path = "/channels/{id}", tag = "notifications",
    params(("id" = i64, Path, description = "channel id")),
    responses((status = 200, body = ChannelView), (status = 404, body = ErrorBody)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<axum::Json<ChannelView>, ApiError> {
    let user = caller.require_user()?;
    let channel = own_channel(&state, user, id).await?;
    Ok(axum::Json(ChannelView::new(
        &channel,
        state.notify_key.as_ref(),
    )))
}

/// Delete a channel with its deliveries (traders that named it stop notifying it).
#[utoipa::path(operation_id = "delete_channel",
    delete, path = "/channels/{id}", tag = "notifications",
    params(("id" = i64, Path, description = "channel id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let user = caller.require_user()?;
    state.store.delete_channel(user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Enable a channel.
#[utoipa::path(operation_id = "enable_channel",
    post, path = "/channels/{id}/enable", tag = "notifications",
    params(("id" = i64, Path, description = "channel id")),
    responses((status = 200, body = ChannelView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(crate) async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<axum::Json<ChannelView>, ApiError> {
    let user = require_notifications(&state, &caller)?;
    let channel = state.store.set_channel_enabled(user.id, id, true).await?;
    Ok(axum::Json(ChannelView::new(
        &channel,
        state.notify_key.as_ref(),
    )))
}

/// Disable a channel: nothing new is queued for it, and what is queued fails.
#[utoipa::path(operation_id = "disable_channel",
    post, path = "/channels/{id}/disable", tag = "notifications",
    params(("id" = i64, Path, description = "channel id")),
    responses((status = 200, body = ChannelView), (status = 404, body = ErrorBody)))]
pub(crate) async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<axum::Json<ChannelView>, ApiError> {
    let user = caller.require_user()?;
    let channel = state.store.set_channel_enabled(user.id, id, false).await?;
    Ok(axum::Json(ChannelView::new(
        &channel,
        state.notify_key.as_ref(),
    )))
}

/// Queue a clearly marked test message to the channel; follow it in the delivery log.
#[utoipa::path(operation_id = "test_channel",
    post, path = "/channels/{id}/test", tag = "notifications",
    params(("id" = i64, Path, description = "channel id")),
    responses((status = 202, body = DeliveryView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn test(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<(StatusCode, axum::Json<DeliveryView>), ApiError> {
    let user = require_notifications(&state, &caller)?;
    let channel = own_channel(&state, user, id).await?;
    if !channel.enabled {
        return Err(ApiError::Conflict("the channel is disabled".to_owned()));
    }
    let delivery = state
        .store
        .enqueue_delivery(NewDelivery {
            channel_id: channel.id,
            signal_id: None,
            idempotency_key: format!("test:{}:{}", channel.id, sift_store::token::generate()),
            next_attempt_at: state.now_ms(),
        })
        .await?
        .ok_or_else(|| ApiError::internal("a fresh test key already existed"))?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(DeliveryView::new(&delivery, &[])),
    ))
}

/// The channel's deliveries, newest first, each with its attempts.
#[utoipa::path(operation_id = "list_channel_deliveries",
    get, path = "/channels/{id}/deliveries", tag = "notifications",
    params(("id" = i64, Path, description = "channel id"), DeliveryQuery),
    responses((status = 200, body = DeliveryList), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(crate) async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(query): Query<DeliveryQuery>,
) -> Result<axum::Json<DeliveryList>, ApiError> {
    let user = caller.require_user()?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=MAX_DELIVERIES).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1 to {MAX_DELIVERIES}"
        )));
    }
    let channel = own_channel(&state, user, id).await?;
    let rows = state.store.list_deliveries(channel.id, limit).await?;
    let mut deliveries = Vec::with_capacity(rows.len());
    for row in &rows {
        let log = state.store.list_delivery_attempts(row.id).await?;
        deliveries.push(DeliveryView::new(row, &log));
    }
    Ok(axum::Json(DeliveryList { deliveries }))
}
