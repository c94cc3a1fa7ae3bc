//! The read-only tools the assistant answers from, and the registry that is the only way to run
//! one: it checks the name and the arguments against the tool's schema before anything runs, times
//! the call and bounds it, so an LLM's or a user's mistake becomes a clear error, never an action.

pub mod docker;
pub mod format;
pub mod names;
pub mod prometheus;
pub mod redact;
pub mod sampler;
pub mod single_flight;
pub mod system;
pub mod truenas;
pub mod ups;
pub mod zfs;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::FutureExt;
use homelab_port::ToolCall;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use self::single_flight::SingleFlight;

/// What a tool returns: compact structured data (for LLMs and `--json`) and a Markdown rendering
/// with the real figures (for the offline answerer and direct commands).
#[derive(Clone, Debug, PartialEq)]
pub struct ToolOutput {
    pub data: Value,
    pub text: String,
}

impl ToolOutput {
    /// The output with every secret in its text and data replaced by `[REDACTED]`.
    pub fn redacted(mut self) -> Self {
        if let std::borrow::Cow::Owned(text) = redact::redact_secrets(&self.text) {
            self.text = text;
        }
        redact::redact_json(&mut self.data);
        self
    }
}

/// Why a tool call did not produce an output. Every message is safe to show to the asker.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    #[error("unknown tool `{0}`")]
    UnknownTool(String),
    #[error("invalid arguments: {0}")]
    InvalidArguments(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("timed out after {0} s")]
    TimedOut(u64),
}

impl ToolError {
    /// The error with any secret an upstream message carried replaced by `[REDACTED]`.
    pub fn redacted(self) -> Self {
        let clean = |text: String| redact::redact_secrets(&text).into_owned();
        match self {
            ToolError::UnknownTool(text) => ToolError::UnknownTool(clean(text)),
            ToolError::InvalidArguments(text) => ToolError::InvalidArguments(clean(text)),
            ToolError::NotFound(text) => ToolError::NotFound(clean(text)),
            ToolError::Unavailable(text) => ToolError::Unavailable(clean(text)),
            other => other,
        }
    }
}

/// One read-only tool. There is deliberately no way to express a tool that changes anything.
#[async_trait]
pub trait Tool: Send + Sync {
    /// Unique, snake_case; what an LLM calls.
    fn name(&self) -> &'static str;
    /// One or two sentences telling an LLM when to use it.
    fn description(&self) -> &'static str;
    /// JSON Schema of the arguments object.
    fn parameters(&self) -> Value;
    /// Runs with arguments already known to be a JSON object.
    async fn run(&self, arguments: Value) -> Result<ToolOutput, ToolError>;
    /// How long a result may be served again to an identical call (a list, a second); zero for
    /// figures that must be live. Concurrent identical calls share one run either way.
    fn freshness(&self) -> Duration {
        Duration::ZERO
    }
    /// The names of the things it answers about that a question may use ("pi", "nas"), for the
    /// router to recognise; cheap, cached by the tool. Empty for most tools.
    async fn subject_names(&self) -> Vec<String> {
        Vec::new()
    }
}

/// A tool written against its own argument type: the schema an LLM sees is derived from that
/// type, and arguments are parsed into it (unknown fields and wrong types are errors) before the
/// tool's code runs. Every tool of the assistant is one; the blanket impl makes it a [`Tool`].
#[async_trait]
pub trait TypedTool: Send + Sync + 'static {
    /// The tool's name, from [`names`].
    const NAME: &'static str;
    /// The arguments object; `#[serde(deny_unknown_fields)]` so a misspelt argument is refused.
    type Args: DeserializeOwned + JsonSchema + Send;
    /// One or two sentences telling an LLM when to use it.
    fn description(&self) -> &'static str;
    /// Runs with arguments that already parsed.
    async fn run(&self, args: Self::Args) -> Result<ToolOutput, ToolError>;
    /// See [`Tool::freshness`].
    fn freshness(&self) -> Duration {
        Duration::ZERO
    }
    /// See [`Tool::subject_names`].
    async fn subject_names(&self) -> Vec<String> {
        Vec::new()
    }
}

