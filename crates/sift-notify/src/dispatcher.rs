//! The dispatcher: claims due deliveries from the outbox and hands each to its channel's
//! worker, which sends them one at a time, paced by the channel's rate limit and any
//! `Retry-After`, and records every attempt.
//!
//! ```text
//! claim loop ──(claim_due_deliveries: lease)──► per-channel queue ──► channel worker
//!     every poll_interval, at once again                     (bounded)   rate limit, send,
//!     when a batch was full                                              record_delivery_attempt
//! ```
//!
//! A claim reserves a delivery until its lease ends, so a crashed dispatcher's deliveries
//! become due again then (at-least-once; receivers drop repeats by the idempotency key). A
//! delivery the receiver acknowledged is recorded `sent` and never claimed again. Each channel
//! has its own worker and queue: a slow or dead endpoint holds up only its own channel.
//! Shutdown: waits stop, sends in flight finish (within the request timeout) and are
//! recorded, queued deliveries are given back (due at once for the next dispatcher).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use sift_store::{AttemptOutcome, Delivery, DeliveryAttempt, Store};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::channel::ChannelTarget;
use crate::config::NotifyConfig;
use crate::error::NotifyError;
use crate::http::Http;
use crate::load::{Prepared, Sources, prepare};
use crate::pace::{Bucket, backoff};
use crate::sealed::SecretKey;
use crate::send::{Attempt, Verdict, attempt};

/// Deliveries waiting in one channel's queue; more stay in the outbox (given back) until
/// the worker catches up. A channel sends at most `rate_limit_per_minute` a minute anyway.
const CHANNEL_QUEUE: usize = 64;
/// A channel worker with nothing to do for this long ends (a new one starts on demand).
const WORKER_IDLE: Duration = Duration::from_secs(60);

/// The running dispatcher. Stop it by cancelling its token, then [`Dispatcher::join`].
#[derive(Debug)]
pub struct Dispatcher {
    task: Option<JoinHandle<()>>,
}

/// What every task of the dispatcher shares.
#[derive(Debug)]
struct Ctx {
    store: Arc<dyn Store>,
    config: Arc<NotifyConfig>,
    /// Opens the channels' sealed secrets.
    key: SecretKey,
    http: Http,
    /// Deliveries handed to a worker and not yet done with. Never held across an await.
    in_flight: Mutex<HashSet<i64>>,
}

impl Dispatcher {
    /// Starts dispatching from `store` until `cancel` fires (nothing when `config.enabled` is
    /// false); channel secrets are opened with `key` (see [`SecretKey::resolve`]).
    ///
    /// # Errors
    /// An invalid configuration, or an HTTP client that cannot be built.
    pub fn spawn(
        store: Arc<dyn Store>,
        config: NotifyConfig,
        key: SecretKey,
        cancel: CancellationToken,
    ) -> Result<Self, NotifyError> {
        config.validate()?;
        if !config.enabled {
            info!("notifications disabled");
            return Ok(Self { task: None });
        }
        let config = Arc::new(config);
        let ctx = Arc::new(Ctx {
            store,
            key,
            http: Http::new(Arc::clone(&config))?,
            config,
            in_flight: Mutex::new(HashSet::new()),
        });
        Ok(Self {
            task: Some(tokio::spawn(run(ctx, cancel))),
        })
    }

    /// Waits until the dispatcher has stopped (after its token fired): sends in flight are
    /// finished and recorded.
    pub async fn join(self) {
        if let Some(task) = self.task {
            if let Err(err) = task.await {
                warn!(error = %err, "the notification dispatcher panicked");
            }
        }
    }

    /// Stops at once, dropping sends in flight without recording them: what a crash does
    /// (their claims come back when the lease ends). For tests of recovery.
    pub async fn abort(self) {
        if let Some(task) = self.task {
            task.abort();
            let _ = task.await;
        }
    }
}

async fn run(ctx: Arc<Ctx>, cancel: CancellationToken) {
    info!("notification dispatcher started");
    let mut workers: HashMap<i64, mpsc::Sender<Delivery>> = HashMap::new();
    let mut tasks = JoinSet::new();
    loop {
        let again = claim_round(&ctx, &mut workers, &mut tasks, &cancel).await;
        while let Some(done) = tasks.try_join_next() {
            if let Err(err) = done {
                warn!(error = %err, "a channel worker panicked");
            }
        }
        workers.retain(|_, tx| !tx.is_closed());
        if cancel.is_cancelled() {
            break;
        }
        if !again {
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(ctx.config.poll_interval()) => {}
            }
        }
    }
    drop(workers);
    while let Some(done) = tasks.join_next().await {
        if let Err(err) = done {
            warn!(error = %err, "a channel worker panicked");
        }
    }
    info!("notification dispatcher stopped");
}

