//! The TrueNAS tools: each makes one allow-listed call and renders its figures with units.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Method, TrueNas, date};
use crate::tools::format::{bytes, duration_secs, percent, ratio_percent, round1};
use crate::tools::system::NoArguments;
use crate::tools::{ToolError, ToolOutput, TypedTool, names};

fn age(since: DateTime<Utc>) -> String {
    let secs = (Utc::now() - since).num_seconds().max(0) as u64;
    format!("{} ago", duration_secs(secs))
}

fn list(value: Value, what: &str) -> Result<Vec<Value>, ToolError> {
    match value {
        Value::Array(items) => Ok(items),
        _ => Err(ToolError::Unavailable(format!(
            "TrueNAS sent something other than a list of {what}"
        ))),
    }
}

/// Devices in a pool's topology that are not ONLINE, with their error counts.
fn troubled_devices(node: &Value, found: &mut Vec<String>) {
    if let Some(items) = node.as_array() {
        for item in items {
            troubled_devices(item, found);
        }
        return;
    }
    if let Some(groups) = node.as_object().filter(|o| !o.contains_key("type")) {
        for group in groups.values() {
            troubled_devices(group, found);
        }
        return;
    }
    let status = node["status"].as_str().unwrap_or("");
    let stats = &node["stats"];
    let errors = ["read_errors", "write_errors", "checksum_errors"]
        .iter()
        .map(|k| stats[*k].as_u64().unwrap_or(0))
        .sum::<u64>();
    if (!status.is_empty() && status != "ONLINE") || errors > 0 {
        let name = node["disk"]
            .as_str()
            .or_else(|| node["name"].as_str())
            .unwrap_or("?");
        let mut line = format!("`{name}` {status}");
        if errors > 0 {
            line.push_str(&format!(" ({errors} errors)"));
        }
        found.push(line);
    }
    troubled_devices(&node["children"], found);
}

/// `pools`: TrueNAS's view of each pool: health, scrub or resilver, capacity, failing devices.
#[derive(Debug)]
pub struct TrueNasPools(pub Arc<TrueNas>);

#[async_trait]
impl TypedTool for TrueNasPools {
    const NAME: &'static str = names::TRUENAS_POOLS;
    type Args = NoArguments;
    fn description(&self) -> &'static str {
        "TrueNAS pools: health, status detail, last scrub or resilver and its errors, capacity."
    }
    async fn run(&self, _: NoArguments) -> Result<ToolOutput, ToolError> {
        let pools = list(self.0.call(Method::PoolQuery, json!([])).await?, "pools")?;
        let max_scrub_age = chrono::Duration::days(self.0.thresholds.scrub_max_age_days as i64);
        let mut text = String::new();
        let mut data = Vec::new();
        for pool in &pools {
            let name = pool["name"].as_str().unwrap_or("?");
            let status = pool["status"].as_str().unwrap_or("UNKNOWN");
            let healthy = pool["healthy"].as_bool().unwrap_or(status == "ONLINE");
            let mark = if healthy { "" } else { " ⚠️" };
            text.push_str(&format!("- **{name}**: **{status}**{mark}"));
            if let Some(detail) = pool["status_detail"].as_str().filter(|d| !d.is_empty()) {
                text.push_str(&format!(" — {detail}"));
            }
            let size = pool["size"].as_u64().unwrap_or(0);
            let allocated = pool["allocated"].as_u64().unwrap_or(0);
            if size > 0 {
                text.push_str(&format!(
                    "; {} of {} used ({}), {} free",
                    bytes(allocated),
                    bytes(size),
                    percent(ratio_percent(allocated, size)),
                    bytes(pool["free"].as_u64().unwrap_or(0))
                ));
            }
            text.push('\n');
            let scan = &pool["scan"];
            let function = scan["function"].as_str().unwrap_or("").to_lowercase();
            let state = scan["state"].as_str().unwrap_or("");
            let ended = date(&scan["end_time"]);
            let mut overdue = false;
            match (function.as_str(), state) {
                ("", _) => text.push_str("  - never scrubbed\n"),
                (f, "SCANNING") => text.push_str(&format!(
                    "  - {f} running: {:.1}% done\n",
                    scan["percentage"].as_f64().unwrap_or(0.0)
                )),
                (f, _) => {
                    let errors = scan["errors"].as_u64().unwrap_or(0);
                    let when = ended
                        .map(|e| format!("ended {} ({})", e.format("%Y-%m-%d %H:%M UTC"), age(e)))
                        .unwrap_or_else(|| "end time unknown".into());
                    let state = state.to_lowercase();
                    text.push_str(&format!(
                        "  - last {f} {state}, {when}, **{errors} errors**"
                    ));
                    overdue = f == "scrub" && ended.is_some_and(|e| Utc::now() - e > max_scrub_age);
                    if overdue {
                        text.push_str(&format!(
                            " — overdue (more than {} days)",
                            self.0.thresholds.scrub_max_age_days
                        ));
                    }
                    text.push('\n');
                }
            }
            let mut troubled = Vec::new();
            troubled_devices(&pool["topology"], &mut troubled);
            if !troubled.is_empty() {
                text.push_str(&format!("  - devices: {}\n", troubled.join(", ")));
            }
            data.push(json!({
                "name": name,
                "status": status,
                "healthy": healthy,
                "status_detail": pool["status_detail"],
                "size_bytes": size,
                "allocated_bytes": allocated,
                "used_percent": round1(ratio_percent(allocated, size)),
                "scan": {
                    "function": scan["function"],
                    "state": scan["state"],
                    "end_time": ended.map(|e| e.to_rfc3339()),
                    "errors": scan["errors"],
                    "overdue": overdue,
                },
                "troubled_devices": troubled,
            }));
        }
        if pools.is_empty() {
            text.push_str("TrueNAS has no pools.\n");
        }
        Ok(ToolOutput {
            data: json!({ "pools": data }),
            text,
        })
    }
}

