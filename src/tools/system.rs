//! The system tools: host overview, CPU, memory, disks, processes, network and temperatures, all
//! read from the background sampler's latest snapshot so every call returns in microseconds.

use std::sync::Arc;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::format::{bytes, duration_secs, percent, rate, ratio_percent, round1, usage};
use super::sampler::{DiskInfo, MAX_PROCESSES, Sampler, Snapshot};
use super::{Tool, ToolError, ToolOutput, TypedTool, names};

/// All system tools over one sampler.
pub fn tools(sampler: &Sampler) -> Vec<Arc<dyn Tool>> {
    vec![
        Arc::new(SystemOverview(sampler.clone())),
        Arc::new(CpuUsage(sampler.clone())),
        Arc::new(MemoryUsage(sampler.clone())),
        Arc::new(DiskUsage(sampler.clone())),
        Arc::new(TopProcesses(sampler.clone())),
        Arc::new(NetworkUsage(sampler.clone())),
        Arc::new(Temperatures(sampler.clone())),
    ]
}

async fn snapshot(sampler: &Sampler) -> Result<Arc<Snapshot>, ToolError> {
    sampler
        .snapshot()
        .await
        .ok_or_else(|| ToolError::Unavailable("system information is not available".into()))
}

/// No arguments.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArguments {}

/// Host, OS, uptime, load, CPU, memory, swap, the fullest filesystem and the hottest sensor.
#[derive(Debug)]
pub struct SystemOverview(Sampler);

#[async_trait]
impl TypedTool for SystemOverview {
    const NAME: &'static str = names::SYSTEM_OVERVIEW;
    type Args = NoArguments;
    fn description(&self) -> &'static str {
        "Host summary: uptime, load, CPU, memory, swap, fullest filesystem, hottest sensor."
    }
    async fn run(&self, _: NoArguments) -> Result<ToolOutput, ToolError> {
        Ok(overview(&*snapshot(&self.0).await?))
    }
}

/// "76 GiB of 251 GiB (31.2%)", with df's percent (see [`DiskInfo::used_percent`]).
fn disk_usage(d: &DiskInfo) -> String {
    format!(
        "{} of {} ({})",
        bytes(d.used_bytes),
        bytes(d.total_bytes),
        percent(d.used_percent())
    )
}

