//! Requests in French, German, Spanish, Italian, Portuguese and Dutch, read from the lexicons in
//! `lexicon/*.toml`: an action verb in a request form (imperative, infinitive, after "peux-tu",
//! "kannst du", "por favor") is an order; the same verb after a question word, an auxiliary
//! ("a redémarré", "wurde neu gestartet") or a subject is a question or a report.

use super::lexicon::{KNOWN_APPS, Kind, LANGUAGES, Languages, VerbForm};
use super::topics::{category_for, target_of};
use super::{Category, Refusal};

/// Enclitic pronouns that Spanish and Italian glue to an order ("reinícialo", "fermalo").
pub(super) const ENCLITICS: &[&str] = &[
    "melo", "selo", "noslo", "los", "las", "les", "nos", "lo", "la", "le", "me", "li", "gli", "ci",
    "mi", "ti", "si", "te",
];

/// Pronouns that follow a hyphen ("peux-tu", "redémarre-le", "reinicia-o").
const HYPHENATED: &[&str] = &[
    "tu", "vous", "il", "elle", "on", "nous", "le", "la", "les", "lui", "moi", "t", "o", "a", "os",
    "as", "lo", "los", "me", "nos", "lhe", "lhes", "je", "ce", "y", "en", "se",
];

/// Articles and determiners that may stand between a verb and its object in any of the languages.
const DETERMINERS: &[&str] = &[
    "le", "la", "les", "l'", "un", "une", "des", "du", "de", "d'", "mon", "ma", "mes", "ce", "cet",
    "cette", "ces", "tous", "toutes", "der", "die", "das", "den", "dem", "des", "ein", "eine",
    "einen", "mein", "meine", "meinen", "el", "los", "las", "lo", "mi", "mis", "este", "esta",
    "il", "lo", "gli", "i", "un", "una", "uno", "il", "mio", "mia", "miei", "o", "a", "os", "as",
    "meu", "minha", "meus", "het", "de", "een", "mijn", "al", "alle", "todo", "todos", "tutto",
    "tutti", "tudo", "todas", "ese", "esa", "esse", "essa", "questo", "questa", "deze", "dit",
    "dat", "del", "della", "dello", "do", "da", "dos", "das", "van",
];

/// Words that join clauses in these languages.
const JOINERS: &[&str] = &[
    "et",
    "puis",
    "ensuite",
    "apres",
    "und",
    "dann",
    "danach",
    "anschliessend",
    "y",
    "luego",
    "despues",
    "e",
    "poi",
    "quindi",
    "depois",
    "daarna",
    "dan",
    "und",
    "en",
    "pois",
];

/// Splits a normalised sentence into words, separating French elisions ("l'", "j'") and
/// hyphenated pronouns, and commas as their own token.
pub(super) fn tokens(sentence: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in sentence.split(|c: char| {
        c.is_whitespace() || matches!(c, '"' | '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>' | '`')
    }) {
        for (i, part) in raw.split(',').enumerate() {
            if i > 0 {
                out.push(",".to_owned());
            }
            let word = part.trim_matches(|c: char| {
                matches!(c, '.' | ':' | '!' | '?' | '*' | '_' | '~' | '¿' | '¡')
            });
            if word.is_empty() {
                continue;
            }
            let word = match word.split_once('\'') {
                Some((head, tail)) if head.len() <= 2 && !tail.is_empty() => {
                    out.push(format!("{head}'"));
                    tail
                }
                _ => word,
            };
            let mut pieces = word.split('-');
            let Some(first) = pieces.next() else { continue };
            let rest: Vec<&str> = pieces.collect();
            // "faut-il", "dois-je", "peut-on", "a-t-il" ask; they stay one word.
            let asks = matches!(rest.as_slice(), ["je" | "il" | "on" | "elle"] | ["t", _]);
            if !rest.is_empty() && !asks && rest.iter().all(|p| HYPHENATED.contains(p)) {
                out.push(first.to_owned());
                out.extend(rest.iter().map(|p| (*p).to_owned()));
            } else {
                out.push(word.to_owned());
            }
        }
    }
    out
}

