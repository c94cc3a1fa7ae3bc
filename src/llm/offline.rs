//! The built-in offline answerer: the default when no LLM is configured. It maps a question to
//! tools deterministically (intents with synonyms), runs them and renders a concise Markdown
//! answer with the real figures, in well under a millisecond.

use async_trait::async_trait;
use futures::future::join_all;
use serde_json::{Value, json};

use super::{Answer, AnswerRequest, LlmError, LlmProvider};
use crate::tools::format::{bytes, percent};
use crate::tools::{CallOutcome, ToolRegistry};

/// What a question is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Intent {
    Overview,
    Cpu,
    Memory,
    Disk,
    Temperature,
    Processes,
    Network,
    Containers,
    Logs,
    Alerts,
    Help,
}

const STRONG_OVERVIEW: &[&str] = &[
    "overview",
    "health",
    "healthy",
    "status",
    "summary",
    "summarize",
    "summarise",
    "uptime",
    "kernel",
    "os",
    "hostname",
    "report",
];
const WEAK_OVERVIEW: &[&str] = &[
    "doing",
    "going",
    "ok",
    "okay",
    "fine",
    "alive",
    "server",
    "system",
    "everything",
    "how's",
    "hows",
    "state",
    "host",
    "machine",
    "nas",
    "box",
    "up",
];
const CPU: &[&str] = &[
    "cpu",
    "cpus",
    "processor",
    "processors",
    "load",
    "core",
    "cores",
    "utilization",
    "utilisation",
];
const MEMORY: &[&str] = &["memory", "ram", "swap", "mem"];
const DISK: &[&str] = &[
    "disk",
    "disks",
    "storage",
    "space",
    "pool",
    "pools",
    "full",
    "filesystem",
    "filesystems",
    "drive",
    "drives",
    "capacity",
    "dataset",
    "datasets",
    "mount",
    "mounts",
    "zfs",
    "df",
];
const TEMPERATURE: &[&str] = &[
    "temperature",
    "temperatures",
    "temp",
    "temps",
    "hot",
    "heat",
    "thermal",
    "celsius",
    "cooling",
    "overheating",
    "warm",
    "sensor",
    "sensors",
];
const PROCESSES: &[&str] = &[
    "process",
    "processes",
    "top",
    "hog",
    "hogs",
    "hogging",
    "busiest",
    "pid",
    "pids",
    "htop",
    "programs",
];
const CONSUMING: &[&str] = &["using", "eating", "consuming", "uses", "use"];
const ASKING_WHO: &[&str] = &["what", "what's", "whats", "which", "who", "most"];
const NETWORK: &[&str] = &[
    "network",
    "bandwidth",
    "traffic",
    "throughput",
    "upload",
    "download",
    "interface",
    "interfaces",
    "net",
    "rx",
    "tx",
    "internet",
    "nic",
];
const CONTAINERS: &[&str] = &[
    "container",
    "containers",
    "docker",
    "unhealthy",
    "exited",
    "apps",
    "stack",
    "stacks",
    "compose",
    "oom",
];
/// Container words only when nothing else was asked: "is anything running hot?" is about heat.
const WEAK_CONTAINERS: &[&str] = &[
    "running",
    "stopped",
    "restarting",
    "crashed",
    "crash",
    "crashing",
    "restart",
    "restarts",
    "restarted",
];
const LOGS: &[&str] = &["log", "logs", "logged", "stderr", "stdout"];
const ALERTS: &[&str] = &[
    "alert",
    "alerts",
    "problem",
    "problems",
    "issue",
    "issues",
    "wrong",
    "warning",
    "warnings",
    "broken",
    "failing",
    "trouble",
    "attention",
    "critical",
];

