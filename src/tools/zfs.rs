//! ZFS pools without any API: OpenZFS publishes each pool's state and the ARC's counters as kstat
//! files (`/proc/spl/kstat/zfs`), readable on TrueNAS SCALE, Proxmox or Ubuntu alike. The
//! `zfs_pools` tool reads them; with no such directory the tool is simply not offered.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::format::bytes;
use super::{ToolError, ToolOutput, TypedTool, names};

/// The `[zfs]` section.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ZfsConfig {
    /// Where OpenZFS publishes its kstats.
    pub kstat_path: PathBuf,
}

impl Default for ZfsConfig {
    fn default() -> Self {
        Self {
            kstat_path: PathBuf::from("/proc/spl/kstat/zfs"),
        }
    }
}

/// One pool as its kstats show it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PoolState {
    pub name: String,
    /// ONLINE, DEGRADED, FAULTED, OFFLINE, UNAVAIL, REMOVED, SUSPENDED.
    pub state: String,
    /// Bytes read and written since import, where the pool publishes them.
    pub read_bytes: Option<u64>,
    pub written_bytes: Option<u64>,
}

impl PoolState {
    pub fn healthy(&self) -> bool {
        self.state == "ONLINE"
    }
}

/// The ARC's size and hit rate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ArcState {
    pub size_bytes: u64,
    pub max_bytes: Option<u64>,
    pub hit_percent: Option<f64>,
}

/// Everything the kstat tree says.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ZfsState {
    pub pools: Vec<PoolState>,
    pub arc: Option<ArcState>,
}

/// Reads the kstat tree at one root.
#[derive(Clone, Debug)]
pub struct ZfsKstats {
    root: PathBuf,
}

impl ZfsKstats {
    /// `None` when the root is not a directory: no ZFS here, nothing to offer.
    pub fn open(config: &ZfsConfig) -> Option<Self> {
        config.kstat_path.is_dir().then(|| Self {
            root: config.kstat_path.clone(),
        })
    }

    /// The current state, read in one go on a blocking thread (kstat reads are file reads).
    pub async fn read(&self) -> Result<ZfsState, ToolError> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || read_tree(&root))
            .await
            .map_err(|_| ToolError::Unavailable("reading the ZFS kstats failed".into()))?
    }
}

fn read_tree(root: &Path) -> Result<ZfsState, ToolError> {
    let entries = std::fs::read_dir(root).map_err(|e| {
        ToolError::Unavailable(format!("cannot read ZFS kstats at {}: {e}", root.display()))
    })?;
    let mut pools = Vec::new();
    for entry in entries.flatten() {
        let dir = entry.path();
        // A pool's directory is the one with a `state` file; `arcstats` and friends are files.
        let Ok(state) = std::fs::read_to_string(dir.join("state")) else {
            continue;
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        let io = read_io(&dir.join("io"));
        pools.push(PoolState {
            name,
            state: state.trim().to_owned(),
            read_bytes: io.as_ref().and_then(|io| io.get("nread").copied()),
            written_bytes: io.as_ref().and_then(|io| io.get("nwritten").copied()),
        });
    }
    pools.sort_by(|a, b| a.name.cmp(&b.name));
    let arc = std::fs::read_to_string(root.join("arcstats"))
        .ok()
        .map(|text| parse_named(&text))
        .and_then(|stats| {
            let size = *stats.get("size")?;
            let hits = stats.get("hits").copied();
            let misses = stats.get("misses").copied();
            let hit_percent = match (hits, misses) {
                (Some(h), Some(m)) if h + m > 0 => Some(h as f64 * 100.0 / (h + m) as f64),
                _ => None,
            };
            Some(ArcState {
                size_bytes: size,
                max_bytes: stats.get("c_max").copied(),
                hit_percent,
            })
        });
    Ok(ZfsState { pools, arc })
}

/// A "named" kstat: a header line, a `name type data` line, then one counter per line.
fn parse_named(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .skip(2)
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let name = fields.next()?;
            let _kind = fields.next()?;
            let value = fields.next()?.parse::<u64>().ok()?;
            Some((name.to_owned(), value))
        })
        .collect()
}

/// An "io" kstat: a header line, a line of column names, a line of values.
fn read_io(path: &Path) -> Option<BTreeMap<String, u64>> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut lines = text.lines().skip(1);
    let columns = lines.next()?.split_whitespace();
    let values = lines.next()?.split_whitespace();
    Some(
        columns
            .zip(values)
            .filter_map(|(c, v)| Some((c.to_owned(), v.parse().ok()?)))
            .collect(),
    )
}

