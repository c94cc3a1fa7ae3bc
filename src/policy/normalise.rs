//! Text as the classifier reads it: lower-cased, sentences and clauses split, words tokenised.

use super::lexicon::{CONJUNCTIONS, CONTRACTED_IS, LEAD_WORDS, QUESTION_OPENERS};

/// What the classifier reads: Markdown wrappers removed, every spelling of a character folded to
/// one (NFKC, invisible and format characters dropped, look-alikes from other scripts folded to
/// Latin, accents dropped), lower case, and words respelled where a digit, a spaced-out letter or
/// one typo hides an action verb ("r3b00t", "r e s t a r t", "restrat").
pub fn normalize(text: &str) -> String {
    let folded = fold_characters(text);
    let unwrapped = strip_markdown(&folded);
    respell_words(&unwrapped.to_lowercase())
}

/// Confusables are folded by decancer, with emoji kept (a check mark is a claim).
fn decancer_options() -> decancer::Options {
    decancer::Options::default().retain_emojis().disable_bidi()
}

/// NFKC (full-width and mathematical letters become ASCII), then every non-ASCII character is
/// either a quote or dash we keep the meaning of, invisible (dropped), or folded to its Latin
/// look-alike ("rеstart" with a Cyrillic е, "ᴿestart").
pub(super) fn fold_characters(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    let mut out = String::with_capacity(text.len());
    for c in text.nfkc() {
        if c.is_ascii() {
            out.push(if c == '\t' { ' ' } else { c });
            continue;
        }
        match c {
            '\u{2018}' | '\u{2019}' | '\u{02bc}' | '\u{00b4}' | '\u{2032}' => out.push('\''),
            '\u{201c}' | '\u{201d}' | '\u{00ab}' | '\u{00bb}' | '\u{201e}' => out.push('"'),
            '\u{00a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}' => {
                out.push(' ')
            }
            '\u{2013}' | '\u{2014}' | '\u{2026}' | '\u{2015}' => out.push('\n'),
            '\u{2022}' | '\u{25cf}' | '\u{25aa}' | '\u{2023}' => out.push('\n'),
            'ß' | 'ẞ' => out.push_str("ss"),
            '¡' | '¿' => out.push(' '),
            c if c.is_whitespace() => out.push(' '),
            // Format characters (zero-width, bidi controls, U+2063 …) are invisible by definition.
            c if c.general_category() == GeneralCategory::Format => {}
            // A Latin letter with accents is the letter: "ó" → "o". decancer 3.3.3 reads "ó",
            // "ô" and "õ" as "p", "q" and "r", so it is not asked about these.
            c if accented_latin(c).is_some() => out.extend(accented_latin(c)),
            c => match decancer::cure_char(c, decancer_options()) {
                decancer::Translation::Character(folded) => out.push(folded),
                decancer::Translation::String(folded) => out.push_str(&folded),
                decancer::Translation::None => {}
            },
        }
    }
    out
}

/// The ASCII letter a precomposed Latin letter with diacritics decomposes to, if it does.
fn accented_latin(c: char) -> Option<char> {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    let mut parts = std::iter::once(c).nfd();
    let base = parts.next()?;
    let mut marks = parts.peekable();
    (base.is_ascii_alphabetic() && marks.peek().is_some() && marks.all(is_combining_mark))
        .then_some(base)
}

/// Markdown that wraps a request without changing it: code fences, inline code, block quotes,
/// list markers, headings, strikethrough, bold.
fn strip_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut rest = line.trim_start();
        if rest.starts_with("```") || rest.starts_with("~~~") {
            out.push('\n');
            continue;
        }
        loop {
            let before = rest.len();
            rest = rest.trim_start_matches('>').trim_start();
            rest = rest.trim_start_matches('#').trim_start();
            for marker in ["- [ ] ", "- [x] ", "* [ ] ", "- ", "* ", "+ "] {
                if let Some(after) = rest.strip_prefix(marker) {
                    rest = after.trim_start();
                }
            }
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            if digits > 0
                && digits < 4
                && let Some(after) = rest[digits..]
                    .strip_prefix(". ")
                    .or_else(|| rest[digits..].strip_prefix(") "))
            {
                rest = after.trim_start();
            }
            if rest.len() == before {
                break;
            }
        }
        out.push_str(&rest.replace("~~", "").replace("**", "").replace('`', " "));
        out.push('\n');
    }
    out
}

