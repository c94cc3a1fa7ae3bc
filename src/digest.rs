//! The daily digest: one message on how the last 24 hours went — overall health, disks and pools,
//! containers that crashed, restarted or started, alerts raised and resolved, and how many
//! questions were asked and refused. Sent to the notify chats at `digest.at`, and on demand
//! (`/digest`, `!digest`, "daily digest").
//!
//! Every section is always there: a source that is down, or has no history yet (a one-shot
//! `ask` has no sampler history), makes its section say "unavailable" and why, never drop out.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, Offset, TimeZone, Utc};
use homelab_port::ToolCall;
use serde_json::{Value, json};

use crate::tools::{ToolRegistry, names};

/// The window the digest covers.
pub const WINDOW_HOURS: i64 = 24;
/// The most of the audit log's tail that is read: a busy day's entries fit many times over, and
/// a log of any size costs the same.
const AUDIT_TAIL_BYTES: u64 = 16 * 1024 * 1024;

/// Where the digest's clock is: the server's local time (`TZ`, else /etc/localtime), or an IANA
/// zone ("Europe/Paris").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Zone {
    #[default]
    Local,
    Named(chrono_tz::Tz),
}

impl Zone {
    /// `""` or `"local"` for the server's time, else an IANA name.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "" | "local" => Ok(Self::Local),
            name => name
                .parse::<chrono_tz::Tz>()
                .map(Self::Named)
                .map_err(|_| format!("`{name}` is not a time zone name like Europe/Paris or UTC")),
        }
    }

    /// The zone's offset from UTC at `at`.
    pub fn offset_at(self, at: DateTime<Utc>) -> FixedOffset {
        match self {
            Self::Local => at.with_timezone(&chrono::Local).offset().fix(),
            Self::Named(tz) => at.with_timezone(&tz).offset().fix(),
        }
    }

    /// The first moment after `after` when the zone's clocks read `time`. On a day whose clocks
    /// skip that time (spring forward), the moment one hour later.
    pub fn next(self, time: NaiveTime, after: DateTime<Utc>) -> DateTime<Utc> {
        fn next_in<Z: TimeZone>(zone: &Z, time: NaiveTime, after: DateTime<Utc>) -> DateTime<Utc> {
            let today = after.with_timezone(zone).date_naive();
            for day in 0..3 {
                let date = today + Duration::days(day);
                let local = date.and_time(time);
                let at = zone.from_local_datetime(&local).earliest().or_else(|| {
                    zone.from_local_datetime(&(local + Duration::hours(1)))
                        .earliest()
                });
                if let Some(at) = at.map(|at| at.with_timezone(&Utc))
                    && at > after
                {
                    return at;
                }
            }
            after + Duration::days(1)
        }
        match self {
            Self::Local => next_in(&chrono::Local, time, after),
            Self::Named(tz) => next_in(&tz, time, after),
        }
    }
}

/// A disk's used percent 24 hours ago and now, from the sampler's history.
#[derive(Clone, Debug, PartialEq)]
pub struct DiskTrend {
    pub mount: String,
    pub then: f64,
    pub now: f64,
}

/// What the digest reads besides the tools.
#[derive(Clone, Debug, Default)]
pub struct DigestSources<'a> {
    /// The JSONL audit log, when it is a file.
    pub audit_log: Option<&'a Path>,
    /// Per-mount trends; `None` when there is no history (a one-shot `ask`, or a server that
    /// started less than a day ago and has nothing older to compare with).
    pub disk_trends: Option<Vec<DiskTrend>>,
}

/// The digest's text and the tool calls made for it.
#[derive(Debug, Default)]
pub struct Digest {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
}