/// Overview words that, next to a container word, are about the containers.
const CONTAINER_HEALTH_WORDS: &[&str] = &["health", "healthy", "status"];
/// "Why did plex restart?", "did anything crash?": the engine's event log answers these.
const CRASH_WORDS: &[&str] = &[
    "crash",
    "crashed",
    "crashes",
    "crashing",
    "restart",
    "restarted",
    "restarts",
    "died",
    "die",
    "dying",
    "oom",
    "oomkilled",
    "killed",
    "kill",
    "events",
    "event",
];
/// "Which containers use the most CPU?": live stats answer these.
const RESOURCE_WORDS: &[&str] = &[
    "cpu",
    "memory",
    "ram",
    "mem",
    "resources",
    "resource",
    "usage",
    "heaviest",
    "biggest",
    "hungry",
    "hog",
    "hogs",
    "hogging",
    "busiest",
    "stats",
];
/// Container questions that want the engine itself.
const ENGINE_WORDS: &[&str] = &["version", "engine", "daemon", "images", "info"];
/// Words that are never a container's name, so they do not trigger a name lookup.
const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "after",
    "all",
    "am",
    "among",
    "an",
    "and",
    "any",
    "anything",
    "are",
    "at",
    "be",
    "been",
    "by",
    "can",
    "could",
    "currently",
    "day",
    "days",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "every",
    "for",
    "from",
    "get",
    "give",
    "going",
    "had",
    "has",
    "have",
    "hour",
    "hours",
    "how",
    "i",
    "in",
    "is",
    "it",
    "it's",
    "its",
    "just",
    "last",
    "lately",
    "latest",
    "line",
    "lines",
    "list",
    "me",
    "min",
    "mins",
    "minute",
    "minutes",
    "my",
    "not",
    "now",
    "of",
    "on",
    "or",
    "past",
    "please",
    "recent",
    "recently",
    "right",
    "see",
    "show",
    "since",
    "so",
    "some",
    "tail",
    "tell",
    "that",
    "the",
    "there",
    "these",
    "this",
    "those",
    "to",
    "today",
    "up",
    "use",
    "using",
    "was",
    "week",
    "were",
    "what",
    "what's",
    "whats",
    "when",
    "which",
    "who",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "one",
    "ones",
    "time",
    "times",
    "containing",
    "matching",
    "errors",
    "error",
    "currently",
    "still",
    "yet",
    "ever",
    "again",
    "happened",
    "happen",
    "anybody",
    "something",
    "went",
    "go",
    "wrong",
    "most",
    "least",
    "more",
    "top",
];

/// Words of a question: lowercase, punctuation trimmed.
fn words(question: &str) -> Vec<String> {
    question
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '?' | '!' | '"' | '(' | ')'))
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '/' && c != '\'')
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// The intents of a question, in a fixed order, without repeats.
pub fn detect_intents(question: &str) -> Vec<Intent> {
    let words = words(question);
    let has = |set: &[&str]| words.iter().any(|w| set.contains(&w.as_str()));
    let mut intents = Vec::new();
    if has(&["help", "commands"]) || question.to_lowercase().contains("what can you") {
        intents.push(Intent::Help);
    }
    if has(ALERTS) {
        intents.push(Intent::Alerts);
    }
    let processes = has(PROCESSES) || (has(CONSUMING) && has(ASKING_WHO));
    if has(CPU) && !processes {
        intents.push(Intent::Cpu);
    }
    if has(MEMORY) && !processes {
        intents.push(Intent::Memory);
    }
    if processes {
        intents.push(Intent::Processes);
    }
    if has(DISK) {
        intents.push(Intent::Disk);
    }
    if has(TEMPERATURE) {
        intents.push(Intent::Temperature);
    }
    if has(NETWORK) {
        intents.push(Intent::Network);
    }
    if has(LOGS) {
        intents.push(Intent::Logs);
    } else if has(CONTAINERS) || (intents.is_empty() && has(WEAK_CONTAINERS)) {
        // "Which container uses the most memory?" is about containers, not the host's processes.
        if has(CONTAINERS) {
            intents.retain(|i| !matches!(i, Intent::Cpu | Intent::Memory | Intent::Processes));
        }
        intents.push(Intent::Containers);
    }
    let about_containers = intents.contains(&Intent::Containers) || intents.contains(&Intent::Logs);
    // "Which containers are healthy?" asks about containers' health, not the host's.
    let overview = words.iter().any(|w| {
        STRONG_OVERVIEW.contains(&w.as_str())
            && !(about_containers && CONTAINER_HEALTH_WORDS.contains(&w.as_str()))
    });
    if overview || (intents.is_empty() && has(WEAK_OVERVIEW)) {
        intents.insert(0, Intent::Overview);
    }
    intents
}

/// What the answerer can do, listed for `help` and for questions it cannot map.
pub const HELP_TEXT: &str = "I'm a read-only assistant for this server. Ask me about:\n\
- **overall health** — \"How is my server doing?\"\n\
- **CPU and load** — \"What is the CPU usage?\"\n\
- **memory and swap** — \"How much RAM is free?\"\n\
- **disks and pools** — \"How full is tank?\"\n\
- **temperatures** — \"Is anything running hot?\"\n\
- **processes** — \"What is using the most memory?\"\n\
- **network** — \"How much traffic is there?\"\n\
- **containers and their logs** — \"Which containers are running?\", \"logs of plex\"\n\
- **alerts** — \"Any problems?\"\n\
I never change anything: no restarts, deletes, installs or commands.";

/// The offline provider.
#[derive(Debug, Default, Clone, Copy)]
pub struct OfflineAnswerer;

#[async_trait]
impl LlmProvider for OfflineAnswerer {
    fn name(&self) -> &str {
        "offline"
    }

    async fn answer(&self, request: AnswerRequest<'_>) -> Result<Answer, LlmError> {
        let mut intents = detect_intents(request.question);
        // A short follow-up with no subject of its own ("and now?") repeats the last subject.
        if intents.is_empty()
            && words(request.question).len() <= 4
            && let Some(last) = request.history.last()
        {
            intents = detect_intents(&last.question);
        }
        Ok(answer_intents(request.question, &intents, request.tools).await)
    }
}

