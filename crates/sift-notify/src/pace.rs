//! Pacing: the retry backoff and the per-channel rate limit.

use std::time::Duration;

use rand::Rng;
use tokio::time::Instant;

/// The delay after the `attempts`-th failed attempt (1 after the first): `base * 2^(n-1)`
/// capped at `cap`, then jittered to between half and all of it, so receivers that failed
/// together are not retried together.
pub(crate) fn backoff(base_ms: u64, cap_ms: u64, attempts: u32) -> Duration {
    let exponent = attempts.saturating_sub(1).min(32);
    let full = base_ms.saturating_mul(1u64 << exponent).min(cap_ms);
    let half = full / 2;
    let jitter = if full > half {
        rand::thread_rng().gen_range(0..=full - half)
    } else {
        0
    };
    Duration::from_millis(half + jitter)
}

/// A token bucket: a burst of `per_minute` messages, refilled evenly over a minute.
#[derive(Debug)]
pub(crate) struct Bucket {
    capacity: f64,
    tokens: f64,
    per_sec: f64,
    at: Instant,
}

impl Bucket {
    pub(crate) fn new(per_minute: u32, now: Instant) -> Self {
        let capacity = f64::from(per_minute.max(1));
        Self {
            capacity,
            tokens: capacity,
            per_sec: capacity / 60.0,
            at: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.capacity);
        self.at = now;
    }

    /// How long until a token is there (zero when one is).
    pub(crate) fn wait(&mut self, now: Instant) -> Duration {
        self.refill(now);
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / self.per_sec)
        }
    }

    /// Uses a token (call when [`Bucket::wait`] answered zero).
    pub(crate) fn take(&mut self, now: Instant) {
        self.refill(now);
        self.tokens = (self.tokens - 1.0).max(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_and_cap() {
        for attempts in 1..=12u32 {
            let full = (1_000u64 << (attempts - 1)).min(60_000);
            for _ in 0..50 {
                let d = backoff(1_000, 60_000, attempts).as_millis() as u64;
                assert!((full / 2..=full).contains(&d), "{attempts}: {d}");
            }
        }
        assert!(backoff(1_000, 60_000, u32::MAX) <= Duration::from_secs(60));
        assert_eq!(backoff(0, 0, 3), Duration::ZERO);
    }

    #[test]
    fn bucket_allows_a_burst_then_spreads() {
        let t0 = Instant::now();
        let mut bucket = Bucket::new(60, t0);
        for _ in 0..60 {
            assert_eq!(bucket.wait(t0), Duration::ZERO);
            bucket.take(t0);
        }
        let wait = bucket.wait(t0);
        assert!(
            wait > Duration::from_millis(900) && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        let later = t0 + Duration::from_secs(1);
        assert_eq!(bucket.wait(later), Duration::ZERO);
        bucket.take(later);
        assert!(bucket.wait(later) > Duration::ZERO);
    }
}
