//! Who is calling: the authentication middleware (session cookie or Bearer token), CSRF
//! enforcement, the per-caller rate limit, and the [`Caller`] extractor handlers use.

use std::convert::Infallible;
use std::fmt;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sift_core::Tier;
use sift_store::User;

use super::secret::{self, CSRF_HEADER, SESSION_COOKIE};
use crate::cache::{Identity, SessionInfo};
use crate::error::ApiError;
use crate::hub::TraderVisibility;
use crate::state::AppState;

/// Sessions are re-stamped (sliding expiry) at most this often, to keep reads read-only.
const TOUCH_EVERY_MS: i64 = 60_000;

/// Paths that accept a cookie-authenticated POST without `X-CSRF-Token`: they act on the
/// credentials in their body, not on the session.
const CSRF_EXEMPT: [&str; 2] = ["/api/v1/auth/login", "/api/v1/auth/register"];

/// The caller of a request: anonymous, or a user through a session or an API token.
#[derive(Clone, Default)]
pub struct Caller {
    user: Option<User>,
    /// When authenticated by cookie: the session token's hash and the session's CSRF token.
    session: Option<(String, String)>,
    ip: Option<IpAddr>,
}

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caller")
            .field("user_id", &self.user_id())
            .field("by_session", &self.session.is_some())
            .field("ip", &self.ip)
            .finish()
    }
}

impl Caller {
    /// The user, if authenticated.
    pub fn user(&self) -> Option<&User> {
        self.user.as_ref()
    }

    /// The user, or 401.
    pub fn require_user(&self) -> Result<&User, ApiError> {
        self.user
            .as_ref()
            .ok_or_else(|| ApiError::Unauthorized("log in first".to_owned()))
    }

    /// An admin, or 401/403.
    pub fn require_admin(&self) -> Result<&User, ApiError> {
        let user = self.require_user()?;
        if user.is_admin {
            Ok(user)
        } else {
            Err(ApiError::Forbidden("admins only".to_owned()))
        }
    }

    /// A user of at least `tier` (admins always qualify), or 401/403 naming the feature.
    pub fn require_tier(&self, tier: Tier, feature: &str) -> Result<&User, ApiError> {
        let user = self.require_user()?;
        if user.is_admin || user.tier >= tier {
            Ok(user)
        } else {
            Err(ApiError::Forbidden(format!(
                "{feature} needs the {tier} tier"
            )))
        }
    }

    pub fn user_id(&self) -> Option<i64> {
        self.user.as_ref().map(|u| u.id)
    }

    /// The tier: anonymous without a user.
    pub fn tier(&self) -> Tier {
        self.user.as_ref().map_or(Tier::Anonymous, |u| u.tier)
    }

    /// The highest built-in access tier the caller sees: every built-in for admins (they
    /// manage them), the caller's tier otherwise.
    pub fn builtin_tier(&self) -> Tier {
        match &self.user {
            Some(u) if u.is_admin => Tier::Elite,
            _ => self.tier(),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.is_admin)
    }

