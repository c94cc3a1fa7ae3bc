//! The Docker tools: containers, their health, stats, logs and events, read from one or several
//! Docker Engines through the read-only [`client`] wrapper. This file holds what every tool
//! shares: choosing engines, finding a container by a name a person typed, and turning engine
//! failures into clear tool errors.

/// Declares a Docker tool's arguments: the tool's own fields, then `host`, which every Docker tool
/// takes, and documents to the LLM, the same way. Unknown arguments are refused, as for every tool.
macro_rules! docker_arguments {
    ($(#[$meta:meta])* pub struct $name:ident { $($fields:tt)* }) => {
        #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
        $(#[$meta])*
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($fields)*
            /// Docker engine name from the configuration; default: every configured engine.
            #[serde(default)]
            pub host: Option<String>,
        }
    };
}

pub mod client;
mod details;
mod event_summary;
mod events;
mod images;
mod info;
mod list;
pub mod logs;
mod stats;
mod stats_cache;
#[cfg(test)]
mod tool_tests;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::join_all;

use serde_json::Value;
use std::time::Duration;

use self::client::{DockerClient, DockerError};
use super::{Tool, ToolError};
use crate::config::DockerConfig;
use bollard::models::ContainerInspectResponse;

pub use self::details::ContainerDetails;
pub use self::events::DockerEvents;
pub use self::images::{DockerDiskUsage, ListImages};
pub use self::info::DockerInfo;
pub use self::list::ListContainers;
pub use self::logs::{ContainerLogs, log_lines};
pub use self::stats::{ContainerStats, Usage, usage};

/// Every Docker tool over the configured engines.
pub fn tools(config: &DockerConfig) -> Vec<Arc<dyn Tool>> {
    tools_for(Arc::new(DockerHosts::from_config(config)))
}

/// Every Docker tool over these engines (tests point them at a recording proxy).
pub fn tools_for(hosts: Arc<DockerHosts>) -> Vec<Arc<dyn Tool>> {
    vec![
        Arc::new(ListContainers(hosts.clone())),
        Arc::new(ContainerDetails(hosts.clone())),
        Arc::new(ContainerStats::new(hosts.clone())),
        Arc::new(ContainerLogs(hosts.clone())),
        Arc::new(DockerEvents(hosts.clone())),
        Arc::new(DockerInfo(hosts.clone())),
        Arc::new(ListImages(hosts.clone())),
        Arc::new(DockerDiskUsage(hosts)),
    ]
}

impl From<DockerError> for ToolError {
    fn from(error: DockerError) -> Self {
        match error {
            DockerError::NoSuchContainer(_) => ToolError::NotFound(error.to_string()),
            _ => ToolError::Unavailable(error.to_string()),
        }
    }
}

/// The engines the tools may read, in configuration order.
#[derive(Debug)]
pub struct DockerHosts {
    clients: Vec<Arc<DockerClient>>,
}

/// A container found by name.
#[derive(Clone, Debug)]
pub struct Found {
    pub client: Arc<DockerClient>,
    pub id: String,
    pub name: String,
}

/// What one engine answered, or why it did not.
type PerHost<T> = (Arc<DockerClient>, Result<T, DockerError>);

/// The engines that answered, each with its answer, and the failures of the others.
type Answered<T> = Result<(Vec<(Arc<DockerClient>, T)>, Vec<DockerError>), ToolError>;

impl DockerHosts {
    pub fn from_config(config: &DockerConfig) -> Self {
        Self::new(client::clients(config))
    }

    pub fn new(clients: Vec<Arc<DockerClient>>) -> Self {
        Self { clients }
    }

    /// Every engine's client, shared with the alert rules so both read through one connection.
    pub fn clients(&self) -> &[Arc<DockerClient>] {
        &self.clients
    }

    /// More than one engine: outputs then say which engine each container is on.
    pub fn several(&self) -> bool {
        self.clients.len() > 1
    }

    /// The engines a call is about: the one named, or all.
    pub fn select(&self, host: Option<&str>) -> Result<Vec<Arc<DockerClient>>, ToolError> {
        match host.map(str::trim).filter(|h| !h.is_empty()) {
            None => Ok(self.clients.clone()),
            Some(wanted) => self
                .clients
                .iter()
                .find(|c| c.name().eq_ignore_ascii_case(wanted))
                .map(|c| vec![c.clone()])
                .ok_or_else(|| {
                    let known: Vec<&str> = self.clients.iter().map(|c| c.name()).collect();
                    ToolError::NotFound(format!(
                        "no Docker engine named `{wanted}`; configured: {}",
                        known.join(", ")
                    ))
                }),
        }
    }

    /// Runs `op` against each selected engine concurrently.
    pub async fn each<T, F, Fut>(
        &self,
        host: Option<&str>,
        op: F,
    ) -> Result<Vec<PerHost<T>>, ToolError>
    where
        F: Fn(Arc<DockerClient>) -> Fut,
        Fut: Future<Output = Result<T, DockerError>>,
    {
        let clients = self.select(host)?;
        let results = join_all(clients.iter().map(|c| op(c.clone()))).await;
        Ok(clients.into_iter().zip(results).collect())
    }

    /// Runs `op` against each selected engine concurrently and splits what they said into answers
    /// and failures; an error (naming the failures) when no engine answered.
    pub async fn answered<T, F, Fut>(&self, host: Option<&str>, op: F) -> Answered<T>
    where
        F: Fn(Arc<DockerClient>) -> Fut,
        Fut: Future<Output = Result<T, DockerError>>,
    {
        let (answers, failures) = split(self.each(host, op).await?);
        if answers.is_empty() {
            return Err(unavailable(failures));
        }
        Ok((answers, failures))
    }

    /// Finds the container a person meant by `wanted` on the selected engines: the exact name
    /// first, then an ID prefix, then a unique name prefix, then a unique substring.
    pub async fn find(&self, host: Option<&str>, wanted: &str) -> Result<Found, ToolError> {
        let wanted = wanted.trim().trim_start_matches('/');
        if wanted.is_empty() {
            return Err(ToolError::InvalidArguments(
                "a container name is required".to_owned(),
            ));
        }
        let (candidates, failures) = self
            .answered(
                host,
                |client| async move { client.list_containers(true).await },
            )
            .await?;
        let listed: Vec<Candidate> = candidates
            .into_iter()
            .flat_map(|(client, list)| {
                list.into_iter().map(move |c| Candidate {
                    name: summary_name(&c),
                    id: c.id.unwrap_or_default(),
                    client: client.clone(),
                })
            })
            .collect();
        let names: Vec<&str> = listed.iter().map(|c| c.name.as_str()).collect();
        let ids: Vec<&str> = listed.iter().map(|c| c.id.as_str()).collect();
        match match_container(wanted, &names, &ids) {
            Ok(index) => {
                let chosen = &listed[index];
                Ok(Found {
                    client: chosen.client.clone(),
                    id: chosen.id.clone(),
                    name: chosen.name.clone(),
                })
            }
            Err(Miss::Ambiguous(indices)) => {
                let options: Vec<String> = indices
                    .iter()
                    .map(|&i| {
                        if self.several() {
                            format!("{} (on {})", listed[i].name, listed[i].client.name())
                        } else {
                            listed[i].name.clone()
                        }
                    })
                    .collect();
                Err(ToolError::NotFound(format!(
                    "`{wanted}` matches several containers: {}; say which one",
                    options.join(", ")
                )))
            }
            Err(Miss::Unknown(close)) => {
                let mut message = format!("no container matches `{wanted}`");
                if !close.is_empty() {
                    let close: Vec<&str> = close.iter().map(|&i| names[i]).collect();
                    message.push_str(&format!("; did you mean {}?", close.join(", ")));
                } else if names.is_empty() {
                    message.push_str("; there are no containers");
                } else if names.len() <= 12 {
                    message.push_str(&format!("; containers: {}", names.join(", ")));
                }
                if !failures.is_empty() {
                    message.push_str(&format!(" ({})", unavailable(failures)));
                }
                Err(ToolError::NotFound(message))
            }
        }
    }
}

struct Candidate {
    name: String,
    id: String,
    client: Arc<DockerClient>,
}

/// Splits per-engine results into answers and failures.
pub(crate) fn split<T>(
    results: Vec<PerHost<T>>,
) -> (Vec<(Arc<DockerClient>, T)>, Vec<DockerError>) {
    let mut answers = Vec::new();
    let mut failures = Vec::new();
    for (client, result) in results {
        match result {
            Ok(value) => answers.push((client, value)),
            Err(error) => failures.push(error),
        }
    }
    (answers, failures)
}

/// One tool error for engines that all failed.
pub(crate) fn unavailable(mut failures: Vec<DockerError>) -> ToolError {
    if failures.len() == 1 {
        return failures.remove(0).into();
    }
    ToolError::Unavailable(
        failures
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
    )
}

/// A container's name without Docker's leading slash.
pub(crate) fn summary_name(summary: &bollard::models::ContainerSummary) -> String {
    summary
        .names
        .as_ref()
        .and_then(|names| names.first())
        .map(|n| n.trim_start_matches('/').to_owned())
        .unwrap_or_else(|| {
            summary
                .id
                .as_deref()
                .unwrap_or_default()
                .chars()
                .take(12)
                .collect()
        })
}

/// Why no single container was chosen.
#[derive(Debug, PartialEq, Eq)]
pub enum Miss {
    /// Several match equally well (indices).
    Ambiguous(Vec<usize>),
    /// None match; the closest names (indices), best first.
    Unknown(Vec<usize>),
}

/// Chooses among `names` (and their `ids`): exact name, case-insensitive name, ID prefix (at
/// least 4 hex digits), unique name prefix, unique substring.
pub fn match_container(wanted: &str, names: &[&str], ids: &[&str]) -> Result<usize, Miss> {
    let lower = wanted.to_lowercase();
    let levels: [&dyn Fn(usize) -> bool; 5] = [
        &|i| names[i] == wanted,
        &|i| names[i].to_lowercase() == lower,
        &|i| {
            wanted.len() >= 4
                && wanted.chars().all(|c| c.is_ascii_hexdigit())
                && ids.get(i).is_some_and(|id| id.starts_with(&lower))
        },
        &|i| names[i].to_lowercase().starts_with(&lower),
        &|i| names[i].to_lowercase().contains(&lower),
    ];
    for level in levels {
        let hits: Vec<usize> = (0..names.len()).filter(|&i| level(i)).collect();
        match hits.len() {
            0 => continue,
            1 => return Ok(hits[0]),
            _ => return Err(Miss::Ambiguous(hits)),
        }
    }
    let mut scored: Vec<(f64, usize)> = names
        .iter()
        .enumerate()
        .map(|(i, name)| (strsim::jaro_winkler(&lower, &name.to_lowercase()), i))
        .filter(|(score, _)| *score >= 0.7)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    Err(Miss::Unknown(
        scored.into_iter().take(3).map(|(_, i)| i).collect(),
    ))
}

/// Docker's timestamps; the zero time (`0001-01-01…`) means "never".
pub(crate) fn parse_time(value: Option<&str>) -> Option<DateTime<Utc>> {
    let parsed = DateTime::parse_from_rfc3339(value?)
        .ok()?
        .with_timezone(&Utc);
    (parsed.timestamp() > 0).then_some(parsed)
}

/// Seconds from `then` to now, never negative.
pub(crate) fn secs_since(then: DateTime<Utc>) -> u64 {
    u64::try_from((Utc::now() - then).num_seconds()).unwrap_or(0)
}

/// `2026-11-25 19:40:12 UTC`, for text.
pub(crate) fn clock(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// RFC 3339 to the second, for data.
pub(crate) fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(crate) fn health_status(inspect: &ContainerInspectResponse) -> Option<String> {
    inspect
        .state
        .as_ref()?
        .health
        .as_ref()?
        .status
        .map(|s| s.to_string())
        .filter(|s| !s.is_empty() && s != "none")
}

/// Some engines answered, others did not: say so in both renderings.
pub(crate) fn note_failures(text: &mut String, data: &mut Value, failures: Vec<DockerError>) {
    if failures.is_empty() {
        return;
    }
    for failure in &failures {
        text.push_str(&format!("⚠ {failure}\n"));
    }
    data["unreachable"] = failures.iter().map(ToString::to_string).collect();
}

/// "1h" → seconds; a clear error for anything else.
pub fn parse_since(since: &str) -> Result<Duration, ToolError> {
    humantime::parse_duration(since.trim()).map_err(|_| {
        ToolError::InvalidArguments(format!(
            "`{since}` is not a duration; use e.g. \"30m\", \"1h\" or \"2d\""
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: &[&str] = &["plex", "sonarr", "radarr", "media-plex-1", "Plexamp"];
    const IDS: &[&str] = &["aaaa1111", "bbbb2222", "cccc3333", "dddd4444", "eeee5555"];

    #[test]
    fn names_match_exactly_then_by_prefix_then_substring() {
        assert_eq!(match_container("plex", NAMES, IDS), Ok(0));
        assert_eq!(match_container("Plexamp", NAMES, IDS), Ok(4));
        assert_eq!(match_container("SONARR", NAMES, IDS), Ok(1));
        assert_eq!(match_container("son", NAMES, IDS), Ok(1));
        assert_eq!(match_container("bbbb", NAMES, IDS), Ok(1));
        assert_eq!(match_container("media", NAMES, IDS), Ok(3));
        assert_eq!(
            match_container("arr", NAMES, IDS),
            Err(Miss::Ambiguous(vec![1, 2]))
        );
        assert_eq!(
            match_container("ple", NAMES, IDS),
            Err(Miss::Ambiguous(vec![0, 4]))
        );
    }

    #[test]
    fn unknown_names_suggest_close_ones() {
        let Err(Miss::Unknown(close)) = match_container("soanrr", NAMES, IDS) else {
            panic!("expected a miss");
        };
        assert_eq!(close.first(), Some(&1), "{close:?}");
        assert_eq!(
            match_container("zzzz", NAMES, IDS),
            Err(Miss::Unknown(vec![]))
        );
    }

    #[test]
    fn docker_times_parse_and_zero_means_never() {
        let t = parse_time(Some("2026-11-25T19:40:12.123456789Z")).unwrap();
        assert_eq!(rfc3339(t), "2026-11-25T19:40:12Z");
        assert_eq!(clock(t), "2026-11-25 19:40:12 UTC");
        assert_eq!(parse_time(Some("0001-01-01T00:00:00Z")), None);
        assert_eq!(parse_time(Some("garbage")), None);
        assert_eq!(parse_time(None), None);
    }

    #[test]
    fn engines_are_chosen_by_name() {
        let config = DockerConfig {
            hosts: vec![
                crate::config::DockerHostConfig {
                    name: "nas".into(),
                    host: "unix:///a.sock".into(),
                    ..Default::default()
                },
                crate::config::DockerHostConfig {
                    name: "pi".into(),
                    host: "tcp://pi:2375".into(),
                    ..Default::default()
                },
            ],
            ..DockerConfig::default()
        };
        let hosts = DockerHosts::from_config(&config);
        assert!(hosts.several());
        assert_eq!(hosts.select(None).unwrap().len(), 2);
        assert_eq!(hosts.select(Some("PI")).unwrap()[0].name(), "pi");
        let err = hosts.select(Some("nope")).unwrap_err();
        assert!(err.to_string().contains("configured: nas, pi"), "{err}");
    }
}
