//! The audit log: one JSON line for every request, whatever its outcome, appended with a single
//! `write` on an `O_APPEND` file so that concurrent tasks and processes never interleave lines.
//! A request whose entry cannot be written is not answered (fail closed).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{SecondsFormat, Utc};
use homelab_kit::truncate_bytes;
use homelab_port::{Origin, ToolCall};

use crate::llm::LlmUsage;
use serde::Serialize;

/// Where the log goes when `audit.path` is unset and the system location is writable.
pub const SYSTEM_AUDIT_PATH: &str = "/var/log/homelab-assistant/audit.jsonl";

/// Longest user message or answer kept in an entry; the rest is marked as cut.
const MAX_TEXT_BYTES: usize = 64 * 1024;

/// What became of a request; one type with the adapters' metrics.
pub use homelab_port::Outcome;

/// One line of the audit log.
#[derive(Clone, Debug, Serialize)]
pub struct AuditEntry {
    /// RFC 3339, UTC.
    pub timestamp: String,
    pub conversation_id: Option<String>,
    pub platform: String,
    pub user_id: String,
    pub channel_id: Option<String>,
    /// Both texts are cut to [`MAX_TEXT_BYTES`] when written, however they were set.
    #[serde(serialize_with = "serialize_bounded")]
    pub user_message: String,
    #[serde(serialize_with = "serialize_bounded")]
    pub assistant_response: String,
    pub refused: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal_category: Option<String>,
    pub outcome: Outcome,
    pub tool_calls: Vec<ToolCall>,
    pub latency_ms: u64,
    /// How an LLM was used; absent when none was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmUsage>,
    /// A model answer that claimed a change and was replaced by a refusal, kept for review.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_answer: Option<String>,
}

impl AuditEntry {
    /// An entry stamped now for a request from `origin`.
    pub fn new(origin: &Origin, user_message: &str, outcome: Outcome) -> Self {
        Self {
            timestamp: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            conversation_id: None,
            platform: origin.platform.as_str().to_owned(),
            user_id: origin.user_id.clone(),
            channel_id: origin.channel_id.clone(),
            user_message: user_message.to_owned(),
            assistant_response: String::new(),
            refused: false,
            refusal_category: None,
            outcome,
            tool_calls: Vec::new(),
            latency_ms: 0,
            llm: None,
            model_answer: None,
        }
    }
}

fn serialize_bounded<S: serde::Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
    if text.len() <= MAX_TEXT_BYTES {
        return serializer.serialize_str(text);
    }
    serializer.serialize_str(&format!(
        "{}… [cut, {} bytes in all]",
        truncate_bytes(text, MAX_TEXT_BYTES),
        text.len()
    ))
}

/// Why an entry could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    #[error("cannot open the audit log {path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the audit log {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("short write to the audit log {path}: {written} of {expected} bytes")]
    ShortWrite {
        path: PathBuf,
        written: usize,
        expected: usize,
    },
    #[error("cannot encode an audit entry: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Where audit entries go.
pub trait AuditSink: Send + Sync {
    /// Appends one entry; an error means the entry is not in the log.
    fn record(&self, entry: &AuditEntry) -> Result<(), AuditError>;
    /// Flushes to stable storage, at shutdown.
    fn sync(&self) -> Result<(), AuditError> {
        Ok(())
    }
    /// Human-readable location, for the start-up message.
    fn location(&self) -> String;
}

/// The one way an entry is written, by the orchestrator and the alert watcher alike: its
/// Prometheus figures are counted from the entry itself, then the entry goes to the sink, so the
/// audit log and `/metrics` always agree.
pub struct Auditor {
    sink: Arc<dyn AuditSink>,
}

impl Auditor {
    pub fn new(sink: Arc<dyn AuditSink>) -> Self {
        Self { sink }
    }
}

impl std::fmt::Debug for Auditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auditor")
            .field("sink", &self.sink.location())
            .finish()
    }
}

impl AuditSink for Auditor {
    fn record(&self, entry: &AuditEntry) -> Result<(), AuditError> {
        record_metrics(entry);
        self.sink.record(entry)
    }
    fn sync(&self) -> Result<(), AuditError> {
        self.sink.sync()
    }
    fn location(&self) -> String {
        self.sink.location()
    }
}

