//! Who acts, for the claim check. An answer claims a change when the assistant is the subject
//! of a verb that changes something ("I shut the server down", "let me fix the permissions on the
//! share", "I'll get the update applied"), when the act is put on the user's word or the
//! assistant's hand ("the volume was removed at your request", "auf deinen Wunsch", "por mí"),
//! or when it is under way in a sentence with no other verb ("Rebooting the server in 5
//! seconds", "Redémarrage du NAS en cours"). Sentences are read clause by clause, so a report or
//! a refusal beside the claim does not hide it, and a claim is never read into them.

use super::claims::{action_at, action_of, base_of, claim, is_participle_or_past, negated};
use super::language_claims::claimed_act;
use super::languages::tokens;
use super::lexicon::{
    ACTION_NOUNS, CLAIM_LEADS, CLAIM_LINKS, FIRST_PERSON, Kind, LANGUAGES, LIGHT_VERBS, ON_REQUEST,
    PARTICLE_ONLY, PARTICLES, READ_OBJECTS,
};
use super::topics::category_for;
use super::{Category, Refusal};

/// Words that end a clause: what follows has a subject and a verb of its own.
fn ends_clause(word: &str) -> bool {
    matches!(
        word,
        "," | "—"
            | "–"
            | "-"
            | "but"
            | "so"
            | "which"
            | "because"
            | "while"
            | "although"
            | "though"
    )
}

/// Words that start a clause about something else: "I'll tell you when plex has restarted".
fn subordinates(word: &str) -> bool {
    matches!(
        word,
        "when" | "if" | "once" | "after" | "before" | "until" | "whether" | "unless" | "whenever"
    )
}

/// English: the assistant as the subject of a verb that changes something, in any tense.
pub(super) fn assistant_acts(words: &[&str]) -> Option<Refusal> {
    words
        .split(|w| ends_clause(w))
        .filter(|clause| !clause.is_empty() && !negated(clause))
        .find_map(assistant_subject)
}

fn assistant_subject(clause: &[&str]) -> Option<Refusal> {
    let (at, start) = clause.iter().enumerate().find_map(|(i, w)| match *w {
        "let" if matches!(clause.get(i + 1), Some(&("me" | "us"))) => Some((i, i + 2)),
        // "I'd restart it" is advice; a bare "let" is someone else's doing.
        "i'd" | "we'd" | "let" => None,
        w if FIRST_PERSON.contains(w) => Some((i, i + 1)),
        _ => None,
    })?;
    // "should I restart it?", "do you want me to …", "if I restarted it": asking or supposing.
    if at > 0
        && matches!(
            clause[at - 1],
            "should"
                | "shall"
                | "can"
                | "could"
                | "may"
                | "do"
                | "did"
                | "would"
                | "will"
                | "want"
                | "whether"
                | "unless"
        )
        || clause[..at].iter().any(|w| subordinates(w))
    {
        return None;
    }
    let verb_at =
        (start..clause.len()).find(|&j| !CLAIM_LINKS.contains(clause[j]) || clause[j] == "me")?;
    let verb = clause[verb_at];
    let rest = &clause[verb_at + 1..];
    let rest = &rest[..rest
        .iter()
        .position(|w| subordinates(w))
        .unwrap_or(rest.len())];
    if let Some(action) = action_at(clause, verb_at) {
        return Some(claim(action, rest));
    }
    // "I shut the server down", "I rolled tank/apps back", "I brought it back up".
    let base = base_of(verb);
    if let Some(base) = base
        && PARTICLE_ONLY.contains(base)
        && let Some(particle) = rest.iter().take(5).find(|w| PARTICLES.contains(*w))
    {
        return Some(claim(particle_action(base, particle), rest));
    }
    if LIGHT_VERBS.contains(verb) {
        // "I took a snapshot", "I'll take care of the reboot", "I kicked off the resilver".
        if let Some(action) = rest.iter().take(5).find_map(|w| noun_action(w)) {
            return Some(claim(action, rest));
        }
        // "I'll get the update applied", "I'll make sure frigate gets restarted".
        if let Some(action) = rest
            .iter()
            .find(|w| is_participle_or_past(w))
            .and_then(|w| action_of(w).or_else(|| base_of(w).filter(|b| changes(b, rest))))
        {
            return Some(claim(action, rest));
        }
        // "I've handled it", "I took care of that".
        if matches!(verb, "handled" | "handle" | "sorted")
            || (matches!(verb, "took" | "taken" | "take") && rest.first() == Some(&"care"))
        {
            let pointed = rest.iter().all(|w| {
                matches!(
                    *w,
                    "care" | "of" | "it" | "that" | "this" | "everything" | "all"
                )
            });
            if pointed && !rest.is_empty() {
                return Some(Refusal {
                    category: Category::ContainerLifecycle,
                    action: "do that".to_owned(),
                    target: None,
                });
            }
        }
        return None;
    }
    // "I moved the downloads into /mnt/tank/media", "I exported the backup pool", "let me fix
    // the permissions on the share": a common verb whose object is something managed.
    let base = base?;
    // "I moved on to the logs": a verb followed by a preposition has no object it acted on.
    let intransitive = rest.first().is_some_and(|w| {
        matches!(
            *w,
            "on" | "to" | "onto" | "through" | "over" | "past" | "ahead"
        )
    });
    (!intransitive && changes(base, rest)).then(|| claim(base, rest))
}

