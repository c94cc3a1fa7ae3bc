//! What every request handler shares: the core's handler, the keys, the rate limiters and the
//! bookkeeping that lets `run` wait for the core to finish requests it already started.

use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderMap;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use homelab_port::{ChatError, ChatHandler, Inbound, Rejection, Reply};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;
use tokio::sync::mpsc;

use crate::{ApiKey, Config, Error, MetricsRenderer};

/// The header the old gateway read its key from.
pub(crate) const API_KEY_HEADER: &str = "x-api-key";

/// How long one answer may take before the asker gets a 503; generous because a local LLM with
/// several tool rounds can be slow, but finite so that no request hangs forever.
pub const HANDLER_TIMEOUT: Duration = Duration::from_secs(120);

/// Shared state of the router built by [`crate::app`].
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Shared>,
    pub(crate) limiters: Arc<Limiters>,
    /// Cloned into every task that runs the core, so `run` can wait until all are done.
    in_flight: mpsc::Sender<()>,
}

pub(crate) struct Shared {
    handler: Arc<dyn ChatHandler>,
    keys: Vec<ApiKey>,
    pub(crate) max_body_bytes: usize,
    pub(crate) max_message_chars: usize,
    pub(crate) metrics: Option<MetricsRenderer>,
    pub(crate) metrics_public: bool,
    /// Web origins (`https://dash.example.org`) whose pages may call `/chat`.
    pub(crate) allowed_origins: Vec<String>,
    handler_timeout: Duration,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("keys", &self.inner.keys)
            .field("max_body_bytes", &self.inner.max_body_bytes)
            .field("max_message_chars", &self.inner.max_message_chars)
            .field("metrics", &self.inner.metrics.is_some())
            .field("metrics_public", &self.inner.metrics_public)
            .field("handler_timeout", &self.inner.handler_timeout)
            .finish_non_exhaustive()
    }
}

/// Who a request is, as far as the `X-API-Key` header tells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Caller {
    /// A configured key; holds its name.
    Key(String),
    /// No keys are configured (loopback only): everyone is anonymous.
    Anonymous,
    /// Keys are configured and the request had none.
    MissingKey,
    /// Keys are configured and the request's key matched none of them.
    WrongKey,
}

impl Caller {
    /// The audit `user_id`.
    pub(crate) fn user_id(&self) -> &str {
        match self {
            Caller::Key(name) => name,
            Caller::Anonymous => "anonymous",
            Caller::MissingKey | Caller::WrongKey => "unauthenticated",
        }
    }
}

/// The outcome of asking the core something, once the adapter stops waiting.
pub(crate) enum CoreOutcome<T> {
    Done(Result<T, ChatError>),
    /// The core took longer than [`HANDLER_TIMEOUT`]; its task keeps running so it can still
    /// write its audit entry.
    TimedOut,
    /// The core panicked.
    Panicked,
}

impl AppState {
    /// State for [`crate::app`]; fails on a config that cannot work (zero rate, empty key).
    pub fn new(
        config: &Config,
        handler: Arc<dyn ChatHandler>,
        metrics: Option<MetricsRenderer>,
    ) -> Result<Self, Error> {
        Self::build(config, handler, metrics).map(|(state, _)| state)
    }

    /// Also returns the receiving end of the in-flight tracker: `recv` yields `None` once every
    /// clone of the state and every core task is gone.
    pub(crate) fn build(
        config: &Config,
        handler: Arc<dyn ChatHandler>,
        metrics: Option<MetricsRenderer>,
    ) -> Result<(Self, mpsc::Receiver<()>), Error> {
        config.validate()?;
        let (in_flight, done) = mpsc::channel(1);
        let state = Self {
            inner: Arc::new(Shared {
                handler,
                keys: config.api_keys.clone(),
                max_body_bytes: config.max_body_bytes,
                max_message_chars: config.max_message_chars,
                metrics,
                metrics_public: config.metrics_public,
                allowed_origins: config.allowed_origins.clone(),
                handler_timeout: HANDLER_TIMEOUT,
            }),
            limiters: Arc::new(Limiters::new(config.rate_limit)?),
            in_flight,
        };
        Ok((state, done))
    }

