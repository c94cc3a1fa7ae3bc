//! A background sampler that keeps a fresh snapshot of the host, so that no query ever sleeps to
//! measure CPU or network rates and every answer reads figures that are at most one interval old.
//!
//! sysinfo calls block and CPU rates need two readings, so sampling runs on its own thread; readers
//! get an `Arc<Snapshot>` from a watch channel, which costs a lock-free clone.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sysinfo::{
    Components, CpuRefreshKind, Disks, MemoryRefreshKind, Networks, ProcessRefreshKind,
    ProcessesToUpdate, RefreshKind, System,
};
use tokio::sync::watch;

use crate::config::SystemConfig;
use crate::history::History;

/// How many processes are kept per ordering; `top_processes` allows at most this many.
pub const MAX_PROCESSES: usize = 25;

/// Filesystem types that hold no user data worth reporting.
const PSEUDO_FILESYSTEMS: &[&str] = &[
    "autofs",
    "binfmt_misc",
    "bpf",
    "cgroup",
    "cgroup2",
    "configfs",
    "debugfs",
    "devpts",
    "devtmpfs",
    "efivarfs",
    "fusectl",
    "fuse.lxcfs",
    "fuse.portal",
    "hugetlbfs",
    "mqueue",
    "nsfs",
    "overlay",
    "proc",
    "pstore",
    "ramfs",
    "rpc_pipefs",
    "securityfs",
    "squashfs",
    "sysfs",
    "tmpfs",
    "tracefs",
];

