//! What the model reads, made small, because every byte is paid for on each call: tool schemas
//! without what their names already say, and one terse form of each tool result, the figures
//! the offline answer shows with their units, with long lists and log tails capped.

use serde_json::{Map, Value, json};

use crate::tools::{ToolError, ToolOutput, names};

/// Items of a list sent to the model; the rest is counted ("… and 12 more").
pub const LIST_ITEMS: usize = 20;
/// Log lines sent to the model unless the question asked for a count.
pub const LOG_LINES: usize = 20;
/// Bytes of one log line sent to the model.
pub const LOG_LINE_BYTES: usize = 200;

/// Parameters whose name, type and enum say all a model needs: their descriptions are dropped.
const SELF_EXPLANATORY: &[&str] = &[
    "all",
    "by",
    "host",
    "interface",
    "limit",
    "lines",
    "name",
    "per_core",
    "sort_by",
    "state",
];

/// A tool's JSON Schema as the model is sent it: an object of typed properties, optional ones
/// without `null` variants or defaults, enums inlined from `$defs`, descriptions only where
/// the name does not say it, and bounds kept.
pub fn schema(parameters: &Value) -> Value {
    let definitions = parameters.get("$defs").cloned().unwrap_or(Value::Null);
    let mut properties = Map::new();
    for (name, property) in parameters["properties"].as_object().into_iter().flatten() {
        let mut compact = Map::new();
        let values = enum_values(property, &definitions);
        if !values.is_empty() {
            compact.insert("type".to_owned(), json!("string"));
            compact.insert("enum".to_owned(), Value::Array(values));
        } else if let Some(kind) = plain_type(property) {
            compact.insert("type".to_owned(), json!(kind));
        }
        for bound in ["minimum", "maximum"] {
            if let Some(value) = property.get(bound) {
                compact.insert(bound.to_owned(), value.clone());
            }
        }
        if !SELF_EXPLANATORY.contains(&name.as_str())
            && let Some(description) = property["description"].as_str()
        {
            compact.insert("description".to_owned(), json!(description));
        }
        properties.insert(name.clone(), Value::Object(compact));
    }
    let mut compact = Map::new();
    compact.insert("type".to_owned(), json!("object"));
    compact.insert("properties".to_owned(), Value::Object(properties));
    if let Some(required) = parameters
        .get("required")
        .filter(|r| r.as_array().is_some_and(|r| !r.is_empty()))
    {
        compact.insert("required".to_owned(), required.clone());
    }
    Value::Object(compact)
}

/// `"string"` from `"string"` or `["string", "null"]`.
fn plain_type(property: &Value) -> Option<&str> {
    match &property["type"] {
        Value::String(kind) => Some(kind),
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|kind| *kind != "null"),
        _ => None,
    }
}

/// Every value an enum property allows, following `$ref`, `anyOf`, `oneOf` and `const`.
fn enum_values(property: &Value, definitions: &Value) -> Vec<Value> {
    let mut values = Vec::new();
    collect_enum(property, definitions, &mut values, 0);
    values
}

fn collect_enum(schema: &Value, definitions: &Value, values: &mut Vec<Value>, depth: u8) {
    if depth > 4 {
        return;
    }
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or_default();
        collect_enum(&definitions[name], definitions, values, depth + 1);
    }
    if let Some(listed) = schema["enum"].as_array() {
        values.extend(listed.iter().filter(|v| !v.is_null()).cloned());
    }
    if let Some(constant) = schema.get("const").filter(|c| !c.is_null()) {
        values.push(constant.clone());
    }
    for key in ["anyOf", "oneOf"] {
        for variant in schema[key].as_array().into_iter().flatten() {
            collect_enum(variant, definitions, values, depth + 1);
        }
    }
}

/// The one form of a tool's result the model is sent: the rendering the offline answer shows
/// (so it carries the same figures and units) without Markdown emphasis, with lists cut to
/// [`LIST_ITEMS`] (or the count asked for) and log tails to [`LOG_LINES`] lines (or the count
/// asked for) of at most [`LOG_LINE_BYTES`] bytes each.
pub fn tool_result(
    name: &str,
    arguments: &Value,
    result: &Result<ToolOutput, ToolError>,
) -> String {
    let output = match result {
        Ok(output) => output,
        Err(error) => return format!("error: {error}"),
    };
    if output.text.trim().is_empty() {
        return serde_json::to_string(&output.data).unwrap_or_else(|_| "null".to_owned());
    }
    let text = output.text.trim().replace("**", "");
    let asked = |key: &str| {
        arguments[key]
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
    };
    if name == names::CONTAINER_LOGS {
        cap_log_tail(&text, asked("lines").unwrap_or(LOG_LINES).max(1))
    } else {
        cap_lists(&text, asked("limit").unwrap_or(LIST_ITEMS).max(LIST_ITEMS))
    }
}

