//! Every tool's name, once: the registry, the offline router, adapter commands, the alert watcher
//! and the LLM loop all refer to tools through these constants, so a rename cannot leave a caller
//! asking for a tool that no longer exists.

pub const SYSTEM_OVERVIEW: &str = "system_overview";
pub const CPU_USAGE: &str = "cpu_usage";
pub const MEMORY_USAGE: &str = "memory_usage";
pub const DISK_USAGE: &str = "disk_usage";
pub const TOP_PROCESSES: &str = "top_processes";
pub const NETWORK_USAGE: &str = "network_usage";
pub const TEMPERATURES: &str = "temperatures";
pub const LIST_CONTAINERS: &str = "list_containers";
pub const CONTAINER_DETAILS: &str = "container_details";
pub const CONTAINER_STATS: &str = "container_stats";
pub const CONTAINER_LOGS: &str = "container_logs";
pub const DOCKER_EVENTS: &str = "docker_events";
pub const DOCKER_INFO: &str = "docker_info";
pub const LIST_IMAGES: &str = "list_images";
pub const DOCKER_DISK_USAGE: &str = "docker_disk_usage";
pub const ACTIVE_ALERTS: &str = "active_alerts";
pub const ZFS_POOLS: &str = "zfs_pools";
pub const UPS_STATUS: &str = "ups_status";
pub const TRUENAS_POOLS: &str = "pools";
pub const TRUENAS_DATASETS: &str = "datasets";
pub const SNAPSHOTS: &str = "snapshots";
pub const TRUENAS_ALERTS: &str = "truenas_alerts";
pub const TRUENAS_APPS: &str = "apps";
pub const DISK_HEALTH: &str = "disk_health";
pub const HOSTS: &str = "hosts";
pub const HOST_METRICS: &str = "host_metrics";
pub const PROMETHEUS_ALERTS: &str = "prometheus_alerts";
pub const PROMQL: &str = "promql";