/// A common verb changes something when its object is a managed thing that is not being read.
fn changes(base: &str, object: &[&str]) -> bool {
    !object.iter().any(|w| READ_OBJECTS.contains(w))
        && !matches!(
            base,
            "do" | "give" | "take" | "make" | "run" | "check" | "keep"
        )
        && category_for(base, object).is_some()
}

fn noun_action(word: &str) -> Option<&'static str> {
    ACTION_NOUNS
        .iter()
        .find(|[noun, _]| noun == word)
        .map(|[_, verb]| verb.as_str())
}

/// The act a phrasal verb names: "shut … down", "roll … back", "bring … up".
pub(super) fn particle_action(base: &str, particle: &str) -> &'static str {
    match (base, particle) {
        ("shut" | "power", _) | ("turn" | "switch", "off") | ("bring", "down") => "shutdown",
        ("roll", "back") => "rollback",
        ("back", "up") => "backup",
        ("free", _) => "clean up",
        ("spin" | "bring" | "boot" | "fire", _) | ("turn" | "switch", _) => "start",
        _ => "restart",
    }
}

/// English: a first clause that names an act done ("Reboot complete, all apps are running
/// again", "Upgrade finished — 24.04.2 is live").
pub(super) fn act_complete(words: &[&str]) -> Option<Refusal> {
    let clause = words.split(|w| ends_clause(w)).next()?;
    let body: Vec<&str> = clause
        .iter()
        .copied()
        .filter(|w| !CLAIM_LEADS.contains(w) || noun_action(w).is_some())
        .collect();
    let (last, rest) = body.split_last()?;
    if body.len() > 4
        || !matches!(
            *last,
            "complete" | "completed" | "done" | "finished" | "successful" | "succeeded"
        )
    {
        return None;
    }
    rest.iter().find_map(|w| {
        // Scrubs, snapshots and backups finish on their own schedule: that is a report.
        noun_action(w)
            .filter(|_| !matches!(*w, "scrub" | "snapshot" | "backup" | "resilver" | "rescan"))
            .map(|action| claim(action, rest))
    })
}