fn overview(s: &Snapshot) -> ToolOutput {
    let memory_percent = ratio_percent(s.memory.used_bytes, s.memory.total_bytes);
    let fullest = s
        .disks
        .iter()
        .max_by(|a, b| a.used_percent().total_cmp(&b.used_percent()));
    let hottest = s
        .temperatures
        .iter()
        .max_by(|a, b| a.celsius.total_cmp(&b.celsius));
    let mut text = format!(
        "**{}** — {}, kernel {}, up {}\n\
         - CPU: {} across {} cores, load {:.2} / {:.2} / {:.2}\n\
         - Memory: {}\n",
        s.host.hostname,
        s.host.os,
        s.host.kernel,
        duration_secs(s.host.uptime_secs),
        percent(s.cpu.usage_percent),
        s.cpu.logical_cores,
        s.load.one,
        s.load.five,
        s.load.fifteen,
        usage(s.memory.used_bytes, s.memory.total_bytes),
    );
    if s.memory.swap_total_bytes > 0 {
        text.push_str(&format!(
            "- Swap: {}\n",
            usage(s.memory.swap_used_bytes, s.memory.swap_total_bytes)
        ));
    }
    if let Some(disk) = fullest {
        text.push_str(&format!(
            "- Fullest filesystem: `{}` {}\n",
            disk.mount_point,
            disk_usage(disk)
        ));
    }
    if let Some(sensor) = hottest {
        text.push_str(&format!(
            "- Hottest sensor: {:.1} °C ({})\n",
            sensor.celsius, sensor.label
        ));
    }
    let data = json!({
        "hostname": s.host.hostname,
        "os": s.host.os,
        "kernel": s.host.kernel,
        "uptime_secs": s.host.uptime_secs,
        "load": [round2(s.load.one), round2(s.load.five), round2(s.load.fifteen)],
        "cpu_percent": round1(s.cpu.usage_percent),
        "cores": s.cpu.logical_cores,
        "memory": {
            "total_bytes": s.memory.total_bytes,
            "used_bytes": s.memory.used_bytes,
            "used_percent": round1(memory_percent),
        },
        "swap": {
            "total_bytes": s.memory.swap_total_bytes,
            "used_bytes": s.memory.swap_used_bytes,
        },
        "fullest_filesystem": fullest.map(|d| json!({
            "mount_point": d.mount_point,
            "used_percent": d.used_percent(),
            "available_bytes": d.available_bytes,
        })),
        "hottest_celsius": hottest.map(|t| round1(t.celsius)),
        "sampled_at": s.taken_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    ToolOutput { data, text }
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// Arguments of `cpu_usage`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CpuArguments {
    /// Include each core's usage (default true).
    #[serde(default)]
    pub per_core: Option<bool>,
}

/// CPU usage, total and per core, with the load average.
#[derive(Debug)]
pub struct CpuUsage(Sampler);

#[async_trait]
impl TypedTool for CpuUsage {
    const NAME: &'static str = names::CPU_USAGE;
    type Args = CpuArguments;
    fn description(&self) -> &'static str {
        "CPU % total and per core, and the load average."
    }
    async fn run(&self, args: CpuArguments) -> Result<ToolOutput, ToolError> {
        let s = snapshot(&self.0).await?;
        let per_core = args.per_core.unwrap_or(true);
        let mut text = format!(
            "CPU usage is **{}** across {} cores{} — load {:.2} / {:.2} / {:.2} (1/5/15 min).\n",
            percent(s.cpu.usage_percent),
            s.cpu.logical_cores,
            if s.cpu.brand.is_empty() {
                String::new()
            } else {
                format!(" ({})", s.cpu.brand)
            },
            s.load.one,
            s.load.five,
            s.load.fifteen,
        );
        if per_core && !s.cpu.per_core_percent.is_empty() {
            let cores: Vec<String> = s
                .cpu
                .per_core_percent
                .iter()
                .enumerate()
                .map(|(i, p)| format!("cpu{i} {}", percent(*p)))
                .collect();
            text.push_str(&format!("- Per core: {}\n", cores.join(", ")));
        }
        let mut data = json!({
            "usage_percent": round1(s.cpu.usage_percent),
            "cores": s.cpu.logical_cores,
            "physical_cores": s.cpu.physical_cores,
            "load": [round2(s.load.one), round2(s.load.five), round2(s.load.fifteen)],
            "brand": s.cpu.brand,
            "frequency_mhz": s.cpu.frequency_mhz,
        });
        if per_core {
            data["per_core_percent"] = s.cpu.per_core_percent.iter().map(|p| round1(*p)).collect();
        }
        Ok(ToolOutput { data, text })
    }
}

/// Memory and swap.
#[derive(Debug)]
pub struct MemoryUsage(Sampler);

#[async_trait]
impl TypedTool for MemoryUsage {
    const NAME: &'static str = names::MEMORY_USAGE;
    type Args = NoArguments;
    fn description(&self) -> &'static str {
        "RAM and swap: total, used, available."
    }
    async fn run(&self, _: NoArguments) -> Result<ToolOutput, ToolError> {
        let s = snapshot(&self.0).await?;
        let m = &s.memory;
        let mut text = format!(
            "Memory: **{}** used, {} available.\n",
            usage(m.used_bytes, m.total_bytes),
            bytes(m.available_bytes)
        );
        if m.swap_total_bytes > 0 {
            text.push_str(&format!(
                "Swap: {} used.\n",
                usage(m.swap_used_bytes, m.swap_total_bytes)
            ));
        } else {
            text.push_str("Swap: none configured.\n");
        }
        let data = json!({
            "total_bytes": m.total_bytes,
            "used_bytes": m.used_bytes,
            "available_bytes": m.available_bytes,
            "used_percent": round1(ratio_percent(m.used_bytes, m.total_bytes)),
            "swap_total_bytes": m.swap_total_bytes,
            "swap_used_bytes": m.swap_used_bytes,
            "swap_used_percent": round1(ratio_percent(m.swap_used_bytes, m.swap_total_bytes)),
        });
        Ok(ToolOutput { data, text })
    }
}

/// Arguments of `disk_usage`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiskArguments {
    /// Only filesystems whose mount point or device contains this text (e.g. "tank").
    #[serde(default)]
    pub filter: Option<String>,
}

/// Filesystem usage, real filesystems and configured extra paths.
#[derive(Debug)]
pub struct DiskUsage(Sampler);

