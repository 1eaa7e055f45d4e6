//! REST request weight per window, with Binance's 429-then-418 escalation.

use std::time::Duration;

use tokio::time::Instant;

use super::faults::{deadline, seconds_left};

/// What a REST request may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Served; `used` is the window's weight with this request.
    Admit { used: u32 },
    /// HTTP 429: over the limit (or throttled by a fault); retry after this many seconds.
    TooMany { used: u32, retry_after: u64 },
    /// HTTP 418: banned for this many more seconds.
    Banned { used: u32, retry_after: u64 },
}

/// Weight used in fixed windows (a minute by default) since the server started.
///
/// Over the limit, the request gets a 429 and the rest of the window is a throttle window; a
/// request arriving during a throttle window after its 429 earns a ban (418) of
/// `ban_duration`. Requests refused do not count.
#[derive(Debug)]
pub(crate) struct Limiter {
    limit: u32,
    window: Duration,
    ban_duration: Duration,
    origin: Instant,
    window_index: u64,
    used: u32,
    throttled_until: Option<Instant>,
    /// Whether the throttle window's 429 was sent: the next request is banned.
    warned: bool,
    banned_until: Option<Instant>,
}

/// Whole seconds to wait until `until`, at least 1 (Retry-After's unit).
fn retry_after(now: Instant, until: Instant) -> u64 {
    until
        .saturating_duration_since(now)
        .as_secs_f64()
        .ceil()
        .max(1.0) as u64
}

impl Limiter {
    pub(crate) fn new(limit: u32, window: Duration, ban_duration: Duration, now: Instant) -> Self {
        Self {
            limit,
            window: window.max(Duration::from_millis(1)),
            ban_duration,
            origin: now,
            window_index: 0,
            used: 0,
            throttled_until: None,
            warned: false,
            banned_until: None,
        }
    }

    fn roll(&mut self, now: Instant) {
        let index =
            (now.saturating_duration_since(self.origin).as_nanos() / self.window.as_nanos()) as u64;
        if index != self.window_index {
            self.window_index = index;
            self.used = 0;
        }
    }

    fn window_end(&self) -> Instant {
        self.origin + self.window * (self.window_index as u32 + 1)
    }

    pub(crate) fn charge(&mut self, weight: u32, now: Instant) -> Verdict {
        self.roll(now);
        let used = self.used;
        if let Some(until) = self.banned_until {
            if now < until {
                return Verdict::Banned {
                    used,
                    retry_after: retry_after(now, until),
                };
            }
            self.banned_until = None;
        }
        if let Some(until) = self.throttled_until {
            if now < until {
                if self.warned {
                    self.throttled_until = None;
                    self.warned = false;
                    let until = now + self.ban_duration;
                    self.banned_until = Some(until);
                    return Verdict::Banned {
                        used,
                        retry_after: retry_after(now, until),
                    };
                }
                self.warned = true;
                return Verdict::TooMany {
                    used,
                    retry_after: retry_after(now, until),
                };
            }
            self.throttled_until = None;
            self.warned = false;
        }
        if used.saturating_add(weight) > self.limit {
            let until = self.window_end();
            self.throttled_until = Some(until);
            self.warned = true;
            return Verdict::TooMany {
                used,
                retry_after: retry_after(now, until),
            };
        }
        self.used += weight;
        Verdict::Admit { used: self.used }
    }

    /// The `rest_429_for_s` fault: a throttle window of `seconds` (0 ends it).
    pub(crate) fn throttle_for(&mut self, seconds: f64, now: Instant) {
        self.throttled_until = deadline(now, seconds);
        self.warned = false;
    }

    /// The `ban_418_for_s` fault: a ban of `seconds` (0 lifts it).
    pub(crate) fn ban_for(&mut self, seconds: f64, now: Instant) {
        self.banned_until = deadline(now, seconds);
    }

    pub(crate) fn clear(&mut self) {
        self.throttled_until = None;
        self.warned = false;
        self.banned_until = None;
    }

    /// Seconds left of the throttle window and of the ban.
    pub(crate) fn view(&self, now: Instant) -> (Option<f64>, Option<f64>) {
        (
            seconds_left(now, self.throttled_until),
            seconds_left(now, self.banned_until),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn counts_weight_then_429_then_418_then_recovers() {
        let t0 = Instant::now();
        let mut limiter = Limiter::new(10, MINUTE, Duration::from_secs(120), t0);
        assert_eq!(limiter.charge(4, t0), Verdict::Admit { used: 4 });
        assert_eq!(limiter.charge(6, t0), Verdict::Admit { used: 10 });
        let at = t0 + Duration::from_millis(30_500);
        assert_eq!(
            limiter.charge(1, at),
            Verdict::TooMany {
                used: 10,
                retry_after: 30
            }
        );
        assert_eq!(
            limiter.charge(1, at),
            Verdict::Banned {
                used: 10,
                retry_after: 120
            }
        );
        let later = at + Duration::from_secs(119);
        assert!(matches!(
            limiter.charge(1, later),
            Verdict::Banned { retry_after: 1, .. }
        ));
        assert_eq!(
            limiter.charge(1, at + Duration::from_secs(120)),
            Verdict::Admit { used: 1 }
        );
    }

    #[test]
    fn a_client_that_waits_out_the_429_is_not_banned() {
        let t0 = Instant::now();
        let mut limiter = Limiter::new(6_000, MINUTE, Duration::from_secs(120), t0);
        limiter.throttle_for(10.0, t0);
        assert!(matches!(
            limiter.charge(2, t0),
            Verdict::TooMany {
                retry_after: 10,
                ..
            }
        ));
        assert_eq!(
            limiter.charge(2, t0 + Duration::from_secs(10)),
            Verdict::Admit { used: 2 }
        );
        limiter.ban_for(3.0, t0);
        assert_eq!(limiter.view(t0), (None, Some(3.0)));
        limiter.clear();
        assert_eq!(limiter.view(t0), (None, None));
    }
}
