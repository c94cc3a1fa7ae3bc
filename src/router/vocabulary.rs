//! The offline router's vocabulary: the words that name each subject (read from data files,
//! `vocabulary/*.toml`, one per language, embedded at build time), the words that are not
//! container names, and how a question's words map to intents.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::Intent;
use crate::policy::{WordSet, one_deleted};

/// The router's data files, one per language; the vocabulary is their union.
const FILES: [(&str, &str); 7] = language_files!("vocabulary");

/// Declares the word sets once: the struct's fields are the files' keys.
macro_rules! word_sets {
    ($($set:ident),* $(,)?) => {
        /// Every word set the router reads, each the union over the languages.
        #[derive(Debug, Default)]
        pub(super) struct Vocabulary {
            $(pub(super) $set: WordSet,)*
        }

        impl Vocabulary {
            /// Every set by name, for the data files' keys.
            fn set_mut(&mut self, key: &str) -> Option<&mut WordSet> {
                match key {
                    $(stringify!($set) => Some(&mut self.$set),)*
                    _ => None,
                }
            }
        }
    };
}

word_sets!(
    overview,
    overview_weak,
    cpu,
    memory,
    disk,
    temperature,
    processes,
    consuming,
    asking_who,
    network,
    containers,
    containers_weak,
    logs,
    alerts,
    pool,
    snapshot,
    app,
    smart,
    fleet,
    fleet_pickers,
    truenas,
    ups,
    container_health,
    crash,
    resource,
    engine,
    event,
    image,
    docker_space,
    stopwords,
    greetings,
    not_a_name,
    line,
    last,
    search,
    help,
    app_update,
    one_machine,
    drive,
    digest,
    daily,
    report,
    alert_phrases,
    log_phrases,
    detail,
    unhealthy_state,
    healthy_state,
    restarting_state,
    stopped_state,
);

impl Vocabulary {
    /// The sets that name what a question is about: a misspelling is read as one of these, never
    /// as a stop word or a greeting.
    fn subjects(&self) -> [&WordSet; 22] {
        [
            &self.overview,
            &self.cpu,
            &self.memory,
            &self.disk,
            &self.temperature,
            &self.processes,
            &self.network,
            &self.containers,
            &self.containers_weak,
            &self.logs,
            &self.alerts,
            &self.pool,
            &self.snapshot,
            &self.app,
            &self.smart,
            &self.fleet,
            &self.ups,
            &self.crash,
            &self.resource,
            &self.event,
            &self.image,
            &self.docker_space,
        ]
    }

    /// Reads the embedded files. They are part of the binary, so a mistake in one is a bug that
    /// the tests catch, not an input error.
    fn load() -> Self {
        let mut vocabulary = Self::default();
        for (language, text) in FILES {
            let file: HashMap<String, Vec<String>> = toml::from_str(text)
                .unwrap_or_else(|err| panic!("router vocabulary {language}.toml: {err}"));
            for (key, words) in file {
                let Some(set) = vocabulary.set_mut(&key) else {
                    panic!("router vocabulary {language}.toml: unknown word set `{key}`");
                };
                // People type without accents ("reseau", "memoire", "groesste"): each word also
                // stands in its folded spelling, so one entry covers both.
                let folded: Vec<String> = words
                    .iter()
                    .map(|w| fold_accents(w))
                    .filter(|f| !words.contains(f))
                    .collect();
                set.extend(words);
                set.extend(folded);
            }
        }
        vocabulary
    }
}

/// A word without its diacritics, and with "ß" as "ss": how it is typed on a keyboard without
/// the language's layout.
fn fold_accents(word: &str) -> String {
    let mut folded = String::with_capacity(word.len());
    for c in word.chars() {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => folded.push('a'),
            'ç' => folded.push('c'),
            'è' | 'é' | 'ê' | 'ë' => folded.push('e'),
            'ì' | 'í' | 'î' | 'ï' => folded.push('i'),
            'ñ' => folded.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => folded.push('o'),
            'ù' | 'ú' | 'û' | 'ü' => folded.push('u'),
            'ß' => folded.push_str("ss"),
            other => folded.push(other),
        }
    }
    folded
}

