//! How the offline answer reads: each tool's own rendering, with a headline first where the
//! question asks for one ("Is sonarr running?" → "Yes, …"; "How full is tank?" → that pool).

use serde_json::Value;

use super::Intent;
use super::plan::Planned;
use super::slots::named_filesystem;
use super::vocabulary::{VOCABULARY, words};
use crate::tools::format::{bytes, percent};
use crate::tools::{CallOutcome, names};

pub fn render(question: &str, call: &Planned, outcome: &CallOutcome) -> String {
    match &outcome.result {
        Err(error) => format!("I couldn't read the {}: {error}.", subject(call.intent)),
        Ok(output) if call.intent == Intent::Disk => disk_headline(question, &output.data)
            .unwrap_or_else(|| match named_filesystem(question) {
                Some(name) => format!(
                    "I don't see a filesystem called `{name}` here. If it is a pool on the host \
                     and the assistant runs in a container, mount it read-only and add its path \
                     to `system.extra_disk_paths`. What I can see:\n\n{}",
                    output.text.trim()
                ),
                None => output.text.trim().to_owned(),
            }),
        Ok(output) if call.tool == names::CONTAINER_DETAILS => {
            match container_headline(question, &output.data) {
                Some(headline) => format!("{headline}\n\n{}", output.text.trim()),
                None => output.text.trim().to_owned(),
            }
        }
        Ok(output) => output.text.trim().to_owned(),
    }
}

pub(super) fn subject(intent: Intent) -> &'static str {
    match intent {
        Intent::Overview => "system overview",
        Intent::Cpu => "CPU usage",
        Intent::Memory => "memory usage",
        Intent::Disk => "disk usage",
        Intent::Temperature => names::TEMPERATURES,
        Intent::Processes => "process list",
        Intent::Network => "network usage",
        Intent::Containers => "containers",
        Intent::Logs => "logs",
        Intent::Alerts => "alerts",
        Intent::Pools => "ZFS pools",
        Intent::Ups => "UPS",
        Intent::Snapshots => "snapshots",
        Intent::Apps => "apps",
        Intent::TrueNasAlerts => "TrueNAS alerts",
        Intent::DiskHealth => "disk health",
        Intent::Fleet => "hosts",
        Intent::Help => "help",
    }
}

/// "Is sonarr running?": a yes or no before the details.
pub(super) fn container_headline(question: &str, data: &Value) -> Option<String> {
    let words = words(question);
    let first = words.first()?.as_str();
    if !matches!(first, "is" | "are" | "was") {
        return None;
    }
    let name = data["name"].as_str()?;
    let status = data["state"]["status"].as_str().unwrap_or("unknown");
    let health = data["health"]["status"].as_str();
    let running = status == "running";
    let asks_health = words
        .iter()
        .any(|w| matches!(w.as_str(), "healthy" | "unhealthy" | "ok" | "okay" | "fine"));
    Some(match (running, health) {
        (true, Some("unhealthy")) if asks_health => {
            format!("No — `{name}` is running, but its health check is failing (**unhealthy**).")
        }
        (true, Some("unhealthy")) => {
            format!("Yes, `{name}` is running — but its health check is failing (**unhealthy**).")
        }
        (true, Some(h)) => format!("Yes, `{name}` is running and {h}."),
        (true, None) => format!("Yes, `{name}` is running."),
        (false, _) => {
            let code = data["state"]["exit_code"].as_i64().unwrap_or(0);
            let oom = if data["state"]["oom_killed"] == true {
                ", OOM-killed"
            } else {
                ""
            };
            format!("No — `{name}` is {status} (exit code {code}{oom}).")
        }
    })
}

/// "How full is tank?": when the question names a filesystem, answer about that one.
pub(super) fn disk_headline(question: &str, data: &Value) -> Option<String> {
    let words = words(question);
    let filesystems = data["filesystems"].as_array()?;
    let named: Vec<&Value> = filesystems
        .iter()
        .filter(|fs| {
            let mount = fs["mount_point"].as_str().unwrap_or_default();
            let device = fs["device"].as_str().unwrap_or_default();
            let last = mount.rsplit('/').find(|s| !s.is_empty()).unwrap_or("/");
            words.iter().any(|w| {
                w.len() >= 2
                    && !VOCABULARY.disk.contains(&w.as_str())
                    && (w == last || w == mount || w == device)
            })
        })
        .collect();
    if named.is_empty() {
        return None;
    }
    let lines: Vec<String> = named
        .iter()
        .map(|fs| {
            format!(
                "`{}` is **{}** full: {} of {} used, {} free.",
                fs["mount_point"].as_str().unwrap_or_default(),
                percent(fs["used_percent"].as_f64().unwrap_or_default()),
                bytes(fs["used_bytes"].as_u64().unwrap_or_default()),
                bytes(fs["total_bytes"].as_u64().unwrap_or_default()),
                bytes(fs["available_bytes"].as_u64().unwrap_or_default()),
            )
        })
        .collect();
    Some(lines.join("\n"))
}
