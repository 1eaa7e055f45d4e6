//! Sift's web UI: plain HTML, CSS and JavaScript modules (no Node.js build, no CDN) embedded
//! in the binary and served at `/` next to the API.
//!
//! [`router()`] answers `GET`/`HEAD` for every path the API does not own: an embedded file
//! when one has that path, otherwise `index.html` (the UI routes in the browser, so
//! `/market` or `/chart/BTCUSDT/1m` reload into the right page). Paths under `/api/` and
//! other methods answer the API's `404 not_found`, exactly as the API alone would. Files carry
//! their content type, a strong `ETag` (conditional requests answer 304) and
//! `Cache-Control: no-cache`; text files are gzipped once and kept when the client accepts
//! gzip.
//!
//! Merge it into the API router, which keeps its own fallback:
//! `sift_api::router(state).merge(sift_web::router())`.
//!
//! # Layout
//! - `serve`: the handler (file lookup, SPA fallback, conditional requests, compression).
//! - `assets/`: `index.html`, `css/app.css`, `js/main.js` (router, shell) with `js/*.js`
//!   (API client, live stream, formatting, DOM helpers), `js/pages/*.js` (one module per page)
//!   and `js/chart/*.js` (the canvas chart and its indicators).

mod serve;

use axum::Router;
use axum::routing::any;

/// The UI's routes: `/` and every path the API router does not match.
pub fn router() -> Router {
    Router::new()
        .route("/", any(serve::handle))
        .route("/{*path}", any(serve::handle))
}

/// Paths of every embedded file (for tests and diagnostics).
pub fn files() -> Vec<String> {
    serve::Assets::iter().map(|p| p.into_owned()).collect()
}