/// One call the answerer wants to make.
struct Planned {
    intent: Intent,
    tool: &'static str,
    arguments: Value,
}

fn plan(
    question: &str,
    intents: &[Intent],
    tools: &ToolRegistry,
    containers: &ContainerContext,
) -> (Vec<Planned>, Vec<String>) {
    let words = words(question);
    let mut calls = Vec::new();
    let mut notes = Vec::new();
    let mut want = |intent: Intent, tool: &'static str, arguments: Value| {
        if tools.contains(tool) {
            calls.push(Planned {
                intent,
                tool,
                arguments,
            });
            true
        } else {
            false
        }
    };
    for &intent in intents {
        match intent {
            Intent::Help => {}
            Intent::Overview => {
                want(intent, "system_overview", json!({}));
            }
            Intent::Cpu => {
                want(intent, "cpu_usage", json!({}));
            }
            Intent::Memory => {
                want(intent, "memory_usage", json!({}));
            }
            Intent::Disk => {
                want(intent, "disk_usage", json!({}));
            }
            Intent::Temperature => {
                want(intent, "temperatures", json!({}));
            }
            Intent::Network => {
                want(intent, "network_usage", json!({}));
            }
            Intent::Processes => {
                let by = if words
                    .iter()
                    .any(|w| MEMORY.contains(&w.as_str()) || w == "memory")
                {
                    "memory"
                } else {
                    "cpu"
                };
                want(intent, "top_processes", json!({"by": by, "limit": 10}));
            }
            Intent::Containers | Intent::Logs => {
                if !tools.contains("list_containers") {
                    notes.push(
                        "I can't see Docker from here: no Docker connection is available to \
                         this assistant, so I can't report on containers or their logs."
                            .to_owned(),
                    );
                    continue;
                }
                if let Some(error) = &containers.unreachable {
                    // One clear sentence instead of the same failure from every tool.
                    notes.push(format!("I couldn't read the containers: {error}."));
                    continue;
                }
                let (container_calls, container_notes) =
                    plan_containers(intent, &words, containers);
                notes.extend(container_notes);
                for (tool, arguments) in container_calls {
                    want(intent, tool, arguments);
                }
            }
            Intent::Alerts => {
                if !want(intent, "active_alerts", json!({})) {
                    notes.push(
                        "No alert rules are active in this assistant; here is the overall state \
                         instead."
                            .to_owned(),
                    );
                    if !intents.contains(&Intent::Overview) {
                        want(Intent::Overview, "system_overview", json!({}));
                    }
                }
            }
        }
    }
    (calls, notes)
}

/// Runs the tools for these intents and renders the answer.
pub async fn answer_intents(question: &str, intents: &[Intent], tools: &ToolRegistry) -> Answer {
    if intents.is_empty() {
        return Answer {
            text: format!("I'm not sure what you're asking.\n\n{HELP_TEXT}"),
            ..Answer::default()
        };
    }
    if intents == [Intent::Help] {
        return Answer {
            text: HELP_TEXT.to_owned(),
            ..Answer::default()
        };
    }
    let (containers, lookup) = container_context(question, intents, tools).await;
    let mut intents = intents.to_vec();
    // "status of plex", "memory of plex", "how is plex doing?": a named container is the subject.
    if !containers.mentioned.is_empty()
        && intents.iter().all(|i| {
            matches!(
                i,
                Intent::Overview | Intent::Cpu | Intent::Memory | Intent::Processes
            )
        })
    {
        intents = vec![Intent::Containers];
    }
    let (planned, notes) = plan(question, &intents, tools, &containers);
    let outcomes = join_all(
        planned
            .iter()
            .map(|call| tools.call(call.tool, call.arguments.clone())),
    )
    .await;
    let mut sections: Vec<String> = notes;
    for (call, outcome) in planned.iter().zip(&outcomes) {
        sections.push(render(question, call, outcome));
    }
    let mut tool_calls: Vec<_> = lookup.into_iter().map(|o| o.record).collect();
    tool_calls.extend(outcomes.into_iter().map(|o| o.record));
    Answer {
        text: sections.join("\n\n").trim().to_owned(),
        tool_calls,
        ..Answer::default()
    }
}

fn render(question: &str, call: &Planned, outcome: &CallOutcome) -> String {
    match &outcome.result {
        Err(error) => format!("I couldn't read the {}: {error}.", subject(call.intent)),
        Ok(output) if call.intent == Intent::Disk => disk_headline(question, &output.data)
            .unwrap_or_else(|| match named_filesystem(question) {
                Some(name) => format!(
                    "I don't see a filesystem called `{name}` here. If it is a pool on the host \
                     and the assistant runs in a container, mount it read-only and add its path \
                     to `system.extra_disk_paths`. What I can see:\n\n{}",
                    output.text.trim()
                ),
                None => output.text.trim().to_owned(),
            }),
        Ok(output) if call.tool == "container_details" => {
            match container_headline(question, &output.data) {
                Some(headline) => format!("{headline}\n\n{}", output.text.trim()),
                None => output.text.trim().to_owned(),
            }
        }
        Ok(output) => output.text.trim().to_owned(),
    }
}

