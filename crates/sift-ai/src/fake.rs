//! A local OpenAI-compatible chat-completions server for tests: it answers from a script and
//! records every request body it received.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// One scripted reply.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with a chat completion whose message content is this text.
    Content(String),
    /// 200 with this raw body.
    Raw(String),
    /// This status with an error body, and `Retry-After` when given.
    Status(u16, Option<u64>),
    /// The reply after a pause (to exceed a client timeout).
    Delayed(Duration, Box<Reply>),
}

impl Reply {
    /// 200 with the JSON object `answer` as the message content.
    pub fn answer(answer: Value) -> Self {
        Reply::Content(answer.to_string())
    }
}

#[derive(Debug, Default)]
struct Shared {
    // Held only for a push or a pop, never across an await.
    replies: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<Recorded>>,
}

/// A request the server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub body: Value,
    pub authorization: Option<String>,
}

/// The running server; stops when dropped.
#[derive(Debug)]
pub struct FakeChat {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl FakeChat {
    /// Serves `replies` in order on `127.0.0.1` (500 once they run out).
    ///
    /// # Panics
    /// When no loopback port can be bound (the test cannot run).
    pub async fn start(replies: Vec<Reply>) -> Self {
        let shared = Arc::new(Shared {
            replies: Mutex::new(replies.into()),
            requests: Mutex::default(),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(complete))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, shared, task }
    }

    /// The `base_url` to configure: `http://127.0.0.1:port/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared
            .requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }
}

impl Drop for FakeChat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn complete(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Ok(mut requests) = shared.requests.lock() {
        requests.push(Recorded {
            body,
            authorization,
        });
    }
    let reply = shared.replies.lock().ok().and_then(|mut r| r.pop_front());
    let mut reply = reply.unwrap_or(Reply::Status(500, None));
    while let Reply::Delayed(pause, next) = reply {
        tokio::time::sleep(pause).await;
        reply = *next;
    }
    match reply {
        Reply::Content(text) => Json(json!({
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "choices": [{
                "index": 0,
                "message": { "role": "assistant", "content": text },
                "finish_reason": "stop",
            }],
        }))
        .into_response(),
        Reply::Raw(body) => (StatusCode::OK, body).into_response(),
        Reply::Status(code, retry_after) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response =
                (status, Json(json!({ "error": { "message": "scripted" } }))).into_response();
            if let Some(secs) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, secs.into());
            }
            response
        }
        Reply::Delayed(..) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
