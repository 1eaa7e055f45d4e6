//! [`Store`] for [`SqliteStore`] and [`PostgresStore`]: both forward to the shared operations
//! in [`crate::ops`], which run the same SQL on either backend.

use std::time::Duration;

use async_trait::async_trait;
use sift_core::Interval;
use sift_traders::TraderDef;

use crate::model::{
    ApiToken, Assigned, AuditEntry, Channel, CloseCommit, Delivery, DeliveryAttempt,
    DeliveryAttemptRecord, Execution, Favourite, FavouriteTarget, NewApiToken, NewAudit,
    NewChannel, NewDelivery, NewSession, NewSignal, NewTrader, NewUser, SeedOutcome, Session,
    ShardClose, Signal, SignalCursor, SignalFilter, Trader, TraderFilter, TraderUpdate, User,
    UserUpdate,
};
use crate::ops::{accounts, close, misc, notify, signals, traders};
use crate::{PostgresStore, Result, SqliteStore, Store};

/// Implements [`Store`] for a struct with a `db: Db` field by forwarding every method.
macro_rules! forward_store {
    ($store:ty) => {
        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                self.db.backend()
            }
            async fn migrate(&self) -> Result<()> {
                self.db.migrate().await
            }
            async fn ping(&self) -> Result<Duration> {
                self.db.ping().await
            }
            async fn close(&self) {
                self.db.close().await
            }

            async fn create_user(&self, user: NewUser) -> Result<User> {
                accounts::create_user(&self.db, user).await
            }
            async fn get_user(&self, id: i64) -> Result<Option<User>> {
                accounts::get_user(&self.db, id).await
            }
            async fn get_user_by_email(&self, email: &str) -> Result<Option<User>> {
                accounts::get_user_by_email(&self.db, email).await
            }
            async fn list_users(&self) -> Result<Vec<User>> {
                accounts::list_users(&self.db).await
            }
            async fn update_user(&self, id: i64, update: UserUpdate) -> Result<User> {
                accounts::update_user(&self.db, id, update).await
            }
            async fn set_password_hash(&self, id: i64, hash: &str) -> Result<()> {
                accounts::set_password_hash(&self.db, id, hash).await
            }
            async fn set_last_login(&self, id: i64, at: i64) -> Result<()> {
                accounts::set_last_login(&self.db, id, at).await
            }
            async fn delete_user(&self, id: i64) -> Result<()> {
                accounts::delete_user(&self.db, id).await
            }
            async fn count_admins(&self) -> Result<i64> {
                accounts::count_admins(&self.db).await
            }

            async fn create_session(&self, session: NewSession) -> Result<Session> {
                accounts::create_session(&self.db, session).await
            }
            async fn get_session(&self, token_hash: &str) -> Result<Option<Session>> {
                accounts::get_session(&self.db, token_hash).await
            }
            async fn touch_session(&self, token_hash: &str, now: i64, expires: i64) -> Result<()> {
                accounts::touch_session(&self.db, token_hash, now, expires).await
            }
            async fn delete_session(&self, token_hash: &str) -> Result<bool> {
                accounts::delete_session(&self.db, token_hash).await
            }
            async fn delete_user_sessions(&self, user_id: i64) -> Result<u64> {
                accounts::delete_user_sessions(&self.db, user_id).await
            }
            async fn delete_expired_sessions(&self, now: i64) -> Result<u64> {
                accounts::delete_expired_sessions(&self.db, now).await
            }

            async fn create_api_token(&self, token: NewApiToken) -> Result<ApiToken> {
                accounts::create_api_token(&self.db, token).await
            }
            async fn list_api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>> {
                accounts::list_api_tokens(&self.db, user_id).await
            }
            async fn revoke_api_token(&self, user_id: i64, id: i64) -> Result<()> {
                accounts::revoke_api_token(&self.db, user_id, id).await
            }
            async fn use_api_token(&self, hash: &str, now: i64) -> Result<Option<ApiToken>> {
                accounts::use_api_token(&self.db, hash, now).await
            }

            async fn create_trader(&self, trader: NewTrader) -> Result<Trader> {
                traders::create_trader(&self.db, trader).await
            }
            async fn get_trader(&self, id: i64) -> Result<Option<Trader>> {
                traders::get_trader(&self.db, id).await
            }
            async fn list_traders(&self, filter: &TraderFilter) -> Result<Vec<Trader>> {
                traders::list_traders(&self.db, filter).await
            }
            async fn update_trader(&self, id: i64, update: TraderUpdate) -> Result<Trader> {
                traders::update_trader(&self.db, id, update).await
            }
            async fn set_trader_enabled(&self, id: i64, enabled: bool) -> Result<Trader> {
                traders::set_trader_enabled(&self.db, id, enabled).await
            }
            async fn delete_trader(&self, id: i64) -> Result<()> {
                traders::delete_trader(&self.db, id).await
            }
            async fn count_traders_by_owner(&self, owner_id: i64) -> Result<i64> {
                traders::count_traders_by_owner(&self.db, owner_id).await
            }
            async fn seed_builtin(&self, key: &str, def: &TraderDef) -> Result<SeedOutcome> {
                traders::seed_builtin(&self.db, key, def).await
            }

            async fn insert_signals(&self, new: &[NewSignal]) -> Result<Vec<Signal>> {
                signals::insert_signals(&self.db, new).await
            }
            async fn list_signals(
                &self,
                filter: &SignalFilter,
            ) -> Result<(Vec<Signal>, Option<SignalCursor>)> {
                signals::list_signals(&self.db, filter).await
            }
            async fn get_signal(&self, id: i64) -> Result<Option<Signal>> {
                signals::get_signal(&self.db, id).await
            }
            async fn signals_after_id(
                &self,
                trader_ids: Option<&[i64]>,
                after_id: i64,
                limit: u32,
            ) -> Result<Vec<Signal>> {
                signals::signals_after_id(&self.db, trader_ids, after_id, limit).await
            }

            async fn list_executions(
                &self,
                interval: Option<Interval>,
                limit: u32,
            ) -> Result<Vec<Execution>> {
                close::list_executions(&self.db, interval, limit).await
            }
            async fn commit_instant(
                &self,
                commits: Vec<CloseCommit>,
                assigned: Assigned<'_>,
            ) -> Result<Vec<Signal>> {
                close::commit_closes(&self.db, &commits, &[], assigned).await
            }
            async fn commit_shard_closes(
                &self,
                shards: &[u32],
                commits: &[CloseCommit],
            ) -> Result<Vec<Signal>> {
                close::commit_closes(&self.db, commits, shards, &|_| {}).await
            }
            async fn shard_closes(
                &self,
                interval: Interval,
                since: i64,
            ) -> Result<Vec<ShardClose>> {
                close::shard_closes(&self.db, interval, since).await
            }
            async fn prune_shard_closes(&self, before: i64) -> Result<u64> {
                close::prune_shard_closes(&self.db, before).await
            }
            async fn close_progress(&self, interval: Interval) -> Result<Option<i64>> {
                close::close_progress(&self.db, interval).await
            }

            async fn add_favourite(&self, user_id: i64, t: &FavouriteTarget) -> Result<Favourite> {
                misc::add_favourite(&self.db, user_id, t).await
            }
            async fn remove_favourite(&self, user_id: i64, t: &FavouriteTarget) -> Result<bool> {
                misc::remove_favourite(&self.db, user_id, t).await
            }
            async fn list_favourites(&self, user_id: i64) -> Result<Vec<Favourite>> {
                misc::list_favourites(&self.db, user_id).await
            }

            async fn create_channel(&self, channel: NewChannel) -> Result<Channel> {
                notify::create_channel(&self.db, channel).await
            }
            async fn get_channel(&self, id: i64) -> Result<Option<Channel>> {
                notify::get_channel(&self.db, id).await
            }
            async fn list_channels(&self, user_id: i64) -> Result<Vec<Channel>> {
                notify::list_channels(&self.db, user_id).await
            }
            async fn set_channel_enabled(&self, user: i64, id: i64, on: bool) -> Result<Channel> {
                notify::set_channel_enabled(&self.db, user, id, on).await
            }
            async fn delete_channel(&self, user_id: i64, id: i64) -> Result<()> {
                notify::delete_channel(&self.db, user_id, id).await
            }
            async fn enqueue_delivery(&self, new: NewDelivery) -> Result<Option<Delivery>> {
                notify::enqueue_delivery(&self.db, new).await
            }
            async fn get_delivery(&self, id: i64) -> Result<Option<Delivery>> {
                notify::get_delivery(&self.db, id).await
            }
            async fn list_deliveries(&self, channel_id: i64, limit: u32) -> Result<Vec<Delivery>> {
                notify::list_deliveries(&self.db, channel_id, limit).await
            }
            async fn claim_due_deliveries(
                &self,
                now: i64,
                lease_until: i64,
                limit: u32,
            ) -> Result<Vec<Delivery>> {
                notify::claim_due_deliveries(&self.db, now, lease_until, limit).await
            }
            async fn defer_delivery(&self, id: i64, next_attempt_at: i64) -> Result<bool> {
                notify::defer_delivery(&self.db, id, next_attempt_at).await
            }
            async fn record_delivery_attempt(
                &self,
                id: i64,
                attempt: DeliveryAttempt,
            ) -> Result<Delivery> {
                notify::record_delivery_attempt(&self.db, id, attempt).await
            }
            async fn list_delivery_attempts(&self, id: i64) -> Result<Vec<DeliveryAttemptRecord>> {
                notify::list_delivery_attempts(&self.db, id).await
            }

            async fn insert_audit(&self, entry: NewAudit) -> Result<AuditEntry> {
                misc::insert_audit(&self.db, entry).await
            }
            async fn list_audit(&self, before: Option<i64>, limit: u32) -> Result<Vec<AuditEntry>> {
                misc::list_audit(&self.db, before, limit).await
            }
            async fn get_setting(&self, key: &str) -> Result<Option<String>> {
                misc::get_setting(&self.db, key).await
            }
            async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
                misc::set_setting(&self.db, key, value).await
            }
            async fn prune(&self, executions: i64, signals: i64) -> Result<(u64, u64)> {
                misc::prune(&self.db, executions, signals).await
            }
        }
    };
}

forward_store!(SqliteStore);
forward_store!(PostgresStore);