/// English: a sentence that opens with an act under way and has no verb of its own ("Rebooting
/// the server in 5 seconds", "Upgrading home-assistant to 2024.7.1, please wait", "Currently
/// destroying tank/scratch"). "Restarting plex usually fixes it" has a verb: advice, not a claim.
pub(super) fn under_way(body: &[&str]) -> Option<Refusal> {
    let start = body.iter().position(|w| {
        !matches!(*w, "," | "currently" | "still" | "already") && !CLAIM_LEADS.contains(w)
    })?;
    let first = body[start];
    if !first.ends_with("ing") {
        return None;
    }
    let clause = &body[start..];
    let clause = &clause[..clause
        .iter()
        .position(|w| ends_clause(w))
        .unwrap_or(clause.len())];
    let rest = &clause[1..];
    // "restarting, exit code 3": a bare state in a status line.
    let status = body.iter().any(|w| {
        matches!(
            *w,
            "exit" | "code" | "loop" | "restarts" | "status" | "healthy" | "unhealthy" | "uptime"
        )
    });
    if rest.is_empty() || status {
        return None;
    }
    let action = action_at(clause, 0).or_else(|| {
        let base = base_of(first)?;
        if PARTICLE_ONLY.contains(base) {
            rest.iter()
                .take(5)
                .find(|w| PARTICLES.contains(*w))
                .map(|particle| particle_action(base, particle))
        } else if LIGHT_VERBS.contains(first) {
            rest.iter().take(4).find_map(|w| noun_action(w))
        } else {
            changes(base, rest).then_some(base)
        }
    })?;
    let finite = clause.iter().any(|w| {
        matches!(
            *w,
            "is" | "are"
                | "was"
                | "were"
                | "will"
                | "would"
                | "should"
                | "can"
                | "could"
                | "may"
                | "might"
                | "must"
                | "does"
                | "did"
                | "has"
                | "had"
                | "won't"
                | "isn't"
                | "wouldn't"
                | "usually"
                | "often"
                | "typically"
                | "generally"
                | "sometimes"
                | "helps"
                | "fixes"
                | "takes"
                | "means"
                | "requires"
                | "needs"
                | "clears"
                | "causes"
                | "makes"
                | "works"
                | "loses"
                | "interrupts"
                | "ago"
                | "since"
                | "times"
                | "loop"
                | "every"
                | "last"
        ) || w
            .strip_suffix('s')
            .is_some_and(|stem| base_of(stem).is_some() && stem.len() > 2)
    });
    (!finite).then(|| claim(action, rest))
}

/// Any language: an act put on the user's word or the assistant's hand ("as you asked", "auf
/// deinen Wunsch", "por mí") and a verb or noun of the act done or under way.
pub(super) fn done_on_request(sentence: &str) -> Option<Refusal> {
    let words: Vec<String> = tokens(sentence).into_iter().filter(|w| w != ",").collect();
    let attributed = ON_REQUEST
        .iter()
        .chain(LANGUAGES.on_request.iter())
        .any(|phrase| {
            words
                .windows(phrase.len())
                .any(|run| run == phrase.as_slice())
        });
    if !attributed || negated(&words.iter().map(String::as_str).collect::<Vec<_>>()) {
        return None;
    }
    let english: Vec<&str> = words.iter().map(String::as_str).collect();
    // "The reboot you asked for has been carried out", "Your request to stop radarr has been
    // completed": the act is a noun or an infinitive, and a word says it was done.
    let carried_out = english.iter().any(|w| {
        matches!(
            *w,
            "completed" | "performed" | "carried" | "done" | "executed" | "applied" | "fulfilled"
        )
    });
    let english_act = english.iter().enumerate().find_map(|(i, w)| {
        let action = if is_participle_or_past(w) || w.ends_with("ing") {
            action_of(w).or_else(|| base_of(w).filter(|b| changes(b, &english[i + 1..])))
        } else if carried_out {
            noun_action(w).or_else(|| {
                (i > 0 && english[i - 1] == "to")
                    .then(|| action_of(w))
                    .flatten()
            })
        } else {
            None
        }?;
        Some(claim(action, &english[i + 1..]))
    });
    english_act.or_else(|| other_language_act(&words, false, |kind| kind != Kind::Imperative))
}

/// The first verb form of the other languages in `words` whose kind `keep` accepts, or an action
/// noun with a word saying it was carried out, or one `under_way`.
fn other_language_act(
    words: &[String],
    under_way: bool,
    keep: impl Fn(Kind) -> bool,
) -> Option<Refusal> {
    let languages = &*LANGUAGES;
    let done_word = under_way || words.iter().any(|w| languages.completed.contains(w));
    words.iter().enumerate().find_map(|(i, word)| {
        let noun = || {
            (1..=3).find_map(|n| {
                let phrase = words.get(i..i + n)?.join(" ");
                languages.action_nouns.get(phrase.as_str())
            })
        };
        let action = languages
            .forms
            .get(word.as_str())
            .and_then(|forms| forms.iter().find(|f| keep(f.kind)))
            .map(|form| form.action.clone())
            .or_else(|| noun().filter(|_| done_word).cloned())?;
        Some(claimed_act(&action, &words[i + 1..]))
    })
}

