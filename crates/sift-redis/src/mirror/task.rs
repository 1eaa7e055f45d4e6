//! The writer task: connects, flushes the queue, PINGs, reconnects, drains on shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use redis::AsyncConnectionConfig;
use redis::aio::MultiplexedConnection;
use sift_candles::CandleStore;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, info, info_span, warn};

use super::health::chain;
use super::{MirrorConfig, Shared};
use crate::Error;
use crate::config::redact;
use crate::write::load_scripts;

/// The background task of a [`RedisMirror`](super::RedisMirror); its flushes are in
/// `flush.rs`.
pub(crate) struct Writer {
    pub(super) shared: Arc<Shared>,
    client: redis::Client,
    pub(super) config: MirrorConfig,
    shutdown: CancellationToken,
}

/// Why serving a connection ended.
enum Ended {
    Shutdown,
    Failed(Error),
}

impl Writer {
    pub(crate) fn new(
        shared: Arc<Shared>,
        client: redis::Client,
        config: MirrorConfig,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            shared,
            client,
            config,
            shutdown,
        }
    }

    /// Runs until the shutdown token is cancelled and the queue is drained (or the drain
    /// timed out).
    pub(crate) async fn run(self) {
        let span = info_span!(
            "redis_mirror",
            redis = %redact(&self.config.redis.url),
            prefix = %self.shared.keys.prefix()
        );
        self.run_inner().instrument(span).await;
    }

    async fn run_inner(self) {
        let mut failures: u32 = 0;
        loop {
            let connected = tokio::select! {
                conn = self.connect() => conn,
                () = self.shutdown.cancelled() => break,
            };
            let err = match connected {
                Ok(mut conn) => {
                    if failures > 0 {
                        info!(after_failures = failures, "redis mirror reconnected");
                    }
                    failures = 0;
                    self.shared.stats.up();
                    match self.serve(&mut conn).await {
                        Ended::Shutdown => return,
                        Ended::Failed(err) => {
                            warn!(error = %chain(&err), pending = self.depth(), "redis mirror lost redis; buffering writes");
                            err
                        }
                    }
                }
                Err(err) => {
                    if failures == 0 {
                        warn!(error = %chain(&err), "redis mirror cannot reach redis; buffering writes");
                    } else {
                        debug!(error = %chain(&err), failures, "redis mirror reconnect failed");
                    }
                    err
                }
            };
            self.shared.stats.error(&err, true);
            failures = failures.saturating_add(1);
            let delay = backoff(
                failures,
                self.config.reconnect_min,
                self.config.reconnect_max,
            );
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = self.shutdown.cancelled() => break,
            }
        }
        self.drain_while_down().await;
    }

    /// Opens a connection, loads the scripts and checks the marker.
    async fn connect(&self) -> Result<MultiplexedConnection, Error> {
        let redis = &self.config.redis;
        let options = AsyncConnectionConfig::new()
            .set_connection_timeout(redis.connect_timeout)
            .set_response_timeout(redis.op_timeout);
        let mut conn = timed(
            redis.connect_timeout + redis.op_timeout,
            self.client
                .get_multiplexed_async_connection_with_config(&options),
        )
        .await?;
        timed(
            redis.op_timeout,
            load_scripts().query_async::<()>(&mut conn),
        )
        .await?;
        self.probe(&mut conn).await?;
        Ok(conn)
    }

    /// Redis does not hold the mirror's data: marks every series for repair.
    fn resync(&self) {
        let memory = &self.shared.memory;
        let mut series = Vec::new();
        for symbol in memory.symbols().unwrap_or_default() {
            for interval in memory.intervals(&symbol).unwrap_or_default() {
                series.push((symbol.clone(), interval));
            }
        }
        if !series.is_empty() {
            info!(
                series = series.len(),
                "redis lacks the mirror's data; rewriting from memory"
            );
        }
        self.shared.queue.lock().repair(series);
        self.shared.stats.resync();
    }

    /// Flushes what is queued and PINGs periodically, until shutdown or a connection failure.
    /// Closed candles and repairs are written at once; forming candles and tickers at most
    /// every `latest_interval`, each series' latest value then (they change several times a
    /// second, and a hosted Redis bills every command).
    async fn serve(&self, conn: &mut MultiplexedConnection) -> Ended {
        // `connect` has just probed; the next PING is one interval away.
        let every = self.config.ping_interval;
        let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            if let Err(err) = self.flush_all(conn).await {
                return Ended::Failed(err);
            }
            let next_latest = tokio::time::Instant::now() + self.config.latest_interval;
            loop {
                let (urgent, waiting) = {
                    let queue = self.shared.queue.lock();
                    (queue.has_urgent_work(), queue.has_work())
                };
                if urgent || (waiting && tokio::time::Instant::now() >= next_latest) {
                    break;
                }
                // Biased: the PING comes before new writes, which could otherwise starve it.
                tokio::select! {
                    biased;
                    () = self.shutdown.cancelled() => {
                        let drained = timed(self.config.drain_timeout, self.flush_all(conn)).await;
                        if let Err(err) = drained {
                            warn!(error = %chain(&err), pending = self.depth(), "redis mirror stopped before writing everything");
                        }
                        return Ended::Shutdown;
                    }
                    _ = ping.tick() => {
                        if let Err(err) = self.probe(conn).await {
                            return Ended::Failed(err);
                        }
                    }
                    () = self.shared.notify.notified() => {}
                    () = tokio::time::sleep_until(next_latest), if waiting => {}
                }
            }
        }
    }

    /// Shutdown while Redis is down: one last attempt within the drain timeout.
    async fn drain_while_down(&self) {
        if !self.shared.queue.lock().has_work() {
            return;
        }
        let attempt = async {
            let mut conn = self.connect().await?;
            self.flush_all(&mut conn).await
        };
        if let Err(err) = timed(self.config.drain_timeout, attempt).await {
            warn!(error = %chain(&err), pending = self.depth(), "redis mirror stopped before writing everything");
        }
    }

    /// A PING round trip, recorded as the latency, with the marker check in the same pipeline
    /// (`SET NX`: setting it means Redis lost the mirror's data, so everything is repaired).
    async fn probe(&self, conn: &mut MultiplexedConnection) -> Result<(), Error> {
        let start = Instant::now();
        let (_, fresh): (String, Option<String>) = timed(
            self.config.redis.op_timeout,
            redis::pipe()
                .cmd("PING")
                .cmd("SET")
                .arg(self.shared.keys.mirror_marker())
                .arg(1)
                .arg("NX")
                .query_async(conn),
        )
        .await?;
        self.shared.stats.ping(start.elapsed());
        if fresh.is_some() {
            self.resync();
        }
        Ok(())
    }

    pub(super) fn depth(&self) -> usize {
        self.shared.queue.lock().depth()
    }
}

/// `fut` bounded by `limit`.
pub(super) async fn timed<T, E: Into<Error>>(
    limit: Duration,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, Error> {
    match tokio::time::timeout(limit, fut).await {
        Ok(result) => result.map_err(Into::into),
        Err(_) => Err(Error::Timeout(limit)),
    }
}

/// The wait before reconnect attempt `failures` (1-based): `min` doubled per failure, capped
/// at `max`, times a random factor in 0.5..=1 so that many clients do not retry in step.
fn backoff(failures: u32, min: Duration, max: Duration) -> Duration {
    let exp = min.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    exp.min(max)
        .mul_f64(rand::thread_rng().gen_range(0.5..=1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let (min, max) = (Duration::from_millis(100), Duration::from_secs(5));
        for _ in 0..100 {
            let first = backoff(1, min, max);
            assert!(
                (Duration::from_millis(50)..=min).contains(&first),
                "{first:?}"
            );
            let third = backoff(3, min, max);
            assert!((Duration::from_millis(200)..=Duration::from_millis(400)).contains(&third));
            assert!(backoff(40, min, max) <= max);
        }
    }
}