/// A verb found in a clause: where, what it does, and how it is used there.
struct Hit {
    at: usize,
    /// Words the verb spans ("mets a jour" spans three).
    len: usize,
    forms: Vec<VerbForm>,
    /// A separable verb's particle, when it stands apart ("starte plex neu").
    particle_at: Option<usize>,
}

fn find_verbs(clause: &[String], languages: &Languages) -> Vec<Hit> {
    let mut hits = Vec::new();
    for at in 0..clause.len() {
        let word = clause[at].as_str();
        for (phrase, form) in &languages.phrases {
            if clause[at..].starts_with(phrase) {
                hits.push(Hit {
                    at,
                    len: phrase.len(),
                    forms: vec![form.clone()],
                    particle_at: None,
                });
            }
        }
        if let Some(separables) = languages.separable.get(word) {
            for separable in separables {
                let particle_at = clause
                    .iter()
                    .enumerate()
                    .find(|(p, w)| *p != at && separable.particles.iter().any(|x| x == *w))
                    .map(|(p, _)| p);
                if let Some(particle_at) = particle_at {
                    hits.push(Hit {
                        at,
                        len: 1,
                        forms: vec![separable.form.clone()],
                        particle_at: Some(particle_at),
                    });
                }
            }
        }
        if let Some(forms) = languages.forms.get(word) {
            hits.push(Hit {
                at,
                len: 1,
                forms: forms.clone(),
                particle_at: None,
            });
            continue;
        }
        // "reinícialo", "fermalo": an order with its object glued on.
        if let Some(forms) = ENCLITICS.iter().find_map(|suffix| {
            let stem = word.strip_suffix(suffix)?;
            let forms: Vec<VerbForm> = languages
                .forms
                .get(stem)?
                .iter()
                .filter(|f| f.kind.asks())
                .cloned()
                .collect();
            (!forms.is_empty() && stem.len() >= 4).then_some(forms)
        }) {
            hits.push(Hit {
                at,
                len: 1,
                forms,
                particle_at: None,
            });
        }
    }
    hits
}

fn is_filler(word: &str, languages: &Languages) -> bool {
    languages.polite.contains(word)
        || super::lexicon::LEAD_WORDS.contains(word)
        || super::lexicon::POLITE.contains(word)
        || word == ","
}

/// Whether the words before a verb make it a request.
/// "Stopt u alstublieft de FTP-dienst", "Verwijdert u snapd": the Dutch polite order puts the
/// verb with its -t first and "u" after it.
fn formal_dutch_order(clause: &[String], languages: &Languages) -> Option<Refusal> {
    let [verb, you, rest @ ..] = clause else {
        return None;
    };
    if you != "u" {
        return None;
    }
    let stem = verb.strip_suffix('t')?;
    let form = languages
        .forms
        .get(stem)?
        .iter()
        .find(|f| f.kind == Kind::Imperative)?;
    let object: Vec<String> = rest
        .iter()
        .filter(|w| !languages.polite.contains(*w))
        .cloned()
        .collect();
    let english = english_object(&object, languages);
    let category = category(&form.action, &english)?;
    let named: Vec<&str> = english.iter().map(String::as_str).collect();
    Some(Refusal {
        category,
        action: form.action.clone(),
        target: target_of(&named),
    })
}

/// "Cada noche a las 2", "Tra 20 minuti", "Daqui a 20 minutos": a time and nothing else before
/// the verb, which makes it an order for later.
fn later(prefix: &[String], languages: &Languages) -> bool {
    prefix
        .first()
        .is_some_and(|w| languages.time_openers.contains(w))
        && prefix.iter().all(|w| {
            languages.time_openers.contains(w)
                || languages.time_words.contains(w)
                || w.chars().next().is_some_and(|c| c.is_ascii_digit())
        })
}

