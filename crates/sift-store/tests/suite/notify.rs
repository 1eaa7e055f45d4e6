//! Notification channels and the delivery outbox.

use serde_json::json;
use sift_store::{
    AttemptOutcome, ChannelKind, DeliveryAttempt, DeliveryStatus, NewChannel, NewDelivery,
    StoreError,
};

use super::harness::Harness;
use super::{signal, trader, user};

pub(crate) async fn channels_lifecycle(h: &Harness) {
    let store = h.store();
    let u = user(store, "chan@example.com").await;
    let other = user(store, "other@example.com").await;
    let config = json!({"bot_token": "123:abc", "chat_id": "-100", "nested": {"x": [1, 2]}});
    let created = store
        .create_channel(NewChannel {
            user_id: u.id,
            kind: ChannelKind::Telegram,
            name: "My chat".to_owned(),
            config: config.clone(),
            secret: Some("whsec".to_owned()),
            enabled: true,
        })
        .await
        .unwrap();
    assert_eq!(created.kind, ChannelKind::Telegram);
    assert_eq!(created.config, config);
    assert_eq!(created.secret.as_deref(), Some("whsec"));
    let json = serde_json::to_value(&created).unwrap();
    assert!(json.get("secret").is_none(), "secrets are never serialized");
    assert_eq!(json["kind"], "telegram");
    assert_eq!(
        store.get_channel(created.id).await.unwrap(),
        Some(created.clone())
    );

    let second = store
        .create_channel(NewChannel {
            user_id: u.id,
            kind: ChannelKind::Webhook,
            name: "hook".to_owned(),
            config: json!({"url": "https://example.com"}),
            secret: None,
            enabled: false,
        })
        .await
        .unwrap();
    let listed = store.list_channels(u.id).await.unwrap();
    assert_eq!(
        listed.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![created.id, second.id]
    );
    assert!(store.list_channels(other.id).await.unwrap().is_empty());

    let enabled = store
        .set_channel_enabled(u.id, second.id, true)
        .await
        .unwrap();
    assert!(enabled.enabled);
    assert!(matches!(
        store.set_channel_enabled(other.id, second.id, false).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_channel(other.id, second.id).await,
        Err(StoreError::NotFound)
    ));
    store.delete_channel(u.id, second.id).await.unwrap();
    assert!(store.get_channel(second.id).await.unwrap().is_none());
}