/// The runs of two to four consecutive words of a question, where a frame that no single word
/// says is looked up ("ne va pas", "klopt iets niet", "what's wrong"): one set lookup per run,
/// so the cost grows with the question, not with the phrase lists.
pub(super) fn word_runs(words: &[String]) -> Vec<String> {
    (2..=4)
        .flat_map(|n| words.windows(n).map(|run| run.join(" ")))
        .collect()
}

pub(super) static VOCABULARY: LazyLock<Vocabulary> = LazyLock::new(Vocabulary::load);

/// Subject words of six letters or more, indexed by each form with one letter left out
/// (symmetric deletion), so that a misspelt subject ("memroy", "contianers") still names it.
static SPELLING: LazyLock<HashMap<String, Vec<&'static str>>> = LazyLock::new(|| {
    let v = &*VOCABULARY;
    let mut index: HashMap<String, Vec<&'static str>> = HashMap::new();
    for set in v.subjects() {
        for word in set.iter().filter(|w| w.chars().count() >= 6) {
            let word = word.as_str();
            for variant in one_deleted(word).into_iter().chain([word.to_owned()]) {
                let entry = index.entry(variant).or_default();
                if !entry.contains(&word) {
                    entry.push(word);
                }
            }
        }
    }
    index
});

/// The subject words nearest to a word of five letters or more that is not in the vocabulary,
/// two edits or fewer away: too far to read as one of them, close enough to suggest it. It
/// compares with every subject word, which is fine for the rare question nothing matched.
pub(super) fn near_subject_words(word: &str) -> Vec<&'static str> {
    if word.chars().count() < 5 || known_word(word) {
        return Vec::new();
    }
    let mut nearest: Vec<&'static str> = Vec::new();
    let mut best = 3;
    for set in VOCABULARY.subjects() {
        for candidate in set.iter().filter(|w| w.chars().count() >= 5) {
            let distance = strsim::damerau_levenshtein(word, candidate);
            if distance < best {
                best = distance;
                nearest.clear();
            }
            if distance == best && !nearest.contains(&candidate.as_str()) {
                nearest.push(candidate);
            }
        }
    }
    nearest
}

/// The subject word a word misspells by one letter (left out, added, changed or swapped with
/// its neighbour), when it is six letters or more (five-letter words are too often other words:
/// "count" is one letter from "mount", "tempo" from "temps"), not a word of the vocabulary, and
/// the spelling points at one word only.
pub(super) fn respelt(word: &str) -> Option<&'static str> {
    if word.chars().count() < 6 || known_word(word) || !word.chars().all(char::is_alphabetic) {
        return None;
    }
    let mut found: Vec<&'static str> = Vec::new();
    for variant in one_deleted(word).into_iter().chain([word.to_owned()]) {
        for &candidate in SPELLING.get(&variant).into_iter().flatten() {
            if strsim::damerau_levenshtein(word, candidate) == 1 && !found.contains(&candidate) {
                found.push(candidate);
            }
        }
    }
    match found.as_slice() {
        [only] => Some(only),
        // "procesor": a letter left out is the likeliest slip, so when one word is the question's
        // with a letter added back ("processor") and the others differ by a changed letter
        // ("procesos"), that one is meant.
        _ => {
            let longer: Vec<&&str> = found
                .iter()
                .filter(|c| c.chars().count() == word.chars().count() + 1)
                .collect();
            match longer.as_slice() {
                [only] => Some(**only),
                _ => None,
            }
        }
    }
}

