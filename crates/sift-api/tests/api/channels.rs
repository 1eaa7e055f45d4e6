//! `/channels`: create (secret shown once, tokens masked, secrets sealed in the database),
//! list, get, enable/disable, delete, the tier gate, config validation, test sends and the
//! delivery log; SQLite and Postgres.

use axum::http::StatusCode;
use serde_json::{Value, json};
use sift_api::Hub;
use sift_core::Tier;
use sift_notify::SecretKey;
use sift_notify::sealed::is_sealed;
use sift_store::{AttemptOutcome, ChannelKind, DeliveryAttempt, NewChannel};

use crate::common::{Auth, Backend, TestApp, test_config};

const TOKEN: &str = "123456789:AAEabcdefghijklmnopqrstuvwxyz0123";

fn webhook() -> Value {
    json!({"kind": "webhook", "name": "My hook",
        "config": {"url": "https://hooks.example.com/in/s3cr3t-path?k=s3cr3t-query"}})
}

/// An app whose API seals channel secrets with the returned key.
async fn sealing_app(backend: Backend) -> (TestApp, SecretKey) {
    let mut app = TestApp::with(backend, test_config(), Hub::new()).await;
    let key = SecretKey::generate();
    app.state = app.state.clone().with_notify_key(key.clone());
    app.router = sift_api::router(app.state.clone());
    (app, key)
}