/// Every result a routed question gathered, in the form the model is sent, one after another.
pub fn gathered_results(gathered: &crate::router::Gathered) -> String {
    gathered
        .planned
        .iter()
        .zip(&gathered.outcomes)
        .map(|(p, o)| tool_result(p.tool, &p.arguments, &o.result))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Inside each fenced block, the newest `keep` lines, each cut to [`LOG_LINE_BYTES`].
fn cap_log_tail(text: &str, keep: usize) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut block: Option<Vec<&str>> = None;
    for line in text.lines() {
        let fence = line.trim_start().starts_with("```");
        match (&mut block, fence) {
            (None, true) => {
                out.push(line.to_owned());
                block = Some(Vec::new());
            }
            (Some(lines), true) => {
                let skipped = lines.len().saturating_sub(keep);
                if skipped > 0 {
                    out.push(format!("[{skipped} older lines not sent]"));
                }
                for kept in &lines[skipped..] {
                    out.push(cut_line(kept));
                }
                out.push(line.to_owned());
                block = None;
            }
            (Some(lines), false) => lines.push(line),
            (None, false) => out.push(line.to_owned()),
        }
    }
    // An unterminated block still gets its newest lines.
    if let Some(lines) = block {
        let skipped = lines.len().saturating_sub(keep);
        out.extend(lines[skipped..].iter().map(|l| cut_line(l)));
    }
    out.join("\n")
}

fn cut_line(line: &str) -> String {
    if line.len() <= LOG_LINE_BYTES {
        return line.to_owned();
    }
    format!("{}…", homelab_kit::truncate_bytes(line, LOG_LINE_BYTES))
}