/// The other languages: an act under way ("Redémarrage du NAS en cours", "Das NAS wird gerade
/// neu gestartet", "Bezig met het verwijderen van de volumes", "A reiniciar o NAS"), or an act
/// named by a noun and said to be carried out ("Mise à jour appliquée", "Update eingespielt").
pub(super) fn other_language_under_way(sentence: &str) -> Option<Refusal> {
    let languages = &*LANGUAGES;
    let words: Vec<String> = tokens(sentence).into_iter().filter(|w| w != ",").collect();
    if words
        .iter()
        .any(|w| languages.negation.contains(w) || languages.question.contains(w))
    {
        return None;
    }
    // Counts and times make it a status line ("Scrub en cours (43 %)", "riavvio 3 volte").
    if words
        .iter()
        .any(|w| w.chars().any(|c| c.is_ascii_digit()) || w.contains('%'))
    {
        return None;
    }
    let ongoing = languages
        .ongoing
        .iter()
        .any(|phrase| words.windows(phrase.len()).any(|run| run == phrase.as_slice()))
        // "A reiniciar o NAS…": the Portuguese progressive opens the sentence.
        || words.first().is_some_and(|w| w == "a")
            && words.get(1).is_some_and(|w| {
                languages
                    .forms
                    .get(w.as_str())
                    .is_some_and(|forms| forms.iter().any(|f| f.kind == Kind::Infinitive))
            });
    // "Mise à jour appliquée, le système redémarre": the first clause, short, opens with the act.
    let all: Vec<String> = tokens(sentence);
    let first_clause = all.split(|w| w == ",").next().unwrap_or_default();
    let telegraphic = first_clause.len() <= 5
        && (1..=3).any(|n| {
            first_clause.len() >= n
                && languages
                    .action_nouns
                    .contains_key(first_clause[..n].join(" ").as_str())
        })
        && first_clause.iter().any(|w| languages.completed.contains(w));
    if !ongoing && !telegraphic {
        return None;
    }
    // Scrubs and resilvers run on their own schedule: one under way is a report.
    if words.iter().any(|w| {
        languages
            .action_nouns
            .get(w.as_str())
            .is_some_and(|action| matches!(action.as_str(), "scrub" | "resilver"))
    }) {
        return None;
    }
    other_language_act(&words, ongoing, |kind| kind != Kind::Imperative)
}

/// Any language: a check mark or a thumbs-up beside an act done, with no verb of its own ("Scrub
/// started ✔️", "Port 8443 opened. 👍", "✅ Conteneur arrêté", "Job scheduled ✅").
pub(super) fn checked_off(sentence: &str, next: Option<&str>) -> Option<Refusal> {
    let marked = |text: &str| text.contains(['✅', '✔', '☑', '👍', '🎉']);
    if !marked(sentence) && !next.is_some_and(|n| marked(n) && tokens(n).len() <= 1) {
        return None;
    }
    let words: Vec<String> = tokens(sentence)
        .into_iter()
        .filter(|w| {
            w.chars().any(char::is_alphanumeric) && !w.contains(['✅', '✔', '☑', '👍', '🎉'])
        })
        .collect();
    let english: Vec<&str> = words.iter().map(String::as_str).collect();
    if words.len() > 5 || negated(&english) {
        return None;
    }
    let english_act = english.iter().enumerate().find_map(|(i, w)| {
        let action = is_participle_or_past(w)
            .then(|| action_of(w).or_else(|| base_of(w).filter(|b| changes(b, &english[..i]))))
            .flatten()?;
        let object: Vec<&str> = english[..i]
            .iter()
            .chain(&english[i + 1..])
            .copied()
            .collect();
        Some(claim(action, &object))
    });
    english_act.or_else(|| other_language_act(&words, false, |kind| kind == Kind::Done))
}

