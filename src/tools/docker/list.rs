//! `list_containers`: every container with its state, health, uptime, restarts, image and ports,
//! from one list request per engine plus an inspect of each container that needs more.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use bollard::models::{ContainerInspectResponse, ContainerSummary};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{DockerHosts, parse_time, rfc3339, secs_since, summary_name};
use super::{health_status, note_failures};
use crate::tools::format::duration_secs;
use crate::tools::{ToolError, ToolOutput, TypedTool, names};

/// Which containers `list_containers` shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StateFilter {
    Running,
    /// Exited, created or dead.
    Stopped,
    Exited,
    Restarting,
    Paused,
    Created,
    Dead,
    /// Running with a failing health check.
    Unhealthy,
    Healthy,
}

impl StateFilter {
    fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Stopped => "stopped",
            Self::Exited => "exited",
            Self::Restarting => "restarting",
            Self::Paused => "paused",
            Self::Created => "created",
            Self::Dead => "dead",
            Self::Unhealthy => "unhealthy",
            Self::Healthy => "healthy",
        }
    }

    /// Whether a container in `state` may pass; health filters are checked after inspection.
    pub(super) fn admits_state(self, state: &str) -> bool {
        match self {
            Self::Stopped => matches!(state, "exited" | "created" | "dead"),
            Self::Unhealthy | Self::Healthy => matches!(state, "running" | "restarting"),
            other => state == other.as_str(),
        }
    }
}

docker_arguments! {
    /// Arguments of `list_containers`.
    #[derive(Default)]
    #[serde(default)]
    pub struct ListArguments {
        /// Include containers in every state, not only running ones (default false).
        pub all: Option<bool>,
        /// Only containers in this state or health.
        pub state: Option<StateFilter>,
        /// Only containers whose name contains this text (case-insensitive).
        pub name: Option<String>,
    }
}

/// Containers with state, health, uptime, restarts and ports.
#[derive(Debug)]
pub struct ListContainers(pub(crate) Arc<DockerHosts>);

/// One container as `list_containers` reports it.
#[derive(Clone, Debug)]
pub(super) struct Row {
    pub(super) host: String,
    pub(super) name: String,
    pub(super) image: String,
    pub(super) state: String,
    pub(super) status: String,
    pub(super) health: Option<String>,
    pub(super) started_at: Option<DateTime<Utc>>,
    pub(super) finished_at: Option<DateTime<Utc>>,
    pub(super) restart_count: i64,
    pub(super) exit_code: Option<i64>,
    pub(super) oom_killed: bool,
    pub(super) ports: Vec<String>,
}

impl Row {
    pub(super) fn new(
        host: &str,
        summary: &ContainerSummary,
        inspect: &ContainerInspectResponse,
    ) -> Self {
        let state = inspect.state.as_ref();
        let status = summary
            .state
            .map(|s| s.to_string())
            .unwrap_or_else(|| "unknown".to_owned());
        Self {
            host: host.to_owned(),
            name: summary_name(summary),
            image: summary.image.clone().unwrap_or_default(),
            state: status,
            status: summary.status.clone().unwrap_or_default(),
            health: health_status(inspect),
            started_at: parse_time(state.and_then(|s| s.started_at.as_deref())),
            finished_at: parse_time(state.and_then(|s| s.finished_at.as_deref())),
            restart_count: inspect.restart_count.unwrap_or(0),
            exit_code: state.and_then(|s| s.exit_code),
            oom_killed: state.and_then(|s| s.oom_killed).unwrap_or(false),
            ports: ports(summary),
        }
    }

    pub(super) fn running(&self) -> bool {
        self.state == "running"
    }

    fn uptime_secs(&self) -> Option<u64> {
        self.running()
            .then(|| self.started_at.map(secs_since))
            .flatten()
    }

    fn data(&self, with_host: bool) -> Value {
        let mut data = json!({
            "name": self.name,
            "image": self.image,
            "state": self.state,
            "status": self.status,
            "health": self.health,
            "restart_count": self.restart_count,
            "ports": self.ports,
        });
        if let Some(uptime) = self.uptime_secs() {
            data["uptime_secs"] = json!(uptime);
        }
        if !self.running() && self.state != "created" {
            data["exit_code"] = json!(self.exit_code);
            if self.oom_killed {
                data["oom_killed"] = json!(true);
            }
            if let Some(finished) = self.finished_at {
                data["finished_at"] = json!(rfc3339(finished));
            }
        }
        if with_host {
            data["host"] = json!(self.host);
        }
        data
    }

    fn line(&self, with_host: bool) -> String {
        let mut parts = vec![match self.state.as_str() {
            "running" => match self.uptime_secs() {
                Some(up) => format!("running, up {}", duration_secs(up)),
                None => "running".to_owned(),
            },
            "exited" | "dead" => {
                let mut exited = format!("{} ({}", self.state, self.exit_code.unwrap_or(0));
                if self.oom_killed {
                    exited.push_str(", OOM-killed");
                }
                exited.push(')');
                if let Some(finished) = self.finished_at {
                    exited.push_str(&format!(" {} ago", duration_secs(secs_since(finished))));
                }
                exited
            }
            other => other.to_owned(),
        }];
        if let Some(health) = &self.health {
            parts.push(if health == "healthy" {
                "healthy".to_owned()
            } else {
                format!("**{health}**")
            });
        }
        let mut line = format!("- `{}` — {}", self.name, parts.join(", "));
        line.push_str(&format!(" · `{}`", self.image));
        if !self.ports.is_empty() {
            line.push_str(&format!(" · ports {}", self.ports.join(", ")));
        }
        if self.restart_count > 0 {
            line.push_str(&format!(
                " · {} restart{}",
                self.restart_count,
                if self.restart_count == 1 { "" } else { "s" }
            ));
        }
        if with_host {
            line.push_str(&format!(" · on {}", self.host));
        }
        line
    }
}

