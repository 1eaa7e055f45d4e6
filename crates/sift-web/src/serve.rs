//! The handler behind [`crate::router`]: embedded files, the single-page fallback,
//! conditional requests and gzip.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use flate2::Compression;
use flate2::write::GzEncoder;
use rust_embed::RustEmbed;
use sift_api::ApiError;

/// The UI's files, embedded at compile time (release builds; debug builds read them from
/// `assets/` so edits show on reload).
#[derive(RustEmbed)]
#[folder = "assets/"]
pub(crate) struct Assets;

/// The page every UI route loads.
const INDEX: &str = "index.html";
/// Smaller bodies are not worth compressing.
const GZIP_MIN_BYTES: usize = 1024;
/// Compressed bodies kept (one per file version); far above the number of files, so only
/// debug builds whose files change ever reach it, and then the cache starts over.
const GZIP_CACHE_MAX: usize = 512;

/// Headers every UI answer carries: the page runs only its own scripts and talks only to
/// its own origin.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
    base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

pub(crate) async fn handle(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    if (method != Method::GET && method != Method::HEAD) || is_server_path(path) {
        // What the API router answers for a path it does not have.
        return ApiError::UnknownRoute.into_response();
    }
    let relative = path.trim_start_matches('/');
    let (name, file) = match Assets::get(relative).filter(|_| !relative.is_empty()) {
        Some(file) => (relative, file),
        None if looks_like_file(relative) => {
            return (StatusCode::NOT_FOUND, "not found").into_response();
        }
        None => match Assets::get(INDEX) {
            Some(file) => (INDEX, file),
            None => return (StatusCode::NOT_FOUND, "not found").into_response(),
        },
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..12]));
    let mut response = if if_none_match(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let content_type = content_type(name);
        let gzip = accepts_gzip(&headers) && compressible(content_type);
        let body = Bytes::from(file.data.into_owned());
        let mut response = match gzip.then(|| gzipped(&etag, &body)).flatten() {
            Some(compressed) => {
                let mut r = Response::new(Body::from(compressed));
                r.headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                r
            }
            None => Response::new(Body::from(body)),
        };
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        response
    };
    let h = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, value);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if name == INDEX {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    response
}

/// Paths the API owns (its unknown routes stay JSON 404s).
fn is_server_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// A missing path whose last segment has an extension is a missing file, not a UI route.
fn looks_like_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.starts_with("application/json")
        || content_type.starts_with("image/svg")
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            parts.next() == Some("gzip") && !parts.any(|p| p.replace(' ', "") == "q=0")
        })
}

fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

/// The gzipped body of a file version, compressed once; `None` when not worth it.
fn gzipped(etag: &str, body: &Bytes) -> Option<Bytes> {
    if body.len() < GZIP_MIN_BYTES {
        return None;
    }
    static CACHE: OnceLock<Mutex<HashMap<String, Bytes>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    // Held only for map operations, never across compression or an await.
    if let Some(hit) = cache.lock().ok()?.get(etag) {
        return Some(hit.clone());
    }
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 3), Compression::best());
    encoder.write_all(body).ok()?;
    let compressed = Bytes::from(encoder.finish().ok()?);
    let mut map = cache.lock().ok()?;
    if map.len() >= GZIP_CACHE_MAX {
        map.clear();
    }
    map.insert(etag.to_owned(), compressed.clone());
    Some(compressed)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
