//! The alert rules as one pure function of plain facts, so every threshold and boundary is
//! table-tested without a host or a Docker daemon, and the figures an alert quotes are the ones
//! it was judged on.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Alert, Severity};
use crate::config::AlertsConfig;
use crate::tools::format::{bytes, duration_secs, percent, ratio_percent, round1};
use crate::tools::prometheus::Host;
use crate::tools::sampler::Snapshot;
use crate::tools::truenas::TrueNasFacts;
use crate::tools::ups::{UpsReading, runtime_words};
use crate::tools::zfs::PoolState;

/// Exit codes of a container stopped on purpose (`docker stop` sends SIGTERM, then SIGKILL;
/// Ctrl-C sends SIGINT). Such a container is stopped, not failed, unless it was OOM-killed.
const STOP_SIGNAL_EXIT_CODES: &[i64] = &[130, 137, 143];

/// Everything the rules look at, taken at one moment.
#[derive(Clone, Debug)]
pub struct Facts {
    pub taken_at: DateTime<Utc>,
    pub system: Arc<Snapshot>,
    /// One entry per Docker engine; empty when this host has no Docker.
    pub engines: Vec<EngineFacts>,
    /// ZFS pools from the kstats; empty without ZFS.
    pub pools: Vec<PoolState>,
    /// Each UPS's reading, or why upsd could not be read; `None` when no UPS is configured.
    pub ups: Option<Result<Vec<UpsReading>, String>>,
    /// TrueNAS's pools and snapshots, or why they could not be read; `None` without TrueNAS.
    pub truenas: Option<Result<TrueNasFacts, String>>,
    /// The fleet's hosts from Prometheus, or why they could not be read; `None` without it.
    pub hosts: Option<Result<Vec<Host>, String>>,
}

/// One Docker engine's containers, or why they could not be read.
#[derive(Clone, Debug)]
pub struct EngineFacts {
    pub name: String,
    pub containers: Result<Vec<ContainerFacts>, String>,
}

/// What the rules need to know about one container.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContainerFacts {
    pub name: String,
    /// Docker's state: running, restarting, exited, dead, paused, created.
    pub state: String,
    /// healthy, unhealthy or starting; `None` without a health check.
    pub health: Option<String>,
    pub failing_streak: i64,
    /// Start of the oldest failed check in the current run of failures Docker still keeps.
    pub unhealthy_since: Option<DateTime<Utc>>,
    /// Restarts by the restart policy since the container was last started by hand.
    pub restart_count: i64,
    /// How the restart count rose across the evaluator's recent samples; `None` before there
    /// are two samples.
    pub recent_restarts: Option<RecentRestarts>,
    pub exit_code: Option<i64>,
    pub oom_killed: bool,
    pub memory_limit_bytes: Option<u64>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Restarts seen between the oldest and newest sample kept within the restart window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecentRestarts {
    pub count: i64,
    pub over_secs: u64,
}

