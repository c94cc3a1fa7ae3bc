//! `docker_events`: what went wrong with containers recently (crashes, OOM kills, kills, restarts,
//! health changes), listed and summarised per container.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::event_summary::{Event, StateEvidence, Summary, summarize};
use super::list::Row;
use super::{DockerHosts, clock, rfc3339, split, summary_name};
use super::{note_failures, parse_since};
use crate::tools::{ToolError, ToolOutput, TypedTool, names};

/// Default and longest `docker_events` window.
const DEFAULT_EVENTS_WINDOW: &str = "24h";
const MAX_EVENTS_WINDOW: Duration = Duration::from_secs(31 * 86_400);
/// Events listed one by one (the summary covers them all).
const LISTED_EVENTS: usize = 50;
/// The actions that say something went wrong, or might have.
const TROUBLE_ACTIONS: &[&str] = &["die", "oom", "kill", "restart", "health_status"];

docker_arguments! {
    /// Arguments of `docker_events`.
    #[derive(Default)]
    #[serde(default)]
    pub struct EventsArguments {
        /// How far back, e.g. "1h", "24h" (default), "7d"; at most 31 days.
        pub since: Option<String>,
        /// Only this container (name, prefix or part of it).
        pub name: Option<String>,
    }
}

/// Crashes, OOM kills, kills, restarts and health changes within a window.
#[derive(Debug)]
pub struct DockerEvents(pub(crate) Arc<DockerHosts>);

