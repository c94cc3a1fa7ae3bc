//! The check on a model's final answer: the assistant never changed anything, is not changing
//! anything and will not, so an answer that says it did ("Done! Plex has been restarted.",
//! "Restarting plex now", "I'll restart it right away", "J'ai redémarré plex", "✅ Snapshots
//! deleted") is false and becomes a refusal. Reports of what happened on the server ("plex
//! restarted 3 times in the last hour"), status listings and statements of inability pass.

use super::agency::{
    act_complete, assistant_acts, checked_off, done_on_request, other_language_under_way,
    particle_action, under_way,
};
use super::language_claims::{other_language_claim, other_language_success};
use super::languages::category as action_category;
use super::lexicon::{
    ACTION_NOUNS, CLAIM_LEADS, CLAIM_LINKS, COMMON_PAST, COMMON_VERBS, FIRST_PERSON, NEGATIONS,
    PARTICLE_ONLY, PARTICLES, PAST_ACTIONS, REPORT_MARKERS, VERBS,
};
use super::normalise::{split_sentences, words};
use super::topics::target_of;
use super::{Category, Refusal};

/// Finds, by the rules alone, a claim of having changed, changing or being about to change
/// something in a normalised answer. Returns the refusal the claimed action deserves.
pub(super) fn claim_by_rules(normalized: &str) -> Option<Refusal> {
    let sentences = split_sentences(normalized);
    for (index, sentence) in sentences.iter().enumerate() {
        let with_commas: Vec<String> = words(sentence);
        let with_commas: Vec<&str> = with_commas.iter().map(String::as_str).collect();
        let words: Vec<&str> = with_commas.iter().copied().filter(|w| *w != ",").collect();
        let found = english_claim(&words)
            .or_else(|| other_language_claim(sentence))
            .or_else(|| assistant_acts(&with_commas))
            .or_else(|| under_way(&with_commas))
            .or_else(|| act_complete(&with_commas))
            .or_else(|| done_on_request(sentence))
            .or_else(|| other_language_under_way(sentence))
            .or_else(|| checked_off(sentence, sentences.get(index + 1).copied()));
        if let Some(refusal) = found {
            return Some(refusal);
        }
    }
    // "Done!", "All set.", "✅": a bare claim of success takes its action from the rest.
    let bare = sentences.iter().any(|sentence| {
        let words: Vec<String> = words(sentence).into_iter().filter(|w| w != ",").collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        is_bare_success(&words) || other_language_success(sentence)
    });
    bare.then(|| {
        let mentioned = sentences.iter().find_map(|sentence| {
            let words: Vec<String> = words(sentence).into_iter().filter(|w| w != ",").collect();
            (0..words.len()).find_map(|i| {
                let action = action_of(&words[i])?;
                let rest: Vec<&str> = words[i + 1..].iter().map(String::as_str).collect();
                Some(claim(action, &rest))
            })
        });
        mentioned.unwrap_or(Refusal {
            category: Category::ContainerLifecycle,
            action: "do that".to_owned(),
            target: None,
        })
    })
}

/// The base form of an English verb form in the action lexicon, common verbs included.
pub(super) fn base_of(word: &str) -> Option<&'static str> {
    VERBS
        .iter()
        .find(|[base, participle, gerund]| base == word || participle == word || gerund == word)
        .map(|[base, _, _]| base.as_str())
        .or_else(|| {
            PAST_ACTIONS
                .iter()
                .find(|[past, _]| past == word)
                .map(|[_, verb]| verb.as_str())
        })
}

/// The English action a word names in any form ("restarted" → "restart"). Verbs too common to
/// claim an act alone name one only in the past forms whose object says what changed.
pub(super) fn action_of(word: &str) -> Option<&'static str> {
    base_of(word)
        .filter(|action| !COMMON_VERBS.contains(action))
        .or_else(|| common_past(word))
}

