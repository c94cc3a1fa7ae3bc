//! The per-caller rate limit every adapter applies before a request reaches the core: its
//! setting (`[rate_limit]`, shared by all adapters), a keyed token bucket per caller, and the idle
//! cleanup that keeps the bucket map as small as the set of recent callers.

use std::hash::Hash;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use serde::{Deserialize, Serialize};

use crate::ConfigProblem;

/// How often adapters drop the buckets of callers that are idle again.
pub const FORGET_IDLE_EVERY: Duration = Duration::from_secs(60);

/// The longest window accepted: a day.
const MAX_WINDOW: Duration = Duration::from_secs(86_400);

/// At most `requests` per `window` for each caller, with the whole allowance usable as a burst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimit {
    /// `RATE_LIMIT_REQUESTS`.
    pub requests: u32,
    /// `RATE_LIMIT_WINDOW`, in whole seconds in the config.
    #[serde(rename = "window_secs", with = "crate::whole_seconds")]
    pub window: Duration,
}

impl Default for RateLimit {
    /// The old gateway's `RATE_LIMIT_REQUESTS=60`, `RATE_LIMIT_WINDOW=60`.
    fn default() -> Self {
        Self {
            requests: 60,
            window: Duration::from_secs(60),
        }
    }
}

impl RateLimit {
    /// Every problem with this rate, keyed under `prefix` (`rate_limit`).
    pub fn problems(&self, prefix: &str) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        if self.requests == 0 {
            problems.push(ConfigProblem::new(
                format!("{prefix}.requests"),
                "must be at least 1",
            ));
        }
        if self.window.is_zero() || self.window > MAX_WINDOW {
            problems.push(ConfigProblem::new(
                format!("{prefix}.window_secs"),
                "must be between 1 and 86400 seconds",
            ));
        }
        problems
    }

    fn quota(&self) -> Result<Quota, RateLimitError> {
        let requests = NonZeroU32::new(self.requests).ok_or(RateLimitError::NoRequests)?;
        // One request's share of the window; the burst lets a caller spend the whole window's
        // allowance at once, as the old gateway's fixed-window limiter did.
        Ok(Quota::with_period(self.window / self.requests)
            .ok_or(RateLimitError::WindowTooShort)?
            .allow_burst(requests))
    }
}

/// A rate that no limiter can enforce.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RateLimitError {
    #[error("rate_limit.requests must be at least 1")]
    NoRequests,
    #[error("rate_limit.window_secs is too short")]
    WindowTooShort,
}

/// One token bucket per caller key (an API key name, a client IP, a Discord or Matrix user).
#[derive(Debug)]
pub struct KeyedLimiter<K: Hash + Eq + Clone> {
    buckets: RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>,
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    pub fn new(rate: RateLimit) -> Result<Self, RateLimitError> {
        Ok(Self {
            buckets: RateLimiter::keyed(rate.quota()?),
        })
    }

    /// Spends one request of `key`'s allowance; `Err` holds the whole seconds until the next one
    /// would be admitted.
    pub fn check(&self, key: &K) -> Result<(), u64> {
        self.buckets.check_key(key).map_err(|not_until| {
            retry_after_secs(not_until.wait_time_from(self.buckets.clock().now()))
        })
    }

    /// Forgets callers whose buckets are full again.
    pub fn forget_idle(&self) {
        self.buckets.retain_recent();
        self.buckets.shrink_to_fit();
    }

    /// How many callers have a bucket now.
    pub fn tracked(&self) -> usize {
        self.buckets.len()
    }
}

/// `Retry-After` is whole seconds; rounded up so a caller who waits that long is admitted.
fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(requests: u32, window: Duration) -> RateLimit {
        RateLimit { requests, window }
    }

    #[test]
    fn retry_after_rounds_up_and_is_never_zero() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(10)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
    }

    #[test]
    fn the_window_is_allowed_then_refused_per_caller() {
        let limiter = KeyedLimiter::new(rate(3, Duration::from_secs(30))).unwrap();
        for _ in 0..3 {
            assert_eq!(limiter.check(&"ada"), Ok(()));
        }
        let retry = limiter.check(&"ada").unwrap_err();
        assert!((1..=10).contains(&retry), "retry after {retry}");
        assert_eq!(limiter.check(&"bob"), Ok(()), "another caller has its own");
        assert_eq!(limiter.tracked(), 2);
        // Both buckets are still draining, so they must be kept.
        limiter.forget_idle();
        assert_eq!(limiter.tracked(), 2);
    }

    #[test]
    fn callers_whose_buckets_refilled_are_forgotten() {
        let limiter = KeyedLimiter::new(rate(2, Duration::from_millis(20))).unwrap();
        assert_eq!(limiter.check(&7), Ok(()));
        assert_eq!(limiter.tracked(), 1);
        // Well past the window, so the bucket is full again (only ever more time passes).
        std::thread::sleep(Duration::from_millis(60));
        limiter.forget_idle();
        assert_eq!(limiter.tracked(), 0);
    }

    #[test]
    fn a_rate_that_cannot_work_is_refused_and_explained() {
        assert_eq!(
            KeyedLimiter::<u64>::new(rate(0, Duration::from_secs(60))).unwrap_err(),
            RateLimitError::NoRequests
        );
        let problems = rate(0, Duration::ZERO).problems("rate_limit");
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["rate_limit.requests", "rate_limit.window_secs"]);
        assert!(rate(60, Duration::from_secs(86_401)).problems("r").len() == 1);
        assert!(RateLimit::default().problems("rate_limit").is_empty());
    }

    #[test]
    fn the_window_is_written_in_whole_seconds() {
        let rate: RateLimit = serde_json::from_str(r#"{"requests": 5, "window_secs": 9}"#).unwrap();
        assert_eq!(rate, self::rate(5, Duration::from_secs(9)));
        assert_eq!(
            serde_json::to_value(rate).unwrap(),
            serde_json::json!({"requests": 5, "window_secs": 9})
        );
    }
}