/// Words of a question: lowercase, punctuation trimmed.
pub(crate) fn words(question: &str) -> Vec<String> {
    // A typographic apostrophe ("what’s", "qu’a") is the same word as a straight one.
    let question = question.replace(['\u{2019}', '\u{2018}'], "'");
    question
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '?' | '!' | '"' | '(' | ')'))
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '/' && c != '\'')
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// The words and, after them, the parts of compounds and elisions: "CPU-Auslastung" also reads
/// as "cpu" and "auslastung", "d'images" as "images", so either can name a subject.
pub(super) fn with_parts(mut words: Vec<String>) -> Vec<String> {
    let parts: Vec<String> = words
        .iter()
        .filter(|w| w.contains(['-', '\'']))
        .flat_map(|w| w.split(['-', '\'']).map(str::to_owned).collect::<Vec<_>>())
        .filter(|w| w.len() > 1)
        .collect();
    words.extend(parts);
    words
}

/// The intents of a question, in a fixed order, without repeats.
pub fn detect_intents(question: &str) -> Vec<Intent> {
    let words: Vec<String> = with_parts(words(question))
        .into_iter()
        .map(|w| respelt(&w).map_or(w, str::to_owned))
        .collect();
    let has = |set: &WordSet| words.iter().any(|w| set.contains(w));
    let any_of = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    let mut intents = Vec::new();
    // "hi", "thanks!", "good morning": a greeting alone is answered with what can be asked.
    let greeting = !words.is_empty()
        && words
            .iter()
            .all(|w| VOCABULARY.greetings.contains(&w.as_str()));
    if greeting || has(&VOCABULARY.help) || question.to_lowercase().contains("what can you") {
        intents.push(Intent::Help);
    }
    // "Quelque chose ne va pas ?", "Klopt er iets niet?": a frame of several words asks about
    // problems as plainly as "alerts" does.
    let runs = word_runs(&self::words(question));
    let has_phrase = |set: &WordSet| runs.iter().any(|run| set.contains(run));
    if has(&VOCABULARY.alerts) || has_phrase(&VOCABULARY.alert_phrases) {
        // "Any TrueNAS alerts?" asks for TrueNAS's own list.
        intents.push(if has(&VOCABULARY.truenas) {
            Intent::TrueNasAlerts
        } else {
            Intent::Alerts
        });
    }
    let processes =
        has(&VOCABULARY.processes) || (has(&VOCABULARY.consuming) && has(&VOCABULARY.asking_who));
    if has(&VOCABULARY.cpu) && !processes {
        intents.push(Intent::Cpu);
    }
    if has(&VOCABULARY.memory) && !processes {
        intents.push(Intent::Memory);
    }
    if processes {
        intents.push(Intent::Processes);
    }
    if has(&VOCABULARY.disk) {
        intents.push(Intent::Disk);
    }
    if has(&VOCABULARY.temperature) {
        intents.push(Intent::Temperature);
    }
    if has(&VOCABULARY.network) {
        intents.push(Intent::Network);
    }
    if has(&VOCABULARY.pool) {
        // "Is my pool healthy?" asks for the pool's state; "how full is my pool?" or "space left
        // on my pools" for its capacity alone, unless a ZFS word ("zfs", "scrub") says more.
        let capacity = words.iter().any(|w| {
            VOCABULARY.disk.contains(&w.as_str()) && !VOCABULARY.pool.contains(&w.as_str())
        });
        let zfs_word = words
            .iter()
            .any(|w| VOCABULARY.pool.contains(&w.as_str()) && w != "pool" && w != "pools");
        if !capacity {
            intents.retain(|i| *i != Intent::Disk);
        }
        if !capacity || zfs_word {
            intents.push(Intent::Pools);
        }
    }
    if has(&VOCABULARY.ups) {
        intents.push(Intent::Ups);
    }
    // "Is any host down?", "which host is fullest?", "how is nas:9100 doing?": the fleet.
    let one_machine = has(&VOCABULARY.one_machine);
    let named_host = words.iter().any(|w| {
        w.split_once(':').is_some_and(|(n, p)| {
            !n.is_empty() && !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())
        })
    });
    if has(&VOCABULARY.fleet) || (one_machine && has(&VOCABULARY.fleet_pickers)) || named_host {
        intents.retain(|i| !matches!(i, Intent::Disk | Intent::Overview));
        intents.push(Intent::Fleet);
    }
    // "Disk temperatures?", "any SMART errors?": the drives' own health.
    let drive_word = any_of(&[
        "disk", "disks", "drive", "drives", "hdd", "hdds", "ssd", "ssds",
    ]);
    if has(&VOCABULARY.smart) || (drive_word && has(&VOCABULARY.temperature)) {
        intents.retain(|i| !matches!(i, Intent::Disk | Intent::Temperature));
        intents.push(Intent::DiskHealth);
    }
    if has(&VOCABULARY.snapshot) {
        // "How old is the newest snapshot of tank/media?" is not a disk question.
        intents.retain(|i| !matches!(i, Intent::Disk | Intent::Pools));
        intents.push(Intent::Snapshots);
    }
    // "How much space does docker use?" is about Docker's disk, not the host's filesystems.
    if any_of(&["docker"]) && (has(&VOCABULARY.docker_space) || has(&VOCABULARY.disk)) {
        intents.retain(|i| *i != Intent::Disk);
    }
    if has(&VOCABULARY.logs) || has_phrase(&VOCABULARY.log_phrases) {
        // "search chatty's log for 'warning'": the warning is a text to find, not an alert.
        intents.retain(|i| *i != Intent::Alerts);
        intents.push(Intent::Logs);
    } else if has(&VOCABULARY.containers)
        || has(&VOCABULARY.event)
        || has(&VOCABULARY.image)
        || (intents.is_empty() && has(&VOCABULARY.containers_weak))
    {
        // "Which container uses the most memory?" is about containers, not the host's processes.
        if has(&VOCABULARY.containers) {
            intents.retain(|i| !matches!(i, Intent::Cpu | Intent::Memory | Intent::Processes));
        }
        intents.push(Intent::Containers);
    }
    // "Which apps need an update?", "truenas apps": TrueNAS's app list. "What apps are running?"
    // stays a container question (TrueNAS apps are Docker containers too).
    let app_update = has(&VOCABULARY.app_update);
    if has(&VOCABULARY.app) && (app_update || has(&VOCABULARY.truenas)) {
        let only_app_words = words
            .iter()
            .filter(|w| VOCABULARY.containers.contains(&w.as_str()))
            .all(|w| VOCABULARY.app.contains(&w.as_str()));
        if only_app_words {
            intents.retain(|i| *i != Intent::Containers);
        }
        intents.push(Intent::Apps);
    }
    let about_containers = intents.iter().any(|i| {
        matches!(
            i,
            Intent::Containers
                | Intent::Logs
                | Intent::Pools
                | Intent::Ups
                | Intent::Snapshots
                | Intent::Apps
                | Intent::TrueNasAlerts
                | Intent::DiskHealth
                | Intent::Fleet
        )
    });
    // "Which containers are healthy?" asks about containers' health, not the host's.
    let overview = words.iter().any(|w| {
        VOCABULARY.overview.contains(&w.as_str())
            && !(about_containers && VOCABULARY.container_health.contains(&w.as_str()))
    });
    if overview || (intents.is_empty() && has(&VOCABULARY.overview_weak)) {
        intents.insert(0, Intent::Overview);
    }
    intents
}

pub(super) fn known_word(word: &str) -> bool {
    let v = &*VOCABULARY;
    word.chars().all(|c| c.is_ascii_digit())
        || [
            &v.overview,
            &v.overview_weak,
            &v.cpu,
            &v.memory,
            &v.disk,
            &v.temperature,
            &v.processes,
            &v.consuming,
            &v.asking_who,
            &v.network,
            &v.containers,
            &v.containers_weak,
            &v.logs,
            &v.alerts,
            &v.crash,
            &v.resource,
            &v.engine,
            &v.event,
            &v.image,
            &v.docker_space,
            &v.pool,
            &v.ups,
            &v.snapshot,
            &v.app,
            &v.truenas,
            &v.smart,
            &v.fleet,
            &v.stopwords,
            &v.detail,
            &v.unhealthy_state,
            &v.healthy_state,
            &v.restarting_state,
            &v.stopped_state,
        ]
        .iter()
        .any(|set| set.contains(word))
}
