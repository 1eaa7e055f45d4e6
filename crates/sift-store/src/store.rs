//! The [`Store`] trait: everything Sift persists, behind one object-safe async interface.
//!
//! Conventions: `get_*` answer `Ok(None)` for a missing row; updates and deletes of a missing
//! row answer [`StoreError::NotFound`](crate::StoreError::NotFound). Methods taking a `user_id`
//! next to an id only touch rows of that user (others' rows are "not found"). Methods whose
//! meaning depends on the current time take `now` (epoch ms) so callers and tests control it;
//! bookkeeping times (`created_at`, `updated_at`) are stamped from the system clock.

use std::time::Duration;

use async_trait::async_trait;
use sift_core::{Interval, Tier};
use sift_traders::TraderDef;

use crate::Result;
use crate::model::{
    ApiToken, Assigned, AuditEntry, Channel, CloseCommit, Delivery, DeliveryAttempt,
    DeliveryAttemptRecord, Execution, Favourite, FavouriteTarget, NewApiToken, NewAudit,
    NewChannel, NewDelivery, NewSession, NewSignal, NewTrader, NewUser, SeedOutcome, Session,
    ShardClose, Signal, SignalCursor, SignalFilter, Trader, TraderFilter, TraderUpdate, User,
    UserUpdate,
};

