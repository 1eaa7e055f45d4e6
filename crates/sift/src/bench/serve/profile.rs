//! Per-close stage timings, read from the server's `close processed` debug event (see
//! `sift_server::pipeline`): a tracing layer that keeps those events and nothing else.

use std::sync::{Arc, Mutex, PoisonError};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use super::exchange::wall_us;

/// The module whose event is kept.
const TARGET: &str = "sift_server::pipeline";
const MESSAGE: &str = "close processed";

/// What one close instant cost the pipeline, and when (wall µs) it was taken up and done.
/// The pipeline may take an instant up in several passes (a 5m burst gathered before the 1m
/// one): the stages and signals are then summed, `started_us` is the first pass's start and
/// `done_us` the last pass's end. The stages follow each other: `prepare`, `evaluate`,
/// `assign`, `publish`, then `commit` (while the clients receive the signals).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct CloseTiming {
    /// The close instant, market ms (the candles' close time + 1).
    pub(super) instant: i64,
    pub(super) passes: u32,
    pub(super) signals: u64,
    pub(super) prepare_us: i64,
    pub(super) evaluate_us: i64,
    pub(super) assign_us: i64,
    pub(super) publish_us: i64,
    pub(super) commit_us: i64,
    /// Done minus the stages: when the pipeline took the close up.
    pub(super) started_us: i64,
    pub(super) done_us: i64,
}

impl CloseTiming {
    fn stages_us(&self) -> i64 {
        self.prepare_us + self.evaluate_us + self.assign_us + self.publish_us + self.commit_us
    }

    /// When the last pass had published its signals (wall µs; the last pass's commit taken
    /// as all of `commit_us`).
    pub(super) fn published_us(&self) -> i64 {
        self.done_us - self.commit_us
    }

    fn merge(&mut self, other: &CloseTiming) {
        self.passes += other.passes;
        self.signals += other.signals;
        self.prepare_us += other.prepare_us;
        self.evaluate_us += other.evaluate_us;
        self.assign_us += other.assign_us;
        self.publish_us += other.publish_us;
        self.commit_us += other.commit_us;
        self.started_us = self.started_us.min(other.started_us);
        self.done_us = self.done_us.max(other.done_us);
    }
}

/// The timings seen so far. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub(super) struct Profile {
    closes: Arc<Mutex<Vec<CloseTiming>>>,
}

impl Profile {
    /// The layer that fills this profile.
    pub(super) fn layer<S>(&self) -> impl Layer<S> + use<S>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        ProfileLayer {
            closes: Arc::clone(&self.closes),
        }
        .with_filter(Targets::new().with_target(TARGET, Level::DEBUG))
    }

    /// The timing of the close at `instant`, all passes merged.
    pub(super) fn close(&self, instant: i64) -> Option<CloseTiming> {
        let closes = self.lock();
        let mut passes = closes.iter().filter(|c| c.instant == instant);
        let mut timing = *passes.next()?;
        for pass in passes {
            timing.merge(pass);
        }
        Some(timing)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<CloseTiming>> {
        // Plain pushes and reads; nothing awaits under the lock.
        self.closes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct ProfileLayer {
    closes: Arc<Mutex<Vec<CloseTiming>>>,
}

impl<S: Subscriber> Layer<S> for ProfileLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        if !fields.matched {
            return;
        }
        let timing = &mut fields.timing;
        timing.passes = 1;
        timing.done_us = wall_us();
        timing.started_us = timing.done_us - timing.stages_us();
        self.closes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(fields.timing);
    }
}

#[derive(Default)]
struct Fields {
    matched: bool,
    timing: CloseTiming,
}

impl Visit for Fields {
    fn record_i64(&mut self, field: &Field, value: i64) {
        let timing = &mut self.timing;
        match field.name() {
            "close_time" => timing.instant = value + 1,
            "prepare_us" => timing.prepare_us = value,
            "evaluate_us" => timing.evaluate_us = value,
            "assign_us" => timing.assign_us = value,
            "commit_us" => timing.commit_us = value,
            "publish_us" => timing.publish_us = value,
            "signals" => timing.signals = u64::try_from(value).unwrap_or(0),
            _ => {}
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.record_i64(field, i64::try_from(value).unwrap_or(i64::MAX));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.matched = format!("{value:?}") == MESSAGE;
        }
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[test]
    fn keeps_the_pipeline_event_only() {
        let profile = Profile::default();
        let subscriber = tracing_subscriber::registry().with(profile.layer());
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(target: "sift_server::pipeline", close_time = 59_999_i64,
                bursts = 2_usize, signals = 7_usize, prepare_us = 1_u64, evaluate_us = 2_u64,
                commit_us = 3_u64, publish_us = 4_u64, "close processed");
            tracing::debug!(target: "sift_server::pipeline", close_time = 1_i64, "other");
            tracing::info!(close_time = 1_i64, "close processed");
        });
        let close = profile.close(60_000).expect("recorded");
        assert_eq!((close.passes, close.signals), (1, 7));
        assert_eq!(close.started_us, close.done_us - 10);
        assert_eq!(profile.lock().len(), 1);
        let mut later = close;
        later.done_us += 100;
        later.started_us += 100;
        profile.lock().push(later);
        let merged = profile.close(60_000).expect("recorded");
        assert_eq!(
            (merged.passes, merged.signals, merged.commit_us),
            (2, 14, 6)
        );
        assert_eq!(merged.done_us - merged.started_us, 110);
    }
}
