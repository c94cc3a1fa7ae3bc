//! Claims in the six other languages, read through their lexicons: a done, ongoing or future
//! form of an action verb with the assistant as its subject ("j'ai redémarré plex", "ich habe
//! iotop installiert", "voy a reiniciar", "reiniciei o plex"), a passive of one ("plex è stato
//! riavviato"), and bare successes ("C'est fait !", "Erledigt.").

use super::Category;
use super::Refusal;
use super::languages::{category as action_category, english_object, tokens};
use super::lexicon::{Kind, LANGUAGES};
use super::topics::target_of;

/// Claims in the other languages: "j'ai redémarré plex", "ich starte plex jetzt neu", "voy a
/// reiniciar", "plex è stato riavviato", "reiniciei o plex".
pub(super) fn other_language_claim(sentence: &str) -> Option<Refusal> {
    let languages = &*LANGUAGES;
    let all_words = tokens(sentence);
    // Where each word stands in `all_words`, which keeps the commas that end a clause.
    let positions: Vec<usize> = (0..all_words.len())
        .filter(|&at| all_words[at] != ",")
        .collect();
    let words: Vec<String> = all_words.iter().filter(|w| *w != ",").cloned().collect();
    if words.iter().enumerate().any(|(i, w)| {
        // Portuguese "no" is "in the" ("instalei o iotop no servidor"); a Spanish "no" that
        // negates stands before the verb, its auxiliary or a clitic pronoun.
        languages.negation.contains(w)
            && (w != "no"
                || words.get(i + 1).is_none_or(|next| {
                    languages.forms.contains_key(next.as_str())
                        || languages.auxiliary.contains(next)
                        || languages.pronouns.contains(next)
                        || matches!(
                            next.as_str(),
                            "se" | "lo"
                                | "la"
                                | "los"
                                | "las"
                                | "le"
                                | "les"
                                | "me"
                                | "te"
                                | "puedo"
                                | "puede"
                                | "pude"
                                | "hay"
                                | "es"
                                | "esta"
                        )
                }))
    }) {
        return None;
    }
    let has_digit = words
        .iter()
        .any(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()));
    let qualified = has_digit
        || words.iter().enumerate().any(|(at, w)| {
            // "se ha reiniciado", "se está reiniciando": the Spanish reflexive, not "if".
            let reflexive = w == "se"
                && words
                    .get(at + 1)
                    .is_some_and(|next| languages.auxiliary.contains(next) || next == "esta");
            !reflexive
                && matches!(
                    w.as_str(),
                    "fois"
                        | "mal"
                        | "veces"
                        | "volte"
                        | "vezes"
                        | "keer"
                        | "hier"
                        | "gestern"
                        | "ayer"
                        | "ieri"
                        | "ontem"
                        | "gisteren"
                        | "depuis"
                        | "seit"
                        | "desde"
                        | "sinds"
                        | "par"
                        | "von"
                        | "por"
                        | "dal"
                        | "pelo"
                        | "door"
                        | "automatiquement"
                        | "automatisch"
                        | "automaticamente"
                        | "si"
                        | "wenn"
                        | "falls"
                        | "se"
                        | "als"
                        | "quand"
                        | "cuando"
                        | "quando"
                        | "wanneer"
                        | "puede"
                        | "pode"
                        | "peut"
                        | "kann"
                        | "kunt"
                        | "puoi"
                        | "puo"
                        | "pouvez"
                        | "puedes"
                        | "podes"
                        | "können"
                        | "konnen"
                )
        });
    for (i, word) in words.iter().enumerate() {
        // "neu gestartet", "mis a jour": a form of several words.
        let phrase: Vec<_> = languages
            .phrases
            .iter()
            .filter(|(phrase, _)| words[i..].starts_with(phrase))
            .map(|(_, form)| form.clone())
            .collect();
        // "ich fahre den Server … herunter", "ik heb tank/apps teruggezet": a separable verb
        // with its particle later in the sentence, or its joined done form.
        let separable: Vec<_> = languages
            .separable
            .get(word.as_str())
            .into_iter()
            .flatten()
            .filter(|s| {
                s.form.kind == Kind::Done || words[i + 1..].iter().any(|w| s.particles.contains(w))
            })
            .map(|s| s.form.clone())
            .collect();
        let forms = match languages.forms.get(word.as_str()) {
            Some(forms) => forms.iter().cloned().chain(separable).collect(),
            None if !phrase.is_empty() => phrase,
            None if !separable.is_empty() => separable,
            None => continue,
        };
        let before = &words[i.saturating_sub(4)..i];
        // "you asked me to stop sonarr": an English infinitive is not another language's verb.
        if before.last().is_some_and(|w| w == "to") {
            continue;
        }
        // German and Dutch put the participle or infinitive last: "Ich habe iotop auf dem
        // Server installiert", "Ik ga een scrub op vault starten". The subject is then anywhere
        // in the clause before it.
        let clause_start = all_words[..positions[i]]
            .iter()
            .rposition(|w| w == ",")
            .map_or(0, |at| at + 1);
        let subject = &all_words[clause_start.max(positions[i].saturating_sub(9))..positions[i]];
        let marks_self = |w: &String| {
            languages.first_person.contains(w)
                || matches!(
                    w.as_str(),
                    "ai" | "avons"
                        | "habe"
                        | "haben"
                        | "hab"
                        | "he"
                        | "hemos"
                        | "ho"
                        | "abbiamo"
                        | "heb"
                        | "hebben"
                        | "vais"
                        | "allons"
                        | "werde"
                        | "voy"
                        | "vamos"
                        | "vado"
                        | "sto"
                        | "stiamo"
                        | "vou"
                        | "estou"
                        | "estoy"
                        | "ga"
                        | "gaan"
                        | "zal"
                        | "ben"
                )
        };
        // Near the verb ("j'ai redémarré", "voy a reiniciar"), or a subject and an auxiliary
        // earlier in the clause with the verb last ("Ich werde das Dataset … zerstören"), but not
        // an infinitive after "te"/"zu" ("Ik raad je aan plex zelf te herstarten").
        let first_person = before.iter().any(marks_self)
            || subject.iter().any(|w| languages.first_person.contains(w))
                && subject.iter().any(|w| {
                    languages.auxiliary.contains(w)
                        || marks_self(w) && !languages.first_person.contains(w)
                })
                && !before
                    .last()
                    .is_some_and(|w| matches!(w.as_str(), "te" | "zu"));
        let passive = before
            .iter()
            .rev()
            .find(|w| {
                (!languages.polite.contains(w) || languages.auxiliary.contains(w))
                    && !matches!(
                        w.as_str(),
                        "jetzt" | "nu" | "maintenant" | "ahora" | "ora" | "agora"
                    )
            })
            .is_some_and(|w| languages.auxiliary.contains(w))
            && !qualified;
        let rest: Vec<String> = words[i + 1..].to_vec();
        let claimed = forms.iter().find(|form| match form.kind {
            Kind::Done => first_person || passive,
            Kind::Future | Kind::Ongoing => first_person || i == 0 && !qualified,
            Kind::Imperative | Kind::Infinitive => {
                // "je redémarre plex", "ich starte plex neu", "voy a reiniciar".
                first_person && !qualified
            }
        });
        // Portuguese and Spanish first-person past needs no pronoun: "reiniciei o plex".
        let claimed = claimed.or_else(|| {
            // At the start of a clause ("Listo, actualicé immich"); "-i" is the first person of
            // -er and -ir verbs in both ("movi", "abri", "reverti"), the third is "-iu"/"-io".
            // "-ei" is only ever the Portuguese first person, whatever counts or times follow
            // ("Agendei uma reinicialização para as 3h").
            let opens_clause = positions[i] == 0 || all_words[positions[i] - 1] == ",";
            (opens_clause
                && (word.ends_with("ei")
                    || (word.ends_with("amos") || word.ends_with('i')) && !qualified))
                .then(|| forms.iter().find(|f| f.kind == Kind::Done))
                .flatten()
        });
        // "Reinicio tautulli ahora mismo", "Riavvio subito tautulli": the first person present
        // at the start of a clause, with "now" beside it, is an act being done.
        let claimed = claimed.or_else(|| {
            let opens_clause = positions[i] == 0 || all_words[positions[i] - 1] == ",";
            let now = words[i + 1..].iter().take(3).any(|w| {
                matches!(
                    w.as_str(),
                    "ahora"
                        | "enseguida"
                        | "subito"
                        | "adesso"
                        | "agora"
                        | "immediatamente"
                        | "inmediatamente"
                        | "imediatamente"
                )
            });
            (opens_clause && now && word.ends_with('o') && !has_digit)
                .then(|| forms.iter().find(|f| f.kind != Kind::Infinitive))
                .flatten()
        });
        if let Some(form) = claimed {
            return Some(claimed_act(&form.action, &rest));
        }
    }
    None
}

/// The refusal a claimed act deserves: its category from what it was done to, read in English.
pub(super) fn claimed_act(action: &str, object: &[String]) -> Refusal {
    let object = english_object(object, &LANGUAGES);
    let named: Vec<&str> = object.iter().map(String::as_str).collect();
    Refusal {
        category: action_category(action, &object).unwrap_or(Category::ContainerLifecycle),
        action: action.to_owned(),
        target: target_of(&named),
    }
}

/// "C'est fait !", "Erledigt.", "Listo", "Fatto!", "Feito", "Klaar!".
pub(super) fn other_language_success(sentence: &str) -> bool {
    let words: Vec<String> = tokens(sentence)
        .into_iter()
        .filter(|w| w != "," && w != "!" && !LANGUAGES.polite.contains(w))
        .collect();
    LANGUAGES.done.contains(&words)
}
