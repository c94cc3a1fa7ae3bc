//! A loopback fake of an OpenAI-compatible chat-completions API. It validates every request as
//! strictly as the real API does (bearer auth, model, messages, tool_call_id answering an earlier
//! call, arguments as a JSON string, tool schemas) and answers from a script, so tests can make a
//! model call tools, misbehave, rate-limit, fail, hang or send garbage.

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

/// One scripted reply.
#[derive(Clone, Debug)]
#[allow(dead_code)] // Each test binary uses a different subset.
pub enum Scripted {
    /// The model calls these tools: (id, name, arguments as sent — a JSON string).
    ToolCalls(Vec<(&'static str, &'static str, &'static str)>),
    /// The model answers with text.
    Text(&'static str),
    /// An HTTP error status, with an optional `Retry-After` in seconds.
    Status(u16, Option<u64>),
    /// Never answers.
    Hang,
    /// 200 with a body that is not JSON.
    Garbage,
}

#[derive(Default)]
struct Inner {
    script: VecDeque<Scripted>,
    requests: Vec<Value>,
    rejections: Vec<String>,
}

/// A running fake; stops when dropped.
pub struct FakeLlm {
    pub addr: SocketAddr,
    pub key: String,
    inner: Arc<Mutex<Inner>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Clone)]
struct AppState {
    inner: Arc<Mutex<Inner>>,
    key: String,
}

#[allow(dead_code)]
impl FakeLlm {
    pub async fn start(script: Vec<Scripted>) -> Self {
        let key = "sk-test-fake-key-0123456789".to_owned();
        let inner = Arc::new(Mutex::new(Inner {
            script: script.into(),
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/v1/chat/completions", post(completions))
            .with_state(AppState {
                inner: inner.clone(),
                key: key.clone(),
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            addr,
            key,
            inner,
            task,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Every request body received, valid or not.
    pub fn requests(&self) -> Vec<Value> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// Why requests were rejected as invalid; a correct client causes none.
    pub fn rejections(&self) -> Vec<String> {
        self.inner.lock().unwrap().rejections.clone()
    }
}

fn error(status: StatusCode, message: String) -> Response {
    (
        status,
        axum::Json(json!({"error": {"message": message, "type": "invalid_request_error"}})),
    )
        .into_response()
}

async fn completions(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let parsed: Result<Value, String> = serde_json::from_slice(&body).map_err(|e| e.to_string());
    let validation = match &parsed {
        Ok(body) => validate(&headers, body, &state.key),
        Err(e) => Err((StatusCode::BAD_REQUEST, format!("body is not JSON: {e}"))),
    };
    let next = {
        let mut inner = state.inner.lock().unwrap();
        inner.requests.push(parsed.clone().unwrap_or(Value::Null));
        if let Err((_, reason)) = &validation {
            inner.rejections.push(reason.clone());
        }
        match &validation {
            Ok(()) => inner.script.pop_front(),
            Err(_) => None,
        }
    };
    if let Err((status, reason)) = validation {
        return error(status, reason);
    }
    let body = parsed.unwrap_or(Value::Null);
    let model = body["model"].as_str().unwrap_or_default().to_owned();
    let prompt_tokens = (serde_json::to_string(&body).unwrap_or_default().len() / 4) as u64;
    match next {
        None => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the script ran out".to_owned(),
        ),
        Some(Scripted::Status(code, retry_after)) => {
            let mut response = error(
                StatusCode::from_u16(code).unwrap(),
                format!("scripted {code}; upstream secret sk-live-should-never-leak"),
            );
            if let Some(secs) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, secs.to_string().parse().unwrap());
            }
            response
        }
        Some(Scripted::Hang) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            error(StatusCode::GATEWAY_TIMEOUT, "late".to_owned())
        }
        Some(Scripted::Garbage) => (StatusCode::OK, "<html>oops</html>").into_response(),
        Some(Scripted::Text(text)) => completion(
            &model,
            json!({"role": "assistant", "content": text}),
            "stop",
            prompt_tokens,
        ),
        Some(Scripted::ToolCalls(calls)) => {
            let calls: Vec<Value> = calls
                .iter()
                .map(|(id, name, arguments)| {
                    json!({"id": id, "type": "function",
                           "function": {"name": name, "arguments": arguments}})
                })
                .collect();
            completion(
                &model,
                json!({"role": "assistant", "content": null, "tool_calls": calls}),
                "tool_calls",
                prompt_tokens,
            )
        }
    }
}

fn completion(model: &str, message: Value, finish: &str, prompt_tokens: u64) -> Response {
    axum::Json(json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 7,
                  "total_tokens": prompt_tokens + 7}
    }))
    .into_response()
}

const ALLOWED_FIELDS: &[&str] = &[
    "model",
    "messages",
    "tools",
    "tool_choice",
    "max_tokens",
    "temperature",
    "top_p",
    "stream",
    "stop",
    "seed",
    "user",
    "parallel_tool_calls",
    "response_format",
    "n",
];

fn validate(headers: &HeaderMap, body: &Value, key: &str) -> Result<(), (StatusCode, String)> {
    let bad = |message: String| Err((StatusCode::BAD_REQUEST, message));
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if auth != format!("Bearer {key}") {
        return Err((StatusCode::UNAUTHORIZED, "Invalid API Key".to_owned()));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/json") {
        return bad(format!(
            "content-type must be application/json, not `{content_type}`"
        ));
    }
    let Some(object) = body.as_object() else {
        return bad("body must be an object".to_owned());
    };
    for field in object.keys() {
        if !ALLOWED_FIELDS.contains(&field.as_str()) {
            return bad(format!("Unrecognized request argument supplied: {field}"));
        }
    }
    if body["model"].as_str().is_none_or(str::is_empty) {
        return bad("`model` must be a non-empty string".to_owned());
    }
    if let Some(max) = body.get("max_tokens")
        && max.as_u64().is_none_or(|m| m == 0)
    {
        return bad("`max_tokens` must be a positive integer".to_owned());
    }
    let tools = body.get("tools");
    if let Some(tools) = tools {
        let Some(tools) = tools.as_array().filter(|t| !t.is_empty()) else {
            return bad("`tools` must be a non-empty array".to_owned());
        };
        for tool in tools {
            let name = tool["function"]["name"].as_str().unwrap_or_default();
            if tool["type"] != "function"
                || name.is_empty()
                || name.len() > 64
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                || tool["function"]["parameters"]["type"] != "object"
            {
                return bad(format!("invalid tool definition: {tool}"));
            }
        }
    }
    if let Some(choice) = body.get("tool_choice") {
        if tools.is_none() {
            return bad("`tool_choice` is only allowed when `tools` are given".to_owned());
        }
        if !(choice.is_object() || matches!(choice.as_str(), Some("auto" | "none" | "required"))) {
            return bad(format!("invalid tool_choice {choice}"));
        }
    }
    let Some(messages) = body["messages"].as_array().filter(|m| !m.is_empty()) else {
        return bad("`messages` must be a non-empty array".to_owned());
    };
    let mut pending: HashSet<String> = HashSet::new();
    let mut answered: HashSet<String> = HashSet::new();
    for (i, message) in messages.iter().enumerate() {
        let role = message["role"].as_str().unwrap_or_default();
        let content = &message["content"];
        match role {
            "system" | "user" => {
                if !content.is_string() {
                    return bad(format!("messages[{i}].content must be a string"));
                }
                if !pending.is_empty() {
                    return bad(format!(
                        "messages[{i}]: tool calls {pending:?} must be answered by tool messages first"
                    ));
                }
            }
            "assistant" => {
                if !pending.is_empty() {
                    return bad(format!(
                        "messages[{i}]: tool calls {pending:?} were not answered"
                    ));
                }
                let calls = message.get("tool_calls");
                if content.is_null() && calls.is_none() {
                    return bad(format!(
                        "messages[{i}]: assistant needs content or tool_calls"
                    ));
                }
                if let Some(calls) = calls {
                    for call in calls.as_array().into_iter().flatten() {
                        let id = call["id"].as_str().unwrap_or_default();
                        if id.is_empty() || call["type"] != "function" {
                            return bad(format!("messages[{i}]: invalid tool call {call}"));
                        }
                        if !call["function"]["arguments"].is_string() {
                            return bad(format!(
                                "messages[{i}]: function.arguments must be a JSON string"
                            ));
                        }
                        pending.insert(id.to_owned());
                    }
                }
            }
            "tool" => {
                let id = message["tool_call_id"].as_str().unwrap_or_default();
                if !pending.remove(id) {
                    return bad(format!(
                        "messages[{i}]: tool_call_id `{id}` does not answer an earlier tool call"
                    ));
                }
                if answered.contains(id) || !content.is_string() {
                    return bad(format!("messages[{i}]: bad tool message"));
                }
                answered.insert(id.to_owned());
            }
            other => return bad(format!("messages[{i}]: unknown role `{other}`")),
        }
    }
    if !pending.is_empty() {
        return bad(format!("tool calls {pending:?} were not answered"));
    }
    if messages.last().map(|m| m["role"].as_str()) == Some(Some("assistant")) {
        return bad("the last message must not be the assistant's".to_owned());
    }
    Ok(())
}
