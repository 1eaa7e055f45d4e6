//! Sift's HTTP API: REST JSON under `/api/v1`, the live SSE stream, `/health` and `/metrics`.
//!
//! ```text
//! request ─ observe (request id, metrics) ─ body limit ─┬─ /health, /metrics
//!                                                        └─ /api/v1 ─ authenticate (session or
//!                                                           Bearer, CSRF, rate limit) ─ handler
//! server ─ Hub::publish_* ─ broadcast ─ per-connection filter ─ SSE
//! ```
//!
//! [`router()`] is a free function over an [`AppState`] (store, candle store, hub, the server's
//! [`Control`], config), so tests drive it without a socket. Access rules (tiers, ownership,
//! admin) are enforced here for every route and every streamed event; ids the caller may not
//! see answer 404.
//!
//! # Layout
//! - [`config`]: [`ApiConfig`] (limits per tier, sessions, throttling), embedded in the
//!   server's settings.
//! - [`state`]: [`AppState`], [`Control`], [`Clock`], [`RecordingControl`] for tests.
//! - [`router`](mod@router): the routes and their OpenAPI document ([`openapi`]).
//! - [`auth`]: [`Caller`](auth::Caller), the authentication middleware, cookies and tokens,
//!   account rules, [`ensure_admin`].
//! - `routes`: one module per resource (auth, traders, rules, evaluate, signals, market,
//!   activity, admin, system; `ai`: AI drafting and rule explanation).
//! - [`hub`]: [`Hub`], the realtime fan-out; `stream`: the SSE route.
//! - `evaluate`: preview and backtest over stored candles. `access`: visibility and audit.
//!   [`cache`]: short-lived caches of credentials and visible trader ids (1 s).
//! - [`views`]: the JSON shapes. [`error`]: [`ApiError`]. `extract`: extractors whose
//!   rejections are `ApiError`s. `limits`: rate limiter and login throttle. [`request_id`].

mod access;
pub mod auth;
pub mod cache;
pub mod config;
pub mod error;
mod evaluate;
mod extract;
pub mod hub;
mod limits;
pub mod request_id;
pub mod router;
mod routes;
pub mod state;
mod stream;
pub mod views;

pub use auth::{AccountError, AdminOutcome, create_account, ensure_admin};
pub use config::{ApiConfig, Quota};
pub use error::ApiError;
pub use hub::{HUB_CAPACITY, Hub, TraderVisibility, UncommittedSignals};
pub use router::{API_PREFIX, openapi, router};
pub use state::{
    AppState, Clock, Control, ControlEvent, HealthReport, ManualClock, RecordingControl,
    SymbolStatus, SystemClock,
};