/// The key figures of an evaluation, shown with "all healthy".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub cpu_percent: f64,
    pub cores: usize,
    pub load_one: f64,
    pub memory_used_percent: f64,
    pub fullest_disk: Option<DiskFigure>,
    /// `None` when this host has no Docker engine to read.
    pub containers: Option<ContainerCounts>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiskFigure {
    pub mount_point: String,
    pub used_percent: f64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerCounts {
    pub total: usize,
    pub running: usize,
    pub unhealthy: usize,
}

/// Evaluates every rule. Alerts come out in rule order; one per id, the worst if a rule fires
/// twice for the same id (two sensors with one label).
pub fn evaluate(config: &AlertsConfig, facts: &Facts) -> Vec<Alert> {
    let mut alerts = Vec::new();
    let now = truncate(facts.taken_at);
    let mut push = |id: String, severity, subject: String, message: String, since: Option<_>| {
        let since = since.map(truncate).unwrap_or(now).min(now);
        match alerts.iter_mut().find(|a: &&mut Alert| a.id == id) {
            Some(existing) if existing.severity >= severity => {}
            Some(existing) => {
                *existing = Alert {
                    id,
                    severity,
                    subject,
                    message,
                    since,
                }
            }
            None => alerts.push(Alert {
                id,
                severity,
                subject,
                message,
                since,
            }),
        }
    };
    let s = &facts.system;

    for disk in &s.disks {
        if disk.total_bytes == 0 || config.ignore_disks.contains(&disk.mount_point) {
            continue;
        }
        // Judged on the figure shown, to one decimal, so "85.0 %" never reads as below 85.
        let used = disk.used_percent();
        let Some((severity, limit)) = above(
            used,
            config.disk_warning_percent,
            config.disk_critical_percent,
        ) else {
            continue;
        };
        push(
            format!("disk:{}", disk.mount_point),
            severity,
            format!("disk {}", disk.mount_point),
            format!(
                "`{}` is {} full ({} of {}, {} free); {severity} at {}",
                disk.mount_point,
                percent(used),
                bytes(disk.used_bytes),
                bytes(disk.total_bytes),
                bytes(disk.available_bytes),
                threshold(limit, "%"),
            ),
            None,
        );
    }

    let m = &s.memory;
    if m.total_bytes > 0 {
        let available = round1(ratio_percent(m.available_bytes, m.total_bytes));
        let severity = if available < config.memory_critical_available_percent {
            Some((Severity::Critical, config.memory_critical_available_percent))
        } else if available < config.memory_warning_available_percent {
            Some((Severity::Warning, config.memory_warning_available_percent))
        } else {
            None
        };
        if let Some((severity, limit)) = severity {
            push(
                "memory".into(),
                severity,
                "memory".into(),
                format!(
                    "only {} of memory is available ({} of {}); {severity} below {}",
                    percent(available),
                    bytes(m.available_bytes),
                    bytes(m.total_bytes),
                    threshold(limit, "%"),
                ),
                None,
            );
        }
    }
    if m.swap_total_bytes > 0 {
        let used = round1(ratio_percent(m.swap_used_bytes, m.swap_total_bytes));
        if let Some((severity, limit)) = above(
            used,
            config.swap_warning_percent,
            config.swap_critical_percent,
        ) {
            push(
                "swap".into(),
                severity,
                "swap".into(),
                format!(
                    "swap is {} used ({} of {}); {severity} at {}",
                    percent(used),
                    bytes(m.swap_used_bytes),
                    bytes(m.swap_total_bytes),
                    threshold(limit, "%"),
                ),
                None,
            );
        }
    }

    let cores = s.cpu.logical_cores.max(1) as f64;
    // Sustained: both the 1- and the 5-minute load must be over, so one burst is not an alert.
    let per_core = (s.load.one.min(s.load.five) / cores * 100.0).round() / 100.0;
    if let Some((severity, limit)) = above(
        per_core,
        config.load_warning_per_core,
        config.load_critical_per_core,
    ) {
        push(
            "load".into(),
            severity,
            "load".into(),
            format!(
                "load is {:.2} / {:.2} (1 / 5 min) on {} cores, {per_core:.2}× the cores; \
                 {severity} at {limit}×",
                s.load.one, s.load.five, s.cpu.logical_cores,
            ),
            None,
        );
    }

    for sensor in &s.temperatures {
        let celsius = round1(sensor.celsius);
        // A sensor's own critical point counts when it is lower, and plausible (some report 0).
        let sensor_critical = sensor
            .critical_celsius
            .filter(|c| *c > 20.0 && *c < config.temperature_critical_celsius);
        let critical = sensor_critical.unwrap_or(config.temperature_critical_celsius);
        let Some((severity, limit)) = above(
            celsius,
            config.temperature_warning_celsius.min(critical),
            critical,
        ) else {
            continue;
        };
        let whose = if severity == Severity::Critical && sensor_critical.is_some() {
            " (the sensor's own critical point)"
        } else {
            ""
        };
        push(
            format!("temperature:{}", sensor.label),
            severity,
            format!("temperature {}", sensor.label),
            format!(
                "`{}` is at {celsius:.1} °C; {severity} at {limit:.0} °C{whose}",
                sensor.label
            ),
            None,
        );
    }

    for pool in facts.pools.iter().filter(|p| !p.healthy()) {
        // TrueNAS rates any pool that is not ONLINE as critical: redundancy is gone or going.
        push(
            format!("pool:{}", pool.name),
            Severity::Critical,
            format!("pool {}", pool.name),
            format!("ZFS pool `{}` is {}", pool.name, pool.state),
            None,
        );
    }
    match &facts.hosts {
        None => {}
        Some(Err(error)) => push(
            "prometheus".into(),
            Severity::Warning,
            "prometheus".into(),
            format!("cannot read the fleet from Prometheus: {error}"),
            None,
        ),
        Some(Ok(hosts)) => {
            for host in hosts {
                let label = host.label();
                if !host.up {
                    push(
                        format!("host:{}:down", host.instance),
                        Severity::Critical,
                        format!("host {label}"),
                        format!("host `{label}` is down: Prometheus cannot scrape it"),
                        None,
                    );
                    continue;
                }
                let Some(used) = host.fullest_filesystem_percent.map(round1) else {
                    continue;
                };
                if let Some((severity, limit)) = above(
                    used,
                    config.disk_warning_percent,
                    config.disk_critical_percent,
                ) {
                    push(
                        format!("host:{}:disk", host.instance),
                        severity,
                        format!("host {label}"),
                        format!(
                            "`{label}`'s fullest filesystem is {} full; {severity} at {}",
                            percent(used),
                            threshold(limit, "%"),
                        ),
                        None,
                    );
                }
            }
        }
    }
    match &facts.truenas {
        None => {}
        Some(Err(error)) => push(
            "truenas".into(),
            Severity::Warning,
            "truenas".into(),
            format!("cannot read TrueNAS: {error}"),
            None,
        ),
        Some(Ok(truenas)) => {
            for pool in &truenas.pools {
                if !pool.healthy {
                    push(
                        format!("pool:{}", pool.name),
                        Severity::Critical,
                        format!("pool {}", pool.name),
                        format!("ZFS pool `{}` is {}", pool.name, pool.status),
                        None,
                    );
                }
                let limit = config.scrub_max_age_days;
                if let Some(ended) = pool.last_scrub_end
                    && facts.taken_at - ended > chrono::Duration::days(limit as i64)
                {
                    push(
                        format!("scrub:{}", pool.name),
                        Severity::Warning,
                        format!("pool {}", pool.name),
                        format!(
                            "the last scrub of `{}` ended {} ago; overdue after {limit} days",
                            pool.name,
                            duration_secs((facts.taken_at - ended).num_seconds().max(0) as u64)
                        ),
                        None,
                    );
                }
            }
            let limit = config.snapshot_max_age_hours;
            for (dataset, newest) in &truenas.newest_snapshots {
                if let Some(newest) = newest
                    && facts.taken_at - *newest > chrono::Duration::hours(limit as i64)
                {
                    push(
                        format!("snapshot:{dataset}"),
                        Severity::Warning,
                        format!("dataset {dataset}"),
                        format!(
                            "the newest snapshot of `{dataset}` is {} old; stale after {limit} h",
                            duration_secs((facts.taken_at - *newest).num_seconds().max(0) as u64)
                        ),
                        None,
                    );
                }
            }
        }
    }
    match &facts.ups {
        None => {}
        Some(Err(error)) => push(
            "ups".into(),
            Severity::Warning,
            "ups".into(),
            format!("cannot read the UPS: {error}"),
            None,
        ),
        Some(Ok(readings)) => {
            for ups in readings {
                if ups.on_battery() || ups.low_battery() {
                    let severity = if ups.low_battery() {
                        Severity::Critical
                    } else {
                        Severity::Warning
                    };
                    let mut message = format!("UPS `{}` is {}", ups.name, ups.status_words());
                    if let Some(charge) = ups.charge_percent {
                        message.push_str(&format!(", battery {charge:.0}%"));
                    }
                    if let Some(runtime) = ups.runtime_secs {
                        message.push_str(&format!(", about {} left", runtime_words(runtime)));
                    }
                    push(
                        format!("ups:{}:battery", ups.name),
                        severity,
                        format!("ups {}", ups.name),
                        message,
                        None,
                    );
                }
                if ups.flags.iter().any(|f| f == "RB") {
                    push(
                        format!("ups:{}:replace", ups.name),
                        Severity::Warning,
                        format!("ups {}", ups.name),
                        format!(
                            "UPS `{}` reports that its battery needs replacing",
                            ups.name
                        ),
                        None,
                    );
                }
            }
        }
    }

    let several = facts.engines.len() > 1;
    for engine in &facts.engines {
        let containers = match &engine.containers {
            Ok(containers) => containers,
            Err(reason) => {
                push(
                    format!("docker:{}", engine.name),
                    Severity::Critical,
                    format!("Docker engine {}", engine.name),
                    format!("{reason}; container health cannot be checked"),
                    None,
                );
                continue;
            }
        };
        for c in containers {
            if config.ignore_containers.contains(&c.name) {
                continue;
            }
            let name = if several {
                format!("{}/{}", engine.name, c.name)
            } else {
                c.name.clone()
            };
            container_rules(config, facts.taken_at, &name, c, &mut push);
        }
    }
    alerts
}

type Push<'a> = dyn FnMut(String, Severity, String, String, Option<DateTime<Utc>>) + 'a;

fn container_rules(
    config: &AlertsConfig,
    now: DateTime<Utc>,
    name: &str,
    c: &ContainerFacts,
    push: &mut Push<'_>,
) {
    let subject = format!("container {name}");
    let ago =
        |then: DateTime<Utc>| duration_secs(u64::try_from((now - then).num_seconds()).unwrap_or(0));
    let up = matches!(c.state.as_str(), "running" | "restarting");

    if up && c.health.as_deref() == Some("unhealthy") {
        push(
            format!("container:{name}:unhealthy"),
            Severity::Warning,
            subject.clone(),
            format!(
                "`{name}` is unhealthy: {} failed health check{} in a row",
                c.failing_streak,
                plural(c.failing_streak)
            ),
            c.unhealthy_since,
        );
    }

    let window = config.restart_window_secs;
    let restarted_recently = c.restart_count > 0
        && c.started_at
            .is_some_and(|t| (now - t).num_seconds() <= window as i64);
    let rising = c
        .recent_restarts
        .filter(|r| r.count >= i64::from(config.restart_loop_count));
    if c.state == "restarting" || rising.is_some() {
        let mut message = format!(
            "`{name}` is restarting in a loop: {} restart{} so far",
            c.restart_count,
            plural(c.restart_count)
        );
        if let Some(r) = rising {
            message.push_str(&format!(
                ", {} in the last {}",
                r.count,
                duration_secs(r.over_secs)
            ));
        }
        if let Some(code) = c.exit_code.filter(|code| *code != 0) {
            message.push_str(&format!(", last exit code {code}"));
        }
        push(
            format!("container:{name}:restarts"),
            Severity::Critical,
            subject.clone(),
            message,
            None,
        );
    } else if restarted_recently {
        let mut message = format!(
            "`{name}` was restarted by its restart policy {} ago ({} restart{} in all",
            c.started_at.map(ago).unwrap_or_default(),
            c.restart_count,
            plural(c.restart_count)
        );
        if let Some(r) = c.recent_restarts.filter(|r| r.count > 0) {
            message.push_str(&format!(
                ", {} in the last {}",
                r.count,
                duration_secs(r.over_secs)
            ));
        }
        message.push(')');
        push(
            format!("container:{name}:restarts"),
            Severity::Warning,
            subject.clone(),
            message,
            c.started_at,
        );
    }

    let stopped = matches!(c.state.as_str(), "exited" | "dead");
    if stopped && c.oom_killed {
        let recent = c
            .finished_at
            .is_none_or(|t| (now - t).num_seconds() <= config.oom_window_secs as i64);
        if recent {
            let mut message = format!("`{name}` was OOM-killed");
            if let Some(t) = c.finished_at {
                message.push_str(&format!(" {} ago", ago(t)));
            }
            if let Some(limit) = c.memory_limit_bytes.filter(|l| *l > 0) {
                message.push_str(&format!(" (memory limit {})", bytes(limit)));
            }
            message.push_str(" and is stopped");
            push(
                format!("container:{name}:oom"),
                Severity::Warning,
                subject.clone(),
                message,
                c.finished_at,
            );
        }
    } else if stopped
        && let Some(code) = c
            .exit_code
            .filter(|code| *code != 0 && !STOP_SIGNAL_EXIT_CODES.contains(code))
    {
        let mut message = format!("`{name}` exited with code {code}");
        if let Some(t) = c.finished_at {
            message.push_str(&format!(" {} ago", ago(t)));
        }
        push(
            format!("container:{name}:exited"),
            Severity::Warning,
            subject,
            message,
            c.finished_at,
        );
    }
}

/// The severity of a value that is bad when high, with the limit it crossed.
fn above(value: f64, warning: f64, critical: f64) -> Option<(Severity, f64)> {
    if value >= critical {
        Some((Severity::Critical, critical))
    } else if value >= warning {
        Some((Severity::Warning, warning))
    } else {
        None
    }
}

fn threshold(value: f64, unit: &str) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0} {unit}")
    } else {
        format!("{value} {unit}")
    }
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn truncate(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(time.timestamp(), 0).unwrap_or(time)
}