/// The act a common verb's past form claims ("cleared" → "clear").
fn common_past(word: &str) -> Option<&'static str> {
    COMMON_PAST
        .iter()
        .find(|[past, _]| past == word)
        .map(|[_, act]| act.as_str())
}

/// The action at `words[i]`, reading phrasal verbs ("shutting down", "rolled back"), light verbs
/// with an action noun ("sent the restart command", "triggered a scrub") and "ran docker …".
pub(super) fn action_at(words: &[&str], i: usize) -> Option<&'static str> {
    let word = words[i];
    let next = words.get(i + 1).copied().unwrap_or_default();
    // "sdc has been taken offline": "take" names an act only with its particle, and "take a
    // snapshot" is read through its noun.
    if matches!(word, "take" | "took" | "taken" | "taking") && matches!(next, "offline" | "down") {
        return Some("stop");
    }
    if let Some(base) = VERBS
        .iter()
        .find(|[base, participle, gerund]| {
            PARTICLE_ONLY.contains(base) && (base == word || participle == word || gerund == word)
        })
        .map(|[base, _, _]| base.as_str())
        && PARTICLES.contains(next)
    {
        return Some(particle_action(base, next));
    }
    if matches!(
        word,
        "send"
            | "sent"
            | "sending"
            | "triggered"
            | "triggering"
            | "initiated"
            | "initiating"
            | "issued"
            | "issuing"
            | "queued"
            | "kicked"
            | "started"
            | "starting"
            | "performed"
            | "performing"
            | "ran"
            | "running"
            | "did"
            | "completed"
            | "finished"
    ) && let Some(action) = words[i + 1..].iter().take(3).find_map(|w| {
        ACTION_NOUNS
            .iter()
            .find(|[noun, _]| noun == w)
            .map(|[_, verb]| verb.as_str())
    }) {
        return Some(action);
    }
    if matches!(word, "ran" | "running" | "run" | "executed")
        && matches!(
            next,
            "docker"
                | "command"
                | "sudo"
                | "systemctl"
                | "zfs"
                | "zpool"
                | "apt"
                | "rm"
                | "kubectl"
                | "midclt"
                | "curl"
        )
    {
        return Some("run");
    }
    action_of(word)
}

pub(super) fn is_participle_or_past(word: &str) -> bool {
    VERBS
        .iter()
        .any(|[base, participle, _]| participle == word && base != "do")
        || PAST_ACTIONS.iter().any(|[past, _]| past == word)
        || common_past(word).is_some()
}

fn is_gerund(word: &str) -> bool {
    word.ends_with("ing") && VERBS.iter().any(|[_, _, gerund]| gerund == word)
}

pub(super) fn claim(action: &str, rest: &[&str]) -> Refusal {
    let object: Vec<String> = rest.iter().map(|w| (*w).to_owned()).collect();
    Refusal {
        category: action_category(action, &object).unwrap_or(Category::ContainerLifecycle),
        action: action.to_owned(),
        target: target_of(rest),
    }
}

/// Report markers other than numbers.
fn reports_in_words(words: &[&str]) -> bool {
    words.iter().any(|w| REPORT_MARKERS.contains(w))
}

fn reports(words: &[&str]) -> bool {
    words
        .iter()
        .any(|w| REPORT_MARKERS.contains(w) || w.chars().next().is_some_and(|c| c.is_ascii_digit()))
}

pub(super) fn negated(words: &[&str]) -> bool {
    words.iter().any(|w| {
        NEGATIONS.contains(w)
            || matches!(
                *w,
                "unable"
                    | "can't"
                    | "cannot"
                    | "couldn't"
                    | "haven't"
                    | "hasn't"
                    | "isn't"
                    | "wasn't"
                    | "weren't"
                    | "aren't"
                    | "won't"
                    | "not"
                    | "never"
                    | "no"
            )
    })
}

