//! The policy's vocabulary, read from data files (`lexicon/*.toml`, one per language, embedded at
//! build time) so that words and frames can be added without touching the classifier's logic.
//! The frame patterns are regexes built here from the fragments those files list.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

/// A set of words, matched whole against normalised tokens; the router's vocabulary uses it too.
#[derive(Debug, Default)]
pub(crate) struct WordSet(HashSet<String>);

impl WordSet {
    pub(crate) fn contains<W: AsRef<str> + ?Sized>(&self, word: &W) -> bool {
        self.0.contains(word.as_ref())
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &String> {
        self.0.iter()
    }

    pub(crate) fn extend(&mut self, words: impl IntoIterator<Item = String>) {
        self.0.extend(words);
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
    common_past: Vec<[String; 2]>,
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

const ENGLISH_TOML: &str = LANGUAGE_FILES[0].1;
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
    REPORT_MARKERS = "report_markers";
    CLAIM_LINKS = "claim_links";
    FIRST_PERSON = "first_person";
    CLAIM_LEADS = "claim_leads";
    LIGHT_VERBS = "light_verbs";
    ACCESS_VERBS = "access_verbs";
    ACCESS_NOUNS = "access_nouns";
    COMMON_VERBS = "common_verbs";
}

/// English phrases that put an act on the user's word or the assistant's hand ("as you asked",
/// "by me"), as words.
pub(super) static ON_REQUEST: LazyLock<Vec<Vec<String>>> = LazyLock::new(|| {
    english_words("on_request")
        .iter()
        .map(|phrase| phrase.split(' ').map(str::to_owned).collect())
        .collect()
});

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

/// Past forms of verbs too common to claim alone, and the act each claims ("cleared" → "clear").
pub(super) static COMMON_PAST: LazyLock<&'static [[String; 2]]> =
    LazyLock::new(|| ENGLISH.actions.common_past.as_slice());

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

/// The lexicons, English first, then the other languages in the order they are tried.
const LANGUAGE_FILES: [(&str, &str); 7] = language_files!("lexicon");

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConjugationFile {
    #[serde(default)]
    imperative: Vec<String>,
    #[serde(default)]
    infinitive: Vec<String>,
    #[serde(default)]
    done: Vec<String>,
    #[serde(default)]
    ongoing: Vec<String>,
    #[serde(default)]
    future: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeparableFile {
    action: String,
    particles: Vec<String>,
    forms: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LanguageWordsFile {
    polite: Vec<String>,
    question: Vec<String>,
    request: Vec<String>,
    pronouns: Vec<String>,
    negation: Vec<String>,
    first_person: Vec<String>,
    auxiliary: Vec<String>,
    future: Vec<String>,
    done: Vec<String>,
    action_nouns: Vec<String>,
    need: Vec<String>,
    on_request: Vec<String>,
    ongoing: Vec<String>,
    completed: Vec<String>,
    time_openers: Vec<String>,
    time_words: Vec<String>,
    access_verbs: Vec<String>,
    access_nouns: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LanguageFile {
    #[serde(default)]
    conjugations: HashMap<String, ConjugationFile>,
    verbs: HashMap<String, Vec<String>>,
    #[serde(default)]
    separable: Vec<SeparableFile>,
    words: LanguageWordsFile,
    things: HashMap<String, String>,
}

/// How a verb form is used: the first two word a request, the others report or claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Imperative,
    Infinitive,
    Done,
    Ongoing,
    Future,
}

impl Kind {
    fn parse(name: &str) -> Option<Kind> {
        Some(match name {
            "imperative" => Kind::Imperative,
            "infinitive" => Kind::Infinitive,
            "done" => Kind::Done,
            "ongoing" => Kind::Ongoing,
            "future" => Kind::Future,
            _ => return None,
        })
    }

    pub(super) fn asks(self) -> bool {
        matches!(self, Kind::Imperative | Kind::Infinitive)
    }
}

/// One reading of a word: the English action it names and how it is used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct VerbForm {
    pub(super) action: String,
    pub(super) kind: Kind,
}

/// A separable verb ("starte … neu"): its forms, and the particles that complete it.
#[derive(Debug)]
pub(super) struct Separable {
    pub(super) form: VerbForm,
    pub(super) particles: Vec<String>,
}

/// Every other language merged: a word is looked up once, whatever language it is in.
#[derive(Debug, Default)]
pub(super) struct Languages {
    /// Single-word forms.
    pub(super) forms: HashMap<String, Vec<VerbForm>>,
    /// Multi-word forms ("mets a jour"), as words.
    pub(super) phrases: Vec<(Vec<String>, VerbForm)>,
    pub(super) separable: HashMap<String, Vec<Separable>>,
    /// Single-word forms with one letter deleted, for typo lookup (symmetric deletion).
    pub(super) deletions: HashMap<String, Vec<String>>,
    pub(super) polite: WordSet,
    pub(super) question: WordSet,
    pub(super) question_phrases: Vec<Vec<String>>,
    pub(super) request: WordSet,
    pub(super) pronouns: WordSet,
    pub(super) negation: WordSet,
    pub(super) first_person: WordSet,
    pub(super) auxiliary: WordSet,
    pub(super) future: WordSet,
    pub(super) done: Vec<Vec<String>>,
    pub(super) action_nouns: HashMap<String, String>,
    pub(super) need: WordSet,
    /// "wie gewünscht", "por mí": the act was done at the user's word or by the assistant.
    pub(super) on_request: Vec<Vec<String>>,
    /// "en cours", "gerade", "bezig met": the act is going on now.
    pub(super) ongoing: Vec<Vec<String>>,
    /// "appliquée", "eingespielt": an act named by a noun was carried out.
    pub(super) completed: WordSet,
    /// "cada", "ogni", "dentro": a time that opens an order for later.
    pub(super) time_openers: WordSet,
    /// "noche", "alle", "minutos": the rest of such a time.
    pub(super) time_words: WordSet,
    /// "connecte-toi", "log", "tippe": verbs that open a shell or type a command.
    pub(super) access_verbs: WordSet,
    /// "ssh", "konsole", "commande": what they open or type.
    pub(super) access_nouns: WordSet,
    pub(super) things: HashMap<String, String>,
}

impl Languages {
    fn add_form(&mut self, written: &str, form: VerbForm) {
        let words: Vec<String> = fold_lexicon(written)
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        match words.as_slice() {
            [] => {}
            [word] => {
                let readings = self.forms.entry(word.clone()).or_default();
                if !readings.contains(&form) {
                    readings.push(form);
                }
            }
            _ => self.phrases.push((words, form)),
        }
    }

    /// Expands "stem+class" through the file's conjugations, or reads "form=kind".
    fn add_entry(
        &mut self,
        language: &str,
        action: &str,
        entry: &str,
        conjugations: &HashMap<String, ConjugationFile>,
    ) -> Vec<VerbForm> {
        let mut added = Vec::new();
        if let Some((stem, class)) = entry.split_once('+') {
            let Some(table) = conjugations.get(class) else {
                panic!("lexicon/{language}.toml: no conjugation `{class}` for `{entry}`");
            };
            for (kind, endings) in [
                (Kind::Imperative, &table.imperative),
                (Kind::Infinitive, &table.infinitive),
                (Kind::Done, &table.done),
                (Kind::Ongoing, &table.ongoing),
                (Kind::Future, &table.future),
            ] {
                for ending in endings {
                    let form = VerbForm {
                        action: action.to_owned(),
                        kind,
                    };
                    self.add_form(&format!("{stem}{ending}"), form.clone());
                    added.push(form);
                }
            }
        } else if let Some((written, kind)) = entry.split_once('=') {
            let Some(kind) = Kind::parse(kind) else {
                panic!("lexicon/{language}.toml: unknown kind in `{entry}`");
            };
            let form = VerbForm {
                action: action.to_owned(),
                kind,
            };
            self.add_form(written, form.clone());
            added.push(form);
        } else {
            panic!("lexicon/{language}.toml: `{entry}` is neither stem+class nor form=kind");
        }
        added
    }

    fn load(language: &str, text: &str, into: &mut Languages) {
        let file: LanguageFile =
            toml::from_str(text).unwrap_or_else(|e| panic!("lexicon/{language}.toml: {e}"));
        let mut actions: Vec<&String> = file.verbs.keys().collect();
        actions.sort();
        for action in actions {
            for entry in &file.verbs[action] {
                into.add_entry(language, action, entry, &file.conjugations);
            }
        }
        for separable in &file.separable {
            for entry in &separable.forms {
                let Some((written, kind)) = entry.split_once('=') else {
                    panic!("lexicon/{language}.toml: separable form `{entry}` needs =kind");
                };
                let Some(kind) = Kind::parse(kind) else {
                    panic!("lexicon/{language}.toml: unknown kind in `{entry}`");
                };
                into.separable
                    .entry(fold_lexicon(written))
                    .or_default()
                    .push(Separable {
                        form: VerbForm {
                            action: separable.action.clone(),
                            kind,
                        },
                        particles: separable
                            .particles
                            .iter()
                            .map(|p| fold_lexicon(p))
                            .collect(),
                    });
            }
        }
        let words = &file.words;
        let extend = |set: &mut WordSet, list: &[String]| {
            set.0.extend(list.iter().map(|w| fold_lexicon(w)));
        };
        extend(&mut into.polite, &words.polite);
        for question in &words.question {
            let folded = fold_lexicon(question);
            if folded.contains(' ') {
                into.question_phrases
                    .push(folded.split(' ').map(str::to_owned).collect());
            } else {
                into.question.0.insert(folded);
            }
        }
        extend(&mut into.request, &words.request);
        extend(&mut into.pronouns, &words.pronouns);
        extend(&mut into.negation, &words.negation);
        extend(&mut into.first_person, &words.first_person);
        extend(&mut into.auxiliary, &words.auxiliary);
        extend(&mut into.future, &words.future);
        extend(&mut into.need, &words.need);
        extend(&mut into.completed, &words.completed);
        extend(&mut into.time_openers, &words.time_openers);
        extend(&mut into.time_words, &words.time_words);
        extend(&mut into.access_verbs, &words.access_verbs);
        extend(&mut into.access_nouns, &words.access_nouns);
        let phrases = |list: &[String]| -> Vec<Vec<String>> {
            list.iter()
                .map(|phrase| super::languages::tokens(&fold_lexicon(phrase)))
                .collect()
        };
        into.on_request.extend(phrases(&words.on_request));
        into.ongoing.extend(phrases(&words.ongoing));
        for done in &words.done {
            into.done
                .push(super::languages::tokens(&fold_lexicon(done)));
        }
        for pair in &words.action_nouns {
            let Some((noun, action)) = pair.split_once('=') else {
                panic!("lexicon/{language}.toml: action noun `{pair}` needs =action");
            };
            into.action_nouns
                .insert(fold_lexicon(noun), action.to_owned());
        }
        for (thing, english) in &file.things {
            into.things.insert(fold_lexicon(thing), english.clone());
        }
    }

    fn index_deletions(&mut self) {
        let mut deletions: HashMap<String, Vec<String>> = HashMap::new();
        for word in self.forms.keys().filter(|w| w.chars().count() >= 4) {
            for variant in one_deleted(word) {
                deletions.entry(variant).or_default().push(word.clone());
            }
        }
        self.deletions = deletions;
    }
}

/// `word` with each one of its letters left out in turn.
pub(crate) fn one_deleted(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    (0..chars.len())
        .map(|skip| {
            chars
                .iter()
                .enumerate()
                .filter(|&(at, _)| at != skip)
                .map(|(_, c)| *c)
                .collect()
        })
        .collect()
}

/// Lexicon entries are written the way normalised text reads, but are folded the same way once
/// more, so that an accent left in a file still matches.
fn fold_lexicon(written: &str) -> String {
    super::normalise::fold_characters(written).to_lowercase()
}

pub(super) static LANGUAGES: LazyLock<Languages> = LazyLock::new(|| {
    let mut languages = Languages::default();
    for (language, text) in &LANGUAGE_FILES[1..] {
        Languages::load(language, text, &mut languages);
    }
    languages.index_deletions();
    languages
});

/// Every word that names an action in some language, for folding spellings ("r3b00t").
pub(super) static ACTION_WORDS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    let mut words: HashSet<String> = LANGUAGES.forms.keys().cloned().collect();
    for [base, participle, gerund] in VERBS.iter() {
        for form in [base, participle, gerund] {
            if form != "-" {
                words.insert(form.clone());
            }
        }
    }
    for [noun, _] in ACTION_NOUNS.iter() {
        words.insert(noun.clone());
    }
    words
});

/// English action verbs of five letters or more, indexed by one deleted letter, for typos.
pub(super) static ENGLISH_DELETIONS: LazyLock<HashMap<String, Vec<String>>> = LazyLock::new(|| {
    let mut deletions: HashMap<String, Vec<String>> = HashMap::new();
    for [base, participle, gerund] in VERBS.iter() {
        for form in [base, participle, gerund] {
            if form != "-" && form.len() >= 5 {
                for variant in one_deleted(form) {
                    deletions.entry(variant).or_default().push(form.clone());
                }
            }
        }
    }
    deletions
});

/// Words any lexicon knows as something other than a typo: they are never "corrected".
pub(super) static KNOWN_WORDS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    let mut known: HashSet<String> = ACTION_WORDS.clone();
    for list in ENGLISH.words.values().chain(ENGLISH.things.values()) {
        known.extend(list.iter().cloned());
    }
    known.extend(KNOWN_APPS.0.iter().cloned());
    for [base, _, _] in VERBS.iter() {
        for suffix in ["s", "es", "d", "ed", "er", "ers"] {
            known.insert(format!("{base}{suffix}"));
        }
    }
    let languages = &*LANGUAGES;
    for set in [
        &languages.polite,
        &languages.question,
        &languages.request,
        &languages.pronouns,
        &languages.negation,
        &languages.auxiliary,
        &languages.future,
        &languages.need,
    ] {
        known.extend(set.0.iter().cloned());
    }
    known.extend(languages.things.keys().cloned());
    known.extend(languages.action_nouns.keys().cloned());
    known.extend(
        NEAR_MISSES
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned),
    );
    known
});

/// Real words one typo away from an action verb ("remote", "amount"), generated from system
/// dictionaries by scripts/near-misses.py: they are never read as typos.
const NEAR_MISSES: &str = include_str!("lexicon/near_misses.txt");

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
