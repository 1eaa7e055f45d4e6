//! End to end in one process: fake Binance -> `sift serve` -> a trader fires -> the signal is
//! in the database, arrives on its owner's stream and not on another user's; built-in signals
//! reach exactly the tiers allowed; a restart keeps history without duplicating signals.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use sift_core::Interval;
use sift_server::Settings;
use sift_server::serve::{Started, run};
use sift_server::settings::MarketSource;
use sift_test_support::fake::{FakeBinance, FakeConfig};
use sift_test_support::wait_until;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "correct-horse-battery";

struct Server {
    base: String,
    cancel: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Server {
    async fn start(fake: &FakeBinance, data_dir: &std::path::Path) -> Self {
        let mut settings = Settings::default();
        settings.server.listen = "127.0.0.1:0".parse().expect("test harness");
        settings.server.data_dir = data_dir.to_owned();
        settings.market.source = MarketSource::Binance;
        settings.market.binance.rest_url = fake.rest_url();
        settings.market.binance.ws_url = fake.ws_url();
        settings.market.symbols = fake
            .symbols()
            .iter()
            .take(4)
            .map(|s| s.to_string())
            .collect();
        settings.market.intervals = vec![Interval::M1];
        settings.market.history = 100;
        settings.api.secure_cookies = false;
        let env: BTreeMap<String, String> = [
            ("SIFT_ADMIN_EMAIL".to_owned(), ADMIN.to_owned()),
            ("SIFT_ADMIN_PASSWORD".to_owned(), PASSWORD.to_owned()),
        ]
        .into();
        let cancel = CancellationToken::new();
        let (tx, rx) = oneshot::channel::<Started>();
        let token = cancel.clone();
        let task = tokio::spawn(async move { run(settings, &env, None, token, Some(tx)).await });
        let started = tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .expect("server starts")
            .expect("server reports its address");
        Self {
            base: format!("http://{}", started.addr),
            cancel,
            task,
        }
    }

    async fn stop(self) {
        self.cancel.cancel();
        self.task
            .await
            .expect("test harness")
            .expect("test harness");
    }
}

/// A logged-in client (cookie session) with its CSRF token.
struct Client {
    http: reqwest::Client,
    base: String,
    csrf: String,
}

impl Client {
    async fn register(base: &str, email: &str) -> Self {
        Self::auth(base, "register", email).await
    }

    async fn login(base: &str, email: &str) -> Self {
        Self::auth(base, "login", email).await
    }

