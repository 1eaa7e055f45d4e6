//! Waiting on conditions, never on fixed sleeps.

use std::future::Future;
use std::time::Duration;

/// How often [`wait_until`] polls.
const POLL: Duration = Duration::from_millis(10);

/// Polls `condition` every 10 ms until it returns true or `timeout` passes; returns whether it
/// became true.
pub async fn wait_until<F, Fut>(timeout: Duration, mut condition: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if condition().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn returns_when_condition_holds() {
        let calls = AtomicU32::new(0);
        let ok = wait_until(Duration::from_secs(5), || async {
            calls.fetch_add(1, Ordering::Relaxed) >= 3
        })
        .await;
        assert!(ok);
        assert_eq!(calls.load(Ordering::Relaxed), 4);
    }

    #[tokio::test]
    async fn gives_up_after_timeout() {
        assert!(!wait_until(Duration::from_millis(30), || async { false }).await);
    }
}