/// Claims one batch and queues it; whether to claim again at once (a full batch was taken).
async fn claim_round(
    ctx: &Arc<Ctx>,
    workers: &mut HashMap<i64, mpsc::Sender<Delivery>>,
    tasks: &mut JoinSet<()>,
    cancel: &CancellationToken,
) -> bool {
    let now = now_ms();
    let lease_until = now.saturating_add(ms(ctx.config.claim_lease_ms));
    let batch = ctx.config.batch_size;
    let claimed = match ctx
        .store
        .claim_due_deliveries(now, lease_until, batch)
        .await
    {
        Ok(claimed) => claimed,
        Err(err) => {
            warn!(error = %err, "claiming deliveries failed");
            return false;
        }
    };
    let full = claimed.len() >= batch as usize;
    let mut queued = 0usize;
    for delivery in claimed {
        // Already queued here (its lease ran out while waiting): the claim just renewed it.
        if !ctx.in_flight.lock().insert(delivery.id) {
            continue;
        }
        let (id, channel_id) = (delivery.id, delivery.channel_id);
        let delivery = match workers.get(&channel_id) {
            Some(tx) => match tx.try_send(delivery) {
                Ok(()) => {
                    queued += 1;
                    continue;
                }
                Err(TrySendError::Full(_)) => {
                    give_back(ctx, id, now.saturating_add(queue_drain_ms(&ctx.config))).await;
                    continue;
                }
                // The worker ended (idle): start another.
                Err(TrySendError::Closed(delivery)) => delivery,
            },
            None => delivery,
        };
        let (tx, rx) = mpsc::channel(CHANNEL_QUEUE);
        if tx.try_send(delivery).is_ok() {
            queued += 1;
        }
        tasks.spawn(worker(Arc::clone(ctx), rx, cancel.clone()));
        workers.insert(channel_id, tx);
    }
    metrics::gauge!("sift_notify_in_flight").set(ctx.in_flight.lock().len() as f64);
    full && queued > 0
}

/// About how long a full channel queue takes to drain at the channel's rate limit (at least a
/// poll interval): when a delivery given back for a full queue is due again.
fn queue_drain_ms(config: &NotifyConfig) -> i64 {
    let per_message = 60_000 / u64::from(config.rate_limit_per_minute.max(1));
    ms(per_message
        .saturating_mul(CHANNEL_QUEUE as u64)
        .max(config.poll_interval_ms))
}

/// Gives a claimed delivery back to the outbox, due at `at`, without counting an attempt.
async fn give_back(ctx: &Ctx, id: i64, at: i64) {
    if let Err(err) = ctx.store.defer_delivery(id, at).await {
        // Its lease runs out anyway.
        warn!(delivery = id, error = %err, "giving back a delivery failed");
    }
    ctx.in_flight.lock().remove(&id);
}

/// One channel's worker: its deliveries one at a time.
async fn worker(ctx: Arc<Ctx>, mut rx: mpsc::Receiver<Delivery>, cancel: CancellationToken) {
    let mut pace = Pace {
        bucket: Bucket::new(ctx.config.rate_limit_per_minute, Instant::now()),
        blocked_until: None,
    };
    loop {
        let next = tokio::select! {
            biased;
            () = cancel.cancelled() => None,
            next = tokio::time::timeout(WORKER_IDLE, rx.recv()) => next.ok().flatten(),
        };
        let Some(delivery) = next else { break };
        let id = delivery.id;
        handle(&ctx, &mut pace, delivery, &cancel).await;
        ctx.in_flight.lock().remove(&id);
    }
    rx.close();
    let now = now_ms();
    while let Ok(delivery) = rx.try_recv() {
        give_back(&ctx, delivery.id, now).await;
    }
}

/// A channel's pacing state.
#[derive(Debug)]
struct Pace {
    bucket: Bucket,
    /// Until when the receiver asked us to wait (429).
    blocked_until: Option<Instant>,
}