/// One English sentence.
fn english_claim(words: &[&str]) -> Option<Refusal> {
    if negated(words) {
        return None;
    }
    // "I have restarted", "I'll go ahead and restart", "I'm restarting", "let me restart".
    for i in 0..words.len() {
        let Some(action) = action_at(words, i) else {
            continue;
        };
        let before = &words[..i];
        let marker = before.iter().rposition(|w| FIRST_PERSON.contains(w));
        if let Some(at) = marker
            && i - at <= 6
            // "should I restart it?": asking whether to act claims nothing.
            && !(at > 0 && matches!(before[at - 1], "should" | "shall" | "can" | "could" | "may"))
            // "I'd restart it after the movie": advice, unless a participle follows ("I'd
            // already restarted it").
            && (!matches!(words[at], "i'd" | "we'd") || is_participle_or_past(words[i]))
            && before[at + 1..].iter().all(|w| CLAIM_LINKS.contains(w))
            && (words[at] != "let" || before.get(at + 1).is_some_and(|w| *w == "me" || *w == "us"))
        {
            return Some(claim(action, &words[i + 1..]));
        }
    }
    let lead = words.iter().take_while(|w| CLAIM_LEADS.contains(w)).count();
    let body = &words[lead..];
    let checked = lead > 0
        && words[..lead]
            .iter()
            .any(|w| w.starts_with(['✅', '✔', '☑']));
    // "Restarting plex now, give it a minute."
    if let Some(first) = body.first()
        && first.ends_with("ing")
        && let Some(action) = action_at(body, 0)
        && !reports(&body[1..])
        && !body.iter().any(|w| {
            matches!(
                *w,
                "usually"
                    | "often"
                    | "fixes"
                    | "helps"
                    | "is"
                    | "will"
                    | "won't"
                    | "typically"
                    | "generally"
                    | "sometimes"
                    | "requires"
                    | "means"
                    | "takes"
                    | "would"
                    | "should"
                    | "isn't"
            )
        })
        && (body.len() <= 6
            || body
                .iter()
                .any(|w| matches!(*w, "now" | "shortly" | "immediately")))
    {
        return Some(claim(action, &body[1..]));
    }
    // "Restarted plex.", "Deleted the old snapshots."
    if let Some(first) = body.first()
        && is_participle_or_past(first)
        && let Some(action) = action_at(body, 0)
        // "Deleted 3 old snapshots", "Cleaned up 3.2 GB": counts of what was acted on.
        && !reports_in_words(&body[1..])
        && body.len() <= 8
    {
        return Some(claim(action, &body[1..]));
    }
    // "Restart complete.", "The update is done.", "The restart of plex is complete."
    if let Some(at) = body.iter().position(|w| {
        // Scrubs, snapshots and backups finish on their own schedule: that is a report.
        !matches!(*w, "scrub" | "snapshot" | "backup" | "resilver" | "rescan")
            && ACTION_NOUNS.iter().any(|[noun, _]| noun == w)
    }) && body.last().is_some_and(|w| {
        matches!(
            *w,
            "complete"
                | "completed"
                | "done"
                | "finished"
                | "successful"
                | "succeeded"
                | "initiated"
                | "triggered"
                | "queued"
                | "underway"
                | "scheduled"
        )
    }) && !reports_in_words(body)
        && body.len() <= 8
    {
        let action = ACTION_NOUNS
            .iter()
            .find(|[noun, _]| noun == body[at])
            .map_or("do that", |[_, verb]| verb.as_str());
        return Some(claim(action, &body[at + 1..]));
    }
    // "Plex is now stopped", "port 8080 is now open", "the server is now rebooting",
    // "plex is restarting now".
    if let Some(at) = body
        .windows(2)
        .position(|pair| matches!(pair[0], "is" | "are" | "'s") && pair[1] == "now")
        .map(|at| at + 2)
        .or_else(|| {
            body.iter()
                .position(|w| matches!(*w, "is" | "are"))
                .filter(|_| body.last() == Some(&"now"))
                .map(|at| at + 1)
        })
        && let Some(state) = body.get(at)
        && (is_gerund(state)
            || is_participle_or_past(state)
            || matches!(
                *state,
                "open" | "closed" | "offline" | "disabled" | "enabled" | "gone"
            ))
        && !reports_in_words(body)
    {
        let action = action_at(body, at).unwrap_or(match *state {
            "open" => "open",
            "closed" => "close",
            "offline" => "stop",
            "disabled" => "disable",
            "enabled" => "enable",
            _ => "delete",
        });
        return Some(claim(action, &body[..at.saturating_sub(2)]));
    }
    // "Your server will reboot in 5 minutes", "plex will restart shortly".
    if let Some(at) = body.iter().position(|w| *w == "will")
        && at > 0
        && let Some(next) = body.get(at + 1)
        && VERBS.iter().any(|[base, _, _]| base == next)
        && let Some(action) = action_at(body, at + 1)
        && !reports_in_words(body)
    {
        return Some(claim(action, &body[..at]));
    }
    // "User bob was created.", "Plex was restarted.": a short passive with nothing around it.
    if body.len() <= 5
        && let Some(at) = body.iter().position(|w| matches!(*w, "was" | "were"))
        && at > 0
        && at + 2 == body.len()
        && is_participle_or_past(body[at + 1])
        && let Some(action) = action_at(body, at + 1)
    {
        return Some(claim(action, &body[..at]));
    }
    let scheduling = body
        .iter()
        .any(|w| matches!(*w, "scheduled" | "reminder" | "set"));
    // "Reboot scheduled for 3am": the time is part of the claim, not a report.
    if reports(body) && (!scheduling || reports_in_words(body)) {
        return None;
    }
    // "Plex has been restarted", "The snapshots were deleted successfully", "Snapshots deleted.",
    // "Plex will be restarted shortly", "plex is being restarted".
    for (i, word) in body.iter().enumerate().skip(1) {
        if !is_participle_or_past(word) {
            continue;
        }
        // "sdc has been taken offline", "server powered off": a phrasal verb names the act.
        let Some(action) = action_at(body, i) else {
            continue;
        };
        let kept: Vec<&str> = body[..i]
            .iter()
            .copied()
            .filter(|w| {
                !matches!(
                    *w,
                    "now" | "just" | "already" | "also" | "all" | "successfully" | "finally"
                )
            })
            .collect();
        let before = kept.as_slice();
        // "radarr's been restarted": the 's was cut from the name.
        let elided = before.len() >= 2
            && before.last() == Some(&"been")
            && !matches!(before[before.len() - 2], "had" | "having" | "not" | "never");
        let passive = elided
            || before.ends_with(&["has", "been"])
            || before.ends_with(&["'s", "been"])
            || before.ends_with(&["have", "been"])
            || before.ends_with(&["is", "being"])
            || before.ends_with(&["are", "being"])
            || before.ends_with(&["will", "be"])
            || before.ends_with(&["got"])
            || before.ends_with(&["has", "successfully", "been"])
            || before.ends_with(&["have", "successfully", "been"])
            || before.ends_with(&["been", "successfully"]);
        let successful = matches!(before.last(), Some(&("was" | "were" | "is" | "are")))
            && body[i + 1..].iter().chain(before.iter()).any(|w| {
                matches!(
                    *w,
                    "successfully" | "now" | "just" | "as" | "requested" | "for"
                )
            });
        let telegraphic = before.len() <= 4
            && !before.iter().any(|w| {
                matches!(
                    *w,
                    "is" | "are"
                        | "was"
                        | "were"
                        | "has"
                        | "have"
                        | "had"
                        | "it"
                        | "this"
                        | "that"
                        | "which"
                )
            })
            && body[i + 1..].iter().all(|w| {
                matches!(
                    *w,
                    "successfully"
                        | "now"
                        | "for"
                        | "you"
                        | "as"
                        | "requested"
                        | "again"
                        | "and"
                        | "back"
                        | "up"
                        | "running"
                        | "too"
                        | "already"
                        | "off"
                        | "down"
                        | "offline"
                        | "out"
                        | "just"
                        | "fine"
                        | "ok"
                        | "everything"
                        | "is"
                        | "good"
                )
            })
            && (checked
                || i + 1 == body.len()
                // "server powered off": the particle ends it.
                || i + 2 == body.len() && PARTICLES.contains(body[i + 1])
                || body[i + 1..]
                    .iter()
                    .any(|w| matches!(*w, "successfully" | "now" | "for" | "as" | "and")));
        if passive || successful || telegraphic {
            return Some(claim(action, before));
        }
    }
    // "✅ plex restart" and the like: a check mark over an action word.
    if checked && let Some(action) = body.iter().find_map(|w| action_of(w)) {
        return Some(claim(action, body));
    }
    None
}