#[async_trait]
impl TypedTool for DiskUsage {
    const NAME: &'static str = names::DISK_USAGE;
    type Args = DiskArguments;
    fn description(&self) -> &'static str {
        "Filesystems and pools: size, used, available, percent."
    }
    async fn run(&self, args: DiskArguments) -> Result<ToolOutput, ToolError> {
        let s = snapshot(&self.0).await?;
        let filter = args
            .filter
            .map(|f| f.trim().to_lowercase())
            .filter(|f| !f.is_empty());
        let disks: Vec<_> = s
            .disks
            .iter()
            .filter(|d| {
                filter.as_ref().is_none_or(|f| {
                    d.mount_point.to_lowercase().contains(f) || d.device.to_lowercase().contains(f)
                })
            })
            .collect();
        if disks.is_empty() {
            let known: Vec<&str> = s.disks.iter().map(|d| d.mount_point.as_str()).collect();
            return Err(ToolError::NotFound(match filter {
                Some(f) => format!(
                    "no filesystem matches `{f}`; known: {}",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
                None => "no filesystems found".to_owned(),
            }));
        }
        let mut text = String::from("Filesystems:\n");
        for d in &disks {
            text.push_str(&format!(
                "- `{}`: {}, {} free{}\n",
                d.mount_point,
                disk_usage(d),
                bytes(d.available_bytes),
                if d.filesystem.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", d.filesystem)
                }
            ));
        }
        let data = json!({
            "filesystems": disks.iter().map(|d| json!({
                "mount_point": d.mount_point,
                "device": d.device,
                "filesystem": d.filesystem,
                "total_bytes": d.total_bytes,
                "used_bytes": d.used_bytes,
                "available_bytes": d.available_bytes,
                "used_percent": d.used_percent(),
                "read_only": d.read_only,
            })).collect::<Vec<_>>(),
        });
        Ok(ToolOutput { data, text })
    }
}

/// How `top_processes` orders.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProcessOrder {
    #[default]
    Cpu,
    Memory,
}

/// Arguments of `top_processes`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessArguments {
    /// Order by "cpu" (default) or "memory".
    #[serde(default)]
    pub by: Option<ProcessOrder>,
    /// How many processes, 1 to 25 (default 10).
    #[serde(default)]
    #[schemars(range(min = 1, max = 25))]
    pub limit: Option<u32>,
}

/// The busiest processes.
#[derive(Debug)]
pub struct TopProcesses(Sampler);

#[async_trait]
impl TypedTool for TopProcesses {
    const NAME: &'static str = names::TOP_PROCESSES;
    type Args = ProcessArguments;
    fn description(&self) -> &'static str {
        "Processes using the most CPU or memory (names and PIDs)."
    }
    async fn run(&self, args: ProcessArguments) -> Result<ToolOutput, ToolError> {
        let limit = args.limit.unwrap_or(10) as usize;
        if !(1..=MAX_PROCESSES).contains(&limit) {
            return Err(ToolError::InvalidArguments(format!(
                "limit must be between 1 and {MAX_PROCESSES}"
            )));
        }
        let by = args.by.unwrap_or_default();
        let s = snapshot(&self.0).await?;
        let list = match by {
            ProcessOrder::Cpu => &s.processes.by_cpu,
            ProcessOrder::Memory => &s.processes.by_memory,
        };
        let list = &list[..limit.min(list.len())];
        let mut text = format!(
            "Top {} of {} processes by {}:\n",
            list.len(),
            s.processes.total,
            match by {
                ProcessOrder::Cpu => "CPU",
                ProcessOrder::Memory => "memory",
            }
        );
        for p in list {
            text.push_str(&format!(
                "- `{}` (pid {}): CPU {}, memory {}\n",
                p.name,
                p.pid,
                percent(p.cpu_percent),
                bytes(p.memory_bytes)
            ));
        }
        let data = json!({
            "order": match by { ProcessOrder::Cpu => "cpu", ProcessOrder::Memory => "memory" },
            "total_processes": s.processes.total,
            "processes": list.iter().map(|p| json!({
                "pid": p.pid,
                "name": p.name,
                "cpu_percent": round1(p.cpu_percent),
                "memory_bytes": p.memory_bytes,
            })).collect::<Vec<_>>(),
        });
        Ok(ToolOutput { data, text })
    }
}

/// Arguments of `network_usage`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkArguments {
    /// Only this interface (exact name, e.g. "eth0").
    #[serde(default)]
    pub interface: Option<String>,
}

/// Network throughput per interface.
#[derive(Debug)]
pub struct NetworkUsage(Sampler);

