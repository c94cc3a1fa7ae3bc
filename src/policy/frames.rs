//! How a clause frames an action verb: an order, a polite or indirect request, a wish, a need,
//! or a question, a report of the past, a how-to. Only the first kind is refused.

use super::Refusal;
use super::lexicon::{
    ACTION_NOUNS, GERUND, HOST_WORDS, NEGATIONS, NOUN_FOLLOWERS, PARTICIPLE_MUST, PARTICIPLE_WISH,
    PARTICLE_ONLY, PARTICLES, POINTERS, POLITE, QUESTION_OPENERS, REQUEST,
    REQUEST_DESPITE_NEGATION, SOFT_FOLLOWERS, VERBS, WH_GERUND, WH_REQUEST,
};
use super::normalise::is_auxiliary;
use super::topics::{category_for, is_known_app, target_of};

/// How a verb appears: "restart" (an order, if framed as one), "restarting" ("would you mind
/// restarting…"), "restarted" ("I want plex restarted").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Form {
    Base,
    Gerund,
    Participle,
}

pub(super) struct VerbHit {
    action: String,
    form: Form,
    object_start: usize,
}

pub(super) fn verb_at(clause: &[&str], i: usize) -> Option<VerbHit> {
    let word = clause[i];
    let (base, form) = VERBS.iter().find_map(|[base, participle, gerund]| {
        let base = base.as_str();
        if word == base {
            Some((base, Form::Base))
        } else if word == participle {
            Some((base, Form::Participle))
        } else if word == gerund {
            Some((base, Form::Gerund))
        } else {
            None
        }
    })?;
    let next = clause.get(i + 1).copied();
    // "bring traefik back up", "take nextcloud down": the particle may follow the object.
    let separated = || {
        (i + 2..clause.len().min(i + 5)).find_map(|j| {
            let particle = clause[j];
            (PARTICLES.contains(&particle) && phrasal(base, particle))
                .then(|| format!("{base} {particle}"))
        })
    };
    let (action, object_start) = match next {
        Some(particle) if PARTICLES.contains(&particle) && phrasal(base, particle) => {
            (format!("{base} {particle}"), i + 2)
        }
        _ if PARTICLE_ONLY.contains(&base) => (separated()?, i + 1),
        _ if base == "take" => (separated().unwrap_or_else(|| base.to_owned()), i + 1),
        _ => (base.to_owned(), i + 1),
    };
    let next = clause.get(object_start).copied();
    let ordered = clause.iter().any(|w| {
        matches!(
            *w,
            "please" | "pls" | "plz" | "asap" | "now" | "immediately"
        )
    });
    if let Some(next) = next {
        if NOUN_FOLLOWERS.contains(&next) || SOFT_FOLLOWERS.contains(&next) && !ordered {
            return None;
        }
        // "start with the disks", "stop monitoring", "drop in traffic", "move on".
        let idiom = match action.as_str() {
            "start" | "stop" | "begin" | "keep" => {
                matches!(next, "with" | "from" | "by" | "over" | "at")
                    || next.ends_with("ing")
                        && !matches!(next, "everything" | "anything" | "something" | "nothing")
            }
            "drop" | "change" | "increase" | "decrease" => matches!(next, "in" | "of"),
            "move" => next == "on",
            "pull" | "take" => matches!(next, "a" | "an") && clause.contains(&"look"),
            "open" | "close" => {
                matches!(
                    next,
                    "ports" | "connections" | "files" | "sockets" | "issues" | "alerts"
                )
            }
            _ => false,
        };
        if idiom {
            return None;
        }
    }
    Some(VerbHit {
        action,
        form,
        object_start,
    })
}

pub(super) fn phrasal(base: &str, particle: &str) -> bool {
    matches!(
        (base, particle),
        ("shut", "down" | "off")
            | ("power", "off" | "down" | "on" | "up" | "cycle")
            | ("turn" | "switch", "off" | "on")
            | ("spin" | "bring" | "boot" | "fire", "up" | "down")
            | ("take", "down" | "offline" | "online")
            | ("tear", "down")
            | ("roll", "back" | "out")
            | ("carry", "out")
            | ("sort", "out")
            | ("free", "up")
            | ("back", "up")
            | ("clean" | "wipe", "up" | "out")
            | ("kick" | "start" | "restart", "off" | "up" | "back")
            | (
                "start" | "stop" | "restart" | "reboot" | "kill" | "update",
                "on" | "up"
            )
            | ("set", "up")
            | ("lock" | "open", "up" | "down")
            | ("bring" | "put", "back" | "online" | "offline")
    )
}

