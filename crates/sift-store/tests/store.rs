//! The behavioural suite of `suite/`, run against SQLite (a temporary file) and PostgreSQL
//! (a fresh database per test on `SIFT_TEST_DATABASE_URL` or the local server).

// `cfg(test)` marks the suite as test code for clippy (unwrap allowed, as in `#[test]`s).
#[cfg(test)]
mod suite;

/// One `#[tokio::test]` per suite function, each with a harness of its own.
macro_rules! store_suite {
    ($harness:path; $($module:ident :: $name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let harness = $harness().await;
                crate::suite::$module::$name(&harness).await;
                harness.cleanup().await;
            }
        )*
    };
}

macro_rules! every_test {
    ($harness:path) => {
        store_suite!($harness;
            accounts::users_are_unique_case_insensitively,
            accounts::user_updates_and_deletes,
            accounts::sessions_lifecycle,
            accounts::api_tokens_lifecycle,
            traders::trader_crud_and_versions,
            traders::trader_filters,
            traders::seeding_never_overwrites_edits,
            traders::every_builtin_seeds,
            signals::insert_skips_duplicates,
            signals::list_filters,
            signals::cursor_pages_have_no_gaps_or_duplicates,
            signals::catch_up_after_id,
            close::commit_close_writes_everything_once,
            close::commit_close_is_all_or_nothing,
            close::commit_instant_tells_the_new_signals_once,
            close::a_trader_deleted_while_its_signals_commit_keeps_none,
            close::a_close_committed_twice_at_once_is_stored_once,
            close::parallel_commits_of_one_close_never_duplicate,
            close::progress_never_goes_back,
            close::shard_closes_are_recorded_with_the_commit,
            notify::channels_lifecycle,
            notify::deliveries_claim_retry_and_log,
            notify::parallel_claims_never_share_a_delivery,
            notify::deferring_moves_only_pending_deliveries,
            misc::favourites,
            misc::audit_and_settings,
            misc::retention_prunes_old_rows,
            misc::hostile_strings_round_trip,
            misc::lifecycle_and_errors,
        );
    };
}

mod sqlite {
    every_test!(crate::suite::harness::sqlite);
}

mod postgres {
    every_test!(crate::suite::harness::postgres);
}

/// `open` picks the backend from the location and migrates.
#[cfg(test)]
mod open {
    use sift_store::{NewUser, StoreError};

    async fn smoke(location: &str) -> &'static str {
        let store = sift_store::open(location).await.unwrap();
        let user = store
            .create_user(NewUser {
                email: "Smoke@Example.com".to_owned(),
                password_hash: "h".to_owned(),
                tier: sift_core::Tier::Free,
                is_admin: true,
            })
            .await
            .unwrap();
        assert_eq!(store.count_admins().await.unwrap(), 1);
        assert_eq!(
            store.get_user(user.id).await.unwrap().unwrap().email,
            "smoke@example.com"
        );
        let backend = store.backend();
        store.close().await;
        backend
    }

    #[tokio::test]
    async fn sqlite_locations() {
        assert_eq!(smoke("sqlite::memory:").await, "sqlite");
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a").join("b").join("sift.db");
        assert_eq!(smoke(nested.to_str().unwrap()).await, "sqlite");
        assert!(nested.exists());
        let url = format!(
            "sqlite://{}",
            dir.path().join("c").join("sift.db").display()
        );
        assert_eq!(smoke(&url).await, "sqlite");
        // The data survives reopening.
        let store = sift_store::open(nested.to_str().unwrap()).await.unwrap();
        assert_eq!(store.list_users().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn postgres_url() {
        let db = sift_test_support::postgres::test_database().await.unwrap();
        assert!(sift_store::is_postgres_url(db.url()));
        assert_eq!(smoke(db.url()).await, "postgres");
        db.cleanup().await.unwrap();
    }

    #[tokio::test]
    async fn unreachable_postgres_is_unavailable() {
        // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
        let err = sift_store::open("postgres://postgres@127.0.0.1:9/none")
            .await
            .unwrap_err();
        assert!(err.is_transient(), "{err:?}");
        assert!(matches!(
            sift_store::open("postgres://[bad").await,
            Err(StoreError::Config(_))
        ));
    }
}
