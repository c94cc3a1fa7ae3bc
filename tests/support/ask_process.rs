//! `homelab-assistant ask --json` as a child process for the binary-level tests of the tools
//! (storage, TrueNAS, the fleet): nothing from the developer's environment, Docker and the ZFS
//! kstats off unless the test turns them on, the audit log in a scratch directory.

#![allow(dead_code)] // Each test binary uses a different part of it.

use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_homelab-assistant");

/// One answer: the reply object, its message, and the audit lines the request left.
pub struct Asked {
    pub reply: Value,
    pub message: String,
    pub audit: Vec<Value>,
}

/// Asks `question` with only `env` set (over the defaults above); panics if the binary fails.
pub fn ask(question: &str, env: &[(&str, String)]) -> Asked {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(BIN);
    command
        .args(["ask", "--json", question])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOMELAB_DOCKER__ENABLED", "false")
        .env("HOMELAB_ZFS__KSTAT_PATH", "/nonexistent")
        .env("HOMELAB_AUDIT__PATH", dir.path().join("audit.jsonl"));
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("the binary runs");
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let reply: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    Asked {
        message: reply["message"].as_str().unwrap_or_default().to_owned(),
        reply,
        audit,
    }
}
