//! `container_stats`: live CPU, memory, network and block I/O of running containers, computed
//! the way the Docker CLI does from two one-shot samples.

use std::sync::Arc;

use async_trait::async_trait;
use bollard::models::ContainerStatsResponse;
use futures::StreamExt;
use futures::stream;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::client::{DockerClient, DockerError, FAN_OUT};
use super::note_failures;
use super::stats_cache::{SampleCache, sampled_at};
use super::{DockerHosts, summary_name};
use crate::tools::format::{bytes, duration_secs, percent, ratio_percent, round1};
use crate::tools::{ToolError, ToolOutput, TypedTool, names};

/// How `container_stats` orders.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatsOrder {
    #[default]
    Cpu,
    Memory,
    Name,
}

docker_arguments! {
    /// Arguments of `container_stats`.
    #[derive(Default)]
    #[serde(default)]
    pub struct StatsArguments {
        /// One container (name, prefix, part of it, or ID prefix); default: every running one.
        pub name: Option<String>,
        /// Order by "cpu" (default), "memory" or "name".
        pub sort_by: Option<StatsOrder>,
    }
}

/// Live resource use of running containers. Keeps each container's latest sample, so a question
/// asked again within two minutes needs one round of requests to dockerd instead of two.
#[derive(Debug)]
pub struct ContainerStats {
    hosts: Arc<DockerHosts>,
    latest: SampleCache,
}

impl ContainerStats {
    pub(crate) fn new(hosts: Arc<DockerHosts>) -> Self {
        Self {
            hosts,
            latest: SampleCache::default(),
        }
    }
}

/// Resource use computed from two one-shot samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Usage {
    pub cpu_percent: f64,
    pub memory_bytes: u64,
    pub memory_limit_bytes: u64,
    pub net_rx_bytes: u64,
    pub net_tx_bytes: u64,
    pub block_read_bytes: u64,
    pub block_write_bytes: u64,
    pub pids: u64,
}

/// Docker CLI's arithmetic: CPU time used over system CPU time passed, times the CPUs; memory
/// without the page cache that the kernel may drop at will.
pub fn usage(first: &ContainerStatsResponse, second: &ContainerStatsResponse) -> Usage {
    let cpu = |s: &ContainerStatsResponse| {
        let c = s.cpu_stats.as_ref();
        (
            c.and_then(|c| c.cpu_usage.as_ref())
                .and_then(|u| u.total_usage)
                .unwrap_or(0),
            c.and_then(|c| c.system_cpu_usage).unwrap_or(0),
        )
    };
    let (used_1, system_1) = cpu(first);
    let (used_2, system_2) = cpu(second);
    let cpus = second
        .cpu_stats
        .as_ref()
        .and_then(|c| {
            c.online_cpus.map(u64::from).or_else(|| {
                c.cpu_usage
                    .as_ref()
                    .and_then(|u| u.percpu_usage.as_ref())
                    .map(|p| p.len() as u64)
            })
        })
        .unwrap_or(1)
        .max(1);
    let used = used_2.saturating_sub(used_1);
    let system = system_2.saturating_sub(system_1);
    let cpu_percent = if system == 0 {
        0.0
    } else {
        used as f64 / system as f64 * cpus as f64 * 100.0
    };
    let memory = second.memory_stats.clone().unwrap_or_default();
    let cache = memory.stats.as_ref().and_then(|s| {
        s.get("inactive_file")
            .or_else(|| s.get("total_inactive_file"))
            .copied()
    });
    let memory_bytes = memory.usage.unwrap_or(0).saturating_sub(cache.unwrap_or(0));
    let (net_rx_bytes, net_tx_bytes) = second
        .networks
        .iter()
        .flatten()
        .fold((0, 0), |(rx, tx), (_, n)| {
            (rx + n.rx_bytes.unwrap_or(0), tx + n.tx_bytes.unwrap_or(0))
        });
    let (block_read_bytes, block_write_bytes) = second
        .blkio_stats
        .as_ref()
        .and_then(|b| b.io_service_bytes_recursive.as_ref())
        .into_iter()
        .flatten()
        .fold((0, 0), |(r, w), entry| {
            match entry.op.as_deref().map(str::to_ascii_lowercase).as_deref() {
                Some("read") => (r + entry.value.unwrap_or(0), w),
                Some("write") => (r, w + entry.value.unwrap_or(0)),
                _ => (r, w),
            }
        });
    Usage {
        cpu_percent,
        memory_bytes,
        memory_limit_bytes: memory.limit.unwrap_or(0),
        net_rx_bytes,
        net_tx_bytes,
        block_read_bytes,
        block_write_bytes,
        pids: second
            .pids_stats
            .as_ref()
            .and_then(|p| p.current)
            .unwrap_or(0),
    }
}