#[async_trait]
impl TypedTool for DockerEvents {
    const NAME: &'static str = names::DOCKER_EVENTS;
    type Args = EventsArguments;
    fn description(&self) -> &'static str {
        "Container crashes, OOM kills, restarts and health changes in a window (default 24h): why did X restart?"
    }
    async fn run(&self, args: EventsArguments) -> Result<ToolOutput, ToolError> {
        let since_text = args
            .since
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_EVENTS_WINDOW)
            .to_owned();
        let window = parse_since(&since_text)?;
        if window > MAX_EVENTS_WINDOW {
            return Err(ToolError::InvalidArguments(
                "since may reach back at most 31 days".to_owned(),
            ));
        }
        // A container that still exists is named as Docker knows it; one that is gone can
        // still be asked about by its exact name.
        let (container, host) = match args.name.as_deref().map(str::trim) {
            None | Some("") => (None, args.host.clone()),
            Some(name) => match self.0.find(args.host.as_deref(), name).await {
                Ok(found) => (
                    Some(found.name),
                    Some(found.client.name().to_owned())
                        .filter(|_| self.0.several())
                        .or(args.host.clone()),
                ),
                Err(ToolError::NotFound(_)) => (Some(name.to_owned()), args.host.clone()),
                Err(other) => return Err(other),
            },
        };
        let until = Utc::now().timestamp();
        let since = until - i64::try_from(window.as_secs()).unwrap_or(i64::MAX / 2);
        let mut filters: HashMap<String, Vec<String>> = HashMap::new();
        filters.insert("type".into(), vec!["container".into()]);
        filters.insert(
            "event".into(),
            TROUBLE_ACTIONS.iter().map(|a| (*a).to_owned()).collect(),
        );
        if let Some(container) = &container {
            filters.insert("container".into(), vec![container.clone()]);
        }
        // Docker remembers only its last 256 events (health checks alone fill that within
        // minutes), so the containers' own state is read as well: exit codes, OOM kills,
        // restart counts and health outlive the event buffer.
        let (answers, states) = futures::join!(
            self.0.answered(host.as_deref(), |client| {
                let filters = filters.clone();
                async move { client.events(since, until, filters).await }
            }),
            self.0.each(host.as_deref(), |client| {
                let container = container.clone();
                async move {
                    let listed = client.list_containers(true).await?;
                    let wanted = listed
                        .into_iter()
                        .filter(|c| container.as_ref().is_none_or(|n| summary_name(c) == *n))
                        .collect();
                    client.inspect_all(wanted).await
                }
            }),
        );
        let (answers, failures) = answers?;
        let (states, _) = split(states?);
        let since_time = DateTime::from_timestamp(since, 0).unwrap_or_default();
        let several = self.0.several();
        let mut truncated = false;
        let mut events: Vec<Event> = Vec::new();
        for (client, (messages, cut)) in answers {
            truncated |= cut;
            events.extend(
                messages
                    .iter()
                    .filter_map(|m| Event::from_message(client.name(), m)),
            );
        }
        events.sort_by_key(|e| e.time);
        let mut summaries = summarize(&events);
        for (client, inspected) in &states {
            for (summary, inspect) in inspected {
                let row = Row::new(client.name(), summary, inspect);
                let evidence = StateEvidence::from_row(&row, since_time);
                if evidence.trouble() > 0 {
                    summaries
                        .entry((row.name.clone(), row.host.clone()))
                        .or_default()
                        .state = Some(evidence);
                }
            }
        }
        let mut ranked: Vec<(&(String, String), &Summary)> = summaries.iter().collect();
        ranked.sort_by(|a, b| b.1.trouble().cmp(&a.1.trouble()).then(a.0.cmp(b.0)));
        let troubled = ranked.iter().filter(|(_, s)| s.trouble() > 0).count();
        let about = container
            .as_ref()
            .map(|c| format!(" for `{c}`"))
            .unwrap_or_default();
        let mut text = if troubled == 0 {
            format!(
                "No crashes, OOM kills, kills, restarts or failing health checks{about} in the \
                 last {since_text}.\n"
            )
        } else {
            format!(
                "In the last {since_text}{about}, {troubled} container{} had trouble:\n",
                if troubled == 1 { "" } else { "s" }
            )
        };
        for ((name, host), summary) in &ranked {
            text.push_str(&format!(
                "- `{name}`{}: {}\n",
                if several {
                    format!(" (on {host})")
                } else {
                    String::new()
                },
                summary.describe()
            ));
        }
        let listed: Vec<&Event> = events.iter().rev().take(LISTED_EVENTS).collect();
        if let Some(latest) = listed.first()
            && troubled > 0
        {
            text.push_str(&format!(
                "Latest: `{}` {}{} at {}.\n",
                latest.container,
                latest.action,
                latest
                    .detail
                    .as_ref()
                    .map(|d| format!(" ({d})"))
                    .or_else(|| latest.exit_code.map(|c| format!(" (exit code {c})")))
                    .unwrap_or_default(),
                latest.time.map(clock).unwrap_or_else(|| "?".into())
            ));
        }
        let mut data = json!({
            "note": "the engine keeps only its latest 256 events; `now` is each container's current state",
            "window": since_text,
            "since": DateTime::from_timestamp(since, 0).map(rfc3339),
            "containers": ranked.iter().map(|((name, host), s)| {
                let mut row = json!({
                    "name": name,
                    "crashes": s.crashes,
                    "oom_kills": s.ooms,
                    "kills": s.kills,
                    "restarts": s.restarts,
                    "became_unhealthy": s.unhealthy,
                    "clean_exits": s.clean_exits,
                    "last_exit_code": s.last_exit_code,
                    "last_event": s.last.map(rfc3339),
                });
                if let Some(state) = &s.state {
                    row["now"] = json!({
                        "exit_code": state.exited.map(|(code, _)| code),
                        "exited_at": state.exited.map(|(_, at)| rfc3339(at)),
                        "oom_killed": state.oom_killed,
                        "restart_count": state.restart_count,
                        "unhealthy": state.unhealthy_now,
                    });
                }
                if several {
                    row["host"] = json!(host);
                }
                row
            }).collect::<Vec<_>>(),
            "total_events": events.len(),
            "events": listed.iter().map(|e| e.data(several)).collect::<Vec<_>>(),
        });
        if let Some(container) = &container {
            data["container"] = json!(container);
        }
        if truncated {
            data["truncated"] = json!(true);
        }
        note_failures(&mut text, &mut data, failures);
        Ok(ToolOutput { data, text })
    }
}
