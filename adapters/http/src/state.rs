//! What every request handler shares: the core's handler, the keys, the rate limiters and the
//! bookkeeping that lets `run` wait for the core to finish requests it already started.
#![cfg(feature = "sdk")]

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use axum::http::HeaderMap;
use homelab_kit::{Core, KeyedLimiter, RateLimit, Secret, refuse_problems};
use homelab_port::ChatHandler;

use crate::{Config, Error, MetricsRenderer};

/// The header the old gateway read its key from.
pub(crate) const API_KEY_HEADER: &str = "x-api-key";

/// Shared state of the router built by [`crate::app`].
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Shared>,
    pub(crate) limiters: Arc<Limiters>,
    /// Every call into the core goes through here, so `run` can drain them at shutdown.
    pub(crate) core: Core,
}

pub(crate) struct Shared {
    /// Each accepted key with its name.
    keys: Vec<(String, Secret)>,
    pub(crate) max_body_bytes: usize,
    pub(crate) metrics: Option<MetricsRenderer>,
    pub(crate) metrics_public: bool,
    pub(crate) web_ui: bool,
    /// Web origins (`https://dash.example.org`) whose pages may call `/chat`.
    pub(crate) allowed_origins: Vec<String>,
    /// The webhooks' token; the hooks are served only when it is set.
    pub(crate) webhook_token: Option<Secret>,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field(
                "keys",
                &self
                    .inner
                    .keys
                    .iter()
                    .map(|(name, _)| name)
                    .collect::<Vec<_>>(),
            )
            .field("max_body_bytes", &self.inner.max_body_bytes)
            .field("metrics", &self.inner.metrics.is_some())
            .field("metrics_public", &self.inner.metrics_public)
            .field("core", &self.core)
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

impl AppState {
    /// State for [`crate::app`]; fails on a config that cannot work (zero rate, empty key),
    /// naming every problem.
    pub fn new(
        config: &Config,
        handler: Arc<dyn ChatHandler>,
        metrics: Option<MetricsRenderer>,
    ) -> Result<Self, Error> {
        refuse_problems(config.validate(), config.rate_limit).map_err(Error::InvalidConfig)?;
        Ok(Self {
            inner: Arc::new(Shared {
                keys: config.keys(),
                max_body_bytes: config.max_body_bytes,
                metrics,
                metrics_public: config.metrics_public,
                web_ui: config.web_ui,
                allowed_origins: config.allowed_origins.clone(),
                webhook_token: config.webhooks.token.clone(),
            }),
            limiters: Arc::new(Limiters::new(config.rate_limit)?),
            core: Core::new(handler),
        })
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
        for (name, key) in keys {
            if key.matches(presented) && matched.is_none() {
                matched = Some(name.clone());
            }
        }
        matched.map_or(Caller::WrongKey, Caller::Key)
    }

    /// Takes one request from the caller's allowance: a valid key's own bucket, else the client
    /// IP's. `Err` holds the seconds until the next request would be allowed.
    pub(crate) fn check_rate(&self, caller: &Caller, ip: IpAddr) -> Result<(), u64> {
        match caller {
            Caller::Key(name) => self.limiters.by_key.check(name),
            _ => self.limiters.by_ip.check(&ip.to_canonical()),
        }
    }
}

/// One bucket per API key name and one per client IP.
pub(crate) struct Limiters {
    by_key: KeyedLimiter<String>,
    by_ip: KeyedLimiter<IpAddr>,
}

impl Limiters {
    fn new(rate: RateLimit) -> Result<Self, Error> {
        let invalid = |e: homelab_kit::RateLimitError| Error::InvalidConfig(e.to_string());
        Ok(Self {
            by_key: KeyedLimiter::new(rate).map_err(invalid)?,
            by_ip: KeyedLimiter::new(rate).map_err(invalid)?,
        })
    }

    /// Forgets callers whose buckets are full again.
    pub(crate) fn forget_idle(&self) {
        self.by_key.forget_idle();
        self.by_ip.forget_idle();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ApiKey;
    use axum::http::HeaderValue;
    use homelab_port::{ChatError, Inbound, Rejection, Reply};

    #[test]
    fn ipv4_mapped_clients_share_the_ipv4_bucket_and_keys_have_their_own() {
        let config = Config {
            api_keys: vec![ApiKey::new("ops", "k")],
            rate_limit: RateLimit {
                requests: 1,
                window: std::time::Duration::from_secs(60),
            },
            ..Config::default()
        };
        let state = AppState::new(&config, Arc::new(Nobody), None).unwrap();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(state.check_rate(&Caller::WrongKey, ip), Ok(()));
        assert!(state.check_rate(&Caller::MissingKey, mapped).is_err());
        assert_eq!(state.check_rate(&Caller::Key("ops".into()), ip), Ok(()));
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
            ApiKey::new("ops", "s3cret-one"),
            ApiKey::new("grafana", "s3cret-two"),
        ]);
        assert_eq!(
            state.caller(&with_key("s3cret-two")),
            Caller::Key("grafana".into())
        );
        assert_eq!(
            state.caller(&with_key("s3cret-one")),
            Caller::Key("ops".into())
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
        let state = state(vec![ApiKey::new("ops", "s3cret-one")]);
        let shown = format!("{state:?}");
        assert!(shown.contains("ops"));
        assert!(!shown.contains("s3cret-one"));
    }
}