fn asked(prefix: &[String], hit_kind: Kind, after: &[String], languages: &Languages) -> bool {
    if hit_kind == Kind::Imperative && later(prefix, languages) {
        return true;
    }
    // "faut-il", "dois-je", "peut-on" ask for advice; "peux-tu" asks for the action.
    let inverted = |at: usize| {
        prefix
            .get(at + 1)
            .is_some_and(|w| matches!(w.as_str(), "ich" | "wir"))
    };
    if let Some(at) = prefix.iter().position(|w| languages.request.contains(w))
        && inverted(at)
    {
        return false;
    }
    let request_at = prefix.iter().rposition(|w| languages.request.contains(w));
    // "zou u plex willen herstarten?" asks the assistant; "zou ik plex moeten herstarten?" asks
    // for advice: a word that does both is a request when "you" follows it.
    let addressed = |at: usize| {
        languages.request.contains(&prefix[at])
            && prefix.get(at + 1).is_some_and(|w| {
                matches!(
                    w.as_str(),
                    "u" | "je" | "jij" | "jullie" | "tu" | "vous" | "du" | "ihr"
                )
            })
    };
    let question_at = prefix
        .iter()
        .enumerate()
        .rposition(|(at, w)| {
            (languages.question.contains(w)
                || super::lexicon::QUESTION_OPENERS.contains(w) && !languages.request.contains(w))
                && !addressed(at)
        })
        .or_else(|| {
            languages.question_phrases.iter().find_map(|phrase| {
                prefix
                    .windows(phrase.len())
                    .rposition(|window| window == phrase.as_slice())
            })
        });
    let negated = prefix.iter().any(|w| languages.negation.contains(w));
    if let Some(request_at) = request_at {
        // "est-ce que tu peux …" asks for it; "pourquoi tu peux …" does not.
        return question_at.is_none_or(|q| q < request_at && !is_wh(&prefix[q]))
            && (!negated
                || prefix.iter().any(|w| {
                    matches!(
                        w.as_str(),
                        "oublie"
                            | "oubliez"
                            | "vergiss"
                            | "olvides"
                            | "dimenticare"
                            | "esqueca"
                            | "vergeet"
                    )
                }));
    }
    if question_at.is_some() || negated {
        return false;
    }
    if prefix
        .last()
        .is_some_and(|w| languages.auxiliary.contains(w))
    {
        return false;
    }
    let content: Vec<&String> = prefix.iter().filter(|w| !is_filler(w, languages)).collect();
    if content.is_empty() {
        return true;
    }
    // "Den Plex-Container bitte neu starten": objects may stand before a final infinitive, but
    // not a subject ("ich", "plex hat") and not when a finite verb follows ("… neu starten hat
    // nicht geholfen").
    hit_kind == Kind::Infinitive
        && content.iter().all(|w| {
            !languages.pronouns.contains(w)
                && !languages.first_person.contains(w)
                && !languages.auxiliary.contains(w)
                && !languages.forms.contains_key(w.as_str())
        })
        && !after
            .iter()
            .take(2)
            .any(|w| languages.auxiliary.contains(w) || languages.forms.contains_key(w.as_str()))
}

/// Question words that ask about the action itself ("why", "how"), as opposed to "est-ce que".
fn is_wh(word: &str) -> bool {
    !matches!(word, "est-ce" | "est")
}

/// The English words for what a clause names, so the English category rules apply.
pub(super) fn english_object(words: &[String], languages: &Languages) -> Vec<String> {
    words
        .iter()
        .filter(|w| !DETERMINERS.contains(&w.as_str()) && !is_filler(w, languages))
        .flat_map(|w| {
            if let Some(english) = languages.things.get(w.as_str()) {
                return vec![english.clone()];
            }
            // "plex-container", "den-server": compounds name the thing twice.
            let parts: Vec<String> = w
                .split('-')
                .filter_map(|p| {
                    languages
                        .things
                        .get(p)
                        .cloned()
                        .or_else(|| KNOWN_APPS.contains(p).then(|| p.to_owned()))
                })
                .collect();
            if parts.is_empty() {
                vec![w.clone()]
            } else {
                parts
            }
        })
        .collect()
}