    /// The hash of the session token, when authenticated by cookie.
    pub fn session_hash(&self) -> Option<&str> {
        self.session.as_ref().map(|(hash, _)| hash.as_str())
    }

    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }

    /// Whether the caller may see a trader (and its signals) of this visibility.
    pub fn can_see(&self, visibility: &TraderVisibility) -> bool {
        match visibility.owner_id {
            Some(owner) => self.user_id() == Some(owner),
            None => visibility.access_tier <= self.builtin_tier(),
        }
    }

    /// The rate-limit key: the user, else the client address.
    fn rate_key(&self) -> String {
        match (&self.user, self.ip) {
            (Some(u), _) => format!("user:{}", u.id),
            (None, Some(ip)) => format!("ip:{ip}"),
            (None, None) => "ip:unknown".to_owned(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(parts
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or_default())
    }
}

/// The middleware in front of `/api/v1`: authenticates, enforces CSRF and the rate limit, and
/// leaves the [`Caller`] in the request extensions.
pub(crate) async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let ip = client_ip(&request, state.config.trust_forwarded_for);
    let caller = match identify(&state, request.headers(), ip).await {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    if let Err(error) = check_csrf(&request, &caller) {
        return error.into_response();
    }
    let limit = state.config.rate_limits.per_minute(caller.builtin_tier());
    if let Err(retry_after_secs) = state
        .limiter
        .check(&caller.rate_key(), limit, state.now_ms())
    {
        metrics::counter!("sift_http_rate_limited_total").increment(1);
        return ApiError::RateLimited { retry_after_secs }.into_response();
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// The caller named by the request's credentials. A bad Bearer token is an error (the script
/// must learn it); a stale cookie just means anonymous. Credentials are looked up in the
/// database at most once per `cache::TTL_MS`.
async fn identify(
    state: &AppState,
    headers: &HeaderMap,
    ip: Option<IpAddr>,
) -> Result<Caller, ApiError> {
    let anonymous = Caller {
        user: None,
        session: None,
        ip,
    };
    let (key, bearer) = match credential(headers)? {
        Some(Credential::Bearer(token)) => (format!("b:{}", secret::token_hash(token)), true),
        Some(Credential::Session(token)) => (format!("s:{}", secret::token_hash(token)), false),
        None => return Ok(anonymous),
    };
    let now = state.now_ms();
    let identity = match state.identities.get(&key, now) {
        Ok(identity) => Some(identity),
        Err(generation) => {
            let hash = &key[2..];
            let fetched = if bearer {
                fetch_bearer(state, hash, now).await?
            } else {
                fetch_session(state, hash, now).await?
            };
            if let Some(identity) = &fetched {
                state
                    .identities
                    .put(key.clone(), generation, now, identity.clone());
            }
            fetched
        }
    };
    let Some(identity) = identity else {
        return if bearer {
            Err(ApiError::Unauthorized("invalid API token".to_owned()))
        } else {
            Ok(anonymous)
        };
    };
    let session = match identity.session {
        Some(session) if session.expires_at <= now => {
            state.identities.evict_token(&key);
            return Ok(anonymous);
        }
        Some(session) => Some((key[2..].to_owned(), session.csrf)),
        None => None,
    };
    Ok(Caller {
        user: Some(identity.user),
        session,
        ip,
    })
}

/// The credential a request carries.
enum Credential<'a> {
    Bearer(&'a str),
    Session(&'a str),
}

/// The Bearer token (which wins), else the session cookie.
fn credential(headers: &HeaderMap) -> Result<Option<Credential<'_>>, ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        return value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| Some(Credential::Bearer(token.trim())))
            .ok_or_else(|| ApiError::Unauthorized("expected Authorization: Bearer".to_owned()));
    }
    Ok(headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| secret::cookie(v, SESSION_COOKIE))
        .map(Credential::Session))
}

/// The owner of an API token (stamping its last use).
async fn fetch_bearer(
    state: &AppState,
    hash: &str,
    now: i64,
) -> Result<Option<Identity>, ApiError> {
    let Some(token) = state.store.use_api_token(hash, now).await? else {
        return Ok(None);
    };
    let user = state.store.get_user(token.user_id).await?;
    Ok(user.map(|user| Identity {
        user,
        session: None,
    }))
}

/// The user of a live session, extending it (sliding expiry) at most every minute.
async fn fetch_session(
    state: &AppState,
    hash: &str,
    now: i64,
) -> Result<Option<Identity>, ApiError> {
    let Some(mut session) = state.store.get_session(hash).await? else {
        return Ok(None);
    };
    if session.expires_at <= now {
        state.store.delete_session(hash).await?;
        return Ok(None);
    }
    let Some(user) = state.store.get_user(session.user_id).await? else {
        return Ok(None);
    };
    if now - session.last_seen_at >= TOUCH_EVERY_MS {
        let ttl_ms =
            i64::try_from(state.config.session_ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        session.expires_at = now.saturating_add(ttl_ms);
        state
            .store
            .touch_session(hash, now, session.expires_at)
            .await?;
    }
    Ok(Some(Identity {
        user,
        session: Some(SessionInfo {
            csrf: session.csrf_token,
            expires_at: session.expires_at,
        }),
    }))
}

/// Cookie-authenticated state-changing requests must echo the session's CSRF token.
fn check_csrf(request: &Request, caller: &Caller) -> Result<(), ApiError> {
    let Some((_, csrf)) = &caller.session else {
        return Ok(());
    };
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || CSRF_EXEMPT.contains(&request.uri().path()) {
        return Ok(());
    }
    let sent = request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::Csrf)?;
    if secret::constant_time_eq(sent, csrf) {
        Ok(())
    } else {
        Err(ApiError::Csrf)
    }
}

/// The client address: the first `X-Forwarded-For` entry when trusted, else the peer.
fn client_ip(request: &Request, trust_forwarded_for: bool) -> Option<IpAddr> {
    if trust_forwarded_for {
        let forwarded = request
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}
