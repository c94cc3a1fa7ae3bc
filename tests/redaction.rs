//! Nothing secret leaves the box: every sample of tests/secrets/corpus.txt (secrets in the
//! formats homelab containers really print, each holding a unique `MK###` marker) goes through
//! the redactor, a tool's output, the chat reply, the audit log and the exact bytes sent to an
//! LLM, and no marker may survive any of them. Private keys are checked whole and as a log tail
//! that starts inside the key.

mod support {
    pub mod fake_llm;
}

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use homelab_assistant::audit::JsonlAudit;
use homelab_assistant::config::ConversationConfig;
use homelab_assistant::conversation::ConversationStore;
use homelab_assistant::llm::LlmProvider;
use homelab_assistant::llm::offline::OfflineAnswerer;
use homelab_assistant::llm::openai::{ClientSettings, OpenAiClient};
use homelab_assistant::llm::tool_loop::ToolCallingAnswerer;
use homelab_assistant::orchestrator::Orchestrator;
use homelab_assistant::secret::Secret;
use homelab_assistant::tools::docker::client::LogChunk;
use homelab_assistant::tools::docker::log_lines;
use homelab_assistant::tools::redact::redact_secrets;
use homelab_assistant::tools::{Tool, ToolError, ToolOutput, ToolRegistry};
use homelab_port::{ChatHandler, Inbound, Origin, Platform};
use serde_json::{Value, json};
use support::fake_llm::{FakeLlm, Scripted};

/// Each sample with its marker.
fn corpus() -> Vec<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/secrets/corpus.txt");
    let text = std::fs::read_to_string(path).expect("the corpus is readable");
    let marker = regex::Regex::new(r"MK\d{3}").unwrap();
    let samples: Vec<(String, String)> = text
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let found: Vec<&str> = marker.find_iter(line).map(|m| m.as_str()).collect();
            assert_eq!(found.len(), 1, "one marker per sample: {line}");
            (found[0].to_owned(), line.to_owned())
        })
        .collect();
    let mut markers: Vec<&String> = samples.iter().map(|(m, _)| m).collect();
    markers.sort();
    markers.dedup();
    assert_eq!(markers.len(), samples.len(), "markers are unique");
    assert!(samples.len() >= 60, "{} samples", samples.len());
    samples
}

/// An RSA key as a container prints it, with a marker in each body line.
fn private_key_lines() -> Vec<String> {
    let mut lines = vec!["-----BEGIN RSA PRIVATE KEY-----".to_owned()];
    for n in 0..26 {
        lines.push(format!(
            "MIIEpAIBAAKCAQEA{:03}KEYBODY{n:02}x7Qz1b9Yt3vW5pL8mN2oK4jH6gF0dS2aQ9wE1rT",
            900 + n
        ));
    }
    lines.push("KEYTAILMK999==".to_owned());
    lines.push("-----END RSA PRIVATE KEY-----".to_owned());
    lines
}

fn key_markers() -> Vec<String> {
    let mut markers: Vec<String> = (0..26).map(|n| format!("KEYBODY{n:02}")).collect();
    markers.push("KEYTAILMK999".to_owned());
    markers
}

/// Every marker found in `text`.
fn survivors<'a>(text: &str, markers: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    markers
        .into_iter()
        .filter(|m| text.contains(m.as_str()))
        .cloned()
        .collect()
}

#[test]
fn the_redactor_removes_every_sample() {
    let mut leaks = Vec::new();
    for (marker, sample) in corpus() {
        let out = redact_secrets(&sample);
        if out.contains(&marker) {
            leaks.push(format!("{sample}\n    -> {out}"));
        }
    }
    let total = corpus().len();
    println!(
        "redaction corpus: {} of {total} samples hidden",
        total - leaks.len()
    );
    assert!(leaks.is_empty(), "leaked:\n{}", leaks.join("\n"));
}

