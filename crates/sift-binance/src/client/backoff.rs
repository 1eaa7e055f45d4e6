//! Jittered exponential backoff, shared by REST retries and WebSocket reconnects.

use std::time::Duration;

use rand::Rng;

/// Delays that double from `min` up to `max`, each drawn uniformly from the upper half of the
/// nominal delay ("equal jitter"): never below half the nominal delay, so retries do not bunch
/// up, and never above `max`.
#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    /// A backoff starting at `min` and capped at `max` (`max` below `min` is raised to `min`).
    pub fn new(min: Duration, max: Duration) -> Self {
        Self {
            min,
            max: max.max(min),
            attempt: 0,
        }
    }

    /// The nominal (un-jittered) delay of the next attempt: `min * 2^attempt`, capped at `max`.
    pub fn nominal(&self) -> Duration {
        let factor = 2u32.saturating_pow(self.attempt.min(31));
        self.min.saturating_mul(factor).min(self.max)
    }

    /// The next delay, jittered, and advances the attempt counter.
    pub fn next_delay(&mut self) -> Duration {
        let nominal = self.nominal();
        self.attempt = self.attempt.saturating_add(1);
        let half = nominal / 2;
        let jitter = rand::thread_rng().gen_range(0.0..=1.0);
        half + half.mul_f64(jitter)
    }

    /// Starts over from `min`, after a healthy period.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// How many delays were handed out since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_within_bounds_and_resets() {
        let min = Duration::from_millis(100);
        let max = Duration::from_millis(1000);
        let mut backoff = Backoff::new(min, max);
        let mut nominal = Vec::new();
        for _ in 0..8 {
            let expected = backoff.nominal();
            nominal.push(expected.as_millis());
            let delay = backoff.next_delay();
            assert!(delay >= expected / 2 && delay <= expected, "{delay:?}");
        }
        assert_eq!(nominal, [100, 200, 400, 800, 1000, 1000, 1000, 1000]);
        assert_eq!(backoff.attempts(), 8);
        backoff.reset();
        assert_eq!(backoff.nominal(), min);
    }

    #[test]
    fn huge_attempt_counts_do_not_overflow() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        for _ in 0..100 {
            backoff.next_delay();
        }
        assert_eq!(backoff.nominal(), Duration::from_secs(60));
        let zero = Backoff::new(Duration::ZERO, Duration::ZERO).next_delay();
        assert_eq!(zero, Duration::ZERO);
    }
}
