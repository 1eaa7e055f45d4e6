//! A small REST server for the client's tests: records every request (time, path, query) and
//! answers with what the test's responder decides, optionally after a delay.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tokio_util::sync::CancellationToken;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub(crate) at: Instant,
    pub(crate) path: String,
    pub(crate) query: BTreeMap<String, String>,
}

impl Recorded {
    pub(crate) fn param(&self, name: &str) -> Option<i64> {
        self.query
            .get(name)
            .map(|v| v.parse().expect("numeric parameter"))
    }
}

/// The answer to one request.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: String,
    pub(crate) delay: Duration,
}

impl Reply {
    pub(crate) fn ok(body: impl Into<String>) -> Self {
        Self::status(200, body)
    }

    pub(crate) fn status(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    pub(crate) fn header(mut self, name: &'static str, value: impl ToString) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }

    pub(crate) fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

type Responder = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

struct Shared {
    records: Mutex<Vec<Recorded>>,
    respond: Box<Responder>,
}

pub(crate) struct RestServer {
    pub(crate) url: String,
    shared: Arc<Shared>,
    stop: CancellationToken,
}

impl Drop for RestServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl RestServer {
    /// `respond(request, index)` answers the `index`-th request (from 0).
    pub(crate) async fn start(
        respond: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let shared = Arc::new(Shared {
            records: Mutex::new(Vec::new()),
            respond: Box::new(respond),
        });
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding a port");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { stopped.cancelled().await })
                .await
                .expect("serving");
        });
        Self { url, shared, stop }
    }

    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.shared.records.lock().expect("records lock").clone()
    }
}

async fn handle(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let query = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let request = Recorded {
        at: Instant::now(),
        path: uri.path().to_owned(),
        query,
    };
    let reply = {
        let mut records = shared.records.lock().expect("records lock");
        records.push(request.clone());
        (shared.respond)(&request, records.len() - 1)
    };
    tokio::time::sleep(reply.delay).await;
    let mut headers = HeaderMap::new();
    for (name, value) in reply.headers {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).expect("header value"),
        );
    }
    let status = StatusCode::from_u16(reply.status).expect("status code");
    (status, headers, reply.body).into_response()
}

/// Binance's `/api/v3/klines` over 1m candles opening at `opens`: rows with open times in
/// `[startTime, endTime]`, the oldest `limit` with `startTime`, else the newest `limit`.
pub(crate) fn klines_reply(opens: &[i64], request: &Recorded) -> Reply {
    let start = request.param("startTime").unwrap_or(i64::MIN);
    let end = request.param("endTime").unwrap_or(i64::MAX);
    let limit = request.param("limit").unwrap_or(500) as usize;
    let in_range: Vec<i64> = opens
        .iter()
        .copied()
        .filter(|t| (start..=end).contains(t))
        .collect();
    let rows = if request.query.contains_key("startTime") {
        &in_range[..limit.min(in_range.len())]
    } else {
        &in_range[in_range.len().saturating_sub(limit)..]
    };
    let body: Vec<String> = rows
        .iter()
        .map(|t| {
            format!(
                r#"[{t},"1","2","0.5","1.5","10",{close},"15",3,"5","7.5","0"]"#,
                close = t + 59_999
            )
        })
        .collect();
    Reply::ok(format!("[{}]", body.join(",")))
}