#[test]
fn a_log_tail_that_starts_inside_a_key_shows_none_of_it() {
    let key = private_key_lines();
    let mut log = vec!["app starting".to_owned(), "loading tls material".to_owned()];
    log.extend(key.iter().cloned());
    log.push("listening on :443".to_owned());
    // Every window the tool could be asked for, including ones that start inside the key.
    for tail in 1..=log.len() {
        let window = &log[log.len() - tail..];
        let text = window.join("\n") + "\n";
        let lines = log_lines(&[LogChunk {
            stream: "stdout",
            bytes: text.clone().into_bytes(),
        }]);
        let shown: String = lines.iter().map(|l| l.text.clone() + "\n").collect();
        let left = survivors(&shown, &key_markers());
        assert!(left.is_empty(), "tail {tail} shows {left:?}:\n{shown}");
        let redacted = redact_secrets(&text);
        let left = survivors(&redacted, &key_markers());
        assert!(left.is_empty(), "tail {tail} shows {left:?}:\n{redacted}");
        assert!(shown.contains("listening on :443"), "{shown}");
    }
}

/// A tool whose output holds every sample: in its text, in a list, under secret-named keys, as
/// labels and as health-check output, the way real tools carry container data.
struct Leaky {
    name: &'static str,
    samples: Vec<String>,
}

#[async_trait]
impl Tool for Leaky {
    fn name(&self) -> &'static str {
        self.name
    }
    fn description(&self) -> &'static str {
        "Shows everything the server has."
    }
    fn parameters(&self) -> Value {
        json!({"type": "object", "properties": {}})
    }
    async fn run(&self, _: Value) -> Result<ToolOutput, ToolError> {
        // Plain lines, not a `- ` list: the model is sent lists cut to 20 items, and every
        // sample is to reach the LLM request (redacted).
        let mut text = String::from("Everything:\n");
        for sample in &self.samples {
            text.push_str(&format!("{sample}\n"));
        }
        let key_tail = private_key_lines()[10..].join("\n");
        text.push_str(&key_tail);
        let labels: serde_json::Map<String, Value> = self
            .samples
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("com.example.label{i}"), Value::String(s.clone())))
            .collect();
        Ok(ToolOutput {
            data: json!({
                "lines": self.samples,
                "labels": labels,
                "health": {"output": self.samples.join("\n")},
                "key_tail": key_tail,
                "DB_PASSWORD": "plainMK998",
            }),
            text,
        })
    }
}

fn all_markers() -> Vec<String> {
    let mut markers: Vec<String> = corpus().into_iter().map(|(m, _)| m).collect();
    markers.extend(key_markers());
    markers.push("plainMK998".to_owned());
    markers
}

fn orchestrator(provider: Arc<dyn LlmProvider>, audit_path: &std::path::Path) -> Orchestrator {
    let samples = corpus().into_iter().map(|(_, s)| s).collect();
    let mut registry = ToolRegistry::new(Duration::from_secs(5));
    registry.register(Arc::new(Leaky {
        name: "system_overview",
        samples,
    }));
    Orchestrator::new(
        Arc::new(registry),
        provider,
        ConversationStore::new(&ConversationConfig::default()),
        Arc::new(JsonlAudit::open(audit_path).unwrap()),
    )
}

fn ask(text: &str) -> Inbound {
    Inbound::question(Origin::new(Platform::Http, "tester"), text)
}

#[tokio::test]
async fn no_marker_reaches_the_reply_or_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let audit_path = dir.path().join("audit.jsonl");
    let orchestrator = orchestrator(Arc::new(OfflineAnswerer), &audit_path);
    let reply = orchestrator
        .handle(ask("How is my server doing?"))
        .await
        .unwrap();
    assert_eq!(reply.tool_calls_made(), vec!["system_overview"]);
    assert!(reply.text.contains("Everything"), "{}", reply.text);
    let markers = all_markers();
    let left = survivors(&reply.text, &markers);
    assert!(left.is_empty(), "the reply shows {left:?}:\n{}", reply.text);
    let audit = std::fs::read_to_string(&audit_path).unwrap();
    assert_eq!(audit.lines().count(), 1);
    let left = survivors(&audit, &markers);
    assert!(left.is_empty(), "the audit log shows {left:?}");
}

