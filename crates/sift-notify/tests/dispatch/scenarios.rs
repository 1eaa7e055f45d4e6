//! The scenarios run on both backends.

use sift_notify::NotifyConfig;
use sift_notify::payload::verify;
use sift_store::DeliveryStatus;
use sift_test_support::wait_until;

use crate::harness::{Backend, PATIENCE, Running, World, config, key};
use crate::receiver::{Answer, Receiver};

pub(crate) async fn webhook_is_signed_and_complete(backend: Backend) {
    let world = World::new(backend).await;
    let hook = Receiver::start().await;
    let channel = world.webhook(&hook.url("/hook?via=sift")).await;
    let delivery = world.queue_signal(&channel).await;
    let running = Running::start(&world.store, config());
    let done = world.settled(delivery.id).await;
    assert_eq!(done.status, DeliveryStatus::Sent);
    assert_eq!((done.attempts, done.last_status_code), (1, Some(200)));

    let received = hook.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(request.path, "/hook");
    let timestamp: i64 = request.header("x-sift-timestamp").parse().unwrap();
    let signature = request.header("x-sift-signature");
    // Stored sealed; the dispatcher signed with the secret inside.
    let sealed = channel.secret.as_deref().unwrap();
    assert!(sift_notify::sealed::is_sealed(sealed), "{sealed}");
    let secret = &key().open_secret(sealed).unwrap();
    assert!(secret.starts_with("whsec_"));
    assert!(
        verify(secret, timestamp, &request.body, signature),
        "signature verifies"
    );
    assert!(
        !verify(secret, timestamp + 1, &request.body, signature),
        "timestamp is signed"
    );
    assert_eq!(request.header("idempotency-key"), delivery.idempotency_key);
    assert_eq!(request.header("content-type"), "application/json");
    let body = request.json();
    assert_eq!(body["event"], "signal");
    assert_eq!(body["idempotency_key"], delivery.idempotency_key);
    assert_eq!(body["trader"]["name"], "RSI dip");
    assert_eq!(body["symbol"], "BTCUSDT");
    assert_eq!(body["interval"], "15m");
    assert_eq!(body["price"], 42_000.5);
    assert_eq!(body["time"], "2025-01-01T00:15:00Z");
    assert_eq!(body["values"]["rsi(14)"], 28.5);
    assert_eq!(
        body["chart_url"],
        format!(
            "https://sift.example/chart/BTCUSDT?interval=15m&signal={}",
            world.signal.id
        )
    );
    let log = world.attempts(delivery.id).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status_code, Some(200));
    running.stop().await;
    hook.stop();
    world.finish().await;
}

pub(crate) async fn retries_after_500s_and_timeouts(backend: Backend) {
    let world = World::new(backend).await;
    let hook = Receiver::start().await;
    hook.script([Answer::Status(500), Answer::Hang, Answer::Status(503)]);
    let channel = world.webhook(&hook.url("/hook")).await;
    let delivery = world.queue_signal(&channel).await;
    let running = Running::start(
        &world.store,
        NotifyConfig {
            request_timeout_ms: 1_500,
            ..config()
        },
    );
    let done = world.settled(delivery.id).await;
    assert_eq!((done.status, done.attempts), (DeliveryStatus::Sent, 4));
    let log = world.attempts(delivery.id).await;
    let codes: Vec<_> = log.iter().map(|a| a.status_code).collect();
    assert_eq!(codes, [Some(500), None, Some(503), Some(200)]);
    assert_eq!(log[0].error.as_deref(), Some("HTTP 500"));
    assert_eq!(log[1].error.as_deref(), Some("timed out"));
    assert_eq!(log[3].error, None);
    assert_eq!(hook.acked(&delivery.idempotency_key), 1);
    running.stop().await;
    hook.stop();
    world.finish().await;
}

pub(crate) async fn restart_mid_retry_delivers_exactly_once(backend: Backend) {
    let world = World::new(backend).await;
    let hook = Receiver::start().await;
    hook.script([Answer::Status(500), Answer::Status(502)]);
    let channel = world.webhook(&hook.url("/hook")).await;
    let first = world.queue_signal(&channel).await;
    // Long backoff: the first dispatcher is stopped while the delivery waits for its retry.
    let slow = NotifyConfig {
        backoff_base_ms: 400,
        backoff_cap_ms: 400,
        ..config()
    };
    let a = Running::start(&world.store, slow.clone());
    world.wait_attempts(first.id, 1).await;
    a.stop().await;
    let mid = world.delivery(first.id).await;
    assert_eq!(mid.status, DeliveryStatus::Pending, "stopped mid-retry");

    let b = Running::start(&world.store, slow.clone());
    let done = world.settled(first.id).await;
    assert_eq!((done.status, done.attempts), (DeliveryStatus::Sent, 3));
    assert_eq!(hook.acked(&first.idempotency_key), 1);
    b.stop().await;

    // A third dispatcher never sends the acknowledged one again: a later delivery goes out
    // and the first one's key is still acknowledged once, with three requests in all.
    let c = Running::start(&world.store, slow);
    let later = world.queue_test(&channel, "test:after-restart").await;
    assert_eq!(world.settled(later.id).await.status, DeliveryStatus::Sent);
    c.stop().await;
    let for_first = hook
        .received()
        .iter()
        .filter(|r| r.header("idempotency-key") == first.idempotency_key)
        .count();
    assert_eq!(for_first, 3);
    assert_eq!(hook.acked(&first.idempotency_key), 1);
    assert_eq!(world.delivery(first.id).await.attempts, 3);
    hook.stop();
    world.finish().await;
}

pub(crate) async fn crash_mid_send_redelivers_with_the_same_key(backend: Backend) {
    let world = World::new(backend).await;
    let hook = Receiver::start().await;
    hook.script([Answer::Hang]);
    let channel = world.webhook(&hook.url("/hook")).await;
    let delivery = world.queue_signal(&channel).await;
    let short_lease = NotifyConfig {
        request_timeout_ms: 5_000,
        claim_lease_ms: 6_000,
        ..config()
    };
    let a = Running::start(&world.store, short_lease.clone());
    let hook_seen = hook.clone();
    assert!(
        wait_until(PATIENCE, || {
            let n = hook_seen.received().len();
            async move { n == 1 }
        })
        .await
    );
    // Crash while the request is in flight: nothing recorded, the claim stays until its lease.
    a.dispatcher.abort().await;
    assert_eq!(world.delivery(delivery.id).await.attempts, 0);

    let b = Running::start(&world.store, short_lease);
    let done = world.settled(delivery.id).await;
    assert_eq!((done.status, done.attempts), (DeliveryStatus::Sent, 1));
    let keys: Vec<_> = hook
        .received()
        .iter()
        .map(|r| r.header("idempotency-key").to_owned())
        .collect();
    assert_eq!(
        keys,
        [
            delivery.idempotency_key.clone(),
            delivery.idempotency_key.clone()
        ]
    );
    assert_eq!(hook.acked(&delivery.idempotency_key), 1);
    b.stop().await;
    hook.stop();
    world.finish().await;
}

/// Now, epoch milliseconds.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