fn subject(intent: Intent) -> &'static str {
    match intent {
        Intent::Overview => "system overview",
        Intent::Cpu => "CPU usage",
        Intent::Memory => "memory usage",
        Intent::Disk => "disk usage",
        Intent::Temperature => "temperatures",
        Intent::Processes => "process list",
        Intent::Network => "network usage",
        Intent::Containers => "containers",
        Intent::Logs => "logs",
        Intent::Alerts => "alerts",
        Intent::Help => "help",
    }
}

/// What the answerer knows about the containers a question may name.
#[derive(Debug, Default)]
pub struct ContainerContext {
    /// Every container's name, when they were looked up.
    pub known: Vec<String>,
    /// The containers the question names, in the order it names them.
    pub mentioned: Vec<String>,
    /// Docker could not be read for the lookup.
    pub unreachable: Option<String>,
}

/// Looks up the live container names when the question may name one: it is about containers
/// or the host's state and has a word that is not part of the answerer's vocabulary.
async fn container_context(
    question: &str,
    intents: &[Intent],
    tools: &ToolRegistry,
) -> (ContainerContext, Option<CallOutcome>) {
    let words = words(question);
    let eligible = intents.iter().all(|i| {
        matches!(
            i,
            Intent::Overview
                | Intent::Cpu
                | Intent::Memory
                | Intent::Processes
                | Intent::Containers
                | Intent::Logs
        )
    });
    let unknown_word = words.iter().any(|w| !known_word(w));
    if !tools.contains("list_containers")
        || !eligible
        || !(unknown_word || intents.contains(&Intent::Logs))
    {
        return (ContainerContext::default(), None);
    }
    let outcome = tools.call("list_containers", json!({"all": true})).await;
    let mut context = ContainerContext::default();
    match &outcome.result {
        Ok(output) => {
            context.known = output.data["containers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["name"].as_str().map(str::to_owned))
                .collect();
            context.mentioned = mentioned_containers(&words, &context.known);
        }
        Err(error) => context.unreachable = Some(error.to_string()),
    }
    let about_containers = intents.contains(&Intent::Containers) || intents.contains(&Intent::Logs);
    // A host question that names no container ("how much memory is used?") is answered as
    // before: the lookup had no bearing on it, so neither it nor a Docker outage is reported.
    if context.mentioned.is_empty() && !about_containers {
        return (ContainerContext::default(), None);
    }
    (context, Some(outcome))
}

fn known_word(word: &str) -> bool {
    word.chars().all(|c| c.is_ascii_digit())
        || [
            STRONG_OVERVIEW,
            WEAK_OVERVIEW,
            CPU,
            MEMORY,
            DISK,
            TEMPERATURE,
            PROCESSES,
            CONSUMING,
            ASKING_WHO,
            NETWORK,
            CONTAINERS,
            WEAK_CONTAINERS,
            LOGS,
            ALERTS,
            CRASH_WORDS,
            RESOURCE_WORDS,
            ENGINE_WORDS,
            STOPWORDS,
        ]
        .iter()
        .any(|set| set.contains(&word))
}

/// The containers a question names: a word equal to a name, or to one part of a compose-style
/// name (`plex` in `media-plex-1`) that no other container shares.
pub fn mentioned_containers(words: &[String], known: &[String]) -> Vec<String> {
    let mut mentioned: Vec<String> = Vec::new();
    for word in words {
        let word = word.strip_suffix("'s").unwrap_or(word);
        if word.len() < 2 || known_word(word) && !known.iter().any(|k| k.eq_ignore_ascii_case(word))
        {
            continue;
        }
        let exact = known.iter().find(|k| k.eq_ignore_ascii_case(word));
        let by_part: Vec<&String> = known
            .iter()
            .filter(|k| {
                word.len() >= 3
                    && k.to_lowercase()
                        .split(['-', '_', '.'])
                        .any(|part| part == word)
            })
            .collect();
        let hit = match (exact, by_part.as_slice()) {
            (Some(name), _) => Some(name),
            (None, [only]) => Some(*only),
            _ => None,
        };
        if let Some(name) = hit
            && !mentioned.contains(name)
        {
            mentioned.push(name.clone());
        }
    }
    mentioned
}

/// A number of lines asked for: "last 20 lines", "tail 100".
fn wanted_lines(words: &[String]) -> Option<u32> {
    words.iter().enumerate().find_map(|(i, w)| {
        let n: u32 = w.parse().ok()?;
        let next = words.get(i + 1).map(String::as_str);
        let before = i
            .checked_sub(1)
            .and_then(|j| words.get(j))
            .map(String::as_str);
        (matches!(next, Some("lines" | "line" | "entries"))
            || matches!(before, Some("last" | "tail" | "latest"))
                && !next.is_some_and(is_time_unit))
        .then(|| n.clamp(1, crate::tools::docker::tools::MAX_LOG_LINES))
    })
}

fn is_time_unit(word: &str) -> bool {
    time_unit(word).is_some()
}

fn time_unit(word: &str) -> Option<&'static str> {
    Some(match word {
        "minute" | "minutes" | "min" | "mins" => "m",
        "hour" | "hours" | "hr" | "hrs" => "h",
        "day" | "days" => "d",
        "week" | "weeks" => "w",
        _ => return None,
    })
}

