//! End to end in one process: `sift serve --market sim` with a trader that notifies a webhook
//! channel: the signal's delivery reaches a local receiver, signed, and shows as sent in the
//! channel's delivery log; a test send arrives too.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use parking_lot::Mutex;
use serde_json::{Value, json};
use sift_core::Interval;
use sift_server::Settings;
use sift_server::serve::{Started, run};
use sift_server::settings::MarketSource;
use sift_test_support::wait_until;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "correct-horse-battery";

type Inbox = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A webhook receiver on loopback that records every request and answers 200.
async fn receiver() -> (String, Inbox, CancellationToken) {
    let inbox: Inbox = Arc::default();
    let stop = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("test harness");
    let addr = listener.local_addr().expect("test harness");
    let app = Router::new().fallback({
        let inbox = Arc::clone(&inbox);
        move |headers: HeaderMap, body: Bytes| {
            let inbox = Arc::clone(&inbox);
            async move {
                inbox.lock().push((headers, body));
                "ok"
            }
        }
    });
    let until = stop.clone();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { until.cancelled().await })
            .await
            .expect("test harness");
    });
    (format!("http://{addr}/hook"), inbox, stop)
}

/// A logged-in client (cookie session) with its CSRF token.
struct Client {
    http: reqwest::Client,
    base: String,
    csrf: String,
}

impl Client {
    async fn login(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("test harness");
        let answer: Value = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": ADMIN, "password": PASSWORD}))
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trader_notifies_its_webhook_under_the_simulated_market() {
    let (hook_url, inbox, stop_receiver) = receiver().await;
    let data = tempfile::tempdir().expect("test harness");
    let mut settings = Settings::default();
    settings.server.listen = "127.0.0.1:0".parse().expect("test harness");
    settings.server.data_dir = data.path().to_owned();
    settings.market.source = MarketSource::Sim;
    settings.market.sim.symbols = 3;
    settings.market.speed = 120.0;
    settings.market.intervals = vec![Interval::M1];
    settings.market.history = 100;
    settings.api.secure_cookies = false;
    // The receiver is on loopback.
    settings.notify.allow_private_targets = true;
    settings.notify.poll_interval_ms = 50;
    settings.notify.rate_limit_per_minute = 10_000;
    settings.notify.public_url = Some("https://sift.example".to_owned());
    let env: BTreeMap<String, String> = [
        ("SIFT_ADMIN_EMAIL".to_owned(), ADMIN.to_owned()),
        ("SIFT_ADMIN_PASSWORD".to_owned(), PASSWORD.to_owned()),
    ]
    .into();
    let cancel = CancellationToken::new();
    let (tx, rx) = oneshot::channel::<Started>();
    let token = cancel.clone();
    let server = tokio::spawn(async move { run(settings, &env, None, token, Some(tx)).await });
    let started = tokio::time::timeout(Duration::from_secs(30), rx)
        .await
        .expect("server starts")
        .expect("server reports its address");
    let admin = Client::login(&format!("http://{}", started.addr)).await;

    let (status, channel) = admin
        .send(
            reqwest::Method::POST,
            "/api/v1/channels",
            Some(json!({"kind": "webhook", "name": "local", "config": {"url": hook_url}})),
        )
        .await;
    assert_eq!(status, 201, "{channel}");
    let channel_id = channel["id"].as_i64().expect("test harness");
    let secret = channel["secret"].as_str().expect("test harness").to_owned();
    let (status, trader) = admin
        .send(
            reqwest::Method::POST,
            "/api/v1/traders",
            Some(
                json!({"name": "green candle", "interval": "1m", "rule": "close > open",
                "channels": [channel_id]}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{trader}");
    let trader_id = trader["id"].as_i64().expect("test harness");
    let (status, test) = admin
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/channels/{channel_id}/test"),
            None,
        )
        .await;
    assert_eq!(status, 202, "{test}");

    // A signal of the trader and the test message reach the receiver, signed.
    let bodies = || -> Vec<Value> {
        inbox
            .lock()
            .iter()
            .map(|(_, body)| serde_json::from_slice(body).expect("json"))
            .collect()
    };
    assert!(
        wait_until(Duration::from_secs(60), || {
            let seen = bodies();
            async move {
                seen.iter().any(|b| b["event"] == "test")
                    && seen
                        .iter()
                        .any(|b| b["event"] == "signal" && b["trader"]["id"] == trader_id)
            }
        })
        .await,
        "deliveries arrive: {:?}",
        bodies()
    );
    for (headers, body) in inbox.lock().iter() {
        let timestamp: i64 = headers["x-sift-timestamp"]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("a number");
        let signature = headers["x-sift-signature"].to_str().expect("ascii");
        assert!(sift_notify::payload::verify(
            &secret, timestamp, body, signature
        ));
    }
    let signal = bodies()
        .into_iter()
        .find(|b| b["event"] == "signal")
        .expect("a signal");
    assert_eq!(signal["interval"], "1m");
    assert!(
        signal["chart_url"]
            .as_str()
            .expect("a chart link")
            .starts_with("https://sift.example/chart/")
    );

    // The owner sees them as sent (once recorded, just after the receiver answered), each
    // with its attempt.
    let path = format!("/api/v1/channels/{channel_id}/deliveries");
    let sent = |log: &Value| -> Vec<Value> {
        log["deliveries"]
            .as_array()
            .map(|all| {
                all.iter()
                    .filter(|d| d["status"] == "sent")
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    };
    let admin = &admin;
    assert!(
        wait_until(Duration::from_secs(30), || async {
            let (status, log) = admin.send(reqwest::Method::GET, &path, None).await;
            status == 200 && sent(&log).len() >= 2
        })
        .await,
        "deliveries recorded as sent"
    );
    let (_, log) = admin.send(reqwest::Method::GET, &path, None).await;
    for d in sent(&log) {
        assert_eq!(d["attempt_log"][0]["status_code"], 200, "{log}");
    }

    cancel.cancel();
    server
        .await
        .expect("test harness")
        .expect("serve stops cleanly");
    stop_receiver.cancel();

    // The database holds the channel's secret and URL sealed, under the key `sift serve`
    // generated in the data directory.
    let key = sift_notify::SecretKey::load_or_create(&data.path().join("notify.key"))
        .expect("the generated key");
    let store = sift_store::open(&data.path().join("sift.db").display().to_string())
        .await
        .expect("test harness");
    let row = store
        .get_channel(channel_id)
        .await
        .expect("test harness")
        .expect("the channel");
    let sealed = row.secret.as_deref().expect("a secret");
    assert!(sift_notify::sealed::is_sealed(sealed), "{sealed}");
    assert_eq!(key.open_secret(sealed).expect("opens"), secret);
    assert!(!row.config.to_string().contains("/hook"), "{}", row.config);
    store.close().await;
}