async fn crud(backend: Backend) {
    let (app, key) = sealing_app(backend).await;
    let pro = app.account("pro@example.com", Tier::Pro, false).await;
    let other = app.account("other@example.com", Tier::Elite, false).await;

    let created = app.post(&pro.auth, "/api/v1/channels", webhook()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.json);
    let hook_id = created.id();
    let secret = created.json["secret"].as_str().expect("the secret, once");
    assert!(secret.starts_with("whsec_") && secret.len() > 40);
    assert_eq!(created.json["kind"], "webhook");
    assert_eq!(created.json["enabled"], true);
    assert_eq!(
        created.json["config"]["url"],
        "https://hooks.example.com/***"
    );
    let stored = app
        .store
        .get_channel(hook_id)
        .await
        .expect("test data")
        .expect("test data");
    // Stored sealed: the secret and the URL (its path and query carry tokens).
    let sealed = stored.secret.as_deref().expect("test data");
    assert!(is_sealed(sealed) && !sealed.contains(secret), "{sealed}");
    assert_eq!(key.open_secret(sealed).expect("opens"), secret);
    let url = stored.config["url"].as_str().expect("test data");
    assert!(is_sealed(url) && !url.contains("s3cr3t"), "{url}");

    let telegram = app
        .post(
            &pro.auth,
            "/api/v1/channels",
            json!({"kind": "telegram", "name": "Phone",
                "config": {"bot_token": TOKEN, "chat_id": -1_001_234_567_890_i64}}),
        )
        .await;
    assert_eq!(telegram.status, StatusCode::CREATED, "{:?}", telegram.json);
    assert!(telegram.json.get("secret").is_none());
    assert_eq!(
        telegram.json["config"],
        json!({"bot_token": "123456789:***", "chat_id": "-1001234567890"})
    );
    let discord = app
        .post(
            &pro.auth,
            "/api/v1/channels",
            json!({"kind": "discord", "name": "Server",
                "config": {"url": "https://discord.com/api/webhooks/42/t0k3n"}}),
        )
        .await;
    assert_eq!(discord.status, StatusCode::CREATED, "{:?}", discord.json);
    assert_eq!(
        discord.json["config"]["url"],
        "https://discord.com/api/webhooks/42/***"
    );
    // No plain token in the rows: what the database holds is sealed.
    for (id, field, plain) in [
        (telegram.id(), "bot_token", TOKEN),
        (
            discord.id(),
            "url",
            "https://discord.com/api/webhooks/42/t0k3n",
        ),
    ] {
        let row = app
            .store
            .get_channel(id)
            .await
            .expect("test data")
            .expect("test data");
        let text = row.config[field].as_str().expect("test data");
        assert!(is_sealed(text), "{text}");
        assert!(!row.config.to_string().contains("AAEabcdef") && !text.contains("t0k3n"));
        assert_eq!(row.secret, None);
        let opened = key.open_config(row.kind, &row.config).expect("opens");
        assert_eq!(opened[field], plain);
    }
    assert_eq!(
        app.store
            .get_channel(telegram.id())
            .await
            .expect("test data")
            .expect("test data")
            .config["chat_id"],
        "-1001234567890",
        "the chat id is no secret"
    );

    // Secrets never come back: not in the list, not in one channel. Listed channels are
    // opened to be masked like the answer to their creation.
    let list = app.get(&pro.auth, "/api/v1/channels").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        list.json["channels"].as_array().expect("test data").len(),
        3
    );
    assert_eq!(list.json["channels"][1]["config"], telegram.json["config"]);
    assert_eq!(list.json["channels"][2]["config"], discord.json["config"]);
    let one = app
        .get(&pro.auth, &format!("/api/v1/channels/{hook_id}"))
        .await;
    assert_eq!(one.status, StatusCode::OK);
    for text in [list.json.to_string(), one.json.to_string()] {
        for hidden in [secret, "s3cr3t", "AAEabcdef", "t0k3n"] {
            assert!(!text.contains(hidden), "{hidden} leaked: {text}");
        }
    }

    // Only the owner sees a channel.
    let theirs = app.get(&other.auth, "/api/v1/channels").await;
    assert_eq!(theirs.json["channels"], json!([]));
    for (method, uri) in [
        ("GET", format!("/api/v1/channels/{hook_id}")),
        ("DELETE", format!("/api/v1/channels/{hook_id}")),
        ("POST", format!("/api/v1/channels/{hook_id}/disable")),
        ("POST", format!("/api/v1/channels/{hook_id}/test")),
        ("GET", format!("/api/v1/channels/{hook_id}/deliveries")),
    ] {
        let reply = app.call(&other.auth, method, &uri, None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {uri}");
        assert_eq!(reply.code(), "not_found");
    }

    let off = app
        .call(
            &pro.auth,
            "POST",
            &format!("/api/v1/channels/{hook_id}/disable"),
            None,
        )
        .await;
    assert_eq!(
        (off.status, &off.json["enabled"]),
        (StatusCode::OK, &json!(false))
    );
    let test = app
        .call(
            &pro.auth,
            "POST",
            &format!("/api/v1/channels/{hook_id}/test"),
            None,
        )
        .await;
    assert_eq!(test.status, StatusCode::CONFLICT);
    let on = app
        .call(
            &pro.auth,
            "POST",
            &format!("/api/v1/channels/{hook_id}/enable"),
            None,
        )
        .await;
    assert_eq!(on.json["enabled"], true);

    // A trader of the owner may notify the channel; another user's trader may not.
    let mut trader = json!({"name": "t", "interval": "1m", "rule": "close > open",
        "channels": [hook_id]});
    let ok = app.post(&pro.auth, "/api/v1/traders", trader.clone()).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.json);
    assert_eq!(ok.json["channels"], json!([hook_id]));
    trader["name"] = json!("theirs");
    let refused = app.post(&other.auth, "/api/v1/traders", trader).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);

    let deleted = app
        .call(
            &pro.auth,
            "DELETE",
            &format!("/api/v1/channels/{hook_id}"),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = app
        .get(&pro.auth, &format!("/api/v1/channels/{hook_id}"))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    app.finish().await;
}

#[tokio::test]
async fn plain_channels_from_before_sealing_still_show_masked() {
    let (app, _key) = sealing_app(Backend::Sqlite).await;
    let pro = app.account("pro@example.com", Tier::Pro, false).await;
    let plain = app
        .store
        .create_channel(NewChannel {
            user_id: pro.id,
            kind: ChannelKind::Discord,
            name: "old".to_owned(),
            config: json!({"url": "https://discord.com/api/webhooks/7/t0k3n"}),
            secret: None,
            enabled: true,
        })
        .await
        .expect("test data");
    let shown = app
        .get(&pro.auth, &format!("/api/v1/channels/{}", plain.id))
        .await;
    assert_eq!(
        shown.json["config"]["url"],
        "https://discord.com/api/webhooks/7/***"
    );
    // Sealed under another key: nothing of it shows.
    let foreign = app
        .store
        .create_channel(NewChannel {
            user_id: pro.id,
            kind: ChannelKind::Discord,
            name: "foreign".to_owned(),
            config: SecretKey::generate().seal_config(
                ChannelKind::Discord,
                &json!({"url": "https://discord.com/api/webhooks/7/t0k3n"}),
            ),
            secret: None,
            enabled: true,
        })
        .await
        .expect("test data");
    let shown = app
        .get(&pro.auth, &format!("/api/v1/channels/{}", foreign.id))
        .await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.json["config"], json!({"url": "***"}));
    app.finish().await;
}

