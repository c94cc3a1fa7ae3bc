//! Alerts: health rules over the live system and Docker data, the `active_alerts` tool that lists
//! what is wrong now, and the optional watcher that tells the chats when that changes. Everything
//! here only reads; an alert describes a problem, it never acts on one.
//!
//! The rules themselves ([`rules::evaluate`]) are a pure function of a plain [`Facts`] value, so
//! every threshold is table-tested without a host or a Docker daemon; [`AlertEvaluator`] gathers
//! those facts from the sampler and the read-only Docker client and remembers, between runs, since
//! when each alert has been active and how each container's restart count moved.

pub mod docker;
pub mod inbox;
pub mod notifier;
pub mod rules;
pub mod tool;
pub mod watcher;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use futures::future::join_all;
use serde::{Deserialize, Serialize};

use crate::config::{AlertsConfig, Config};
use crate::tools::docker::DockerHosts;
use crate::tools::docker::client::{self, DockerClient};
use crate::tools::prometheus::PrometheusClient;
use crate::tools::sampler::Sampler;
use crate::tools::truenas::TrueNas;
use crate::tools::ups::UpsStatus;
use crate::tools::zfs::ZfsKstats;

pub use self::rules::{
    ContainerCounts, ContainerFacts, DiskFigure, EngineFacts, Facts, Figures, RecentRestarts,
    evaluate, figures,
};
pub use self::tool::ActiveAlerts;
pub use self::watcher::{AlertSource, Watcher, WatcherSettings, spawn_watcher};
pub use crate::config::QuietHours;

/// How bad an alert is; `Critical` sorts after (is greater than) `Warning`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    /// A coloured mark that reads the same in Discord, Matrix and a terminal.
    pub fn mark(self) -> &'static str {
        match self {
            Severity::Warning => "🟠",
            Severity::Critical => "🔴",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem that is active now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable across evaluations, so that the watcher can tell a new alert from an old one:
    /// `disk:/mnt/tank`, `memory`, `container:sonarr:unhealthy`, `docker:local`.
    pub id: String,
    pub severity: Severity,
    /// What it is about: `disk /mnt/tank`, `container sonarr`.
    pub subject: String,
    /// One line with the figure that crossed the threshold.
    pub message: String,
    /// When it started, or when this process first saw it (RFC 3339, whole seconds).
    pub since: DateTime<Utc>,
}

/// Worst first; within a severity, oldest first, then by id, so the order is stable.
pub fn sort_worst_first(alerts: &mut [Alert]) {
    alerts.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.since.cmp(&b.since))
            .then_with(|| a.id.cmp(&b.id))
    });
}

/// What one evaluation found: the alerts, worst first, and the key figures they were judged on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub alerts: Vec<Alert>,
    pub figures: Figures,
    pub evaluated_at: DateTime<Utc>,
}

/// Why the rules could not be evaluated at all. A Docker engine that cannot be read is not an
/// error but an alert of its own.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AlertError {
    #[error("system information is not available")]
    NoSystemData,
    #[error("the alert check failed: {0}")]
    Check(String),
    #[error("the alert check answered something unreadable: {0}")]
    Decode(String),
}

/// Gathers the facts and evaluates the rules, remembering between runs since when each alert has
/// been active and each container's recent restart counts. One instance is shared by the tool
/// and (through the tool registry) the watcher, so both tell the same since-when.
pub struct AlertEvaluator {
    config: AlertsConfig,
    sampler: Sampler,
    engines: Vec<Arc<DockerClient>>,
    zfs: Option<ZfsKstats>,
    ups: Option<Arc<UpsStatus>>,
    truenas: Option<Arc<TrueNas>>,
    fleet: Option<(Arc<PrometheusClient>, BTreeMap<String, String>)>,
    memory: Mutex<Memory>,
}

impl fmt::Debug for AlertEvaluator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlertEvaluator")
            .field("engines", &self.engines)
            .finish_non_exhaustive()
    }
}

impl AlertEvaluator {
    /// Over the sampler and the Docker engines the tools read (`docker`: `None` when Docker is
    /// off). When Docker was not configured at all and the default socket does not exist, this
    /// host simply has no Docker: that is not an alert.
    pub fn new(config: &Config, sampler: &Sampler, docker: Option<&DockerHosts>) -> Self {
        let settings = &config.docker;
        let configured = settings.host.is_some() || !settings.hosts.is_empty();
        let default_socket = client::DEFAULT_HOST.trim_start_matches("unix://");
        let engines = match docker {
            Some(hosts) if configured || Path::new(default_socket).exists() => {
                hosts.clients().to_vec()
            }
            _ => Vec::new(),
        };
        Self::with_engines(&config.alerts, sampler.clone(), engines)
    }

