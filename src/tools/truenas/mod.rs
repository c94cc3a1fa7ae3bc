//! TrueNAS SCALE through its own API: pools with their scrubs, datasets, snapshots, TrueNAS's
//! alerts and apps. Read-only twice over: the client can only name allow-listed methods, and with
//! `truenas.require_readonly` the tools refuse to run on a key whose roles could write.

pub mod client;
mod tools;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::OnceCell;

pub use self::client::{Method, Transport, TrueNasClient, TrueNasError};
pub use self::tools::{
    Apps, Datasets, DiskHealth, PoolFact, Snapshots, TrueNasAlerts, TrueNasFacts, TrueNasPools,
    facts,
};
use crate::secret::Secret;
use crate::tools::ToolError;

/// The `[truenas]` section.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrueNasConfig {
    /// `https://truenas.lan`; unset = no TrueNAS tools. env: TRUENAS_URL
    pub url: Option<String>,
    /// The API key's owner, which the `API_KEY_PLAIN` login needs. env: TRUENAS_USERNAME
    pub username: Option<String>,
    /// env: TRUENAS_API_KEY (or TRUENAS_API_KEY_FILE)
    pub api_key: Option<Secret>,
    pub api_key_file: Option<PathBuf>,
    /// Check the server's certificate (off only for a self-signed TrueNAS without `ca_file`).
    pub verify_tls: bool,
    /// A CA (PEM) to trust instead of the system's roots.
    pub ca_file: Option<PathBuf>,
    /// Run the tools only when `auth.me` shows the key cannot write.
    pub require_readonly: bool,
    /// Per-request timeout, seconds.
    pub timeout_secs: u64,
}

impl Default for TrueNasConfig {
    fn default() -> Self {
        Self {
            url: None,
            username: None,
            api_key: None,
            api_key_file: None,
            verify_tls: true,
            ca_file: None,
            require_readonly: true,
            timeout_secs: 10,
        }
    }
}

/// The ages past which a scrub is overdue and a snapshot stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    pub scrub_max_age_days: u64,
    pub snapshot_max_age_hours: u64,
}

/// Roles that only read: TrueNAS's Read-Only Administrator and every `*_READ` role.
fn read_only_role(role: &str) -> bool {
    role == "READONLY_ADMIN" || role.ends_with("_READ")
}

/// The connection the TrueNAS tools share, with the read-only check made once.
pub struct TrueNas {
    pub client: TrueNasClient,
    pub config: TrueNasConfig,
    /// When a scrub is overdue and a snapshot stale (`alerts.*`).
    pub thresholds: Thresholds,
    readonly: OnceCell<Result<(), String>>,
}

impl std::fmt::Debug for TrueNas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrueNas")
            .field("client", &self.client)
            .finish()
    }
}

impl TrueNas {
    /// `None` when no URL is set; an error when the settings cannot work.
    pub fn from_config(
        config: &TrueNasConfig,
        thresholds: Thresholds,
    ) -> Option<Result<Arc<Self>, TrueNasError>> {
        config.url.as_ref()?;
        Some(TrueNasClient::new(config).map(|client| {
            Arc::new(Self {
                client,
                config: config.clone(),
                thresholds,
                readonly: OnceCell::new(),
            })
        }))
    }

    /// `Err(why)` when `require_readonly` is on and the key could write (or its roles cannot be
    /// read). Checked once per process; a failed connection is not remembered.
    pub async fn check_read_only(&self) -> Result<(), ToolError> {
        if !self.config.require_readonly {
            return Ok(());
        }
        let verdict = self
            .readonly
            .get_or_try_init(|| async {
                let me = self
                    .client
                    .call(Method::AuthMe, Value::Array(vec![]))
                    .await?;
                let roles = roles(&me);
                let writable: Vec<&str> = roles
                    .iter()
                    .map(String::as_str)
                    .filter(|r| !read_only_role(r))
                    .collect();
                let verdict = if roles.is_empty() {
                    Err(
                        "TrueNAS shows no roles for this API key, so it cannot be shown to be \
                         read-only"
                            .to_owned(),
                    )
                } else if writable.is_empty() {
                    Ok(())
                } else {
                    Err(format!(
                        "the TrueNAS tools are disabled: this API key can write (roles {}); \
                         give the assistant a key of a user in the Read-Only Administrator \
                         group, or set truenas.require_readonly = false",
                        writable.join(", ")
                    ))
                };
                if let Err(why) = &verdict {
                    tracing::warn!("{why}");
                }
                Ok::<_, TrueNasError>(verdict)
            })
            .await
            .map_err(ToolError::from)?;
        verdict.clone().map_err(ToolError::Unavailable)
    }

    /// One read-only call, after the key check.
    pub async fn call(&self, method: Method, params: Value) -> Result<Value, ToolError> {
        self.check_read_only().await?;
        Ok(self.client.call(method, params).await?)
    }

    /// Snapshots under whichever name this version has: `pool.snapshot.query` (25.10+), else
    /// `zfs.snapshot.query`.
    pub async fn snapshots(&self, params: Value) -> Result<Value, ToolError> {
        self.check_read_only().await?;
        match self.client.transport().await? {
            Transport::Rest => Ok(self
                .client
                .call(Method::ZfsSnapshotQuery, Value::Null)
                .await?),
            Transport::WebSocket => {
                match self
                    .client
                    .call(Method::PoolSnapshotQuery, params.clone())
                    .await
                {
                    Err(TrueNasError::NoSuchMethod(_)) => {
                        Ok(self.client.call(Method::ZfsSnapshotQuery, params).await?)
                    }
                    other => Ok(other?),
                }
            }
        }
    }
}

/// `privilege.roles` of `auth.me`: a list, or the middleware's `{"$set": [...]}`.
fn roles(me: &Value) -> Vec<String> {
    let roles = &me["privilege"]["roles"];
    let list = roles.get("$set").unwrap_or(roles);
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A TrueNAS date: `{"$date": ms}`, or seconds as a number or a string.
pub fn date(value: &Value) -> Option<DateTime<Utc>> {
    if let Some(ms) = value.get("$date").and_then(Value::as_i64) {
        return DateTime::from_timestamp_millis(ms);
    }
    let seconds = value
        .as_i64()
        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))?;
    DateTime::from_timestamp(seconds, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn roles_read_from_sets_and_lists() {
        let me = json!({"privilege": {"roles": {"$set": ["READONLY_ADMIN", "ALERT_LIST_READ"]}}});
        assert_eq!(roles(&me), vec!["READONLY_ADMIN", "ALERT_LIST_READ"]);
        assert!(roles(&me).iter().all(|r| read_only_role(r)));
        let me = json!({"privilege": {"roles": ["FULL_ADMIN"]}});
        assert!(!read_only_role(&roles(&me)[0]));
        assert!(!read_only_role("SHARING_ADMIN"));
        assert!(!read_only_role("POOL_WRITE"));
    }

    #[test]
    fn dates_in_every_form() {
        let expected = DateTime::from_timestamp(1_700_000_000, 0);
        assert_eq!(date(&json!({"$date": 1_700_000_000_000i64})), expected);
        assert_eq!(date(&json!(1_700_000_000)), expected);
        assert_eq!(date(&json!("1700000000")), expected);
        assert_eq!(date(&json!("soon")), None);
    }
}
