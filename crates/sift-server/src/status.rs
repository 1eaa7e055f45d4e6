//! What the pipeline last did, for `/health` and `/metrics`: whether the engine keeps up
//! with the market.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde::Serialize;

/// A close instant that took longer than this from its arrival to its published signals makes
/// the engine report `lagging`: at half the shortest interval, the next close is near.
pub const LAGGING_MS: u64 = 30_000;

/// The pipeline's progress, shared with [`crate::control::ServerControl`].
#[derive(Debug, Clone, Default)]
pub struct PipelineStatus(Arc<Mutex<Progress>>);

/// A snapshot of [`PipelineStatus`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Close instants processed since start.
    pub closes: u64,
    /// Close time (epoch ms, the market's clock) of the newest instant processed.
    pub last_close_time: Option<i64>,
    /// When its signals were committed and published (epoch ms, this server's clock).
    pub last_processed_at: Option<i64>,
    /// From the instant's arrival at the pipeline to its signals published.
    pub took_ms: Option<u64>,
    /// Signals that instant committed.
    pub last_signals: usize,
    /// Market events waiting for the pipeline when that instant was taken up: more than a
    /// handful means the engine falls behind the market.
    pub queued_events: usize,
}

impl PipelineStatus {
    /// Records a processed close instant.
    pub fn processed(
        &self,
        close_time: i64,
        now: i64,
        took: Duration,
        signals: usize,
        queued_events: usize,
    ) {
        metrics::gauge!("sift_engine_queued_events").set(queued_events as f64);
        let mut progress = self.0.lock();
        progress.closes += 1;
        progress.last_close_time = Some(close_time);
        progress.last_processed_at = Some(now);
        progress.took_ms = Some(u64::try_from(took.as_millis()).unwrap_or(u64::MAX));
        progress.last_signals = signals;
        progress.queued_events = queued_events;
    }

    /// The current progress.
    pub fn snapshot(&self) -> Progress {
        self.0.lock().clone()
    }
}

impl Progress {
    /// Whether the last instant took longer than [`LAGGING_MS`].
    pub fn lagging(&self) -> bool {
        self.took_ms.is_some_and(|took| took > LAGGING_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_the_newest_instant_and_its_lag() {
        let status = PipelineStatus::default();
        assert_eq!(status.snapshot(), Progress::default());
        assert!(!status.snapshot().lagging());
        status.processed(60_000, 60_150, Duration::from_millis(150), 3, 0);
        assert!(!status.snapshot().lagging());
        let slow = Duration::from_millis(LAGGING_MS + 1);
        status.processed(120_000, 150_001, slow, 0, 7);
        let progress = status.snapshot();
        assert_eq!(progress.closes, 2);
        assert_eq!(progress.last_close_time, Some(120_000));
        assert_eq!(progress.last_processed_at, Some(150_001));
        assert_eq!(progress.took_ms, Some(LAGGING_MS + 1));
        assert_eq!((progress.last_signals, progress.queued_events), (0, 7));
        assert!(progress.lagging());
    }
}