/// A time window asked for: "since 1h", "in the last 30 minutes", "past hour", "this week".
fn wanted_window(words: &[String]) -> Option<String> {
    for (i, w) in words.iter().enumerate() {
        if w == "since"
            && let Some(next) = words.get(i + 1)
            && crate::tools::docker::tools::parse_since(next).is_ok()
        {
            return Some(next.clone());
        }
        if let Some(unit) = time_unit(w) {
            let before = i.checked_sub(1).and_then(|j| words.get(j));
            match before.map(String::as_str) {
                Some(n) if n.parse::<u32>().is_ok_and(|n| n > 0) => {
                    return Some(format!("{n}{unit}"));
                }
                Some("last" | "past" | "an" | "a" | "this" | "the") => {
                    return Some(format!("1{unit}"));
                }
                _ => {}
            }
        }
        if w == "today" {
            return Some("24h".to_owned());
        }
    }
    None
}

/// Text to look for in logs: "containing timeout", "matching 'db'", or errors.
fn wanted_filter(words: &[String]) -> Option<String> {
    words
        .iter()
        .enumerate()
        .find_map(|(i, w)| {
            matches!(
                w.as_str(),
                "containing" | "matching" | "mentioning" | "grep"
            )
            .then(|| words.get(i + 1).cloned())
            .flatten()
        })
        .map(|w| w.trim_matches(['\'', '`']).to_owned())
        .or_else(|| {
            words
                .iter()
                .any(|w| w == "error" || w == "errors")
                .then(|| "error".to_owned())
        })
}

