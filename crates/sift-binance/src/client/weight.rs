//! The REST request-weight budget shared by every clone of a [`RestClient`](super::RestClient):
//! the local per-window count, the server's `X-MBX-USED-WEIGHT-1M`, and the 429 pause and 418
//! ban that stop all calls until they end.
//!
//! Binance counts weight per IP in fixed windows of one calendar minute. The budget counts the
//! weight it hands out in windows aligned the same way (epoch time divided by the window) and
//! raises its count to the server's figure whenever that is higher (other processes on the same
//! IP, or calls still in flight). Weight is taken before a request is sent, so many concurrent
//! tasks never overshoot together.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Slack after a window boundary before trying again, so the server's window has rolled too.
const BOUNDARY_SLACK: Duration = Duration::from_millis(5);

/// What [`BudgetState::try_acquire`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Send now; the weight was counted in this window.
    Go { window: i64 },
    /// Try again after this long.
    Wait(Duration),
}

/// The budget's state, pure so that it is tested with explicit times.
#[derive(Debug)]
pub(crate) struct BudgetState {
    /// The most weight per window this client allows itself (limit x headroom).
    cap: u32,
    window_ms: i64,
    window: i64,
    used: u32,
    /// After a 429: no calls until then.
    paused_until: Option<Instant>,
    /// After a 429: half the cap until then.
    slow_until: Option<Instant>,
    /// After a 418: no calls until then (monotonic, and wall-clock milliseconds for stats).
    banned_until: Option<(Instant, i64)>,
}

impl BudgetState {
    pub(crate) fn new(limit_per_window: u32, headroom: f64, window: Duration) -> Self {
        let cap = (f64::from(limit_per_window) * headroom.clamp(0.0, 1.0)).floor() as u32;
        Self {
            cap: cap.max(1),
            window_ms: i64::try_from(window.as_millis()).unwrap_or(i64::MAX).max(1),
            window: i64::MIN,
            used: 0,
            paused_until: None,
            slow_until: None,
            banned_until: None,
        }
    }

    /// The cap in force at `now`: halved for a while after a 429.
    pub(crate) fn cap(&self, now: Instant) -> u32 {
        match self.slow_until {
            Some(until) if now < until => (self.cap / 2).max(1),
            _ => self.cap,
        }
    }

    fn roll(&mut self, wall_ms: i64) {
        let window = wall_ms.div_euclid(self.window_ms);
        if window != self.window {
            self.window = window;
            self.used = 0;
        }
    }

    /// Takes `weight` from the current window, or says how long to wait (for a pause, a ban or
    /// the next window). A call heavier than the whole cap goes alone into an empty window.
    pub(crate) fn try_acquire(&mut self, weight: u32, now: Instant, wall_ms: i64) -> Decision {
        let blocked = [self.paused_until, self.banned_until.map(|(until, _)| until)]
            .into_iter()
            .flatten()
            .filter(|until| *until > now)
            .max();
        if let Some(until) = blocked {
            return Decision::Wait(until - now);
        }
        self.roll(wall_ms);
        let cap = self.cap(now);
        if self.used == 0 || self.used.saturating_add(weight) <= cap {
            self.used = self.used.saturating_add(weight);
            return Decision::Go {
                window: self.window,
            };
        }
        let next = (self.window + 1).saturating_mul(self.window_ms);
        let wait_ms = u64::try_from(next - wall_ms).unwrap_or(0);
        Decision::Wait(Duration::from_millis(wait_ms) + BOUNDARY_SLACK)
    }

    /// Applies the server's `X-MBX-USED-WEIGHT-1M` of a request sent in window `sent_window`.
    /// A figure from a request sent in an earlier window may belong to either window and is
    /// ignored.
    pub(crate) fn observe_used(&mut self, used: u32, sent_window: i64, wall_ms: i64) {
        self.roll(wall_ms);
        if sent_window == self.window {
            self.used = self.used.max(used);
        }
    }

    /// HTTP 429: pause every call for `retry_after`, then run at half the cap for a window.
    pub(crate) fn on_rate_limited(&mut self, retry_after: Duration, now: Instant) {
        let until = now + retry_after;
        self.paused_until = Some(self.paused_until.map_or(until, |old| old.max(until)));
        self.slow_until = Some(until + Duration::from_millis(self.window_ms.unsigned_abs()));
    }

    /// HTTP 418: stop every call until the ban ends.
    pub(crate) fn on_banned(&mut self, retry_after: Duration, now: Instant, wall_ms: i64) {
        let until = now + retry_after;
        let until_ms = wall_ms.saturating_add(i64::try_from(retry_after.as_millis()).unwrap_or(0));
        match self.banned_until {
            Some((old, _)) if old >= until => {}
            _ => self.banned_until = Some((until, until_ms)),
        }
        self.slow_until = Some(until + Duration::from_millis(self.window_ms.unsigned_abs()));
    }