/// Writes the digest for the 24 hours before `now`; times are shown at `offset` (the digest's
/// time zone at `now`).
pub async fn compose(
    tools: &ToolRegistry,
    sources: &DigestSources<'_>,
    now: DateTime<Utc>,
    offset: FixedOffset,
) -> Digest {
    let mut calls = Vec::new();
    let mut call = async |name: &str, arguments: Value| {
        if !tools.contains(name) {
            return None;
        }
        let outcome = tools.call(name, arguments).await;
        calls.push(outcome.record.clone());
        Some(outcome.result.map_err(|e| e.to_string()))
    };
    let overview = call(names::SYSTEM_OVERVIEW, json!({})).await;
    let alerts = call(names::ACTIVE_ALERTS, json!({})).await;
    let disks = call(names::DISK_USAGE, json!({})).await;
    let zfs = call(names::ZFS_POOLS, json!({})).await;
    let truenas = call(names::TRUENAS_POOLS, json!({})).await;
    let events = call(names::DOCKER_EVENTS, json!({"since": "24h"})).await;
    let containers = call(names::LIST_CONTAINERS, json!({"all": true})).await;
    let audit = sources
        .audit_log
        .map(|path| read_audit_since(path, now - Duration::hours(WINDOW_HOURS)));

    let local = now.with_timezone(&offset);
    let mut text = format!(
        "🗞️ **Daily digest** — {} ({}), the last {WINDOW_HOURS} hours\n",
        local.format("%A %Y-%m-%d %H:%M"),
        offset
    );
    text.push_str(&section("Health", health(overview, alerts)));
    text.push_str(&section(
        "Disks and pools",
        storage(disks, &sources.disk_trends, zfs, truenas),
    ));
    text.push_str(&section(
        "Containers",
        container_changes(events, containers),
    ));
    let (alert_lines, question_lines) = match audit {
        Some(Ok(entries)) => (alert_history(&entries), questions(&entries)),
        Some(Err(err)) => {
            let why = format!("unavailable: the audit log cannot be read ({err})");
            (why.clone(), why)
        }
        None => {
            let why = "unavailable: there is no audit log file to read".to_owned();
            (why.clone(), why)
        }
    };
    text.push_str(&section("Alerts", alert_lines));
    text.push_str(&section("Questions", question_lines));
    Digest {
        text: text.trim_end().to_owned(),
        tool_calls: calls,
    }
}

fn section(title: &str, body: String) -> String {
    format!("\n**{title}**\n{body}\n")
}

type Fetched = Option<Result<crate::tools::ToolOutput, String>>;

fn unavailable(what: &str, fetched: &Fetched) -> Option<String> {
    match fetched {
        None => Some(format!("unavailable: no {what} source is configured")),
        Some(Err(err)) => Some(format!("unavailable: {err}")),
        Some(Ok(_)) => None,
    }
}

fn health(overview: Fetched, alerts: Fetched) -> String {
    let mut lines = Vec::new();
    match &overview {
        Some(Ok(out)) => {
            let first = out
                .text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or_default();
            lines.push(format!("- {}", first.trim().trim_start_matches("- ")));
        }
        _ => lines.push(format!(
            "- {}",
            unavailable("system", &overview).unwrap_or_default()
        )),
    }
    match &alerts {
        Some(Ok(out)) => {
            let active = out.data["alerts"].as_array().cloned().unwrap_or_default();
            let count =
                |severity: &str| active.iter().filter(|a| a["severity"] == severity).count();
            lines.push(if active.is_empty() {
                "- ✅ no active alerts".to_owned()
            } else {
                format!(
                    "- {} active alert{} ({} critical, {} warning)",
                    active.len(),
                    if active.len() == 1 { "" } else { "s" },
                    count("critical"),
                    count("warning")
                )
            });
        }
        _ => lines.push(format!(
            "- alerts {}",
            unavailable("alert", &alerts).unwrap_or_default()
        )),
    }
    lines.join("\n")
}