    /// Over these engines (tests point them at the fixture daemon).
    pub fn with_engines(
        config: &AlertsConfig,
        sampler: Sampler,
        engines: Vec<Arc<DockerClient>>,
    ) -> Self {
        Self {
            config: config.clone(),
            sampler,
            engines,
            zfs: None,
            ups: None,
            truenas: None,
            fleet: None,
            memory: Mutex::new(Memory::default()),
        }
    }

    /// Also judges the ZFS pools, the UPS and TrueNAS these read.
    pub fn with_storage(
        mut self,
        zfs: Option<ZfsKstats>,
        ups: Option<Arc<UpsStatus>>,
        truenas: Option<Arc<TrueNas>>,
    ) -> Self {
        self.zfs = zfs;
        self.ups = ups;
        self.truenas = truenas;
        self
    }

    /// Also judges the hosts of the fleet's Prometheus.
    pub fn with_fleet(
        mut self,
        client: Option<Arc<PrometheusClient>>,
        names: BTreeMap<String, String>,
    ) -> Self {
        self.fleet = client.map(|c| (c, names));
        self
    }

    /// Reads the latest system snapshot and every engine's containers, concurrently.
    pub async fn gather(&self) -> Result<Facts, AlertError> {
        let system = self
            .sampler
            .snapshot()
            .await
            .ok_or(AlertError::NoSystemData)?;
        let engines = join_all(self.engines.iter().map(|c| docker::engine_facts(c)));
        let pools = async {
            match &self.zfs {
                // Pools that cannot be read now are not a new alert: the kstats are local files
                // that vanish only when ZFS is unloaded.
                Some(zfs) => zfs.read().await.map(|s| s.pools).unwrap_or_default(),
                None => Vec::new(),
            }
        };
        let ups = async {
            match &self.ups {
                Some(ups) => Some(ups.readings(None).await.map_err(|e| e.to_string())),
                None => None,
            }
        };
        let truenas = async {
            match &self.truenas {
                Some(truenas) => Some(
                    crate::tools::truenas::facts(truenas)
                        .await
                        .map_err(|e| e.to_string()),
                ),
                None => None,
            }
        };
        let hosts = async {
            match &self.fleet {
                Some((client, names)) => Some(
                    crate::tools::prometheus::hosts(client, names)
                        .await
                        .map_err(|e| e.to_string()),
                ),
                None => None,
            }
        };
        let (engines, pools, ups, truenas, hosts) =
            tokio::join!(engines, pools, ups, truenas, hosts);
        Ok(Facts {
            taken_at: Utc::now(),
            system,
            engines,
            pools,
            ups,
            truenas,
            hosts,
        })
    }

    /// One evaluation: facts, restart history, rules, since-when.
    pub async fn report(&self) -> Result<Report, AlertError> {
        let mut facts = self.gather().await?;
        let mut memory = self.memory.lock().unwrap_or_else(|e| e.into_inner());
        memory.note_restarts(&mut facts, self.config.restart_window_secs);
        let mut alerts = evaluate(&self.config, &facts);
        memory.remember_since(&mut alerts);
        drop(memory);
        sort_worst_first(&mut alerts);
        Ok(Report {
            figures: figures(&facts),
            alerts,
            evaluated_at: facts.taken_at,
        })
    }
}

/// What the evaluator carries from one run to the next.
#[derive(Debug, Default)]
struct Memory {
    /// Alert id → when it was first seen active (forgotten when it clears).
    first_seen: HashMap<String, DateTime<Utc>>,
    /// `engine/container` → (time, restart count) samples within the restart window.
    restarts: HashMap<String, VecDeque<(DateTime<Utc>, i64)>>,
}

