//! Users, sessions and API tokens.

use sift_core::Tier;
use sift_store::{NewApiToken, NewSession, NewUser, SignalFilter, StoreError, UserUpdate, token};

use super::harness::Harness;
use super::{signal, trader, user};

pub(crate) async fn users_are_unique_case_insensitively(h: &Harness) {
    let store = h.store();
    let alice = user(store, "  Alice@Example.COM ").await;
    assert_eq!(alice.email, "alice@example.com");
    assert_eq!(alice.tier, Tier::Free);
    assert!(!alice.is_admin && alice.last_login_at.is_none());

    let again = store
        .create_user(NewUser {
            email: "ALICE@example.com".to_owned(),
            password_hash: "h".to_owned(),
            tier: Tier::Pro,
            is_admin: true,
        })
        .await
        .unwrap_err();
    assert!(again.is_conflict_on("users_email"), "{again:?}");

    let found = store.get_user_by_email("aLiCe@EXAMPLE.com").await.unwrap();
    assert_eq!(found.as_ref(), Some(&alice));
    assert_eq!(store.get_user(alice.id).await.unwrap(), Some(alice.clone()));
    assert_eq!(store.get_user(alice.id + 1000).await.unwrap(), None);
    assert_eq!(
        store.get_user_by_email("bob@example.com").await.unwrap(),
        None
    );

    let bob = user(store, "bob@example.com").await;
    let all = store.list_users().await.unwrap();
    assert_eq!(
        all.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![alice.id, bob.id]
    );

    // The API serializes users: never the hash.
    let json = serde_json::to_value(&alice).unwrap();
    assert!(json.get("password_hash").is_none());
    assert_eq!(json["tier"], "free");
}