fn storage(
    disks: Fetched,
    trends: &Option<Vec<DiskTrend>>,
    zfs: Fetched,
    truenas: Fetched,
) -> String {
    let mut lines = Vec::new();
    match &disks {
        Some(Ok(out)) => {
            for fs in out.data["filesystems"].as_array().into_iter().flatten() {
                let mount = fs["mount_point"].as_str().unwrap_or("?");
                let now = fs["used_percent"].as_f64().unwrap_or(0.0);
                let trend = match trends {
                    None => "24-hour trend unavailable: no history yet".to_owned(),
                    Some(trends) => match trends.iter().find(|t| t.mount == mount) {
                        Some(t) => format!(
                            "{:+.1} points in 24 h (was {:.1} %)",
                            t.now - t.then,
                            t.then
                        ),
                        None => "24-hour trend unavailable: not sampled a day ago".to_owned(),
                    },
                };
                lines.push(format!("- `{mount}` {now:.1} % used; {trend}"));
            }
            if lines.is_empty() {
                lines.push("- no filesystems reported".to_owned());
            }
        }
        _ => lines.push(format!(
            "- disks {}",
            unavailable("disk", &disks).unwrap_or_default()
        )),
    }
    let mut pools_seen = false;
    for fetched in [&zfs, &truenas] {
        if let Some(Ok(out)) = fetched {
            for pool in out.data["pools"].as_array().into_iter().flatten() {
                pools_seen = true;
                let name = pool["name"].as_str().unwrap_or("?");
                let state = pool["state"]
                    .as_str()
                    .or_else(|| pool["status"].as_str())
                    .unwrap_or("?");
                let mark = if state.eq_ignore_ascii_case("online") {
                    "✅"
                } else {
                    "⚠️"
                };
                let used = pool["used_percent"]
                    .as_f64()
                    .map(|p| format!(", {p:.1} % used"))
                    .unwrap_or_default();
                lines.push(format!("- {mark} pool **{name}**: {state}{used}"));
            }
        } else if let Some(Err(err)) = fetched {
            pools_seen = true;
            lines.push(format!("- pools unavailable: {err}"));
        }
    }
    if !pools_seen && zfs.is_none() && truenas.is_none() {
        lines.push("- pools unavailable: no ZFS or TrueNAS source is configured".to_owned());
    }
    lines.join("\n")
}

