//! The offline router: what every user meets first with no LLM configured, and what decides
//! which tools a question needs. A question is read into intents (its subjects) and slots (the
//! containers, counts, windows and texts it names); adapter commands fill the same slots; one
//! plan maps both to read-only tool calls, and the answer is the tools' real figures.

mod plan;
mod render;
mod slots;
mod suggest;
#[cfg(test)]
mod tests;
mod vocabulary;

use futures::future::join_all;
use homelab_port::{Command, ToolCall};
use serde_json::json;

use crate::conversation::Turn;
use crate::llm::Answer;
use crate::tools::{CallOutcome, ToolOutput, ToolRegistry, names};

pub use self::plan::{Planned, plan};
pub use self::render::render;
pub use self::slots::{ContainerFocus, Slots, mentioned_containers, shared_name_part};
pub use self::vocabulary::detect_intents;
use self::vocabulary::{known_word, words};

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
    Pools,
    Ups,
    Snapshots,
    Apps,
    TrueNasAlerts,
    DiskHealth,
    Fleet,
    Help,
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
- **ZFS pools** — \"Is my pool healthy?\"\n\
- **the UPS** — \"How long would the UPS last?\"\n\
- **TrueNAS** — \"When was the last scrub?\", \"How old is the newest snapshot of tank/media?\", \"Any TrueNAS alerts?\", \"Which apps need an update?\"\n\
I never change anything: no restarts, deletes, installs or commands.";

/// What is asked: its subjects and everything it names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Route {
    pub intents: Vec<Intent>,
    pub slots: Slots,
}

impl Route {
    /// A question's route. A short follow-up with no subject of its own ("and now?") takes the
    /// subject of the conversation's last question.
    pub fn for_question(question: &str, history: &[Turn]) -> Self {
        let mut intents = detect_intents(question);
        let words = words(question);
        if intents.is_empty()
            && words.len() <= 4
            && let Some(last) = history.last()
        {
            intents = detect_intents(&last.question);
        }
        Self {
            intents,
            slots: Slots::from_words(&vocabulary::with_parts(words)),
        }
    }

    /// A command's route: the adapter already knows what is wanted and which container.
    pub fn for_command(command: &Command) -> Option<Self> {
        let (intents, slots) = match command {
            Command::Status => (vec![Intent::Overview], Slots::default()),
            Command::Disk => (vec![Intent::Disk], Slots::default()),
            Command::Pools => (vec![Intent::Pools], Slots::default()),
            Command::Alerts => (vec![Intent::Alerts], Slots::default()),
            Command::Help => (vec![Intent::Help], Slots::default()),
            Command::Containers { all } => (
                vec![Intent::Containers],
                Slots {
                    all: *all,
                    ..Slots::default()
                },
            ),
            Command::Container { name } => (
                vec![Intent::Containers],
                Slots {
                    containers: vec![name.clone()],
                    ..Slots::default()
                },
            ),
            Command::Logs { name, lines, since } => (
                vec![Intent::Logs],
                Slots {
                    containers: vec![name.clone()],
                    lines: *lines,
                    since: since.clone(),
                    ..Slots::default()
                },
            ),
            _ => return None,
        };
        Some(Self { intents, slots })
    }
}

/// Whether a question asks for the daily digest ("daily digest", "send me the digest",
/// "résumé quotidien"): a report of its own rather than an intent's tools.
pub fn asks_for_digest(question: &str) -> bool {
    let words = vocabulary::with_parts(words(question));
    let has = |set: &crate::policy::WordSet| words.iter().any(|w| set.contains(w));
    let v = &*vocabulary::VOCABULARY;
    has(&v.digest) || (has(&v.daily) && has(&v.report))
}

/// Answers a question offline.
pub async fn answer_question(question: &str, history: &[Turn], tools: &ToolRegistry) -> Answer {
    let route = Route::for_question(question, history);
    answer(question, route, true, tools).await
}

/// Answers an adapter command: the same plan as a question, with the command's own slots.
pub async fn answer_command(command: &Command, tools: &ToolRegistry) -> Answer {
    let question = command.as_question();
    match Route::for_command(command) {
        Some(route) => answer(&question, route, false, tools).await,
        None => Answer {
            text: format!("This command is not supported.\n\n{HELP_TEXT}"),
            ..Answer::default()
        },
    }
}

