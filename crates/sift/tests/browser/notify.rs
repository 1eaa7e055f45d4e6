//! Browser scenarios of the account's notification channels and of the live stream's
//! recovery: a pro user adds a webhook pointing at a loopback receiver, sees its secret once,
//! sends a test and watches the delivery turn `sent`; picks the channel in the trader editor;
//! and sees the dashboard say the stream is reconnecting, then come back with new signals.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::harness::{Api, Driver, Sift, open, screenshot, sign_in, text, wait_for, wait_js};

/// What the receiver got: (`X-Sift-Signature`, body) per request.
type Received = Arc<Mutex<Vec<(String, Value)>>>;

/// A webhook receiver on 127.0.0.1 answering 200; returns its URL and what it received.
async fn receiver() -> (String, Received) {
    async fn hook(State(got): State<Received>, headers: HeaderMap, body: Bytes) -> &'static str {
        let signature = headers
            .get("x-sift-signature")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        // A std Mutex: no await while it is held.
        got.lock().expect("receiver lock").push((signature, json));
        "ok"
    }
    let got = Received::default();
    let app = Router::new()
        .route("/hook", post(hook))
        .with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("receiver binds");
    let addr = listener.local_addr().expect("bound");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), got)
}

/// The channels section end to end, the editor's "Notify" field, and the stream's recovery.
pub(crate) async fn channels_and_reconnect(
    sift: &Sift,
    driver: &Driver,
    (email, password): (&str, &str),
    trader: i64,
) {
    let (url, received) = receiver().await;
    let b = driver.browser("notify", 1280, 720).await;
    sign_in(&b, sift, email, password).await;
    open(&b, sift, "/account", "#channel-form").await;
    b.find(Locator::Css("#channel-kind"))
        .await
        .expect("kind")
        .select_by_value("webhook")
        .await
        .expect("webhook");
    type_into(&b, "#channel-name", "Loopback hook").await;
    type_into(&b, "#channel-url", &url).await;
    click(&b, "#channel-add").await;
    let secret = wait_for(
        &b,
        "#channel-secret code.secret",
        "the signing secret, shown once",
    )
    .await
    .text()
    .await
    .expect("secret");
    assert!(secret.starts_with("whsec_"), "secret: {secret}");
    assert!(
        text(&b, "#channel-secret")
            .await
            .contains("won't see it again")
    );
    wait_for(
        &b,
        "#channel-list tr[data-channel-id]",
        "the new channel listed",
    )
    .await;
    let listed = text(&b, "#channel-list").await;
    assert!(listed.contains("Loopback hook") && listed.contains("webhook"));
    assert!(
        !listed.contains("/hook"),
        "the URL path is masked: {listed}"
    );
    screenshot(&b, "channels-secret").await;

    // The secret is gone after a reload.
    open(&b, sift, "/account", "#channel-list tr[data-channel-id]").await;
    assert!(
        !text(&b, "#main").await.contains(&secret),
        "the secret shown twice"
    );

    click(&b, "#channel-list button[data-action=test]").await;
    wait_for(
        &b,
        "#deliveries tbody tr[data-status=sent]",
        "the test delivery sent",
    )
    .await;
    let got = received.lock().expect("receiver lock").clone();
    assert!(
        got.iter()
            .any(|(sig, body)| sig.starts_with("sha256=") && body["event"] == "test"),
        "the receiver got no signed test: {got:?}"
    );
    // The attempt log opens under its delivery.
    click(&b, "#deliveries tbody tr[data-status=sent] button").await;
    wait_for(&b, "#deliveries tr.attempts table", "the attempt log").await;
    assert!(text(&b, "#deliveries tr.attempts").await.contains("200"));
    b.execute(
        "document.getElementById('channels').scrollIntoView({ block: 'start' })",
        vec![],
    )
    .await
    .expect("scrolled");
    screenshot(&b, "channels").await;

    // The editor's "Notify" field sets the trader's channels.
    open(
        &b,
        sift,
        &format!("/traders/{trader}"),
        "#trader-notify input",
    )
    .await;
    click(&b, "#trader-notify input[type=checkbox]").await;
    b.execute(
        "document.getElementById('trader-notify').scrollIntoView({ block: 'center' })",
        vec![],
    )
    .await
    .expect("scrolled");
    screenshot(&b, "editor-notify").await;
    click(&b, "#save").await;
    let api = Api::login(sift, email, password).await;
    let channel = api.get("/channels").await["channels"][0]["id"].clone();
    let chosen = sift_test_support::wait_until(crate::harness::UI_WAIT, || {
        let (api, channel) = (&api, &channel);
        async move {
            let t = api.get(&format!("/traders/{trader}")).await;
            t["channels"]
                .as_array()
                .is_some_and(|c| c == std::slice::from_ref(channel))
        }
    })
    .await;
    assert!(chosen, "the trader does not notify the chosen channel");

    stream_reconnects(&b, sift).await;
    b.close().await.expect("browser closes");
}

/// Drops the live stream: the top bar says it is reconnecting, a toast says it is back, and
/// a signal newer than any shown before arrives live.
async fn stream_reconnects(b: &Client, sift: &Sift) {
    open(b, sift, "/", "tbody tr[data-live='1']").await;
    let label = b
        .execute(
            "window.__siftLive.disconnect(); return document.querySelector('#conn .label').textContent",
            vec![],
        )
        .await
        .expect("disconnected");
    assert_eq!(label, "connection lost, reconnecting…");
    let newest = b
        .execute(
            "return Math.max(0, ...[...document.querySelectorAll('tbody tr[data-signal-id]')].map(r => Number(r.dataset.signalId)))",
            vec![],
        )
        .await
        .expect("newest row")
        .as_i64()
        .expect("an id");
    wait_js(
        b,
        "return window.__siftLive.reconnects() >= 1 && window.__siftLive.state() === 'live' \
         && document.querySelector('#conn .label').textContent === 'live' \
         && document.getElementById('toasts').textContent.includes('Live stream reconnected')",
        "the stream says it is live again",
    )
    .await;
    wait_js(
        b,
        &format!(
            "return [...document.querySelectorAll(\"tbody tr[data-live='1']\")].some(r => Number(r.dataset.signalId) > {newest})"
        ),
        "a new live signal after reconnecting",
    )
    .await;
    screenshot(b, "dashboard-reconnected").await;
}

async fn type_into(b: &Client, css: &str, value: &str) {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no `{css}`: {e}"))
        .send_keys(value)
        .await
        .expect("typed");
}

async fn click(b: &Client, css: &str) {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no `{css}`: {e}"))
        .click()
        .await
        .expect("clicked");
}