    /// Identifies the caller from its `X-API-Key`, comparing against every key in constant time
    /// so neither the key nor which key matched shows in the timing.
    pub(crate) fn caller(&self, headers: &HeaderMap) -> Caller {
        let keys = &self.inner.keys;
        if keys.is_empty() {
            return Caller::Anonymous;
        }
        let Some(presented) = headers.get(API_KEY_HEADER) else {
            return Caller::MissingKey;
        };
        let presented = presented.as_bytes();
        let mut matched = None;
        for key in keys {
            let equal: bool = key.key.expose_secret().as_bytes().ct_eq(presented).into();
            if equal && matched.is_none() {
                matched = Some(key.name.clone());
            }
        }
        matched.map_or(Caller::WrongKey, Caller::Key)
    }

    /// Takes one request from the caller's allowance: a valid key's own bucket, else the client
    /// IP's. `Err` holds the seconds until the next request would be allowed.
    pub(crate) fn check_rate(&self, caller: &Caller, ip: IpAddr) -> Result<(), u64> {
        match caller {
            Caller::Key(name) => self.limiters.check_key(name),
            _ => self.limiters.check_ip(ip),
        }
    }

    /// Runs `handler.handle` in a task of its own, so that a client hanging up cannot cancel the
    /// core halfway through its audit write, and stops waiting after the handler timeout.
    pub(crate) async fn handle(&self, inbound: Inbound) -> CoreOutcome<Reply> {
        let handler = Arc::clone(&self.inner.handler);
        self.run_core(async move { handler.handle(inbound).await })
            .await
    }

    /// Records a request the adapter turned away, detached for the same reason as [`Self::handle`].
    pub(crate) async fn reject(&self, inbound: Inbound, rejection: Rejection) -> CoreOutcome<()> {
        let handler = Arc::clone(&self.inner.handler);
        self.run_core(async move { handler.reject(inbound, rejection).await })
            .await
    }

    async fn run_core<T, F>(&self, work: F) -> CoreOutcome<T>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, ChatError>> + Send + 'static,
    {
        let guard = self.in_flight.clone();
        let task = tokio::spawn(async move {
            let result = work.await;
            drop(guard);
            result
        });
        match tokio::time::timeout(self.inner.handler_timeout, task).await {
            Ok(Ok(result)) => CoreOutcome::Done(result),
            Ok(Err(_)) => CoreOutcome::Panicked,
            Err(_) => CoreOutcome::TimedOut,
        }
    }
}

/// One bucket per API key name and one per client IP.
pub(crate) struct Limiters {
    by_key: DefaultKeyedRateLimiter<String>,
    by_ip: DefaultKeyedRateLimiter<IpAddr>,
}

impl Limiters {
    fn new(rate: crate::RateLimit) -> Result<Self, Error> {
        let requests = NonZeroU32::new(rate.requests)
            .ok_or_else(|| Error::InvalidConfig("rate_limit.requests must be at least 1".into()))?;
        // One request's share of the window; the burst lets a client spend the whole window's
        // allowance at once, as the old fixed-window limiter did.
        let quota = Quota::with_period(rate.window / rate.requests)
            .ok_or_else(|| Error::InvalidConfig("rate_limit.window is too short".into()))?
            .allow_burst(requests);
        Ok(Self {
            by_key: RateLimiter::keyed(quota),
            by_ip: RateLimiter::keyed(quota),
        })
    }

    fn check_key(&self, name: &String) -> Result<(), u64> {
        self.by_key.check_key(name).map_err(|not_until| {
            retry_after_secs(not_until.wait_time_from(self.by_key.clock().now()))
        })
    }

    fn check_ip(&self, ip: IpAddr) -> Result<(), u64> {
        self.by_ip
            .check_key(&ip.to_canonical())
            .map_err(|not_until| {
                retry_after_secs(not_until.wait_time_from(self.by_ip.clock().now()))
            })
    }

    /// Forgets callers whose buckets are full again, so the maps stay as small as the set of
    /// recently active callers.
    pub(crate) fn forget_idle(&self) {
        self.by_key.retain_recent();
        self.by_key.shrink_to_fit();
        self.by_ip.retain_recent();
        self.by_ip.shrink_to_fit();
    }

    #[cfg(test)]
    fn tracked(&self) -> (usize, usize) {
        (self.by_key.len(), self.by_ip.len())
    }
}