impl Memory {
    /// Records each container's restart count and fills in how many restarts the samples kept
    /// within the window show. A count that went down means the container was started by hand
    /// (Docker then resets it), so its history starts over.
    fn note_restarts(&mut self, facts: &mut Facts, window_secs: u64) {
        let horizon = facts.taken_at - chrono::Duration::seconds(window_secs as i64);
        let mut seen = Vec::new();
        for engine in &mut facts.engines {
            let Ok(containers) = &mut engine.containers else {
                // An engine that could not be read keeps its history for when it answers again.
                seen.extend(
                    self.restarts
                        .keys()
                        .filter(|k| k.starts_with(&format!("{}/", engine.name)))
                        .cloned(),
                );
                continue;
            };
            for container in containers.iter_mut() {
                let key = format!("{}/{}", engine.name, container.name);
                let samples = self.restarts.entry(key.clone()).or_default();
                if samples
                    .back()
                    .is_some_and(|(_, count)| *count > container.restart_count)
                {
                    samples.clear();
                }
                samples.push_back((facts.taken_at, container.restart_count));
                while samples.front().is_some_and(|(at, _)| *at < horizon) {
                    samples.pop_front();
                }
                container.recent_restarts = match (samples.front(), samples.back()) {
                    (Some(first), Some(last)) if samples.len() >= 2 => Some(RecentRestarts {
                        count: last.1 - first.1,
                        over_secs: u64::try_from((last.0 - first.0).num_seconds()).unwrap_or(0),
                    }),
                    _ => None,
                };
                seen.push(key);
            }
        }
        self.restarts.retain(|key, _| seen.contains(key));
    }

    /// Gives each alert the earliest known start: what the facts say (a container's exit time)
    /// or when it was first seen. Forgets alerts that are no longer active.
    fn remember_since(&mut self, alerts: &mut [Alert]) {
        for alert in alerts.iter_mut() {
            let first = self
                .first_seen
                .entry(alert.id.clone())
                .or_insert(alert.since);
            if alert.since < *first {
                *first = alert.since;
            }
            alert.since = *first;
        }
        self.first_seen
            .retain(|id, _| alerts.iter().any(|alert| alert.id == *id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::system::tests::sample_snapshot;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    fn facts_with_restarts(taken_at: DateTime<Utc>, restart_count: i64) -> Facts {
        Facts {
            taken_at,
            system: Arc::new(sample_snapshot()),
            engines: vec![EngineFacts {
                name: "local".into(),
                containers: Ok(vec![ContainerFacts {
                    name: "web".into(),
                    state: "running".into(),
                    restart_count,
                    ..ContainerFacts::default()
                }]),
            }],
            pools: Vec::new(),
            ups: None,
            truenas: None,
            hosts: None,
        }
    }

    fn recent(facts: &Facts) -> Option<RecentRestarts> {
        facts.engines[0].containers.as_ref().unwrap()[0].recent_restarts
    }

    #[test]
    fn restart_history_counts_within_the_window_and_resets_on_a_manual_start() {
        let mut memory = Memory::default();
        let mut facts = facts_with_restarts(at(0), 2);
        memory.note_restarts(&mut facts, 600);
        assert_eq!(recent(&facts), None, "one sample says nothing about a rise");

        let mut facts = facts_with_restarts(at(60), 4);
        memory.note_restarts(&mut facts, 600);
        assert_eq!(
            recent(&facts),
            Some(RecentRestarts {
                count: 2,
                over_secs: 60
            })
        );

        // Ten minutes later the first sample has left the window.
        let mut facts = facts_with_restarts(at(630), 5);
        memory.note_restarts(&mut facts, 600);
        assert_eq!(
            recent(&facts),
            Some(RecentRestarts {
                count: 1,
                over_secs: 570
            })
        );

        // `docker start` resets the count: history starts over instead of going negative.
        let mut facts = facts_with_restarts(at(690), 0);
        memory.note_restarts(&mut facts, 600);
        assert_eq!(recent(&facts), None);
    }

    #[test]
    fn since_is_the_earliest_known_start_and_is_forgotten_on_recovery() {
        let mut memory = Memory::default();
        let alert = |since| Alert {
            id: "memory".into(),
            severity: Severity::Warning,
            subject: "memory".into(),
            message: "low".into(),
            since,
        };
        let mut first = [alert(at(0))];
        memory.remember_since(&mut first);
        let mut later = [alert(at(60))];
        memory.remember_since(&mut later);
        assert_eq!(later[0].since, at(0), "still the first sighting");
        memory.remember_since(&mut []);
        let mut again = [alert(at(120))];
        memory.remember_since(&mut again);
        assert_eq!(again[0].since, at(120), "a new occurrence starts anew");
    }

    #[test]
    fn worst_first_then_oldest() {
        let alert = |id: &str, severity, since| Alert {
            id: id.into(),
            severity,
            subject: id.into(),
            message: String::new(),
            since: at(since),
        };
        let mut alerts = vec![
            alert("b", Severity::Warning, 0),
            alert("c", Severity::Critical, 50),
            alert("a", Severity::Warning, 10),
            alert("d", Severity::Critical, 5),
        ];
        sort_worst_first(&mut alerts);
        let ids: Vec<&str> = alerts.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["d", "c", "b", "a"]);
    }
}
