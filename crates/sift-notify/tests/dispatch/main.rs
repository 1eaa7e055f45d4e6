//! The dispatcher against local receivers over a real store (SQLite and PostgreSQL):
//! signatures, retries, 429, restarts, SSRF refusals, isolation of channels, rate limits.

// `cfg(test)` marks the helpers as test code for clippy (unwrap allowed, as in `#[test]`s).
#[cfg(test)]
mod harness;
#[cfg(test)]
mod receiver;
#[cfg(test)]
mod scenarios;

use std::sync::Arc;

use serde_json::json;
use sift_notify::payload::verify;
use sift_notify::sealed::is_sealed;
use sift_notify::{NotifyConfig, SecretKey};
use sift_store::{ChannelKind, DeliveryStatus};
use sift_test_support::wait_until;

use crate::harness::{Backend, PATIENCE, Running, World, config};
use crate::receiver::{Answer, Receiver};

/// Runs `$body(Backend)` as one test per backend.
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { crate::scenarios::$name(crate::Backend::Sqlite).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { crate::scenarios::$name(crate::Backend::Postgres).await } )* }
    };
}

both!(
    webhook_is_signed_and_complete,
    retries_after_500s_and_timeouts,
    restart_mid_retry_delivers_exactly_once,
    crash_mid_send_redelivers_with_the_same_key,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_failures_and_attempt_limits() {
    let world = World::new(Backend::Sqlite).await;
    let hook = Receiver::start().await;
    hook.script([
        Answer::Status(404),
        Answer::Status(500),
        Answer::Status(500),
    ]);
    let gone = world.webhook(&hook.url("/gone")).await;
    let gone_delivery = world.queue_signal(&gone).await;
    let running = Running::start(
        &world.store,
        NotifyConfig {
            max_attempts: 2,
            ..config()
        },
    );
    let done = world.settled(gone_delivery.id).await;
    assert_eq!((done.status, done.attempts), (DeliveryStatus::Failed, 1));
    assert_eq!(done.last_error.as_deref(), Some("HTTP 404"));

    let flaky = world.webhook(&hook.url("/flaky")).await;
    let flaky_delivery = world.queue_signal(&flaky).await;
    let done = world.settled(flaky_delivery.id).await;
    assert_eq!((done.status, done.attempts), (DeliveryStatus::Failed, 2));

    // A disabled channel's queued delivery fails without a request.
    let off = world.webhook(&hook.url("/off")).await;
    let off_delivery = world.queue_test(&off, "test:off").await;
    world
        .store
        .set_channel_enabled(world.user_id, off.id, false)
        .await
        .unwrap();
    let done = world.settled(off_delivery.id).await;
    assert_eq!(done.status, DeliveryStatus::Failed);
    assert_eq!(done.last_error.as_deref(), Some("channel disabled"));
    assert!(hook.received().iter().all(|r| r.path != "/off"));
    running.stop().await;
    hook.stop();
    world.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_secrets_still_work_and_a_wrong_key_is_reported() {
    let world = World::new(Backend::Sqlite).await;
    let hook = Receiver::start().await;
    // Stored before secrets were sealed.
    let legacy = world
        .channel_sealed_with(
            ChannelKind::Webhook,
            json!({"url": hook.url("/legacy")}),
            None,
        )
        .await;
    let secret = legacy.secret.clone().unwrap();
    assert!(!is_sealed(&secret));
    let legacy_delivery = world.queue_signal(&legacy).await;
    // Sealed with a key this dispatcher does not have.
    let foreign = world
        .channel_sealed_with(
            ChannelKind::Webhook,
            json!({"url": hook.url("/foreign")}),
            Some(&SecretKey::generate()),
        )
        .await;
    let foreign_delivery = world.queue_test(&foreign, "test:foreign").await;
    let running = Running::start(
        &world.store,
        NotifyConfig {
            max_attempts: 2,
            ..config()
        },
    );
    let done = world.settled(legacy_delivery.id).await;
    assert_eq!(done.status, DeliveryStatus::Sent);
    let request = hook.received().remove(0);
    assert_eq!(request.path, "/legacy");
    let timestamp: i64 = request.header("x-sift-timestamp").parse().unwrap();
    assert!(verify(
        &secret,
        timestamp,
        &request.body,
        request.header("x-sift-signature")
    ));

    // Retried (the key may be fixed in time), then failed, with the reason in the log.
    let done = world.settled(foreign_delivery.id).await;
    assert_eq!((done.status, done.attempts), (DeliveryStatus::Failed, 2));
    let reason = "cannot decrypt channel secret: wrong notify.secret_key?";
    assert_eq!(done.last_error.as_deref(), Some(reason));
    for attempt in world.attempts(foreign_delivery.id).await {
        assert_eq!(attempt.error.as_deref(), Some(reason));
    }
    assert_eq!(
        hook.received().len(),
        1,
        "nothing sent to the foreign channel"
    );
    running.stop().await;
    hook.stop();
    world.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_and_discord_429s_are_honoured() {
    let world = World::new(Backend::Sqlite).await;
    let telegram = Receiver::start().await;
    telegram.script([Answer::Full(
        429,
        vec![],
        json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1}}),
    )]);
    let discord = Receiver::start().await;
    discord.script([Answer::Full(
        429,
        vec![("retry-after", "2")],
        json!({"message": "You are being rate limited.", "retry_after": 2.0, "global": false}),
    )]);
    let token = "123456789:AAEabcdefghijklmnopqrstuvwxyz0123";
    let tg = world
        .channel(
            ChannelKind::Telegram,
            json!({"bot_token": token, "chat_id": "-1001234567890"}),
        )
        .await;
    let dc = world
        .channel(
            ChannelKind::Discord,
            json!({"url": discord.url("/api/webhooks/42/tok-en_1")}),
        )
        .await;
    let tg_delivery = world.queue_signal(&tg).await;
    let dc_delivery = world.queue_test(&dc, "test:discord").await;
    let running = Running::start(
        &world.store,
        NotifyConfig {
            telegram_api_url: telegram.url("/"),
            ..config()
        },
    );
    for (id, wait_ms) in [(tg_delivery.id, 1_000), (dc_delivery.id, 2_000)] {
        world.wait_attempts(id, 1).await;
        let log = world.attempts(id).await;
        assert_eq!(log[0].status_code, Some(429));
        let after = world.delivery(id).await;
        if after.status == DeliveryStatus::Pending {
            // The retry is scheduled no sooner than the receiver asked (backoff is 20-100 ms).
            assert!(
                after.next_attempt_at >= log[0].created_at + wait_ms,
                "{after:?} {log:?}"
            );
        }
        let done = world.settled(id).await;
        assert_eq!((done.status, done.attempts), (DeliveryStatus::Sent, 2));
    }
    let telegram_requests = telegram.received();
    assert_eq!(
        telegram_requests[0].path,
        format!("/bot{token}/sendMessage")
    );
    let body = telegram_requests[1].json();
    assert_eq!(body["chat_id"], "-1001234567890");
    let text = body["text"].as_str().unwrap();
    assert!(
        text.contains("RSI dip") && text.contains("BTCUSDT · 15m"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "https://sift.example/chart/BTCUSDT?interval=15m&signal={}",
            world.signal.id
        )),
        "{text}"
    );
    let discord_body = discord.received()[1].json();
    assert_eq!(discord.received()[1].path, "/api/webhooks/42/tok-en_1");
    assert_eq!(
        discord_body["embeds"][0]["title"],
        "Test notification from Sift"
    );
    // The error log never shows the bot token.
    for a in world.attempts(tg_delivery.id).await {
        assert!(!a.error.unwrap_or_default().contains("AAE"));
    }
    running.stop().await;
    telegram.stop();
    discord.stop();
    world.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssrf_targets_are_refused() {
    let world = World::new(Backend::Sqlite).await;
    let hook = Receiver::start().await;
    let port = hook.addr.port();
    let targets = [
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://localhost:{port}/hook"),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
    ];
    let mut refused = Vec::new();
    for url in &targets {
        let channel = world.webhook(url).await;
        refused.push(world.queue_test(&channel, &format!("test:{url}")).await);
    }
    let running = Running::start(
        &world.store,
        NotifyConfig {
            allow_private_targets: false,
            ..config()
        },
    );
    for delivery in &refused {
        let done = world.settled(delivery.id).await;
        assert_eq!((done.status, done.attempts), (DeliveryStatus::Failed, 1));
        let error = done.last_error.unwrap();
        assert!(error.contains("refused target address"), "{error}");
        assert!(error.contains("loopback"), "{error}");
    }
    assert!(
        hook.received().is_empty(),
        "no request reached the receiver"
    );
    running.stop().await;

    // Allowed for self-hosters, except link-local, which is refused whatever the setting.
    let running = Running::start(&world.store, config());
    let local = world.webhook(&targets[1]).await;
    let allowed = world.queue_test(&local, "test:allowed").await;
    let metadata = world
        .webhook("http://169.254.169.254/latest/meta-data")
        .await;
    let refused = world.queue_test(&metadata, "test:metadata").await;
    let mapped = world.webhook("http://[::ffff:169.254.169.254]/").await;
    let refused_mapped = world.queue_test(&mapped, "test:mapped").await;
    assert_eq!(world.settled(allowed.id).await.status, DeliveryStatus::Sent);
    for id in [refused.id, refused_mapped.id] {
        let done = world.settled(id).await;
        assert_eq!(done.status, DeliveryStatus::Failed);
        assert!(done.last_error.unwrap().contains("link-local"));
    }
    running.stop().await;
    hook.stop();
    world.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_endpoint_does_not_delay_other_channels() {
    let world = World::new(Backend::Sqlite).await;
    let dead = Receiver::start().await;
    dead.script([Answer::Hang, Answer::Hang]);
    let alive = Receiver::start().await;
    let dead_channel = world.webhook(&dead.url("/dead")).await;
    let alive_channel = world.webhook(&alive.url("/alive")).await;
    // The dead channel's deliveries are older: they are claimed first.
    let stuck = world.queue_signal(&dead_channel).await;
    let stuck_too = world.queue_test(&dead_channel, "test:dead-2").await;
    let fine = world.queue_signal(&alive_channel).await;
    let running = Running::start(
        &world.store,
        NotifyConfig {
            request_timeout_ms: 60_000,
            claim_lease_ms: 120_000,
            ..config()
        },
    );
    assert_eq!(world.settled(fine.id).await.status, DeliveryStatus::Sent);
    // The dead endpoint holds its first request (and the second waits behind it); nothing of
    // that channel is recorded yet.
    let seen = dead.clone();
    assert!(
        wait_until(PATIENCE, || {
            let n = seen.received().len();
            async move { n == 1 }
        })
        .await
    );
    assert_eq!(world.delivery(stuck.id).await.attempts, 0);
    assert_eq!(world.delivery(stuck_too.id).await.attempts, 0);
    dead.release();
    let done = world.settled(stuck.id).await;
    assert_eq!(done.status, DeliveryStatus::Sent);
    running.stop().await;
    dead.stop();
    alive.stop();
    world.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_holds_a_noisy_channel_back() {
    let world = World::new(Backend::Sqlite).await;
    let hook = Receiver::start().await;
    let channel = world.webhook(&hook.url("/hook")).await;
    let mut queued = Vec::new();
    for i in 0..4 {
        queued.push(world.queue_test(&channel, &format!("test:noisy-{i}")).await);
    }
    let running = Running::start(
        &world.store,
        NotifyConfig {
            rate_limit_per_minute: 2,
            ..config()
        },
    );
    for d in &queued[..2] {
        assert_eq!(world.settled(d.id).await.status, DeliveryStatus::Sent);
    }
    // The next token comes in 30 s: the rest are given back, due then, no attempt counted.
    let store = Arc::clone(&world.store);
    let (third, fourth) = (queued[2].id, queued[3].id);
    assert!(
        wait_until(PATIENCE, || {
            let store = Arc::clone(&store);
            async move {
                let now = scenarios::now_ms();
                let mut deferred = true;
                for id in [third, fourth] {
                    let d = store.get_delivery(id).await.unwrap().unwrap();
                    deferred &= d.status == DeliveryStatus::Pending
                        && d.attempts == 0
                        && d.next_attempt_at > now + 20_000
                        && d.next_attempt_at < now + 5 * 60_000;
                }
                deferred
            }
        })
        .await
    );
    assert_eq!(hook.received().len(), 2);
    running.stop().await;
    hook.stop();
    world.finish().await;
}