/// Arguments of `snapshots`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotArguments {
    /// Only this dataset and its children, e.g. "tank/media".
    #[serde(default)]
    pub dataset: Option<String>,
}

/// `snapshots`: per dataset, how many snapshots and how old the newest is.
#[derive(Debug)]
pub struct Snapshots(pub Arc<TrueNas>);

#[async_trait]
impl TypedTool for Snapshots {
    const NAME: &'static str = names::SNAPSHOTS;
    type Args = SnapshotArguments;
    fn description(&self) -> &'static str {
        "ZFS snapshots per dataset on TrueNAS: count, newest and its age, stale ones."
    }
    async fn run(&self, args: SnapshotArguments) -> Result<ToolOutput, ToolError> {
        let snapshots = list(
            self.0
                .snapshots(json!([[], {"extra": {"properties": ["creation"]}}]))
                .await?,
            "snapshots",
        )?;
        let wanted = args.dataset.as_deref().map(|d| d.trim().trim_matches('/'));
        let by_dataset = group_snapshots(&snapshots, wanted);
        if let Some(wanted) = wanted
            && by_dataset.is_empty()
        {
            return Err(ToolError::NotFound(format!(
                "no snapshots of `{wanted}` (or no such dataset)"
            )));
        }
        let stale_after = chrono::Duration::hours(self.0.thresholds.snapshot_max_age_hours as i64);
        let mut text = String::new();
        let mut data = Vec::new();
        for (dataset, (count, newest)) in &by_dataset {
            let stale = newest.is_none_or(|n| Utc::now() - n > stale_after);
            let newest_text = newest
                .map(|n| format!("newest {} ({})", n.format("%Y-%m-%d %H:%M UTC"), age(n)))
                .unwrap_or_else(|| "creation time unknown".into());
            let mark = if stale {
                format!(
                    " — stale (older than {} h)",
                    self.0.thresholds.snapshot_max_age_hours
                )
            } else {
                String::new()
            };
            text.push_str(&format!(
                "- `{dataset}`: {count} snapshot(s), {newest_text}{mark}\n"
            ));
            data.push(json!({
                "dataset": dataset,
                "count": count,
                "newest": newest.map(|n| n.to_rfc3339()),
                "newest_age_secs": newest.map(|n| (Utc::now() - n).num_seconds().max(0)),
                "stale": stale,
            }));
        }
        if by_dataset.is_empty() {
            text.push_str("No snapshots on this TrueNAS.\n");
        }
        Ok(ToolOutput {
            data: json!({ "datasets": data }),
            text,
        })
    }
}

