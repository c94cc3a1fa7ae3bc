//! Runs the real binary the way a user does: `ask`, `check-config`, `tools`, and many processes
//! writing one audit file at once.
#![allow(clippy::disallowed_methods)] // These tests spawn the binary under test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_homelab-assistant");

/// Names the binary reads that a developer's shell might have set.
const ENV_TO_CLEAR: &[&str] = &[
    "HOMELAB_CONFIG",
    "API_KEY",
    "LLM_PROVIDER",
    "LLM_MODEL",
    "LLM_BASE_URL",
    "LLM_API_KEY",
    "GROQ_API_KEY",
    "OPENAI_API_KEY",
    "GROQ_BASE_URL",
    "OPENAI_BASE_URL",
    "RATE_LIMIT_REQUESTS",
    "RATE_LIMIT_WINDOW",
    "LOG_LEVEL",
    "RUST_LOG",
];

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn audit_path(&self) -> PathBuf {
        self.dir.path().join("state/audit.jsonl")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command.args(args).current_dir(self.dir.path());
        for name in ENV_TO_CLEAR {
            command.env_remove(name);
        }
        command.env("HOMELAB_AUDIT__PATH", self.audit_path());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("binary runs")
    }

    fn audit_lines(&self) -> Vec<Value> {
        read_lines(&self.audit_path())
    }
}

fn read_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("bad line {line}: {e}")))
        .collect()
}

fn json_reply(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "exit {:?}, stderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON object")
}

