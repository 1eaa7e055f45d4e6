//! The router: every route registered once, with its OpenAPI operation (utoipa-axum), so the
//! document at `/api/v1/openapi.json` lists exactly the routes served.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::{Extension, Router, middleware};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::authenticate;
use crate::request_id::observe;
use crate::routes::{
    activity, admin, ai, auth, channels, evaluate, market, rules, signals, system, traders,
};
use crate::state::AppState;
use crate::stream;

/// Where the REST API lives.
pub const API_PREFIX: &str = "/api/v1";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sift API",
        description = "Sift, a real-time crypto market screener: accounts, traders, signals, \
            market data and the live stream. Errors answer \
            `{\"error\": {\"code\", \"message\", \"details\"}}`."
    ),
    modifiers(&Security),
    tags(
        (name = "auth", description = "accounts, sessions and API tokens"),
        (name = "traders", description = "screening rules: own traders and built-ins"),
        (name = "signals", description = "stored signals"),
        (name = "market", description = "symbols, tickers and klines"),
        (name = "stream", description = "Server-Sent Events"),
        (name = "executions", description = "candle-close runs"),
        (name = "favourites", description = "favourite symbols and traders"),
        (name = "admin", description = "users, the execution switch, the audit log"),
        (name = "notifications", description = "notification channels and their deliveries"),
        (name = "system", description = "health, metrics, this document"),
    )
)]
struct ApiDoc;

/// Session cookie (with `X-CSRF-Token` on state-changing requests) or Bearer API token.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::secret::SESSION_COOKIE,
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The `/api/v1` routes (paths relative to the prefix).
fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::create_token, auth::list_tokens))
        .routes(routes!(auth::revoke_token))
        .routes(routes!(traders::list, traders::create))
        .routes(routes!(
            traders::get,
            traders::replace,
            traders::patch,
            traders::delete
        ))
        .routes(routes!(traders::enable))
        .routes(routes!(traders::disable))
        .routes(routes!(rules::validate))
        .routes(routes!(ai::draft))
        .routes(routes!(ai::explain))
        .routes(routes!(evaluate::preview_rule))
        .routes(routes!(evaluate::preview_trader))
        .routes(routes!(evaluate::backtest))
        .routes(routes!(signals::list))
        .routes(routes!(signals::get))
        .routes(routes!(market::symbols))
        .routes(routes!(market::tickers))
        .routes(routes!(market::klines))
        .routes(routes!(stream::stream))
        .routes(routes!(activity::executions))
        .routes(routes!(activity::list_favourites, activity::add_favourite))
        .routes(routes!(activity::remove_favourite))
        .routes(routes!(admin::users))
        .routes(routes!(admin::update_user))
        .routes(routes!(admin::execution))
        .routes(routes!(admin::pause))
        .routes(routes!(admin::resume))
        .routes(routes!(admin::audit_log))
        .routes(routes!(channels::list, channels::create))
        .routes(routes!(channels::get, channels::delete))
        .routes(routes!(channels::enable))
        .routes(routes!(channels::disable))
        .routes(routes!(channels::test))
        .routes(routes!(channels::deliveries))
        .routes(routes!(system::openapi))
}

/// `api` under [`API_PREFIX`] plus the root routes, with the document's header.
fn assemble(api: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(system::health))
        .routes(routes!(system::metrics))
        .nest(API_PREFIX, api)
}

/// The OpenAPI document of every route [`router`] serves (also at `/api/v1/openapi.json`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    assemble(api_routes()).into_openapi()
}

/// The whole HTTP surface: `/api/v1/*` (authenticated, CSRF-checked, rate-limited), `/health`
/// and `/metrics`. Serve it with `into_make_service_with_connect_info::<SocketAddr>()` so
/// anonymous callers are rate-limited per address.
pub fn router(state: AppState) -> Router {
    let api = api_routes().layer(middleware::from_fn_with_state(state.clone(), authenticate));
    let (router, doc) = assemble(api).split_for_parts();
    let json = doc.to_json().unwrap_or_else(|_| String::from("{}"));
    router
        .fallback(system::not_found)
        .method_not_allowed_fallback(system::method_not_allowed)
        .layer(Extension(system::OpenApiJson(Arc::from(json))))
        .layer(DefaultBodyLimit::max(state.config.body_limit_bytes))
        .layer(middleware::from_fn(observe))
        .with_state(state)
}