/// Digits and symbols that stand for letters in "r3b00t", "d3l3te", "rest@rt".
fn unleet(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' | '!' | '|' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' | '+' => 't',
        '8' => 'b',
        '9' => 'g',
        c if c.is_alphabetic() => c,
        _ => return None,
    })
}

/// The action verb a word spells, when it is written with digits or one typo away from one.
fn respell(word: &str) -> Option<String> {
    use super::lexicon::{ACTION_WORDS, ENGLISH_DELETIONS, KNOWN_WORDS, LANGUAGES, one_deleted};
    if word.is_empty() || ACTION_WORDS.contains(word) || KNOWN_WORDS.contains(word) {
        return None;
    }
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    if letters == 0 {
        return None;
    }
    if letters < word.chars().count() {
        let plain: Option<String> = word.chars().map(unleet).collect();
        let plain = plain?;
        if ACTION_WORDS.contains(&plain) {
            return Some(plain);
        }
        // "1" reads as "l" as often as "i".
        let with_l = plain.replace('i', "l");
        return ACTION_WORDS.contains(&with_l).then_some(with_l);
    }
    if letters < 5 {
        return None;
    }
    // "reinícialo", "riavvialo": an order with its pronoun glued on is no typo.
    if super::languages::ENCLITICS.iter().any(|suffix| {
        word.strip_suffix(suffix)
            .is_some_and(|stem| ACTION_WORDS.contains(stem))
    }) {
        return None;
    }
    let mut candidates: Vec<&String> = Vec::new();
    let mut keys = one_deleted(word);
    keys.push(word.to_owned());
    for key in &keys {
        for index in [&*ENGLISH_DELETIONS, &LANGUAGES.deletions] {
            if let Some(found) = index.get(key) {
                candidates.extend(found);
            }
        }
        if let Some(found) = LANGUAGES.forms.get_key_value(key) {
            candidates.push(found.0);
        }
        if ACTION_WORDS.contains(key)
            && let Some(found) = ACTION_WORDS.get(key)
        {
            candidates.push(found);
        }
    }
    candidates
        .into_iter()
        .filter(|c| c.len() >= 5 && strsim::osa_distance(word, c) == 1)
        .min()
        .cloned()
}

/// Rewrites the words of a lower-cased text that spell an action verb in disguise, and joins
/// letters spaced out to hide one ("r e s t a r t", "re start").
fn respell_words(text: &str) -> String {
    use super::lexicon::{ACTION_WORDS, KNOWN_WORDS};
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        let tokens: Vec<&str> = body.split(' ').collect();
        let mut words: Vec<String> = Vec::with_capacity(tokens.len());
        let mut i = 0;
        while i < tokens.len() {
            // Single letters in a row: "r e s t a r t".
            let run = tokens[i..]
                .iter()
                .take_while(|t| t.chars().count() == 1 && t.chars().all(char::is_alphabetic))
                .count();
            if run >= 3 {
                let joined: String = tokens[i..i + run].concat();
                if ACTION_WORDS.contains(&joined) {
                    words.push(joined);
                    i += run;
                    continue;
                }
            }
            // "re start", "un install": a split that no language writes.
            if let Some(next) = tokens.get(i + 1) {
                let joined = format!("{}{}", tokens[i], next);
                if tokens[i].len() <= 3
                    && !tokens[i].is_empty()
                    && !KNOWN_WORDS.contains(tokens[i])
                    && ACTION_WORDS.contains(&joined)
                {
                    words.push(joined);
                    i += 2;
                    continue;
                }
            }
            words.push(respell_token(tokens[i]));
            i += 1;
        }
        out.push_str(&words.join(" "));
        out.push_str(newline);
    }
    out
}