pub(crate) async fn deliveries_claim_retry_and_log(h: &Harness) {
    let store = h.store();
    let u = user(store, "deliver@example.com").await;
    let channel = store
        .create_channel(NewChannel {
            user_id: u.id,
            kind: ChannelKind::Discord,
            name: "d".to_owned(),
            config: json!({"url": "https://discord.example/api/webhooks/1"}),
            secret: None,
            enabled: true,
        })
        .await
        .unwrap();
    let t = trader(store, Some(u.id), "t").await;
    let s = store
        .insert_signals(&[signal(t.id, "BTCUSDT", 0)])
        .await
        .unwrap()
        .remove(0);

    let first = store
        .enqueue_delivery(NewDelivery {
            channel_id: channel.id,
            signal_id: Some(s.id),
            idempotency_key: "k1".to_owned(),
            next_attempt_at: 1_000,
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.status, DeliveryStatus::Pending);
    assert_eq!((first.attempts, first.next_attempt_at), (0, 1_000));
    let duplicate = NewDelivery {
        channel_id: channel.id,
        signal_id: Some(s.id),
        idempotency_key: "k1".to_owned(),
        next_attempt_at: 0,
    };
    assert!(store.enqueue_delivery(duplicate).await.unwrap().is_none());
    let test_message = store
        .enqueue_delivery(NewDelivery {
            channel_id: channel.id,
            signal_id: None,
            idempotency_key: "test-1".to_owned(),
            next_attempt_at: 2_000,
        })
        .await
        .unwrap()
        .unwrap();

    // Not due yet; then due one by one; a claim hides rows until its lease ends.
    assert!(
        store
            .claim_due_deliveries(999, 5_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let claimed = store.claim_due_deliveries(1_000, 5_000, 10).await.unwrap();
    assert_eq!(
        claimed.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![first.id]
    );
    assert_eq!(claimed[0].next_attempt_at, 5_000);
    let claimed = store.claim_due_deliveries(2_500, 6_000, 10).await.unwrap();
    assert_eq!(
        claimed.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![test_message.id]
    );
    assert!(
        store
            .claim_due_deliveries(4_999, 9_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // The first dispatcher died: its lease ends and the row is claimable again.
    let reclaimed = store.claim_due_deliveries(5_000, 9_000, 1).await.unwrap();
    assert_eq!(
        reclaimed.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![first.id]
    );

    let failed = store
        .record_delivery_attempt(
            test_message.id,
            DeliveryAttempt {
                outcome: AttemptOutcome::Failed,
                status_code: None,
                error: Some("timeout".to_owned()),
                latency_ms: 10_000,
                at: 16_000,
            },
        )
        .await
        .unwrap();
    assert_eq!(failed.status, DeliveryStatus::Failed);
    let retry = store
        .record_delivery_attempt(
            first.id,
            DeliveryAttempt {
                outcome: AttemptOutcome::Retry {
                    next_attempt_at: 20_000,
                },
                status_code: Some(500),
                error: Some("server error ☠ '; DROP TABLE deliveries; --".to_owned()),
                latency_ms: 35,
                at: 5_100,
            },
        )
        .await
        .unwrap();
    assert_eq!(retry.status, DeliveryStatus::Pending);
    assert_eq!((retry.attempts, retry.next_attempt_at), (1, 20_000));
    assert_eq!(
        (retry.last_status_code, retry.latency_ms),
        (Some(500), Some(35))
    );
    assert!(
        store
            .claim_due_deliveries(19_999, 30_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .claim_due_deliveries(20_000, 30_000, 10)
            .await
            .unwrap()
            .len(),
        1
    );

    let sent = store
        .record_delivery_attempt(
            first.id,
            DeliveryAttempt {
                outcome: AttemptOutcome::Sent,
                status_code: Some(204),
                error: None,
                latency_ms: 12,
                at: 20_050,
            },
        )
        .await
        .unwrap();
    assert_eq!((sent.status, sent.attempts), (DeliveryStatus::Sent, 2));
    assert_eq!(sent.last_error, None);
    // Sent and failed rows are never claimed again.
    assert!(
        store
            .claim_due_deliveries(i64::MAX, i64::MAX, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let log = store.list_delivery_attempts(first.id).await.unwrap();
    assert_eq!(
        log.iter().map(|a| a.attempt).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(log[0].status_code, Some(500));
    assert_eq!(
        log[0].error.as_deref(),
        Some("server error ☠ '; DROP TABLE deliveries; --")
    );
    assert_eq!((log[1].latency_ms, log[1].created_at), (12, 20_050));
    assert_eq!(store.get_delivery(first.id).await.unwrap(), Some(sent));
    let listed = store.list_deliveries(channel.id, 10).await.unwrap();
    assert_eq!(
        listed.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![test_message.id, first.id]
    );
    assert!(matches!(
        store
            .record_delivery_attempt(
                999_999,
                DeliveryAttempt {
                    outcome: AttemptOutcome::Sent,
                    status_code: None,
                    error: None,
                    latency_ms: 1,
                    at: 1,
                },
            )
            .await,
        Err(StoreError::NotFound)
    ));

    // Deleting the channel takes its deliveries and their log along.
    store.delete_channel(u.id, channel.id).await.unwrap();
    assert!(store.get_delivery(first.id).await.unwrap().is_none());
    assert!(
        store
            .list_delivery_attempts(first.id)
            .await
            .unwrap()
            .is_empty()
    );
}

pub(crate) async fn parallel_claims_never_share_a_delivery(h: &Harness) {
    let store = h.store.clone();
    let u = user(store.as_ref(), "claims@example.com").await;
    let channel = store
        .create_channel(NewChannel {
            user_id: u.id,
            kind: ChannelKind::Webhook,
            name: "c".to_owned(),
            config: json!({}),
            secret: None,
            enabled: true,
        })
        .await
        .unwrap();
    for i in 0..40 {
        store
            .enqueue_delivery(NewDelivery {
                channel_id: channel.id,
                signal_id: None,
                idempotency_key: format!("k{i}"),
                next_attempt_at: i,
            })
            .await
            .unwrap();
    }
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let store = store.clone();
        tasks.spawn(async move {
            let mut mine = Vec::new();
            // Keep claiming until a round finds nothing left.
            loop {
                let claimed = store.claim_due_deliveries(1_000, 60_000, 4).await.unwrap();
                if claimed.is_empty() {
                    return mine;
                }
                mine.extend(claimed.into_iter().map(|d| d.id));
            }
        });
    }
    let mut all = Vec::new();
    while let Some(result) = tasks.join_next().await {
        all.extend(result.unwrap());
    }
    // On PostgreSQL a claimer that lost every row of its pick to another sees an empty round
    // although rows may remain; whatever is left is claimed here.
    loop {
        let rest = store
            .claim_due_deliveries(1_000, 60_000, 100)
            .await
            .unwrap();
        if rest.is_empty() {
            break;
        }
        all.extend(rest.into_iter().map(|d| d.id));
    }
    let unique: std::collections::HashSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), unique.len(), "a delivery was claimed twice");
    assert_eq!(unique.len(), 40);
}

pub(crate) async fn deferring_moves_only_pending_deliveries(h: &Harness) {
    let store = h.store();
    let u = user(store, "defer@example.com").await;
    let channel = store
        .create_channel(NewChannel {
            user_id: u.id,
            kind: ChannelKind::Webhook,
            name: "w".to_owned(),
            config: json!({"url": "https://example.com"}),
            secret: Some("s".to_owned()),
            enabled: true,
        })
        .await
        .unwrap();
    let queued = |key: &str| NewDelivery {
        channel_id: channel.id,
        signal_id: None,
        idempotency_key: key.to_owned(),
        next_attempt_at: 1_000,
    };
    let a = store.enqueue_delivery(queued("a")).await.unwrap().unwrap();
    let b = store.enqueue_delivery(queued("b")).await.unwrap().unwrap();
    // Claimed with a long lease, then given back: due again at once, no attempt counted.
    assert_eq!(
        store
            .claim_due_deliveries(1_000, 90_000, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(store.defer_delivery(a.id, 1_500).await.unwrap());
    let claimed = store.claim_due_deliveries(1_500, 90_000, 10).await.unwrap();
    assert_eq!(claimed.iter().map(|d| d.id).collect::<Vec<_>>(), vec![a.id]);
    assert_eq!(claimed[0].attempts, 0);
    assert!(store.list_delivery_attempts(a.id).await.unwrap().is_empty());
    // A delivery already settled is left alone; a missing one is not pending either.
    store
        .record_delivery_attempt(
            b.id,
            DeliveryAttempt {
                outcome: AttemptOutcome::Sent,
                status_code: Some(200),
                error: None,
                latency_ms: 5,
                at: 2_000,
            },
        )
        .await
        .unwrap();
    assert!(!store.defer_delivery(b.id, 0).await.unwrap());
    assert_eq!(
        store.get_delivery(b.id).await.unwrap().unwrap().status,
        DeliveryStatus::Sent
    );
    assert!(!store.defer_delivery(999_999, 0).await.unwrap());
}
