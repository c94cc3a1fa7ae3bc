//! `homelab-assistant serve` as a child process for the binary-level tests (HTTP, Discord,
//! Matrix): started with nothing from the developer's environment, its log kept so a failure
//! explains itself, and stopped with SIGTERM the way an operator (or systemd, or Docker) stops it.

#![allow(dead_code)] // Each test binary uses a different part of it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_homelab-assistant");

/// How often the waits below look again.
const POLL: Duration = Duration::from_millis(100);

/// A running `serve`; killed if the test ends without stopping it.
pub struct Serve {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    audit: PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    /// Starts `serve` in `dir` with only `env` set: no config file, no ambient keys or tokens,
    /// HTTP off unless `env` turns it on (so the chat platform under test is the only adapter)
    /// and the audit log at `dir/audit.jsonl`.
    pub fn start(dir: &Path, env: &[(&str, String)]) -> Self {
        let audit = dir.join("audit.jsonl");
        let mut command = Command::new(BIN);
        command
            .arg("serve")
            .current_dir(dir)
            .env_clear()
            .env("HOMELAB_HTTP__ENABLED", "false")
            .env("HOMELAB_AUDIT__PATH", &audit)
            .env("LOG_LEVEL", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("serve starts");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&log);
        // Draining also keeps the child from blocking on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Self { child, log, audit }
    }

    /// Everything the process has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Panics, with the log, if the process has already exited.
    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!("serve exited early ({status}); its log:\n{}", self.log());
        }
    }

    /// Waits until `ready` holds, failing with the log if the process exits or `patience` runs
    /// out first.
    pub async fn wait_until(&mut self, what: &str, patience: Duration, ready: impl Fn() -> bool) {
        let deadline = Instant::now() + patience;
        loop {
            if ready() {
                return;
            }
            self.assert_running();
            assert!(
                Instant::now() < deadline,
                "{what}: not within {patience:?}; serve's log:\n{}",
                self.log()
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until a log line contains `needle`.
    pub async fn wait_for_log(&mut self, needle: &str, patience: Duration) {
        let log = Arc::clone(&self.log);
        self.wait_until(&format!("log line {needle:?}"), patience, || {
            log.lock().unwrap().iter().any(|line| line.contains(needle))
        })
        .await;
    }

    /// Waits for the HTTP adapter's "listening on" line and returns its base URL.
    pub async fn http_base(&mut self, patience: Duration) -> String {
        self.wait_for_log("listening on http://", patience).await;
        self.log()
            .lines()
            .find_map(|line| {
                let at = line.find("listening on http://")?;
                Some(line[at + "listening on ".len()..].trim().to_owned())
            })
            .expect("the address line")
    }

    /// The audit log's entries so far.
    pub fn audit(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.audit)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("each audit line is one JSON object"))
            .collect()
    }

    /// Waits until the audit log holds at least `count` entries, and returns them.
    pub async fn wait_for_audit(&mut self, count: usize, patience: Duration) -> Vec<Value> {
        let audit = self.audit.clone();
        self.wait_until(&format!("{count} audit entries"), patience, || {
            std::fs::read_to_string(&audit)
                .map(|text| text.lines().count() >= count)
                .unwrap_or(false)
        })
        .await;
        self.audit()
    }

    /// Sends SIGTERM and waits for the exit.
    pub async fn terminate(&mut self, patience: Duration) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -TERM {pid} failed");
        let deadline = Instant::now() + patience;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "serve did not stop within {patience:?} of SIGTERM; its log:\n{}",
                self.log()
            );
            tokio::time::sleep(POLL).await;
        }
    }
}
