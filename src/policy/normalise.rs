//! Text as the classifier reads it: lower-cased, sentences and clauses split, words tokenised.

use super::lexicon::{CONJUNCTIONS, CONTRACTED_IS, LEAD_WORDS, QUESTION_OPENERS};

/// Lowercase, straight quotes, invisible characters dropped, dashes as clause breaks.
pub(super) fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = match c {
            '\u{2018}' | '\u{2019}' | '\u{02bc}' | '\u{00b4}' => '\'',
            '\u{201c}' | '\u{201d}' | '\u{00ab}' | '\u{00bb}' => '"',
            '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{00ad}' => continue,
            '\u{00a0}' | '\u{2000}'..='\u{200a}' | '\t' => ' ',
            '\u{2013}' | '\u{2014}' | '\u{2026}' => '\n',
            c => c,
        };
        for lower in c.to_lowercase() {
            out.push(lower);
        }
    }
    out
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
        return clause.get(1).is_some_and(|w| {
            matches!(
                w.as_str(),
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
        });
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