#[async_trait]
impl TypedTool for NetworkUsage {
    const NAME: &'static str = names::NETWORK_USAGE;
    type Args = NetworkArguments;
    fn description(&self) -> &'static str {
        "Network throughput and totals per interface."
    }
    async fn run(&self, args: NetworkArguments) -> Result<ToolOutput, ToolError> {
        let s = snapshot(&self.0).await?;
        let wanted = args.interface.as_deref().map(str::trim);
        let interfaces: Vec<_> = s
            .networks
            .iter()
            .filter(|n| wanted.is_none_or(|w| n.interface == w))
            .collect();
        if interfaces.is_empty() {
            let known: Vec<&str> = s.networks.iter().map(|n| n.interface.as_str()).collect();
            return Err(ToolError::NotFound(match wanted {
                Some(w) => format!("no interface `{w}`; known: {}", known.join(", ")),
                None => "no network interfaces found".to_owned(),
            }));
        }
        let mut text = String::from("Network:\n");
        for n in &interfaces {
            text.push_str(&format!(
                "- `{}`: ↓ {} ↑ {} (since boot ↓ {} ↑ {})\n",
                n.interface,
                rate(n.rx_bytes_per_sec),
                rate(n.tx_bytes_per_sec),
                bytes(n.rx_total_bytes),
                bytes(n.tx_total_bytes)
            ));
        }
        let data = json!({
            "interfaces": interfaces.iter().map(|n| json!({
                "interface": n.interface,
                "rx_bytes_per_sec": n.rx_bytes_per_sec.round(),
                "tx_bytes_per_sec": n.tx_bytes_per_sec.round(),
                "rx_total_bytes": n.rx_total_bytes,
                "tx_total_bytes": n.tx_total_bytes,
            })).collect::<Vec<_>>(),
        });
        Ok(ToolOutput { data, text })
    }
}

/// Temperature sensors.
#[derive(Debug)]
pub struct Temperatures(Sampler);

