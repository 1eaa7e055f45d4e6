//! A store per test (SQLite file or fresh PostgreSQL database), an owner with a trader and a
//! signal, channels, and a dispatcher configured for fast tests against local receivers.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};
use sift_core::{Interval, Tier};
use sift_notify::{Dispatcher, NotifyConfig, SecretKey};
use sift_store::{
    Channel, ChannelKind, Delivery, DeliveryAttemptRecord, DeliveryStatus, NewChannel, NewDelivery,
    NewSignal, NewTrader, NewUser, Signal, Store,
};
use sift_test_support::postgres::TestDatabase;
use sift_test_support::wait_until;
use sift_traders::{Symbols, TraderDef};
use tokio_util::sync::CancellationToken;

/// Long enough for a loaded machine; conditions are polled, never slept on.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

#[allow(dead_code)]
enum Guard {
    Dir(tempfile::TempDir),
    Postgres(Box<TestDatabase>),
}

pub(crate) struct World {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) user_id: i64,
    pub(crate) signal: Signal,
    guard: Option<Guard>,
}

/// The key this test binary's dispatchers open channel secrets with.
pub(crate) fn key() -> SecretKey {
    static KEY: OnceLock<SecretKey> = OnceLock::new();
    KEY.get_or_init(SecretKey::generate).clone()
}

/// Fast retries and polls; private targets allowed (the receivers are on loopback).
pub(crate) fn config() -> NotifyConfig {
    NotifyConfig {
        allow_private_targets: true,
        public_url: Some("https://sift.example/".to_owned()),
        request_timeout_ms: 5_000,
        backoff_base_ms: 20,
        backoff_cap_ms: 100,
        claim_lease_ms: 15_000,
        poll_interval_ms: 20,
        rate_limit_per_minute: 10_000,
        ..NotifyConfig::default()
    }
}