/// `Retry-After` is whole seconds; round up so a client that obeys it is admitted.
fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn retry_after_rounds_up_and_is_never_zero() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(10)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1001)), 2);
    }

    #[test]
    fn limiters_allow_the_window_then_refuse_and_forget_idle_callers() {
        let limiters = Limiters::new(crate::RateLimit {
            requests: 3,
            window: Duration::from_secs(30),
        })
        .unwrap();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(limiters.check_ip(ip), Ok(()));
        }
        let retry = limiters.check_ip(ip).unwrap_err();
        assert!((1..=10).contains(&retry), "retry after {retry}");
        // Another caller has its own bucket.
        assert_eq!(limiters.check_key(&"ops".to_owned()), Ok(()));
        assert_eq!(limiters.tracked(), (1, 1));
        limiters.forget_idle();
        // Both buckets are still draining, so they must be kept.
        assert_eq!(limiters.tracked(), (1, 1));
    }

    #[test]
    fn callers_whose_buckets_refilled_are_forgotten() {
        let limiters = Limiters::new(crate::RateLimit {
            requests: 2,
            window: Duration::from_millis(20),
        })
        .unwrap();
        assert_eq!(limiters.check_ip("192.0.2.7".parse().unwrap()), Ok(()));
        assert_eq!(limiters.check_key(&"ops".to_owned()), Ok(()));
        assert_eq!(limiters.tracked(), (1, 1));
        // Well past the window, so both buckets are full again (only ever more time passes).
        std::thread::sleep(Duration::from_millis(60));
        limiters.forget_idle();
        assert_eq!(limiters.tracked(), (0, 0));
    }

    #[test]
    fn ipv4_mapped_clients_share_the_ipv4_bucket() {
        let limiters = Limiters::new(crate::RateLimit {
            requests: 1,
            window: Duration::from_secs(60),
        })
        .unwrap();
        assert_eq!(limiters.check_ip("192.0.2.7".parse().unwrap()), Ok(()));
        assert!(
            limiters
                .check_ip("::ffff:192.0.2.7".parse().unwrap())
                .is_err()
        );
    }

    struct Nobody;

    #[async_trait::async_trait]
    impl ChatHandler for Nobody {
        async fn handle(&self, _: Inbound) -> Result<Reply, ChatError> {
            Err(ChatError::Internal("unused".into()))
        }
        async fn reject(&self, _: Inbound, _: Rejection) -> Result<(), ChatError> {
            Ok(())
        }
    }

    fn state(keys: Vec<ApiKey>) -> AppState {
        let config = Config {
            api_keys: keys,
            ..Config::default()
        };
        AppState::new(&config, Arc::new(Nobody), None).unwrap()
    }

    fn with_key(key: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(API_KEY_HEADER, HeaderValue::from_str(key).unwrap());
        headers
    }

    #[test]
    fn callers_are_named_by_their_key() {
        let state = state(vec![
            ApiKey::new("default", "s3cret-one"),
            ApiKey::new("grafana", "s3cret-two"),
        ]);
        assert_eq!(
            state.caller(&with_key("s3cret-two")),
            Caller::Key("grafana".into())
        );
        assert_eq!(
            state.caller(&with_key("s3cret-one")),
            Caller::Key("default".into())
        );
        assert_eq!(state.caller(&with_key("s3cret")), Caller::WrongKey);
        assert_eq!(state.caller(&with_key("s3cret-one ")), Caller::WrongKey);
        assert_eq!(state.caller(&with_key("")), Caller::WrongKey);
        assert_eq!(state.caller(&HeaderMap::new()), Caller::MissingKey);
    }

    #[test]
    fn without_keys_everyone_is_anonymous() {
        let state = state(Vec::new());
        assert_eq!(state.caller(&with_key("anything")), Caller::Anonymous);
        assert_eq!(Caller::Anonymous.user_id(), "anonymous");
        assert_eq!(Caller::WrongKey.user_id(), "unauthenticated");
    }

    #[test]
    fn debug_never_shows_a_key() {
        let state = state(vec![ApiKey::new("default", "s3cret-one")]);
        let shown = format!("{state:?}");
        assert!(shown.contains("default"));
        assert!(!shown.contains("s3cret-one"));
    }
}