pub(super) fn classify_clause(
    clause: &[String],
    question: bool,
    after_conjunction: bool,
) -> Option<Refusal> {
    let clause: Vec<&str> = clause.iter().map(String::as_str).collect();
    for i in 0..clause.len() {
        if let Some(refusal) = need_frame(&clause, i, question) {
            return Some(refusal);
        }
        if !question && let Some(refusal) = state_wish(&clause, i) {
            return Some(refusal);
        }
        let Some(hit) = verb_at(&clause, i) else {
            continue;
        };
        let prefix: Vec<&str> = clause[..i]
            .iter()
            .copied()
            .filter(|w| !POLITE.contains(w))
            .collect();
        let tail = &clause[hit.object_start.min(clause.len())..];
        // "…and kill thank you!": the thanks is not what is to be killed.
        let object: Vec<&str> = tail
            .iter()
            .enumerate()
            .filter(|&(at, w)| {
                let thanks = *w == "you" && at > 0 && tail[at - 1] == "thank";
                !(POLITE.contains(w) || thanks)
            })
            .map(|(_, w)| *w)
            .collect();
        let framed = match hit.form {
            Form::Base => base_frame(&prefix, question, after_conjunction, &object),
            Form::Gerund => gerund_frame(&prefix),
            Form::Participle => participle_frame(&prefix),
        };
        if !framed {
            continue;
        }
        // "tell radarr to stop", "plex restart": what is acted on stands before the verb.
        let object = if object.is_empty() {
            prefix.iter().skip(1).copied().collect()
        } else {
            object
        };
        let object = if object.is_empty() && prefix.len() == 1 {
            prefix.clone()
        } else {
            object
        };
        let (action, object) = light_verb(&hit.action, &object);
        if let Some(category) = category_for(&action, &object) {
            return Some(Refusal {
                category,
                action,
                target: target_of(&object),
            });
        }
    }
    None
}

/// "I want all unused images gone", "I want avahi off", "it'd be nice if those dangling images
/// went away": a wish for a state only a change could bring.
fn state_wish(clause: &[&str], i: usize) -> Option<Refusal> {
    let action = match clause[i] {
        "gone" | "away" => "delete",
        "off" | "offline" | "down" | "dead" => "turn off",
        _ => return None,
    };
    let mut prefix: Vec<&str> = clause[..i]
        .iter()
        .copied()
        .filter(|w| !POLITE.contains(w))
        .collect();
    // "… went away", "… would go away": the verb of motion is part of the state.
    if prefix
        .last()
        .is_some_and(|w| matches!(*w, "went" | "go" | "goes" | "gone"))
    {
        prefix.pop();
    }
    if prefix.is_empty() || !participle_frame(&prefix) {
        return None;
    }
    let object: Vec<&str> = prefix.iter().skip(1).copied().collect();
    let category = category_for(action, &object)?;
    Some(Refusal {
        category,
        action: action.to_owned(),
        target: target_of(&object),
    })
}

/// "do a restart of plex", "give sonarr a kick", "trigger a scrub": the noun is the action.
pub(super) fn light_verb<'a>(action: &str, object: &[&'a str]) -> (String, Vec<&'a str>) {
    let light = matches!(
        action,
        "do" | "perform"
            | "trigger"
            | "initiate"
            | "issue"
            | "queue"
            | "fire off"
            | "carry out"
            | "give"
            | "kick off"
            | "run"
            | "start"
            | "schedule"
            | "execute"
            | "launch"
    );
    if light
        && let Some((at, verb)) = object.iter().take(6).enumerate().find_map(|(at, w)| {
            let noun_phrase = object
                .get(at + 1)
                .is_some_and(|next| NOUN_FOLLOWERS.contains(next));
            ACTION_NOUNS
                .iter()
                .find(|[noun, _]| noun == w && !noun_phrase)
                .map(|[_, verb]| (at, verb.as_str()))
        })
    {
        let mut rest: Vec<&str> = object[..at].to_vec();
        rest.extend_from_slice(&object[at + 1..]);
        let verb = if action == "schedule" {
            "schedule"
        } else {
            verb
        };
        return (verb.to_owned(), rest);
    }
    (action.to_owned(), object.to_vec())
}

