//! The summary `docker_events` gives of a window of engine events: per container, crashes (a
//! non-zero exit not caused by a kill just before), clean exits, OOM kills, kills, restarts and
//! health changes, with the current state as evidence when the engine's event memory is short.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::list::Row;
use super::{clock, rfc3339};

/// One event as reported.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Event {
    pub(super) time: Option<DateTime<Utc>>,
    /// The container's ID: a name may be reused by a newer container.
    pub(super) id: String,
    pub(super) host: String,
    pub(super) container: String,
    pub(super) action: String,
    pub(super) detail: Option<String>,
    pub(super) exit_code: Option<i64>,
    pub(super) signal: Option<String>,
}

impl Event {
    pub(super) fn from_message(
        host: &str,
        message: &bollard::models::EventMessage,
    ) -> Option<Self> {
        let raw = message.action.as_deref()?;
        let (action, detail) = match raw.split_once(':') {
            Some((action, detail)) => (action.trim(), Some(detail.trim().to_owned())),
            None => (raw.trim(), None),
        };
        let attributes = message
            .actor
            .as_ref()
            .and_then(|a| a.attributes.clone())
            .unwrap_or_default();
        let time = message
            .time_nano
            .map(DateTime::from_timestamp_nanos)
            .or_else(|| message.time.and_then(|t| DateTime::from_timestamp(t, 0)));
        Some(Self {
            time,
            host: host.to_owned(),
            id: message
                .actor
                .as_ref()
                .and_then(|a| a.id.clone())
                .unwrap_or_default(),
            container: attributes.get("name").cloned().unwrap_or_else(|| {
                message
                    .actor
                    .as_ref()
                    .and_then(|a| a.id.clone())
                    .unwrap_or_default()
                    .chars()
                    .take(12)
                    .collect()
            }),
            action: action.to_owned(),
            detail,
            exit_code: attributes.get("exitCode").and_then(|c| c.parse().ok()),
            signal: attributes.get("signal").cloned(),
        })
    }

    pub(super) fn crashed(&self) -> bool {
        self.action == "die" && self.exit_code.is_some_and(|c| c != 0)
    }

    pub(super) fn data(&self, with_host: bool) -> Value {
        let mut data = json!({
            "time": self.time.map(rfc3339),
            "container": self.container,
            "action": self.action,
        });
        if let Some(detail) = &self.detail {
            data["status"] = json!(detail);
        }
        if let Some(code) = self.exit_code {
            data["exit_code"] = json!(code);
        }
        if let Some(signal) = &self.signal {
            data["signal"] = json!(signal);
        }
        if with_host {
            data["host"] = json!(self.host);
        }
        data
    }
}

/// What happened to one container in the window.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Summary {
    /// From the container's current state, which outlives the engine's short event memory.
    pub(super) state: Option<StateEvidence>,
    pub(super) crashes: u32,
    pub(super) clean_exits: u32,
    pub(super) ooms: u32,
    pub(super) kills: u32,
    pub(super) restarts: u32,
    pub(super) unhealthy: u32,
    pub(super) last_exit_code: Option<i64>,
    pub(super) last: Option<DateTime<Utc>>,
    pub(super) health_now: Option<String>,
}

/// What a container's current state says about the window.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct StateEvidence {
    /// Exited with this non-zero code within the window.
    pub(super) exited: Option<(i64, DateTime<Utc>)>,
    /// Its last exit within the window was an OOM kill.
    pub(super) oom_killed: bool,
    /// Restarts since creation, when it last started within the window.
    pub(super) restart_count: i64,
    pub(super) unhealthy_now: bool,
}

impl StateEvidence {
    pub(super) fn from_row(row: &Row, since: DateTime<Utc>) -> Self {
        let exited_recently =
            !row.running() && row.state != "created" && row.finished_at.is_some_and(|f| f >= since);
        Self {
            exited: row
                .exit_code
                .filter(|&c| c != 0 && exited_recently)
                .zip(row.finished_at),
            oom_killed: row.oom_killed && exited_recently,
            restart_count: if row.started_at.is_some_and(|s| s >= since) {
                row.restart_count
            } else {
                0
            },
            unhealthy_now: row.health.as_deref() == Some("unhealthy"),
        }
    }

