//! Favourites, audit, settings, retention, hostile input, lifecycle.

use serde_json::json;
use sift_core::Tier;
use sift_store::{
    ChannelKind, FavouriteTarget, NewAudit, NewChannel, NewDelivery, NewTrader, NewUser,
    SETTING_PAUSED, SignalFilter, StoreError, TraderFilter,
};
use sift_traders::Symbols;

use super::harness::Harness;
use super::{def, signal, sym, trader, user};

pub(crate) async fn favourites(h: &Harness) {
    let store = h.store();
    let u = user(store, "fav@example.com").await;
    let other = user(store, "other@example.com").await;
    let t = trader(store, None, "t").await;
    let btc = FavouriteTarget::Symbol(sym("BTCUSDT"));
    let tf = FavouriteTarget::Trader(t.id);
    let first = store.add_favourite(u.id, &btc).await.unwrap();
    assert_eq!(first.target, btc);
    // Adding again is idempotent.
    assert_eq!(store.add_favourite(u.id, &btc).await.unwrap(), first);
    let second = store.add_favourite(u.id, &tf).await.unwrap();
    store.add_favourite(other.id, &btc).await.unwrap();
    assert_eq!(
        store.list_favourites(u.id).await.unwrap(),
        vec![first.clone(), second]
    );
    let json = serde_json::to_value(&first).unwrap();
    assert_eq!(json["symbol"], "BTCUSDT");

    assert!(store.remove_favourite(u.id, &btc).await.unwrap());
    assert!(!store.remove_favourite(u.id, &btc).await.unwrap());
    assert_eq!(store.list_favourites(other.id).await.unwrap().len(), 1);
    // A deleted trader leaves no dangling favourite; a missing one cannot be added.
    store.delete_trader(t.id).await.unwrap();
    assert!(store.list_favourites(u.id).await.unwrap().is_empty());
    let err = store.add_favourite(u.id, &tf).await.unwrap_err();
    assert!(err.is_conflict_on("foreign_key"), "{err:?}");
}

pub(crate) async fn audit_and_settings(h: &Harness) {
    let store = h.store();
    let admin = user(store, "admin@example.com").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let entry = store
            .insert_audit(NewAudit {
                actor_id: Some(admin.id),
                action: "user.update".to_owned(),
                target: format!("user:{i}"),
                details: json!({"tier": "pro", "i": i}),
            })
            .await
            .unwrap();
        ids.push(entry.id);
    }
    let system = store
        .insert_audit(NewAudit {
            actor_id: None,
            action: "execution.pause".to_owned(),
            target: "engine".to_owned(),
            details: json!(null),
        })
        .await
        .unwrap();
    let page = store.list_audit(None, 3).await.unwrap();
    assert_eq!(
        page.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![system.id, ids[4], ids[3]]
    );
    assert_eq!(page[1].details, json!({"tier": "pro", "i": 4}));
    let older = store.list_audit(Some(ids[3]), 10).await.unwrap();
    assert_eq!(
        older.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![ids[2], ids[1], ids[0]]
    );
    // Deleting the actor keeps the history.
    store.delete_user(admin.id).await.unwrap();
    let kept = store.list_audit(None, 100).await.unwrap();
    assert_eq!(kept.len(), 6);
    assert!(kept.iter().all(|e| e.actor_id.is_none()));

    assert_eq!(store.get_setting(SETTING_PAUSED).await.unwrap(), None);
    store.set_setting(SETTING_PAUSED, "true").await.unwrap();
    assert_eq!(
        store.get_setting(SETTING_PAUSED).await.unwrap().as_deref(),
        Some("true")
    );
    store.set_setting(SETTING_PAUSED, "false").await.unwrap();
    assert_eq!(
        store.get_setting(SETTING_PAUSED).await.unwrap().as_deref(),
        Some("false")
    );
}