/// "plex needs a restart", "the pool could use a scrub": a statement that is a request.
pub(super) fn need_frame(clause: &[&str], i: usize, question: bool) -> Option<Refusal> {
    // "the nas could really use a restart": an adverb between the modal and its verb.
    let previous = i
        .checked_sub(1)
        .map(|p| clause[p])
        .filter(|w| {
            !matches!(
                *w,
                "really" | "definitely" | "probably" | "seriously" | "surely"
            )
        })
        .or_else(|| i.checked_sub(2).map(|p| clause[p]));
    // "jellyfin could do with a restart", "go ahead with the reboot", "time for a reboot".
    let wants = match clause[i] {
        "needs" | "need" | "requires" | "require" | "deserves" | "wants" => true,
        "with" => matches!(previous, Some("do" | "ahead" | "proceed" | "on" | "going")),
        "use" => matches!(previous, Some("could" | "can" | "might")),
        "for" => matches!(previous, Some("time" | "due" | "overdue" | "go" | "ready")),
        "about" => matches!(previous, Some("how" | "what")) && i == 1,
        _ => false,
    };
    // "how about a reboot?" asks for one, though it opens like a question.
    let suggestion = clause[i] == "about";
    if question && !suggestion
        || !wants
        || clause[..i]
            .iter()
            .any(|w| NEGATIONS.contains(w) || matches!(*w, "if" | "whether" | "when"))
    {
        return None;
    }
    let rest = &clause[i + 1..];
    let skip = rest
        .iter()
        .take_while(|w| {
            matches!(
                **w,
                "a" | "an"
                    | "the"
                    | "that"
                    | "this"
                    | "its"
                    | "another"
                    | "one"
                    | "more"
                    | "some"
                    | "quick"
                    | "full"
                    | "fresh"
                    | "hard"
                    | "soft"
                    | "clean"
                    | "proper"
                    | "good"
                    | "new"
                    | "manual"
                    | "immediate"
                    | "forced"
                    | "graceful"
                    | "complete"
                    | "nightly"
                    | "daily"
                    | "weekly"
                    | "regular"
                    | "real"
                    | "to"
                    | "be"
            )
        })
        .count();
    let word = rest.get(skip)?;
    let verb = ACTION_NOUNS
        .iter()
        .find(|[noun, _]| noun == word)
        .map(|[_, verb]| verb.as_str())
        .or_else(|| {
            VERBS
                .iter()
                .find(|[_, participle, gerund]| participle == word || gerund == word)
                .map(|[base, _, _]| base.as_str())
        })?;
    let mut object: Vec<&str> = clause[..i].to_vec();
    object.extend_from_slice(&rest[skip + 1..]);
    let category = category_for(verb, &object)?;
    Some(Refusal {
        category,
        action: verb.to_owned(),
        target: target_of(&clause[..i]).or_else(|| target_of(&rest[skip + 1..])),
    })
}

pub(super) fn base_frame(
    prefix: &[&str],
    question: bool,
    after_conjunction: bool,
    object: &[&str],
) -> bool {
    if prefix.is_empty() {
        // In "why did plex stop and restart?" the second verb is still part of the question.
        if question && after_conjunction {
            return object.first().is_some_and(|w| POINTERS.contains(w));
        }
        // The verb opening a question is its auxiliary ("do I need to…?"), not an order.
        return !question || after_conjunction;
    }
    let text = prefix.join(" ");
    if QUESTION_OPENERS.contains(&prefix[0]) || prefix[0] == "do" && opens_do_question(prefix) {
        return WH_REQUEST.is_match(&text) || condition_frame(prefix);
    }
    if prefix.iter().any(|w| NEGATIONS.contains(w)) && !prefix.contains(&"mind") {
        return REQUEST_DESPITE_NEGATION.is_match(&text);
    }
    REQUEST.is_match(&text)
        || condition_frame(prefix)
        || causative(prefix)
        || prefix.len() == 1
            && object.is_empty()
            && (is_known_app(prefix[0])
                || HOST_WORDS.contains(&prefix[0])
                || matches!(prefix[0], "container" | "containers" | "everything" | "all"))
}