    /// When the current ban ends, wall-clock milliseconds, if one is in force at `now`.
    pub(crate) fn banned_until_ms(&self, now: Instant) -> Option<i64> {
        self.banned_until
            .filter(|(until, _)| *until > now)
            .map(|(_, ms)| ms)
    }
}

/// [`BudgetState`] behind a mutex, with an async acquire.
#[derive(Debug)]
pub(crate) struct WeightBudget {
    // std Mutex: every critical section is a few arithmetic steps and never awaits.
    state: Mutex<BudgetState>,
}

impl WeightBudget {
    pub(crate) fn new(state: BudgetState) -> Self {
        Self {
            state: Mutex::new(state),
        }
    }

    /// Runs `f` on the state. A poisoned lock is recovered: the state is plain numbers that
    /// stay consistent whatever panicked.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut BudgetState) -> R) -> R {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut state)
    }

    /// Waits until `weight` fits (after any pause or ban) and takes it; returns the window it
    /// was counted in.
    pub(crate) async fn acquire(&self, weight: u32) -> i64 {
        loop {
            let decision =
                self.with(|state| state.try_acquire(weight, Instant::now(), super::now_ms()));
            match decision {
                Decision::Go { window } => return window,
                Decision::Wait(wait) => tokio::time::sleep(wait).await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(60);

    #[test]
    fn cap_is_limit_times_headroom_per_window() {
        let now = Instant::now();
        let mut state = BudgetState::new(100, 0.8, WINDOW);
        for _ in 0..40 {
            assert!(matches!(
                state.try_acquire(2, now, 1_000),
                Decision::Go { window: 0 }
            ));
        }
        // 80 used: the next call waits for the next minute (59 s away) plus slack.
        assert_eq!(
            state.try_acquire(2, now, 1_000),
            Decision::Wait(Duration::from_millis(59_000) + BOUNDARY_SLACK)
        );
        assert!(matches!(
            state.try_acquire(2, now, 60_000),
            Decision::Go { window: 1 }
        ));
        // Heavier than the cap: alone in an empty window.
        assert!(matches!(
            state.try_acquire(500, now, 120_000),
            Decision::Go { window: 2 }
        ));
        assert!(matches!(
            state.try_acquire(1, now, 120_001),
            Decision::Wait(_)
        ));
    }

    #[test]
    fn server_figure_raises_the_count_of_its_window_only() {
        let now = Instant::now();
        let mut state = BudgetState::new(100, 0.8, WINDOW);
        let Decision::Go { window } = state.try_acquire(2, now, 0) else {
            panic!("first call waits");
        };
        state.observe_used(79, window, 10);
        assert!(matches!(state.try_acquire(2, now, 20), Decision::Wait(_)));
        // A figure from a request sent in the previous window is ignored.
        state.observe_used(79, window, 60_010);
        assert!(matches!(
            state.try_acquire(2, now, 60_020),
            Decision::Go { window: 1 }
        ));
        // A lower figure never lowers the local count.
        state.observe_used(0, 1, 60_030);
        for _ in 0..39 {
            assert!(matches!(
                state.try_acquire(2, now, 60_040),
                Decision::Go { .. }
            ));
        }
        assert!(matches!(
            state.try_acquire(2, now, 60_040),
            Decision::Wait(_)
        ));
    }

    #[test]
    fn rate_limit_pauses_then_halves_the_cap() {
        let now = Instant::now();
        let mut state = BudgetState::new(100, 0.8, WINDOW);
        state.on_rate_limited(Duration::from_secs(3), now);
        assert_eq!(
            state.try_acquire(1, now, 0),
            Decision::Wait(Duration::from_secs(3))
        );
        let later = now + Duration::from_secs(3);
        assert_eq!(state.cap(later), 40);
        assert_eq!(state.cap(later + WINDOW), 80);
        assert!(matches!(
            state.try_acquire(1, later, 0),
            Decision::Go { .. }
        ));
    }

    #[test]
    fn ban_blocks_until_it_ends_and_is_never_shortened() {
        let now = Instant::now();
        let mut state = BudgetState::new(6000, 0.8, WINDOW);
        state.on_banned(Duration::from_secs(120), now, 1_000);
        assert_eq!(state.banned_until_ms(now), Some(121_000));
        state.on_banned(Duration::from_secs(10), now, 1_000);
        assert_eq!(state.banned_until_ms(now), Some(121_000));
        let almost = now + Duration::from_secs(119);
        assert_eq!(
            state.try_acquire(1, almost, 0),
            Decision::Wait(Duration::from_secs(1))
        );
        let after = now + Duration::from_secs(120);
        assert_eq!(state.banned_until_ms(after), None);
        assert!(matches!(
            state.try_acquire(1, after, 0),
            Decision::Go { .. }
        ));
    }
}