#[test]
fn ask_json_answers_cpu_with_a_real_percentage() {
    let sandbox = Sandbox::new();
    let reply = json_reply(&sandbox.run(&["ask", "--json", "What is the CPU usage?"]));
    assert_eq!(reply["refused"], false);
    let tools: Vec<&str> = reply["tool_calls_made"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(tools, vec!["cpu_usage"]);
    let message = reply["message"].as_str().unwrap();
    let percent = message
        .split("**")
        .nth(1)
        .and_then(|figure| figure.trim_end_matches(" %").parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no percentage in {message}"));
    assert!((0.0..=100.0).contains(&percent), "{percent}");
    assert!(reply["conversation_id"].as_str().unwrap().len() >= 32);
    assert_eq!(reply["tool_calls"][0]["name"], "cpu_usage");
    assert_eq!(reply["tool_calls"][0]["ok"], true);
    assert!(reply["tool_calls"][0]["arguments"].is_object());
}

#[test]
fn ask_json_refuses_a_restart_without_running_anything() {
    let sandbox = Sandbox::new();
    let reply = json_reply(&sandbox.run(&["ask", "--json", "restart plex"]));
    assert_eq!(reply["refused"], true);
    assert_eq!(reply["tool_calls_made"], serde_json::json!([]));
    assert_eq!(reply["tool_calls"], serde_json::json!([]));
    let message = reply["message"].as_str().unwrap();
    assert!(message.contains("read-only"), "{message}");
    assert!(message.contains("Nothing was changed"), "{message}");
    let audit = sandbox.audit_lines();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["refused"], true);
    assert_eq!(audit[0]["outcome"], "refused");
}

#[test]
fn every_ask_leaves_one_complete_audit_line() {
    let sandbox = Sandbox::new();
    let questions = [
        "How is my server doing?",
        "disk usage",
        "restart plex",
        "tell me a joke",
    ];
    for question in questions {
        let output = sandbox.run(&["ask", question]);
        assert!(output.status.success());
        assert!(!output.stdout.is_empty());
    }
    let lines = sandbox.audit_lines();
    assert_eq!(lines.len(), questions.len());
    for (line, question) in lines.iter().zip(questions) {
        for field in [
            "timestamp",
            "conversation_id",
            "platform",
            "user_id",
            "channel_id",
            "user_message",
            "assistant_response",
            "refused",
            "outcome",
            "tool_calls",
            "latency_ms",
        ] {
            assert!(line.get(field).is_some(), "{field} missing in {line}");
        }
        assert_eq!(line["user_message"], question);
        assert_eq!(line["platform"], "cli");
        for call in line["tool_calls"].as_array().unwrap() {
            for field in ["name", "arguments", "ok", "duration_ms"] {
                assert!(call.get(field).is_some(), "{field} missing in {call}");
            }
        }
    }
}

#[test]
fn fifty_concurrent_processes_leave_fifty_whole_lines() {
    let sandbox = Sandbox::new();
    let children: Vec<_> = (0..50)
        .map(|i| {
            sandbox
                .command(&["ask", "--json", &format!("memory usage please, run {i}")])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().expect("wait");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let lines = sandbox.audit_lines();
    assert_eq!(lines.len(), 50);
    let mut runs: Vec<u32> = lines
        .iter()
        .map(|l| {
            l["user_message"]
                .as_str()
                .unwrap()
                .rsplit(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    runs.sort_unstable();
    assert_eq!(runs, (0..50).collect::<Vec<u32>>());
}

#[test]
fn check_config_names_every_error_and_fails() {
    let sandbox = Sandbox::new();
    let config = sandbox.dir.path().join("bad.toml");
    std::fs::write(
        &config,
        "[audit]\npth = \"/tmp/x\"\n\n[rate_limit]\nrequests = \"lots\"\n",
    )
    .unwrap();
    let output = sandbox.run(&["--config", config.to_str().unwrap(), "check-config"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("audit.pth"), "{stderr}");
    assert!(stderr.contains("unknown key"), "{stderr}");
    assert!(stderr.contains("rate_limit.requests"), "{stderr}");
    assert!(stderr.contains("bad.toml"), "{stderr}");
}

#[test]
fn check_config_masks_secrets_and_reads_legacy_names() {
    let sandbox = Sandbox::new();
    let output = sandbox
        .command(&["check-config"])
        .env("GROQ_API_KEY", "gsk-super-secret")
        .env("RATE_LIMIT_REQUESTS", "7")
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("gsk-super-secret"), "{stdout}");
    assert!(stdout.contains("groq_api_key = \"***\""), "{stdout}");
    assert!(stdout.contains("requests = 7"), "{stdout}");
}

/// Every secret that can come from a file, through the binary: read, used, and shown masked
/// exactly like one set directly.
#[test]
fn check_config_reads_every_secret_file_and_masks_it() {
    let sandbox = Sandbox::new();
    let dir = sandbox.dir.path();
    let files = [
        (
            "DISCORD_TOKEN_FILE",
            "discord.token",
            "discord-token-from-file",
        ),
        (
            "MATRIX_PASSWORD_FILE",
            "matrix.password",
            "matrix-password-from-file",
        ),
        (
            "MATRIX_ACCESS_TOKEN_FILE",
            "matrix.token",
            "matrix-token-from-file",
        ),
        (
            "HOMELAB_MATRIX__STORE_PASSPHRASE_FILE",
            "matrix.passphrase",
            "matrix-passphrase-from-file",
        ),
        ("API_KEY_FILE", "api.key", "api-key-from-file"),
        ("GROQ_API_KEY_FILE", "groq.key", "groq-key-from-file"),
    ];
    let mut command = sandbox.command(&["check-config"]);
    for (env, file, value) in files {
        std::fs::write(dir.join(file), format!("{value}\n")).unwrap();
        command.env(env, dir.join(file));
    }
    std::fs::write(dir.join("ops.key"), "ops-key-from-file\n").unwrap();
    let output = command
        .env(
            "HOMELAB_HTTP__API_KEYS",
            format!(
                "[{{name=\"ops\",key_file=\"{}\"}}]",
                dir.join("ops.key").display()
            ),
        )
        .env("HOMELAB_DISCORD__ALLOWED_USERS", "[42]")
        .env(
            "MATRIX_HOMESERVER",
            "https://bot:hunter2@matrix.example.org",
        )
        .env("MATRIX_USER", "@bot:example.org")
        .env("HOMELAB_MATRIX__ALLOWED_USERS", "[\"@me:example.org\"]")
        .env("HOMELAB_MATRIX__STORE_PATH", dir.join("store"))
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!shown.contains("from-file"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
    for line in [
        "token = \"***\"",
        "password = \"***\"",
        "access_token = \"***\"",
        "store_passphrase = \"***\"",
        "api_key = \"***\"",
        "groq_api_key = \"***\"",
        "key = \"***\"",
    ] {
        assert!(shown.contains(line), "{line} missing from\n{shown}");
    }
    assert!(
        shown.contains("https://bot:***@matrix.example.org"),
        "{shown}"
    );
    assert!(shown.contains("LLM provider in use: Groq"), "{shown}");

    // A named key whose file cannot be read stops the program instead of serving without it.
    let output = sandbox
        .command(&["check-config"])
        .env(
            "HOMELAB_HTTP__API_KEYS",
            "[{name=\"ops\",key_file=\"/nonexistent/ops\"}]",
        )
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("http.api_keys.0.key_file"));
}

#[test]
fn secrets_from_the_environment_are_taken_verbatim() {
    let sandbox = Sandbox::new();
    let output = sandbox
        .command(&["check-config"])
        .env("API_KEY", "true")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "API_KEY=true is a key, not a boolean: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_default_config_file_is_read_from_the_working_directory() {
    let sandbox = Sandbox::new();
    std::fs::create_dir(sandbox.dir.path().join("config")).unwrap();
    std::fs::write(
        sandbox.dir.path().join("config/homelab.toml"),
        "[rate_limit]\nrequests = 9\n",
    )
    .unwrap();
    let output = sandbox.run(&["check-config"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("requests = 9"), "{stdout}");
    assert!(stdout.contains("config/homelab.toml"), "{stdout}");
}

#[test]
fn tools_lists_every_system_tool_with_a_schema() {
    let sandbox = Sandbox::new();
    let output = sandbox.run(&["tools", "--json"]);
    let tools: Value = json_reply(&output);
    let names: Vec<&str> = tools
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for name in [
        "system_overview",
        "cpu_usage",
        "memory_usage",
        "disk_usage",
        "top_processes",
        "network_usage",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    for tool in tools.as_array().unwrap() {
        assert_eq!(tool["parameters"]["type"], "object", "{tool}");
    }
}

#[test]
fn errors_are_one_clear_line_and_non_zero() {
    let sandbox = Sandbox::new();
    let output = sandbox.run(&["ask", "   "]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("The message is empty"));
    assert_eq!(sandbox.audit_lines()[0]["outcome"], "invalid");

    // An audit log that cannot be written means no answer at all.
    let blocker = sandbox.dir.path().join("blocker");
    std::fs::write(&blocker, "").unwrap();
    let output = sandbox
        .command(&["ask", "cpu"])
        .env("HOMELAB_AUDIT__PATH", blocker.join("audit.jsonl"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("audit log"));
}

#[test]
fn version_is_printed() {
    let output = Sandbox::new().run(&["--version"]);
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("homelab-assistant "));
}
