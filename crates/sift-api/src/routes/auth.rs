//! `/auth/*` and `/me`: register, log in and out, API tokens.

use std::fmt;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sift_core::Tier;
use sift_store::{NewApiToken, NewSession, User};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::auth::account::{self, AccountError};
use crate::auth::secret;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path};
use crate::state::AppState;
use crate::views::MeView;

/// Longest API token name, in characters.
const MAX_TOKEN_NAME_CHARS: usize = 100;

/// Email and password.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Credentials {
    #[schema(example = "ann@example.com")]
    pub email: String,
    #[schema(example = "correct horse battery staple")]
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// A new session: the user and the CSRF token to send in `X-CSRF-Token` (also in the
/// readable `sift_csrf` cookie).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionView {
    pub user: MeView,
    pub csrf_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewToken {
    #[schema(example = "my script")]
    pub name: String,
}

/// A created API token: shown only in this answer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CreatedToken {
    pub id: i64,
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TokenView {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TokenList {
    pub tokens: Vec<TokenView>,
}

/// Create an account (free tier) and log in.
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = Credentials,
    responses((status = 201, body = SessionView), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn register(
    State(state): State<AppState>,
    Json(body): Json<Credentials>,
) -> Result<Response, ApiError> {
    let user = account::create_account(
        state.store.as_ref(),
        &body.email,
        &body.password,
        Tier::Free,
        false,
    )
    .await?;
    start_session(&state, &user, StatusCode::CREATED).await
}

/// Log in. Wrong emails and wrong passwords get the same answer; repeated failures per email
/// or client address answer 429 for a while.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = Credentials,
    responses((status = 200, body = SessionView), (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub(crate) async fn login(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<Credentials>,
) -> Result<Response, ApiError> {
    let throttle = state.config.login_throttle;
    let window_ms = i64::try_from(throttle.window_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let now = state.now_ms();
    let email = body.email.trim().to_lowercase();
    let keys = [
        format!("email:{email}"),
        format!(
            "ip:{}",
            caller
                .ip()
                .map_or("unknown".to_owned(), |ip| ip.to_string())
        ),
    ];
    for key in &keys {
        if let Err(retry_after_secs) =
            state
                .logins
                .check(key, throttle.max_failures, window_ms, now)
        {
            return Err(ApiError::RateLimited { retry_after_secs });
        }
    }
    let user = match account::normalize_email(&email) {
        Ok(email) => state.store.get_user_by_email(&email).await?,
        Err(_) => None,
    };
    let stored = user.as_ref().map(|u| u.password_hash.as_str());
    let ok = body.password.chars().count() <= account::MAX_PASSWORD_CHARS
        && account::verify_password(&body.password, stored).await;
    let user = match (ok, user) {
        (true, Some(user)) => user,
        _ => {
            for key in &keys {
                state.logins.fail(key, window_ms, now);
            }
            metrics::counter!("sift_login_failures_total").increment(1);
            return Err(ApiError::Unauthorized(
                "invalid email or password".to_owned(),
            ));
        }
    };
    state.logins.reset(&keys[0]);
    state.store.set_last_login(user.id, now).await?;
    start_session(&state, &user, StatusCode::OK).await
}

async fn start_session(
    state: &AppState,
    user: &User,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let token = secret::random_token();
    let csrf_token = secret::random_token();
    let ttl = state.config.session_ttl_secs;
    let ttl_ms = i64::try_from(ttl.saturating_mul(1000)).unwrap_or(i64::MAX);
    state
        .store
        .create_session(NewSession {
            token_hash: secret::token_hash(&token),
            user_id: user.id,
            csrf_token: csrf_token.clone(),
            expires_at: state.now_ms().saturating_add(ttl_ms),
        })
        .await?;
    let mut headers = HeaderMap::new();
    for cookie in secret::session_cookies(&token, &csrf_token, ttl, state.config.secure_cookies) {
        headers.append(header::SET_COOKIE, cookie);
    }
    let body = SessionView {
        user: MeView::new(user, &state.config.tiers),
        csrf_token,
    };
    Ok((status, headers, axum::Json(body)).into_response())
}

/// End the session (and clear its cookies).
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses((status = 204), (status = 403, body = ErrorBody)))]
pub(crate) async fn logout(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    if let Some(hash) = caller.session_hash() {
        state.store.delete_session(hash).await?;
        state.identities.evict_token(&format!("s:{hash}"));
    }
    let mut headers = HeaderMap::new();
    for cookie in secret::clear_cookies(state.config.secure_cookies) {
        headers.append(header::SET_COOKIE, cookie);
    }
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

/// The caller.
#[utoipa::path(get, path = "/me", tag = "auth",
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody)))]
pub(crate) async fn me(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<MeView>, ApiError> {
    let user = caller.require_user()?;
    Ok(axum::Json(MeView::new(user, &state.config.tiers)))
}

/// Create an API token for `Authorization: Bearer`; the token is shown only in this answer.
#[utoipa::path(post, path = "/auth/tokens", tag = "auth", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 401, body = ErrorBody)))]
pub(crate) async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewToken>,
) -> Result<(StatusCode, axum::Json<CreatedToken>), ApiError> {
    let user = caller.require_user()?;
    let name = body.name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_TOKEN_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(AccountError::Invalid {
            field: "name",
            message: format!("must have 1 to {MAX_TOKEN_NAME_CHARS} characters"),
        }
        .into());
    }
    let token = secret::new_api_token();
    let stored = state
        .store
        .create_api_token(NewApiToken {
            user_id: user.id,
            name: name.to_owned(),
            token_hash: secret::token_hash(&token),
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedToken {
            id: stored.id,
            token,
        }),
    ))
}

/// The caller's API tokens (without the tokens themselves).
#[utoipa::path(get, path = "/auth/tokens", tag = "auth",
    responses((status = 200, body = TokenList), (status = 401, body = ErrorBody)))]
pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<TokenList>, ApiError> {
    let user = caller.require_user()?;
    let tokens = state
        .store
        .list_api_tokens(user.id)
        .await?
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
        })
        .collect();
    Ok(axum::Json(TokenList { tokens }))
}

/// Revoke one of the caller's API tokens.
#[utoipa::path(delete, path = "/auth/tokens/{id}", tag = "auth",
    params(("id" = i64, Path, description = "token id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let user = caller.require_user()?;
    state.store.revoke_api_token(user.id, id).await?;
    state.identities.evict_user(user.id);
    Ok(StatusCode::NO_CONTENT)
}
