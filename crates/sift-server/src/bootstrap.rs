//! What `serve` does to the store before it starts: the first admin, the built-in traders,
//! the execution switch.

use std::collections::BTreeMap;

use anyhow::Context;
use sift_api::AdminOutcome;
use sift_core::Tier;
use sift_store::{SETTING_PAUSED, SeedOutcome, Store};
use tracing::info;

/// Creates or promotes the admin named by `SIFT_ADMIN_EMAIL` and `SIFT_ADMIN_PASSWORD` when
/// both are set. The password is never logged.
///
/// # Errors
/// An invalid email or password, or a store failure.
pub async fn admin_from_env(
    store: &dyn Store,
    env: &BTreeMap<String, String>,
) -> anyhow::Result<()> {
    let (Some(email), Some(password)) =
        (env.get("SIFT_ADMIN_EMAIL"), env.get("SIFT_ADMIN_PASSWORD"))
    else {
        return Ok(());
    };
    let outcome = sift_api::ensure_admin(store, email, password)
        .await
        .context("SIFT_ADMIN_EMAIL/SIFT_ADMIN_PASSWORD")?;
    match outcome {
        AdminOutcome::Created => info!(email = %email, "admin created"),
        AdminOutcome::Promoted => info!(email = %email, "user promoted to admin"),
        AdminOutcome::Unchanged => {}
    }
    Ok(())
}

/// Inserts the built-in traders that are missing and updates those no admin has edited.
///
/// # Errors
/// A broken built-in file (a bug caught by the tests) or a store failure.
pub async fn seed_builtins(store: &dyn Store) -> anyhow::Result<()> {
    let mut inserted = 0;
    for (key, def) in sift_traders::builtin::keyed().context("reading the built-in traders")? {
        if store.seed_builtin(&key, &def).await? == SeedOutcome::Inserted {
            inserted += 1;
        }
    }
    if inserted > 0 {
        info!(inserted, "built-in traders seeded");
    }
    Ok(())
}

/// Whether an admin paused all evaluation (the switch survives restarts).
///
/// # Errors
/// A store failure.
pub async fn paused(store: &dyn Store) -> anyhow::Result<bool> {
    Ok(store.get_setting(SETTING_PAUSED).await?.as_deref() == Some("true"))
}

/// `sift user create`: a new account of `tier`, or (with `admin`) an admin account created or
/// promoted as by the environment bootstrap.
///
/// # Errors
/// An invalid email or password, an email in use, or a store failure.
pub async fn create_user(
    store: &dyn Store,
    email: &str,
    password: &str,
    tier: Tier,
    admin: bool,
) -> anyhow::Result<()> {
    if admin {
        sift_api::ensure_admin(store, email, password).await?;
    } else {
        sift_api::create_account(store, email, password, tier, false).await?;
    }
    Ok(())
}
