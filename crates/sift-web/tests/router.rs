//! The UI router without a socket: files with their types, the single-page fallback, API
//! paths left to the API's 404, conditional requests, gzip; and the embedded modules: every
//! import resolves and no file grows past 1000 lines.

use std::io::Read;

use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode, header};
use axum::response::Response;
use serde_json::Value;
use tower::ServiceExt;

async fn call(method: Method, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut request = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    sift_web::router()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("infallible")
}

async fn body(response: Response) -> Vec<u8> {
    to_bytes(response.into_body(), 1 << 22)
        .await
        .expect("body")
        .to_vec()
}

fn content_type(response: &Response) -> &str {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn pages_and_files_have_their_types() {
    for path in ["/", "/market", "/chart/BTCUSDT/1m", "/traders/12", "/admin"] {
        let r = call(Method::GET, path, &[]).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(content_type(&r).starts_with("text/html"), "{path}");
        assert!(r.headers().contains_key(header::CONTENT_SECURITY_POLICY));
        let html = String::from_utf8(body(r).await).expect("utf-8");
        assert!(html.contains("/js/main.js"), "{path} is the app shell");
    }
    for (path, kind) in [
        ("/js/main.js", "text/javascript"),
        ("/css/app.css", "text/css"),
        ("/favicon.svg", "image/svg+xml"),
    ] {
        let r = call(Method::GET, path, &[]).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(
            content_type(&r).starts_with(kind),
            "{path}: {}",
            content_type(&r)
        );
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-cache");
    }
    let head = call(Method::HEAD, "/js/main.js", &[]).await;
    assert_eq!(head.status(), StatusCode::OK);
}

#[tokio::test]
async fn api_paths_other_methods_and_missing_files_are_not_pages() {
    for (method, path) in [
        (Method::GET, "/api/v1/no-such-route"),
        (Method::GET, "/api"),
        (Method::POST, "/market"),
        (Method::DELETE, "/"),
    ] {
        let r = call(method.clone(), path, &[]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method} {path}");
        let json: Value = serde_json::from_slice(&body(r).await).expect("the API's error body");
        assert_eq!(json["error"]["code"], "not_found", "{method} {path}");
    }
    let r = call(Method::GET, "/js/missing.js", &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(!content_type(&r).starts_with("text/html"));
}

#[tokio::test]
async fn etags_answer_not_modified() {
    let first = call(Method::GET, "/js/api.js", &[]).await;
    let etag = first.headers()[header::ETAG]
        .to_str()
        .expect("ascii")
        .to_owned();
    let again = call(Method::GET, "/js/api.js", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(body(again).await.is_empty());
    let other = call(Method::GET, "/js/api.js", &[("if-none-match", "\"other\"")]).await;
    assert_eq!(other.status(), StatusCode::OK);
}

#[tokio::test]
async fn text_is_gzipped_when_accepted() {
    let plain = body(call(Method::GET, "/css/app.css", &[]).await).await;
    let r = call(
        Method::GET,
        "/css/app.css",
        &[("accept-encoding", "br, gzip")],
    )
    .await;
    assert_eq!(r.headers()[header::CONTENT_ENCODING], "gzip");
    let compressed = body(r).await;
    assert!(compressed.len() < plain.len());
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut decoded)
        .expect("valid gzip");
    assert_eq!(decoded, plain);
    let refused = call(
        Method::GET,
        "/css/app.css",
        &[("accept-encoding", "gzip;q=0")],
    )
    .await;
    assert!(!refused.headers().contains_key(header::CONTENT_ENCODING));
}

/// Every relative `import ... from './x.js'` and `import('./x.js')` names an embedded file,
/// and every file stays under 1000 lines.
#[test]
fn modules_resolve_and_stay_small() {
    let files = sift_web::files();
    assert!(files.iter().any(|f| f == "index.html"));
    for file in files.iter().filter(|f| f.ends_with(".js")) {
        let text = std::fs::read_to_string(format!("{}/assets/{file}", env!("CARGO_MANIFEST_DIR")))
            .expect("asset readable");
        assert!(text.lines().count() < 1000, "{file} is too long");
        let dir = file.rsplit_once('/').map_or("", |(d, _)| d);
        for spec in imports(&text) {
            let target = resolve(dir, &spec);
            assert!(
                files.contains(&target),
                "{file} imports {spec}: no {target}"
            );
        }
    }
}

fn imports(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for quote in ["'./", "'../"] {
        let mut rest = text;
        while let Some(at) = rest.find(quote) {
            let tail = &rest[at + 1..];
            let end = tail.find('\'').unwrap_or(tail.len());
            let spec = &tail[..end];
            let before = &rest[..at];
            if spec.ends_with(".js")
                && (before.trim_end().ends_with("from") || before.ends_with("import("))
            {
                out.push(spec.to_owned());
            }
            rest = &tail[end..];
        }
    }
    out
}

fn resolve(dir: &str, spec: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for piece in spec.split('/') {
        match piece {
            "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}