    async fn auth(base: &str, action: &str, email: &str) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("test harness");
        let answer: Value = http
            .post(format!("{base}/api/v1/auth/{action}"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .expect("test harness")
            .error_for_status()
            .expect("test harness")
            .json()
            .await
            .expect("test harness");
        Self {
            http,
            base: base.to_owned(),
            csrf: answer["csrf_token"]
                .as_str()
                .expect("test harness")
                .to_owned(),
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("X-CSRF-Token", &self.csrf);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("test harness");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.send(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Collects the `signal` events of this client's stream into a channel.
    fn stream(&self) -> mpsc::UnboundedReceiver<Value> {
        let (tx, rx) = mpsc::unbounded_channel();
        let request = self
            .http
            .get(format!("{}/api/v1/stream?topics=signals", self.base));
        tokio::spawn(async move {
            let Ok(response) = request.send().await else {
                return;
            };
            let mut body = response.bytes_stream();
            let mut buffer = String::new();
            while let Some(Ok(chunk)) = body.next().await {
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let event: String = buffer.drain(..end + 2).collect();
                    if event.lines().any(|l| l == "event: signal") {
                        if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) {
                            if tx
                                .send(serde_json::from_str(data).expect("test harness"))
                                .is_err()
                            {
                                return;
                            }
                        }
                    }
                }
            }
        });
        rx
    }
}

async fn all_signals(client: &Client) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/signals?limit=500&cursor={c}"),
            None => "/api/v1/signals?limit=500".to_owned(),
        };
        let page = client.get(&path).await;
        out.extend(
            page["signals"]
                .as_array()
                .expect("test harness")
                .iter()
                .cloned(),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return out,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_reach_their_owner_only_and_survive_a_restart() {
    let fake = FakeBinance::start(FakeConfig {
        symbols: 8,
        speed: 120.0,
        halted: Vec::new(),
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(&fake, data.path()).await;

    let admin = Client::login(&server.base, ADMIN).await;
    let ann = Client::register(&server.base, "ann@example.com").await;
    let bob = Client::register(&server.base, "bob@example.com").await;
    let free = Client::register(&server.base, "fay@example.com").await;
    let users = admin.get("/api/v1/admin/users").await;
    for user in users["users"].as_array().unwrap() {
        if ["ann@example.com", "bob@example.com"].contains(&user["email"].as_str().unwrap()) {
            let (status, body) = admin
                .send(
                    reqwest::Method::PATCH,
                    &format!("/api/v1/admin/users/{}", user["id"]),
                    Some(json!({"tier": "pro"})),
                )
                .await;
            assert_eq!(status, 200, "{body}");
        }
    }

    let mut ann_stream = ann.stream();
    let mut bob_stream = bob.stream();
    let (status, trader) = ann
        .send(
            reqwest::Method::POST,
            "/api/v1/traders",
            Some(json!({
                "name": "green candle", "description": "", "interval": "1m",
                "rule": "close > open", "symbols": "all", "cooldown_bars": 0, "enabled": true
            })),
        )
        .await;
    assert_eq!(status, 201, "{trader}");
    let ann_trader = trader["id"].as_i64().unwrap();

    // Ann's stream carries her trader's signal within a few candles.
    let first = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let signal = ann_stream.recv().await.expect("stream open");
            if signal["trader_id"] == ann_trader {
                return signal;
            }
        }
    })
    .await
    .expect("ann's trader fires");
    // The stream has it while it commits; the store and /health a moment later. /health
    // shows the pipeline's progress: the close that produced it and how late. (The answer's
    // status follows the market's health, which is not under test here.)
    let path = format!("/api/v1/signals/{}", first["id"]);
    let close_time = first["close_time"].as_i64().unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || async {
            let (_, health) = admin.send(reqwest::Method::GET, "/health", None).await;
            let done = health["components"]["engine"]["details"]["last_close_time"].as_i64();
            done >= Some(close_time) && ann.send(reqwest::Method::GET, &path, None).await.0 == 200
        })
        .await,
        "the streamed signal is committed"
    );
    let (_, health) = admin.send(reqwest::Method::GET, "/health", None).await;
    let engine = &health["components"]["engine"];
    assert_eq!(engine["status"], "up", "{health}");
    assert!(
        engine["details"]["closes"].as_u64().unwrap() >= 1,
        "{health}"
    );
    assert!(engine["details"]["took_ms"].as_u64().is_some(), "{health}");
    // Ann reads it from the database.
    let stored = ann.get(&path).await;
    assert_eq!(stored["trader_id"], ann_trader);
    // Bob may not see it: 404, and his stream never carries it.
    let (status, _) = bob
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/signals/{}", first["id"]),
            None,
        )
        .await;
    assert_eq!(status, 404);
    while let Ok(signal) = bob_stream.try_recv() {
        assert_ne!(signal["trader_id"], ann_trader, "bob received ann's signal");
    }

    // Built-in signals: each tier sees exactly the built-ins its tier allows.
    let builtins = admin.get("/api/v1/traders").await;
    let allowed_free: HashSet<i64> = builtins["traders"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["owner_id"].is_null())
        .filter(|t| {
            ["anonymous", "free"].contains(&t["access_tier"].as_str().unwrap_or("anonymous"))
        })
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    for signal in all_signals(&free).await {
        let id = signal["trader_id"].as_i64().unwrap();
        assert!(allowed_free.contains(&id), "free user saw trader {id}");
    }

    // Restart on the same data: history intact, no duplicate (trader, symbol, candle).
    let before = all_signals(&admin).await.len();
    server.stop().await;
    let server = Server::start(&fake, data.path()).await;
    let admin = Client::login(&server.base, ADMIN).await;
    assert!(
        wait_until(Duration::from_secs(60), || async {
            all_signals(&admin).await.len() > before
        })
        .await,
        "signals resume after the restart"
    );
    let signals = all_signals(&admin).await;
    let mut keys = HashSet::new();
    for s in &signals {
        let key = (
            s["trader_id"].clone().to_string(),
            s["symbol"].to_string(),
            s["open_time"].to_string(),
        );
        assert!(keys.insert(key), "duplicate signal {s}");
    }
    let ann = Client::login(&server.base, "ann@example.com").await;
    let mine = all_signals(&ann).await;
    assert!(mine.iter().any(|s| s["id"] == first["id"]), "history kept");
    server.stop().await;
    fake.shutdown().await;
}