impl World {
    pub(crate) async fn new(backend: Backend) -> Self {
        let (store, guard) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("sift.db");
                let store = sift_store::open(path.to_str().unwrap()).await.unwrap();
                (store, Guard::Dir(dir))
            }
            Backend::Postgres => {
                let db = sift_test_support::postgres::test_database().await.unwrap();
                let store = sift_store::open(db.url()).await.unwrap();
                (store, Guard::Postgres(Box::new(db)))
            }
        };
        let user = store
            .create_user(NewUser {
                email: "owner@example.com".to_owned(),
                password_hash: "unused".to_owned(),
                tier: Tier::Pro,
                is_admin: false,
            })
            .await
            .unwrap();
        let trader = store
            .create_trader(NewTrader {
                owner_id: Some(user.id),
                def: TraderDef {
                    name: "RSI dip".to_owned(),
                    description: String::new(),
                    interval: Interval::M15,
                    rule: "rsi(14) < 30".to_owned(),
                    symbols: Symbols::All,
                    cooldown_bars: 0,
                    enabled: true,
                    category: None,
                    tags: Vec::new(),
                    access_tier: None,
                },
                channels: Vec::new(),
            })
            .await
            .unwrap();
        let signal = store
            .insert_signals(&[NewSignal {
                trader_id: trader.id,
                symbol: "BTCUSDT".parse().unwrap(),
                interval: Interval::M15,
                open_time: 1_735_689_600_000,
                close_time: 1_735_690_499_999,
                price: 42_000.5,
                values: json!({"rsi(14)": 28.5, "close": 42_000.5}),
                created_at: 1_735_690_500_000,
            }])
            .await
            .unwrap()
            .remove(0);
        Self {
            store,
            user_id: user.id,
            signal,
            guard: Some(guard),
        }
    }

    pub(crate) async fn finish(mut self) {
        self.store.close().await;
        if let Some(Guard::Postgres(db)) = self.guard.take() {
            db.cleanup().await.unwrap();
        }
    }

    /// A channel stored directly (bypassing the API's checks, so tests can store targets the
    /// API would refuse), its secrets sealed with [`key`] as the API stores them.
    pub(crate) async fn channel(&self, kind: ChannelKind, config: Value) -> Channel {
        self.channel_sealed_with(kind, config, Some(&key())).await
    }

    /// A channel with its secrets sealed with `key`, or stored plain (as before sealing) when
    /// `None`.
    pub(crate) async fn channel_sealed_with(
        &self,
        kind: ChannelKind,
        config: Value,
        key: Option<&SecretKey>,
    ) -> Channel {
        let mut secret = matches!(kind, ChannelKind::Webhook).then(sift_notify::new_webhook_secret);
        let mut config = config;
        if let Some(key) = key {
            config = key.seal_config(kind, &config);
            secret = secret.map(|s| key.seal_secret(&s));
        }
        self.store
            .create_channel(NewChannel {
                user_id: self.user_id,
                kind,
                name: format!("{} channel", kind.as_str()),
                config,
                secret,
                enabled: true,
            })
            .await
            .unwrap()
    }

    pub(crate) async fn webhook(&self, url: &str) -> Channel {
        self.channel(ChannelKind::Webhook, json!({ "url": url }))
            .await
    }

    /// Queues the world's signal to `channel` (as a close commit would).
    pub(crate) async fn queue_signal(&self, channel: &Channel) -> Delivery {
        self.queue(
            channel,
            Some(self.signal.id),
            format!("signal:{}:channel:{}", self.signal.id, channel.id),
        )
        .await
    }

    /// Queues a test message to `channel`.
    pub(crate) async fn queue_test(&self, channel: &Channel, key: &str) -> Delivery {
        self.queue(channel, None, key.to_owned()).await
    }

    async fn queue(&self, channel: &Channel, signal_id: Option<i64>, key: String) -> Delivery {
        self.store
            .enqueue_delivery(NewDelivery {
                channel_id: channel.id,
                signal_id,
                idempotency_key: key,
                next_attempt_at: 0,
            })
            .await
            .unwrap()
            .unwrap()
    }

    pub(crate) async fn delivery(&self, id: i64) -> Delivery {
        self.store.get_delivery(id).await.unwrap().unwrap()
    }

    pub(crate) async fn attempts(&self, id: i64) -> Vec<DeliveryAttemptRecord> {
        self.store.list_delivery_attempts(id).await.unwrap()
    }

    /// Waits until delivery `id` is no longer pending; its final state.
    pub(crate) async fn settled(&self, id: i64) -> Delivery {
        let store = Arc::clone(&self.store);
        let done = wait_until(PATIENCE, || {
            let store = Arc::clone(&store);
            async move {
                store.get_delivery(id).await.unwrap().unwrap().status != DeliveryStatus::Pending
            }
        })
        .await;
        let delivery = self.delivery(id).await;
        assert!(done, "delivery {id} still pending: {delivery:?}");
        delivery
    }

    /// Waits until delivery `id` has at least `n` attempts.
    pub(crate) async fn wait_attempts(&self, id: i64, n: i64) {
        let store = Arc::clone(&self.store);
        let done = wait_until(PATIENCE, || {
            let store = Arc::clone(&store);
            async move { store.get_delivery(id).await.unwrap().unwrap().attempts >= n }
        })
        .await;
        assert!(done, "delivery {id} never reached {n} attempts");
    }
}

/// A running dispatcher and its token.
pub(crate) struct Running {
    pub(crate) dispatcher: Dispatcher,
    pub(crate) cancel: CancellationToken,
}

impl Running {
    pub(crate) fn start(store: &Arc<dyn Store>, config: NotifyConfig) -> Self {
        let cancel = CancellationToken::new();
        let dispatcher =
            Dispatcher::spawn(Arc::clone(store), config, key(), cancel.clone()).unwrap();
        Self { dispatcher, cancel }
    }

    /// Graceful stop: sends in flight finish and are recorded.
    pub(crate) async fn stop(self) {
        self.cancel.cancel();
        self.dispatcher.join().await;
    }
}
