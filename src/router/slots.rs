//! The slots of a question: the things it names besides its subject — containers, a number of
//! lines, a time window, a text to look for, a container state, a metric — each read by a small
//! grammar of its own, and filled the same way from an adapter's command.

use super::vocabulary::{
    CONSUMING, CRASH_WORDS, DISK, ENGINE_WORDS, MEMORY, NOT_A_NAME, RESOURCE_WORDS, known_word,
    words,
};

/// What a container question asks beyond the plain list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ContainerFocus {
    /// Which containers there are, in which state.
    #[default]
    List,
    /// What crashed, restarted or was killed, and why.
    Crashes,
    /// Which containers use the most CPU or memory.
    Resources,
    /// The Docker engine itself: version, counts.
    Engine,
}

/// Everything a question or a command names besides its intents.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Slots {
    /// The containers named: matched against the live list for a question, as given for a
    /// command (the Docker tools resolve prefixes and parts of names themselves).
    pub containers: Vec<String>,
    /// Log lines asked for: "last 20 lines".
    pub lines: Option<u32>,
    /// A time window: "in the last hour" → `1h`.
    pub since: Option<String>,
    /// Text to look for in logs: "containing timeout", "errors".
    pub filter: Option<String>,
    /// Every container, stopped ones too.
    pub all: bool,
    /// A container state asked about: `unhealthy`, `healthy`, `restarting`, `paused`, `stopped`.
    pub state: Option<&'static str>,
    /// Memory rather than CPU, for processes and container stats.
    pub by_memory: bool,
    pub focus: ContainerFocus,
}

impl Slots {
    /// The slots a question's words fill; containers are matched later, against the live list.
    pub fn from_words(words: &[String]) -> Self {
        let has = |set: &[&str]| words.iter().any(|w| set.contains(&w.as_str()));
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
        let focus = if has(CRASH_WORDS) {
            ContainerFocus::Crashes
        } else if has(RESOURCE_WORDS) || has(CONSUMING) {
            ContainerFocus::Resources
        } else if has(ENGINE_WORDS) {
            ContainerFocus::Engine
        } else {
            ContainerFocus::List
        };
        Self {
            containers: Vec::new(),
            lines: wanted_lines(words),
            since: wanted_window(words),
            filter: wanted_filter(words),
            all: has(&["all", "every", "everything"]),
            state,
            by_memory: has(MEMORY) || words.iter().any(|w| w == "memory"),
            focus,
        }
    }
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
pub(super) fn wanted_lines(words: &[String]) -> Option<u32> {
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
        .then(|| n.clamp(1, crate::tools::docker::logs::MAX_LOG_LINES))
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
pub(super) fn wanted_window(words: &[String]) -> Option<String> {
    for (i, w) in words.iter().enumerate() {
        if w == "since"
            && let Some(next) = words.get(i + 1)
            && crate::tools::docker::parse_since(next).is_ok()
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
pub(super) fn wanted_filter(words: &[String]) -> Option<String> {
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

/// The name a storage question asks about, if it names one: "how full is tank?", "the backup
/// pool", "space left on media", "usage of pool2".
pub(super) fn named_filesystem(question: &str) -> Option<String> {
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