/// `8080→80/tcp` for published ports, `80/tcp` for exposed ones; IPv4/IPv6 twins merged.
fn ports(summary: &ContainerSummary) -> Vec<String> {
    let unique: BTreeSet<String> = summary
        .ports
        .iter()
        .flatten()
        .map(|p| {
            let proto = p.typ.map(|t| t.to_string()).unwrap_or_else(|| "tcp".into());
            match p.public_port {
                Some(public) => format!("{public}→{}/{proto}", p.private_port),
                None => format!("{}/{proto}", p.private_port),
            }
        })
        .collect();
    unique.into_iter().collect()
}

#[async_trait]
impl TypedTool for ListContainers {
    const NAME: &'static str = names::LIST_CONTAINERS;
    type Args = ListArguments;
    /// A second: concurrent "what is running?" questions cost Docker one list, and nothing a
    /// person asks about changes faster than the answer says ("as of 0.4 s ago").
    fn freshness(&self) -> std::time::Duration {
        std::time::Duration::from_secs(1)
    }
    fn description(&self) -> &'static str {
        "Containers with state, health, uptime, restarts, image, ports. Running only unless `all` or `state`."
    }
    async fn run(&self, args: ListArguments) -> Result<ToolOutput, ToolError> {
        let all = args.all.unwrap_or(false);
        let state = match (args.state, all) {
            (Some(state), _) => Some(state),
            (None, true) => None,
            (None, false) => Some(StateFilter::Running),
        };
        let name = args
            .name
            .as_deref()
            .map(|n| n.trim().to_lowercase())
            .filter(|n| !n.is_empty());
        let (answers, failures) = self
            .0
            .answered(args.host.as_deref(), |client| {
                let name = name.clone();
                async move {
                    let listed = client.list_containers(true).await?;
                    let total = listed.len();
                    let mut restarting = Vec::new();
                    let wanted: Vec<ContainerSummary> = listed
                        .into_iter()
                        .filter(|c| {
                            name.as_ref()
                                .is_none_or(|n| summary_name(c).to_lowercase().contains(n))
                        })
                        .filter(|c| {
                            let s = c.state.map(|s| s.to_string()).unwrap_or_default();
                            if state == Some(StateFilter::Running) && s == "restarting" {
                                restarting.push(summary_name(c));
                            }
                            state.is_none_or(|f| f.admits_state(&s))
                        })
                        .collect();
                    let inspected = client.inspect_all(wanted).await?;
                    Ok((total, inspected, restarting))
                }
            })
            .await?;
        let several = self.0.several();
        let mut total = 0;
        let mut rows = Vec::new();
        let mut restarting = Vec::new();
        for (client, (count, inspected, also)) in answers {
            total += count;
            restarting.extend(also);
            for (summary, inspect) in &inspected {
                rows.push(Row::new(client.name(), summary, inspect));
            }
        }
        rows.retain(|row| match state {
            Some(StateFilter::Unhealthy) => row.health.as_deref() == Some("unhealthy"),
            Some(StateFilter::Healthy) => row.health.as_deref() == Some("healthy"),
            _ => true,
        });
        rows.sort_by(|a, b| (&a.name, &a.host).cmp(&(&b.name, &b.host)));
        restarting.sort();

        let label = match state {
            Some(filter) => filter.as_str(),
            None => "",
        };
        let noun = |n: usize| if n == 1 { "container" } else { "containers" };
        let mut text = match (rows.len(), label) {
            (0, "") => format!("There are no containers{}.\n", name_note(&name)),
            (0, label) => format!(
                "No {label} containers{} (of {total} in all).\n",
                name_note(&name)
            ),
            (n, "") => format!("**{n} {}**{}:\n", noun(n), name_note(&name)),
            (n, label) => format!(
                "**{n} {label} {}**{} (of {total} in all):\n",
                noun(n),
                name_note(&name)
            ),
        };
        for row in &rows {
            text.push_str(&row.line(several));
            text.push('\n');
        }
        if !restarting.is_empty() {
            text.push_str(&format!(
                "Restarting (not counted as running): {}.\n",
                restarting
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let mut data = json!({
            "filter": if label.is_empty() { "all" } else { label },
            "count": rows.len(),
            "total": total,
            "containers": rows.iter().map(|r| r.data(several)).collect::<Vec<_>>(),
        });
        if !restarting.is_empty() {
            data["restarting"] = json!(restarting);
        }
        note_failures(&mut text, &mut data, failures);
        Ok(ToolOutput { data, text })
    }
}

fn name_note(name: &Option<String>) -> String {
    name.as_ref()
        .map(|n| format!(" matching `{n}`"))
        .unwrap_or_default()
}
