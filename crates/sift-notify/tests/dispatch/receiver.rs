//! A local HTTP receiver standing in for a webhook endpoint, the Telegram Bot API and a
//! Discord webhook: records every request, answers from a script, and acknowledges each
//! idempotency key like an idempotent receiver would.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// One scripted answer.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    Status(u16),
    /// A status with extra headers and a JSON body.
    Full(u16, Vec<(&'static str, &'static str)>, Value),
    /// No answer until the receiver is released (or the client gives up).
    Hang,
}

/// A request as received.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Received {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers.get(name).unwrap().to_str().unwrap()
    }
}

#[derive(Default)]
struct Inner {
    script: VecDeque<Answer>,
    received: Vec<Received>,
    /// Acknowledged (2xx) requests per idempotency key.
    acked: HashMap<String, u32>,
}

#[derive(Clone)]
pub(crate) struct Receiver {
    pub(crate) addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    release: CancellationToken,
    stop: CancellationToken,
}

impl Receiver {
    pub(crate) async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let release = CancellationToken::new();
        let stop = CancellationToken::new();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = (Arc::clone(&inner), release.clone());
        let app = Router::new().fallback(handle).with_state(state);
        let shutdown = stop.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { shutdown.cancelled().await })
                .await
                .unwrap();
        });
        Self {
            addr,
            inner,
            release,
            stop,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Answers the next requests with these, then 200s.
    pub(crate) fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.inner.lock().script.extend(answers);
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.inner.lock().received.clone()
    }

    /// How often `key` was acknowledged.
    pub(crate) fn acked(&self, key: &str) -> u32 {
        self.inner.lock().acked.get(key).copied().unwrap_or(0)
    }

    /// Ends every hanging request (answered 200).
    pub(crate) fn release(&self) {
        self.release.cancel();
    }

    pub(crate) fn stop(&self) {
        self.release.cancel();
        self.stop.cancel();
    }
}

type State = (Arc<Mutex<Inner>>, CancellationToken);

async fn handle(
    axum::extract::State((inner, release)): axum::extract::State<State>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| {
            v.get("idempotency_key")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| {
                    v.pointer("/embeds/0/footer/text")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
        })
        .or_else(|| {
            // Telegram: the chat text carries no key; use the body itself.
            Some(String::from_utf8_lossy(&body).into_owned())
        })
        .unwrap_or_default();
    let answer = {
        let mut inner = inner.lock();
        inner.received.push(Received {
            path: uri.path().to_owned(),
            headers,
            body: body.to_vec(),
        });
        inner.script.pop_front().unwrap_or(Answer::Status(200))
    };
    // A hung request may have been given up by the client: it never counts as acknowledged.
    let counts = !matches!(answer, Answer::Hang);
    let response = match answer {
        Answer::Status(code) => StatusCode::from_u16(code).unwrap().into_response(),
        Answer::Full(code, headers, json) => {
            let mut response =
                (StatusCode::from_u16(code).unwrap(), axum::Json(json)).into_response();
            for (name, value) in headers {
                response.headers_mut().insert(name, value.parse().unwrap());
            }
            response
        }
        Answer::Hang => {
            release.cancelled().await;
            StatusCode::OK.into_response()
        }
    };
    if counts && response.status().is_success() {
        *inner.lock().acked.entry(key).or_default() += 1;
    }
    response
}