/// What the router made of a question.
#[derive(Debug)]
pub enum Routed {
    /// Help or a greeting: answered with the help text, no tool needed.
    Help,
    /// No subject the router knows: the question is for a model (or, offline, the help text
    /// with the closest questions the router can answer).
    Unknown { suggestions: Vec<String> },
    /// The tools the question needs have run.
    Gathered(Box<Gathered>),
}

/// The calls a routed question needed, already made.
#[derive(Debug, Default)]
pub struct Gathered {
    pub planned: Vec<Planned>,
    pub outcomes: Vec<CallOutcome>,
    /// What the plan could not ask a tool for ("Which container's logs?").
    pub notes: Vec<String>,
    /// The container-name lookup, when one ran: audited, not part of the answer.
    pub lookup: Option<CallOutcome>,
}

impl Gathered {
    /// Every call made, in order, for the audit entry.
    pub fn records(&self) -> Vec<ToolCall> {
        self.lookup
            .iter()
            .chain(&self.outcomes)
            .map(|o| o.record.clone())
            .collect()
    }
}

/// Reads a question and runs the tools it needs, for the offline answer or as the model's
/// context (one model call instead of one to choose the tools and one to answer).
pub async fn route_question(question: &str, history: &[Turn], tools: &ToolRegistry) -> Routed {
    gather(
        question,
        Route::for_question(question, history),
        true,
        tools,
    )
    .await
}

/// Runs the tools a route needs and renders the answer. `lookup`: match the question's words
/// against the live container names (a command names its container itself).
pub async fn answer(question: &str, route: Route, lookup: bool, tools: &ToolRegistry) -> Answer {
    match gather(question, route, lookup, tools).await {
        Routed::Help => Answer {
            text: HELP_TEXT.to_owned(),
            ..Answer::default()
        },
        Routed::Unknown { suggestions } => Answer {
            text: format!("{}\n\n{HELP_TEXT}", suggest::not_sure(&suggestions)),
            ..Answer::default()
        },
        Routed::Gathered(gathered) => render_gathered(question, *gathered),
    }
}

/// The offline answer from what was gathered: the notes, then each tool's rendering.
pub fn render_gathered(question: &str, gathered: Gathered) -> Answer {
    let mut sections = gathered.notes.clone();
    for (call, outcome) in gathered.planned.iter().zip(&gathered.outcomes) {
        sections.push(render(question, call, outcome));
    }
    Answer {
        text: sections.join("\n\n").trim().to_owned(),
        tool_calls: gathered.records(),
        ..Answer::default()
    }
}

async fn gather(question: &str, route: Route, lookup: bool, tools: &ToolRegistry) -> Routed {
    let Route {
        mut intents,
        mut slots,
    } = route;
    if intents == [Intent::Help] {
        return Routed::Help;
    }
    let (containers, looked_up) = if lookup {
        container_context(question, &intents, tools).await
    } else {
        (ContainerContext::default(), None)
    };
    // "how is the pi doing?", "is nas up?": a host of the fleet named by its friendly name, its
    // instance's host or its machine name is the subject, when no container has that name.
    if containers.mentioned.is_empty()
        && slots.host.is_none()
        && intents.iter().all(|i| {
            matches!(
                i,
                Intent::Overview | Intent::Cpu | Intent::Memory | Intent::Disk
            )
        })
        && let Some(host) = named_host(question, tools).await
    {
        intents = vec![Intent::Fleet];
        slots.host = Some(host);
    }
    // "when was chatty started?", "stats for memhog": a container named with no subject of the
    // question's own is the subject.
    // "list the idle ones": a word that several containers' names share names them as a group.
    if intents.is_empty() && (!containers.mentioned.is_empty() || containers.group.is_some()) {
        intents.push(Intent::Containers);
    }
    if intents.is_empty() {
        return Routed::Unknown {
            suggestions: suggest::suggestions(question, &containers.known),
        };
    }
    if lookup {
        slots.containers = containers.mentioned.clone();
        slots.group = containers.group.clone();
    }
    // "status of plex", "memory of plex", "how is plex doing?": a named container is the subject.
    if !slots.containers.is_empty()
        && intents.iter().all(|i| {
            matches!(
                i,
                Intent::Overview | Intent::Cpu | Intent::Memory | Intent::Processes
            )
        })
    {
        intents = vec![Intent::Containers];
    }
    // "What went wrong with importer?", "is something wrong with plex?": a problem question
    // about a named container asks why it fails: its exit, restarts and last lines.
    // "sonarr's healthcheck keeps failing, what's its status?": the overview asked with it is
    // the container's too.
    if !slots.containers.is_empty()
        && intents.contains(&Intent::Alerts)
        && intents
            .iter()
            .all(|i| matches!(i, Intent::Alerts | Intent::Overview))
    {
        intents = vec![Intent::Containers];
        slots.focus = ContainerFocus::Crashes;
    }
    let (planned, notes) = plan(&intents, &slots, tools, &containers);
    let outcomes = join_all(
        planned
            .iter()
            .map(|call| tools.call(call.tool, call.arguments.clone())),
    )
    .await;
    Routed::Gathered(Box::new(Gathered {
        planned,
        outcomes,
        notes,
        lookup: looked_up,
    }))
}

