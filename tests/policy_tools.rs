//! Only read-only tools exist: enumerates the real tool registry (system, Docker and alert tools,
//! as the binary builds it) and fails on any tool whose name, argument names or descriptions
//! imply a change, or whose arguments accept fields it does not declare (where a model could
//! smuggle `"restart": true` past the schema).

use std::collections::BTreeSet;

use homelab_assistant::app::registry;
use homelab_assistant::config::Config;
use homelab_assistant::tools::sampler::Sampler;
use regex::Regex;
use serde_json::{Value, json};

/// Verbs of change, in base form. Past participles ("started_at", "stopped") describe state and
/// are deliberately absent.
const MUTATING: &[&str] = &[
    "restart",
    "reboot",
    "stop",
    "start",
    "kill",
    "delete",
    "remove",
    "rm",
    "prune",
    "exec",
    "execute",
    "run",
    "create",
    "update",
    "upgrade",
    "write",
    "set",
    "put",
    "post",
    "patch",
    "install",
    "uninstall",
    "deploy",
    "redeploy",
    "pull",
    "push",
    "build",
    "shutdown",
    "poweroff",
    "pause",
    "unpause",
    "rename",
    "move",
    "copy",
    "edit",
    "modify",
    "change",
    "apply",
    "enable",
    "disable",
    "mount",
    "unmount",
    "format",
    "wipe",
    "destroy",
    "scrub",
    "signal",
    "send",
    "attach",
    "commit",
    "import",
    "open",
    "close",
    "block",
    "allow",
    "deny",
    "grant",
    "revoke",
    "schedule",
    "trigger",
    "reset",
    "restore",
    "rollback",
    "purge",
    "clear",
    "flush",
    "rotate",
    "chmod",
    "chown",
    "mkdir",
    "sudo",
    "shell",
    "spawn",
    "launch",
    "invoke",
    "terminate",
    "recreate",
    "truncate",
    "erase",
    "add",
    "insert",
    "drop",
    "replace",
    "upload",
    "save",
    "snapshot",
    "recover",
    "resume",
    "suspend",
    "halt",
];

/// Words after a verb that make it a noun: "restart_count", "start_time", "run_at".
const NOUNS_AFTER: &[&str] = &[
    "count", "counts", "at", "time", "times", "policy", "reason", "history", "status", "state",
    "code", "date", "since", "loop", "loops", "events", "event", "id",
];

fn is_mutating(word: &str, next: Option<&str>) -> bool {
    let word = word.to_lowercase();
    let base = word
        .strip_suffix("es")
        .filter(|b| MUTATING.contains(b))
        .or_else(|| word.strip_suffix('s').filter(|b| MUTATING.contains(b)))
        .unwrap_or(&word);
    MUTATING.contains(&base)
        && !next.is_some_and(|n| NOUNS_AFTER.contains(&n.to_lowercase().as_str()))
}

/// Whole words of an identifier: `restart_container` → restart, container.
fn identifier_hint(kind: &str, identifier: &str) -> Option<String> {
    let parts: Vec<&str> = identifier
        .split(['_', '-', '.'])
        .filter(|p| !p.is_empty())
        .collect();
    parts
        .iter()
        .enumerate()
        .find(|(i, part)| is_mutating(part, parts.get(i + 1).copied()))
        .map(|(_, part)| format!("{kind} `{identifier}` contains the verb `{part}`"))
}

/// Descriptions imply a change when a sentence opens with a verb of change ("Restarts a
/// container.") or one follows "to"/"will"/"can"/"this tool" ("use it to delete…"). Nouns and
/// states ("restart count", "OOM kills", "stopped containers") do not count.
fn description_hint(owner: &str, text: &str) -> Option<String> {
    let framed =
        Regex::new(r"(?i)\b(?:to|will|can|may|then|this tool|it|that) ([a-z]+)\b(?: ([a-z_]+))?")
            .expect("valid regex");
    for sentence in text.split(['.', ';', ':', '\n']).map(str::trim) {
        let words: Vec<&str> = sentence
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')' | '`' | '"'))
            .filter(|w| !w.is_empty())
            .collect();
        if let Some(first) = words.first()
            && is_mutating(first, words.get(1).copied())
        {
            return Some(format!("{owner}: \"{sentence}\" opens with `{first}`"));
        }
        for captures in framed.captures_iter(sentence) {
            let verb = &captures[1];
            if is_mutating(verb, captures.get(2).map(|m| m.as_str())) {
                return Some(format!("{owner}: \"{sentence}\" offers to `{verb}`"));
            }
        }
    }
    None
}