/// Per dataset (this one and its children when `wanted`): how many snapshots, and the newest.
fn group_snapshots(
    snapshots: &[Value],
    wanted: Option<&str>,
) -> BTreeMap<String, (usize, Option<DateTime<Utc>>)> {
    let mut by_dataset: BTreeMap<String, (usize, Option<DateTime<Utc>>)> = BTreeMap::new();
    for snapshot in snapshots {
        let name = snapshot["name"].as_str().unwrap_or("");
        let dataset = snapshot["dataset"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| name.split('@').next().unwrap_or("").to_owned());
        if let Some(wanted) = wanted
            && !(dataset.eq_ignore_ascii_case(wanted)
                || dataset
                    .to_lowercase()
                    .starts_with(&format!("{}/", wanted.to_lowercase())))
        {
            continue;
        }
        let creation = &snapshot["properties"]["creation"];
        let created = date(&creation["parsed"]).or_else(|| date(&creation["rawvalue"]));
        let entry = by_dataset.entry(dataset).or_default();
        entry.0 += 1;
        entry.1 = entry.1.max(created);
    }
    by_dataset
}

/// What the alert rules need from TrueNAS.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrueNasFacts {
    pub pools: Vec<PoolFact>,
    /// Each dataset that has snapshots, with its newest.
    pub newest_snapshots: Vec<(String, Option<DateTime<Utc>>)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PoolFact {
    pub name: String,
    pub status: String,
    pub healthy: bool,
    /// When the last finished scrub ended; `None` when never scrubbed or one is running.
    pub last_scrub_end: Option<DateTime<Utc>>,
}

/// Reads the pools and snapshots for the alert rules: two calls.
pub async fn facts(truenas: &TrueNas) -> Result<TrueNasFacts, ToolError> {
    let pools = list(truenas.call(Method::PoolQuery, json!([])).await?, "pools")?;
    let snapshots = list(
        truenas
            .snapshots(json!([[], {"extra": {"properties": ["creation"]}}]))
            .await?,
        "snapshots",
    )?;
    Ok(TrueNasFacts {
        pools: pools
            .iter()
            .map(|pool| {
                let status = pool["status"].as_str().unwrap_or("UNKNOWN").to_owned();
                let scan = &pool["scan"];
                let finished_scrub = scan["function"] == "SCRUB" && scan["state"] != "SCANNING";
                PoolFact {
                    name: pool["name"].as_str().unwrap_or("?").to_owned(),
                    healthy: pool["healthy"].as_bool().unwrap_or(status == "ONLINE"),
                    status,
                    last_scrub_end: finished_scrub.then(|| date(&scan["end_time"])).flatten(),
                }
            })
            .collect(),
        newest_snapshots: group_snapshots(&snapshots, None)
            .into_iter()
            .map(|(dataset, (_, newest))| (dataset, newest))
            .collect(),
    })
}

/// `truenas_alerts`: TrueNAS's own alerts, active first, dismissed apart.
#[derive(Debug)]
pub struct TrueNasAlerts(pub Arc<TrueNas>);

fn level_rank(level: &str) -> u8 {
    match level {
        "EMERGENCY" | "ALERT" | "CRITICAL" => 0,
        "ERROR" => 1,
        "WARNING" => 2,
        "NOTICE" => 3,
        _ => 4,
    }
}

#[async_trait]
impl TypedTool for TrueNasAlerts {
    const NAME: &'static str = names::TRUENAS_ALERTS;
    type Args = NoArguments;
    fn description(&self) -> &'static str {
        "Alerts TrueNAS itself raised (pools, SMART, updates…): level, text, since."
    }
    async fn run(&self, _: NoArguments) -> Result<ToolOutput, ToolError> {
        let mut alerts = list(self.0.call(Method::AlertList, json!([])).await?, "alerts")?;
        alerts.sort_by_key(|a| level_rank(a["level"].as_str().unwrap_or("")));
        let (dismissed, active): (Vec<&Value>, Vec<&Value>) = alerts
            .iter()
            .partition(|a| a["dismissed"].as_bool().unwrap_or(false));
        let line = |a: &Value| {
            let level = a["level"].as_str().unwrap_or("INFO");
            let text = a["formatted"]
                .as_str()
                .or_else(|| a["text"].as_str())
                .unwrap_or("(no text)");
            let since = date(&a["datetime"])
                .map(|d| format!(" (since {})", age(d)))
                .unwrap_or_default();
            format!("- **{level}** {}{since}\n", text.trim())
        };
        let mut text = if active.is_empty() {
            "TrueNAS has no active alerts.\n".to_owned()
        } else {
            format!("TrueNAS has {} active alert(s):\n", active.len())
        };
        for alert in &active {
            text.push_str(&line(alert));
        }
        if !dismissed.is_empty() {
            text.push_str(&format!("Dismissed ({}):\n", dismissed.len()));
            for alert in &dismissed {
                text.push_str(&line(alert));
            }
        }
        let brief = |a: &&Value| {
            json!({
                "level": a["level"],
                "klass": a["klass"],
                "text": a["formatted"].as_str().or_else(|| a["text"].as_str()),
                "since": date(&a["datetime"]).map(|d| d.to_rfc3339()),
            })
        };
        Ok(ToolOutput {
            data: json!({
                "active": active.iter().map(brief).collect::<Vec<_>>(),
                "dismissed": dismissed.iter().map(brief).collect::<Vec<_>>(),
            }),
            text,
        })
    }
}