pub(super) fn opens_do_question(prefix: &[&str]) -> bool {
    prefix.get(1).is_some_and(|w| {
        matches!(
            *w,
            "you" | "u" | "i" | "we" | "they" | "any" | "all" | "these" | "those" | "my" | "our"
        )
    })
}

pub(super) fn gerund_frame(prefix: &[&str]) -> bool {
    let text = prefix.join(" ");
    if prefix
        .first()
        .is_some_and(|w| QUESTION_OPENERS.contains(w) || *w == "do")
    {
        return WH_GERUND.is_match(&text);
    }
    GERUND.is_match(&text)
}

pub(super) fn participle_frame(prefix: &[&str]) -> bool {
    let Some(first) = prefix.first() else {
        return false;
    };
    if QUESTION_OPENERS.contains(first) || prefix.iter().any(|w| NEGATIONS.contains(w)) {
        return false;
    }
    let text = prefix.join(" ");
    if PARTICIPLE_MUST.is_match(&text) {
        return true;
    }
    // "get plex restarted", "I want the old snapshots deleted" — but not "I have restarted".
    let Some(captures) = PARTICIPLE_WISH.captures(&text) else {
        return false;
    };
    let object = captures.name("object").map_or("", |m| m.as_str());
    !object.split(' ').any(|w| {
        matches!(
            w,
            "you"
                | "u"
                | "i"
                | "we"
                | "they"
                | "he"
                | "she"
                | "been"
                | "already"
                | "just"
                | "never"
                | "ever"
                | "recently"
                | "not"
                | "it's"
                | "to"
                | "know"
                | "why"
                | "how"
                | "what"
                | "when"
                | "which"
                | "whether"
                | "if"
                | "see"
                | "that"
        )
    })
}

/// "when plex crashes, restart it", "every night at 3am reboot", "if not, stop sonarr".
pub(super) fn condition_frame(prefix: &[&str]) -> bool {
    let first = prefix[0];
    let opener = matches!(
        first,
        "if" | "when"
            | "whenever"
            | "once"
            | "every"
            | "each"
            | "daily"
            | "nightly"
            | "weekly"
            | "hourly"
            | "tomorrow"
            | "tonight"
            | "later"
            | "at"
            | "on"
            | "after"
            | "in"
            | "unless"
    );
    if !opener {
        return false;
    }
    // "after the restart, is plex healthy?": a time named by its event, not a condition.
    if matches!(
        first,
        "after" | "before" | "since" | "during" | "at" | "on" | "in"
    ) && prefix.len() == 2
        && matches!(
            prefix[1],
            "the" | "a" | "that" | "this" | "my" | "its" | "last" | "each"
        )
    {
        return false;
    }
    let second_is_auxiliary = prefix
        .get(1)
        .is_some_and(|w| is_auxiliary(w) || matches!(*w, "what" | "which"));
    !second_is_auxiliary
        && !prefix.iter().any(|w| {
            matches!(
                *w,
                "i" | "we"
                    | "i'm"
                    | "we're"
                    | "i've"
                    | "i'll"
                    | "we'll"
                    | "you"
                    | "what"
                    | "which"
                    | "how"
                    | "why"
                    | "who"
                    | "happens"
                    | "happen"
                    | "happened"
                    | "going"
                    | "gonna"
                    | "supposed"
                    | "expected"
                    | "scheduled"
                    | "likely"
                    | "about"
                    | "last"
                    | "ago"
                    | "case"
            )
        })
}

/// "tell sonarr to stop", "make plex restart", "have the server reboot".
pub(super) fn causative(prefix: &[&str]) -> bool {
    let (first, rest) = match prefix.split_first() {
        Some(split) => split,
        None => return false,
    };
    matches!(
        *first,
        "make"
            | "have"
            | "let"
            | "get"
            | "force"
            | "tell"
            | "ask"
            | "order"
            | "instruct"
            | "command"
            | "cause"
    ) && (1..=4).contains(&rest.len())
        && !rest.iter().any(|w| {
            matches!(
                *w,
                "me" | "us"
                    | "know"
                    | "how"
                    | "why"
                    | "what"
                    | "when"
                    | "where"
                    | "which"
                    | "whether"
                    | "if"
                    | "i"
                    | "a"
                    | "an"
                    | "look"
            )
        })
}
