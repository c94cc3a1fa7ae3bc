//! "Did you mean …?": when a question names nothing the router knows, the closest questions it
//! can answer, so that the help text comes with a next step instead of alone.

use super::vocabulary::{VOCABULARY, Vocabulary, known_word, near_subject_words, words};

/// At most this many suggestions; more reads as a menu, not a guess.
const MAX_SUGGESTIONS: usize = 3;

/// An example question for each word set that names a subject.
fn example_for(vocabulary: &Vocabulary, word: &str) -> Option<&'static str> {
    let v = vocabulary;
    let examples: [(&crate::policy::WordSet, &str); 17] = [
        (&v.cpu, "what is the CPU usage?"),
        (&v.memory, "how much memory is free?"),
        (&v.disk, "how full are the disks?"),
        (&v.temperature, "is anything running hot?"),
        (&v.processes, "what is using the most CPU?"),
        (&v.network, "how much network traffic is there?"),
        (&v.containers, "which containers are running?"),
        (&v.containers_weak, "which containers are running?"),
        (&v.logs, "show the logs of a container"),
        (&v.alerts, "any problems?"),
        (&v.pool, "is my pool healthy?"),
        (&v.snapshot, "how old is the newest snapshot?"),
        (&v.ups, "how long would the UPS last?"),
        (&v.crash, "why does a container keep restarting?"),
        (&v.event, "what happened in docker in the last hour?"),
        (&v.image, "how many images do I have?"),
        (&v.overview, "how is my server doing?"),
    ];
    examples
        .iter()
        .find(|(set, _)| set.contains(word))
        .map(|(_, example)| *example)
}

/// The closest questions for one that named nothing: a word two letters away from a
/// container's name ("plexxy" → "logs of plex"), or from a subject word ("tempreture" → "is
/// anything running hot?"). Empty when nothing is close enough to be worth a guess.
pub(super) fn suggestions(question: &str, containers: &[String]) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut add = |text: String| {
        if !found.contains(&text) && found.len() < MAX_SUGGESTIONS {
            found.push(text);
        }
    };
    for word in words(question) {
        let word = word.strip_suffix("'s").unwrap_or(&word).to_owned();
        if word.chars().count() < 4 || known_word(&word) {
            continue;
        }
        if let Some(name) = near_container(&word, containers) {
            add(format!("status of {name}"));
            add(format!("logs of {name}"));
        } else {
            // "tmeprature" is as near "temperature" as "température": one subject, one guess.
            let mut examples: Vec<&str> = near_subject_words(&word)
                .into_iter()
                .filter_map(|near| example_for(&VOCABULARY, near))
                .collect();
            examples.sort_unstable();
            examples.dedup();
            if let [example] = examples.as_slice() {
                add((*example).to_owned());
            }
        }
    }
    found
}

/// The one container whose name is at most two edits from the word (one for short names).
fn near_container<'a>(word: &str, containers: &'a [String]) -> Option<&'a str> {
    let budget = if word.chars().count() >= 6 { 2 } else { 1 };
    let mut near = containers.iter().filter(|name| {
        let name = name.to_lowercase();
        strsim::damerau_levenshtein(&name, word) <= budget
            || (word.len() >= 4 && name.starts_with(word))
    });
    match (near.next(), near.next()) {
        (Some(only), None) => Some(only.as_str()),
        _ => None,
    }
}

/// The help answer's opening line, with the suggestions when there are any.
pub(super) fn not_sure(suggestions: &[String]) -> String {
    match suggestions {
        [] => "I'm not sure what you're asking.".to_owned(),
        [only] => format!("I'm not sure what you're asking. Did you mean: **{only}**?"),
        [first @ .., last] => {
            let first: Vec<String> = first.iter().map(|s| format!("**{s}**")).collect();
            format!(
                "I'm not sure what you're asking. Did you mean: {} or **{last}**?",
                first.join(", ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["plex", "chatty", "crashloop", "sonarr", "radarr"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn a_name_two_letters_off_suggests_its_status_and_logs() {
        assert_eq!(
            suggestions("what about chattyy-ish crahsloopp", &names()),
            ["status of crashloop", "logs of crashloop"]
        );
        assert_eq!(
            suggestions("chaty?", &names()),
            ["status of chatty", "logs of chatty"]
        );
    }

    #[test]
    fn names_that_fit_several_containers_suggest_none_of_them() {
        // "sonar" is one edit from sonarr and two from radarr: the budget for five letters is
        // one, so only sonarr fits; "rrarr" fits neither uniquely.
        assert_eq!(suggestions("sonar", &names())[0], "status of sonarr");
        assert!(suggestions("xarr", &names()).is_empty());
    }

    #[test]
    fn a_subject_two_letters_off_suggests_its_example() {
        assert_eq!(
            suggestions("tmeprature??", &[]),
            ["is anything running hot?"]
        );
        assert_eq!(
            suggestions("snapshtos pls", &[]),
            ["how old is the newest snapshot?"]
        );
    }

    #[test]
    fn nothing_close_means_no_guess() {
        assert!(suggestions("what is the meaning of life", &names()).is_empty());
        assert!(suggestions("", &names()).is_empty());
        assert!(suggestions("🦀🦀🦀 ∑∑∑", &names()).is_empty());
    }

    #[test]
    fn the_opening_line_reads_as_a_question() {
        assert_eq!(not_sure(&[]), "I'm not sure what you're asking.");
        assert_eq!(
            not_sure(&["logs of chatty".into()]),
            "I'm not sure what you're asking. Did you mean: **logs of chatty**?"
        );
        assert_eq!(
            not_sure(&["a".into(), "b".into(), "c".into()]),
            "I'm not sure what you're asking. Did you mean: **a**, **b** or **c**?"
        );
    }
}