/// The Docker calls for a container question.
fn plan_containers(
    intent: Intent,
    words: &[String],
    containers: &ContainerContext,
) -> (Vec<(&'static str, Value)>, Vec<String>) {
    let has = |set: &[&str]| words.iter().any(|w| set.contains(&w.as_str()));
    let mentioned = &containers.mentioned[..containers.mentioned.len().min(3)];
    let mut calls = Vec::new();
    let mut notes = Vec::new();
    if intent == Intent::Logs {
        if mentioned.is_empty() {
            let mut note = "Which container's logs? Name one, e.g. \"logs of plex\".".to_owned();
            if !containers.known.is_empty() {
                note.push_str(&format!(" Containers: {}.", containers.known.join(", ")));
            }
            notes.push(note);
        }
        for name in mentioned {
            let mut arguments = json!({"name": name});
            if let Some(lines) = wanted_lines(words) {
                arguments["lines"] = json!(lines);
            }
            if let Some(since) = wanted_window(words) {
                arguments["since"] = json!(since);
            }
            if let Some(filter) = wanted_filter(words) {
                arguments["filter"] = json!(filter);
            }
            calls.push(("container_logs", arguments));
        }
        return (calls, notes);
    }
    if has(CRASH_WORDS) {
        let mut arguments = json!({});
        if let Some(since) = wanted_window(words) {
            arguments["since"] = json!(since);
        }
        if mentioned.is_empty() {
            calls.push(("docker_events", arguments.clone()));
        }
        for name in mentioned {
            let mut arguments = arguments.clone();
            arguments["name"] = json!(name);
            calls.push(("docker_events", arguments));
            calls.push(("container_details", json!({"name": name})));
        }
        return (calls, notes);
    }
    if has(RESOURCE_WORDS) || has(CONSUMING) {
        let sort_by = if has(MEMORY) { "memory" } else { "cpu" };
        if mentioned.is_empty() {
            calls.push(("container_stats", json!({"sort_by": sort_by})));
        }
        for name in mentioned {
            calls.push(("container_stats", json!({"name": name, "sort_by": sort_by})));
        }
        return (calls, notes);
    }
    if !mentioned.is_empty() {
        for name in mentioned {
            calls.push(("container_details", json!({"name": name})));
        }
        return (calls, notes);
    }
    if has(ENGINE_WORDS) {
        calls.push(("docker_info", json!({})));
        return (calls, notes);
    }
    let state = if has(&["unhealthy", "sick", "failing"]) {
        Some("unhealthy")
    } else if has(&["healthy"]) {
        Some("healthy")
    } else if has(&["restarting", "looping"]) {
        Some("restarting")
    } else if has(&["paused"]) {
        Some("paused")
    } else if has(&["stopped", "exited", "dead", "down"])
        || words.windows(2).any(|w| w[0] == "not" && w[1] == "running")
    {
        Some("stopped")
    } else {
        None
    };
    let arguments = match state {
        Some(state) => json!({"state": state}),
        None if has(&["all", "every", "everything"]) => json!({"all": true}),
        None => json!({}),
    };
    calls.push(("list_containers", arguments));
    (calls, notes)
}

/// "Is sonarr running?": a yes or no before the details.
fn container_headline(question: &str, data: &Value) -> Option<String> {
    let words = words(question);
    let first = words.first()?.as_str();
    if !matches!(first, "is" | "are" | "was") {
        return None;
    }
    let name = data["name"].as_str()?;
    let status = data["state"]["status"].as_str().unwrap_or("unknown");
    let health = data["health"]["status"].as_str();
    let running = status == "running";
    let asks_health = words
        .iter()
        .any(|w| matches!(w.as_str(), "healthy" | "unhealthy" | "ok" | "okay" | "fine"));
    Some(match (running, health) {
        (true, Some("unhealthy")) if asks_health => {
            format!("No — `{name}` is running, but its health check is failing (**unhealthy**).")
        }
        (true, Some("unhealthy")) => {
            format!("Yes, `{name}` is running — but its health check is failing (**unhealthy**).")
        }
        (true, Some(h)) => format!("Yes, `{name}` is running and {h}."),
        (true, None) => format!("Yes, `{name}` is running."),
        (false, _) => {
            let code = data["state"]["exit_code"].as_i64().unwrap_or(0);
            let oom = if data["state"]["oom_killed"] == true {
                ", OOM-killed"
            } else {
                ""
            };
            format!("No — `{name}` is {status} (exit code {code}{oom}).")
        }
    })
}

/// Words that sit where a pool's name would but are not one ("how full is my disk?").
const NOT_A_NAME: &[&str] = &[
    "the",
    "my",
    "our",
    "a",
    "an",
    "it",
    "its",
    "this",
    "that",
    "is",
    "are",
    "of",
    "on",
    "in",
    "server",
    "system",
    "nas",
    "box",
    "machine",
    "host",
    "everything",
    "all",
    "each",
    "every",
    "any",
    "left",
    "free",
    "used",
    "now",
    "today",
    "getting",
    "still",
    "there",
    "much",
    "how",
    "what",
    "root",
    "main",
    "boot",
    "home",
    "usage",
    "use",
];

/// The name a storage question asks about, if it names one: "how full is tank?", "the backup
/// pool", "space left on media", "usage of pool2".
fn named_filesystem(question: &str) -> Option<String> {
    let words = words(question);
    let is_name = |w: &String| {
        w.len() >= 2
            && !NOT_A_NAME.contains(&w.as_str())
            && !DISK.contains(&w.as_str())
            && w.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    };
    let after = |i: usize| {
        words[i + 1..]
            .iter()
            .find(|w| !matches!(w.as_str(), "the" | "my" | "our"))
            .filter(|w| is_name(w))
    };
    for (i, word) in words.iter().enumerate() {
        let found = match word.as_str() {
            "is" | "are" if i >= 1 && words[i - 1] == "full" => after(i),
            "on" | "in" | "of"
                if i >= 1 && words[..i].iter().any(|w| DISK.contains(&w.as_str())) =>
            {
                after(i)
            }
            "pool" | "dataset" | "drive" | "disk" if i >= 1 && is_name(&words[i - 1]) => {
                Some(&words[i - 1])
            }
            "pool" | "dataset" => after(i),
            _ => None,
        };
        if let Some(name) = found {
            return Some(name.clone());
        }
    }
    None
}

/// "How full is tank?": when the question names a filesystem, answer about that one.
fn disk_headline(question: &str, data: &Value) -> Option<String> {
    let words = words(question);
    let filesystems = data["filesystems"].as_array()?;
    let named: Vec<&Value> = filesystems
        .iter()
        .filter(|fs| {
            let mount = fs["mount_point"].as_str().unwrap_or_default();
            let device = fs["device"].as_str().unwrap_or_default();
            let last = mount.rsplit('/').find(|s| !s.is_empty()).unwrap_or("/");
            words.iter().any(|w| {
                w.len() >= 2
                    && !DISK.contains(&w.as_str())
                    && (w == last || w == mount || w == device)
            })
        })
        .collect();
    if named.is_empty() {
        return None;
    }
    let lines: Vec<String> = named
        .iter()
        .map(|fs| {
            format!(
                "`{}` is **{}** full: {} of {} used, {} free.",
                fs["mount_point"].as_str().unwrap_or_default(),
                percent(fs["used_percent"].as_f64().unwrap_or_default()),
                bytes(fs["used_bytes"].as_u64().unwrap_or_default()),
                bytes(fs["total_bytes"].as_u64().unwrap_or_default()),
                bytes(fs["available_bytes"].as_u64().unwrap_or_default()),
            )
        })
        .collect();
    Some(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_storage_question_names_its_pool() {
        for (question, expected) in [
            ("how full is tank?", Some("tank")),
            ("How full is the backup pool?", Some("backup")),
            ("space left on media", Some("media")),
            ("disk usage of pool2", Some("pool2")),
            ("what's the usage of the pool fast-ssd?", Some("fast-ssd")),
            ("how full is my disk?", None),
            ("how full is the server?", None),
            ("disk space", None),
            ("is the storage getting full?", None),
            ("how full is root?", None),
        ] {
            assert_eq!(
                named_filesystem(question).as_deref(),
                expected,
                "{question}"
            );
        }
    }

    use crate::tools::sampler::Sampler;
    use crate::tools::system;
    use crate::tools::system::tests::sample_snapshot;
    use std::time::Duration;

    fn registry() -> ToolRegistry {
        let mut registry = ToolRegistry::new(Duration::from_secs(5));
        for tool in system::tools(&Sampler::fixed(sample_snapshot())) {
            registry.register(tool);
        }
        registry
    }

    #[test]
    fn intents_follow_synonyms() {
        use Intent::*;
        for (question, expected) in [
            ("How is my server doing?", vec![Overview]),
            ("What is the CPU usage?", vec![Cpu]),
            ("what's the load like", vec![Cpu]),
            ("how much RAM is free", vec![Memory]),
            ("is swap being used?", vec![Memory]),
            ("how full is tank?", vec![Disk]),
            ("storage space left on my pools", vec![Disk]),
            ("is anything running hot?", vec![Temperature]),
            ("what is running?", vec![Containers]),
            ("why did plex restart?", vec![Containers]),
            ("what's using the most memory", vec![Processes]),
            ("top processes by cpu", vec![Processes]),
            ("how much network traffic", vec![Network]),
            ("which containers are running?", vec![Containers]),
            ("show me the logs of plex", vec![Logs]),
            ("any problems?", vec![Alerts]),
            ("help", vec![Help]),
            ("what can you do?", vec![Help]),
            ("cpu and memory please", vec![Cpu, Memory]),
            ("system status", vec![Overview]),
            ("disk health", vec![Overview, Disk]),
            ("tell me a joke", vec![]),
            ("", vec![]),
            ("which containers are healthy?", vec![Containers]),
            ("which container uses the most memory?", vec![Containers]),
            ("biggest cpu users among containers", vec![Containers]),
            ("did anything crash recently?", vec![Containers]),
            ("status of plex", vec![Overview]),
        ] {
            assert_eq!(detect_intents(question), expected, "`{question}`");
        }
    }

    #[tokio::test]
    async fn answers_with_real_figures_from_the_tools() {
        let tools = registry();
        let history = Vec::new();
        let ask = |question: &'static str| {
            let tools = &tools;
            let history = &history;
            async move {
                OfflineAnswerer
                    .answer(AnswerRequest {
                        question,
                        history,
                        tools,
                    })
                    .await
                    .unwrap()
            }
        };
        let answer = ask("What is the CPU usage?").await;
        assert!(answer.text.contains("**37.5 %**"), "{}", answer.text);
        assert_eq!(answer.tool_calls[0].name, "cpu_usage");
        assert!(answer.tool_calls[0].ok);

        let answer = ask("how full is tank?").await;
        assert_eq!(
            answer.text,
            "`/mnt/tank` is **91.0 %** full: 910.0 GiB of 1000.0 GiB used, 90.0 GiB free."
        );

        let answer = ask("how full is the media pool?").await;
        assert!(
            answer
                .text
                .starts_with("I don't see a filesystem called `media` here."),
            "{}",
            answer.text
        );
        assert!(answer.text.contains("`/mnt/tank`"), "{}", answer.text);

        let answer = ask("what's using the most memory?").await;
        assert_eq!(answer.tool_calls[0].arguments["by"], "memory");

        let answer = ask("cpu and memory").await;
        assert_eq!(answer.tool_calls.len(), 2);
        assert!(answer.text.contains("Memory:"));
    }

    #[tokio::test]
    async fn unmapped_questions_get_help_and_missing_tools_are_explained() {
        let tools = registry();
        let answer = answer_intents("tell me a joke", &[], &tools).await;
        assert!(answer.text.contains("Ask me about"));
        assert!(answer.tool_calls.is_empty());

        let answer = answer_intents("containers?", &[Intent::Containers], &tools).await;
        assert!(answer.text.contains("can't see Docker"), "{}", answer.text);

        let answer = answer_intents("problems?", &[Intent::Alerts], &tools).await;
        assert!(answer.text.contains("No alert rules"), "{}", answer.text);
        assert_eq!(answer.tool_calls[0].name, "system_overview");
    }

    #[tokio::test]
    async fn short_follow_ups_reuse_the_last_subject() {
        let tools = registry();
        let history = vec![crate::conversation::Turn {
            question: "what is the cpu usage?".into(),
            answer: "…".into(),
            refusal: None,
        }];
        let answer = OfflineAnswerer
            .answer(AnswerRequest {
                question: "and now?",
                history: &history,
                tools: &tools,
            })
            .await
            .unwrap();
        assert_eq!(answer.tool_calls[0].name, "cpu_usage");
    }

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn container_names_are_found_among_the_words() {
        let known = strings(&["plex", "sonarr", "media-radarr-1", "app-db", "web-db"]);
        let found = |q: &str| mentioned_containers(&words(q), &known);
        assert_eq!(found("is Sonarr running?"), ["sonarr"]);
        assert_eq!(found("logs of plex's server"), ["plex"]);
        assert_eq!(found("how is radarr doing"), ["media-radarr-1"]);
        // `db` is shared by two containers and too short to be a part on its own.
        assert!(found("is db up?").is_empty());
        assert_eq!(found("plex and sonarr and plex"), ["plex", "sonarr"]);
        assert!(found("which containers are running?").is_empty());
    }

    #[test]
    fn log_requests_carry_lines_window_and_filter() {
        let w = |q: &str| words(q);
        assert_eq!(
            wanted_lines(&w("show the last 50 lines of plex logs")),
            Some(50)
        );
        assert_eq!(wanted_lines(&w("tail 2000 of plex")), Some(500));
        assert_eq!(wanted_lines(&w("plex logs from the last 2 hours")), None);
        assert_eq!(
            wanted_window(&w("plex logs from the last 2 hours")),
            Some("2h".into())
        );
        assert_eq!(
            wanted_window(&w("crashes in the past hour")),
            Some("1h".into())
        );
        assert_eq!(wanted_window(&w("logs since 30m")), Some("30m".into()));
        assert_eq!(wanted_window(&w("anything this week?")), Some("1w".into()));
        assert_eq!(wanted_window(&w("logs of plex")), None);
        assert_eq!(
            wanted_filter(&w("plex logs containing timeout")),
            Some("timeout".into())
        );
        assert_eq!(
            wanted_filter(&w("errors in the plex logs")),
            Some("error".into())
        );
        assert_eq!(wanted_filter(&w("plex logs")), None);
    }

    #[test]
    fn container_questions_choose_their_tools() {
        let context = ContainerContext {
            known: strings(&["plex", "sonarr"]),
            mentioned: strings(&["plex"]),
            unreachable: None,
        };
        let nobody = ContainerContext::default();
        let plan = |intent, q: &str, c: &ContainerContext| plan_containers(intent, &words(q), c).0;
        assert_eq!(
            plan(
                Intent::Containers,
                "which containers are unhealthy?",
                &nobody
            ),
            [("list_containers", json!({"state": "unhealthy"}))]
        );
        assert_eq!(
            plan(
                Intent::Containers,
                "which containers are not running?",
                &nobody
            ),
            [("list_containers", json!({"state": "stopped"}))]
        );
        assert_eq!(
            plan(Intent::Containers, "list all containers", &nobody),
            [("list_containers", json!({"all": true}))]
        );
        assert_eq!(
            plan(Intent::Containers, "did anything crash today?", &nobody),
            [("docker_events", json!({"since": "24h"}))]
        );
        assert_eq!(
            plan(Intent::Containers, "why did plex restart?", &context),
            [
                ("docker_events", json!({"name": "plex"})),
                ("container_details", json!({"name": "plex"}))
            ]
        );
        assert_eq!(
            plan(
                Intent::Containers,
                "which container uses the most memory?",
                &nobody
            ),
            [("container_stats", json!({"sort_by": "memory"}))]
        );
        assert_eq!(
            plan(Intent::Containers, "docker version", &nobody),
            [("docker_info", json!({}))]
        );
        assert_eq!(
            plan(Intent::Logs, "last 5 lines of plex logs", &context),
            [("container_logs", json!({"name": "plex", "lines": 5}))]
        );
        let (calls, notes) = plan_containers(
            Intent::Logs,
            &words("show logs"),
            &ContainerContext {
                mentioned: Vec::new(),
                ..context
            },
        );
        assert!(calls.is_empty());
        assert!(notes[0].contains("Containers: plex, sonarr"), "{notes:?}");
    }

    #[test]
    fn yes_no_questions_get_a_headline() {
        let running = json!({"name": "sonarr", "state": {"status": "running"}, "health": {"status": "unhealthy"}});
        assert_eq!(
            container_headline("is sonarr running?", &running).unwrap(),
            "Yes, `sonarr` is running — but its health check is failing (**unhealthy**)."
        );
        assert!(
            container_headline("is sonarr healthy?", &running)
                .unwrap()
                .starts_with("No — ")
        );
        let exited = json!({"name": "db", "state": {"status": "exited", "exit_code": 137, "oom_killed": true}});
        assert_eq!(
            container_headline("is db up?", &exited).unwrap(),
            "No — `db` is exited (exit code 137, OOM-killed)."
        );
        assert_eq!(container_headline("status of db", &exited), None);
    }
}
