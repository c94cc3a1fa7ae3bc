//! The one client for every OpenAI-compatible chat-completions API (Groq, OpenAI, Ollama,
//! llama.cpp, vLLM, LM Studio): the wire types, bounded timeouts, and retries with backoff on the
//! failures that retrying can fix. Nothing from an upstream error body is passed on.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::time::Instant;

use super::LlmError;
use crate::secret::Secret;

/// Attempts per chat-completion call, the first included.
pub const MAX_ATTEMPTS: u32 = 3;
/// Longest the client waits for a TCP/TLS connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// First backoff; doubled per retry, with jitter.
const BASE_BACKOFF: Duration = Duration::from_millis(400);
/// Longest a `Retry-After` is honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(20);
/// Largest response body accepted.
const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// One message of a conversation, as the API takes it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: String,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<WireToolCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    pub fn system(text: impl Into<String>) -> Self {
        Self::text("system", text)
    }
    pub fn user(text: impl Into<String>) -> Self {
        Self::text("user", text)
    }
    pub fn assistant(text: impl Into<String>) -> Self {
        Self::text("assistant", text)
    }
    pub fn tool(call_id: &str, text: String) -> Self {
        Self {
            role: "tool".to_owned(),
            content: Some(text),
            tool_calls: Vec::new(),
            tool_call_id: Some(call_id.to_owned()),
        }
    }
    fn text(role: &str, text: impl Into<String>) -> Self {
        Self {
            role: role.to_owned(),
            content: Some(text.into()),
            ..Self::default()
        }
    }
}

/// A tool call as the API spells it: `arguments` is a JSON *string*.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WireToolCall {
    pub id: String,
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    pub function: FunctionCall,
}

fn function_type() -> String {
    "function".to_owned()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    pub name: String,
    /// Some local servers send an object instead of a string; both are accepted on the way in,
    /// and a string always goes out.
    #[serde(deserialize_with = "arguments_as_string")]
    pub arguments: String,
}

fn arguments_as_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(text) => text,
        Value::Null => "{}".to_owned(),
        other => other.to_string(),
    })
}

/// A tool offered to the model.
#[derive(Clone, Debug, Serialize)]
pub struct ToolSpec {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: FunctionSpec,
}

#[derive(Clone, Debug, Serialize)]
pub struct FunctionSpec {
    pub name: String,
    pub description: String,
    pub parameters: Value,
}

impl ToolSpec {
    pub fn new(name: &str, description: &str, parameters: Value) -> Self {
        Self {
            kind: "function",
            function: FunctionSpec {
                name: name.to_owned(),
                description: description.to_owned(),
                parameters,
            },
        }
    }
}

#[derive(Debug, Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: &'a [Message],
    #[serde(skip_serializing_if = "<[ToolSpec]>::is_empty")]
    tools: &'a [ToolSpec],
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<&'a str>,
    max_tokens: u32,
    temperature: f32,
}

#[derive(Debug, Deserialize)]
struct ChatResponse {
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    message: ResponseMessage,
}

#[derive(Debug, Deserialize)]
struct ResponseMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<WireToolCall>>,
}

/// Token use reported by the API.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
}

/// What one completion returned.
#[derive(Clone, Debug, PartialEq)]
pub struct Completion {
    pub content: Option<String>,
    pub tool_calls: Vec<WireToolCall>,
    pub usage: Usage,
}

/// Where and how to call.
#[derive(Clone, Debug)]
pub struct ClientSettings {
    /// Base URL ending before `/chat/completions`, e.g. `https://api.groq.com/openai/v1`.
    pub base_url: String,
    pub model: String,
    pub api_key: Option<Secret>,
    pub max_tokens: u32,
}

/// An OpenAI-compatible chat-completions client.
#[derive(Clone, Debug)]
pub struct OpenAiClient {
    http: reqwest::Client,
    settings: ClientSettings,
    endpoint: String,
}

impl OpenAiClient {
    pub fn new(settings: ClientSettings) -> Result<Self, LlmError> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("homelab-assistant/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| LlmError::Unreachable(format!("cannot build the HTTP client: {e}")))?;
        let endpoint = format!(
            "{}/chat/completions",
            settings.base_url.trim_end_matches('/')
        );
        Ok(Self {
            http,
            settings,
            endpoint,
        })
    }

    pub fn model(&self) -> &str {
        &self.settings.model
    }