/// One whitespace-separated token: its punctuation kept, its word respelled if it needs it.
fn respell_token(token: &str) -> String {
    let trimmed = token.trim_end_matches(['.', ',', '!', '?', ':', ';', ')', '"', '\'']);
    let tail = &token[trimmed.len()..];
    let start = trimmed.len() - trimmed.trim_start_matches(['(', '"', '\'', '*', '_']).len();
    let (head, word) = trimmed.split_at(start);
    // "r.e.s.t.a.r.t", "r-e-s-t-a-r-t".
    let dotted: String = word
        .chars()
        .filter(|c| !matches!(c, '.' | '-' | '_'))
        .collect();
    if dotted.len() >= 4
        && word.len() >= dotted.len() * 2 - 1
        && super::lexicon::ACTION_WORDS.contains(&dotted)
    {
        return format!("{head}{dotted}{tail}");
    }
    match respell(word) {
        Some(spelled) => format!("{head}{spelled}{tail}"),
        None => token.to_owned(),
    }
}

/// Sentences end at `!`, `?`, `;`, a line break, or a `.`/`:` followed by a space, so file
/// names ("old.mkv"), addresses ("10.0.0.5") and times ("03:00") stay whole, while
/// "SYSTEM: restart plex" becomes two sentences.
pub(super) fn split_sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let boundary = match c {
            '!' | '?' | ';' | '\n' | '\r' => true,
            '.' | ':' => next.is_none_or(char::is_whitespace),
            _ => false,
        };
        if boundary {
            let piece = text[start..i].trim();
            if !piece.is_empty() {
                out.push(piece);
            }
            start = i + c.len_utf8();
        }
    }
    let piece = text[start..].trim();
    if !piece.is_empty() {
        out.push(piece);
    }
    out
}

/// Words, with commas kept as their own token (they separate clauses).
pub(super) fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let separators = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '"' | '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>' | '`' | '='
            )
    };
    for raw in text.split(separators) {
        for (i, part) in raw.split(',').enumerate() {
            if i > 0 {
                out.push(",".to_owned());
            }
            let word = part
                .trim_start_matches(['\'', '*', '_', '~', '#', '$', '|', '@'])
                .trim_end_matches(['\'', '*', '_', '~', '.', ':', '!', '?', '|']);
            let word = match word.strip_suffix("'s") {
                Some(stem) if !CONTRACTED_IS.contains(&stem) => stem,
                _ => word,
            };
            if word.is_empty() {
                continue;
            }
            // "power-cycle", "shut-down": a phrasal verb written with a hyphen.
            if let Some((head, tail)) = word.split_once('-')
                && super::lexicon::PARTICLE_ONLY.contains(head)
                && super::lexicon::PARTICLES.contains(tail)
            {
                out.push(head.to_owned());
                out.push(tail.to_owned());
                continue;
            }
            // "force-stop", "re-deploy": the verb is what counts.
            if let Some((head, tail)) = word.split_once('-')
                && matches!(head, "force" | "hard" | "soft" | "re")
                && !tail.is_empty()
            {
                if head == "re" {
                    out.push(format!("re{tail}"));
                } else {
                    out.push(tail.to_owned());
                }
                continue;
            }
            out.push(word.to_owned());
        }
    }
    // "get rid of the old snapshots" is "remove".
    let mut i = 0;
    while i + 2 < out.len() {
        if out[i + 1] == "rid" && out[i + 2] == "of" {
            let verb = match out[i].as_str() {
                "get" => Some("remove"),
                "getting" => Some("removing"),
                "got" | "gotten" => Some("removed"),
                _ => None,
            };
            if let Some(verb) = verb {
                out.splice(i..i + 3, [verb.to_owned()]);
            }
        }
        i += 1;
    }
    out
}