/// The fleet host a question names, among the names `host_metrics` knows; only asked when the
/// question has a word outside the vocabulary, or one that may name a machine ("nas", "box"),
/// so most questions cost nothing.
async fn named_host(question: &str, tools: &ToolRegistry) -> Option<String> {
    let tool = tools.get(names::HOST_METRICS)?;
    let words = words(question);
    let machine_words = &vocabulary::VOCABULARY.overview_weak;
    let unknown: Vec<&str> = words
        .iter()
        .map(|w| w.strip_suffix("'s").unwrap_or(w))
        .filter(|w| w.len() >= 2 && (!known_word(w) || machine_words.contains(*w)))
        .collect();
    if unknown.is_empty() {
        return None;
    }
    let names = tool.subject_names().await;
    unknown
        .into_iter()
        .find(|w| names.iter().any(|n| n == w))
        .map(str::to_owned)
}

/// The container names in a `list_containers` result, in its order.
fn listed_names(output: &ToolOutput) -> Vec<String> {
    output.data["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str().map(str::to_owned))
        .collect()
}

/// Every container's name, sorted, for an adapter's autocomplete; empty when Docker is off or
/// cannot be read. A read of the list, not a request: the caller does not audit it.
pub async fn container_names(tools: &ToolRegistry) -> Vec<String> {
    if !tools.contains(names::LIST_CONTAINERS) {
        return Vec::new();
    }
    let outcome = tools
        .call(names::LIST_CONTAINERS, json!({"all": true}))
        .await;
    let Ok(output) = outcome.result else {
        return Vec::new();
    };
    let mut names = listed_names(&output);
    names.sort();
    names.dedup();
    names
}

/// What the answerer knows about the containers a question may name.
#[derive(Debug, Default)]
pub struct ContainerContext {
    /// Every container's name, when they were looked up.
    pub known: Vec<String>,
    /// The containers the question names, in the order it names them.
    pub mentioned: Vec<String>,
    /// A part of several containers' names that the question names ("idle" of idle-1 and
    /// idle-2), when it names no single container.
    pub group: Option<String>,
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
    // "Code de sortie d'importer ?": an elided article is not part of the name. Hyphens are
    // kept: "media-plex-1" is one name, and its parts could name other containers.
    let mut words = words(question);
    let elided: Vec<String> = words
        .iter()
        .filter_map(|w| w.split_once('\'').map(|(_, name)| name.to_owned()))
        .filter(|name| name.len() > 1)
        .collect();
    words.extend(elided);
    let eligible = intents.iter().all(|i| {
        matches!(
            i,
            Intent::Overview
                | Intent::Cpu
                | Intent::Memory
                | Intent::Processes
                | Intent::Containers
                | Intent::Logs
                | Intent::Alerts
        )
    });
    let unknown_word = words.iter().any(|w| !known_word(w));
    if !tools.contains(names::LIST_CONTAINERS)
        || !eligible
        || !(unknown_word || intents.contains(&Intent::Logs))
    {
        return (ContainerContext::default(), None);
    }
    let outcome = tools
        .call(names::LIST_CONTAINERS, json!({"all": true}))
        .await;
    let mut context = ContainerContext::default();
    match &outcome.result {
        Ok(output) => {
            context.known = listed_names(output);
            context.mentioned = mentioned_containers(&words, &context.known);
            if context.mentioned.is_empty() {
                context.group = shared_name_part(&words, &context.known);
            }
        }
        Err(error) => context.unreachable = Some(error.to_string()),
    }
    let about_containers = intents.contains(&Intent::Containers) || intents.contains(&Intent::Logs);
    // A host question that names no container ("how much memory is used?") is answered as
    // before: the lookup had no bearing on it, so neither it nor a Docker outage is reported.
    if context.mentioned.is_empty() && context.group.is_none() && !about_containers {
        return (ContainerContext::default(), None);
    }
    (context, Some(outcome))
}
