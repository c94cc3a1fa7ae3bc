//! The one mapping from what is asked to the read-only tools that answer it. Questions (intents
//! and slots read from their words) and adapter commands (`/status`, `!logs plex`) both go
//! through here, so no other module names a tool to answer a request.

use serde_json::{Value, json};

use super::slots::{ContainerFocus, Slots};
use super::{ContainerContext, Intent};
use crate::tools::{ToolRegistry, names};

/// One call the answerer wants to make.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub intent: Intent,
    pub tool: &'static str,
    pub arguments: Value,
}

/// The calls for these intents, and notes for what cannot be asked of this assistant.
pub fn plan(
    intents: &[Intent],
    slots: &Slots,
    tools: &ToolRegistry,
    containers: &ContainerContext,
) -> (Vec<Planned>, Vec<String>) {
    let mut calls = Vec::new();
    let mut notes = Vec::new();
    let mut want = |intent: Intent, tool: &'static str, arguments: Value| {
        if tools.contains(tool) {
            calls.push(Planned {
                intent,
                tool,
                arguments,
            });
            true
        } else {
            false
        }
    };
    for &intent in intents {
        match intent {
            Intent::Help => {}
            Intent::Overview => {
                want(intent, names::SYSTEM_OVERVIEW, json!({}));
                // On a NAS the pools and the UPS are part of "how is it doing?"; each is offered
                // only where it exists, and a question that asks for them already has them.
                if !intents.contains(&Intent::Pools)
                    && !want(Intent::Pools, names::TRUENAS_POOLS, json!({}))
                {
                    want(Intent::Pools, names::ZFS_POOLS, json!({}));
                }
                if !intents.contains(&Intent::Ups) {
                    want(Intent::Ups, names::UPS_STATUS, json!({}));
                }
                if !intents.contains(&Intent::Fleet) {
                    want(Intent::Fleet, names::HOSTS, json!({}));
                }
            }
            Intent::Cpu => {
                want(intent, names::CPU_USAGE, json!({}));
            }
            Intent::Memory => {
                want(intent, names::MEMORY_USAGE, json!({}));
            }
            Intent::Disk => {
                want(intent, names::DISK_USAGE, json!({}));
            }
            Intent::Temperature => {
                want(intent, names::TEMPERATURES, json!({}));
            }
            Intent::Network => {
                want(intent, names::NETWORK_USAGE, json!({}));
            }
            Intent::Processes => {
                let by = if slots.by_memory { "memory" } else { "cpu" };
                let limit = slots.count.unwrap_or(10);
                want(
                    intent,
                    names::TOP_PROCESSES,
                    json!({"by": by, "limit": limit}),
                );
            }
            Intent::Containers | Intent::Logs => {
                if !tools.contains(names::LIST_CONTAINERS) {
                    notes.push(
                        "I can't see Docker from here: no Docker connection is available to \
                         this assistant, so I can't report on containers or their logs."
                            .to_owned(),
                    );
                    continue;
                }
                if let Some(error) = &containers.unreachable {
                    // One clear sentence instead of the same failure from every tool.
                    notes.push(format!("I couldn't read the containers: {error}."));
                    continue;
                }
                let (container_calls, container_notes) = plan_containers(intent, slots, containers);
                notes.extend(container_notes);
                for (tool, arguments) in container_calls {
                    want(intent, tool, arguments);
                }
            }
            Intent::Pools => {
                // TrueNAS's view has the scrubs and the failing devices; kstats only the state.
                if !want(intent, names::TRUENAS_POOLS, json!({}))
                    && !want(intent, names::ZFS_POOLS, json!({}))
                {
                    notes.push(
                        "I can't see any ZFS pool: this host publishes no ZFS kstats \
                         (zfs.kstat_path)."
                            .to_owned(),
                    );
                }
            }
            Intent::Ups => {
                if !want(intent, names::UPS_STATUS, json!({})) {
                    notes.push(
                        "No UPS is connected to this assistant: set nut.address (NUT_ADDRESS) \
                         to the upsd that watches it."
                            .to_owned(),
                    );
                }
            }
            Intent::Fleet => {
                // "How is the pi doing?": one host when the question names one.
                let named = slots
                    .host
                    .as_ref()
                    .filter(|_| tools.contains(names::HOST_METRICS));
                let planned = match named {
                    Some(host) => want(intent, names::HOST_METRICS, json!({"host": host})),
                    None => want(intent, names::HOSTS, json!({})),
                };
                if !planned {
                    notes.push(
                        "I only see this machine: set prometheus.url (PROMETHEUS_URL) to answer \
                         for the other hosts of the homelab."
                            .to_owned(),
                    );
                    // "How are my servers?", "Zustand des Servers" (a German genitive, not a
                    // plural): this machine is what can be shown.
                    if !intents.contains(&Intent::Overview) {
                        want(Intent::Overview, names::SYSTEM_OVERVIEW, json!({}));
                    }
                }
            }
            Intent::DiskHealth => {
                // Without TrueNAS, the host's own sensors are the best answer to "disk temps".
                if !want(intent, names::DISK_HEALTH, json!({}))
                    && !want(Intent::Temperature, names::TEMPERATURES, json!({}))
                {
                    notes.push("I can't read the disks' health here.".to_owned());
                }
            }
            Intent::Snapshots | Intent::Apps | Intent::TrueNasAlerts => {
                let (tool, arguments) = match intent {
                    Intent::Snapshots => (
                        names::SNAPSHOTS,
                        slots
                            .dataset
                            .as_ref()
                            .map_or_else(|| json!({}), |d| json!({"dataset": d})),
                    ),
                    Intent::Apps => (names::TRUENAS_APPS, json!({})),
                    _ => (names::TRUENAS_ALERTS, json!({})),
                };
                if !want(intent, tool, arguments) {
                    notes.push(
                        "That needs the TrueNAS API, which this assistant is not connected to: \
                         set truenas.url, truenas.username and a read-only API key."
                            .to_owned(),
                    );
                }
            }
            Intent::Alerts => {
                if !want(intent, names::ACTIVE_ALERTS, json!({})) {
                    notes.push(
                        "No alert rules are active in this assistant; here is the overall state \
                         instead."
                            .to_owned(),
                    );
                    if !intents.contains(&Intent::Overview) {
                        want(Intent::Overview, names::SYSTEM_OVERVIEW, json!({}));
                    }
                }
            }
        }
    }
    (calls, notes)
}

