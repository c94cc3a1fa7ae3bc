//! Background chores that belong to one run of an adapter: they must stop when the adapter's `run`
//! returns, however it returns, or a restarted bot would leave the old run's chores behind.

use std::time::Duration;

use tokio::task::JoinHandle;

/// Aborts the task it holds when dropped.
#[derive(Debug)]
pub struct AbortOnDrop(pub JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `chore` every `period` (first after one period) until the returned guard is dropped.
pub fn every(period: Duration, mut chore: impl FnMut() + Send + 'static) -> AbortOnDrop {
    AbortOnDrop(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            chore();
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(start_paused = true)]
    async fn a_chore_runs_each_period_and_stops_with_its_guard() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&runs);
        let guard = every(Duration::from_secs(60), move || {
            counted.fetch_add(1, Ordering::SeqCst);
        });
        tokio::time::sleep(Duration::from_secs(59)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 0);
        tokio::time::sleep(Duration::from_secs(62)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        drop(guard);
        tokio::time::sleep(Duration::from_secs(600)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }
}
