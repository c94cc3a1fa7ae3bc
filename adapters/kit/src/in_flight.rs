//! Counting the work an adapter has started for its askers, so that at shutdown it can wait for
//! that work (and the audit entries it writes) before the binary flushes the audit log.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// A count of running requests that can be waited on until it reaches zero.
#[derive(Debug, Default)]
pub struct InFlight {
    count: AtomicUsize,
    idle: Notify,
}

impl InFlight {
    /// Counts one request until the returned guard is dropped.
    pub fn start(self: &Arc<Self>) -> InFlightGuard {
        self.count.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(Arc::clone(self))
    }

    /// How many requests are running.
    pub fn running(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Returns once nothing is running.
    pub async fn wait_idle(&self) {
        loop {
            // Registered before the check, so a request finishing in between is not missed.
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.running() == 0 {
                return;
            }
            idle.await;
        }
    }

    /// Waits at most `grace` for running requests; false (and a warning naming `adapter`) when
    /// some were still running.
    pub async fn drain(&self, adapter: &str, grace: Duration) -> bool {
        let drained = tokio::time::timeout(grace, self.wait_idle()).await.is_ok();
        if !drained {
            tracing::warn!(
                adapter,
                left = self.running(),
                ?grace,
                "requests were still being answered after the shutdown grace; not waiting for them"
            );
        }
        drained
    }
}

/// Keeps one request counted while alive.
#[derive(Debug)]
pub struct InFlightGuard(Arc<InFlight>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn draining_waits_for_running_requests_only_as_long_as_the_grace() {
        let in_flight = Arc::new(InFlight::default());
        assert!(in_flight.drain("test", Duration::from_secs(1)).await);

        let guard = in_flight.start();
        let released = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            drop(guard);
        });
        assert!(!in_flight.drain("test", Duration::from_secs(1)).await);
        assert_eq!(in_flight.running(), 1);
        assert!(in_flight.drain("test", Duration::from_secs(5)).await);
        released.await.unwrap();
        assert_eq!(in_flight.running(), 0);
    }
}