/// Each run of `- ` items cut to `keep`, with the rest counted.
fn cap_lists(text: &str, keep: usize) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut run = 0;
    let mut dropped = 0;
    for line in text.lines() {
        let item = line.starts_with("- ");
        let continuation = line.starts_with("  ") && run > 0;
        if item {
            run += 1;
        } else if !continuation {
            if dropped > 0 {
                out.push(format!("- … and {dropped} more"));
            }
            run = 0;
            dropped = 0;
        }
        if run > keep {
            dropped += usize::from(item);
            continue;
        }
        out.push(line.to_owned());
    }
    if dropped > 0 {
        out.push(format!("- … and {dropped} more"));
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Result<ToolOutput, ToolError> {
        Ok(ToolOutput {
            data: json!({"unused": true}),
            text: text.to_owned(),
        })
    }

    #[test]
    fn schemas_keep_types_enums_bounds_and_required_only() {
        let full = json!({
            "$defs": {"Order": {"description": "How.", "enum": ["cpu", "memory"], "type": "string"},
                      "State": {"oneOf": [{"enum": ["running", "exited"], "type": "string"},
                                          {"const": "stopped", "description": "Exited or dead."}]}},
            "additionalProperties": false,
            "description": "Arguments of `x`.",
            "properties": {
                "by": {"anyOf": [{"$ref": "#/$defs/Order"}, {"type": "null"}], "description": "Order."},
                "state": {"anyOf": [{"$ref": "#/$defs/State"}, {"type": "null"}]},
                "lines": {"default": null, "description": "How many.", "format": "uint32",
                          "maximum": 500, "minimum": 1, "type": ["integer", "null"]},
                "since": {"default": null, "description": "e.g. \"1h\".", "type": ["string", "null"]},
                "name": {"description": "Container name.", "type": "string"}
            },
            "required": ["name"],
            "type": "object"
        });
        assert_eq!(
            schema(&full),
            json!({
                "type": "object",
                "properties": {
                    "by": {"type": "string", "enum": ["cpu", "memory"]},
                    "lines": {"type": "integer", "minimum": 1, "maximum": 500},
                    "name": {"type": "string"},
                    "since": {"type": "string", "description": "e.g. \"1h\"."},
                    "state": {"type": "string", "enum": ["running", "exited", "stopped"]}
                },
                "required": ["name"]
            })
        );
        assert_eq!(
            schema(&json!({"type": "object", "properties": {}, "description": "No arguments."})),
            json!({"type": "object", "properties": {}})
        );
    }

    #[test]
    fn results_lose_emphasis_and_long_lists() {
        let items: Vec<String> = (1..=30).map(|i| format!("- `c{i}` — running")).collect();
        let text = format!(
            "**30 running containers**:\n{}\nRestarting: `x`.",
            items.join("\n")
        );
        let form = tool_result(names::LIST_CONTAINERS, &json!({}), &ok(&text));
        assert!(
            form.starts_with("30 running containers:\n- `c1` — running"),
            "{form}"
        );
        assert!(
            form.contains("- `c20` — running\n- … and 10 more\nRestarting: `x`."),
            "{form}"
        );
        assert!(!form.contains("c21"), "{form}");
        // A count asked for is honoured.
        let form = tool_result(names::TOP_PROCESSES, &json!({"limit": 25}), &ok(&text));
        assert!(
            form.contains("c25") && form.contains("and 5 more"),
            "{form}"
        );
    }

    #[test]
    fn log_tails_are_capped_in_lines_and_bytes() {
        let lines: Vec<String> = (1..=50)
            .map(|i| format!("line {i} {}", "x".repeat(if i == 50 { 400 } else { 5 })))
            .collect();
        let text = format!(
            "Last 50 log lines of `web`:\n```text\n{}\n```",
            lines.join("\n")
        );
        let form = tool_result(names::CONTAINER_LOGS, &json!({"name": "web"}), &ok(&text));
        assert!(
            form.contains("[30 older lines not sent]\nline 31 "),
            "{form}"
        );
        assert!(!form.contains("line 30 "), "{form}");
        let last = form.lines().rev().nth(1).unwrap();
        assert!(
            last.starts_with("line 50 ") && last.len() <= LOG_LINE_BYTES + 3,
            "{last}"
        );
        assert!(form.ends_with("```"));
        let asked = tool_result(
            names::CONTAINER_LOGS,
            &json!({"name": "web", "lines": 5}),
            &ok(&text),
        );
        assert!(
            asked.contains("[45 older lines not sent]\nline 46 "),
            "{asked}"
        );
    }

    #[test]
    fn errors_and_text_less_outputs_have_a_form() {
        let error = Err(ToolError::NotFound("no container named `x`".into()));
        assert_eq!(
            tool_result(names::CONTAINER_DETAILS, &json!({}), &error),
            "error: no container named `x`"
        );
        let data_only = Ok(ToolOutput {
            data: json!({"a": 1}),
            text: String::new(),
        });
        assert_eq!(tool_result("x", &json!({}), &data_only), r#"{"a":1}"#);
    }

    /// The numbers of a text: every figure a reader could check.
    pub(crate) fn figures(text: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut current = String::new();
        for c in text.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_digit() || (c == '.' && !current.is_empty()) {
                current.push(c);
            } else if !current.is_empty() {
                found.push(current.trim_end_matches('.').to_owned());
                current.clear();
            }
        }
        found
    }

    /// For each host intent, the model is sent every figure the offline answer shows.
    #[tokio::test]
    async fn the_model_gets_every_figure_of_the_offline_answer() {
        use crate::router::{self, Routed};
        use crate::tools::ToolRegistry;
        use crate::tools::sampler::Sampler;
        use crate::tools::system::{self, tests::sample_snapshot};
        let mut tools = ToolRegistry::new(std::time::Duration::from_secs(5));
        for tool in system::tools(&Sampler::fixed(sample_snapshot())) {
            tools.register(tool);
        }
        for question in [
            "How is my server doing?",
            "What is the CPU usage?",
            "How much RAM is free?",
            "How full is tank?",
            "Is anything running hot?",
            "What is using the most memory?",
            "How much traffic is there?",
        ] {
            let Routed::Gathered(gathered) = router::route_question(question, &[], &tools).await
            else {
                panic!("{question} was not routed");
            };
            assert!(!gathered.planned.is_empty(), "{question}");
            let sent = gathered_results(&gathered);
            let offline = router::render_gathered(question, *gathered).text;
            let figures = figures(&offline);
            assert!(!figures.is_empty(), "{question}: {offline}");
            for figure in figures {
                assert!(
                    sent.contains(&figure),
                    "{question}: {figure} not sent\n{sent}"
                );
            }
        }
    }
}