#[tokio::test]
async fn crud_sqlite() {
    crud(Backend::Sqlite).await;
}

#[tokio::test]
async fn crud_postgres() {
    crud(Backend::Postgres).await;
}

#[tokio::test]
async fn notifications_are_tier_gated() {
    let app = TestApp::new().await;
    let free = app.account("free@example.com", Tier::Free, false).await;
    let admin = app.account("admin@example.com", Tier::Free, true).await;
    let reply = app.post(&free.auth, "/api/v1/channels", webhook()).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.code(), "forbidden");
    assert_eq!(
        reply.json["error"]["message"],
        "notifications needs the pro tier"
    );
    let reply = app
        .post(&Auth::Anonymous, "/api/v1/channels", webhook())
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = app.get(&Auth::Anonymous, "/api/v1/channels").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    // Listing stays open (a user whose tier dropped can still see and delete channels).
    let reply = app.get(&free.auth, "/api/v1/channels").await;
    assert_eq!(
        (reply.status, &reply.json["channels"]),
        (StatusCode::OK, &json!([]))
    );
    let reply = app.post(&admin.auth, "/api/v1/channels", webhook()).await;
    assert_eq!(reply.status, StatusCode::CREATED);

    // A downgraded owner can no longer test or re-enable, but can disable and delete.
    let pro = app.account("pro@example.com", Tier::Pro, false).await;
    let id = app
        .post(&pro.auth, "/api/v1/channels", webhook())
        .await
        .id();
    app.set_tier(pro.id, Tier::Free).await;
    for path in ["test", "enable"] {
        let reply = app
            .call(
                &pro.auth,
                "POST",
                &format!("/api/v1/channels/{id}/{path}"),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
    }
    let reply = app
        .call(
            &pro.auth,
            "POST",
            &format!("/api/v1/channels/{id}/disable"),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = app
        .call(&pro.auth, "DELETE", &format!("/api/v1/channels/{id}"), None)
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    app.finish().await;
}

#[tokio::test]
async fn an_admin_downgrade_disables_the_channels() {
    let app = TestApp::new().await;
    let admin = app.account("admin@example.com", Tier::Free, true).await;
    let pro = app.account("pro@example.com", Tier::Pro, false).await;
    let id = app
        .post(&pro.auth, "/api/v1/channels", webhook())
        .await
        .id();
    let reply = app
        .call(
            &admin.auth,
            "PATCH",
            &format!("/api/v1/admin/users/{}", pro.id),
            Some(json!({"tier": "free"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = app.get(&pro.auth, &format!("/api/v1/channels/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["enabled"], false, "{}", reply.json);
    let audit = app.get(&admin.auth, "/api/v1/admin/audit").await;
    let entry = &audit.json["entries"][0];
    assert_eq!(entry["details"]["channels_disabled"], 1, "{}", audit.json);
    app.finish().await;
}

#[tokio::test]
async fn bad_channels_get_stable_errors() {
    let app = TestApp::new().await;
    let pro = app.account("pro@example.com", Tier::Pro, false).await;
    let cases = [
        (json!({"kind": "email", "name": "x", "config": {}}), "kind"),
        (
            json!({"kind": "webhook", "name": "  ", "config": {"url": "https://x.example"}}),
            "name",
        ),
        (
            json!({"kind": "webhook", "name": "x", "config": {"url": "ftp://x.example"}}),
            "config.url",
        ),
        (
            json!({"kind": "webhook", "name": "x",
                "config": {"url": "http://169.254.169.254/latest/meta-data"}}),
            "config.url",
        ),
        (
            json!({"kind": "discord", "name": "x",
                "config": {"url": "https://discord.com/channels/1/2"}}),
            "config.url",
        ),
        (
            json!({"kind": "telegram", "name": "x",
                "config": {"bot_token": "oops", "chat_id": "1"}}),
            "config.bot_token",
        ),
        (
            json!({"kind": "telegram", "name": "x",
                "config": {"bot_token": TOKEN, "chat_id": "not a chat"}}),
            "config.chat_id",
        ),
        (
            json!({"kind": "webhook", "name": "x", "config": "https://x.example"}),
            "config",
        ),
    ];
    for (body, field) in cases {
        let reply = app.post(&pro.auth, "/api/v1/channels", body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(reply.code(), "validation");
        assert_eq!(reply.json["error"]["details"]["field"], field, "{body}");
    }
    let reply = app
        .post(
            &pro.auth,
            "/api/v1/channels",
            json!({"kind": "webhook", "name": "x", "config": {}, "secret": "mine"}),
        )
        .await;
    assert_eq!(reply.code(), "validation", "unknown fields are refused");
    let reply = app.get(&pro.auth, "/api/v1/channels/not-a-number").await;
    assert_eq!(reply.code(), "bad_request");
    app.finish().await;
}

#[tokio::test]
async fn test_sends_are_queued_and_deliveries_listed() {
    let app = TestApp::new().await;
    let pro = app.account("pro@example.com", Tier::Pro, false).await;
    let id = app
        .post(&pro.auth, "/api/v1/channels", webhook())
        .await
        .id();
    let queued = app
        .call(
            &pro.auth,
            "POST",
            &format!("/api/v1/channels/{id}/test"),
            None,
        )
        .await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{:?}", queued.json);
    assert_eq!(queued.json["status"], "pending");
    assert_eq!(queued.json["signal_id"], Value::Null);
    assert_eq!(queued.json["attempt_log"], json!([]));
    let key = queued.json["idempotency_key"]
        .as_str()
        .expect("test data")
        .to_owned();
    assert!(key.starts_with(&format!("test:{id}:")));
    let again = app
        .call(
            &pro.auth,
            "POST",
            &format!("/api/v1/channels/{id}/test"),
            None,
        )
        .await;
    assert_ne!(
        again.json["idempotency_key"],
        json!(key),
        "each test is its own"
    );

    // What the dispatcher records shows in the log.
    let delivery_id = queued.id();
    app.store
        .record_delivery_attempt(
            delivery_id,
            DeliveryAttempt {
                outcome: AttemptOutcome::Retry {
                    next_attempt_at: 99,
                },
                status_code: Some(503),
                error: Some("HTTP 503".to_owned()),
                latency_ms: 12,
                at: 50,
            },
        )
        .await
        .expect("test data");
    let log = app
        .get(&pro.auth, &format!("/api/v1/channels/{id}/deliveries"))
        .await;
    assert_eq!(log.status, StatusCode::OK);
    let deliveries = log.json["deliveries"].as_array().expect("test data");
    assert_eq!(deliveries.len(), 2);
    let first = &deliveries[1];
    assert_eq!(first["id"], delivery_id);
    assert_eq!(
        (&first["attempts"], &first["status"]),
        (&json!(1), &json!("pending"))
    );
    assert_eq!(
        first["attempt_log"],
        json!([{"attempt": 1, "status_code": 503, "error": "HTTP 503",
            "latency_ms": 12, "created_at": 50}])
    );
    let limited = app
        .get(
            &pro.auth,
            &format!("/api/v1/channels/{id}/deliveries?limit=1"),
        )
        .await;
    assert_eq!(
        limited.json["deliveries"]
            .as_array()
            .expect("test data")
            .len(),
        1
    );
    let bad = app
        .get(
            &pro.auth,
            &format!("/api/v1/channels/{id}/deliveries?limit=0"),
        )
        .await;
    assert_eq!(
        (bad.status, bad.code()),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    app.finish().await;
}
