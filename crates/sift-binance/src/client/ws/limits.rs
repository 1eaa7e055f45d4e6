//! Binance's WebSocket limits: at most N messages per second *to* the server per connection
//! (control messages and pongs alike), and at most M connection attempts per five minutes per
//! IP.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

/// Binance counts messages per second; a little slack absorbs timer and network jitter.
const MESSAGE_WINDOW: Duration = Duration::from_millis(1_050);

/// The outgoing message budget of one connection.
///
/// tungstenite answers pings by itself as soon as they are read, so pongs cannot wait: they
/// are [`record`](Self::record)ed, and control messages keep one message per second free for
/// them (Binance pings every 20 s) and are spaced at least `1 s / N` apart.
#[derive(Debug)]
pub(crate) struct MessageLimiter {
    control_capacity: usize,
    spacing: Duration,
    sent: VecDeque<Instant>,
}

impl MessageLimiter {
    pub(crate) fn new(per_second: u32) -> Self {
        let per_second = per_second.max(1);
        Self {
            control_capacity: usize::try_from(per_second.saturating_sub(1).max(1))
                .unwrap_or(usize::MAX),
            spacing: Duration::from_secs(1) / per_second,
            sent: VecDeque::new(),
        }
    }

    /// A message went out at `now` (a pong, or a control message).
    pub(crate) fn record(&mut self, now: Instant) {
        self.prune(now);
        self.sent.push_back(now);
    }

    /// The earliest time a control message may be sent.
    pub(crate) fn next_control_at(&mut self, now: Instant) -> Instant {
        self.prune(now);
        let mut at = now;
        if let Some(last) = self.sent.back() {
            at = at.max(*last + self.spacing);
        }
        if self.sent.len() >= self.control_capacity {
            let oldest_to_expire = self.sent[self.sent.len() - self.control_capacity];
            at = at.max(oldest_to_expire + MESSAGE_WINDOW);
        }
        at
    }

    fn prune(&mut self, now: Instant) {
        while self
            .sent
            .front()
            .is_some_and(|sent| now.saturating_duration_since(*sent) >= MESSAGE_WINDOW)
        {
            self.sent.pop_front();
        }
    }
}

/// A sliding window of connection attempts.
#[derive(Debug)]
pub(crate) struct AttemptWindow {
    max: usize,
    window: Duration,
    attempts: VecDeque<Instant>,
}

impl AttemptWindow {
    pub(crate) fn new(max: u32, window: Duration) -> Self {
        Self {
            max: usize::try_from(max.max(1)).unwrap_or(usize::MAX),
            window,
            attempts: VecDeque::new(),
        }
    }

    /// Takes an attempt at `now`, or says how long until one is free.
    pub(crate) fn try_acquire(&mut self, now: Instant) -> Result<(), Duration> {
        while self
            .attempts
            .front()
            .is_some_and(|at| now.saturating_duration_since(*at) >= self.window)
        {
            self.attempts.pop_front();
        }
        if self.attempts.len() < self.max {
            self.attempts.push_back(now);
            return Ok(());
        }
        let oldest = self.attempts.front().copied().unwrap_or(now);
        Err((oldest + self.window).saturating_duration_since(now))
    }
}

/// The attempt window shared by every connection of a pool.
#[derive(Debug)]
pub(crate) struct AttemptLimiter {
    // std Mutex: one short, await-free critical section per attempt.
    window: Mutex<AttemptWindow>,
}

impl AttemptLimiter {
    pub(crate) fn new(window: AttemptWindow) -> Self {
        Self {
            window: Mutex::new(window),
        }
    }

    /// Waits for a free attempt; false if `cancel` fired first.
    pub(crate) async fn acquire(&self, cancel: &CancellationToken) -> bool {
        loop {
            let decision = self
                .window
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .try_acquire(Instant::now());
            let Err(wait) = decision else {
                return true;
            };
            tokio::select! {
                () = cancel.cancelled() => return false,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// Sends control messages as early as allowed and returns their times (ms from start).
    fn schedule(limiter: &mut MessageLimiter, start: Instant, count: usize) -> Vec<u128> {
        let mut now = start;
        let mut times = Vec::new();
        for _ in 0..count {
            now = limiter.next_control_at(now);
            limiter.record(now);
            times.push((now - start).as_millis());
        }
        times
    }

    #[test]
    fn control_messages_are_spaced_and_leave_room_for_pongs() {
        let start = Instant::now();
        let mut limiter = MessageLimiter::new(5);
        let times = schedule(&mut limiter, start, 9);
        // Four per 1.05 s window, at least 200 ms apart.
        assert_eq!(times, [0, 200, 400, 600, 1050, 1250, 1450, 1650, 2100]);
        for window_start in 0u128..2200 {
            let in_window = times
                .iter()
                .filter(|t| (window_start..window_start + 1000).contains(*t))
                .count();
            assert!(in_window <= 4, "{window_start}: {in_window}");
        }
    }

    #[test]
    fn pongs_push_control_messages_back() {
        let start = Instant::now();
        let mut limiter = MessageLimiter::new(5);
        limiter.record(start);
        limiter.record(start + 10 * MS);
        limiter.record(start + 20 * MS);
        limiter.record(start + 30 * MS);
        // Four messages in the window: the next control waits for the first to expire.
        assert_eq!(
            limiter.next_control_at(start + 40 * MS),
            start + MESSAGE_WINDOW
        );
    }

    #[test]
    fn attempts_slide() {
        let start = Instant::now();
        let mut window = AttemptWindow::new(3, Duration::from_secs(300));
        for i in 0..3 {
            assert!(window.try_acquire(start + i * MS).is_ok());
        }
        assert_eq!(
            window.try_acquire(start + 10 * MS),
            Err(Duration::from_secs(300) - 10 * MS)
        );
        assert!(window.try_acquire(start + Duration::from_secs(300)).is_ok());
        assert!(
            window
                .try_acquire(start + Duration::from_secs(300))
                .is_err()
        );
    }
}