/// The Docker calls for a container question.
pub fn plan_containers(
    intent: Intent,
    slots: &Slots,
    containers: &ContainerContext,
) -> (Vec<(&'static str, Value)>, Vec<String>) {
    let named = &slots.containers[..slots.containers.len().min(3)];
    let mut calls = Vec::new();
    let mut notes = Vec::new();
    // "docker event log for the past hour": the engine's log is its events.
    if intent == Intent::Logs && named.is_empty() && slots.focus == ContainerFocus::Events {
        let mut arguments = json!({});
        if let Some(since) = &slots.since {
            arguments["since"] = json!(since);
        }
        calls.push((names::DOCKER_EVENTS, arguments));
        return (calls, notes);
    }
    if intent == Intent::Logs {
        if named.is_empty() {
            let mut note = "Which container's logs? Name one, e.g. \"logs of plex\".".to_owned();
            if !containers.known.is_empty() {
                note.push_str(&format!(" Containers: {}.", containers.known.join(", ")));
            }
            notes.push(note);
        }
        for name in named {
            let mut arguments = json!({"name": name});
            if let Some(lines) = slots.lines {
                arguments["lines"] = json!(lines);
            }
            if let Some(since) = &slots.since {
                arguments["since"] = json!(since);
            }
            if let Some(filter) = &slots.filter {
                arguments["filter"] = json!(filter);
            }
            calls.push((names::CONTAINER_LOGS, arguments));
        }
        return (calls, notes);
    }
    // "Any containers in a restart loop?" asks which ones restart, not why: the list in that
    // state answers it; "why does crashloop keep restarting?" names one and gets the why.
    let restarting_list = slots.focus == ContainerFocus::Crashes
        && named.is_empty()
        && slots.state == Some("restarting");
    match slots.focus {
        ContainerFocus::Crashes | ContainerFocus::Events if !restarting_list => {
            let mut arguments = json!({});
            if let Some(since) = &slots.since {
                arguments["since"] = json!(since);
            }
            if named.is_empty() {
                calls.push((names::DOCKER_EVENTS, arguments.clone()));
            }
            for name in named {
                let mut arguments = arguments.clone();
                arguments["name"] = json!(name);
                calls.push((names::DOCKER_EVENTS, arguments));
                // Why a container restarts: its last exit code and restart count, and the last
                // lines it printed before dying.
                if slots.focus == ContainerFocus::Crashes {
                    calls.push((names::CONTAINER_DETAILS, json!({"name": name})));
                    calls.push((names::CONTAINER_LOGS, json!({"name": name, "lines": 20})));
                }
            }
        }
        ContainerFocus::Resources => {
            let sort_by = if slots.by_memory { "memory" } else { "cpu" };
            if named.is_empty() {
                calls.push((names::CONTAINER_STATS, json!({"sort_by": sort_by})));
            }
            for name in named {
                calls.push((
                    names::CONTAINER_STATS,
                    json!({"name": name, "sort_by": sort_by}),
                ));
            }
        }
        _ if !named.is_empty() => {
            for name in named {
                calls.push((names::CONTAINER_DETAILS, json!({"name": name})));
            }
        }
        ContainerFocus::Engine => calls.push((names::DOCKER_INFO, json!({}))),
        ContainerFocus::Images => calls.push((names::LIST_IMAGES, json!({}))),
        ContainerFocus::DiskUse => calls.push((names::DOCKER_DISK_USAGE, json!({}))),
        ContainerFocus::List
        | ContainerFocus::Details
        | ContainerFocus::Crashes
        | ContainerFocus::Events => {
            let mut arguments = match slots.state {
                Some(state) => json!({"state": state}),
                None if slots.all => json!({"all": true}),
                None => json!({}),
            };
            if let Some(group) = &slots.group {
                arguments["name"] = json!(group);
            }
            calls.push((names::LIST_CONTAINERS, arguments));
        }
    }
    (calls, notes)
}