/// Sift's persistence. Implemented by [`SqliteStore`](crate::SqliteStore) and
/// [`PostgresStore`](crate::PostgresStore); used as `Arc<dyn Store>`.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    // --- lifecycle -----------------------------------------------------------------------

    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;
    /// Applies the embedded migrations that have not run yet.
    async fn migrate(&self) -> Result<()>;
    /// Round trip to the database; the latency.
    async fn ping(&self) -> Result<Duration>;
    /// Closes the pool (waits for connections in use to return).
    async fn close(&self);

    // --- users ---------------------------------------------------------------------------

    /// Conflict `users_email` when the (lower-cased) email exists.
    async fn create_user(&self, user: NewUser) -> Result<User>;
    async fn get_user(&self, id: i64) -> Result<Option<User>>;
    /// Case-insensitive.
    async fn get_user_by_email(&self, email: &str) -> Result<Option<User>>;
    /// Ordered by id.
    async fn list_users(&self) -> Result<Vec<User>>;
    async fn update_user(&self, id: i64, update: UserUpdate) -> Result<User>;
    async fn set_password_hash(&self, id: i64, password_hash: &str) -> Result<()>;
    async fn set_last_login(&self, id: i64, at: i64) -> Result<()>;
    /// Deletes the user with their sessions, tokens, traders (and their signals), favourites
    /// and channels; audit entries keep `actor_id = NULL`.
    async fn delete_user(&self, id: i64) -> Result<()>;
    async fn count_admins(&self) -> Result<i64>;

    // --- sessions ------------------------------------------------------------------------

    async fn create_session(&self, session: NewSession) -> Result<Session>;
    /// The session, also when expired (the caller compares `expires_at`).
    async fn get_session(&self, token_hash: &str) -> Result<Option<Session>>;
    /// Sets `last_seen_at = now` and `expires_at`.
    async fn touch_session(&self, token_hash: &str, now: i64, expires_at: i64) -> Result<()>;
    /// Whether a session was deleted.
    async fn delete_session(&self, token_hash: &str) -> Result<bool>;
    /// Deletes every session of a user (logout everywhere, password change); how many.
    async fn delete_user_sessions(&self, user_id: i64) -> Result<u64>;
    /// Deletes sessions with `expires_at <= now`; how many.
    async fn delete_expired_sessions(&self, now: i64) -> Result<u64>;

    // --- API tokens ----------------------------------------------------------------------

    async fn create_api_token(&self, token: NewApiToken) -> Result<ApiToken>;
    /// Ordered by id.
    async fn list_api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>>;
    /// Deletes the user's token; NotFound when it is not theirs.
    async fn revoke_api_token(&self, user_id: i64, id: i64) -> Result<()>;
    /// Finds a token by hash and sets its `last_used_at = now` when that is unset or a minute
    /// or more old (so frequent use does not write on every call).
    async fn use_api_token(&self, token_hash: &str, now: i64) -> Result<Option<ApiToken>>;

    // --- traders -------------------------------------------------------------------------

    async fn create_trader(&self, trader: NewTrader) -> Result<Trader>;
    async fn get_trader(&self, id: i64) -> Result<Option<Trader>>;
    async fn list_traders(&self, filter: &TraderFilter) -> Result<Vec<Trader>>;
    /// Replaces definition and channels, increments `version`; marks a built-in as edited by
    /// an admin so reseeding keeps it.
    async fn update_trader(&self, id: i64, update: TraderUpdate) -> Result<Trader>;
    /// Enables or disables (a built-in counts as edited); increments `version`.
    async fn set_trader_enabled(&self, id: i64, enabled: bool) -> Result<Trader>;
    /// Deletes the trader with its signals, deliveries and favourites.
    async fn delete_trader(&self, id: i64) -> Result<()>;
    /// How many traders a user owns (for the quota).
    async fn count_traders_by_owner(&self, owner_id: i64) -> Result<i64>;
    /// Inserts the built-in `key` when missing, updates it when it differs and no admin
    /// edited it, otherwise leaves it.
    async fn seed_builtin(&self, key: &str, def: &TraderDef) -> Result<SeedOutcome>;

    // --- signals -------------------------------------------------------------------------

    /// Inserts signals, silently skipping those whose (trader, symbol, interval, open_time)
    /// exists; answers the newly inserted ones ordered by id.
    async fn insert_signals(&self, signals: &[NewSignal]) -> Result<Vec<Signal>>;
    /// One page and the cursor of the next page (`None` on the last page).
    async fn list_signals(
        &self,
        filter: &SignalFilter,
    ) -> Result<(Vec<Signal>, Option<SignalCursor>)>;
    async fn get_signal(&self, id: i64) -> Result<Option<Signal>>;
    /// Signals with `id > after_id` of these traders (`None` = all), oldest first; for SSE
    /// `Last-Event-ID` catch-up.
    async fn signals_after_id(
        &self,
        trader_ids: Option<&[i64]>,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<Signal>>;

    // --- executions and close processing -------------------------------------------------

    /// Newest first, optionally of one interval.
    async fn list_executions(
        &self,
        interval: Option<Interval>,
        limit: u32,
    ) -> Result<Vec<Execution>>;
    /// In one transaction: inserts the signals (skipping duplicates), the execution row (its
    /// `signals` = newly inserted count), a pending delivery per outbox entry whose signal is
    /// newly inserted, and advances `close_progress(interval)` to the execution's `open_time`
    /// (never backwards). All or nothing. Answers the newly inserted signals by id.
    async fn commit_close(&self, commit: CloseCommit) -> Result<Vec<Signal>> {
        self.commit_instant(vec![commit], &|_| {}).await
    }
    /// As [`commit_close`](Self::commit_close) for the closes of one instant (of several
    /// intervals) in one transaction, telling `assigned` the new signals as soon as they have
    /// their ids, before they are written: the caller can show them while they commit. When
    /// the commit then fails, what `assigned` was told is not stored.
    async fn commit_instant(
        &self,
        commits: Vec<CloseCommit>,
        assigned: Assigned<'_>,
    ) -> Result<Vec<Signal>>;
    /// The open time of the last committed close of `interval`.
    async fn close_progress(&self, interval: Interval) -> Result<Option<i64>>;
    /// As [`commit_instant`](Self::commit_instant) (without `assigned`), but records in the
    /// same transaction that each cluster shard of `shards` committed these closes
    /// (`shard_closes`, once per shard and close: the cluster's progress, so a worker can find
    /// closes that were published but never committed) and leaves `close_progress` alone.
    async fn commit_shard_closes(
        &self,
        shards: &[u32],
        commits: &[CloseCommit],
    ) -> Result<Vec<Signal>>;
    /// The closes of `interval` that [`commit_shard_closes`](Self::commit_shard_closes) recorded,
    /// opening at or after `since`, ordered by shard then open time.
    async fn shard_closes(&self, interval: Interval, since: i64) -> Result<Vec<ShardClose>>;
    /// Deletes the shard records committed before `before` (epoch ms); how many.
    async fn prune_shard_closes(&self, before: i64) -> Result<u64>;

    // --- favourites ----------------------------------------------------------------------

    /// Adds (or returns the existing) favourite.
    async fn add_favourite(&self, user_id: i64, target: &FavouriteTarget) -> Result<Favourite>;
    /// Whether one was removed.
    async fn remove_favourite(&self, user_id: i64, target: &FavouriteTarget) -> Result<bool>;
    /// Ordered by id.
    async fn list_favourites(&self, user_id: i64) -> Result<Vec<Favourite>>;

    // --- notification channels and deliveries --------------------------------------------

    async fn create_channel(&self, channel: NewChannel) -> Result<Channel>;
    async fn get_channel(&self, id: i64) -> Result<Option<Channel>>;
    /// Ordered by id.
    async fn list_channels(&self, user_id: i64) -> Result<Vec<Channel>>;
    async fn set_channel_enabled(&self, user_id: i64, id: i64, enabled: bool) -> Result<Channel>;
    /// Deletes the user's channel and its deliveries.
    async fn delete_channel(&self, user_id: i64, id: i64) -> Result<()>;
    /// Queues a delivery; `None` when its idempotency key exists.
    async fn enqueue_delivery(&self, delivery: NewDelivery) -> Result<Option<Delivery>>;
    async fn get_delivery(&self, id: i64) -> Result<Option<Delivery>>;
    /// Newest first.
    async fn list_deliveries(&self, channel_id: i64, limit: u32) -> Result<Vec<Delivery>>;
    /// Claims up to `limit` pending deliveries due at `now` (oldest due first) by moving their
    /// `next_attempt_at` to `lease_until`, so no other dispatcher claims them meanwhile; a
    /// crashed dispatcher's claims become due again then.
    async fn claim_due_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<Delivery>>;
    /// Moves a pending delivery's `next_attempt_at` without counting an attempt (a claim given
    /// back, or held by a rate limit); whether it was pending.
    async fn defer_delivery(&self, id: i64, next_attempt_at: i64) -> Result<bool>;
    /// Records one attempt (attempts + 1, last status/error/latency, the outcome) and logs it.
    async fn record_delivery_attempt(&self, id: i64, attempt: DeliveryAttempt) -> Result<Delivery>;
    /// Oldest first.
    async fn list_delivery_attempts(&self, delivery_id: i64) -> Result<Vec<DeliveryAttemptRecord>>;

    // --- audit, settings, retention ------------------------------------------------------

    async fn insert_audit(&self, entry: NewAudit) -> Result<AuditEntry>;
    /// Newest first; `before_id` pages back.
    async fn list_audit(&self, before_id: Option<i64>, limit: u32) -> Result<Vec<AuditEntry>>;
    async fn get_setting(&self, key: &str) -> Result<Option<String>>;
    async fn set_setting(&self, key: &str, value: &str) -> Result<()>;
    /// Deletes executions with `created_at < executions_before`, signals of candles that
    /// opened before `signals_before` (both epoch ms, with their deliveries) and test
    /// deliveries created before `signals_before`, in batches;
    /// answers (executions, signals) deleted.
    async fn prune(&self, executions_before: i64, signals_before: i64) -> Result<(u64, u64)>;
}

/// The settings key of the global execution switch (`"true"` when paused).
pub const SETTING_PAUSED: &str = "paused";

/// Whether `tier` may see a built-in trader of `access_tier` (none counts as anonymous).
pub fn tier_allows(tier: Tier, access_tier: Option<Tier>) -> bool {
    access_tier.unwrap_or(Tier::Anonymous) <= tier
}
