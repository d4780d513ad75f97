//! Waiting for state something else reaches on its own (a worker marks a
//! notification sent, an outside process delivers an alert): poll a check
//! every 100 ms until it gives an answer, or fail after a deadline saying
//! what was awaited. Never a fixed sleep.

use std::future::Future;
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(100);

/// Awaits `check` until it returns `Some`, for at most `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// [`eventually`] for a synchronous test: calls `check` until it returns
/// `Some`, for at most `timeout`.
pub fn eventually_blocking<T>(
    timeout: Duration,
    what: &str,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(POLL);
    }
}
