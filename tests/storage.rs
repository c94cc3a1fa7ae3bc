//! Storage health against real peers: disk figures against `df` and a tmpfs of known size, ZFS
//! pools from a kstat fixture tree, and the UPS through a real upsd with the dummy-ups driver
//! (scripts/nut-fixture.sh, started by scripts/test.sh, which exports HOMELAB_TEST_NUT_ADDRESS and
//! HOMELAB_TEST_NUT_DEV). Without the upsd fixture the UPS tests fail under CI and are skipped
//! (with a note) elsewhere.
#![allow(clippy::disallowed_methods)] // Tests spawn the binary under test, df and mount.
#![allow(clippy::print_stderr)] // The skip note must reach the developer.

mod support {
    pub mod ask_process;
}

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use homelab_assistant::config::SystemConfig;
use homelab_assistant::tools::sampler::{DiskInfo, Sampler};
use homelab_assistant::tools::system;
use homelab_assistant::tools::ups::{NutClient, NutConfig, UpsStatus};
use homelab_assistant::tools::{Tool, ToolRegistry};
use serde_json::{Value, json};

/// The binary as a user runs it, with nothing from the developer's environment but `env`.
fn ask_json(question: &str, env: &[(&str, String)]) -> (Value, Vec<Value>) {
    let asked = support::ask_process::ask(question, env);
    (asked.reply, asked.audit)
}

// ---------------------------------------------------------------------------------------------
// Disk figures

/// `df -P -B1 PATH`: (size, used, available) in bytes.
fn df(path: &Path) -> (u64, u64, u64) {
    let output = Command::new("df")
        .args(["-P", "-B1"])
        .arg(path)
        .output()
        .expect("df runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<u64> = text
        .lines()
        .nth(1)
        .expect("a df line")
        .split_whitespace()
        .skip(1)
        .take(3)
        .map(|f| f.parse().unwrap())
        .collect();
    (fields[0], fields[1], fields[2])
}

fn within_one_percent(ours: u64, theirs: u64, of: u64, what: &str) {
    let difference = ours.abs_diff(theirs) as f64;
    assert!(
        difference <= of as f64 / 100.0,
        "{what}: ours {ours}, df {theirs} (of {of})"
    );
}

async fn disk_usage(extra: Vec<PathBuf>) -> Value {
    let sampler = Sampler::start(&SystemConfig {
        extra_disk_paths: extra,
        ..SystemConfig::default()
    });
    let mut registry = ToolRegistry::new(Duration::from_secs(10));
    for tool in system::tools(&sampler) {
        registry.register(tool);
    }
    let outcome = registry.call("disk_usage", json!({})).await;
    outcome.result.expect("disk_usage answers").data
}

#[tokio::test]
async fn disk_figures_match_df_on_this_machine() {
    let data = disk_usage(Vec::new()).await;
    let filesystems = data["filesystems"].as_array().unwrap();
    assert!(!filesystems.is_empty());
    for fs in filesystems {
        let mount = Path::new(fs["mount_point"].as_str().unwrap());
        let (size, used, available) = df(mount);
        let total = fs["total_bytes"].as_u64().unwrap();
        within_one_percent(total, size, size, &format!("{} size", mount.display()));
        within_one_percent(
            fs["used_bytes"].as_u64().unwrap(),
            used,
            size,
            &format!("{} used", mount.display()),
        );
        within_one_percent(
            fs["available_bytes"].as_u64().unwrap(),
            available,
            size,
            &format!("{} available", mount.display()),
        );
        // df's Use%: used over used + available, rounded up.
        let df_percent = (used as f64 * 100.0 / (used + available).max(1) as f64).ceil();
        let ours = fs["used_percent"].as_f64().unwrap();
        assert!(
            (ours - df_percent).abs() <= 1.0,
            "{}: ours {ours}%, df {df_percent}%",
            mount.display()
        );
    }
}

/// A tmpfs of 64 MiB holding a 10 MiB file reads as exactly that, the way df shows it.
#[tokio::test]
async fn a_tmpfs_of_known_size_reads_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64m", "tmpfs"])
        .arg(dir.path())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root and must mount a tmpfs"
        );
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    }
    let unmount = Unmount(dir.path().to_owned());
    std::fs::write(dir.path().join("ten-mib"), vec![7u8; 10 << 20]).unwrap();
    let stat = rustix::fs::statvfs(dir.path()).unwrap();
    let info = DiskInfo::from_statvfs(&stat);
    assert_eq!(info.total_bytes, 64 << 20);
    assert_eq!(info.used_bytes, 10 << 20);
    assert_eq!(info.available_bytes, 54 << 20);
    assert_eq!(info.used_percent(), 15.7, "10/64 = 15.625 %, rounded up");
    let data = disk_usage(vec![dir.path().to_owned()]).await;
    let shown = data["filesystems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|fs| fs["mount_point"] == dir.path().display().to_string())
        .expect("the tmpfs is reported")
        .clone();
    assert_eq!(shown["used_bytes"], 10u64 << 20);
    assert_eq!(shown["available_bytes"], 54u64 << 20);
    drop(unmount);
}

struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

// ---------------------------------------------------------------------------------------------
// ZFS from kstats

const ARCSTATS: &str = "13 1 0x01 147 39984 5367233954 27368289447463\n\
name                            type data\n\
hits                            4    9500\n\
misses                          4    500\n\
size                            4    4294967296\n\
c_max                           4    17179869184\n";

fn kstat_tree() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    for (pool, state) in [("tank", "ONLINE\n"), ("backup", "DEGRADED\n")] {
        std::fs::create_dir(root.path().join(pool)).unwrap();
        std::fs::write(root.path().join(pool).join("state"), state).unwrap();
        std::fs::write(
            root.path().join(pool).join("iostats"),
            "48 1 0x01 21 5712 1234 5678\nname type data\ntrim_extents_written 4 0\n",
        )
        .unwrap();
    }
    std::fs::write(root.path().join("arcstats"), ARCSTATS).unwrap();
    root
}

#[test]
fn is_my_pool_healthy_names_the_degraded_pool() {
    let tree = kstat_tree();
    let env = [("HOMELAB_ZFS__KSTAT_PATH", tree.path().display().to_string())];
    let (reply, audit) = ask_json("is my pool healthy?", &env);
    let message = reply["message"].as_str().unwrap();
    assert!(
        message.contains("backup") && message.contains("DEGRADED"),
        "{message}"
    );
    assert!(
        message.contains("tank") && message.contains("ONLINE"),
        "{message}"
    );
    assert!(message.contains("hit rate 95.0%"), "{message}");
    assert_eq!(reply["tool_calls_made"], json!(["zfs_pools"]));
    assert_eq!(audit.len(), 1, "one audit line");

    // The alert rules see it too, so the watcher notifies.
    let (reply, _) = ask_json("any problems?", &env);
    let message = reply["message"].as_str().unwrap();
    assert!(
        message.contains("ZFS pool `backup` is DEGRADED"),
        "{message}"
    );

    // The overview mentions the degraded pool.
    let (reply, _) = ask_json("how is my server doing?", &env);
    let message = reply["message"].as_str().unwrap();
    assert!(message.contains("**backup**: **DEGRADED**"), "{message}");

    // A pool word alone is enough.
    let (reply, _) = ask_json("pools", &env);
    assert!(reply["message"].as_str().unwrap().contains("DEGRADED"));
}

