//! Requests for something to happen later: reminders, notifications, schedules, watching.

use super::lexicon::{
    CONJUNCTIONS, FUTURE_EVENTS, FUTURE_STATES, LEAD_WORDS, NEGATIONS, QUESTION_OPENERS,
    TIME_UNITS, VERBS,
};
use super::{Category, Refusal};

/// "…restart plex every night": a recurring time turns any order into a schedule.
pub(super) fn is_recurring(tokens: &[String]) -> bool {
    tokens.windows(2).any(|pair| {
        matches!(pair[0].as_str(), "every" | "each") && TIME_UNITS.contains(&pair[1].as_str())
    }) || tokens.iter().any(|w| {
        matches!(
            w.as_str(),
            "daily" | "nightly" | "hourly" | "weekly" | "monthly" | "everyday" | "cron"
        )
    })
}

/// "let me know when plex goes down", "ping me if the pool degrades", "remind me tomorrow",
/// "every morning send me a report": asks for something to happen later, which is automation.
pub(super) fn automation_frame(tokens: &[String]) -> Option<Refusal> {
    let words: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let refusal = |action: &str| {
        Some(Refusal {
            category: Category::Automation,
            action: action.to_owned(),
            target: None,
        })
    };
    // "every morning send me…", also after a comma ("as the admin, every night reboot").
    let starts_recurring = (0..tokens.len().saturating_sub(2)).any(|at| {
        let clause_start = tokens[..at]
            .iter()
            .rev()
            .take_while(|w| !CONJUNCTIONS.contains(&w.as_str()))
            .all(|w| LEAD_WORDS.contains(&w.as_str()));
        clause_start
            && matches!(tokens[at].as_str(), "every" | "each")
            && TIME_UNITS.contains(&tokens[at + 1].as_str())
            && tokens[at + 2..].iter().any(|w| {
                VERBS.iter().any(|[base, _, _]| base == w)
                    || matches!(
                        w.as_str(),
                        "tell"
                            | "send"
                            | "show"
                            | "give"
                            | "check"
                            | "post"
                            | "report"
                            | "ping"
                            | "notify"
                            | "email"
                            | "message"
                            | "text"
                    )
            })
    });
    if starts_recurring {
        return refusal("set up a recurring task to");
    }
    for (i, word) in words.iter().enumerate() {
        let next = words.get(i + 1).copied().unwrap_or_default();
        let after = &words[(i + 2).min(words.len())..];
        let push = matches!(
            *word,
            "notify"
                | "alert"
                | "ping"
                | "warn"
                | "message"
                | "email"
                | "e-mail"
                | "text"
                | "dm"
                | "inform"
                | "page"
                | "buzz"
        ) && matches!(next, "me" | "us" | "everyone" | "@everyone");
        let prefix_ok = !words[..i]
            .iter()
            .any(|w| QUESTION_OPENERS.contains(w) || NEGATIONS.contains(w) || *w == "do");
        if push && prefix_ok {
            return refusal(&format!("{word} {next} later"));
        }
        if *word == "remind" && prefix_ok && i + 1 < words.len() {
            return refusal("remind");
        }
        let tell = matches!(
            (*word, next),
            ("know", _) | ("tell" | "send" | "show" | "give", "me" | "us")
        ) && (*word != "know" || i > 0 && words[i - 1] == "me");
        if tell && prefix_ok {
            let trigger_at = if *word == "know" { i + 1 } else { i + 2 };
            if let Some(trigger) = words.get(trigger_at)
                && future_trigger(trigger, &words[trigger_at + 1..])
            {
                return refusal("notify you later");
            }
        }
        let watch = matches!(*word, "watch" | "monitor" | "eye" | "babysit" | "track")
            && prefix_ok
            && after.iter().chain(std::iter::once(&next)).any(|w| {
                matches!(
                    *w,
                    "overnight"
                        | "until"
                        | "continuously"
                        | "constantly"
                        | "24/7"
                        | "forever"
                        | "tonight"
                        | "while"
                        | "whenever"
                )
            });
        if watch {
            return refusal("keep watching");
        }
        let keep_posted = *word == "keep"
            && next == "me"
            && after
                .first()
                .is_some_and(|w| matches!(*w, "posted" | "updated" | "informed" | "in"));
        if keep_posted && prefix_ok {
            return refusal("keep you posted");
        }
    }
    None
}

pub(super) fn future_trigger(trigger: &str, rest: &[&str]) -> bool {
    let rest = &rest[..rest.len().min(8)];
    let past = rest.iter().any(|w| {
        matches!(
            *w,
            "last" | "was" | "were" | "did" | "had" | "ago" | "yesterday" | "earlier" | "ran"
        ) || w.ends_with("ed") && w.len() > 4
    });
    if past {
        return false;
    }
    let event = rest.iter().any(|w| FUTURE_EVENTS.contains(w));
    let state = rest.iter().any(|w| FUTURE_STATES.contains(w));
    match trigger {
        "every" | "each" | "tomorrow" | "tonight" | "daily" | "weekly" | "hourly" | "nightly"
        | "later" | "whenever" | "anytime" | "asap" => true,
        "at" => rest.first().is_some_and(|w| {
            w.starts_with(|c: char| c.is_ascii_digit()) || matches!(*w, "noon" | "midnight")
        }),
        "when" | "once" | "as" => event || state,
        "if" | "should" => event,
        _ => false,
    }
}
