//! The benchmark's users, API tokens and traders, written to the store before the server
//! starts (so the engine compiles the traders once, as after a restart, instead of a thousand
//! hot upserts).
//!
//! One elite user per stream client, each with an API token. The traders are drawn from the
//! built-in templates ([`random_traders`]); with `--audience owners` trader `i` belongs to
//! user `i % clients`, so each client sees its own traders' signals (and the seeded
//! built-ins'); with `--audience everyone` they are built-ins every tier sees.

use std::collections::HashMap;

use anyhow::Context;
use sift_core::{Interval, Tier};
use sift_sim::Rng;
use sift_store::{NewApiToken, NewTrader, NewUser, Store};

use crate::bench::traders::{definition, random_traders};
use crate::cli::{BenchAudience, BenchServeArgs};

/// What the benchmark created.
#[derive(Debug)]
pub(super) struct Population {
    /// One API token per client, each a different user's.
    pub(super) tokens: Vec<String>,
    /// The benchmark's traders by id, with the client that owns each (`None`: a built-in every
    /// client sees).
    pub(super) owners: HashMap<i64, Option<usize>>,
}

pub(super) async fn populate(
    store: &dyn Store,
    args: &BenchServeArgs,
) -> anyhow::Result<Population> {
    // The users never log in: one hash of a random password serves them all.
    let password_hash =
        tokio::task::spawn_blocking(|| sift_store::password::hash(&sift_store::token::generate()))
            .await
            .context("hashing a password")?
            .map_err(|err| anyhow::anyhow!("hashing a password: {err}"))?;
    let mut users = Vec::with_capacity(args.clients);
    let mut tokens = Vec::with_capacity(args.clients);
    for index in 0..args.clients {
        let user = store
            .create_user(NewUser {
                email: format!("bench-{index}@example.com"),
                password_hash: password_hash.clone(),
                tier: Tier::Elite,
                is_admin: false,
            })
            .await
            .context("creating a user")?;
        let token = sift_api::auth::secret::new_api_token();
        store
            .create_api_token(NewApiToken {
                user_id: user.id,
                name: "bench".to_owned(),
                token_hash: sift_api::auth::secret::token_hash(&token),
            })
            .await
            .context("creating an API token")?;
        users.push(user.id);
        tokens.push(token);
    }

    let mut rng = Rng::stream(args.seed, u64::MAX);
    let traders = random_traders(&mut rng, args.traders, Interval::M1)?;
    let mut owners = HashMap::with_capacity(traders.len());
    for (index, trader) in traders.iter().enumerate() {
        let owner = match args.audience {
            BenchAudience::Owners => Some(index % args.clients.max(1)),
            BenchAudience::Everyone => None,
        };
        let def = definition(trader, owner.is_none().then_some(Tier::Anonymous));
        let stored = store
            .create_trader(NewTrader {
                owner_id: owner.and_then(|o| users.get(o).copied()),
                def,
                channels: Vec::new(),
            })
            .await
            .context("creating a trader")?;
        owners.insert(stored.id, owner);
    }
    Ok(Population { tokens, owners })
}