/// `apps`: TrueNAS apps, their state and whether an update is available.
#[derive(Debug)]
pub struct Apps(pub Arc<TrueNas>);

#[async_trait]
impl TypedTool for Apps {
    const NAME: &'static str = names::TRUENAS_APPS;
    type Args = NoArguments;
    fn description(&self) -> &'static str {
        "TrueNAS apps: state, version, and whether an update is available."
    }
    async fn run(&self, _: NoArguments) -> Result<ToolOutput, ToolError> {
        let apps = list(self.0.call(Method::AppQuery, json!([])).await?, "apps")?;
        let updates = apps
            .iter()
            .filter(|a| a["upgrade_available"].as_bool().unwrap_or(false))
            .count();
        let mut text = format!(
            "{} app(s), {updates} with an update available:\n",
            apps.len()
        );
        let mut data = Vec::new();
        for app in &apps {
            let name = app["name"].as_str().unwrap_or("?");
            let state = app["state"].as_str().unwrap_or("UNKNOWN");
            let version = app["human_version"]
                .as_str()
                .or_else(|| app["version"].as_str())
                .unwrap_or("?");
            let update = app["upgrade_available"].as_bool().unwrap_or(false);
            let mark = if update {
                " — **update available**"
            } else {
                ""
            };
            text.push_str(&format!("- **{name}**: {state}, {version}{mark}\n"));
            data.push(json!({"name": name, "state": state, "version": version, "update_available": update}));
        }
        Ok(ToolOutput {
            data: json!({ "apps": data }),
            text,
        })
    }
}

/// Arguments of `datasets`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DatasetArguments {
    /// How many, largest first (default 10).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// `datasets`: the largest datasets with used, available, quota and compression.
#[derive(Debug)]
pub struct Datasets(pub Arc<TrueNas>);

fn parsed_u64(property: &Value) -> Option<u64> {
    property["parsed"]
        .as_u64()
        .or_else(|| property["rawvalue"].as_str().and_then(|s| s.parse().ok()))
}

#[async_trait]
impl TypedTool for Datasets {
    const NAME: &'static str = names::TRUENAS_DATASETS;
    type Args = DatasetArguments;
    fn description(&self) -> &'static str {
        "TrueNAS datasets, largest first: used, available, quota, compression ratio."
    }
    async fn run(&self, args: DatasetArguments) -> Result<ToolOutput, ToolError> {
        let mut datasets = list(
            self.0
                .call(Method::DatasetQuery, json!([[], {"extra": {"flat": true}}]))
                .await?,
            "datasets",
        )?;
        datasets.sort_by_key(|d| std::cmp::Reverse(parsed_u64(&d["used"]).unwrap_or(0)));
        let limit = args.limit.unwrap_or(10).clamp(1, 100) as usize;
        let more = datasets.len().saturating_sub(limit);
        let mut text = String::from("Datasets, largest first:\n");
        let mut data = Vec::new();
        for dataset in datasets.iter().take(limit) {
            let name = dataset["name"].as_str().unwrap_or("?");
            let used = parsed_u64(&dataset["used"]).unwrap_or(0);
            let available = parsed_u64(&dataset["available"]).unwrap_or(0);
            let quota = parsed_u64(&dataset["quota"]).filter(|q| *q > 0);
            let ratio = dataset["compressratio"]["rawvalue"]
                .as_str()
                .or_else(|| dataset["compressratio"]["parsed"].as_str())
                .unwrap_or("1.00");
            text.push_str(&format!(
                "- `{name}`: {} used, {} available",
                bytes(used),
                bytes(available)
            ));
            if let Some(quota) = quota {
                text.push_str(&format!(
                    ", quota {} ({} of it)",
                    bytes(quota),
                    percent(ratio_percent(used, quota))
                ));
            }
            text.push_str(&format!(", compression {ratio}x\n"));
            data.push(json!({"name": name, "used_bytes": used, "available_bytes": available, "quota_bytes": quota, "compressratio": ratio}));
        }
        if more > 0 {
            text.push_str(&format!("…and {more} more.\n"));
        }
        Ok(ToolOutput {
            data: json!({ "datasets": data, "more": more }),
            text,
        })
    }
}