/// Every hint in a tool's name, argument names and descriptions, and whether its arguments are
/// closed to undeclared fields.
fn mutation_hints(name: &str, description: &str, parameters: &Value) -> Vec<String> {
    let mut hints = Vec::new();
    hints.extend(identifier_hint("tool name", name));
    hints.extend(description_hint(
        &format!("{name} description"),
        description,
    ));
    let mut stack = vec![parameters];
    while let Some(schema) = stack.pop() {
        match schema {
            Value::Object(map) => {
                if let Some(Value::Object(properties)) = map.get("properties") {
                    for property in properties.keys() {
                        hints.extend(identifier_hint(&format!("{name} argument"), property));
                    }
                }
                if let Some(Value::String(text)) = map.get("description") {
                    hints.extend(description_hint(
                        &format!("{name} argument description"),
                        text,
                    ));
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    if parameters.get("additionalProperties") != Some(&Value::Bool(false))
        && parameters["properties"]
            .as_object()
            .is_some_and(|p| !p.is_empty())
    {
        hints.push(format!("{name} accepts undeclared arguments"));
    }
    if parameters["properties"]
        .as_object()
        .is_none_or(|p| p.is_empty())
        && parameters.get("additionalProperties") == Some(&Value::Bool(true))
    {
        hints.push(format!("{name} accepts arbitrary arguments"));
    }
    hints
}

#[tokio::test]
async fn the_real_registry_offers_only_read_only_tools() {
    let mut config = Config::default();
    config.docker.enabled = true;
    let sampler = Sampler::start(&config.system);
    let registry = registry(&config, &sampler);
    let names: BTreeSet<&str> = registry.tools().map(|t| t.name()).collect();
    // The system tools are always there; the Docker and alert tools when configured, as here.
    for expected in [
        "system_overview",
        "cpu_usage",
        "disk_usage",
        "top_processes",
    ] {
        assert!(
            names.contains(expected),
            "{expected} missing from {names:?}"
        );
    }
    println!("enumerated {} tools: {names:?}", names.len());
    let hints: Vec<String> = registry
        .tools()
        .flat_map(|tool| mutation_hints(tool.name(), tool.description(), &tool.parameters()))
        .collect();
    assert!(
        hints.is_empty(),
        "tools that imply mutation:\n{}",
        hints.join("\n")
    );
}

#[test]
fn the_check_catches_mutating_tools_and_spares_state_words() {
    let restart = mutation_hints(
        "restart_container",
        "Restarts a container. Use it to kill stuck processes.",
        &json!({"type": "object", "properties": {
            "name": {"type": "string"},
            "kill": {"type": "boolean", "description": "Whether to delete the volume too."}
        }}),
    );
    assert_eq!(restart.len(), 5, "{restart:#?}");
    let exec = mutation_hints("exec", "", &json!({"type": "object", "properties": {}}));
    assert_eq!(exec.len(), 1, "{exec:#?}");
    let read_only = mutation_hints(
        "list_containers",
        "Containers with state, restart count, OOM kills and started_at. Answers \"why did plex \
         restart?\".",
        &json!({"type": "object", "additionalProperties": false, "properties": {
            "started_at": {"type": "string", "description": "When it started."},
            "restart_count": {"type": "integer"},
            "stopped": {"type": "boolean", "description": "Include stopped containers."}
        }}),
    );
    assert_eq!(read_only, Vec::<String>::new());
}
