//! Splitting long Markdown answers into several messages, because a Matrix event is capped at
//! 64 KiB (HTML, encryption and base64 included) and one wall of text reads badly anyway.

/// Markdown bytes per message: the HTML rendering roughly doubles it and Megolm's base64 adds a
/// third, which keeps an encrypted event well under the 64 KiB limit.
pub(crate) const MAX_MESSAGE_BYTES: usize = 12_000;

/// Splits `text` into pieces of at most `max` bytes: between paragraphs where possible, else
/// between lines, else between words; a fenced code block cut in two is closed at the end of
/// one piece and reopened at the start of the next, so each piece renders on its own.
pub(crate) fn split_message(text: &str, max: usize) -> Vec<String> {
    // Below this a reopened fence leaves no room for content; such a limit is a caller's bug.
    let max = max.max(32);
    if text.len() <= max {
        return vec![text.to_owned()];
    }
    let mut pieces = Vec::new();
    let mut current = String::new();
    // The opening line of the fenced block the current position is in, if any.
    let mut fence: Option<String> = None;

    for line in text.split('\n') {
        // Bytes a piece may need after this line: the closing fence, if it ends inside a block.
        let closing_cost = if fence.is_some() || is_fence(line) {
            4
        } else {
            0
        };
        let reopen_cost = fence.as_ref().map_or(0, |opening| opening.len() + 1);
        let budget = max.saturating_sub(closing_cost + reopen_cost + 1);
        let parts = if line.len() > budget {
            cut_line(line, budget)
        } else {
            vec![line]
        };
        for part in parts {
            // Twice at most: a piece carried over from the first flush may itself be too long.
            for _ in 0..2 {
                if current.is_empty() || current.len() + part.len() + 1 + closing_cost <= max {
                    break;
                }
                flush(&mut pieces, &mut current, fence.as_deref(), max);
            }
            push_line(&mut current, part);
        }
        if is_fence(line) {
            fence = match fence {
                Some(_) => None,
                None => Some(line.trim().to_owned()),
            };
        }
    }
    if !current.trim().is_empty() {
        pieces.push(current.trim_end().to_owned());
    }
    pieces
}

/// Ends the current piece — preferring its last blank line when that keeps at least half of
/// it — and starts the next one, reopening an unfinished code block.
fn flush(pieces: &mut Vec<String>, current: &mut String, fence: Option<&str>, max: usize) {
    let mut carry = String::new();
    // A piece that already ends with a blank line ends at a paragraph: nothing to carry.
    if fence.is_none()
        && !current.ends_with('\n')
        && let Some(blank) = current.rfind("\n\n")
        && blank >= max / 2
        && !in_fence_at(current, blank)
    {
        carry = current[blank + 2..].to_owned();
        current.truncate(blank);
    }
    let mut piece = current.trim_end().to_owned();
    if fence.is_some() {
        piece.push_str("\n```");
    }
    if !piece.trim().is_empty() {
        pieces.push(piece);
    }
    current.clear();
    if let Some(opening) = fence {
        current.push_str(opening);
    }
    if !carry.is_empty() {
        push_line(current, carry.trim_end_matches('\n'));
    }
}

fn push_line(current: &mut String, line: &str) {
    if !current.is_empty() {
        current.push('\n');
    }
    current.push_str(line);
}

fn is_fence(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.starts_with("```") || trimmed.starts_with("~~~")
}

/// Whether byte offset `at` of `text` lies inside a fenced block.
fn in_fence_at(text: &str, at: usize) -> bool {
    text[..at].split('\n').filter(|line| is_fence(line)).count() % 2 == 1
}

