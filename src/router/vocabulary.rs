//! The offline router's vocabulary: the words that name each subject, the words that are not
//! container names, and how a question's words map to intents.

use super::Intent;

pub(super) const STRONG_OVERVIEW: &[&str] = &[
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
pub(super) const WEAK_OVERVIEW: &[&str] = &[
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
pub(super) const CPU: &[&str] = &[
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
pub(super) const MEMORY: &[&str] = &["memory", "ram", "swap", "mem"];
pub(super) const DISK: &[&str] = &[
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
pub(super) const TEMPERATURE: &[&str] = &[
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
pub(super) const PROCESSES: &[&str] = &[
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
pub(super) const CONSUMING: &[&str] = &["using", "eating", "consuming", "uses", "use"];
pub(super) const ASKING_WHO: &[&str] = &["what", "what's", "whats", "which", "who", "most"];
pub(super) const NETWORK: &[&str] = &[
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
pub(super) const CONTAINERS: &[&str] = &[
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
pub(super) const WEAK_CONTAINERS: &[&str] = &[
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
pub(super) const LOGS: &[&str] = &["log", "logs", "logged", "stderr", "stdout"];
pub(super) const ALERTS: &[&str] = &[
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
pub(super) const CONTAINER_HEALTH_WORDS: &[&str] = &["health", "healthy", "status"];
/// "Why did plex restart?", "did anything crash?": the engine's event log answers these.
pub(super) const CRASH_WORDS: &[&str] = &[
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
pub(super) const RESOURCE_WORDS: &[&str] = &[
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
pub(super) const ENGINE_WORDS: &[&str] = &["version", "engine", "daemon", "images", "info"];
/// Words that are never a container's name, so they do not trigger a name lookup.
pub(super) const STOPWORDS: &[&str] = &[
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
pub(crate) fn words(question: &str) -> Vec<String> {
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

pub(super) fn known_word(word: &str) -> bool {
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

/// Words that sit where a pool's name would but are not one ("how full is my disk?").
pub(super) const NOT_A_NAME: &[&str] = &[
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