fn container_changes(events: Fetched, containers: Fetched) -> String {
    let mut lines = Vec::new();
    match &events {
        Some(Ok(out)) => {
            for row in out.data["containers"].as_array().into_iter().flatten() {
                let n = |key: &str| row[key].as_u64().unwrap_or(0);
                let mut what = Vec::new();
                for (key, one, many) in [
                    ("crashes", "crash", "crashes"),
                    ("oom_kills", "OOM kill", "OOM kills"),
                    ("restarts", "restart", "restarts"),
                    ("became_unhealthy", "health failure", "health failures"),
                ] {
                    let count = n(key);
                    if count > 0 {
                        what.push(format!("{count} {}", if count == 1 { one } else { many }));
                    }
                }
                if !what.is_empty() {
                    let name = row["name"].as_str().unwrap_or("?");
                    lines.push(format!("- `{name}`: {}", what.join(", ")));
                }
            }
            if lines.is_empty() {
                lines.push("- no crashes, OOM kills or restarts".to_owned());
            }
        }
        _ => lines.push(format!(
            "- events {}",
            unavailable("Docker", &events).unwrap_or_default()
        )),
    }
    if let Some(Ok(out)) = &containers {
        // The engine remembers only its latest events; the current state does not age out.
        let names_where = |keep: &dyn Fn(&Value) -> bool| -> Vec<String> {
            out.data["containers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|c| keep(c))
                .filter_map(|c| c["name"].as_str().map(|n| format!("`{n}`")))
                .collect()
        };
        let restarting = names_where(&|c| c["state"] == "restarting");
        if !restarting.is_empty() {
            lines.push(format!("- restarting now: {}", restarting.join(", ")));
        }
        let unhealthy = names_where(&|c| c["health"] == "unhealthy");
        if !unhealthy.is_empty() {
            lines.push(format!("- unhealthy now: {}", unhealthy.join(", ")));
        }
        let day = u64::try_from(WINDOW_HOURS * 3600).unwrap_or(u64::MAX);
        // Up for less than the window: it (re)started inside it. Docker's restart count says
        // whether its policy did it, which outlives the engine's event memory.
        let recent = names_where(&|c| c["uptime_secs"].as_u64().is_some_and(|up| up < day));
        let restarted = names_where(&|c| {
            c["uptime_secs"].as_u64().is_some_and(|up| up < day)
                && c["restart_count"].as_u64().unwrap_or(0) > 0
        });
        let started: Vec<&String> = recent.iter().filter(|n| !restarted.contains(n)).collect();
        if !restarted.is_empty() {
            lines.push(format!(
                "- restarted by Docker's restart policy: {}",
                restarted.join(", ")
            ));
        }
        if !started.is_empty() {
            let started: Vec<&str> = started.iter().map(|n| n.as_str()).collect();
            lines.push(format!(
                "- started (new, updated or restarted by hand): {}",
                started.join(", ")
            ));
        }
    }
    lines.join("\n")
}

/// The alert messages of the window, from the audit log: the watcher's notes ("alert watcher:
/// started disk:/; cleared load") and the webhook calls' lines ("[firing] HostDown on nas").
fn alert_history(entries: &[Value]) -> String {
    let mut raised = BTreeMap::<String, usize>::new();
    let mut resolved = BTreeMap::<String, usize>::new();
    for entry in entries {
        let message = entry["user_message"].as_str().unwrap_or_default();
        match entry["platform"].as_str() {
            Some("notify") => {
                let notes = message.split_once(": ").map_or("", |(_, notes)| notes);
                for note in notes.split("; ") {
                    if let Some(id) = note
                        .strip_prefix("started ")
                        .or_else(|| note.strip_prefix("escalated "))
                    {
                        *raised.entry(id.to_owned()).or_default() += 1;
                    } else if let Some(id) = note.strip_prefix("cleared ") {
                        *resolved.entry(id.to_owned()).or_default() += 1;
                    }
                }
            }
            Some("webhook") if entry["outcome"] == "answered" => {
                let alerts = message.split_once(": ").map_or("", |(_, rest)| rest);
                let alerts = alerts.split_once(": ").map_or("", |(_, rest)| rest);
                for line in alerts.split("; ") {
                    if let Some(title) = line.strip_prefix("[firing] ") {
                        *raised.entry(title.to_owned()).or_default() += 1;
                    } else if let Some(title) = line.strip_prefix("[resolved] ") {
                        *resolved.entry(title.to_owned()).or_default() += 1;
                    }
                }
            }
            _ => {}
        }
    }
    let list = |map: &BTreeMap<String, usize>| {
        map.iter()
            .take(10)
            .map(|(id, n)| {
                if *n > 1 {
                    format!("{id} ×{n}")
                } else {
                    id.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut lines = Vec::new();
    lines.push(if raised.is_empty() {
        "- raised: none".to_owned()
    } else {
        format!(
            "- raised: {} ({})",
            raised.values().sum::<usize>(),
            list(&raised)
        )
    });
    lines.push(if resolved.is_empty() {
        "- resolved: none".to_owned()
    } else {
        format!(
            "- resolved: {} ({})",
            resolved.values().sum::<usize>(),
            list(&resolved)
        )
    });
    lines.join("\n")
}

/// Questions asked in the chats and how they ended.
fn questions(entries: &[Value]) -> String {
    let asked: Vec<&Value> = entries
        .iter()
        .filter(|e| {
            matches!(
                e["platform"].as_str(),
                Some("cli" | "http" | "discord" | "matrix")
            )
        })
        .collect();
    let count = |outcome: &str| asked.iter().filter(|e| e["outcome"] == outcome).count();
    format!(
        "- {} request{}: {} answered, {} refused (state changes), {} turned away, {} failed",
        asked.len(),
        if asked.len() == 1 { "" } else { "s" },
        count("answered"),
        count("refused"),
        asked
            .iter()
            .filter(|e| {
                matches!(
                    e["outcome"].as_str(),
                    Some("unauthorized" | "rate_limited" | "invalid" | "too_large")
                )
            })
            .count(),
        count("error"),
    )
}

/// The audit entries written since `since`, read from the end of the log (at most
/// [`AUDIT_TAIL_BYTES`]); lines that are not JSON (a torn last line) are skipped.
pub fn read_audit_since(path: &Path, since: DateTime<Utc>) -> std::io::Result<Vec<Value>> {
    let mut file = std::fs::File::open(path)?;
    let length = file.metadata()?.len();
    let start = length.saturating_sub(AUDIT_TAIL_BYTES);
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::new();
    file.take(AUDIT_TAIL_BYTES).read_to_end(&mut bytes)?;
    let text = String::from_utf8_lossy(&bytes);
    let mut lines = text.lines();
    if start > 0 {
        // The first line was cut by the seek.
        lines.next();
    }
    Ok(lines
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|entry| {
            entry["timestamp"]
                .as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| t.with_timezone(&Utc) >= since)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn entry(at: DateTime<Utc>, platform: &str, message: &str, outcome: &str) -> String {
        json!({
            "timestamp": at.to_rfc3339(), "platform": platform, "user_id": "u",
            "user_message": message, "assistant_response": "", "refused": outcome == "refused",
            "outcome": outcome, "tool_calls": [], "latency_ms": 1
        })
        .to_string()
    }

    fn clock() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-03T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_audit_window_counts_alerts_and_questions_of_the_last_day_only() {
        let now = clock();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let mut file = std::fs::File::create(&path).unwrap();
        for line in [
            entry(now - Duration::hours(30), "http", "too old", "answered"),
            entry(
                now - Duration::hours(20),
                "notify",
                "alert watcher: started disk:/; started load",
                "answered",
            ),
            entry(
                now - Duration::hours(10),
                "notify",
                "alert watcher: cleared load",
                "answered",
            ),
            entry(
                now - Duration::hours(9),
                "webhook",
                "POST /hooks/alertmanager: 1 alert: [firing] HostDown on nas:9100",
                "answered",
            ),
            entry(
                now - Duration::hours(8),
                "webhook",
                "POST /hooks/alertmanager: 1 alert: [resolved] HostDown on nas:9100",
                "answered",
            ),
            entry(
                now - Duration::hours(8),
                "webhook",
                "POST /hooks/slack",
                "unauthorized",
            ),
            entry(
                now - Duration::hours(2),
                "discord",
                "restart plex",
                "refused",
            ),
            entry(now - Duration::hours(1), "matrix", "cpu?", "answered"),
            entry(now - Duration::hours(1), "http", "", "unauthorized"),
        ] {
            writeln!(file, "{line}").unwrap();
        }
        write!(file, "{{\"torn").unwrap();
        let entries = read_audit_since(&path, now - Duration::hours(24)).unwrap();
        assert_eq!(entries.len(), 8);
        assert_eq!(
            alert_history(&entries),
            "- raised: 3 (HostDown on nas:9100, disk:/, load)\n- resolved: 2 (HostDown on nas:9100, load)"
        );
        assert_eq!(
            questions(&entries),
            "- 3 requests: 1 answered, 1 refused (state changes), 1 turned away, 0 failed"
        );
    }

    #[tokio::test]
    async fn every_section_is_there_even_with_no_source() {
        let tools = ToolRegistry::new(std::time::Duration::from_secs(5));
        let digest = compose(
            &tools,
            &DigestSources::default(),
            clock(),
            FixedOffset::east_opt(3600).unwrap(),
        )
        .await;
        let text = digest.text;
        assert!(
            text.starts_with("🗞️ **Daily digest** — Thursday 2026-12-03 09:00 (+01:00)"),
            "{text}"
        );
        for title in [
            "Health",
            "Disks and pools",
            "Containers",
            "Alerts",
            "Questions",
        ] {
            assert!(text.contains(&format!("**{title}**")), "{title}: {text}");
        }
        assert!(
            text.contains("unavailable: no system source is configured"),
            "{text}"
        );
        assert!(
            text.contains("unavailable: there is no audit log file to read"),
            "{text}"
        );
        assert!(digest.tool_calls.is_empty());
    }

    #[test]
    fn the_next_send_time_follows_the_zone_and_its_daylight_saving() {
        let paris = Zone::parse("Europe/Paris").unwrap();
        let eight = NaiveTime::from_hms_opt(8, 0, 0).unwrap();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // Winter: 08:00 in Paris is 07:00 UTC; just after it, tomorrow's.
        assert_eq!(
            paris.next(eight, at("2026-12-03T06:00:00Z")),
            at("2026-12-03T07:00:00Z")
        );
        assert_eq!(
            paris.next(eight, at("2026-12-03T07:00:00Z")),
            at("2026-12-04T07:00:00Z")
        );
        // Summer: 06:00 UTC.
        assert_eq!(
            paris.next(eight, at("2026-07-01T05:00:00Z")),
            at("2026-07-01T06:00:00Z")
        );
        // 02:30 does not exist on the spring-forward night: 03:30 local instead.
        let half_two = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
        assert_eq!(
            paris.next(half_two, at("2026-03-29T00:00:00Z")),
            at("2026-03-29T01:30:00Z")
        );
        assert_eq!(Zone::parse("").unwrap(), Zone::Local);
        assert!(
            Zone::parse("Mars/Olympus")
                .unwrap_err()
                .contains("Mars/Olympus")
        );
        assert_eq!(
            Zone::parse("UTC")
                .unwrap()
                .offset_at(at("2026-07-01T05:00:00Z")),
            FixedOffset::east_opt(0).unwrap()
        );
    }

    #[test]
    fn disk_trends_show_the_change_or_say_why_not() {
        let out = crate::tools::ToolOutput {
            text: String::new(),
            data: json!({"filesystems": [
                {"mount_point": "/", "used_percent": 45.0},
                {"mount_point": "/mnt/tank", "used_percent": 81.5},
            ]}),
        };
        let trends = Some(vec![DiskTrend {
            mount: "/".into(),
            then: 43.0,
            now: 45.0,
        }]);
        let text = storage(Some(Ok(out.clone())), &trends, None, None);
        assert!(
            text.contains("`/` 45.0 % used; +2.0 points in 24 h (was 43.0 %)"),
            "{text}"
        );
        assert!(
            text.contains(
                "`/mnt/tank` 81.5 % used; 24-hour trend unavailable: not sampled a day ago"
            ),
            "{text}"
        );
        assert!(
            text.contains("pools unavailable: no ZFS or TrueNAS source is configured"),
            "{text}"
        );
        // ZFS kstats say `state`; TrueNAS says `status` and how full the pool is.
        let zfs = crate::tools::ToolOutput {
            text: String::new(),
            data: json!({"pools": [{"name": "backup", "state": "DEGRADED"}]}),
        };
        let truenas = crate::tools::ToolOutput {
            text: String::new(),
            data: json!({"pools": [{"name": "tank", "status": "ONLINE", "used_percent": 72.14}]}),
        };
        let text = storage(None, &None, Some(Ok(zfs)), Some(Ok(truenas)));
        assert!(text.contains("- ⚠️ pool **backup**: DEGRADED"), "{text}");
        assert!(
            text.contains("- ✅ pool **tank**: ONLINE, 72.1 % used"),
            "{text}"
        );
        assert!(
            text.contains("disks unavailable: no disk source is configured"),
            "{text}"
        );
        let text = storage(Some(Ok(out)), &None, None, None);
        assert!(
            text.contains("24-hour trend unavailable: no history yet"),
            "{text}"
        );
    }
}