/// The key figures: CPU, memory, the fullest disk and the containers.
pub fn figures(facts: &Facts) -> Figures {
    let s = &facts.system;
    let fullest_disk = s
        .disks
        .iter()
        .filter(|d| d.total_bytes > 0)
        .map(|d| DiskFigure {
            mount_point: d.mount_point.clone(),
            used_percent: d.used_percent(),
        })
        .max_by(|a, b| a.used_percent.total_cmp(&b.used_percent));
    let containers = (!facts.engines.is_empty()).then(|| {
        let mut counts = ContainerCounts::default();
        for c in facts
            .engines
            .iter()
            .filter_map(|e| e.containers.as_ref().ok())
            .flatten()
        {
            counts.total += 1;
            counts.running += usize::from(c.state == "running");
            counts.unhealthy += usize::from(c.health.as_deref() == Some("unhealthy"));
        }
        counts
    });
    Figures {
        cpu_percent: round1(s.cpu.usage_percent),
        cores: s.cpu.logical_cores,
        load_one: (s.load.one * 100.0).round() / 100.0,
        memory_used_percent: round1(ratio_percent(s.memory.used_bytes, s.memory.total_bytes)),
        fullest_disk,
        containers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::sampler::{DiskInfo, TemperatureInfo};
    use crate::tools::system::tests::sample_snapshot;

    const GIB: u64 = 1 << 30;

    /// The alerts a case expects: ids and severities, in rule order.
    type Expected = &'static [(&'static str, Severity)];

    fn taken_at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }

    fn minutes_ago(minutes: i64) -> Option<DateTime<Utc>> {
        Some(taken_at() - chrono::Duration::minutes(minutes))
    }

    /// The sample host with every figure healthy, and no Docker.
    fn healthy() -> Snapshot {
        let mut s = sample_snapshot();
        s.disks.truncate(1);
        s
    }

    fn facts(system: Snapshot, engines: Vec<EngineFacts>) -> Facts {
        Facts {
            taken_at: taken_at(),
            system: Arc::new(system),
            engines,
            pools: Vec::new(),
            ups: None,
            truenas: None,
            hosts: None,
        }
    }

    fn local(containers: Vec<ContainerFacts>) -> Vec<EngineFacts> {
        vec![EngineFacts {
            name: "local".into(),
            containers: Ok(containers),
        }]
    }

    fn run(system: Snapshot, engines: Vec<EngineFacts>) -> Vec<Alert> {
        evaluate(&AlertsConfig::default(), &facts(system, engines))
    }

    fn found(alerts: &[Alert]) -> Vec<(String, Severity)> {
        alerts.iter().map(|a| (a.id.clone(), a.severity)).collect()
    }

    fn disk(used_tenths_of_percent: u64) -> Snapshot {
        let mut s = healthy();
        s.disks = vec![DiskInfo {
            mount_point: "/mnt/tank".into(),
            device: "tank".into(),
            filesystem: "zfs".into(),
            total_bytes: 1000 * GIB,
            used_bytes: used_tenths_of_percent * GIB,
            available_bytes: (1000 - used_tenths_of_percent) * GIB,
            read_only: false,
        }];
        s
    }

    #[test]
    fn a_healthy_host_has_no_alerts() {
        assert_eq!(run(healthy(), vec![]), vec![]);
        assert_eq!(run(healthy(), local(vec![])), vec![]);
    }

    #[test]
    fn disk_thresholds_at_their_boundaries() {
        let warning = Some(Severity::Warning);
        let critical = Some(Severity::Critical);
        for (tenths, expected) in [
            (0, None),
            (849, None),
            (850, warning),
            (851, warning),
            (949, warning),
            (950, critical),
            (1000, critical),
        ] {
            let alerts = run(disk(tenths), vec![]);
            assert_eq!(
                alerts.first().map(|a| a.severity),
                expected,
                "{tenths}‰ → {alerts:?}"
            );
            if let Some(alert) = alerts.first() {
                assert_eq!(alert.id, "disk:/mnt/tank");
                assert_eq!(alert.since, taken_at());
            }
        }
        let alert = &run(disk(910), vec![])[0];
        assert_eq!(
            alert.message,
            "`/mnt/tank` is 91.0 % full (910.0 GiB of 1000.0 GiB, 90.0 GiB free); warning at 85 %"
        );
    }

    #[test]
    fn disk_thresholds_and_ignores_come_from_the_config() {
        let config = AlertsConfig {
            disk_warning_percent: 1.0,
            ignore_disks: vec!["/mnt/tank".into()],
            ..AlertsConfig::default()
        };
        let mut system = disk(910);
        system.disks.extend(healthy().disks);
        let alerts = evaluate(&config, &facts(system, vec![]));
        assert_eq!(found(&alerts), [("disk:/".to_owned(), Severity::Warning)]);
        assert!(alerts[0].message.contains("40.0 % full"), "{alerts:?}");
    }

    #[test]
    fn memory_swap_load_and_temperature_thresholds() {
        type Setup = fn(&mut Snapshot);
        let cases: &[(&str, Setup, Expected)] = &[
            (
                "10 % available is fine",
                |s| s.memory.available_bytes = s.memory.total_bytes / 10,
                &[],
            ),
            (
                "9.9 % available warns",
                |s| s.memory.available_bytes = s.memory.total_bytes * 99 / 1000,
                &[("memory", Severity::Warning)],
            ),
            (
                "4.9 % available is critical",
                |s| s.memory.available_bytes = s.memory.total_bytes * 49 / 1000,
                &[("memory", Severity::Critical)],
            ),
            (
                "swap 79.9 % is fine",
                |s| s.memory.swap_used_bytes = s.memory.swap_total_bytes * 799 / 1000,
                &[],
            ),
            (
                "swap 80 % warns",
                |s| s.memory.swap_used_bytes = s.memory.swap_total_bytes * 8 / 10,
                &[("swap", Severity::Warning)],
            ),
            (
                "swap 95 % is critical",
                |s| s.memory.swap_used_bytes = s.memory.swap_total_bytes * 95 / 100,
                &[("swap", Severity::Critical)],
            ),
            (
                "no swap, no swap alert",
                |s| {
                    s.memory.swap_total_bytes = 0;
                    s.memory.swap_used_bytes = 0;
                },
                &[],
            ),
            (
                "a burst of load is not sustained",
                |s| {
                    s.load.one = 9.0;
                    s.load.five = 1.0;
                },
                &[],
            ),
            (
                "load at 2× the cores warns",
                |s| {
                    s.load.one = 4.0;
                    s.load.five = 4.5;
                },
                &[("load", Severity::Warning)],
            ),
            (
                "load just under 2× is fine",
                |s| {
                    s.load.one = 3.98;
                    s.load.five = 5.0;
                },
                &[],
            ),
            (
                "load at 4× is critical",
                |s| {
                    s.load.one = 8.0;
                    s.load.five = 8.0;
                },
                &[("load", Severity::Critical)],
            ),
            ("79.9 °C is fine", |s| s.temperatures[0].celsius = 79.9, &[]),
            (
                "80 °C warns",
                |s| s.temperatures[0].celsius = 80.0,
                &[("temperature:Package id 0", Severity::Warning)],
            ),
            (
                "90 °C is critical",
                |s| s.temperatures[0].celsius = 90.0,
                &[("temperature:Package id 0", Severity::Critical)],
            ),
            (
                "the sensor's own lower critical point counts",
                |s| {
                    s.temperatures = vec![TemperatureInfo {
                        label: "nvme0".into(),
                        celsius: 71.0,
                        critical_celsius: Some(70.0),
                    }]
                },
                &[("temperature:nvme0", Severity::Critical)],
            ),
            (
                "an implausible sensor critical point is ignored",
                |s| {
                    s.temperatures = vec![TemperatureInfo {
                        label: "acpi".into(),
                        celsius: 40.0,
                        critical_celsius: Some(0.0),
                    }]
                },
                &[],
            ),
        ];
        for (what, setup, expected) in cases {
            let mut system = healthy();
            setup(&mut system);
            let alerts = run(system, vec![]);
            let expected: Vec<(String, Severity)> = expected
                .iter()
                .map(|(id, s)| ((*id).to_owned(), *s))
                .collect();
            assert_eq!(found(&alerts), expected, "{what}: {alerts:#?}");
        }
    }

    #[test]
    fn figures_are_quoted() {
        let mut system = healthy();
        system.memory.available_bytes = system.memory.total_bytes * 4 / 100;
        system.load.one = 9.1;
        system.load.five = 8.4;
        system.temperatures[0].celsius = 92.25;
        let alerts = run(system, vec![]);
        let message = |id: &str| &alerts.iter().find(|a| a.id == id).unwrap().message;
        assert_eq!(
            message("memory"),
            "only 4.0 % of memory is available (655.4 MiB of 16.0 GiB); critical below 5 %"
        );
        assert_eq!(
            message("load"),
            "load is 9.10 / 8.40 (1 / 5 min) on 2 cores, 4.20× the cores; critical at 4×"
        );
        assert_eq!(
            message("temperature:Package id 0"),
            "`Package id 0` is at 92.3 °C; critical at 90 °C"
        );
    }

    fn running(name: &str) -> ContainerFacts {
        ContainerFacts {
            name: name.into(),
            state: "running".into(),
            started_at: minutes_ago(600),
            exit_code: Some(0),
            ..ContainerFacts::default()
        }
    }

    #[test]
    fn container_rules() {
        let cases: Vec<(&str, ContainerFacts, Expected)> = vec![
            (
                "running and healthy",
                ContainerFacts {
                    health: Some("healthy".into()),
                    ..running("plex")
                },
                &[],
            ),
            (
                "unhealthy",
                ContainerFacts {
                    health: Some("unhealthy".into()),
                    failing_streak: 7,
                    ..running("sonarr")
                },
                &[("container:sonarr:unhealthy", Severity::Warning)],
            ),
            (
                "stuck in restarting",
                ContainerFacts {
                    state: "restarting".into(),
                    restart_count: 19,
                    exit_code: Some(1),
                    ..running("crashloop")
                },
                &[("container:crashloop:restarts", Severity::Critical)],
            ),
            (
                "restart count rising by the loop count",
                ContainerFacts {
                    restart_count: 9,
                    started_at: minutes_ago(0),
                    recent_restarts: Some(RecentRestarts {
                        count: 3,
                        over_secs: 180,
                    }),
                    ..running("flaky")
                },
                &[("container:flaky:restarts", Severity::Critical)],
            ),
            (
                "restarted once, recently",
                ContainerFacts {
                    restart_count: 1,
                    started_at: minutes_ago(10),
                    ..running("app")
                },
                &[("container:app:restarts", Severity::Warning)],
            ),
            (
                "restarted, but longer ago than the window",
                ContainerFacts {
                    restart_count: 1,
                    started_at: minutes_ago(11),
                    ..running("app")
                },
                &[],
            ),
            (
                "exited 0 is done, not failed",
                ContainerFacts {
                    state: "exited".into(),
                    finished_at: minutes_ago(5),
                    ..running("backup")
                },
                &[],
            ),
            (
                "exited non-zero",
                ContainerFacts {
                    state: "exited".into(),
                    exit_code: Some(3),
                    finished_at: minutes_ago(5),
                    ..running("importer")
                },
                &[("container:importer:exited", Severity::Warning)],
            ),
            (
                "stopped by docker stop",
                ContainerFacts {
                    state: "exited".into(),
                    exit_code: Some(143),
                    ..running("paused-job")
                },
                &[],
            ),
            (
                "OOM-killed recently",
                ContainerFacts {
                    state: "exited".into(),
                    exit_code: Some(137),
                    oom_killed: true,
                    memory_limit_bytes: Some(16 << 20),
                    finished_at: minutes_ago(10),
                    ..running("memhog")
                },
                &[("container:memhog:oom", Severity::Warning)],
            ),
            (
                "OOM-killed long ago",
                ContainerFacts {
                    state: "exited".into(),
                    exit_code: Some(137),
                    oom_killed: true,
                    finished_at: minutes_ago(25 * 60),
                    ..running("memhog")
                },
                &[],
            ),
        ];
        for (what, container, expected) in cases {
            let alerts = run(healthy(), local(vec![container]));
            let expected: Vec<(String, Severity)> = expected
                .iter()
                .map(|(id, s)| ((*id).to_owned(), *s))
                .collect();
            assert_eq!(found(&alerts), expected, "{what}: {alerts:#?}");
        }
    }

    #[test]
    fn container_alerts_quote_their_figures_and_start() {
        let alerts = run(
            healthy(),
            local(vec![
                ContainerFacts {
                    health: Some("unhealthy".into()),
                    failing_streak: 7,
                    unhealthy_since: minutes_ago(3),
                    ..running("sonarr")
                },
                ContainerFacts {
                    state: "restarting".into(),
                    restart_count: 19,
                    exit_code: Some(1),
                    recent_restarts: Some(RecentRestarts {
                        count: 4,
                        over_secs: 540,
                    }),
                    ..running("crashloop")
                },
                ContainerFacts {
                    state: "exited".into(),
                    exit_code: Some(137),
                    oom_killed: true,
                    memory_limit_bytes: Some(16 << 20),
                    finished_at: minutes_ago(10),
                    ..running("memhog")
                },
            ]),
        );
        let by_id = |id: &str| alerts.iter().find(|a| a.id == id).unwrap();
        let sonarr = by_id("container:sonarr:unhealthy");
        assert_eq!(
            sonarr.message,
            "`sonarr` is unhealthy: 7 failed health checks in a row"
        );
        assert_eq!(Some(sonarr.since), minutes_ago(3));
        assert_eq!(
            by_id("container:crashloop:restarts").message,
            "`crashloop` is restarting in a loop: 19 restarts so far, 4 in the last 9m 0s, last \
             exit code 1"
        );
        let memhog = by_id("container:memhog:oom");
        assert_eq!(
            memhog.message,
            "`memhog` was OOM-killed 10m 0s ago (memory limit 16.0 MiB) and is stopped"
        );
        assert_eq!(Some(memhog.since), minutes_ago(10));
    }

    #[test]
    fn ignored_containers_and_several_engines() {
        let config = AlertsConfig {
            ignore_containers: vec!["importer".into()],
            ..AlertsConfig::default()
        };
        let exited = |name: &str| ContainerFacts {
            state: "exited".into(),
            exit_code: Some(1),
            ..running(name)
        };
        let engines = vec![
            EngineFacts {
                name: "nas".into(),
                containers: Ok(vec![exited("importer"), exited("web")]),
            },
            EngineFacts {
                name: "pi".into(),
                containers: Err(
                    "Docker engine `pi` at tcp://pi:2375 is unreachable: refused".into(),
                ),
            },
        ];
        let alerts = evaluate(&config, &facts(healthy(), engines));
        assert_eq!(
            found(&alerts),
            [
                ("container:nas/web:exited".to_owned(), Severity::Warning),
                ("docker:pi".to_owned(), Severity::Critical),
            ]
        );
        assert!(
            alerts[1].message.contains("unreachable: refused"),
            "{alerts:?}"
        );
    }

    #[test]
    fn figures_summarise_the_host() {
        let mut web = running("web");
        web.health = Some("unhealthy".into());
        let figures = figures(&facts(
            sample_snapshot(),
            local(vec![
                web,
                ContainerFacts {
                    state: "exited".into(),
                    ..running("job")
                },
            ]),
        ));
        assert_eq!(figures.cpu_percent, 37.5);
        assert_eq!(figures.memory_used_percent, 25.0);
        assert_eq!(
            figures.fullest_disk,
            Some(DiskFigure {
                mount_point: "/mnt/tank".into(),
                used_percent: 91.0
            })
        );
        assert_eq!(
            figures.containers,
            Some(ContainerCounts {
                total: 2,
                running: 1,
                unhealthy: 1
            })
        );
        assert_eq!(super::figures(&facts(healthy(), vec![])).containers, None);
    }
}
