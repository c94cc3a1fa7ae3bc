//! Benchmark: a full day of history drawn as a chart (one line, sixteen mounts, the eight busiest
//! containers), and the cost of recording one snapshot. Target: under 50 ms per chart.
//! Run with `cargo bench --bench charts`.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use divan::Bencher;
use homelab_assistant::charts::render;
use homelab_assistant::history::{ContainerSample, History, MAX_MOUNTS, Metric};
use homelab_assistant::tools::sampler::{DiskInfo, NetworkInfo, Snapshot};

fn main() {
    divan::main();
}

const DAY: Duration = Duration::from_secs(24 * 3600);

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-03T08:00:00Z")
        .unwrap()
        .to_utc()
}

/// The snapshot of minute `m`: wavy CPU and network, sixteen slowly filling mounts.
fn snapshot(m: i64) -> Snapshot {
    let wave = |period: f64| (m as f64 / period).sin();
    let mut snapshot = Snapshot {
        taken_at: start() + TimeDelta::minutes(m),
        ..Snapshot::default()
    };
    snapshot.cpu.usage_percent = 35.0 + 25.0 * wave(60.0) + (m % 7) as f64;
    snapshot.memory.total_bytes = 64 << 30;
    snapshot.memory.used_bytes = (20 << 30) + (m as u64) * (4 << 20);
    snapshot.load.one = 2.0 + wave(200.0);
    snapshot.networks = vec![NetworkInfo {
        interface: "eth0".to_owned(),
        rx_bytes_per_sec: 3e6 + 2e6 * wave(30.0),
        tx_bytes_per_sec: 4e5,
        ..NetworkInfo::default()
    }];
    snapshot.disks = (0..MAX_MOUNTS as u64)
        .map(|i| {
            let used = 5 * i + m as u64 / 200;
            DiskInfo {
                mount_point: format!("/mnt/tank/dataset-{i}"),
                total_bytes: 100,
                used_bytes: used,
                available_bytes: 100 - used,
                ..DiskInfo::default()
            }
        })
        .collect();
    snapshot
}

fn containers(m: i64) -> Vec<ContainerSample> {
    (0..12_u32)
        .map(|i| ContainerSample {
            name: format!("app-{i}"),
            cpu_percent: f64::from(i) * 8.0 + (m % 13) as f64,
            memory_bytes: u64::from(i + 1) << 28,
        })
        .collect()
}

/// 25 hours, so the ring has wrapped: what a long-running assistant holds.
fn full_day() -> History {
    let history = History::new();
    for m in 0..25 * 60 {
        history.record_host(&snapshot(m));
        history.record_containers(start() + TimeDelta::minutes(m), &containers(m));
    }
    history
}

#[divan::bench(args = ["cpu", "disk", "containers", "container app-11"])]
fn render_24h(bencher: Bencher, metric: &str) {
    let history = full_day();
    let metric: Metric = metric.parse().unwrap();
    let series = history.series(&metric, DAY).unwrap();
    let title = format!("{} — last 24 h", metric.title());
    bencher.bench_local(|| render(divan::black_box(&series), &title).unwrap());
}

/// What the sampler adds to every sample: one snapshot, sixteen mounts, under the lock. Each
/// call is a new minute, so every series takes a new slot and drops its oldest.
#[divan::bench]
fn record_host(bencher: Bencher) {
    let history = full_day();
    let mut m = 25 * 60;
    bencher
        .with_inputs(|| {
            m += 1;
            snapshot(m)
        })
        .bench_local_refs(|snapshot| history.record_host(snapshot));
}