/// `disk_health`: each disk's pool, temperature and SMART state.
#[derive(Debug)]
pub struct DiskHealth(pub Arc<TrueNas>);

#[async_trait]
impl TypedTool for DiskHealth {
    const NAME: &'static str = names::DISK_HEALTH;
    type Args = NoArguments;
    fn description(&self) -> &'static str {
        "TrueNAS disks: pool, model, temperature, last SMART test and SMART alerts."
    }
    async fn run(&self, _: NoArguments) -> Result<ToolOutput, ToolError> {
        let disks = list(self.0.call(Method::DiskQuery, json!([])).await?, "disks")?;
        // Over REST (24.10) temperatures are a POST, which this assistant never sends.
        let temperatures = match self.0.call(Method::DiskTemperatures, json!([])).await {
            Ok(Value::Object(map)) => Some(map),
            Ok(_) | Err(ToolError::NotFound(_)) => None,
            Err(other) => return Err(other),
        };
        // SMART results where the server has them (≤ 25.04), else TrueNAS's SMART alerts.
        let mut last_test: BTreeMap<String, String> = BTreeMap::new();
        match self.0.call(Method::SmartTestResults, json!([])).await {
            Ok(Value::Array(results)) => {
                for result in results {
                    let Some(disk) = result["disk"].as_str() else {
                        continue;
                    };
                    if let Some(test) = result["tests"].as_array().and_then(|t| t.first()) {
                        last_test.insert(
                            disk.to_owned(),
                            format!(
                                "{} — {}",
                                test["description"].as_str().unwrap_or("test"),
                                test["status_verbose"]
                                    .as_str()
                                    .or_else(|| test["status"].as_str())
                                    .unwrap_or("?")
                            ),
                        );
                    }
                }
            }
            Ok(_) | Err(ToolError::NotFound(_)) => {}
            Err(other) => return Err(other),
        }
        let alerts = list(self.0.call(Method::AlertList, json!([])).await?, "alerts")?;
        let smart_alerts: Vec<String> = alerts
            .iter()
            .filter(|a| {
                a["klass"].as_str().is_some_and(|k| k.starts_with("SMART"))
                    && !a["dismissed"].as_bool().unwrap_or(false)
            })
            .filter_map(|a| a["formatted"].as_str().or_else(|| a["text"].as_str()))
            .map(str::to_owned)
            .collect();
        let mut text = String::from("Disks:\n");
        let mut data = Vec::new();
        for disk in &disks {
            let name = disk["name"].as_str().unwrap_or("?");
            let model = disk["model"].as_str().unwrap_or("");
            let pool = disk["pool"].as_str().unwrap_or("no pool");
            let celsius = temperatures
                .as_ref()
                .and_then(|t| t.get(name))
                .and_then(Value::as_f64);
            let temperature = match (&temperatures, celsius) {
                (_, Some(c)) => format!("{c:.0} °C"),
                (Some(_), None) => "temperature unknown".to_owned(),
                (None, None) => "temperature not available over the REST API".to_owned(),
            };
            let alerts: Vec<&String> = smart_alerts
                .iter()
                .filter(|a| {
                    a.split(|c: char| !c.is_alphanumeric())
                        .any(|word| word == name)
                })
                .collect();
            text.push_str(&format!("- `{name}` {model} ({pool}): {temperature}"));
            if let Some(test) = last_test.get(name) {
                text.push_str(&format!(", last SMART test: {test}"));
            }
            for alert in &alerts {
                text.push_str(&format!(" ⚠️ {alert}"));
            }
            text.push('\n');
            data.push(json!({
                "name": name,
                "model": model,
                "pool": pool,
                "celsius": celsius,
                "last_smart_test": last_test.get(name),
                "smart_alerts": alerts,
            }));
        }
        Ok(ToolOutput {
            data: json!({ "disks": data }),
            text,
        })
    }
}
