//! In-memory request accounting: per-caller rate limits and failed-login throttling.
//!
//! Both are per process: behind several API instances each enforces its own share, which a
//! load balancer with client affinity keeps close to the configured figures. Both forget idle
//! keys so a flood of distinct addresses cannot grow them without bound.

use std::collections::HashMap;

use parking_lot::Mutex;

/// Keys tracked before idle ones are forgotten: a flood of distinct callers costs at most this
/// many entries (about 100 bytes each).
const MAX_TRACKED_KEYS: usize = 100_000;

/// A token bucket per caller: `per_minute` tokens of capacity, refilled continuously.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    // std-style mutex: the critical section is a hash lookup, never held across an await.
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
    per_minute: u32,
}

impl Bucket {
    fn refilled(self, per_minute: u32, now_ms: i64) -> Self {
        let capacity = f64::from(per_minute);
        let elapsed = (now_ms - self.at_ms).max(0) as f64;
        Self {
            tokens: (self.tokens + elapsed * capacity / 60_000.0).min(capacity),
            at_ms: now_ms.max(self.at_ms),
            per_minute,
        }
    }
}

impl RateLimiter {
    /// Takes one token for `key`; `Err(seconds)` until one is available when none is left.
    pub(crate) fn check(&self, key: &str, per_minute: u32, now_ms: i64) -> Result<(), u64> {
        let per_minute = per_minute.max(1);
        let mut buckets = self.buckets.lock();
        if buckets.len() >= MAX_TRACKED_KEYS && !buckets.contains_key(key) {
            // Full buckets carry no state worth keeping.
            buckets.retain(|_, b| {
                let b = b.refilled(b.per_minute, now_ms);
                b.tokens < f64::from(b.per_minute)
            });
        }
        let fresh = Bucket {
            tokens: f64::from(per_minute),
            at_ms: now_ms,
            per_minute,
        };
        let bucket = buckets.entry(key.to_owned()).or_insert(fresh);
        *bucket = bucket.refilled(per_minute, now_ms);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let ms_per_token = 60_000.0 / f64::from(per_minute);
            let wait_secs = (1.0 - bucket.tokens) * ms_per_token / 1000.0;
            // Float noise must not round 1.0000000001 s up to 2 s.
            Err(((wait_secs - 1e-9).ceil() as u64).max(1))
        }
    }
}

/// Failed logins per key (an email, or a client address) within a window.
#[derive(Debug, Default)]
pub(crate) struct LoginThrottler {
    // Never held across an await.
    failures: Mutex<HashMap<String, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started_ms: i64,
    failures: u32,
}

impl LoginThrottler {
    /// `Err(seconds)` when `key` already failed `max_failures` times in the current window.
    pub(crate) fn check(
        &self,
        key: &str,
        max_failures: u32,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<(), u64> {
        let failures = self.failures.lock();
        match failures.get(key) {
            Some(w) if now_ms - w.started_ms < window_ms && w.failures >= max_failures => {
                let left_ms = window_ms - (now_ms - w.started_ms);
                Err(((left_ms as f64 / 1000.0).ceil() as u64).max(1))
            }
            _ => Ok(()),
        }
    }

    /// Counts a failure for `key`.
    pub(crate) fn fail(&self, key: &str, window_ms: i64, now_ms: i64) {
        let mut failures = self.failures.lock();
        if failures.len() >= MAX_TRACKED_KEYS && !failures.contains_key(key) {
            failures.retain(|_, w| now_ms - w.started_ms < window_ms);
        }
        let window = failures.entry(key.to_owned()).or_insert(Window {
            started_ms: now_ms,
            failures: 0,
        });
        if now_ms - window.started_ms >= window_ms {
            *window = Window {
                started_ms: now_ms,
                failures: 0,
            };
        }
        window.failures = window.failures.saturating_add(1);
    }

    /// Forgets the failures of `key` (after a successful login).
    pub(crate) fn reset(&self, key: &str) {
        self.failures.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_a_burst_then_refills() {
        let limiter = RateLimiter::default();
        for _ in 0..3 {
            assert_eq!(limiter.check("a", 3, 0), Ok(()));
        }
        assert_eq!(limiter.check("a", 3, 0), Err(20));
        assert_eq!(limiter.check("b", 3, 0), Ok(()), "keys are independent");
        assert_eq!(limiter.check("a", 3, 19_000), Err(1));
        assert_eq!(limiter.check("a", 3, 20_000), Ok(()));
        assert!(limiter.check("a", 3, 20_001).is_err());
        assert_eq!(limiter.check("a", 3, 200_000), Ok(()));
    }

    #[test]
    fn a_raised_limit_applies_at_once() {
        let limiter = RateLimiter::default();
        assert_eq!(limiter.check("u", 1, 0), Ok(()));
        assert!(limiter.check("u", 1, 0).is_err());
        // An upgrade refills at the new rate from then on.
        assert_eq!(limiter.check("u", 600, 100), Ok(()));
    }

    #[test]
    fn throttle_blocks_within_the_window_only() {
        let throttle = LoginThrottler::default();
        for _ in 0..3 {
            assert_eq!(throttle.check("e", 3, 60_000, 0), Ok(()));
            throttle.fail("e", 60_000, 0);
        }
        assert_eq!(throttle.check("e", 3, 60_000, 1_000), Err(59));
        assert_eq!(throttle.check("other", 3, 60_000, 1_000), Ok(()));
        assert_eq!(throttle.check("e", 3, 60_000, 60_000), Ok(()));
        throttle.fail("e", 60_000, 60_000);
        assert_eq!(
            throttle.check("e", 3, 60_000, 60_001),
            Ok(()),
            "a new window"
        );
        throttle.reset("e");
        assert_eq!(throttle.check("e", 3, 60_000, 60_002), Ok(()));
    }
}