/// Arguments of `zfs_pools`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ZfsArguments {
    /// Only this pool.
    #[serde(default)]
    pub pool: Option<String>,
}

/// `zfs_pools`: each pool's state and the ARC, from the kstats.
#[derive(Debug)]
pub struct ZfsPools(pub ZfsKstats);

#[async_trait]
impl TypedTool for ZfsPools {
    const NAME: &'static str = names::ZFS_POOLS;
    type Args = ZfsArguments;
    fn description(&self) -> &'static str {
        "ZFS pool states (ONLINE, DEGRADED, FAULTED…) and ARC size and hit rate."
    }
    async fn run(&self, args: ZfsArguments) -> Result<ToolOutput, ToolError> {
        let mut state = self.0.read().await?;
        if let Some(only) = args.pool.as_deref() {
            state.pools.retain(|p| p.name.eq_ignore_ascii_case(only));
            if state.pools.is_empty() {
                return Err(ToolError::NotFound(format!("no ZFS pool named `{only}`")));
            }
        }
        Ok(render(&state))
    }
}

fn render(state: &ZfsState) -> ToolOutput {
    let mut text = String::new();
    if state.pools.is_empty() {
        text.push_str("No ZFS pool is imported.\n");
    }
    let unhealthy = state.pools.iter().filter(|p| !p.healthy()).count();
    if !state.pools.is_empty() {
        if unhealthy == 0 {
            text.push_str(&format!(
                "All {} ZFS pool(s) are ONLINE.\n",
                state.pools.len()
            ));
        } else {
            text.push_str(&format!(
                "⚠️ {unhealthy} of {} ZFS pool(s) need attention.\n",
                state.pools.len()
            ));
        }
    }
    for pool in &state.pools {
        let mark = if pool.healthy() { "" } else { " ⚠️" };
        text.push_str(&format!("- **{}**: **{}**{mark}", pool.name, pool.state));
        if let (Some(r), Some(w)) = (pool.read_bytes, pool.written_bytes) {
            text.push_str(&format!(
                " ({} read, {} written since import)",
                bytes(r),
                bytes(w)
            ));
        }
        text.push('\n');
    }
    if let Some(arc) = &state.arc {
        text.push_str(&format!("ARC: {}", bytes(arc.size_bytes)));
        if let Some(max) = arc.max_bytes {
            text.push_str(&format!(" of {} max", bytes(max)));
        }
        if let Some(hit) = arc.hit_percent {
            text.push_str(&format!(", hit rate {hit:.1}%"));
        }
        text.push_str(".\n");
    }
    ToolOutput {
        data: json!({ "pools": state.pools, "arc": state.arc }),
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARCSTATS: &str = "13 1 0x01 147 39984 5367233954 27368289447463\n\
name                            type data\n\
hits                            4    900\n\
misses                          4    100\n\
size                            4    2147483648\n\
c_max                           4    8589934592\n";

    #[test]
    fn a_fixture_tree_reads_pools_and_arc() {
        let root = tempfile::tempdir().unwrap();
        for (pool, state) in [("tank", "ONLINE\n"), ("backup", "DEGRADED\n")] {
            std::fs::create_dir(root.path().join(pool)).unwrap();
            std::fs::write(root.path().join(pool).join("state"), state).unwrap();
        }
        std::fs::write(
            root.path().join("tank/io"),
            "12 3 0x00 1 80 1 2\nnread    nwritten reads writes\n1048576  2097152  10    20\n",
        )
        .unwrap();
        std::fs::write(root.path().join("arcstats"), ARCSTATS).unwrap();
        let state = read_tree(root.path()).unwrap();
        assert_eq!(state.pools.len(), 2);
        assert_eq!(state.pools[0].name, "backup");
        assert_eq!(state.pools[0].state, "DEGRADED");
        assert_eq!(state.pools[1].read_bytes, Some(1_048_576));
        let arc = state.arc.clone().unwrap();
        assert_eq!(arc.size_bytes, 2 << 30);
        assert_eq!(arc.hit_percent, Some(90.0));
        let out = render(&state);
        assert!(
            out.text.contains("1 of 2 ZFS pool(s) need attention"),
            "{}",
            out.text
        );
        assert!(
            out.text.contains("**backup**: **DEGRADED**"),
            "{}",
            out.text
        );
        assert!(out.text.contains("hit rate 90.0%"), "{}", out.text);
    }

    #[test]
    fn no_kstat_directory_means_no_tool() {
        let config = ZfsConfig {
            kstat_path: PathBuf::from("/nonexistent/kstat/zfs"),
        };
        assert!(ZfsKstats::open(&config).is_none());
    }
}
