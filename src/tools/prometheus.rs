//! The whole homelab through Prometheus: every host node_exporter reports, from the fleet's own
//! Prometheus, read-only. One client whose only verb is GET and whose only paths are the
//! read-only query API; the `hosts`, `host_metrics` and `prometheus_alerts` tools on top.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::format::{duration_secs, percent};
use super::system::NoArguments;
use super::{ToolError, ToolOutput, TypedTool, names};
use crate::secret::Secret;

/// The `[prometheus]` section.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrometheusConfig {
    /// `http://prometheus:9090`; unset = no fleet tools. env: PROMETHEUS_URL
    pub url: Option<String>,
    /// Basic auth.
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub password_file: Option<PathBuf>,
    /// Bearer token (instead of basic auth).
    pub bearer_token: Option<Secret>,
    pub bearer_token_file: Option<PathBuf>,
    /// Check the server's certificate.
    pub verify_tls: bool,
    /// A CA (PEM) to trust as well as the system's roots.
    pub ca_file: Option<PathBuf>,
    /// Per-request timeout, seconds.
    pub timeout_secs: u64,
    /// Friendly names: `pi = "192.168.1.20:9100"`, so "how is the pi doing?" finds it.
    pub host_names: BTreeMap<String, String>,
}

impl Default for PrometheusConfig {
    fn default() -> Self {
        Self {
            url: None,
            username: None,
            password: None,
            password_file: None,
            bearer_token: None,
            bearer_token_file: None,
            verify_tls: true,
            ca_file: None,
            timeout_secs: 10,
            host_names: BTreeMap::new(),
        }
    }
}

/// The read-only HTTP API endpoints, and nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Query,
    QueryRange,
    Targets,
    Alerts,
    Labels,
    Series,
}

impl Endpoint {
    fn path(self) -> &'static str {
        match self {
            Endpoint::Query => "/api/v1/query",
            Endpoint::QueryRange => "/api/v1/query_range",
            Endpoint::Targets => "/api/v1/targets",
            Endpoint::Alerts => "/api/v1/alerts",
            Endpoint::Labels => "/api/v1/labels",
            Endpoint::Series => "/api/v1/series",
        }
    }
}

/// Largest response read from Prometheus.
const MAX_RESPONSE_BYTES: usize = 8 << 20;

/// A Prometheus server. [`PrometheusClient::get`] is its only way to send anything.
#[derive(Debug)]
pub struct PrometheusClient {
    base: reqwest::Url,
    http: reqwest::Client,
    basic: Option<(String, Secret)>,
    bearer: Option<Secret>,
    timeout: Duration,
}

