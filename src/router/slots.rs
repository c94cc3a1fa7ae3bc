//! The slots of a question: the things it names besides its subject — containers, a number of
//! lines, a time window, a text to look for, a container state, a metric — each read by a small
//! grammar of its own, and filled the same way from an adapter's command.

use super::vocabulary::{VOCABULARY, known_word, words};
use crate::policy::WordSet;

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
    /// What the engine did over a window: starts, stops, deaths.
    Events,
    /// The images the engine stores.
    Images,
    /// The disk Docker takes.
    DiskUse,
    /// A container's settings (limits, policy): its details, or the list when none is named.
    Details,
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
    /// How many to show: "top 3", "the 5 heaviest processes", "the single busiest".
    pub count: Option<u32>,
    /// Memory rather than CPU, for processes and container stats.
    pub by_memory: bool,
    pub focus: ContainerFocus,
    /// A ZFS dataset named with its pool: "tank/media".
    pub dataset: Option<String>,
    /// One host of the fleet: "how is the pi doing?", "status of nas:9100".
    pub host: Option<String>,
    /// A part of several containers' names ("idle"): the list is narrowed to them.
    pub group: Option<String>,
}

impl Slots {
    /// The slots a question's words fill; containers are matched later, against the live list.
    pub fn from_words(words: &[String]) -> Self {
        let has = |set: &WordSet| words.iter().any(|w| set.contains(w));
        let any_of = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
        let state = if has(&VOCABULARY.unhealthy_state) {
            Some("unhealthy")
        } else if has(&VOCABULARY.healthy_state) {
            Some("healthy")
        } else if has(&VOCABULARY.restarting_state) {
            Some("restarting")
        } else if any_of(&["paused"]) {
            Some("paused")
        } else if has(&VOCABULARY.stopped_state)
            || words.windows(2).any(|w| w[0] == "not" && w[1] == "running")
        {
            Some("stopped")
        } else {
            None
        };
        let focus =
            if any_of(&["docker"]) && (has(&VOCABULARY.docker_space) || has(&VOCABULARY.disk)) {
                ContainerFocus::DiskUse
            } else if has(&VOCABULARY.image) {
                ContainerFocus::Images
            } else if has(&VOCABULARY.event) {
                ContainerFocus::Events
            } else if has(&VOCABULARY.crash) {
                ContainerFocus::Crashes
            } else if has(&VOCABULARY.detail) {
                // "memhog's memory limit": a setting of the container, not what it uses now.
                ContainerFocus::Details
            } else if has(&VOCABULARY.resource) || has(&VOCABULARY.consuming) {
                ContainerFocus::Resources
            } else if has(&VOCABULARY.engine) {
                ContainerFocus::Engine
            } else if wanted_window(words).is_some() && any_of(&["docker"]) {
                // "what did docker do in the past hour?": what happened over a window.
                ContainerFocus::Events
            } else {
                ContainerFocus::List
            };
        Self {
            containers: Vec::new(),
            lines: wanted_lines(words),
            since: wanted_window(words),
            filter: wanted_filter(words),
            count: wanted_count(words),
            all: any_of(&[
                "all",
                "every",
                "everything",
                "tous",
                "alle",
                "todos",
                "tutti",
            ]),
            state,
            by_memory: has(&VOCABULARY.memory) || words.iter().any(|w| w == "memory"),
            focus,
            // "tank/media", not a path ("/mnt/tank") or a fraction ("1/2").
            dataset: words
                .iter()
                .find(|w| {
                    w.contains('/')
                        && !w.starts_with('/')
                        && !w.ends_with('/')
                        && w.chars().next().is_some_and(char::is_alphabetic)
                })
                .cloned(),
            // "nas:9100", "192.168.1.20": a host as Prometheus names its instances.
            host: words
                .iter()
                .find(|w| {
                    let (name, port) = w.split_once(':').unwrap_or((w.as_str(), ""));
                    let ip = name.split('.').count() == 4
                        && name.split('.').all(|p| p.parse::<u8>().is_ok());
                    (!port.is_empty()
                        && port.chars().all(|c| c.is_ascii_digit())
                        && !name.is_empty())
                        || ip
                })
                .cloned(),
            group: None,
        }
    }
}