    pub(super) fn trouble(&self) -> u32 {
        u32::from(self.exited.is_some())
            + u32::from(self.oom_killed)
            + u32::from(self.restart_count > 0)
            + u32::from(self.unhealthy_now)
    }
}

impl Summary {
    pub(super) fn trouble(&self) -> u32 {
        self.crashes
            + self.ooms
            + self.restarts
            + self.unhealthy
            + self.state.as_ref().map_or(0, StateEvidence::trouble)
    }

    pub(super) fn describe(&self) -> String {
        let times = |n: u32| {
            if n == 1 {
                "once".to_owned()
            } else {
                format!("{n} times")
            }
        };
        let mut parts = Vec::new();
        if self.ooms > 0 {
            parts.push(format!("**OOM-killed** {}", times(self.ooms)));
        }
        if self.crashes > 0 {
            parts.push(format!(
                "**crashed** {}{}",
                times(self.crashes),
                self.last_exit_code
                    .filter(|&c| c != 0)
                    .map(|c| format!(" (last exit code {c})"))
                    .unwrap_or_default()
            ));
        }
        if self.restarts > 0 {
            parts.push(format!("restarted {}", times(self.restarts)));
        }
        if self.kills > 0 {
            parts.push(format!(
                "stopped or killed on request {} (not a crash)",
                times(self.kills)
            ));
        }
        if self.unhealthy > 0 {
            parts.push(format!("became **unhealthy** {}", times(self.unhealthy)));
        }
        if self.clean_exits > 0 {
            parts.push(format!("exited normally {}", times(self.clean_exits)));
        }
        if let Some(health) = &self.health_now
            && self.unhealthy > 0
        {
            parts.push(format!("health now {health}"));
        }
        if let Some(state) = &self.state {
            if state.oom_killed && self.ooms == 0 {
                parts.push("**OOM-killed** (its last exit)".to_owned());
            }
            if let Some((code, at)) = state.exited
                && self.crashes == 0
            {
                parts.push(format!("**exited with code {code}** at {}", clock(at)));
            }
            if state.restart_count > 0 {
                parts.push(format!(
                    "restarted {} by its restart policy",
                    times(u32::try_from(state.restart_count).unwrap_or(u32::MAX))
                ));
            }
            if state.unhealthy_now && self.unhealthy == 0 {
                parts.push("**unhealthy** now".to_owned());
            }
        }
        let mut text = parts.join(", ");
        if let Some(last) = self.last {
            text.push_str(&format!("; last at {}", clock(last)));
        }
        text
    }
}

/// How soon after a kill a container's exit counts as the kill's result rather than a crash.
pub(super) const KILL_TO_DIE: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

pub(super) fn summarize(events: &[Event]) -> BTreeMap<(String, String), Summary> {
    let mut summaries: BTreeMap<(String, String), Summary> = BTreeMap::new();
    // `docker stop`, `docker rm -f` and compose recreations kill first; the exit that follows
    // (143, 137) is their doing, not the program's.
    let mut killed_at: HashMap<(&str, &str), DateTime<Utc>> = HashMap::new();
    for event in events {
        let summary = summaries
            .entry((event.container.clone(), event.host.clone()))
            .or_default();
        let key = (event.host.as_str(), event.id.as_str());
        let after_kill = killed_at
            .get(&key)
            .zip(event.time)
            .is_some_and(|(&kill, at)| at - kill <= KILL_TO_DIE);
        match event.action.as_str() {
            "kill" => {
                summary.kills += 1;
                if let Some(at) = event.time {
                    killed_at.insert(key, at);
                }
            }
            "die" if after_kill => {
                killed_at.remove(&key);
            }
            "die" if event.crashed() => {
                summary.crashes += 1;
                summary.last_exit_code = event.exit_code;
            }
            "die" => summary.clean_exits += 1,
            "oom" => summary.ooms += 1,
            "restart" => summary.restarts += 1,
            "health_status" => {
                if event.detail.as_deref() == Some("unhealthy") {
                    summary.unhealthy += 1;
                }
                summary.health_now = event.detail.clone();
            }
            _ => {}
        }
        summary.last = summary.last.max(event.time);
    }
    summaries
}
