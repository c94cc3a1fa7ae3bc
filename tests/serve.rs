//! `serve` as an operator runs it: the real binary on a real socket, answering `/chat` over
//! HTTP, auditing every request, and stopping cleanly on SIGTERM.
#![allow(clippy::disallowed_methods)] // These tests spawn the binary under test and signal it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_homelab-assistant");

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve` on a free port and reads the address it reports.
fn start(dir: &std::path::Path, extra_env: &[(&str, &str)]) -> Server {
    let mut command = Command::new(BIN);
    command
        .arg("serve")
        .current_dir(dir)
        .env_remove("API_KEY")
        .env_remove("GROQ_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .env_remove("LLM_PROVIDER")
        .env_remove("HOMELAB_CONFIG")
        .env_remove("RUST_LOG")
        .env("HOMELAB_HTTP__BIND", "127.0.0.1:0")
        .env("HOMELAB_DOCKER__ENABLED", "false")
        .env("LOG_LEVEL", "info")
        .env("HOMELAB_AUDIT__PATH", dir.join("audit.jsonl"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in extra_env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("serve starts");
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(20);
    let base = loop {
        assert!(
            Instant::now() < deadline,
            "serve never reported its address"
        );
        let line = lines.next().expect("serve exited early").unwrap();
        if let Some(at) = line.find("listening on http://") {
            break line[at + "listening on ".len()..].trim().to_owned();
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, base }
}

fn client() -> reqwest::Client {
    homelab_assistant::app::install_crypto_provider();
    reqwest::Client::new()
}

fn audit_lines(dir: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn terminate(server: &mut Server) -> std::process::ExitStatus {
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn serve_answers_chat_on_a_real_socket_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path(), &[]);
    let client = client();

    let health: Value = client
        .get(format!("{}/health", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "healthy");

    let response = client
        .post(format!("{}/chat", server.base))
        .json(&serde_json::json!({"message": "What is the CPU usage?", "conversation_id": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let reply: Value = response.json().await.unwrap();
    assert_eq!(reply["refused"], false);
    assert_eq!(reply["tool_calls_made"], serde_json::json!(["cpu_usage"]));
    assert!(reply["message"].as_str().unwrap().contains("CPU usage is"));

    let refused: Value = client
        .post(format!("{}/chat", server.base))
        .json(&serde_json::json!({"message": "restart plex", "conversation_id": "abc"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(refused["refused"], true);
    assert_eq!(refused["conversation_id"], "abc");

    let invalid = client
        .post(format!("{}/chat", server.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 422);

    let metrics = client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("homelab_tool_calls_total{tool=\"cpu_usage\",result=\"ok\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("homelab_refusals_total{category=\"container_lifecycle\"} 1"),
        "{metrics}"
    );

    let status = terminate(&mut server);
    assert!(status.success(), "{status:?}");
    let audit = audit_lines(dir.path());
    assert_eq!(audit.len(), 3, "{audit:#?}");
    assert!(audit.iter().all(|e| e["platform"] == "http"));
}

#[tokio::test]
async fn serve_requires_the_api_key_when_one_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[("API_KEY", "s3cret-key")]);
    let client = client();
    let denied = client
        .post(format!("{}/chat", server.base))
        .json(&serde_json::json!({"message": "memory?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    let allowed = client
        .post(format!("{}/chat", server.base))
        .header("X-API-Key", "s3cret-key")
        .json(&serde_json::json!({"message": "memory?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    let audit = audit_lines(dir.path());
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0]["outcome"], "unauthorized");
    assert_eq!(audit[1]["user_id"], "default");
}

#[test]
fn serve_refuses_a_public_bind_without_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BIN)
        .arg("serve")
        .current_dir(dir.path())
        .env_remove("API_KEY")
        .env("HOMELAB_HTTP__BIND", "0.0.0.0:0")
        .env("HOMELAB_AUDIT__PATH", dir.path().join("audit.jsonl"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("API key is required"));
}
