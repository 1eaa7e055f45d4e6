//! The market clock: wall time since the start, sped up.

use std::time::Duration;

use tokio::time::Instant;

/// Market time in epoch milliseconds: `start_ms` when the server started, then `speed` market
/// milliseconds per wall millisecond.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MarketClock {
    start_ms: i64,
    started: Instant,
    speed: f64,
}

impl MarketClock {
    pub(crate) fn new(start_ms: i64, speed: f64) -> Self {
        Self {
            start_ms,
            started: Instant::now(),
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
        }
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.start_ms + (self.started.elapsed().as_secs_f64() * 1_000.0 * self.speed) as i64
    }

    pub(crate) fn speed(&self) -> f64 {
        self.speed
    }

    /// The wall instant at which the market clock reads `market_ms` (now if already past).
    pub(crate) fn wall_at(&self, market_ms: i64) -> Instant {
        let ahead_ms = (market_ms - self.start_ms).max(0) as f64 / self.speed;
        self.started + Duration::from_secs_f64(ahead_ms / 1_000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn runs_speed_times_faster() {
        let clock = MarketClock::new(1_000_000, 600.0);
        assert_eq!(clock.now_ms(), 1_000_000);
        tokio::time::advance(Duration::from_millis(100)).await;
        assert_eq!(clock.now_ms(), 1_060_000);
        assert_eq!(
            clock.wall_at(1_120_000) - clock.wall_at(1_060_000),
            Duration::from_millis(100)
        );
    }
}