pub(crate) async fn user_updates_and_deletes(h: &Harness) {
    let store = h.store();
    let u = user(store, "carol@example.com").await;
    assert_eq!(store.count_admins().await.unwrap(), 0);

    let updated = store
        .update_user(
            u.id,
            UserUpdate {
                tier: Some(Tier::Elite),
                is_admin: None,
            },
        )
        .await
        .unwrap();
    assert_eq!((updated.tier, updated.is_admin), (Tier::Elite, false));
    let updated = store
        .update_user(
            u.id,
            UserUpdate {
                tier: None,
                is_admin: Some(true),
            },
        )
        .await
        .unwrap();
    assert_eq!((updated.tier, updated.is_admin), (Tier::Elite, true));
    assert_eq!(store.count_admins().await.unwrap(), 1);
    let unchanged = store
        .update_user(u.id, UserUpdate::default())
        .await
        .unwrap();
    assert_eq!(unchanged, updated);

    store.set_last_login(u.id, 1_700_000_000_000).await.unwrap();
    store
        .set_password_hash(u.id, "$argon2id$new")
        .await
        .unwrap();
    let reread = store.get_user(u.id).await.unwrap().unwrap();
    assert_eq!(reread.last_login_at, Some(1_700_000_000_000));
    assert_eq!(reread.password_hash, "$argon2id$new");

    let missing = 9_999_999;
    assert!(matches!(
        store.update_user(missing, UserUpdate::default()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.set_last_login(missing, 1).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.set_password_hash(missing, "x").await,
        Err(StoreError::NotFound)
    ));

    // Deleting a user takes their sessions, tokens, traders and signals along.
    let t = trader(store, Some(u.id), "mine").await;
    let theirs = trader(store, None, "theirs").await;
    store
        .insert_signals(&[
            signal(t.id, "BTCUSDT", 60_000),
            signal(theirs.id, "BTCUSDT", 60_000),
        ])
        .await
        .unwrap();
    store
        .create_session(NewSession {
            token_hash: token::hash("s"),
            user_id: u.id,
            csrf_token: "c".to_owned(),
            expires_at: i64::MAX,
        })
        .await
        .unwrap();
    store
        .create_api_token(NewApiToken {
            user_id: u.id,
            name: "n".to_owned(),
            token_hash: token::hash("t"),
        })
        .await
        .unwrap();
    store.delete_user(u.id).await.unwrap();
    assert!(store.get_user(u.id).await.unwrap().is_none());
    assert!(store.get_trader(t.id).await.unwrap().is_none());
    let (left, _) = store
        .list_signals(&SignalFilter {
            limit: 10,
            ..SignalFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        left.iter().map(|s| s.trader_id).collect::<Vec<_>>(),
        [theirs.id]
    );
    assert!(
        store
            .get_session(&token::hash("s"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .use_api_token(&token::hash("t"), 1)
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        store.delete_user(u.id).await,
        Err(StoreError::NotFound)
    ));
}

pub(crate) async fn sessions_lifecycle(h: &Harness) {
    let store = h.store();
    let u = user(store, "dave@example.com").await;
    let raw = token::generate();
    let hash = token::hash(&raw);
    let session = store
        .create_session(NewSession {
            token_hash: hash.clone(),
            user_id: u.id,
            csrf_token: "csrf-1".to_owned(),
            expires_at: 2_000,
        })
        .await
        .unwrap();
    assert_eq!(session.user_id, u.id);
    assert_eq!(session.expires_at, 2_000);
    assert_eq!(
        store.get_session(&hash).await.unwrap(),
        Some(session.clone())
    );
    // Only the hash is a key: the raw token finds nothing.
    assert!(store.get_session(&raw).await.unwrap().is_none());

    store.touch_session(&hash, 1_500, 5_000).await.unwrap();
    let touched = store.get_session(&hash).await.unwrap().unwrap();
    assert_eq!((touched.last_seen_at, touched.expires_at), (1_500, 5_000));
    assert!(matches!(
        store.touch_session("nope", 1, 2).await,
        Err(StoreError::NotFound)
    ));

    for (i, expires) in [(1, 100), (2, 200), (3, 10_000)] {
        store
            .create_session(NewSession {
                token_hash: token::hash(&format!("other-{i}")),
                user_id: u.id,
                csrf_token: format!("c{i}"),
                expires_at: expires,
            })
            .await
            .unwrap();
    }
    assert_eq!(store.delete_expired_sessions(200).await.unwrap(), 2);
    assert!(store.delete_session(&hash).await.unwrap());
    assert!(!store.delete_session(&hash).await.unwrap());
    assert_eq!(store.delete_user_sessions(u.id).await.unwrap(), 1);

    let orphan = store
        .create_session(NewSession {
            token_hash: "x".to_owned(),
            user_id: 123_456,
            csrf_token: "c".to_owned(),
            expires_at: 1,
        })
        .await
        .unwrap_err();
    assert!(orphan.is_conflict_on("foreign_key"), "{orphan:?}");
}

pub(crate) async fn api_tokens_lifecycle(h: &Harness) {
    let store = h.store();
    let u = user(store, "erin@example.com").await;
    let other = user(store, "frank@example.com").await;
    let raw = token::generate();
    let created = store
        .create_api_token(NewApiToken {
            user_id: u.id,
            name: "script".to_owned(),
            token_hash: token::hash(&raw),
        })
        .await
        .unwrap();
    assert!(created.last_used_at.is_none());
    assert!(
        serde_json::to_value(&created)
            .unwrap()
            .get("token_hash")
            .is_none()
    );

    let dup = store
        .create_api_token(NewApiToken {
            user_id: other.id,
            name: "copy".to_owned(),
            token_hash: token::hash(&raw),
        })
        .await
        .unwrap_err();
    assert!(dup.is_conflict_on("api_tokens_token_hash"), "{dup:?}");

    let used = store
        .use_api_token(&token::hash(&raw), 77)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((used.id, used.last_used_at), (created.id, Some(77)));
    // Within a minute of the last recorded use nothing is written; a minute later it is.
    let again = store
        .use_api_token(&token::hash(&raw), 59_000)
        .await
        .unwrap();
    assert_eq!(again.unwrap().last_used_at, Some(77));
    let later = store
        .use_api_token(&token::hash(&raw), 60_077)
        .await
        .unwrap();
    assert_eq!(later.unwrap().last_used_at, Some(60_077));
    let listed = store.list_api_tokens(u.id).await.unwrap();
    assert_eq!(listed[0].last_used_at, Some(60_077));
    assert!(store.use_api_token("unknown", 1).await.unwrap().is_none());

    let second = store
        .create_api_token(NewApiToken {
            user_id: u.id,
            name: "second".to_owned(),
            token_hash: token::hash("second"),
        })
        .await
        .unwrap();
    let listed = store.list_api_tokens(u.id).await.unwrap();
    assert_eq!(
        listed.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![created.id, second.id]
    );
    assert!(store.list_api_tokens(other.id).await.unwrap().is_empty());

    // Someone else's token is "not found".
    assert!(matches!(
        store.revoke_api_token(other.id, created.id).await,
        Err(StoreError::NotFound)
    ));
    store.revoke_api_token(u.id, created.id).await.unwrap();
    assert!(
        store
            .use_api_token(&token::hash(&raw), 2)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.list_api_tokens(u.id).await.unwrap().len(), 1);
}