/// Two one-shot samples of each container, all containers at once. A one-shot sample carries no
/// previous CPU reading, so CPU % needs a second one. No pause is needed between the rounds:
/// dockerd's stats collector samples once a second, and a request that arrives while it is
/// running waits for its next sample, so the second round always gets a later one (measured on
/// dockerd 20.10: the first one-shot request to an idle collector answers at once, the next ones
/// up to a second later). When every container has a kept sample from 1 s to 2 min before the
/// first round, those serve as the earlier reading and the second round is skipped: CPU % is then
/// the average since that sample. Returns each result and the seconds the CPU figures span.
async fn sample(
    targets: &[(Arc<DockerClient>, String, String)],
    latest: &SampleCache,
) -> (Vec<Result<Option<Usage>, DockerError>>, f64) {
    // Owned per request, so the futures borrow nothing from the closure's argument.
    let round = || {
        let owned: Vec<(Arc<DockerClient>, String)> = targets
            .iter()
            .map(|(client, id, _)| (client.clone(), id.clone()))
            .collect();
        stream::iter(owned)
            .map(|(client, id)| async move { client.stats_once(&id).await })
            .buffered(FAN_OUT.max(targets.len().min(64)))
            .collect::<Vec<_>>()
    };
    let key = |(client, id, _): &(Arc<DockerClient>, String, String)| {
        (client.name().to_owned(), id.clone())
    };
    let first = round().await;
    let kept: Vec<Option<ContainerStatsResponse>> = targets
        .iter()
        .zip(&first)
        .map(|(target, now)| latest.earlier(&key(target), now.as_ref().ok()?))
        .collect();
    // Containers that answer nothing usable (stopped, gone) need no earlier reading.
    let reusable = targets
        .iter()
        .zip(&first)
        .zip(&kept)
        .all(|((_, now), kept)| {
            kept.is_some() || now.as_ref().map_or(true, |s| sampled_at(s).is_none())
        });
    let pairs: Vec<(
        Result<ContainerStatsResponse, DockerError>,
        Result<ContainerStatsResponse, DockerError>,
    )> = if reusable {
        kept.into_iter()
            .zip(first)
            .map(|(kept, now)| match kept {
                Some(kept) => (Ok(kept), now),
                None => (now.clone(), now),
            })
            .collect()
    } else {
        first.into_iter().zip(round().await).collect()
    };
    latest.keep(
        targets
            .iter()
            .zip(&pairs)
            .map(|(target, (_, now))| (key(target), now.as_ref().ok())),
    );
    let mut span = 0.0_f64;
    let results = pairs
        .into_iter()
        .map(|(a, b)| {
            let (a, b) = (a?, b?);
            // The engine answers a stopped container with an empty, zero-dated sample.
            let Some(at) = sampled_at(&b) else {
                return Ok(None);
            };
            if let Some(before) = sampled_at(&a) {
                span = span.max((at - before).num_milliseconds() as f64 / 1000.0);
            }
            Ok(Some(usage(&a, &b)))
        })
        .collect();
    (results, span)
}