/// Prometheus figures for one request, from its audit entry so the two always agree.
fn record_metrics(entry: &AuditEntry) {
    let outcome = serde_json::to_value(entry.outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    metrics::counter!(
        "homelab_requests_total",
        "platform" => entry.platform.clone(),
        "outcome" => outcome
    )
    .increment(1);
    metrics::histogram!("homelab_request_duration_seconds", "platform" => entry.platform.clone())
        .record(entry.latency_ms as f64 / 1000.0);
    for call in &entry.tool_calls {
        let result = if call.ok {
            "ok"
        } else if call.rejected {
            "rejected"
        } else {
            "error"
        };
        metrics::counter!("homelab_tool_calls_total", "tool" => call.name.clone(), "result" => result)
            .increment(1);
    }
    if let Some(category) = &entry.refusal_category {
        metrics::counter!("homelab_refusals_total", "category" => category.clone()).increment(1);
    }
    if let Some(llm) = &entry.llm {
        let provider = llm.provider.clone();
        metrics::counter!("homelab_llm_rounds_total", "provider" => provider.clone())
            .increment(u64::from(llm.rounds));
        metrics::counter!("homelab_llm_tokens_total", "provider" => provider.clone(), "kind" => "prompt")
            .increment(llm.prompt_tokens);
        metrics::counter!("homelab_llm_tokens_total", "provider" => provider.clone(), "kind" => "completion")
            .increment(llm.completion_tokens);
        if llm.degraded {
            metrics::counter!("homelab_llm_unavailable_total", "provider" => provider).increment(1);
        }
    }
}

/// The JSONL file.
#[derive(Debug)]
pub struct JsonlAudit {
    file: File,
    path: PathBuf,
}

impl JsonlAudit {
    /// Opens (creating it and its directory) the file for appending.
    pub fn open(path: &Path) -> Result<Self, AuditError> {
        let open_error = |source| AuditError::Open {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Questions and answers are private: a directory made here is the owner's alone.
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(open_error)?;
        }
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)
            .map_err(open_error)?;
        Ok(Self {
            file,
            path: path.to_owned(),
        })
    }

    /// `audit.path` if set; else the system location when writable; else the user's state dir.
    pub fn open_default(configured: Option<&Path>) -> Result<Self, AuditError> {
        if let Some(path) = configured {
            return Self::open(path);
        }
        match Self::open(Path::new(SYSTEM_AUDIT_PATH)) {
            Ok(audit) => Ok(audit),
            Err(system_error) => match user_state_path() {
                Some(path) => Self::open(&path),
                None => Err(system_error),
            },
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// `$XDG_STATE_HOME/homelab-assistant/audit.jsonl`, defaulting to `~/.local/state`.
fn user_state_path() -> Option<PathBuf> {
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".local/state"))
        })?;
    Some(state.join("homelab-assistant/audit.jsonl"))
}

impl AuditSink for JsonlAudit {
    fn record(&self, entry: &AuditEntry) -> Result<(), AuditError> {
        let mut line = serde_json::to_vec(entry)?;
        line.push(b'\n');
        // One write call per line: with O_APPEND the kernel places it whole at the end, so lines
        // from other tasks or processes cannot land inside it.
        let written = (&self.file)
            .write(&line)
            .map_err(|source| AuditError::Write {
                path: self.path.clone(),
                source,
            })?;
        if written != line.len() {
            return Err(AuditError::ShortWrite {
                path: self.path.clone(),
                written,
                expected: line.len(),
            });
        }
        Ok(())
    }

    fn sync(&self) -> Result<(), AuditError> {
        self.file.sync_data().map_err(|source| AuditError::Write {
            path: self.path.clone(),
            source,
        })
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::names;
    use homelab_port::Platform;
    use std::sync::Arc;

    fn entry(message: &str) -> AuditEntry {
        let origin = Origin::new(Platform::Cli, "alice").with_channel("tty1");
        let mut entry = AuditEntry::new(&origin, message, Outcome::Answered);
        entry.conversation_id = Some("c1".into());
        entry.assistant_response = "fine".into();
        entry.tool_calls.push(ToolCall {
            name: names::CPU_USAGE.into(),
            arguments: serde_json::json!({}),
            ok: true,
            duration_ms: 1,
            error: None,
            rejected: false,
        });
        entry
    }

    #[test]
    fn entries_are_whole_json_lines_with_every_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/audit.jsonl");
        let audit = JsonlAudit::open(&path).unwrap();
        audit.record(&entry("how is the cpu? ünïcödé 🚀")).unwrap();
        audit.record(&entry("second")).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
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
            assert!(first.get(field).is_some(), "missing {field}");
        }
        assert_eq!(first["user_message"], "how is the cpu? ünïcödé 🚀");
        assert_eq!(first["platform"], "cli");
        assert_eq!(first["outcome"], "answered");
        assert_eq!(first["tool_calls"][0]["duration_ms"], 1);
        assert!(chrono::DateTime::parse_from_rfc3339(first["timestamp"].as_str().unwrap()).is_ok());
    }

    #[test]
    fn concurrent_writers_never_interleave() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        // Separate handles, as separate processes would have.
        let writers: Vec<_> = (0..8)
            .map(|_| Arc::new(JsonlAudit::open(&path).unwrap()))
            .collect();
        let big = "x".repeat(50_000);
        std::thread::scope(|scope| {
            for writer in &writers {
                let big = &big;
                scope.spawn(move || {
                    for _ in 0..25 {
                        writer.record(&entry(big)).unwrap();
                    }
                });
            }
        });
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 200);
        for line in lines {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(value["user_message"].as_str().unwrap().len(), 50_000);
        }
    }

    #[test]
    fn huge_texts_are_bounded() {
        let huge = "é".repeat(MAX_TEXT_BYTES);
        let mut entry = entry(&huge);
        entry.assistant_response = huge.clone();
        let value = serde_json::to_value(&entry).unwrap();
        for field in ["user_message", "assistant_response"] {
            let text = value[field].as_str().unwrap();
            assert!(text.len() < MAX_TEXT_BYTES + 100, "{field}");
            assert!(text.ends_with("bytes in all]"), "{field}");
        }
    }

    #[test]
    fn a_new_log_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("made/here/audit.jsonl");
        JsonlAudit::open(&path).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(mode(&dir.path().join("made")), 0o700);
    }

    #[test]
    fn an_unwritable_location_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let err = JsonlAudit::open(&blocker.join("audit.jsonl")).unwrap_err();
        assert!(err.to_string().contains("cannot open the audit log"));
    }
}
