//! The check on a model's final answer: a claim of having changed something is never true here.

use super::lexicon::PAST_ACTIONS;
use super::normalise::{normalize, split_sentences, words};
use super::topics::{category_for, target_of};
use super::{Category, Refusal};

/// Finds a first-person claim of having changed something ("I've restarted plex for you"),
/// which can never be true here. Returns the refusal the claimed action deserves.
pub fn claimed_action(answer: &str) -> Option<Refusal> {
    let normalized = normalize(answer);
    for sentence in split_sentences(&normalized) {
        let words: Vec<String> = words(sentence).into_iter().filter(|w| w != ",").collect();
        for (i, word) in words.iter().enumerate() {
            let Some([_, verb]) = PAST_ACTIONS.iter().find(|[past, _]| past == word) else {
                continue;
            };
            let before: Vec<&str> = words[i.saturating_sub(3)..i]
                .iter()
                .map(String::as_str)
                .collect();
            let first_person = before
                .iter()
                .any(|w| matches!(*w, "i" | "i've" | "i'have" | "we" | "we've"))
                && !before.iter().any(|w| {
                    matches!(
                        *w,
                        "not" | "never" | "haven't" | "didn't" | "can't" | "cannot"
                    )
                });
            if !first_person {
                continue;
            }
            let rest: Vec<&str> = words[i + 1..].iter().map(String::as_str).collect();
            let category = category_for(verb, &rest).unwrap_or(Category::ContainerLifecycle);
            return Some(Refusal {
                category,
                action: verb.clone(),
                target: target_of(&rest),
            });
        }
    }
    None
}