#[test]
fn without_zfs_the_tool_is_not_offered_and_the_answer_says_so() {
    let env = [(
        "HOMELAB_ZFS__KSTAT_PATH",
        "/nonexistent/kstat/zfs".to_owned(),
    )];
    let (reply, audit) = ask_json("is my pool healthy?", &env);
    let message = reply["message"].as_str().unwrap();
    assert!(message.contains("no ZFS kstats"), "{message}");
    assert_eq!(reply["tool_calls_made"], json!([]));
    assert_eq!(audit.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// The UPS through a real upsd

/// The fixture upsd's address and .dev file, or `None` (after saying why).
fn nut_fixture() -> Option<(String, PathBuf)> {
    match (
        std::env::var("HOMELAB_TEST_NUT_ADDRESS"),
        std::env::var("HOMELAB_TEST_NUT_DEV"),
    ) {
        (Ok(address), Ok(dev)) => Some((address, PathBuf::from(dev))),
        _ if std::env::var_os("CI").is_some() => panic!(
            "HOMELAB_TEST_NUT_ADDRESS is not set: CI must run the upsd tests \
             (scripts/test.sh starts scripts/nut-fixture.sh)"
        ),
        _ => {
            eprintln!("skipped: no test upsd; run scripts/test.sh (scripts/nut-fixture.sh)");
            None
        }
    }
}

const ON_LINE: &str = "battery.charge: 100\nbattery.charge.low: 20\nbattery.runtime: 2400\n\
device.mfr: Fixture\ndevice.model: Homelab 1500\ninput.voltage: 230.0\nups.load: 18\n\
ups.status: OL\n";
const ON_BATTERY: &str = "battery.charge: 15\nbattery.charge.low: 20\nbattery.runtime: 185\n\
device.mfr: Fixture\ndevice.model: Homelab 1500\ninput.voltage: 0.0\nups.load: 31\n\
ups.status: OB DISCHRG LB\n";

/// [`ask_json`] with `NUT_ADDRESS` set, from async code: the binary runs on a blocking thread.
async fn ask_ups(question: &'static str, address: &str) -> (Value, Vec<Value>) {
    let env = [("NUT_ADDRESS", address.to_owned())];
    tokio::task::spawn_blocking(move || ask_json(question, &env))
        .await
        .unwrap()
}

/// Rewrites the driver's .dev file and waits until upsd serves the new status.
async fn set_ups(address: &str, dev: &Path, contents: &str, status: &str) {
    // dummy-ups re-reads the file when its modification time changes, in whole seconds: two
    // writes within one second would look like one. Move the time on by two seconds each time.
    let before = std::fs::metadata(dev).and_then(|m| m.modified()).ok();
    std::fs::write(dev, contents).unwrap();
    if let Some(before) = before {
        let file = std::fs::File::options().write(true).open(dev).unwrap();
        file.set_modified(before.max(std::time::SystemTime::now()) + Duration::from_secs(2))
            .unwrap();
    }
    let client = NutClient::new(address);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if client.get_var("ups", "ups.status").await.ok().as_deref() == Some(status) {
            return;
        }
        assert!(Instant::now() < deadline, "upsd never served {status}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// One test, because the states are one shared daemon's: on line, on battery, on line again.
#[tokio::test(flavor = "multi_thread")]
async fn the_ups_through_a_real_upsd() {
    let Some((address, dev)) = nut_fixture() else {
        return;
    };
    set_ups(&address, &dev, ON_LINE, "OL").await;
    let (reply, audit) = ask_ups("how long would the UPS last?", &address).await;
    let message = reply["message"].as_str().unwrap();
    assert!(message.contains("40 min"), "runtime 2400 s: {message}");
    assert!(message.contains("on line power"), "{message}");
    assert!(message.contains("battery 100%"), "{message}");
    assert_eq!(reply["tool_calls_made"], json!(["ups_status"]));
    assert_eq!(audit.len(), 1);

    // The library's client and tool read the same daemon.
    let tool = UpsStatus::new(&NutConfig {
        address: Some(address.clone()),
        ups: None,
    })
    .unwrap();
    let readings = tool.readings(None).await.unwrap();
    assert_eq!(readings.len(), 1);
    assert_eq!(readings[0].name, "ups");
    // dummy-ups reports its own device.mfr/model until it has re-read the .dev file once.
    assert!(readings[0].model.is_some());
    let unknown = Tool::run(&tool, json!({"ups": "nosuchups"}))
        .await
        .unwrap_err();
    assert!(
        unknown.to_string().contains("no UPS named `nosuchups`"),
        "{unknown}"
    );
    let hostile = Tool::run(&tool, json!({"ups": "ups\nFSD ups"}))
        .await
        .unwrap_err();
    assert!(hostile.to_string().contains("not a UPS"), "{hostile}");

    set_ups(&address, &dev, ON_BATTERY, "OB DISCHRG LB").await;
    let (reply, _) = ask_ups("any problems?", &address).await;
    let message = reply["message"].as_str().unwrap();
    assert!(message.contains("ON BATTERY"), "{message}");
    assert!(message.contains("about 3 min left"), "{message}");
    let (reply, _) = ask_ups("status", &address).await;
    let message = reply["message"].as_str().unwrap();
    assert!(
        message.contains("ON BATTERY"),
        "the overview mentions it: {message}"
    );
    let (reply, _) = ask_ups("is the ups on battery?", &address).await;
    assert!(reply["message"].as_str().unwrap().contains("LOW BATTERY"));

    set_ups(&address, &dev, ON_LINE, "OL").await;
}

#[test]
fn a_ups_that_cannot_be_reached_is_a_clear_answer() {
    // A port nothing listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = [("NUT_ADDRESS", format!("127.0.0.1:{port}"))];
    let (reply, audit) = ask_json("how long would the UPS last?", &env);
    let message = reply["message"].as_str().unwrap();
    assert!(message.contains("cannot reach upsd"), "{message}");
    assert_eq!(audit.len(), 1);
}