/// "Done!", "All set.", "✅".
fn is_bare_success(words: &[&str]) -> bool {
    let words: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| {
            !matches!(
                *w,
                "ok" | "okay"
                    | "sure"
                    | "alright"
                    | "great"
                    | "perfect"
                    | "and"
                    | "everything"
                    | "is"
                    | "it's"
                    | "that's"
                    | "all"
                    | "now"
                    | "🎉"
                    | "boom"
                    | "👍"
                    | "🙂"
                    | "😊"
            )
        })
        .collect();
    matches!(
        words.as_slice(),
        ["done"]
            | ["set"]
            | ["finished"]
            | ["complete"]
            | ["completed"]
            | ["success"]
            | ["will", "do"]
            | ["on", "it"]
            | ["consider", "it", "done"]
            | ["done", "done"]
            | ["✅"]
            | ["✅", "done"]
            | ["✔"]
            | ["✔️"]
            | ["done", "✅"]
            | ["taken", "care", "of"]
            | ["sorted"]
            | ["all", "taken", "care", "of"]
            | ["handled"]
            | ["accomplished"]
            | ["mission", "accomplished"]
    )
}

#[cfg(test)]
mod tests {
    use crate::policy::claimed_action;

    #[test]
    fn claims_of_any_tense_are_caught() {
        for text in [
            "I've restarted plex for you.",
            "Done! I have successfully stopped sonarr.",
            "We deleted the old snapshots.",
            "Done! Plex has been restarted.",
            "Restarting plex now, give it a minute.",
            "I will restart plex for you right away.",
            "I'll go ahead and reboot the server.",
            "Snapshots deleted.",
            "J'ai redémarré plex.",
            "Ich habe den Container neu gestartet.",
            "He reiniciado el contenedor.",
            "Ho riavviato plex.",
            "Reiniciei o plex.",
            "Ik heb plex herstart.",
            "All set!",
            "✅ Plex restarted",
            "Reminder set: I'll remind you tomorrow at 9.",
            "Plex is being restarted.",
        ] {
            assert!(claimed_action(text).is_some(), "`{text}`");
        }
    }

    #[test]
    fn reports_and_inability_pass() {
        for text in [
            "plex restarted 3 times today.",
            "plex restarted 3 times in the last hour.",
            "the server rebooted at 04:12.",
            "I have not restarted anything.",
            "The container was stopped at 03:00 with exit code 137.",
            "I can't restart plex, I'm read-only.",
            "`flaky` — restarting, exit code 3",
            "backup: exited (0)",
            "To restart plex, run `docker restart plex`.",
            "You can restart plex with docker restart plex.",
            "Restarting plex usually fixes buffering.",
            "✅ plex: running, healthy",
            "Plex a redémarré 3 fois depuis hier.",
        ] {
            assert!(claimed_action(text).is_none(), "`{text}`");
        }
    }
}
