//! Short follow-ups after a refused request ("yes, do it", "same for sonarr", "again", "oui") ask
//! for the same change and are refused in the same category; a follow-up about a read-only topic
//! ("and memory?", "and its logs?") is a new question and is answered.

use super::model::second_opinion_on_request;
use super::normalise::{normalize, words};
use super::{Category, Refusal, classify_normalized};

/// Longest message, in words, still read as a follow-up rather than a request of its own.
const MAX_FOLLOW_UP_WORDS: usize = 10;

/// Words that confirm, repeat or insist, in the languages the lexicons cover.
const INSISTING: &[&str] = &[
    "yes",
    "yeah",
    "yep",
    "yup",
    "ya",
    "y",
    "ok",
    "okay",
    "k",
    "sure",
    "please",
    "pls",
    "plz",
    "do",
    "it",
    "go",
    "ahead",
    "proceed",
    "confirm",
    "confirmed",
    "approved",
    "again",
    "retry",
    "try",
    "same",
    "for",
    "with",
    "also",
    "too",
    "as",
    "well",
    "what",
    "i",
    "asked",
    "said",
    "told",
    "you",
    "before",
    "earlier",
    "now",
    "just",
    "then",
    "that",
    "this",
    "one",
    "and",
    "continue",
    "affirmative",
    "correct",
    "right",
    "absolutely",
    "definitely",
    "yes,",
    "fine",
    "alright",
    "execute",
    "run",
    "anyway",
    "anyways",
    "still",
    "want",
    "to",
    "need",
    "let's",
    "lets",
    "let",
    "me",
    "again,",
    "thanks",
    "thank",
    "the",
    "other",
    "others",
    "rest",
    "all",
    "of",
    "them",
    "both",
    "everything",
    "next",
    "once",
    "more",
    "over",
    "oui",
    "vas-y",
    "vas",
    "y",
    "fais-le",
    "fais",
    "le",
    "encore",
    "pareil",
    "pour",
    "aussi",
    "ja",
    "mach",
    "es",
    "bitte",
    "nochmal",
    "auch",
    "gleiche",
    "fur",
    "si",
    "hazlo",
    "haz",
    "lo",
    "mismo",
    "con",
    "tambien",
    "otra",
    "vez",
    "fallo",
    "fai",
    "lo",
    "stesso",
    "per",
    "anche",
    "ancora",
    "sim",
    "faca",
    "isso",
    "mesmo",
    "tambem",
    "de",
    "novo",
    "doe",
    "het",
    "maar",
    "ook",
    "nog",
    "keer",
    "zelfde",
    "voor",
    "graag",
    "d'accord",
    "go-ahead",
    "yes.",
    "ok.",
    "do.",
    "proceed.",
    "sounds",
    "good",
    "perfect",
    "great",
    "cool",
    "👍",
    "✅",
    "asked,",
    "bro",
    "mate",
    "dude",
    "seriously",
    "come",
    "on",
    "don't",
    "refuse",
    "just",
    "hurry",
    "quickly",
    "immediately",
    "asap",
    "same,",
    "its",
    "his",
];

/// Topics a follow-up can ask about without asking for a change.
const READ_TOPICS: &[&str] = &[
    "logs",
    "log",
    "memory",
    "ram",
    "cpu",
    "status",
    "state",
    "health",
    "healthy",
    "uptime",
    "disk",
    "disks",
    "usage",
    "load",
    "stats",
    "network",
    "temperature",
    "temp",
    "errors",
    "error",
    "running",
    "up",
    "version",
    "ports",
    "port",
    "size",
    "space",
    "processes",
    "containers",
    "alerts",
    "why",
    "how",
    "when",
    "which",
    "who",
    "where",
    "is",
    "are",
    "was",
    "did",
    "does",
    "show",
    "list",
    "tell",
    "explain",
    "info",
    "details",
    "speed",
    "swap",
    "journaux",
    "memoire",
    "etat",
    "speicher",
    "zustand",
    "estado",
    "memoria",
    "registros",
    "stato",
    "geheugen",
    "status?",
];

/// A follow-up to a refused turn, refused in that turn's category; `None` for anything else.
/// The rules read it first, then the follow-up forms, and only then the model, so that "proceed"
/// keeps the category of what it would proceed with.
pub fn classify_follow_up(text: &str, previous_refusal: Option<Category>) -> Option<Refusal> {
    let category = previous_refusal?;
    let normalized = normalize(text);
    classify_normalized(&normalized)
        .or_else(|| insisting(&normalized, category))
        .or_else(|| second_opinion_on_request(&normalized))
}

/// "yes", "do it", "same for sonarr": a short reply that only insists on the refused request.
fn insisting(normalized: &str, category: Category) -> Option<Refusal> {
    let words: Vec<String> = words(normalized)
        .into_iter()
        .filter(|w| w != ",")
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
                .to_owned()
        })
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() || words.len() > MAX_FOLLOW_UP_WORDS {
        return None;
    }
    if words.iter().any(|w| READ_TOPICS.contains(&w.as_str())) {
        return None;
    }
    let named: Vec<&String> = words
        .iter()
        .filter(|w| !INSISTING.contains(&w.as_str()))
        .collect();
    // "same for sonarr", "and radarr": at most two other words, taken as what to do it to.
    if named.len() > 2 {
        return None;
    }
    Some(Refusal {
        category,
        action: "do that".to_owned(),
        target: (!named.is_empty()).then(|| {
            named
                .iter()
                .map(|w| w.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_ups_after_a_refusal_are_refused_in_its_category() {
        let previous = Some(Category::ContainerLifecycle);
        for text in [
            "yes",
            "yes, do it",
            "do it",
            "proceed",
            "same for sonarr",
            "again",
            "do what I asked before",
            "ok go ahead",
            "oui, vas-y",
            "ja bitte",
            "and radarr too",
        ] {
            let refusal = classify_follow_up(text, previous)
                .unwrap_or_else(|| panic!("`{text}` was not refused"));
            assert_eq!(refusal.category, Category::ContainerLifecycle, "`{text}`");
        }
    }

    #[test]
    fn read_only_follow_ups_and_fresh_turns_are_answered() {
        for text in [
            "and memory?",
            "and its logs?",
            "what about the cpu?",
            "is it healthy now?",
        ] {
            assert_eq!(
                classify_follow_up(text, Some(Category::ContainerLifecycle)),
                None,
                "`{text}`"
            );
        }
        assert_eq!(classify_follow_up("yes", None), None);
        assert_eq!(classify_follow_up("do it", None), None);
    }
}
