//! Concurrent identical read-only calls share one upstream request: while a call with the same
//! tool and arguments is running, later callers wait for its result instead of asking Docker or
//! the host again. A tool may also keep its last result fresh for a short window (a container
//! list for a second); a result served from that window says how old it is.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};

use super::{ToolError, ToolOutput};

type Outcome = Result<ToolOutput, ToolError>;

/// Results older than this are said to be so in the answer.
const AGE_WORTH_SAYING: Duration = Duration::from_millis(100);
/// Fresh results kept before expired ones are swept.
const SWEEP_AT: usize = 256;

#[derive(Default)]
pub struct SingleFlight {
    running: Mutex<HashMap<String, Shared<BoxFuture<'static, Outcome>>>>,
    fresh: Mutex<HashMap<String, (Instant, Instant, Outcome)>>,
}

impl std::fmt::Debug for SingleFlight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SingleFlight").finish_non_exhaustive()
    }
}

impl SingleFlight {
    /// The result of `key`'s call: a fresh one, the one running, or a new one from `start`.
    pub async fn run(
        &self,
        key: String,
        freshness: Duration,
        start: impl FnOnce() -> BoxFuture<'static, Outcome>,
    ) -> Outcome {
        if !freshness.is_zero()
            && let Some(fresh) = self.fresh(&key)
        {
            return fresh;
        }
        let shared = {
            let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
            running
                .entry(key.clone())
                .or_insert_with(|| start().shared())
                .clone()
        };
        let outcome = shared.clone().await;
        // Whoever sees the run finish first retires it, the caller that started it or, if that
        // one went away, any other: a finished run must never be served as if running.
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if running
            .get(&key)
            .is_some_and(|current| current.ptr_eq(&shared))
        {
            running.remove(&key);
            drop(running);
            if !freshness.is_zero() && outcome.is_ok() {
                let now = Instant::now();
                let mut fresh = self.fresh.lock().unwrap_or_else(|p| p.into_inner());
                if fresh.len() >= SWEEP_AT {
                    fresh.retain(|_, (_, until, _)| *until > now);
                }
                fresh.insert(key, (now, now + freshness, outcome.clone()));
            }
        }
        outcome
    }

    fn fresh(&self, key: &str) -> Option<Outcome> {
        let fresh = self.fresh.lock().unwrap_or_else(|p| p.into_inner());
        let (made, until, outcome) = fresh.get(key)?;
        let now = Instant::now();
        if now >= *until {
            return None;
        }
        let age = now.duration_since(*made);
        let mut outcome = outcome.clone();
        if age >= AGE_WORTH_SAYING
            && let Ok(output) = &mut outcome
        {
            output.text = format!(
                "{}\n_(as of {:.1} s ago)_",
                output.text.trim_end(),
                age.as_secs_f64()
            );
        }
        Some(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn counted(runs: &Arc<AtomicUsize>, delay: Duration) -> BoxFuture<'static, Outcome> {
        let runs = runs.clone();
        async move {
            runs.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(delay).await;
            Ok(ToolOutput {
                data: json!({"n": 1}),
                text: "listed".to_owned(),
            })
        }
        .boxed()
    }

    #[tokio::test]
    async fn concurrent_identical_calls_share_one_run() {
        let flights = SingleFlight::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let calls = (0..50).map(|_| {
            flights.run("list{}".into(), Duration::ZERO, || {
                counted(&runs, Duration::from_millis(50))
            })
        });
        let outcomes = futures::future::join_all(calls).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(
            outcomes
                .iter()
                .all(|o| o.as_ref().unwrap().text == "listed")
        );
        // Once it finished, the next call runs again: no window was asked for.
        flights
            .run("list{}".into(), Duration::ZERO, || {
                counted(&runs, Duration::ZERO)
            })
            .await
            .unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_run_whose_starter_went_away_is_finished_and_retired_by_another() {
        let flights = SingleFlight::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let slow = Duration::from_millis(50);
        let abandoned = flights.run("k".into(), Duration::ZERO, || counted(&runs, slow));
        // Polled once, then dropped: the run is registered, its starter gone.
        assert!(futures::poll!(Box::pin(abandoned)).is_pending());
        flights
            .run("k".into(), Duration::ZERO, || counted(&runs, slow))
            .await
            .unwrap();
        assert_eq!(
            runs.load(Ordering::SeqCst),
            1,
            "the second caller joined the run"
        );
        flights
            .run("k".into(), Duration::ZERO, || counted(&runs, slow))
            .await
            .unwrap();
        assert_eq!(
            runs.load(Ordering::SeqCst),
            2,
            "a finished run is not served again"
        );
    }

    #[tokio::test]
    async fn different_arguments_do_not_share() {
        let flights = SingleFlight::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let delay = Duration::from_millis(20);
        let (a, b) = futures::future::join(
            flights.run("a".into(), Duration::ZERO, || counted(&runs, delay)),
            flights.run("b".into(), Duration::ZERO, || counted(&runs, delay)),
        )
        .await;
        assert!(a.is_ok() && b.is_ok());
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_freshness_window_reuses_the_result_and_says_its_age() {
        let flights = SingleFlight::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let window = Duration::from_millis(400);
        let run = || flights.run("list".into(), window, || counted(&runs, Duration::ZERO));
        run().await.unwrap();
        assert_eq!(run().await.unwrap().text, "listed", "too young to mention");
        tokio::time::sleep(Duration::from_millis(150)).await;
        let aged = run().await.unwrap();
        assert!(aged.text.starts_with("listed\n_(as of 0."), "{}", aged.text);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        tokio::time::sleep(window).await;
        assert_eq!(run().await.unwrap().text, "listed");
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn errors_are_shared_but_not_kept() {
        let flights = SingleFlight::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let failing = |runs: &Arc<AtomicUsize>| {
            let runs = runs.clone();
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                Err(ToolError::Unavailable("docker is down".into()))
            }
            .boxed()
        };
        let window = Duration::from_secs(5);
        assert!(
            flights
                .run("x".into(), window, || failing(&runs))
                .await
                .is_err()
        );
        assert!(
            flights
                .run("x".into(), window, || failing(&runs))
                .await
                .is_err()
        );
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }
}