/// Cuts one overlong line into parts of at most `max` bytes, at spaces where it has them and at
/// character boundaries otherwise.
fn cut_line(line: &str, max: usize) -> Vec<&str> {
    let max = max.max(8);
    let mut parts = Vec::new();
    let mut rest = line;
    while rest.len() > max {
        let mut end = max;
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let cut = match rest[..end].rfind(' ') {
            Some(space) if space > max / 2 => space,
            _ => end,
        };
        parts.push(&rest[..cut]);
        rest = rest[cut..].trim_start_matches(' ');
    }
    if !rest.is_empty() {
        parts.push(rest);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_bounded(pieces: &[String], max: usize) {
        for piece in pieces {
            assert!(piece.len() <= max, "{} > {max}: {piece:?}", piece.len());
            assert!(!piece.trim().is_empty());
        }
    }

    fn fences_balanced(piece: &str) -> bool {
        piece.split('\n').filter(|line| is_fence(line)).count() % 2 == 0
    }

    #[test]
    fn short_text_stays_whole() {
        assert_eq!(split_message("hello", 100), vec!["hello".to_owned()]);
    }

    #[test]
    fn paragraphs_are_kept_together() {
        let para = "word ".repeat(15).trim_end().to_owned(); // 74 bytes
        let text = [para.as_str(); 4].join("\n\n");
        let pieces = split_message(&text, 160);
        assert_bounded(&pieces, 160);
        assert_eq!(pieces.len(), 2, "{pieces:?}");
        assert_eq!(pieces[0], format!("{para}\n\n{para}"));
        assert_eq!(pieces[1], format!("{para}\n\n{para}"));
    }

    #[test]
    fn short_paragraphs_are_never_cut() {
        for max in [100, 150, 333, 1000] {
            let text: String = (0..40)
                .map(|i| format!("Paragraph {i}:{}", " word".repeat(i % 13)))
                .collect::<Vec<_>>()
                .join("\n\n");
            let pieces = split_message(&text, max);
            assert_bounded(&pieces, max);
            assert_eq!(pieces.join("\n\n"), text, "max {max}");
        }
    }

    #[test]
    fn every_word_survives_the_split() {
        let text: String = (0..500)
            .map(|i| {
                if i % 7 == 0 {
                    format!("line {i}\n\n")
                } else {
                    format!("line {i}\n")
                }
            })
            .collect();
        let pieces = split_message(&text, 200);
        assert_bounded(&pieces, 200);
        let joined = pieces.join("\n");
        let words: Vec<&str> = text.split_whitespace().collect();
        let rejoined: Vec<&str> = joined.split_whitespace().collect();
        assert_eq!(words, rejoined);
    }

    #[test]
    fn code_blocks_are_closed_and_reopened() {
        let mut text = String::from("Logs of plex:\n```text\n");
        for i in 0..40 {
            text.push_str(&format!("2026-01-01 log line number {i}\n"));
        }
        text.push_str("```\nThat is all.");
        let pieces = split_message(&text, 300);
        assert!(pieces.len() > 2, "{pieces:?}");
        assert_bounded(&pieces, 300);
        for piece in &pieces {
            assert!(fences_balanced(piece), "unbalanced: {piece:?}");
        }
        assert!(pieces[1].starts_with("```text\n"), "{:?}", pieces[1]);
        assert!(pieces.last().unwrap().ends_with("That is all."));
        let lines: Vec<&str> = pieces
            .iter()
            .flat_map(|p| p.lines())
            .filter(|l| l.contains("log line"))
            .collect();
        assert_eq!(lines.len(), 40);
    }

    #[test]
    fn an_overlong_line_is_cut_between_words_and_characters() {
        let words = "abcdefghij ".repeat(50);
        let pieces = split_message(&words, 64);
        assert_bounded(&pieces, 64);
        assert_eq!(pieces.concat().replace(' ', ""), words.replace(' ', ""));

        let unspaced = "é".repeat(100); // 200 bytes, no spaces, two-byte characters
        let pieces = split_message(&unspaced, 64);
        assert_bounded(&pieces, 64);
        assert_eq!(pieces.concat(), unspaced);
    }
}
