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
        intents.push(Intent::Containers);
    }
    if has(STRONG_OVERVIEW) || (intents.is_empty() && has(WEAK_OVERVIEW)) {
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

fn plan(question: &str, intents: &[Intent], tools: &ToolRegistry) -> (Vec<Planned>, Vec<String>) {
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
                let tool = if intent == Intent::Logs {
                    "container_logs"
                } else {
                    "list_containers"
                };
                if !want(intent, tool, json!({})) {
                    notes.push(
                        "I can't see Docker from here: no Docker connection is available to \
                         this assistant, so I can't report on containers or their logs."
                            .to_owned(),
                    );
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
    let (planned, notes) = plan(question, intents, tools);
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
    Answer {
        text: sections.join("\n\n").trim().to_owned(),
        tool_calls: outcomes.into_iter().map(|o| o.record).collect(),
        ..Answer::default()
    }
}

fn render(question: &str, call: &Planned, outcome: &CallOutcome) -> String {
    match &outcome.result {
        Err(error) => format!("I couldn't read the {}: {error}.", subject(call.intent)),
        Ok(output) if call.intent == Intent::Disk => {
            disk_headline(question, &output.data).unwrap_or_else(|| output.text.trim().to_owned())
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
}