#[async_trait]
impl TypedTool for ContainerStats {
    const NAME: &'static str = names::CONTAINER_STATS;
    type Args = StatsArguments;
    fn description(&self) -> &'static str {
        "Live CPU %, memory, network and block I/O of running containers."
    }
    async fn run(&self, args: StatsArguments) -> Result<ToolOutput, ToolError> {
        let order = args.sort_by.unwrap_or_default();
        let mut failures = Vec::new();
        let targets: Vec<(Arc<DockerClient>, String, String)> = match &args.name {
            Some(name) => {
                let found = self.hosts.find(args.host.as_deref(), name).await?;
                let inspect = found.client.inspect_container(&found.id).await?;
                let running = inspect
                    .state
                    .as_ref()
                    .and_then(|s| s.running)
                    .unwrap_or(false);
                if !running {
                    let status = inspect
                        .state
                        .as_ref()
                        .and_then(|s| s.status)
                        .map(|s| s.to_string())
                        .unwrap_or_default();
                    return Err(ToolError::NotFound(format!(
                        "`{}` is not running ({status}), so it uses no CPU or memory now",
                        found.name
                    )));
                }
                vec![(found.client, found.id, found.name)]
            }
            None => {
                let (answers, failed) = self
                    .hosts
                    .answered(args.host.as_deref(), |client| async move {
                        client.list_containers(false).await
                    })
                    .await?;
                failures = failed;
                answers
                    .into_iter()
                    .flat_map(|(client, list)| {
                        list.into_iter()
                            .filter(|c| {
                                c.state.map(|s| s.to_string()).as_deref() == Some("running")
                            })
                            .map(move |c| {
                                (
                                    client.clone(),
                                    c.id.clone().unwrap_or_default(),
                                    summary_name(&c),
                                )
                            })
                    })
                    .collect()
            }
        };
        let (samples, cpu_span_secs) = sample(&targets, &self.latest).await;
        let several = self.hosts.several();
        let mut rows: Vec<(String, String, Usage)> = Vec::new();
        for ((client, _, name), result) in targets.iter().zip(samples) {
            match result {
                Ok(Some(usage)) => rows.push((name.clone(), client.name().to_owned(), usage)),
                Ok(None) if args.name.is_some() => {
                    return Err(ToolError::NotFound(format!(
                        "`{name}` stopped while it was being sampled"
                    )));
                }
                Ok(None) => {}
                // Stopped between listing and sampling: nothing to report.
                Err(DockerError::NoSuchContainer(_)) => {}
                Err(error) if args.name.is_some() => return Err(error.into()),
                Err(error) => failures.push(error),
            }
        }
        match order {
            StatsOrder::Cpu => rows.sort_by(|a, b| b.2.cpu_percent.total_cmp(&a.2.cpu_percent)),
            StatsOrder::Memory => rows.sort_by_key(|r| std::cmp::Reverse(r.2.memory_bytes)),
            StatsOrder::Name => rows.sort_by(|a, b| a.0.cmp(&b.0)),
        }
        let mut text = if rows.is_empty() {
            "No containers are running.\n".to_owned()
        } else if rows.len() == 1 {
            String::new()
        } else {
            format!(
                "Resource use of {} running containers, by {}:\n",
                rows.len(),
                match order {
                    StatsOrder::Cpu => "CPU",
                    StatsOrder::Memory => "memory",
                    StatsOrder::Name => "name",
                }
            )
        };
        for (name, host, u) in &rows {
            text.push_str(&format!(
                "- `{name}`: CPU **{}**, memory **{}**{}, net ↓ {} ↑ {}, block I/O {} read / {} written{}\n",
                percent(u.cpu_percent),
                bytes(u.memory_bytes),
                if u.memory_limit_bytes > 0 {
                    format!(
                        " of {} ({})",
                        bytes(u.memory_limit_bytes),
                        percent(ratio_percent(u.memory_bytes, u.memory_limit_bytes))
                    )
                } else {
                    String::new()
                },
                bytes(u.net_rx_bytes),
                bytes(u.net_tx_bytes),
                bytes(u.block_read_bytes),
                bytes(u.block_write_bytes),
                if several { format!(" · on {host}") } else { String::new() },
            ));
        }
        // A kept earlier sample makes the CPU figure an average over a longer time; say so.
        if !rows.is_empty() && cpu_span_secs >= 5.0 {
            text.push_str(&format!(
                "CPU % is the average over the last {}.\n",
                duration_secs(cpu_span_secs.round() as u64)
            ));
        }
        let mut data = json!({
            "order": match order { StatsOrder::Cpu => "cpu", StatsOrder::Memory => "memory", StatsOrder::Name => "name" },
            "cpu_percent_over_secs": round1(cpu_span_secs),
            "containers": rows.iter().map(|(name, host, u)| {
                let mut row = json!({
                    "name": name,
                    "cpu_percent": round1(u.cpu_percent),
                    "memory_bytes": u.memory_bytes,
                    "memory_limit_bytes": u.memory_limit_bytes,
                    "memory_percent": round1(ratio_percent(u.memory_bytes, u.memory_limit_bytes)),
                    "net_rx_bytes": u.net_rx_bytes,
                    "net_tx_bytes": u.net_tx_bytes,
                    "block_read_bytes": u.block_read_bytes,
                    "block_write_bytes": u.block_write_bytes,
                    "pids": u.pids,
                });
                if several {
                    row["host"] = json!(host);
                }
                row
            }).collect::<Vec<_>>(),
        });
        note_failures(&mut text, &mut data, failures);
        Ok(ToolOutput { data, text })
    }
}