/// Everything the system tools report, taken at one moment.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Snapshot {
    pub taken_at: DateTime<Utc>,
    pub host: HostInfo,
    pub load: LoadAverage,
    pub cpu: CpuInfo,
    pub memory: MemoryInfo,
    pub disks: Vec<DiskInfo>,
    pub networks: Vec<NetworkInfo>,
    pub temperatures: Vec<TemperatureInfo>,
    pub processes: ProcessTable,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct HostInfo {
    pub hostname: String,
    pub os: String,
    pub kernel: String,
    pub arch: String,
    pub uptime_secs: u64,
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct LoadAverage {
    pub one: f64,
    pub five: f64,
    pub fifteen: f64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct CpuInfo {
    pub usage_percent: f64,
    pub per_core_percent: Vec<f64>,
    pub logical_cores: usize,
    pub physical_cores: Option<usize>,
    pub brand: String,
    pub frequency_mhz: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct MemoryInfo {
    pub total_bytes: u64,
    pub used_bytes: u64,
    pub available_bytes: u64,
    pub swap_total_bytes: u64,
    pub swap_used_bytes: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct DiskInfo {
    pub mount_point: String,
    pub device: String,
    pub filesystem: String,
    pub total_bytes: u64,
    pub used_bytes: u64,
    pub available_bytes: u64,
    pub read_only: bool,
}

impl DiskInfo {
    /// Size, used and available the way df computes them: used = (blocks − free) × fragment
    /// size; available = what an unprivileged user can still write.
    pub fn from_statvfs(stat: &rustix::fs::StatVfs) -> Self {
        let fragment = stat.f_frsize.max(1);
        let total = stat.f_blocks.saturating_mul(fragment);
        let free = stat.f_bfree.saturating_mul(fragment);
        Self {
            total_bytes: total,
            used_bytes: total.saturating_sub(free),
            available_bytes: stat.f_bavail.saturating_mul(fragment),
            read_only: stat.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY),
            ..Self::default()
        }
    }

    /// Percent used as df's `Use%` shows it: used over what users can have (used + available),
    /// so the root reserve does not hide a full disk; rounded up, to one decimal.
    pub fn used_percent(&self) -> f64 {
        let usable = self.used_bytes.saturating_add(self.available_bytes);
        if usable == 0 {
            return 0.0;
        }
        (self.used_bytes as f64 * 1000.0 / usable as f64).ceil() / 10.0
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct NetworkInfo {
    pub interface: String,
    pub rx_bytes_per_sec: f64,
    pub tx_bytes_per_sec: f64,
    pub rx_total_bytes: u64,
    pub tx_total_bytes: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct TemperatureInfo {
    pub label: String,
    pub celsius: f64,
    pub critical_celsius: Option<f64>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ProcessTable {
    pub total: usize,
    pub by_cpu: Vec<ProcessInfo>,
    pub by_memory: Vec<ProcessInfo>,
}

/// A process by name only: command lines can carry secrets and are never read.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProcessInfo {
    pub pid: u32,
    pub name: String,
    pub cpu_percent: f64,
    pub memory_bytes: u64,
}

/// Handle to the sampling thread; dropping the last handle stops it.
#[derive(Debug, Clone)]
pub struct Sampler {
    snapshots: watch::Receiver<Option<Arc<Snapshot>>>,
    _stop: Arc<mpsc::Sender<()>>,
}

impl Sampler {
    /// Starts sampling on a thread of its own. The first snapshot is ready after one CPU
    /// interval (about 250 ms); [`Sampler::snapshot`] waits for it once.
    pub fn start(config: &SystemConfig) -> Self {
        Self::spawn(config, None)
    }

    /// Starts sampling as [`Sampler::start`] does, and records every snapshot in `history` too,
    /// for the charts.
    pub fn start_with_history(config: &SystemConfig, history: Arc<History>) -> Self {
        Self::spawn(config, Some(history))
    }

    fn spawn(config: &SystemConfig, history: Option<Arc<History>>) -> Self {
        let (publish, snapshots) = watch::channel(None);
        let (stop, stopped) = mpsc::channel::<()>();
        let fast = Duration::from_millis(config.sample_interval_ms);
        let slow = Duration::from_millis(config.slow_sample_interval_ms);
        let extra_paths = config.extra_disk_paths.clone();
        let spawned = thread::Builder::new()
            .name("system-sampler".into())
            .spawn(move || {
                let history = history.as_deref();
                sample_forever(&publish, &stopped, fast, slow, &extra_paths, history);
            });
        if let Err(err) = spawned {
            tracing::error!("cannot start the system sampler: {err}");
        }
        Self {
            snapshots,
            _stop: Arc::new(stop),
        }
    }

    /// A sampler that always reports the given snapshot; for tests and benchmarks of what is
    /// built on top of it.
    pub fn fixed(snapshot: Snapshot) -> Self {
        // A receiver still reads the last value after its sender is gone.
        let (_, snapshots) = watch::channel(Some(Arc::new(snapshot)));
        let (stop, _) = mpsc::channel();
        Self {
            snapshots,
            _stop: Arc::new(stop),
        }
    }

    /// The latest snapshot; waits only before the very first one exists.
    pub async fn snapshot(&self) -> Option<Arc<Snapshot>> {
        if let Some(snapshot) = self.snapshots.borrow().as_ref() {
            return Some(Arc::clone(snapshot));
        }
        let mut receiver = self.snapshots.clone();
        let ready = receiver.wait_for(Option::is_some).await.ok()?;
        ready.as_ref().map(Arc::clone)
    }
}

struct Probes {
    system: System,
    disks: Disks,
    networks: Networks,
    components: Components,
    last_network_refresh: Instant,
}

fn sample_forever(
    publish: &watch::Sender<Option<Arc<Snapshot>>>,
    stopped: &mpsc::Receiver<()>,
    fast: Duration,
    slow: Duration,
    extra_paths: &[PathBuf],
    history: Option<&History>,
) {
    let Some(mut probes) = Probes::new() else {
        tracing::error!("system information is not available on this platform");
        return;
    };
    // CPU and network rates need two readings; take the second after the minimum interval.
    thread::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL.max(Duration::from_millis(250)));
    let mut disks = Vec::new();
    let mut processes = ProcessTable::default();
    let mut last_slow: Option<Instant> = None;
    loop {
        probes.refresh_fast();
        if last_slow.is_none_or(|at| at.elapsed() >= slow) {
            disks = probes.read_disks(extra_paths);
            processes = probes.read_processes();
            last_slow = Some(Instant::now());
        }
        let snapshot = probes.snapshot(disks.clone(), processes.clone());
        // Recorded before it is published, so whoever has seen a snapshot finds it charted.
        if let Some(history) = history {
            history.record_host(&snapshot);
        }
        if publish.send(Some(Arc::new(snapshot))).is_err() {
            return;
        }
        match stopped.recv_timeout(fast) {
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            _ => return,
        }
    }
}

impl Probes {
    fn new() -> Option<Self> {
        let mut system = System::new_with_specifics(
            RefreshKind::nothing()
                .with_cpu(CpuRefreshKind::nothing().with_usage().with_frequency())
                .with_memory(MemoryRefreshKind::everything()),
        )
        .ok()?;
        system.refresh_processes_specifics(
            ProcessesToUpdate::All,
            true,
            ProcessRefreshKind::nothing().with_cpu().with_memory(),
        );
        Some(Self {
            system,
            disks: Disks::new_with_refreshed_list().ok()?,
            networks: Networks::new_with_refreshed_list().ok()?,
            components: Components::new_with_refreshed_list().ok()?,
            last_network_refresh: Instant::now(),
        })
    }

    fn refresh_fast(&mut self) {
        self.system.refresh_cpu_usage();
        self.system.refresh_memory();
        self.components.refresh(true);
    }

    fn read_disks(&mut self, extra_paths: &[PathBuf]) -> Vec<DiskInfo> {
        self.disks.refresh(true);
        let mut disks: Vec<DiskInfo> = Vec::new();
        for disk in self.disks.iter() {
            let filesystem = disk.file_system().to_string_lossy().into_owned();
            let mount_point = disk.mount_point();
            if is_pseudo(&filesystem, mount_point) || disk.total_space() == 0 {
                continue;
            }
            let device = disk.name().to_string_lossy().into_owned();
            // sysinfo's "used" would be total − available, which counts the blocks reserved for
            // root as used (5 % of an ext4 volume); statvfs gives the figures df shows.
            let info = match rustix::fs::statvfs(mount_point) {
                Ok(stat) => DiskInfo {
                    mount_point: mount_point.display().to_string(),
                    device,
                    filesystem,
                    ..DiskInfo::from_statvfs(&stat)
                },
                Err(_) => DiskInfo {
                    mount_point: mount_point.display().to_string(),
                    device,
                    filesystem,
                    total_bytes: disk.total_space(),
                    used_bytes: disk.total_space().saturating_sub(disk.available_space()),
                    available_bytes: disk.available_space(),
                    read_only: disk.is_read_only(),
                },
            };
            // Bind mounts repeat a device; keep the shortest mount point for each.
            match disks.iter_mut().find(|d| d.device == info.device) {
                Some(existing) if existing.mount_point.len() > info.mount_point.len() => {
                    *existing = info;
                }
                Some(_) => {}
                None => disks.push(info),
            }
        }
        for path in extra_paths {
            let shown = path.display().to_string();
            if disks.iter().any(|d| d.mount_point == shown) {
                continue;
            }
            match rustix::fs::statvfs(path) {
                Ok(stat) => disks.push(DiskInfo {
                    mount_point: shown,
                    ..DiskInfo::from_statvfs(&stat)
                }),
                Err(err) => tracing::warn!("cannot read usage of {shown}: {err}"),
            }
        }
        disks.sort_by(|a, b| a.mount_point.cmp(&b.mount_point));
        disks
    }

    fn read_processes(&mut self) -> ProcessTable {
        self.system.refresh_processes_specifics(
            ProcessesToUpdate::All,
            true,
            ProcessRefreshKind::nothing().with_cpu().with_memory(),
        );
        let mut all: Vec<ProcessInfo> = self
            .system
            .processes()
            .values()
            // Threads share their process's figures; count each process once.
            .filter(|p| p.thread_kind().is_none())
            .map(|p| ProcessInfo {
                pid: p.pid().as_u32(),
                name: p.name().to_string_lossy().into_owned(),
                cpu_percent: f64::from(p.cpu_usage()),
                memory_bytes: p.memory(),
            })
            .collect();
        let total = all.len();
        all.sort_by(|a, b| b.cpu_percent.total_cmp(&a.cpu_percent));
        let by_cpu = all.iter().take(MAX_PROCESSES).cloned().collect();
        all.sort_by_key(|p| std::cmp::Reverse(p.memory_bytes));
        all.truncate(MAX_PROCESSES);
        ProcessTable {
            total,
            by_cpu,
            by_memory: all,
        }
    }

    fn read_networks(&mut self) -> Vec<NetworkInfo> {
        let elapsed = self.last_network_refresh.elapsed().as_secs_f64().max(0.001);
        self.networks.refresh(true);
        self.last_network_refresh = Instant::now();
        let mut networks: Vec<NetworkInfo> = self
            .networks
            .iter()
            .map(|(name, data)| (name.to_string_lossy(), data))
            .filter(|(name, _)| name != "lo" && !name.starts_with("veth"))
            .map(|(name, data)| NetworkInfo {
                interface: name.into_owned(),
                rx_bytes_per_sec: data.received() as f64 / elapsed,
                tx_bytes_per_sec: data.transmitted() as f64 / elapsed,
                rx_total_bytes: data.total_received(),
                tx_total_bytes: data.total_transmitted(),
            })
            .collect();
        networks.sort_by(|a, b| a.interface.cmp(&b.interface));
        networks
    }

    fn snapshot(&mut self, disks: Vec<DiskInfo>, processes: ProcessTable) -> Snapshot {
        let load = System::load_average().unwrap_or(sysinfo::LoadAvg {
            one: 0.0,
            five: 0.0,
            fifteen: 0.0,
        });
        let networks = self.read_networks();
        let cpus = self.system.cpus();
        Snapshot {
            taken_at: Utc::now(),
            host: HostInfo {
                hostname: System::host_name().unwrap_or_default(),
                os: System::long_os_version().unwrap_or_default(),
                kernel: System::kernel_version().unwrap_or_default(),
                arch: System::cpu_arch(),
                uptime_secs: System::uptime().unwrap_or_default(),
            },
            load: LoadAverage {
                one: load.one,
                five: load.five,
                fifteen: load.fifteen,
            },
            cpu: CpuInfo {
                usage_percent: f64::from(self.system.global_cpu_usage()),
                per_core_percent: cpus.iter().map(|c| f64::from(c.usage())).collect(),
                logical_cores: cpus.len(),
                physical_cores: System::physical_core_count().ok(),
                brand: cpus
                    .first()
                    .map(|c| c.brand().trim().to_owned())
                    .unwrap_or_default(),
                frequency_mhz: cpus.first().map(|c| c.frequency()).unwrap_or_default(),
            },
            memory: MemoryInfo {
                total_bytes: self.system.total_memory(),
                used_bytes: self.system.used_memory(),
                available_bytes: self.system.available_memory(),
                swap_total_bytes: self.system.total_swap(),
                swap_used_bytes: self.system.used_swap(),
            },
            disks,
            networks,
            temperatures: self
                .components
                .iter()
                .filter_map(|c| {
                    let celsius = f64::from(c.temperature()?);
                    celsius.is_finite().then(|| TemperatureInfo {
                        label: c.label().to_owned(),
                        celsius,
                        critical_celsius: c.critical().map(f64::from).filter(|t| t.is_finite()),
                    })
                })
                .collect(),
            processes,
        }
    }
}

fn is_pseudo(filesystem: &str, mount_point: &Path) -> bool {
    if PSEUDO_FILESYSTEMS.contains(&filesystem) {
        return true;
    }
    let under_system_dir = ["/proc", "/sys", "/dev", "/run"]
        .iter()
        .any(|dir| mount_point.starts_with(dir));
    // Files bind-mounted into a container (/etc/hosts) are not filesystems a user cares about.
    under_system_dir || !mount_point.is_dir()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DurationRound;

    #[test]
    fn pseudo_filesystems_are_skipped() {
        assert!(is_pseudo("tmpfs", Path::new("/tmp")));
        assert!(is_pseudo("overlay", Path::new("/")));
        assert!(is_pseudo("ext4", Path::new("/proc/sys")));
        assert!(!is_pseudo("ext4", Path::new("/")));
        assert!(!is_pseudo("zfs", Path::new("/")));
    }

    #[tokio::test]
    async fn a_real_sample_has_real_figures() {
        let sampler = Sampler::start(&SystemConfig::default());
        let snapshot = sampler.snapshot().await.expect("sampler runs");
        assert!(snapshot.cpu.logical_cores >= 1);
        assert_eq!(
            snapshot.cpu.per_core_percent.len(),
            snapshot.cpu.logical_cores
        );
        assert!((0.0..=100.0).contains(&snapshot.cpu.usage_percent));
        assert!(snapshot.memory.total_bytes > 0);
        assert!(snapshot.memory.used_bytes <= snapshot.memory.total_bytes);
        assert!(snapshot.host.uptime_secs > 0);
        assert!(snapshot.processes.total > 0);
        assert!(!snapshot.processes.by_memory.is_empty());
        assert!(
            snapshot
                .disks
                .iter()
                .all(|d| d.used_bytes <= d.total_bytes && !d.filesystem.eq("tmpfs"))
        );
    }

    #[tokio::test]
    async fn a_sampler_with_history_records_what_it_publishes() {
        let history = Arc::new(History::new());
        let sampler = Sampler::start_with_history(&SystemConfig::default(), Arc::clone(&history));
        let snapshot = sampler.snapshot().await.expect("sampler runs");
        let span = Duration::from_secs(300);
        let cpu = history.series(&crate::history::Metric::Cpu, span).unwrap();
        assert_eq!(
            cpu.to,
            snapshot
                .taken_at
                .duration_trunc(chrono::TimeDelta::minutes(1))
                .unwrap()
        );
        assert!(
            cpu.lines[0]
                .points
                .iter()
                .all(|p| (0.0..=100.0).contains(&p.value))
        );
        let memory = history
            .series(&crate::history::Metric::Memory, span)
            .unwrap();
        assert!(memory.lines[0].points[0].value > 0.0);
    }

    #[tokio::test]
    async fn extra_paths_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let config = SystemConfig {
            extra_disk_paths: vec![dir.path().to_owned()],
            ..SystemConfig::default()
        };
        let snapshot = Sampler::start(&config).snapshot().await.unwrap();
        let shown = dir.path().display().to_string();
        let disk = snapshot
            .disks
            .iter()
            .find(|d| d.mount_point == shown)
            .expect("extra path listed");
        assert!(disk.total_bytes > 0);
    }
}