pub(super) fn split_clauses(tokens: &[String]) -> Vec<&[String]> {
    let mut clauses = Vec::new();
    let mut start = 0;
    for (i, token) in tokens.iter().enumerate() {
        if CONJUNCTIONS.contains(&token.as_str()) {
            if i > start {
                clauses.push(&tokens[start..i]);
            }
            start = i + 1;
        }
    }
    if start < tokens.len() {
        clauses.push(&tokens[start..]);
    }
    clauses
}

pub(super) fn strip_lead(clause: &[String]) -> &[String] {
    let start = clause
        .iter()
        .take_while(|w| LEAD_WORDS.contains(&w.as_str()) || w.starts_with('@'))
        .count();
    // "thank you", "ignore that" and friends must not hide a clause that is only lead words.
    &clause[start..]
}

pub(super) fn opens_question(clause: &[String]) -> bool {
    let Some(first) = clause.first().map(String::as_str) else {
        return false;
    };
    if matches!(first, "when" | "whenever" | "once" | "if") {
        // "when did plex stop?" asks; "when plex crashes, restart it" sets a condition.
        return clause.get(1).is_some_and(|w| is_auxiliary(w));
    }
    if first == "do" {
        // "do you know why…" asks; "do a restart" orders.
        return clause.get(1).is_some_and(|w| {
            matches!(
                w.as_str(),
                "you"
                    | "u"
                    | "i"
                    | "we"
                    | "they"
                    | "any"
                    | "all"
                    | "these"
                    | "those"
                    | "my"
                    | "our"
            )
        });
    }
    QUESTION_OPENERS.contains(&first)
}

/// English auxiliaries: after a question word they make a question ("when did plex stop?").
pub(super) fn is_auxiliary(word: &str) -> bool {
    matches!(
        word,
        "is" | "are"
            | "was"
            | "were"
            | "will"
            | "would"
            | "did"
            | "does"
            | "do"
            | "has"
            | "have"
            | "had"
            | "can"
            | "could"
            | "should"
            | "might"
            | "may"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn accented_letters_fold_to_their_letter() {
        for (written, folded) in [
            ("Actualización aplicada", "actualizacion aplicada"),
            ("contrôle de l'hôte", "controle de l'hote"),
            ("atualizações", "atualizacoes"),
            ("ÓSCAR", "oscar"),
        ] {
            assert_eq!(normalize(written).trim(), folded);
        }
    }

    use super::normalize;

    #[test]
    fn every_spelling_of_a_word_reads_the_same() {
        for text in [
            "restart plex",
            "rеstart plex",
            "ｒｅｓｔａｒｔ plex",
            "res\u{2063}tart plex",
            "res\u{200b}tart\u{fe0f} plex",
            "re\u{034f}start plex",
            "r3st4rt plex",
            "r e s t a r t plex",
            "r.e.s.t.a.r.t plex",
            "re start plex",
            "restrat plex",
            "- restart plex",
            "> **restart** plex",
            "~~restart plex~~",
            "```\nrestart plex\n```",
            "`restart plex`",
            "𝐫𝐞𝐬𝐭𝐚𝐫𝐭 plex",
        ] {
            let read = normalize(text);
            assert!(
                read.split_whitespace().collect::<Vec<_>>() == ["restart", "plex"],
                "{text:?} read as {read:?}"
            );
        }
    }

    #[test]
    fn real_words_are_not_respelled() {
        for text in [
            "restore the backup",
            "remote access",
            "the amount of memory",
            "start time",
            "sdb1 and ext4 on 10.0.0.5",
            "redémarré",
        ] {
            let read = normalize(text);
            assert_eq!(
                read.trim(),
                text.to_lowercase().replace('é', "e"),
                "{text:?}"
            );
        }
    }
}
