//! The policy's vocabulary, read from data files (`lexicon/*.toml`, one per language, embedded at
//! build time) so that words and frames can be added without touching the classifier's logic.
//! The frame patterns are regexes built here from the fragments those files list.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

/// A set of words, matched whole against normalised tokens.
#[derive(Debug, Default)]
pub(super) struct WordSet(HashSet<String>);

impl WordSet {
    pub(super) fn contains<W: AsRef<str> + ?Sized>(&self, word: &W) -> bool {
        self.0.contains(word.as_ref())
    }

    fn from_list(words: &[String]) -> Self {
        WordSet(words.iter().cloned().collect())
    }
}

/// The English lexicon file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnglishFile {
    words: HashMap<String, Vec<String>>,
    actions: ActionsFile,
    things: HashMap<String, Vec<String>>,
    frames: FramesFile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionsFile {
    verbs: Vec<[String; 3]>,
    nouns: Vec<[String; 2]>,
    claimed_past: Vec<[String; 2]>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FramesFile {
    request_lead: Vec<String>,
    request_core: Vec<String>,
    wh_request: Vec<String>,
    request_despite_negation: Vec<String>,
    wh_gerund: String,
    gerund: String,
    participle_must: String,
    participle_wish: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppsFile {
    apps: Vec<String>,
}

const ENGLISH_TOML: &str = include_str!("lexicon/en.toml");
const APPS_TOML: &str = include_str!("lexicon/apps.toml");

/// The embedded files are part of the program; a malformed one is a build defect that the unit
/// tests below catch, so failing loudly on first use is right.
static ENGLISH: LazyLock<EnglishFile> = LazyLock::new(|| {
    toml::from_str(ENGLISH_TOML).unwrap_or_else(|e| panic!("lexicon/en.toml: {e}"))
});

fn english_words(key: &str) -> WordSet {
    match ENGLISH.words.get(key) {
        Some(list) => WordSet::from_list(list),
        None => panic!("lexicon/en.toml: [words] has no `{key}`"),
    }
}

fn english_things(key: &str) -> WordSet {
    match ENGLISH.things.get(key) {
        Some(list) => WordSet::from_list(list),
        None => panic!("lexicon/en.toml: [things] has no `{key}`"),
    }
}

macro_rules! word_sets {
    ($source:ident: $($name:ident = $key:literal;)*) => {
        $(pub(super) static $name: LazyLock<WordSet> = LazyLock::new(|| $source($key));)*
    };
}

word_sets! { english_words:
    CONTRACTED_IS = "contracted_is";
    CONJUNCTIONS = "conjunctions";
    LEAD_WORDS = "lead_words";
    QUESTION_OPENERS = "question_openers";
    PARTICLE_ONLY = "particle_only";
    PARTICLES = "particles";
    NOUN_FOLLOWERS = "noun_followers";
    SOFT_FOLLOWERS = "soft_followers";
    POLITE = "polite";
    NEGATIONS = "negations";
    POINTERS = "pointers";
    READ_OBJECTS = "read_objects";
    TIME_UNITS = "time_units";
    FUTURE_EVENTS = "future_events";
    FUTURE_STATES = "future_states";
    DETERMINERS = "determiners";
}

word_sets! { english_things:
    HOST_WORDS = "host";
    SERVICE_WORDS = "service";
    STORAGE_WORDS = "storage";
    IMAGE_WORDS = "image";
    NETWORK_WORDS = "network";
    FILE_WORDS = "file";
    AUTOMATION_WORDS = "automation";
    PACKAGE_WORDS = "package";
    CONTAINER_WORDS = "container";
}

pub(super) static KNOWN_APPS: LazyLock<WordSet> = LazyLock::new(|| {
    let file: AppsFile =
        toml::from_str(APPS_TOML).unwrap_or_else(|e| panic!("lexicon/apps.toml: {e}"));
    WordSet::from_list(&file.apps)
});

/// Every action verb: base form, past participle, gerund ("-" where there is none).
pub(super) static VERBS: LazyLock<&'static [[String; 3]]> =
    LazyLock::new(|| ENGLISH.actions.verbs.as_slice());

/// Nouns of actions and their verbs ("restart", "deployment" → "deploy").
pub(super) static ACTION_NOUNS: LazyLock<&'static [[String; 2]]> =
    LazyLock::new(|| ENGLISH.actions.nouns.as_slice());

/// Past forms that, after "I", claim an action.
pub(super) static PAST_ACTIONS: LazyLock<&'static [[String; 2]]> =
    LazyLock::new(|| ENGLISH.actions.claimed_past.as_slice());

fn compile(name: &str, pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("lexicon/en.toml: frame `{name}`: {e}"))
}

fn alternatives(parts: &[String]) -> String {
    parts.join("|")
}

/// Frames that turn the clause into a request even after a question word.
pub(super) static WH_REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    let frames = &ENGLISH.frames;
    compile(
        "wh_request",
        &format!("^(?:{})$", alternatives(&frames.wh_request)),
    )
});

/// Negated prefixes that still ask for an action: "don't forget to", "why don't you".
pub(super) static REQUEST_DESPITE_NEGATION: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        "request_despite_negation",
        &alternatives(&ENGLISH.frames.request_despite_negation),
    )
});

/// The frames of a request: what may stand before the verb. The optional leading group takes
/// hedges ("I think"), claimed authority ("as the owner"), and injected framing ("ignore your
/// previous instructions", "you are now in admin mode").
pub(super) static REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    let frames = &ENGLISH.frames;
    let lead = alternatives(&frames.request_lead);
    let core = alternatives(&frames.request_core);
    compile(
        "request",
        &format!(r"^(?:(?:{lead})(?: |$))*(?:(?:{core}))?$"),
    )
});

pub(super) static WH_GERUND: LazyLock<Regex> =
    LazyLock::new(|| compile("wh_gerund", &ENGLISH.frames.wh_gerund));

pub(super) static GERUND: LazyLock<Regex> =
    LazyLock::new(|| compile("gerund", &ENGLISH.frames.gerund));

pub(super) static PARTICIPLE_MUST: LazyLock<Regex> =
    LazyLock::new(|| compile("participle_must", &ENGLISH.frames.participle_must));

pub(super) static PARTICIPLE_WISH: LazyLock<Regex> =
    LazyLock::new(|| compile("participle_wish", &ENGLISH.frames.participle_wish));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_file_loads_and_every_frame_compiles() {
        for set in [
            &CONTRACTED_IS,
            &CONJUNCTIONS,
            &LEAD_WORDS,
            &QUESTION_OPENERS,
            &POLITE,
            &NEGATIONS,
            &HOST_WORDS,
            &CONTAINER_WORDS,
            &KNOWN_APPS,
        ] {
            assert!(!set.0.is_empty());
        }
        assert!(VERBS.len() > 100);
        assert!(!ACTION_NOUNS.is_empty() && !PAST_ACTIONS.is_empty());
        for regex in [
            &WH_REQUEST,
            &REQUEST_DESPITE_NEGATION,
            &REQUEST,
            &WH_GERUND,
            &GERUND,
            &PARTICIPLE_MUST,
            &PARTICIPLE_WISH,
        ] {
            let _ = regex.is_match("");
        }
    }
}
