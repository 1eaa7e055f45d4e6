//! Traders: CRUD, versions, filters, seeding.

use sift_core::{Interval, Tier};
use sift_store::{NewTrader, SeedOutcome, StoreError, TraderFilter, TraderScope, TraderUpdate};
use sift_traders::Symbols;

use super::harness::Harness;
use super::{def, sym, trader, user};

pub(crate) async fn trader_crud_and_versions(h: &Harness) {
    let store = h.store();
    let owner = user(store, "owner@example.com").await;
    let mut d = def("Breakout");
    d.symbols = Symbols::List(vec![sym("BTCUSDT"), sym("ETHUSDT")]);
    d.tags = vec!["breakout".to_owned(), "ünïcode".to_owned()];
    d.category = Some("momentum".to_owned());
    let created = store
        .create_trader(NewTrader {
            owner_id: Some(owner.id),
            def: d.clone(),
            channels: vec![3, 5],
        })
        .await
        .unwrap();
    assert_eq!(created.def, d);
    assert_eq!(created.owner_id, Some(owner.id));
    assert_eq!(created.channels, vec![3, 5]);
    assert_eq!(created.version, 1);
    assert!(!created.is_builtin() && !created.edited_by_admin && created.builtin_key.is_none());
    assert_eq!(
        store.get_trader(created.id).await.unwrap(),
        Some(created.clone())
    );

    // Serialized flat, the shape the API answers with.
    let json = serde_json::to_value(&created).unwrap();
    assert_eq!(json["name"], "Breakout");
    assert_eq!(json["interval"], "1m");
    assert_eq!(json["symbols"], serde_json::json!(["BTCUSDT", "ETHUSDT"]));
    assert_eq!(json["id"], created.id);

    let mut changed = d.clone();
    changed.symbols = Symbols::Top(25);
    changed.interval = Interval::H4;
    changed.enabled = false;
    let updated = store
        .update_trader(
            created.id,
            TraderUpdate {
                def: changed.clone(),
                channels: vec![],
                expected_version: Some(1),
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.def, changed);
    assert_eq!(updated.version, 2);
    assert!(updated.channels.is_empty());
    assert!(!updated.edited_by_admin, "only built-ins are marked edited");

    let stale = store
        .update_trader(
            created.id,
            TraderUpdate {
                def: d.clone(),
                channels: vec![],
                expected_version: Some(1),
            },
        )
        .await
        .unwrap_err();
    assert!(stale.is_conflict_on("traders_version"), "{stale:?}");

    let enabled = store.set_trader_enabled(created.id, true).await.unwrap();
    assert!(enabled.def.enabled);
    assert_eq!(enabled.version, 3);

    assert_eq!(store.count_traders_by_owner(owner.id).await.unwrap(), 1);
    trader(store, Some(owner.id), "second").await;
    trader(store, None, "builtin").await;
    assert_eq!(store.count_traders_by_owner(owner.id).await.unwrap(), 2);

    store.delete_trader(created.id).await.unwrap();
    assert!(store.get_trader(created.id).await.unwrap().is_none());
    let missing = created.id;
    assert!(matches!(
        store.delete_trader(missing).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.set_trader_enabled(missing, true).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .update_trader(
                missing,
                TraderUpdate {
                    def: d,
                    channels: vec![],
                    expected_version: None
                }
            )
            .await,
        Err(StoreError::NotFound)
    ));
    let orphan = store
        .create_trader(NewTrader {
            owner_id: Some(987_654),
            def: def("orphan"),
            channels: vec![],
        })
        .await
        .unwrap_err();
    assert!(orphan.is_conflict_on("foreign_key"), "{orphan:?}");
}

pub(crate) async fn trader_filters(h: &Harness) {
    let store = h.store();
    let a = user(store, "a@example.com").await;
    let b = user(store, "b@example.com").await;
    let a1 = trader(store, Some(a.id), "a1").await;
    let mut d = def("a2");
    d.enabled = false;
    d.interval = Interval::H1;
    d.category = Some("trend".to_owned());
    let a2 = store
        .create_trader(NewTrader {
            owner_id: Some(a.id),
            def: d,
            channels: vec![],
        })
        .await
        .unwrap();
    let b1 = trader(store, Some(b.id), "b1").await;
    let mut builtins = Vec::new();
    for (key, tier) in [
        ("anon.toml", None),
        ("free.toml", Some(Tier::Free)),
        ("pro.toml", Some(Tier::Pro)),
        ("elite.toml", Some(Tier::Elite)),
    ] {
        let mut d = def(key);
        d.access_tier = tier;
        assert_eq!(
            store.seed_builtin(key, &d).await.unwrap(),
            SeedOutcome::Inserted
        );
        builtins.push(key);
    }
    let ids = |traders: Vec<sift_store::Trader>| traders.iter().map(|t| t.id).collect::<Vec<_>>();
    let names = |traders: Vec<sift_store::Trader>| {
        traders.into_iter().map(|t| t.def.name).collect::<Vec<_>>()
    };

    let all = store.list_traders(&TraderFilter::default()).await.unwrap();
    assert_eq!(all.len(), 7);
    let mine = TraderFilter {
        scope: TraderScope::Owner(a.id),
        ..TraderFilter::default()
    };
    assert_eq!(
        ids(store.list_traders(&mine).await.unwrap()),
        vec![a1.id, a2.id]
    );
    let builtin = TraderFilter {
        scope: TraderScope::Builtin,
        ..TraderFilter::default()
    };
    assert_eq!(names(store.list_traders(&builtin).await.unwrap()), builtins);

    // What a free user sees: their own traders plus built-ins up to free.
    let visible = TraderFilter {
        scope: TraderScope::OwnerAndBuiltin(b.id),
        max_access_tier: Some(Tier::Free),
        ..TraderFilter::default()
    };
    assert_eq!(
        names(store.list_traders(&visible).await.unwrap()),
        vec!["b1", "anon.toml", "free.toml"]
    );
    let anonymous = TraderFilter {
        scope: TraderScope::Builtin,
        max_access_tier: Some(Tier::Anonymous),
        ..TraderFilter::default()
    };
    assert_eq!(
        names(store.list_traders(&anonymous).await.unwrap()),
        vec!["anon.toml"]
    );

    let disabled = TraderFilter {
        enabled: Some(false),
        ..TraderFilter::default()
    };
    assert_eq!(
        ids(store.list_traders(&disabled).await.unwrap()),
        vec![a2.id]
    );
    let hourly = TraderFilter {
        interval: Some(Interval::H1),
        ..TraderFilter::default()
    };
    assert_eq!(ids(store.list_traders(&hourly).await.unwrap()), vec![a2.id]);
    let trend = TraderFilter {
        scope: TraderScope::Owner(a.id),
        category: Some("trend".to_owned()),
        ..TraderFilter::default()
    };
    assert_eq!(ids(store.list_traders(&trend).await.unwrap()), vec![a2.id]);
    let nobody = TraderFilter {
        scope: TraderScope::Owner(b.id + 100),
        ..TraderFilter::default()
    };
    assert!(store.list_traders(&nobody).await.unwrap().is_empty());
    assert_eq!(b1.owner_id, Some(b.id));
}

pub(crate) async fn seeding_never_overwrites_edits(h: &Harness) {
    let store = h.store();
    let mut d = def("RSI bounce");
    d.access_tier = Some(Tier::Free);
    let key = "rsi-oversold-bounce.toml";
    assert_eq!(
        store.seed_builtin(key, &d).await.unwrap(),
        SeedOutcome::Inserted
    );
    assert_eq!(
        store.seed_builtin(key, &d).await.unwrap(),
        SeedOutcome::Unchanged
    );

    // A new release changes the file: the unedited built-in follows it.
    let mut v2 = d.clone();
    v2.rule = "rsi(14) < 25".to_owned();
    assert_eq!(
        store.seed_builtin(key, &v2).await.unwrap(),
        SeedOutcome::Updated
    );
    let builtin = store
        .list_traders(&TraderFilter {
            scope: TraderScope::Builtin,
            ..TraderFilter::default()
        })
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(builtin.builtin_key.as_deref(), Some(key));
    assert_eq!(builtin.def, v2);
    assert_eq!(builtin.version, 2);
    assert!(builtin.is_builtin());

    // An admin edits it: reseeding keeps the edit, whatever the file says.
    let mut edited = v2.clone();
    edited.cooldown_bars = 50;
    let after_edit = store
        .update_trader(
            builtin.id,
            TraderUpdate {
                def: edited.clone(),
                channels: vec![],
                expected_version: None,
            },
        )
        .await
        .unwrap();
    assert!(after_edit.edited_by_admin);
    for file in [&d, &v2] {
        assert_eq!(
            store.seed_builtin(key, file).await.unwrap(),
            SeedOutcome::KeptEdited
        );
    }
    assert_eq!(
        store.get_trader(builtin.id).await.unwrap().unwrap().def,
        edited
    );

    // Disabling a built-in is an edit too.
    let other = "volume-spike.toml";
    store.seed_builtin(other, &def("Volume")).await.unwrap();
    let id = store
        .list_traders(&TraderFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.builtin_key.as_deref() == Some(other))
        .unwrap()
        .id;
    store.set_trader_enabled(id, false).await.unwrap();
    assert_eq!(
        store.seed_builtin(other, &def("Volume")).await.unwrap(),
        SeedOutcome::KeptEdited
    );
    assert!(!store.get_trader(id).await.unwrap().unwrap().def.enabled);
}

pub(crate) async fn every_builtin_seeds(h: &Harness) {
    let store = h.store();
    let defs = sift_traders::builtin::all().unwrap();
    let files = sift_traders::builtin::FILES;
    for ((key, _), d) in files.iter().zip(&defs) {
        assert_eq!(
            store.seed_builtin(key, d).await.unwrap(),
            SeedOutcome::Inserted
        );
    }
    for ((key, _), d) in files.iter().zip(&defs) {
        assert_eq!(
            store.seed_builtin(key, d).await.unwrap(),
            SeedOutcome::Unchanged
        );
    }
    let stored = store
        .list_traders(&TraderFilter {
            scope: TraderScope::Builtin,
            ..TraderFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        stored.iter().map(|t| t.def.clone()).collect::<Vec<_>>(),
        defs
    );
}