pub(super) fn category(action: &str, object: &[String]) -> Option<Category> {
    let words: Vec<&str> = object.iter().map(String::as_str).collect();
    category_for(action, &words).or_else(|| {
        use Category::*;
        let strong = match action {
            "restart" | "stop" | "kill" | "pause" => ContainerLifecycle,
            "reboot" | "shutdown" | "wake" => HostPower,
            "delete" | "wipe" => Files,
            "update" | "deploy" => Deployment,
            "install" | "uninstall" => Packages,
            "run" => Shell,
            "schedule" => Automation,
            "snapshot" | "scrub" | "format" => Storage,
            _ => return None,
        };
        Some(strong)
    })
}

/// A request in one of the other languages, if the sentence holds one.
pub(super) fn classify_sentence(sentence: &str) -> Option<Refusal> {
    let languages = &*LANGUAGES;
    let words = tokens(sentence);
    for clause in words.split(|w| w == "," || JOINERS.contains(&w.as_str())) {
        if let Some(refusal) = classify_clause(clause, languages) {
            return Some(refusal);
        }
    }
    // Clauses split at "," can cut "si plex plante, redémarre-le" right; a whole sentence with a
    // verb-final infinitive ("bitte, den Container neu starten") needs the whole.
    classify_clause(&words, languages)
}

fn classify_clause(clause: &[String], languages: &Languages) -> Option<Refusal> {
    if let Some(refusal) = formal_dutch_order(clause, languages) {
        return Some(refusal);
    }
    for hit in find_verbs(clause, languages) {
        let prefix: Vec<String> = clause[..hit.at]
            .iter()
            .enumerate()
            .filter(|(at, _)| Some(*at) != hit.particle_at)
            .map(|(_, w)| w.clone())
            .collect();
        let after = &clause[(hit.at + hit.len).min(clause.len())..];
        let Some(form) = hit
            .forms
            .iter()
            .find(|f| f.kind.asks() && asked(&prefix, f.kind, after, languages))
        else {
            continue;
        };
        let mut object: Vec<String> = after
            .iter()
            .enumerate()
            .filter(|(at, _)| Some(hit.at + hit.len + at) != hit.particle_at)
            .map(|(_, w)| w.clone())
            .collect();
        if form.kind == Kind::Infinitive {
            object.extend(prefix.iter().cloned());
        }
        let english = english_object(&object, languages);
        let Some(category) = category(&form.action, &english) else {
            continue;
        };
        let category = if later(&prefix, languages) {
            Category::Automation
        } else {
            category
        };
        let named: Vec<&str> = english.iter().map(String::as_str).collect();
        return Some(Refusal {
            category,
            action: form.action.clone(),
            target: target_of(&named),
        });
    }
    need_frame(clause, languages)
}

/// "plex a besoin d'un redémarrage", "der Server braucht einen Neustart".
fn need_frame(clause: &[String], languages: &Languages) -> Option<Refusal> {
    let at = clause
        .iter()
        .position(|w| languages.action_nouns.contains_key(w.as_str()))?;
    let needed = clause.iter().any(|w| languages.need.contains(w))
        || clause.iter().any(|w| {
            matches!(
                w.as_str(),
                "bitte" | "favor" | "favore" | "alsjeblieft" | "svp" | "stp" | "plait"
            )
        }) && !clause.iter().any(|w| languages.question.contains(w));
    if !needed
        || clause
            .iter()
            .any(|w| languages.negation.contains(w) || languages.question.contains(w))
    {
        return None;
    }
    let action = &languages.action_nouns[clause[at].as_str()];
    let mut object: Vec<String> = clause[..at].to_vec();
    object.extend_from_slice(&clause[at + 1..]);
    let english = english_object(&object, languages);
    let category = category(action, &english)?;
    let named: Vec<&str> = english.iter().map(String::as_str).collect();
    Some(Refusal {
        category,
        action: action.clone(),
        target: target_of(&named),
    })
}