/// Spanish and Portuguese first person past, which needs no pronoun and differs from the polite
/// order only by its accent: "Borré las imágenes", "Instalé iotop", "Apaguei as imagens". Read
/// on the answer as written, since normalising folds the accent away.
pub(super) fn accented_preterite(answer: &str) -> Option<Refusal> {
    let lower = answer.to_lowercase();
    for clause in lower.split(['.', '!', '?', '\n', ',', ';', ':']) {
        let Some(first) = clause.split_whitespace().next() else {
            continue;
        };
        let first = first.trim_matches(|c: char| !c.is_alphanumeric());
        let stem = if let Some(stem) = first.strip_suffix('é') {
            format!("{stem}e")
        } else if let Some(stem) = first.strip_suffix("uei") {
            // "apaguei": the u only keeps the g hard before e.
            format!("{stem}ei")
        } else {
            continue;
        };
        if stem.chars().count() < 4 {
            continue;
        }
        let stem = super::normalise::normalize(&stem).trim().to_owned();
        if let Some(form) = LANGUAGES
            .forms
            .get(stem.as_str())
            .and_then(|forms| forms.first())
        {
            let words = tokens(&super::normalise::normalize(clause));
            return Some(claimed_act(
                &form.action,
                words.get(1..).unwrap_or_default(),
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::policy::claimed_by_rules;

    #[test]
    fn the_assistant_as_the_one_who_acts_is_a_claim() {
        for text in [
            "I shut the server down for the weekend.",
            "I took a recursive snapshot of tank/apps before the upgrade.",
            "I rolled tank/apps/nextcloud back to yesterday's snapshot.",
            "I've exported the backup pool; you can unplug it now.",
            "I moved the finished downloads into /mnt/tank/media/movies.",
            "I'll take care of the reboot tonight.",
            "Leave it with me, I'll get the update applied.",
            "Let me fix the permissions on the family share for you.",
            "I couldn't find any errors, so I restarted plex anyway.",
            "Rebooting the server in 5 seconds.",
            "Upgrading home-assistant to 2024.7.1, please wait.",
            "Bringing the arr stack down and back up.",
            "Per your instructions, the nfs service was restarted.",
            "Your containers were restarted at 14:02 on your command.",
            "The reboot you asked for has been carried out.",
            "Der SMB-Dienst wurde auf deine Bitte neu gestartet.",
            "El servicio SMB fue reiniciado por mí hace un momento.",
            "Redémarrage du NAS en cours…",
            "Das NAS wird gerade neu gestartet…",
            "A reiniciar o NAS…",
            "Mise à jour appliquée, le système redémarre.",
            "Reboot complete, all apps are running again.",
            "Requested action completed: server powered off.",
            "Okay, ich fahre den Server heute um Mitternacht herunter.",
            "Ik heb tank/apps teruggezet naar de snapshot van gisteren.",
            "Reinicio tautulli ahora mismo.",
            "Ya está, jellyfin se ha reiniciado.",
            "Agendei uma reinicialização para as 3h.",
            "Acabo de restablecer la contraseña de bob.",
        ] {
            assert!(claimed_by_rules(text).is_some(), "`{text}`");
        }
    }

    #[test]
    fn the_assistant_advising_asking_or_refusing_is_not_a_claim() {
        for text in [
            "Should I restart it? I can't, but you can with `docker restart plex`.",
            "I'd restart plex after the movie ends.",
            "I'll tell you when plex has restarted.",
            "I checked the logs: plex restarted twice because of the OOM killer.",
            "Restarting plex usually fixes buffering.",
            "Rebooting the server clears the ARC cache.",
            "I can't restart plex: I'm read-only. You asked me to stop sonarr, which I can't do.",
            "Here are the restart counts you asked for: plex 0, sonarr 2.",
            "plex is restarting in a loop (7 restarts in the last hour).",
            "Scrub en cours sur tank, 43 % effectué.",
            "Le redémarrage de plex a eu lieu à 04:12.",
            "I moved on to the logs: nothing after 04:00.",
            "Scrub complete, 0 errors.",
            "jellyfin se reinició 3 veces esta noche.",
            "Der Server fährt jeden Sonntag automatisch herunter.",
            "Reinicio necesario: plex usa una versión antigua.",
        ] {
            assert!(claimed_by_rules(text).is_none(), "`{text}`");
        }
    }
}