async fn handle(ctx: &Ctx, pace: &mut Pace, delivery: Delivery, cancel: &CancellationToken) {
    let now = Instant::now();
    let blocked = pace
        .blocked_until
        .map_or(Duration::ZERO, |until| until.saturating_duration_since(now));
    let wait = blocked.max(pace.bucket.wait(now));
    if !wait.is_zero() {
        // The claim's lease must outlast the wait and the send, or another claim could race us.
        let lease_left = delivery.next_attempt_at - now_ms() - ms(ctx.config.request_timeout_ms);
        if ms_of(wait) >= lease_left {
            give_back(ctx, delivery.id, now_ms().saturating_add(ms_of(wait))).await;
            return;
        }
        tokio::select! {
            () = cancel.cancelled() => {
                give_back(ctx, delivery.id, now_ms()).await;
                return;
            }
            () = tokio::time::sleep(wait) => {}
        }
    }
    pace.bucket.take(Instant::now());
    let sources = Sources {
        store: ctx.store.as_ref(),
        public_base: ctx.config.public_base(),
        key: &ctx.key,
    };
    let prepared = match prepare(sources, &delivery).await {
        Ok(prepared) => prepared,
        Err(err) => {
            // Its lease runs out and it is claimed again.
            warn!(delivery = delivery.id, error = %err, "loading a delivery failed");
            return;
        }
    };
    let result = match prepared {
        Prepared::Gone => return,
        Prepared::Fail(error) => Attempt {
            verdict: Verdict::Permanent,
            status_code: None,
            error: Some(error),
            latency: Duration::ZERO,
        },
        Prepared::Retry(error) => Attempt {
            verdict: Verdict::Retry { retry_after: None },
            status_code: None,
            error: Some(error),
            latency: Duration::ZERO,
        },
        Prepared::Send {
            target,
            secret,
            notification,
        } => {
            let now_secs = now_ms() / 1000;
            let telegram = &ctx.config.telegram_api_url;
            let result = attempt(
                &ctx.http,
                &target,
                secret.as_deref(),
                telegram,
                &notification,
                now_secs,
            )
            .await;
            let kind = target_kind(&target);
            metrics::counter!("sift_notify_attempts_total", "kind" => kind,
                "verdict" => verdict_name(&result.verdict))
            .increment(1);
            metrics::histogram!("sift_notify_latency_seconds", "kind" => kind)
                .record(result.latency.as_secs_f64());
            result
        }
    };
    if let Verdict::Retry {
        retry_after: Some(after),
    } = result.verdict
    {
        let capped = after.min(Duration::from_millis(ctx.config.retry_after_cap_ms));
        pace.blocked_until = Some(Instant::now() + capped);
    }
    record(ctx, &delivery, &result).await;
}

/// The attempt's outcome in the store: sent, failed, or retried after the backoff (or the
/// receiver's `Retry-After`, when longer) while attempts remain.
async fn record(ctx: &Ctx, delivery: &Delivery, result: &Attempt) {
    let attempts = u32::try_from(delivery.attempts.saturating_add(1)).unwrap_or(u32::MAX);
    let config = &ctx.config;
    let outcome = match &result.verdict {
        Verdict::Sent => AttemptOutcome::Sent,
        Verdict::Permanent => AttemptOutcome::Failed,
        Verdict::Retry { .. } if attempts >= config.max_attempts => AttemptOutcome::Failed,
        Verdict::Retry { retry_after } => {
            let delay = backoff(config.backoff_base_ms, config.backoff_cap_ms, attempts);
            let asked = retry_after
                .unwrap_or_default()
                .min(Duration::from_millis(config.retry_after_cap_ms));
            AttemptOutcome::Retry {
                next_attempt_at: now_ms().saturating_add(ms_of(delay.max(asked))),
            }
        }
    };
    debug!(delivery = delivery.id, channel = delivery.channel_id, attempts,
        status = ?result.status_code, outcome = ?outcome, "delivery attempt");
    let entry = DeliveryAttempt {
        outcome,
        status_code: result.status_code.map(i64::from),
        error: result.error.clone(),
        latency_ms: ms_of(result.latency),
        at: now_ms(),
    };
    if let Err(err) = ctx.store.record_delivery_attempt(delivery.id, entry).await {
        // Its lease runs out and it is sent again: at-least-once, deduplicated by the key.
        warn!(delivery = delivery.id, error = %err, "recording a delivery attempt failed");
    }
}

fn target_kind(target: &ChannelTarget) -> &'static str {
    match target {
        ChannelTarget::Webhook { .. } => "webhook",
        ChannelTarget::Telegram { .. } => "telegram",
        ChannelTarget::Discord { .. } => "discord",
    }
}

fn verdict_name(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Sent => "sent",
        Verdict::Retry { .. } => "retry",
        Verdict::Permanent => "failed",
    }
}

fn ms(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn ms_of(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Now, epoch milliseconds.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, ms_of)
}