pub(crate) async fn retention_prunes_old_rows(h: &Harness) {
    let store = h.store();
    let u = user(store, "ret@example.com").await;
    let t = trader(store, Some(u.id), "t").await;
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
    let batch: Vec<_> = (0..30)
        .map(|m| signal(t.id, "BTCUSDT", m * 60_000))
        .collect();
    let inserted = store.insert_signals(&batch).await.unwrap();
    store
        .enqueue_delivery(NewDelivery {
            channel_id: channel.id,
            signal_id: inserted.iter().find(|s| s.open_time == 0).map(|s| s.id),
            idempotency_key: "old".to_owned(),
            next_attempt_at: 0,
        })
        .await
        .unwrap();
    for m in 0..10 {
        store
            .commit_close(sift_store::CloseCommit {
                execution: sift_store::NewExecution {
                    interval: sift_core::Interval::M1,
                    open_time: m * 60_000,
                    traders_run: 1,
                    symbols_checked: 1,
                    symbols_matched: 0,
                    duration_us: 1,
                    errors: json!([]),
                    created_at: m * 1_000,
                },
                signals: vec![],
                outbox: vec![],
            })
            .await
            .unwrap();
    }
    // Signals of candles opened before minute 10 (10 of them), executions created before 4 s
    // (4 of them).
    let (executions, signals) = store.prune(4_000, 10 * 60_000).await.unwrap();
    assert_eq!((executions, signals), (4, 10));
    let (left, _) = store
        .list_signals(&SignalFilter {
            limit: 100,
            ..SignalFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(left.len(), 20);
    assert!(left.iter().all(|s| s.open_time >= 10 * 60_000));
    assert_eq!(store.list_executions(None, 100).await.unwrap().len(), 6);
    assert!(
        store
            .list_deliveries(channel.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.prune(4_000, 10 * 60_000).await.unwrap(), (0, 0));
    // A test delivery (no signal) stays until it is as old as the signals pruned.
    store
        .enqueue_delivery(NewDelivery {
            channel_id: channel.id,
            signal_id: None,
            idempotency_key: "test".to_owned(),
            next_attempt_at: 0,
        })
        .await
        .unwrap();
    store.prune(4_000, 10 * 60_000).await.unwrap();
    assert_eq!(
        store.list_deliveries(channel.id, 10).await.unwrap().len(),
        1
    );
    // Ids are never reused after pruning (SSE resumes by id).
    let newest = inserted.iter().map(|s| s.id).max().unwrap();
    store.prune(i64::MAX, i64::MAX).await.unwrap();
    assert!(
        store
            .list_deliveries(channel.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let fresh = store
        .insert_signals(&[signal(t.id, "ETHUSDT", 0)])
        .await
        .unwrap();
    assert!(fresh[0].id > newest);
}

pub(crate) async fn hostile_strings_round_trip(h: &Harness) {
    let store = h.store();
    let nasty = [
        "'; DROP TABLE users; --",
        "\" OR 1=1 --",
        "Robert'); DELETE FROM signals WHERE ('1'='1",
        "$1 $2 ? :name @x",
        "🚀 日本語 العربية Ünïcödé \u{202e}rtl",
        "back\\slash and % and _ wildcards",
    ];
    for (i, text) in nasty.iter().enumerate() {
        let email = format!("{i}{text}@example.com");
        let u = store
            .create_user(NewUser {
                email: email.clone(),
                password_hash: text.to_string(),
                tier: Tier::Pro,
                is_admin: false,
            })
            .await
            .unwrap();
        assert_eq!(u.email, email.trim().to_lowercase());
        assert_eq!(
            store.get_user_by_email(&email).await.unwrap().unwrap().id,
            u.id
        );
        let mut d = def(text);
        d.description = text.repeat(50);
        d.rule = format!("# {text}\nrsi(14) < 30");
        d.tags = vec![text.to_string()];
        d.category = Some(text.to_string());
        let t = store
            .create_trader(NewTrader {
                owner_id: Some(u.id),
                def: d.clone(),
                channels: vec![],
            })
            .await
            .unwrap();
        assert_eq!(store.get_trader(t.id).await.unwrap().unwrap().def, d);
        let by_category = store
            .list_traders(&TraderFilter {
                category: Some(text.to_string()),
                ..TraderFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(by_category.len(), 1);
        assert!(store.get_user_by_email(text).await.unwrap().is_none());
        store.set_setting(text, text).await.unwrap();
        assert_eq!(
            store.get_setting(text).await.unwrap().as_deref(),
            Some(*text)
        );
    }
    // Huge values: a 1 MB description and a 1 MB value snapshot.
    let u = user(store, "huge@example.com").await;
    let mut d = def("huge");
    d.description = "x".repeat(1 << 20);
    d.symbols = Symbols::List((0..2_000).map(|i| sym(&format!("S{i}USDT"))).collect());
    let t = store
        .create_trader(NewTrader {
            owner_id: Some(u.id),
            def: d.clone(),
            channels: vec![],
        })
        .await
        .unwrap();
    assert_eq!(store.get_trader(t.id).await.unwrap().unwrap().def, d);
    let mut s = signal(t.id, "BTCUSDT", 0);
    s.values = json!({"blob": "é".repeat(1 << 19), "nested": [[[[1.5e300]]]]});
    let inserted = store.insert_signals(&[s.clone()]).await.unwrap();
    assert_eq!(inserted[0].values, s.values);
    // Everything is still there: no statement was ever interpreted from data.
    assert_eq!(store.list_users().await.unwrap().len(), nasty.len() + 1);
}

pub(crate) async fn lifecycle_and_errors(h: &Harness) {
    let store = h.store();
    assert!(matches!(store.backend(), "sqlite" | "postgres"));
    // Migrating again is a no-op.
    store.migrate().await.unwrap();
    let latency = store.ping().await.unwrap();
    assert!(latency.as_secs() < 5);
    // Errors never carry SQL text.
    let u = user(store, "dup@example.com").await;
    let err = store
        .create_user(NewUser {
            email: "DUP@example.com".to_owned(),
            password_hash: "h".to_owned(),
            tier: Tier::Free,
            is_admin: false,
        })
        .await
        .unwrap_err();
    let message = err.to_string();
    assert_eq!(message, "conflict on users_email");
    assert!(!err.is_transient());
    assert!(matches!(
        store.delete_trader(u.id + 10_000).await,
        Err(StoreError::NotFound)
    ));
}