#[tokio::test]
async fn no_marker_reaches_the_llm() {
    let fake = FakeLlm::start(vec![
        Scripted::ToolCalls(vec![("call_1", "system_overview", "{}")]),
        Scripted::Text("Everything looks fine."),
    ])
    .await;
    let client = OpenAiClient::new(ClientSettings {
        base_url: fake.base_url(),
        model: "test-model".into(),
        api_key: Some(Secret::new(fake.key.clone())),
        max_tokens: 256,
    })
    .unwrap();
    let provider =
        ToolCallingAnswerer::new(client, "openai-compatible", 4, Duration::from_secs(10));
    let dir = tempfile::tempdir().unwrap();
    let audit_path = dir.path().join("audit.jsonl");
    let orchestrator = orchestrator(Arc::new(provider), &audit_path);
    let reply = orchestrator
        .handle(ask("Tell me everything about the server"))
        .await
        .unwrap();
    assert!(fake.rejections().is_empty(), "{:?}", fake.rejections());
    let requests = fake.requests();
    assert!(
        requests.len() >= 2,
        "the tool result went back to the model"
    );
    let sent = serde_json::to_string(&requests).unwrap();
    assert!(
        sent.contains("Cookie: [REDACTED]"),
        "the redacted tool output was sent"
    );
    let markers = all_markers();
    let left = survivors(&sent, &markers);
    assert!(left.is_empty(), "the LLM was sent {left:?}");
    let left = survivors(&reply.text, &markers);
    assert!(left.is_empty(), "the reply shows {left:?}");
    let audit = std::fs::read_to_string(&audit_path).unwrap();
    let left = survivors(&audit, &markers);
    assert!(left.is_empty(), "the audit log shows {left:?}");
}

/// Samples written by someone who never saw the redactor or corpus.txt, each secret carrying
/// an `H[AB]###` marker: how many are hidden, as a figure only (the lines are not printed, so
/// nobody tunes on the B set).
fn held_out_hidden(file: &str, prefix: &str) -> (usize, usize) {
    let path = format!("{}/tests/secrets/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let marker = regex::Regex::new(&format!(r"{prefix}\d{{3}}")).unwrap();
    let samples: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect();
    let hidden = samples
        .iter()
        .filter(|sample| {
            let found = marker.find(sample).expect("every sample has a marker");
            !redact_secrets(sample).contains(found.as_str())
        })
        .count();
    (hidden, samples.len())
}

#[test]
fn held_out_secrets_are_hidden() {
    let mut figures = Vec::new();
    for (file, prefix) in [("heldout-a.txt", "HA"), ("heldout-b.txt", "HB")] {
        let (hidden, total) = held_out_hidden(file, prefix);
        println!(
            "{file}: {hidden} of {total} secrets hidden ({:.1} %)",
            100.0 * hidden as f64 / total as f64
        );
        figures.push((file, hidden, total));
    }
    // Set A was measured once and then tuned on (its misses became rules); set B never was,
    // so its figure is the one that says how the rules generalize (docs/security.md).
    for ((file, hidden, total), floor) in figures.into_iter().zip([100, 90]) {
        assert!(
            hidden * 100 >= total * floor,
            "{file}: only {hidden} of {total} hidden, below {floor} %"
        );
    }
}

#[test]
fn ordinary_lines_are_left_alone() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/secrets/benign.txt");
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect();
    let changed: Vec<String> = lines
        .iter()
        .filter_map(|line| {
            let out = redact_secrets(line);
            (out != *line).then(|| format!("{line}\n    -> {out}"))
        })
        .collect();
    println!(
        "benign.txt: {} of {} lines left unchanged",
        lines.len() - changed.len(),
        lines.len()
    );
    for line in &changed {
        println!("  changed: {line}");
    }
    assert!(
        changed.len() * 100 <= lines.len() * 5,
        "{} of {} ordinary lines changed",
        changed.len(),
        lines.len()
    );
}