    /// One chat completion, retried on 429, 5xx and connection errors, never past `deadline`.
    pub async fn complete(
        &self,
        messages: &[Message],
        tools: &[ToolSpec],
        tool_choice: Option<&str>,
        deadline: Instant,
    ) -> Result<Completion, LlmError> {
        let body = serde_json::to_vec(&ChatRequest {
            model: &self.settings.model,
            messages,
            tools,
            tool_choice: if tools.is_empty() { None } else { tool_choice },
            max_tokens: self.settings.max_tokens,
            temperature: 0.2,
        })
        .map_err(|e| LlmError::Malformed(format!("cannot encode the request: {e}")))?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(LlmError::Unreachable("timed out".to_owned()));
            }
            let failure = match self.attempt(&body, remaining).await {
                Ok(completion) => return Ok(completion),
                Err(failure) => failure,
            };
            let wait = match &failure {
                Failure::Retryable { retry_after, .. } if attempt < MAX_ATTEMPTS => {
                    retry_after.unwrap_or_else(|| backoff(attempt))
                }
                _ => return Err(failure.into_error()),
            };
            if Instant::now() + wait >= deadline {
                return Err(failure.into_error());
            }
            tracing::warn!(
                attempt,
                wait_ms = wait.as_millis() as u64,
                "LLM call failed; retrying: {}",
                failure.summary()
            );
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self, body: &[u8], timeout: Duration) -> Result<Completion, Failure> {
        let mut request = self
            .http
            .post(&self.endpoint)
            .timeout(timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        if let Some(key) = &self.settings.api_key {
            request = request.bearer_auth(key.expose());
        }
        let response = request.send().await.map_err(|e| Failure::Retryable {
            summary: describe_transport_error(&e),
            retry_after: None,
        })?;
        let status = response.status();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|secs| Duration::from_secs(secs).min(MAX_RETRY_AFTER));
            return Err(Failure::Retryable {
                summary: format!("HTTP {status}"),
                retry_after,
            });
        }
        if !status.is_success() {
            // The body may echo the key or the prompt; only the status is kept.
            return Err(Failure::Fatal(LlmError::Upstream(format!("HTTP {status}"))));
        }
        let bytes = response.bytes().await.map_err(|e| Failure::Retryable {
            summary: describe_transport_error(&e),
            retry_after: None,
        })?;
        if bytes.len() > MAX_RESPONSE_BYTES {
            return Err(Failure::Fatal(LlmError::Malformed(format!(
                "response of {} bytes is too large",
                bytes.len()
            ))));
        }
        let parsed: ChatResponse = serde_json::from_slice(&bytes).map_err(|e| {
            Failure::Fatal(LlmError::Malformed(format!("not a chat completion: {e}")))
        })?;
        let choice = parsed.choices.into_iter().next().ok_or_else(|| {
            Failure::Fatal(LlmError::Malformed("no choices in the response".to_owned()))
        })?;
        Ok(Completion {
            content: choice.message.content,
            tool_calls: choice.message.tool_calls.unwrap_or_default(),
            usage: parsed.usage.unwrap_or_default(),
        })
    }
}

enum Failure {
    Retryable {
        summary: String,
        retry_after: Option<Duration>,
    },
    Fatal(LlmError),
}

impl Failure {
    fn summary(&self) -> String {
        match self {
            Failure::Retryable { summary, .. } => summary.clone(),
            Failure::Fatal(error) => error.to_string(),
        }
    }

    fn into_error(self) -> LlmError {
        match self {
            Failure::Retryable { summary, .. } => LlmError::Unreachable(summary),
            Failure::Fatal(error) => error,
        }
    }
}

/// Exponential backoff with full jitter: a random wait up to `base * 2^(attempt-1)`.
fn backoff(attempt: u32) -> Duration {
    let ceiling = BASE_BACKOFF.saturating_mul(1 << (attempt.saturating_sub(1)).min(6));
    ceiling.mul_f64(0.5 + fastrand::f64() * 0.5)
}

fn describe_transport_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "connection failed".to_owned()
    } else {
        "transport error".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::names;

    #[test]
    fn arguments_are_strings_on_the_wire() {
        let call: WireToolCall = serde_json::from_value(serde_json::json!({
            "id": "c1", "type": "function",
            "function": {"name": names::CPU_USAGE, "arguments": {"per_core": true}}
        }))
        .unwrap();
        assert_eq!(call.function.arguments, r#"{"per_core":true}"#);
        let out = serde_json::to_value(&call).unwrap();
        assert!(out["function"]["arguments"].is_string());
    }

    #[test]
    fn backoff_grows_and_jitters() {
        for attempt in 1..=3 {
            let wait = backoff(attempt);
            let ceiling = BASE_BACKOFF * (1 << (attempt - 1));
            assert!(wait <= ceiling && wait >= ceiling / 2, "{wait:?}");
        }
    }
}