/// The containers a question names: a word equal to a name, or to one part of a compose-style
/// name (`plex` in `media-plex-1`) that no other container shares.
pub fn mentioned_containers(words: &[String], known: &[String]) -> Vec<String> {
    let mut mentioned: Vec<String> = Vec::new();
    for word in words {
        let word = word.strip_suffix("'s").unwrap_or(word);
        // "backup-Container", "plex-conteneur": the name with a word for container joined on.
        let word = word
            .rsplit_once('-')
            .filter(|(_, tail)| VOCABULARY.containers.contains(tail))
            .map_or(word, |(head, _)| head);
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
        // One typo in a name of four letters or more ("crashlop", "imoprter", "plexx"), when
        // it points at one container only.
        let near: Vec<&String> = known
            .iter()
            .filter(|k| {
                word.chars().count() >= 4
                    && !known_word(word)
                    && strsim::damerau_levenshtein(&k.to_lowercase(), word) == 1
            })
            .collect();
        let hit = match (exact, by_part.as_slice(), near.as_slice()) {
            (Some(name), _, _) => Some(name),
            (None, [only], _) => Some(*only),
            (None, [], [only]) => Some(*only),
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

/// A word of the question that is one part of two or more containers' names, compose style
/// ("idle" of idle-1 and idle-2, "media" of media-plex-1 and media-sonarr-1), and not a word of
/// the vocabulary.
pub fn shared_name_part(words: &[String], known: &[String]) -> Option<String> {
    words.iter().find_map(|word| {
        let shared = word.len() >= 3
            && !known_word(word)
            && !known.iter().any(|k| k.eq_ignore_ascii_case(word))
            && known
                .iter()
                .filter(|k| {
                    k.to_lowercase()
                        .split(['-', '_', '.'])
                        .any(|part| part == word)
                })
                .nth(1)
                .is_some();
        shared.then(|| word.clone())
    })
}

/// A number of lines asked for: "last 20 lines", "tail 100", "tail -n 30".
pub(super) fn wanted_lines(words: &[String]) -> Option<u32> {
    words
        .iter()
        .enumerate()
        .find_map(|(i, w)| {
            let n: u32 = w.parse().ok()?;
            let next = words.get(i + 1).map(String::as_str);
            let before = i
                .checked_sub(1)
                .and_then(|j| words.get(j))
                .map(String::as_str);
            (next.is_some_and(|w| VOCABULARY.line.contains(&w))
                || before.is_some_and(|w| VOCABULARY.last.contains(&w) || w == "tail" || w == "n")
                    && !next.is_some_and(is_time_unit))
            .then(|| n.clamp(1, crate::tools::docker::logs::MAX_LOG_LINES))
        })
        .or_else(|| {
            // "the last line of crashloop": one line.
            words
                .windows(2)
                .any(|w| VOCABULARY.last.contains(&w[0].as_str()) && w[1] == "line")
                .then_some(1)
        })
}

/// How many of something to show: "top 3", "5 processes", "the single busiest".
pub(super) fn wanted_count(words: &[String]) -> Option<u32> {
    words
        .iter()
        .enumerate()
        .find_map(|(i, w)| {
            let n: u32 = w.parse().ok()?;
            let before = i.checked_sub(1).map(|j| words[j].as_str());
            let next = words.get(i + 1).map(String::as_str);
            (before == Some("top")
                || next.is_some_and(|w| {
                    VOCABULARY.processes.contains(&w)
                        || matches!(w, "containers" | "conteneurs" | "container")
                })
                || before.is_some_and(|b| matches!(b, "les" | "los" | "die" | "the" | "i" | "os"))
                    && !next.is_some_and(|w| VOCABULARY.line.contains(&w) || is_time_unit(w)))
            .then(|| n.clamp(1, 50))
        })
        .or_else(|| words.iter().any(|w| w == "single").then_some(1))
}

fn is_time_unit(word: &str) -> bool {
    time_unit(word).is_some()
}

fn time_unit(word: &str) -> Option<&'static str> {
    Some(match word {
        "minute" | "minutes" | "min" | "mins" | "minuten" | "minuut" | "minuto" | "minutos"
        | "minuti" => "m",
        "hour" | "hours" | "hr" | "hrs" | "heure" | "heures" | "stunde" | "stunden" | "hora"
        | "horas" | "ora" | "ore" | "uur" | "uren" => "h",
        "day" | "days" | "jour" | "jours" | "tag" | "tage" | "tagen" | "día" | "días" | "dia"
        | "dias" | "giorno" | "giorni" | "dag" | "dagen" => "d",
        "week" | "weeks" | "semaine" | "semaines" | "woche" | "wochen" | "semana" | "semanas"
        | "settimana" | "settimane" | "weken" => "w",
        _ => return None,
    })
}

/// A time window asked for: "since 1h", "in the last 30 minutes", "past hour", "this week".
pub(super) fn wanted_window(words: &[String]) -> Option<String> {
    for (i, w) in words.iter().enumerate() {
        // "since 2h", "depuis 1h", "seit 30m": the word for "since" before a duration.
        if matches!(
            w.as_str(),
            "since" | "depuis" | "seit" | "desde" | "sinds" | "dal"
        ) && let Some(next) = words.get(i + 1)
            && crate::tools::docker::parse_since(next).is_ok()
        {
            return Some(next.clone());
        }
        // "the past half hour", "half an hour", "une demi-heure", "eine halbe Stunde".
        if matches!(
            w.as_str(),
            "half" | "demi" | "halbe" | "halben" | "media" | "meia"
        ) && words[i + 1..]
            .iter()
            .take(2)
            .any(|next| time_unit(next) == Some("h"))
            || matches!(
                w.as_str(),
                "half-hour" | "demi-heure" | "halfuur" | "mezzora"
            )
        {
            return Some("30m".to_owned());
        }
        if let Some(unit) = time_unit(w) {
            let before = i.checked_sub(1).and_then(|j| words.get(j));
            // "des 10 dernières minutes", "nelle ultime 2 ore": the number may stand before
            // the word for "last".
            let two_before = i
                .checked_sub(2)
                .and_then(|j| words.get(j))
                .filter(|_| before.is_some_and(|b| VOCABULARY.last.contains(&b.as_str())));
            let positive = |n: &&String| n.parse::<u32>().is_ok_and(|n| n > 0);
            if let Some(n) = before.filter(positive).or(two_before.filter(positive)) {
                return Some(format!("{n}{unit}"));
            }
            if before.is_some_and(|b| {
                VOCABULARY.last.contains(&b.as_str())
                    // "an hour", "une heure", "eine Stunde", "un'ora", "een uur": one.
                    || matches!(
                        b.as_str(),
                        "an" | "a"
                            | "this"
                            | "the"
                            | "der"
                            | "la"
                            | "het"
                            | "une"
                            | "un"
                            | "eine"
                            | "einer"
                            | "una"
                            | "uno"
                            | "um"
                            | "uma"
                            | "een"
                            | "ora"
                    )
            }) {
                return Some(format!("1{unit}"));
            }
        }
        if w == "today" {
            return Some("24h".to_owned());
        }
    }
    None
}

/// Text to look for in logs: a quoted word next to a search word ("find 'stderr' in …"), the
/// word after "for" ("grep chatty for hello"), after "containing", "matching", "mentioning", or
/// after the search word itself ("cherche quota dans …"); else errors.
pub(super) fn wanted_filter(words: &[String]) -> Option<String> {
    let searching = words
        .iter()
        .any(|w| VOCABULARY.search.contains(&w.as_str()));
    // "lines with 'hello' in them": a quoted word in a question about lines is what to find.
    let about_lines = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "line" | "lines" | "entries" | "entry" | "messages" | "with" | "lignes" | "zeilen"
        )
    });
    let quoted = (searching || about_lines)
        .then(|| {
            words
                .iter()
                .find(|w| w.len() > 2 && w.starts_with('\'') && w.ends_with('\''))
        })
        .flatten();
    // "for the word error", "for the string 'quota'": what follows the filler is the term.
    let after = |is_key: &dyn Fn(&str) -> bool| {
        words.iter().enumerate().find_map(|(i, w)| {
            is_key(w)
                .then(|| {
                    words[i + 1..]
                        .iter()
                        .find(|w| {
                            !matches!(
                                w.as_str(),
                                "the" | "a" | "word" | "term" | "string" | "text" | "phrase"
                            )
                        })
                        .cloned()
                })
                .flatten()
        })
    };
    quoted
        .cloned()
        .or_else(|| {
            searching
                .then(|| after(&|w| matches!(w, "for" | "nach" | "por" | "per" | "naar")))
                .flatten()
        })
        .or_else(|| {
            after(&|w| {
                matches!(
                    w,
                    "containing" | "matching" | "mentioning" | "mention" | "mentions" | "contain"
                )
            })
        })
        .or_else(|| {
            after(&|w| VOCABULARY.search.contains(w))
                .filter(|w| !matches!(w.as_str(), "the" | "in" | "for"))
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
            && !VOCABULARY.not_a_name.contains(&w.as_str())
            && !VOCABULARY.disk.contains(&w.as_str())
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
                if i >= 1
                    && words[..i]
                        .iter()
                        .any(|w| VOCABULARY.disk.contains(&w.as_str())) =>
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