#[async_trait]
impl<T: TypedTool> Tool for T {
    fn name(&self) -> &'static str {
        T::NAME
    }
    fn description(&self) -> &'static str {
        TypedTool::description(self)
    }
    fn parameters(&self) -> Value {
        schema_for::<T::Args>()
    }
    async fn run(&self, arguments: Value) -> Result<ToolOutput, ToolError> {
        let args = parse_arguments::<T::Args>(arguments)?;
        TypedTool::run(self, args).await
    }
    fn freshness(&self) -> Duration {
        TypedTool::freshness(self)
    }
    async fn subject_names(&self) -> Vec<String> {
        TypedTool::subject_names(self).await
    }
}

/// The outcome of one call through the registry, with what the audit log needs.
#[derive(Clone, Debug)]
pub struct CallOutcome {
    pub record: ToolCall,
    pub result: Result<ToolOutput, ToolError>,
}

/// The set of enabled tools, in a stable order.
#[derive(Clone)]
pub struct ToolRegistry {
    tools: BTreeMap<&'static str, Arc<dyn Tool>>,
    timeout: Duration,
    flights: Arc<SingleFlight>,
}

impl std::fmt::Debug for ToolRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolRegistry")
            .field("tools", &self.tools.keys().collect::<Vec<_>>())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl ToolRegistry {
    pub fn new(timeout: Duration) -> Self {
        Self {
            tools: BTreeMap::new(),
            timeout,
            flights: Arc::default(),
        }
    }

    /// Adds a tool; a second tool of the same name replaces the first.
    pub fn register(&mut self, tool: Arc<dyn Tool>) {
        self.tools.insert(tool.name(), tool);
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Tool>> {
        self.tools.get(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.tools.contains_key(name)
    }

    pub fn tools(&self) -> impl Iterator<Item = &Arc<dyn Tool>> {
        self.tools.values()
    }

    /// Validates and runs one call. Arguments that are absent or `null` mean `{}`.
    pub async fn call(&self, name: &str, arguments: Value) -> CallOutcome {
        let started = Instant::now();
        let arguments = match arguments {
            Value::Null => Value::Object(Default::default()),
            other => other,
        };
        let result = match self.tools.get(name) {
            None => Err(ToolError::UnknownTool(
                redact::redact_line(name).into_owned(),
            )),
            Some(_) if !arguments.is_object() => Err(ToolError::InvalidArguments(
                "arguments must be a JSON object".to_owned(),
            )),
            Some(tool) => {
                // Identical concurrent calls share one run (serde_json orders object keys, so
                // the arguments' text is canonical).
                let key = format!("{name}\u{1f}{arguments}");
                let (tool, arguments, timeout) = (tool.clone(), arguments.clone(), self.timeout);
                self.flights
                    .run(key, tool.freshness(), move || {
                        async move {
                            let result =
                                match tokio::time::timeout(timeout, tool.run(arguments)).await {
                                    Ok(result) => result,
                                    Err(_) => Err(ToolError::TimedOut(timeout.as_secs())),
                                };
                            // The one place tool output is redacted: the reply, the audit entry
                            // and the LLM request are all made from what leaves here.
                            result
                                .map(ToolOutput::redacted)
                                .map_err(ToolError::redacted)
                        }
                        .boxed()
                    })
                    .await
            }
        };
        CallOutcome {
            record: ToolCall {
                name: name.to_owned(),
                arguments,
                ok: result.is_ok(),
                duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                error: result.as_ref().err().map(ToString::to_string),
                rejected: matches!(
                    result,
                    Err(ToolError::UnknownTool(_) | ToolError::InvalidArguments(_))
                ),
            },
            result,
        }
    }
}

/// Parses a tool's arguments into its typed form; unknown fields and wrong types are errors.
pub fn parse_arguments<T: DeserializeOwned>(arguments: Value) -> Result<T, ToolError> {
    serde_json::from_value(arguments).map_err(|e| ToolError::InvalidArguments(e.to_string()))
}

/// The JSON Schema of an arguments type, in the plain form LLM APIs accept.
pub fn schema_for<T: JsonSchema>() -> Value {
    let mut schema = schemars::SchemaGenerator::default()
        .into_root_schema_for::<T>()
        .to_value();
    if let Value::Object(map) = &mut schema {
        map.remove("$schema");
        map.remove("title");
        map.entry("properties")
            .or_insert_with(|| Value::Object(Default::default()));
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct EchoArgs {
        /// What to echo.
        word: String,
        #[serde(default)]
        times: Option<u8>,
    }

    struct Echo;

    #[async_trait]
    impl Tool for Echo {
        fn name(&self) -> &'static str {
            "echo"
        }
        fn description(&self) -> &'static str {
            "Echoes a word."
        }
        fn parameters(&self) -> Value {
            schema_for::<EchoArgs>()
        }
        async fn run(&self, arguments: Value) -> Result<ToolOutput, ToolError> {
            let args: EchoArgs = parse_arguments(arguments)?;
            let text = args.word.repeat(usize::from(args.times.unwrap_or(1)));
            Ok(ToolOutput {
                data: Value::String(text.clone()),
                text,
            })
        }
    }

    struct Slow;

    #[async_trait]
    impl Tool for Slow {
        fn name(&self) -> &'static str {
            "slow"
        }
        fn description(&self) -> &'static str {
            "Never answers in time."
        }
        fn parameters(&self) -> Value {
            serde_json::json!({"type": "object", "properties": {}})
        }
        async fn run(&self, _: Value) -> Result<ToolOutput, ToolError> {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Err(ToolError::Unavailable("unreachable".into()))
        }
    }

    fn registry() -> ToolRegistry {
        let mut registry = ToolRegistry::new(Duration::from_secs(5));
        registry.register(Arc::new(Echo));
        registry.register(Arc::new(Slow));
        registry
    }

    #[tokio::test]
    async fn valid_calls_run() {
        let outcome = registry()
            .call("echo", serde_json::json!({"word": "ab", "times": 2}))
            .await;
        assert!(outcome.record.ok);
        assert_eq!(outcome.result.unwrap().text, "abab");
    }

    #[tokio::test]
    async fn invalid_calls_never_run() {
        let registry = registry();
        for (name, args, expected) in [
            ("nope", serde_json::json!({}), "unknown tool"),
            ("echo", serde_json::json!([1]), "JSON object"),
            ("echo", serde_json::json!("word"), "JSON object"),
            ("echo", serde_json::json!({"word": 3}), "invalid type"),
            (
                "echo",
                serde_json::json!({"word": "a", "rm": true}),
                "unknown field",
            ),
            (
                "echo",
                serde_json::json!({"word": "a", "times": 999}),
                "invalid value",
            ),
        ] {
            let outcome = registry.call(name, args).await;
            assert!(!outcome.record.ok, "{name} should fail");
            assert!(
                outcome.record.rejected,
                "{name} should be rejected, not run"
            );
            let error = outcome.record.error.unwrap();
            assert!(error.contains(expected), "{error} lacks {expected}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn slow_tools_time_out() {
        let outcome = registry().call("slow", Value::Null).await;
        assert_eq!(outcome.result.unwrap_err(), ToolError::TimedOut(5));
        assert_eq!(outcome.record.arguments, serde_json::json!({}));
    }

    #[test]
    fn schemas_are_plain_objects() {
        let schema = schema_for::<EchoArgs>();
        assert_eq!(schema["type"], "object");
        assert!(schema.get("$schema").is_none());
        assert_eq!(schema["properties"]["word"]["type"], "string");
        assert_eq!(schema["required"], serde_json::json!(["word"]));
    }
}