impl PrometheusClient {
    pub fn new(config: &PrometheusConfig) -> Result<Option<Self>, String> {
        let Some(raw) = config
            .url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        else {
            return Ok(None);
        };
        let base = reqwest::Url::parse(raw)
            .map_err(|e| format!("prometheus.url `{raw}` is not a URL: {e}"))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err("prometheus.url must be http:// or https://".into());
        }
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_secs))
            .redirect(reqwest::redirect::Policy::none())
            .danger_accept_invalid_certs(!config.verify_tls);
        if let Some(path) = &config.ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read prometheus.ca_file {}: {e}", path.display()))?;
            for certificate in reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("bad PEM in {}: {e}", path.display()))?
            {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let http = builder.build().map_err(|e| e.to_string())?;
        let basic = match (&config.username, &config.password) {
            (Some(user), Some(password)) => Some((user.clone(), password.clone())),
            _ => None,
        };
        Ok(Some(Self {
            base,
            http,
            basic,
            bearer: config.bearer_token.clone(),
            timeout: Duration::from_secs(config.timeout_secs),
        }))
    }

    /// GET one read-only endpoint; the `data` of a successful answer.
    pub async fn get(
        &self,
        endpoint: Endpoint,
        params: &[(&str, &str)],
    ) -> Result<Value, ToolError> {
        let mut url = self.base.clone();
        let prefix = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{prefix}{}", endpoint.path()));
        if !params.is_empty() {
            url.query_pairs_mut().extend_pairs(params);
        }
        let mut request = self.http.get(url);
        if let Some((user, password)) = &self.basic {
            request = request.basic_auth(user, Some(password.expose()));
        } else if let Some(token) = &self.bearer {
            request = request.bearer_auth(token.expose());
        }
        let response = request.send().await.map_err(|e| {
            if e.is_timeout() {
                ToolError::TimedOut(self.timeout.as_secs())
            } else {
                ToolError::Unavailable(format!("cannot reach Prometheus at {}", self.base))
            }
        })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ToolError::Unavailable(format!("reading Prometheus's answer: {e}")))?;
        if bytes.len() > MAX_RESPONSE_BYTES {
            return Err(ToolError::Unavailable(
                "Prometheus's answer is too large".into(),
            ));
        }
        let body: Value = serde_json::from_slice(&bytes).map_err(|_| {
            ToolError::Unavailable(format!("Prometheus answered HTTP {status} without JSON"))
        })?;
        if body["status"] != "success" {
            let error = body["error"].as_str().unwrap_or("unknown error");
            return Err(ToolError::Unavailable(format!(
                "Prometheus refused the query: {}",
                error.chars().take(300).collect::<String>()
            )));
        }
        Ok(body["data"].clone())
    }

    /// An instant query: each series' labels and value (NaN and infinities dropped).
    pub async fn instant(
        &self,
        query: &str,
    ) -> Result<Vec<(HashMap<String, String>, f64)>, ToolError> {
        let data = self.get(Endpoint::Query, &[("query", query)]).await?;
        Ok(data["result"]
            .as_array()
            .map(|series| {
                series
                    .iter()
                    .filter_map(|s| {
                        let labels: HashMap<String, String> = s["metric"]
                            .as_object()?
                            .iter()
                            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                            .collect();
                        let value: f64 = s["value"][1].as_str()?.parse().ok()?;
                        value.is_finite().then_some((labels, value))
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// The fleet-wide queries, one per figure, whatever the number of hosts.
const UP: &str = "up";
const UNAME: &str = "node_uname_info";
const KNOWN_HOSTS: &str = "node_boot_time_seconds";
const CPU: &str = "100 * (1 - sum by (instance) (rate(node_cpu_seconds_total{mode=\"idle\"}[1m])) \
     / sum by (instance) (rate(node_cpu_seconds_total[1m])))";
const MEMORY: &str = "100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)";
const FULLEST_FILESYSTEM: &str = "100 * max by (instance) (1 - \
     node_filesystem_avail_bytes{fstype!~\"tmpfs|ramfs|devtmpfs|overlay|squashfs|nsfs|autofs\"} \
     / node_filesystem_size_bytes{fstype!~\"tmpfs|ramfs|devtmpfs|overlay|squashfs|nsfs|autofs\"})";
const LOAD: &str = "node_load1";
const UPTIME: &str = "node_time_seconds - node_boot_time_seconds";

/// One host as the fleet's metrics show it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Host {
    pub instance: String,
    /// A friendly name from `prometheus.host_names`.
    pub name: Option<String>,
    /// The machine's own name (`node_uname_info`'s nodename), when node_exporter reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    pub up: bool,
    pub cpu_percent: Option<f64>,
    pub memory_percent: Option<f64>,
    pub fullest_filesystem_percent: Option<f64>,
    pub load1: Option<f64>,
    pub uptime_secs: Option<f64>,
}

impl Host {
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("{name} ({})", self.instance),
            None => self.instance.clone(),
        }
    }
}

/// The hosts: every instance with node_exporter metrics, and every scrape target that is down.
pub async fn hosts(
    client: &PrometheusClient,
    names: &BTreeMap<String, String>,
) -> Result<Vec<Host>, ToolError> {
    let (up, known, uname, cpu, memory, fullest, load, uptime) = tokio::try_join!(
        client.instant(UP),
        client.instant(KNOWN_HOSTS),
        client.instant(UNAME),
        client.instant(CPU),
        client.instant(MEMORY),
        client.instant(FULLEST_FILESYSTEM),
        client.instant(LOAD),
        client.instant(UPTIME),
    )?;
    let by_instance = |series: Vec<(HashMap<String, String>, f64)>| -> HashMap<String, f64> {
        series
            .into_iter()
            .filter_map(|(labels, value)| Some((labels.get("instance")?.clone(), value)))
            .collect()
    };
    let mut hosts: BTreeMap<String, Host> = BTreeMap::new();
    for instance in by_instance(known).into_keys() {
        hosts.entry(instance.clone()).or_insert_with(|| Host {
            instance,
            up: true,
            ..Host::default()
        });
    }
    for (instance, value) in by_instance(up) {
        if value == 0.0 {
            hosts.entry(instance.clone()).or_insert_with(|| Host {
                instance,
                ..Host::default()
            });
        } else if let Some(host) = hosts.get_mut(&instance) {
            host.up = true;
        }
    }
    // A target that is down is down even if its last samples linger.
    for (figure, values) in [
        ("cpu", by_instance(cpu)),
        ("memory", by_instance(memory)),
        ("fullest", by_instance(fullest)),
        ("load", by_instance(load)),
        ("uptime", by_instance(uptime)),
    ] {
        for (instance, value) in values {
            let Some(host) = hosts.get_mut(&instance) else {
                continue;
            };
            let slot = match figure {
                "cpu" => &mut host.cpu_percent,
                "memory" => &mut host.memory_percent,
                "fullest" => &mut host.fullest_filesystem_percent,
                "load" => &mut host.load1,
                _ => &mut host.uptime_secs,
            };
            *slot = Some(value);
        }
    }
    for (labels, _) in uname {
        if let (Some(instance), Some(nodename)) = (labels.get("instance"), labels.get("nodename"))
            && let Some(host) = hosts.get_mut(instance)
        {
            host.hostname = Some(nodename.clone());
        }
    }
    for (name, instance) in names {
        if let Some(host) = hosts.get_mut(instance) {
            host.name = Some(name.clone());
        }
    }
    Ok(hosts.into_values().collect())
}

/// Most hosts listed one per line; the rest are counted.
const LISTED: usize = 20;

fn render_hosts(hosts: &[Host]) -> String {
    if hosts.is_empty() {
        return "Prometheus reports no hosts (no node_exporter targets).\n".to_owned();
    }
    let down: Vec<&Host> = hosts.iter().filter(|h| !h.up).collect();
    let mut text = if down.is_empty() {
        format!("All {} hosts are up.\n", hosts.len())
    } else {
        format!(
            "⚠️ {} of {} hosts down: {}.\n",
            down.len(),
            hosts.len(),
            down.iter()
                .map(|h| format!("**{}**", h.label()))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    if let Some(fullest) = hosts
        .iter()
        .filter(|h| h.up)
        .filter_map(|h| Some((h, h.fullest_filesystem_percent?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
    {
        text.push_str(&format!(
            "Fullest: **{}** at **{}** on its fullest filesystem.\n",
            fullest.0.label(),
            percent(fullest.1)
        ));
    }
    for host in hosts.iter().take(LISTED) {
        text.push_str(&format!("- **{}**: ", host.label()));
        if !host.up {
            text.push_str("DOWN (scrape failed)\n");
            continue;
        }
        let figure = |v: Option<f64>| v.map_or("n/a".to_owned(), percent);
        text.push_str(&format!(
            "CPU {}, memory {}, fullest filesystem {}",
            figure(host.cpu_percent),
            figure(host.memory_percent),
            figure(host.fullest_filesystem_percent)
        ));
        if let Some(load) = host.load1 {
            text.push_str(&format!(", load {load:.2}"));
        }
        if let Some(uptime) = host.uptime_secs {
            text.push_str(&format!(", up {}", duration_secs(uptime.max(0.0) as u64)));
        }
        text.push('\n');
    }
    if hosts.len() > LISTED {
        text.push_str(&format!("…and {} more.\n", hosts.len() - LISTED));
    }
    text
}

/// `hosts`: the whole fleet.
#[derive(Debug)]
pub struct Hosts {
    pub client: std::sync::Arc<PrometheusClient>,
    pub names: BTreeMap<String, String>,
}

#[async_trait]
impl TypedTool for Hosts {
    const NAME: &'static str = names::HOSTS;
    type Args = NoArguments;
    fn description(&self) -> &'static str {
        "Every host Prometheus scrapes: up/down, CPU %, memory %, fullest filesystem %, load, uptime."
    }
    async fn run(&self, _: NoArguments) -> Result<ToolOutput, ToolError> {
        let hosts = hosts(&self.client, &self.names).await?;
        Ok(ToolOutput {
            text: render_hosts(&hosts),
            data: json!({ "hosts": hosts }),
        })
    }
}

/// Arguments of `host_metrics`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostArguments {
    /// An instance ("192.168.1.20:9100"), its host part, or a name from prometheus.host_names.
    pub host: String,
}

/// `host_metrics`: one host.
#[derive(Debug)]
pub struct HostMetrics {
    pub client: std::sync::Arc<PrometheusClient>,
    pub names: BTreeMap<String, String>,
    /// The names a question may call the hosts by, and when they were read.
    pub known: tokio::sync::Mutex<Option<(std::time::Instant, Vec<String>)>>,
}

/// How long the hosts' names are reused before Prometheus is asked again.
const NAMES_FRESH_FOR: Duration = Duration::from_secs(60);

/// What a host may be called: its instance, the instance's host part ("pi.lan" of
/// "pi.lan:9100") and first label ("pi"), and its machine name (`node_uname_info`'s nodename).
fn host_aliases(instance: &str, hostname: Option<&str>) -> Vec<String> {
    let mut aliases = vec![instance.to_lowercase()];
    let host = instance.rsplit_once(':').map_or(instance, |(host, _)| host);
    aliases.push(host.to_lowercase());
    // "192.168.1.20" has no first label worth a name.
    if !host.chars().all(|c| c.is_ascii_digit() || c == '.') {
        aliases.push(host.split('.').next().unwrap_or(host).to_lowercase());
    }
    if let Some(name) = hostname.filter(|n| !n.is_empty()) {
        aliases.push(name.to_lowercase());
        aliases.push(name.split('.').next().unwrap_or(name).to_lowercase());
    }
    aliases.dedup();
    aliases
}

#[async_trait]
impl TypedTool for HostMetrics {
    const NAME: &'static str = names::HOST_METRICS;
    type Args = HostArguments;
    fn description(&self) -> &'static str {
        "One host's figures from Prometheus, by instance or friendly name."
    }
    /// The configured friendly names and every scraped host's aliases, read with three queries
    /// and reused for a minute; empty while Prometheus cannot be read.
    async fn subject_names(&self) -> Vec<String> {
        let mut known = self.known.lock().await;
        if let Some((at, names)) = known.as_ref()
            && at.elapsed() < NAMES_FRESH_FOR
        {
            return names.clone();
        }
        let (up, booted, uname) = match tokio::try_join!(
            self.client.instant(UP),
            self.client.instant(KNOWN_HOSTS),
            self.client.instant(UNAME)
        ) {
            Ok(found) => found,
            Err(err) => {
                tracing::debug!("host names from Prometheus: {err}");
                return self.names.keys().map(|n| n.to_lowercase()).collect();
            }
        };
        let hostnames: HashMap<String, String> = uname
            .into_iter()
            .filter_map(|(labels, _)| {
                Some((
                    labels.get("instance")?.clone(),
                    labels.get("nodename")?.clone(),
                ))
            })
            .collect();
        let mut names: Vec<String> = self.names.keys().map(|n| n.to_lowercase()).collect();
        // A target is `up`; a host behind an aggregating exporter only has node metrics.
        for (labels, _) in up.into_iter().chain(booted) {
            if let Some(instance) = labels.get("instance") {
                names.extend(host_aliases(
                    instance,
                    hostnames.get(instance).map(String::as_str),
                ));
            }
        }
        names.sort();
        names.dedup();
        *known = Some((std::time::Instant::now(), names.clone()));
        names
    }
    async fn run(&self, args: HostArguments) -> Result<ToolOutput, ToolError> {
        let wanted = args.host.trim().to_lowercase();
        let hosts = hosts(&self.client, &self.names).await?;
        let found: Vec<Host> = hosts
            .iter()
            .filter(|h| {
                host_aliases(&h.instance, h.hostname.as_deref()).contains(&wanted)
                    || h.name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(&wanted))
            })
            .cloned()
            .collect();
        if found.is_empty() {
            let known: Vec<String> = hosts.iter().take(20).map(Host::label).collect();
            return Err(ToolError::NotFound(format!(
                "no host `{}` in Prometheus; known: {}",
                args.host.trim(),
                known.join(", ")
            )));
        }
        Ok(ToolOutput {
            text: render_hosts(&found),
            data: json!({ "hosts": found }),
        })
    }
}

/// `prometheus_alerts`: the alerts Prometheus's own rules have firing.
#[derive(Debug)]
pub struct PrometheusAlerts(pub std::sync::Arc<PrometheusClient>);

#[async_trait]
impl TypedTool for PrometheusAlerts {
    const NAME: &'static str = names::PROMETHEUS_ALERTS;
    type Args = NoArguments;
    fn description(&self) -> &'static str {
        "Alerts firing in Prometheus's own alerting rules."
    }
    async fn run(&self, _: NoArguments) -> Result<ToolOutput, ToolError> {
        let data = self.0.get(Endpoint::Alerts, &[]).await?;
        let alerts: Vec<&Value> = data["alerts"]
            .as_array()
            .map(|a| a.iter().filter(|a| a["state"] == "firing").collect())
            .unwrap_or_default();
        let mut text = if alerts.is_empty() {
            "No Prometheus alert is firing.\n".to_owned()
        } else {
            format!("{} Prometheus alert(s) firing:\n", alerts.len())
        };
        for alert in alerts.iter().take(LISTED) {
            let name = alert["labels"]["alertname"].as_str().unwrap_or("?");
            let instance = alert["labels"]["instance"].as_str().unwrap_or("");
            let summary = alert["annotations"]["summary"].as_str().unwrap_or("");
            text.push_str(&format!("- **{name}** {instance} {summary}\n"));
        }
        Ok(ToolOutput {
            data: json!({ "firing": alerts.len(), "alerts": alerts.iter().take(LISTED).collect::<Vec<_>>() }),
            text,
        })
    }
}

/// Longest PromQL accepted.
const MAX_QUERY_CHARS: usize = 1000;
/// Longest range a query may cover, and the fewest points it may be cut into.
const MAX_RANGE_MINUTES: u32 = 7 * 24 * 60;
const MAX_POINTS: u64 = 500;
/// Most series shown, and how long Prometheus may work on one query.
const MAX_SERIES: usize = 50;
const QUERY_TIMEOUT: &str = "10s";

/// Arguments of `promql`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PromqlArguments {
    /// A PromQL expression, e.g. `node_load1` or `rate(node_network_receive_bytes_total[5m])`.
    pub query: String,
    /// Over the last this many minutes (a range query); omit for the current value.
    #[serde(default)]
    pub range_minutes: Option<u32>,
    /// Seconds between points of a range query; raised so a range has at most 500 points.
    #[serde(default)]
    pub step_seconds: Option<u32>,
}

/// `promql`: one read-only PromQL query, bounded: query length, range, points, series and time.
#[derive(Debug)]
pub struct Promql(pub std::sync::Arc<PrometheusClient>);

fn series_label(labels: &Value) -> String {
    let Some(labels) = labels.as_object() else {
        return "{}".to_owned();
    };
    let name = labels.get("__name__").and_then(Value::as_str).unwrap_or("");
    let rest: Vec<String> = labels
        .iter()
        .filter(|(k, _)| *k != "__name__")
        .map(|(k, v)| format!("{k}=\"{}\"", v.as_str().unwrap_or("")))
        .collect();
    format!("{name}{{{}}}", rest.join(","))
}

#[async_trait]
impl TypedTool for Promql {
    const NAME: &'static str = names::PROMQL;
    type Args = PromqlArguments;
    fn description(&self) -> &'static str {
        "Run one read-only PromQL query on the fleet's Prometheus (instant, or over the last N minutes)."
    }
    async fn run(&self, args: PromqlArguments) -> Result<ToolOutput, ToolError> {
        let query = args.query.trim();
        if query.is_empty() || query.chars().count() > MAX_QUERY_CHARS {
            return Err(ToolError::InvalidArguments(format!(
                "query must be 1 to {MAX_QUERY_CHARS} characters"
            )));
        }
        let mut shown = Vec::new();
        let mut text = String::new();
        let total;
        match args.range_minutes {
            None => {
                let data = self
                    .0
                    .get(
                        Endpoint::Query,
                        &[("query", query), ("timeout", QUERY_TIMEOUT)],
                    )
                    .await?;
                let result = data["result"].as_array().cloned().unwrap_or_default();
                total = result.len();
                if data["resultType"] == "scalar" || data["resultType"] == "string" {
                    text.push_str(&format!("{}\n", data["result"][1].as_str().unwrap_or("?")));
                }
                for series in result.iter().take(MAX_SERIES) {
                    let value = series["value"][1].as_str().unwrap_or("?");
                    text.push_str(&format!(
                        "- `{}` = {value}\n",
                        series_label(&series["metric"])
                    ));
                    shown.push(json!({"series": series["metric"], "value": value}));
                }
            }
            Some(minutes) => {
                if minutes == 0 || minutes > MAX_RANGE_MINUTES {
                    return Err(ToolError::InvalidArguments(format!(
                        "range_minutes must be 1 to {MAX_RANGE_MINUTES}"
                    )));
                }
                let range_secs = u64::from(minutes) * 60;
                let step = u64::from(args.step_seconds.unwrap_or(0))
                    .max(range_secs.div_ceil(MAX_POINTS))
                    .max(1);
                let end = chrono::Utc::now().timestamp();
                let start = end - range_secs as i64;
                let (start, end, step) = (start.to_string(), end.to_string(), step.to_string());
                let data = self
                    .0
                    .get(
                        Endpoint::QueryRange,
                        &[
                            ("query", query),
                            ("start", &start),
                            ("end", &end),
                            ("step", &step),
                            ("timeout", QUERY_TIMEOUT),
                        ],
                    )
                    .await?;
                let result = data["result"].as_array().cloned().unwrap_or_default();
                total = result.len();
                text.push_str(&format!("Over the last {minutes} min, step {step} s:\n"));
                // Each series as min / average / max / last, not its points: bounded output.
                for series in result.iter().take(MAX_SERIES) {
                    let values: Vec<f64> = series["values"]
                        .as_array()
                        .map(|points| {
                            points
                                .iter()
                                .filter_map(|p| p[1].as_str()?.parse::<f64>().ok())
                                .filter(|v| v.is_finite())
                                .collect()
                        })
                        .unwrap_or_default();
                    let Some(last) = values.last().copied() else {
                        continue;
                    };
                    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
                    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let average = values.iter().sum::<f64>() / values.len() as f64;
                    text.push_str(&format!(
                        "- `{}`: min {min:.4}, avg {average:.4}, max {max:.4}, last {last:.4} ({} points)\n",
                        series_label(&series["metric"]),
                        values.len()
                    ));
                    shown.push(json!({"series": series["metric"], "min": min, "avg": average, "max": max, "last": last, "points": values.len()}));
                }
            }
        }
        if total == 0 && text.is_empty() {
            text.push_str("No series matched.\n");
        }
        if total > MAX_SERIES {
            text.push_str(&format!("…and {} more series.\n", total - MAX_SERIES));
        }
        Ok(ToolOutput {
            data: json!({"series": shown, "total_series": total}),
            text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_render_names_the_down_and_the_fullest() {
        let hosts = vec![
            Host {
                instance: "nas:9100".into(),
                up: true,
                fullest_filesystem_percent: Some(97.0),
                ..Host::default()
            },
            Host {
                instance: "pi:9100".into(),
                name: Some("pi".into()),
                ..Host::default()
            },
        ];
        let text = render_hosts(&hosts);
        assert!(
            text.contains("1 of 2 hosts down: **pi (pi:9100)**"),
            "{text}"
        );
        assert!(
            text.contains("Fullest: **nas:9100** at **97.0 %**"),
            "{text}"
        );
    }

    #[test]
    fn every_endpoint_is_under_the_read_only_api() {
        for endpoint in [
            Endpoint::Query,
            Endpoint::QueryRange,
            Endpoint::Targets,
            Endpoint::Alerts,
            Endpoint::Labels,
            Endpoint::Series,
        ] {
            assert!(endpoint.path().starts_with("/api/v1/"));
            assert!(!endpoint.path().contains("admin"));
        }
    }
}