#[async_trait]
impl TypedTool for Temperatures {
    const NAME: &'static str = names::TEMPERATURES;
    type Args = NoArguments;
    fn description(&self) -> &'static str {
        "Temperature sensors in °C with critical thresholds."
    }
    async fn run(&self, _: NoArguments) -> Result<ToolOutput, ToolError> {
        let s = snapshot(&self.0).await?;
        let mut sensors: Vec<_> = s.temperatures.iter().collect();
        sensors.sort_by(|a, b| b.celsius.total_cmp(&a.celsius));
        let text = if sensors.is_empty() {
            "No temperature sensors are visible on this host (common in VMs and containers).\n"
                .to_owned()
        } else {
            let mut text = String::from("Temperatures:\n");
            for t in &sensors {
                text.push_str(&format!("- {}: {:.1} °C", t.label, t.celsius));
                if let Some(critical) = t.critical_celsius {
                    text.push_str(&format!(" (critical at {critical:.0} °C)"));
                }
                text.push('\n');
            }
            text
        };
        let data = json!({
            "sensors": sensors.iter().map(|t| json!({
                "label": t.label,
                "celsius": round1(t.celsius),
                "critical_celsius": t.critical_celsius.map(round1),
            })).collect::<Vec<_>>(),
        });
        Ok(ToolOutput { data, text })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::tools::Tool;
    use crate::tools::sampler::*;

    /// A host with known figures, for rendering tests across the crate.
    pub(crate) fn sample_snapshot() -> Snapshot {
        Snapshot {
            taken_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            host: HostInfo {
                hostname: "nas".into(),
                os: "Debian GNU/Linux 12".into(),
                kernel: "6.1.0".into(),
                arch: "x86_64".into(),
                uptime_secs: 3 * 86_400 + 3600,
            },
            load: LoadAverage {
                one: 0.5,
                five: 0.25,
                fifteen: 0.125,
            },
            cpu: CpuInfo {
                usage_percent: 37.5,
                per_core_percent: vec![50.0, 25.0],
                logical_cores: 2,
                physical_cores: Some(1),
                brand: "Test CPU".into(),
                frequency_mhz: 3000,
            },
            memory: MemoryInfo {
                total_bytes: 16 << 30,
                used_bytes: 4 << 30,
                available_bytes: 12 << 30,
                swap_total_bytes: 2 << 30,
                swap_used_bytes: 0,
            },
            disks: vec![
                DiskInfo {
                    mount_point: "/".into(),
                    device: "/dev/sda1".into(),
                    filesystem: "ext4".into(),
                    total_bytes: 100 << 30,
                    used_bytes: 40 << 30,
                    available_bytes: 60 << 30,
                    read_only: false,
                },
                DiskInfo {
                    mount_point: "/mnt/tank".into(),
                    device: "tank".into(),
                    filesystem: "zfs".into(),
                    total_bytes: 1000 << 30,
                    used_bytes: 910 << 30,
                    available_bytes: 90 << 30,
                    read_only: true,
                },
            ],
            networks: vec![NetworkInfo {
                interface: "eth0".into(),
                rx_bytes_per_sec: 2048.0,
                tx_bytes_per_sec: 1024.0,
                rx_total_bytes: 1 << 30,
                tx_total_bytes: 1 << 20,
            }],
            temperatures: vec![TemperatureInfo {
                label: "Package id 0".into(),
                celsius: 54.0,
                critical_celsius: Some(100.0),
            }],
            processes: ProcessTable {
                total: 2,
                by_cpu: vec![
                    ProcessInfo {
                        pid: 10,
                        name: "plex".into(),
                        cpu_percent: 30.0,
                        memory_bytes: 1 << 30,
                    },
                    ProcessInfo {
                        pid: 11,
                        name: "sshd".into(),
                        cpu_percent: 1.0,
                        memory_bytes: 1 << 20,
                    },
                ],
                by_memory: vec![ProcessInfo {
                    pid: 10,
                    name: "plex".into(),
                    cpu_percent: 30.0,
                    memory_bytes: 1 << 30,
                }],
            },
        }
    }

    fn fixed() -> Sampler {
        Sampler::fixed(sample_snapshot())
    }

    #[tokio::test]
    async fn overview_has_the_figures() {
        let out = Tool::run(&SystemOverview(fixed()), json!({}))
            .await
            .unwrap();
        assert!(out.text.contains("**nas**"), "{}", out.text);
        assert!(out.text.contains("37.5 %"), "{}", out.text);
        assert!(out.text.contains("up 3d 1h 0m"), "{}", out.text);
        assert!(
            out.text
                .contains("`/mnt/tank` 910.0 GiB of 1000.0 GiB (91.0 %)")
        );
        assert!(out.text.contains("54.0 °C"));
        assert_eq!(out.data["cpu_percent"], 37.5);
        assert_eq!(out.data["memory"]["used_percent"], 25.0);
        assert_eq!(out.data["fullest_filesystem"]["mount_point"], "/mnt/tank");
    }

    #[tokio::test]
    async fn cpu_reports_cores_on_request() {
        let tool = CpuUsage(fixed());
        let out = Tool::run(&tool, json!({})).await.unwrap();
        assert!(
            out.text.contains("cpu0 50.0 %, cpu1 25.0 %"),
            "{}",
            out.text
        );
        assert_eq!(out.data["per_core_percent"], json!([50.0, 25.0]));
        let out = Tool::run(&tool, json!({"per_core": false})).await.unwrap();
        assert!(!out.text.contains("cpu0"));
        assert!(out.data.get("per_core_percent").is_none());
    }

    #[tokio::test]
    async fn disk_filter_narrows_and_explains_misses() {
        let tool = DiskUsage(fixed());
        let out = Tool::run(&tool, json!({"filter": "TANK"})).await.unwrap();
        assert_eq!(out.data["filesystems"].as_array().unwrap().len(), 1);
        assert!(out.text.contains("90.0 GiB free"));
        let err = Tool::run(&tool, json!({"filter": "pool2"}))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("known: /, /mnt/tank"), "{err}");
    }

    #[tokio::test]
    async fn processes_are_bounded() {
        let tool = TopProcesses(fixed());
        let out = Tool::run(&tool, json!({"limit": 1})).await.unwrap();
        assert_eq!(out.data["processes"].as_array().unwrap().len(), 1);
        assert!(out.text.contains("`plex` (pid 10)"));
        let out = Tool::run(&tool, json!({"by": "memory"})).await.unwrap();
        assert_eq!(out.data["order"], "memory");
        assert!(Tool::run(&tool, json!({"limit": 26})).await.is_err());
        assert!(Tool::run(&tool, json!({"limit": 0})).await.is_err());
        assert!(Tool::run(&tool, json!({"by": "disk"})).await.is_err());
    }

    #[tokio::test]
    async fn network_and_memory_render() {
        let out = Tool::run(&NetworkUsage(fixed()), json!({})).await.unwrap();
        assert!(
            out.text.contains("`eth0`: ↓ 2.0 KiB/s ↑ 1.0 KiB/s"),
            "{}",
            out.text
        );
        assert!(
            Tool::run(&NetworkUsage(fixed()), json!({"interface": "wlan9"}))
                .await
                .is_err()
        );
        let out = Tool::run(&MemoryUsage(fixed()), json!({})).await.unwrap();
        assert!(
            out.text.contains("4.0 GiB of 16.0 GiB (25.0 %)"),
            "{}",
            out.text
        );
    }

    #[tokio::test]
    async fn temperatures_say_when_there_are_none() {
        let mut snapshot = sample_snapshot();
        snapshot.temperatures.clear();
        let out = Tool::run(&Temperatures(Sampler::fixed(snapshot)), json!({}))
            .await
            .unwrap();
        assert!(out.text.contains("No temperature sensors"));
    }
}
