//! Fitting a Markdown answer into a platform's message size: Discord counts characters (2,000),
//! Matrix bytes (an event is capped at 64 KiB). One splitter for both: it cuts between paragraphs
//! where it can, else between lines, else between words, else between characters, and a fenced
//! code block cut in two is closed at the end of one piece and reopened (with its language) at the
//! start of the next, so every piece renders on its own.

/// Sent in place of a blank answer, since platforms reject (or show nothing for) empty messages.
pub const EMPTY_ANSWER: &str = "(The assistant returned an empty answer.)";

/// What closing an open code block at the end of a piece costs: a newline and the fence.
const CLOSE_COST: usize = 4;

/// Opening fences longer than this (an absurd info string) are reopened as a bare fence, so the
/// reopening never eats a piece.
const MAX_REOPEN: usize = 40;

/// The smallest limit worth splitting into: a reopened and a closed fence plus some text.
const MIN_LIMIT: usize = 2 * CLOSE_COST + MAX_REOPEN + 16;

/// How a platform measures a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Unicode scalar values (Discord).
    Chars,
    /// UTF-8 bytes (Matrix).
    Bytes,
}

impl Unit {
    fn len(self, text: &str) -> usize {
        match self {
            Unit::Chars => text.chars().count(),
            Unit::Bytes => text.len(),
        }
    }

    /// The byte offset of the longest prefix of `text` that measures at most `max`.
    fn prefix_end(self, text: &str, max: usize) -> usize {
        match self {
            Unit::Chars => text.char_indices().nth(max).map_or(text.len(), |(i, _)| i),
            Unit::Bytes => text.floor_char_boundary(max),
        }
    }
}

/// Splits `text` into pieces of at most `limit` units, trailing whitespace dropped. A text that
/// fits is returned as it is; a blank one as [`EMPTY_ANSWER`]. Never returns an empty list or a
/// blank piece. Limits below 64 are raised to 64.
pub fn split_markdown(text: &str, limit: usize, unit: Unit) -> Vec<String> {
    let limit = limit.max(MIN_LIMIT);
    let text = text.trim_end();
    if text.trim().is_empty() {
        return vec![EMPTY_ANSWER.to_owned()];
    }
    if unit.len(text) <= limit {
        return vec![text.to_owned()];
    }
    let mut splitter = Splitter {
        unit,
        limit,
        pieces: Vec::new(),
        current: String::new(),
        len: 0,
        has_content: false,
        fence: None,
    };
    for line in text.split('\n') {
        splitter.push_line(line);
    }
    splitter.finish()
}

struct Splitter {
    unit: Unit,
    limit: usize,
    pieces: Vec<String>,
    current: String,
    /// `current` measured in `unit`.
    len: usize,
    /// `current` holds more than a reopened fence.
    has_content: bool,
    /// The opening line of the code block open at the end of `current`.
    fence: Option<String>,
}

impl Splitter {
    fn push_line(&mut self, line: &str) {
        // A fence line longer than any reopening (an absurd info string) keeps only its start, so
        // that it is never cut in two.
        let line = if is_fence(line) && line.chars().count() > MAX_REOPEN {
            crate::truncate_chars(line, MAX_REOPEN)
        } else {
            line
        };
        let fence_after = match (&self.fence, is_fence(line)) {
            (Some(_), true) => None,
            (None, true) => Some(line.trim().to_owned()),
            (open, false) => open.clone(),
        };
        // Room to close the block this line leaves open.
        let reserve = if fence_after.is_some() { CLOSE_COST } else { 0 };
        let line_len = self.unit.len(line);
        if line_len + reserve + self.reopen_len() < self.limit {
            // The line fits a piece of its own: never cut it, start a new piece if need be
            // (twice at most: a paragraph carried over may leave too little room).
            for _ in 0..2 {
                if self.fits(line_len, reserve) {
                    break;
                }
                self.flush(true);
            }
            self.append(line, line_len);
        } else {
            self.cut_into_pieces(line, reserve);
        }
        self.fence = fence_after;
    }

    /// An overlong line: fills the current piece and as many more as it takes, cutting between
    /// words when a space is in the second half of the room, else between characters.
    fn cut_into_pieces(&mut self, line: &str, reserve: usize) {
        let mut rest = line;
        loop {
            let rest_len = self.unit.len(rest);
            if self.fits(rest_len, reserve) {
                self.append(rest, rest_len);
                return;
            }
            let room = self.room(reserve);
            if room < MIN_LIMIT / 4 {
                self.flush(false);
                continue;
            }
            let end = self.unit.prefix_end(rest, room);
            let cut = match rest[..end].rfind(' ') {
                Some(space) if self.unit.len(&rest[..space]) > room / 2 => space,
                _ => end,
            };
            let piece = &rest[..cut];
            self.append(piece, self.unit.len(piece));
            self.flush(false);
            rest = rest[cut..].trim_start_matches(' ');
            if rest.is_empty() {
                return;
            }
        }
    }

    fn separator(&self) -> usize {
        usize::from(!self.current.is_empty())
    }

    /// Units left in the current piece for a line, after its separator and `reserve`.
    fn room(&self, reserve: usize) -> usize {
        self.limit
            .saturating_sub(self.len + self.separator() + reserve)
    }

    fn fits(&self, len: usize, reserve: usize) -> bool {
        len <= self.room(reserve)
    }

    fn append(&mut self, text: &str, len: usize) {
        if !self.current.is_empty() {
            self.current.push('\n');
            self.len += 1;
        } else if text.is_empty() {
            // A blank line at the top of a piece is dropped rather than sent.
            return;
        }
        self.current.push_str(text);
        self.len += len;
        self.has_content = true;
    }

    fn reopen_line(&self) -> Option<&str> {
        let fence = self.fence.as_deref()?;
        Some(if fence.chars().count() > MAX_REOPEN {
            closing(fence)
        } else {
            fence
        })
    }

    fn reopen_len(&self) -> usize {
        self.reopen_line().map_or(0, |line| self.unit.len(line) + 1)
    }

    /// Ends the current piece and starts the next one, reopening an open block. With
    /// `at_paragraph`, the piece ends at its last paragraph break instead when that keeps at least
    /// half of it and lies outside any code block; the rest moves on to the next piece.
    fn flush(&mut self, at_paragraph: bool) {
        let mut carry = String::new();
        if at_paragraph
            && self.has_content
            && self.fence.is_none()
            && !self.current.ends_with('\n')
            && let Some(blank) = self.current.rfind("\n\n")
            && self.unit.len(&self.current[..blank]) >= self.limit / 2
            && !in_fence_at(&self.current, blank)
        {
            carry = self.current[blank + 2..].to_owned();
            self.current.truncate(blank);
        }
        if self.has_content {
            let mut piece = self.current.trim_end().to_owned();
            if let Some(fence) = &self.fence {
                piece.push('\n');
                piece.push_str(closing(fence));
            }
            if !piece.trim().is_empty() {
                self.pieces.push(piece);
            }
        }
        self.current.clear();
        self.len = 0;
        self.has_content = false;
        if let Some(reopen) = self.reopen_line().map(str::to_owned) {
            self.len = self.unit.len(&reopen);
            self.current = reopen;
        }
        if !carry.is_empty() {
            let carry = carry.trim_end_matches('\n');
            self.append(carry, self.unit.len(carry));
        }
    }

    fn finish(mut self) -> Vec<String> {
        if self.has_content {
            self.flush(false);
        }
        if self.pieces.is_empty() {
            self.pieces.push(EMPTY_ANSWER.to_owned());
        }
        self.pieces
    }
}

/// The bare fence that closes the block `opening` opened: ``` or ~~~.
fn closing(opening: &str) -> &'static str {
    if opening.starts_with('~') {
        "~~~"
    } else {
        "```"
    }
}

fn is_fence(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.starts_with("```") || trimmed.starts_with("~~~")
}

/// Whether byte offset `at` of `text` lies inside a fenced block.
fn in_fence_at(text: &str, at: usize) -> bool {
    text[..at].split('\n').filter(|line| is_fence(line)).count() % 2 == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fences(piece: &str) -> usize {
        piece.split('\n').filter(|line| is_fence(line)).count()
    }

    fn assert_well_formed(pieces: &[String], limit: usize, unit: Unit) {
        assert!(!pieces.is_empty());
        for piece in pieces {
            let len = unit.len(piece);
            assert!(len <= limit, "piece of {len} > {limit}: {piece:?}");
            assert!(!piece.trim().is_empty(), "blank piece");
            // A text that fits is sent as it is; only a split must not leave a block open.
            if pieces.len() > 1 {
                assert_eq!(fences(piece) % 2, 0, "unbalanced code block in {piece:?}");
            }
        }
    }

    #[test]
    fn short_text_is_one_piece_and_blank_text_is_explained() {
        assert_eq!(
            split_markdown("CPU is at 12 %\n", 2000, Unit::Chars),
            vec!["CPU is at 12 %"]
        );
        assert_eq!(split_markdown("hello", 100, Unit::Bytes), vec!["hello"]);
        assert_eq!(
            split_markdown("  \n", 2000, Unit::Chars),
            vec![EMPTY_ANSWER]
        );
    }

    #[test]
    fn long_text_splits_at_line_boundaries() {
        let text: String = (0..100)
            .map(|i| format!("line {i:03} {}\n", "x".repeat(40)))
            .collect();
        let pieces = split_markdown(&text, 2000, Unit::Chars);
        assert_well_formed(&pieces, 2000, Unit::Chars);
        assert_eq!(pieces.len(), 3);
        // Nothing lost, nothing cut mid-line.
        assert_eq!(pieces.join("\n"), text.trim_end());
        for piece in &pieces {
            assert!(piece.starts_with("line "), "{piece:?}");
        }
    }

    #[test]
    fn paragraphs_are_kept_together() {
        let para = "word ".repeat(15).trim_end().to_owned(); // 74 bytes
        let text = [para.as_str(); 4].join("\n\n");
        let pieces = split_markdown(&text, 160, Unit::Bytes);
        assert_well_formed(&pieces, 160, Unit::Bytes);
        assert_eq!(
            pieces,
            [format!("{para}\n\n{para}"), format!("{para}\n\n{para}")]
        );
    }

    #[test]
    fn short_paragraphs_are_never_cut() {
        for max in [100, 150, 333, 1000] {
            let text: String = (0..40)
                .map(|i| format!("Paragraph {i}:{}", " word".repeat(i % 13)))
                .collect::<Vec<_>>()
                .join("\n\n");
            let pieces = split_markdown(&text, max, Unit::Bytes);
            assert_well_formed(&pieces, max, Unit::Bytes);
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
        let pieces = split_markdown(&text, 200, Unit::Bytes);
        assert_well_formed(&pieces, 200, Unit::Bytes);
        let words: Vec<&str> = text.split_whitespace().collect();
        let joined = pieces.join("\n");
        let rejoined: Vec<&str> = joined.split_whitespace().collect();
        assert_eq!(words, rejoined);
    }

    #[test]
    fn a_code_block_is_closed_and_reopened_with_its_language() {
        for (limit, unit) in [(1000, Unit::Chars), (300, Unit::Bytes)] {
            let mut text = String::from("Logs of plex:\n```log\n");
            for i in 0..80 {
                text.push_str(&format!(
                    "2026-11-25T10:{i:02}:00 INFO request served in 3 ms\n"
                ));
            }
            text.push_str("```\nThat is all.");
            let pieces = split_markdown(&text, limit, unit);
            assert!(pieces.len() >= 3, "{}", pieces.len());
            assert_well_formed(&pieces, limit, unit);
            assert!(pieces[0].starts_with("Logs of plex:\n```log\n"));
            for piece in &pieces[1..] {
                assert!(piece.starts_with("```log\n"), "{piece:?}");
            }
            assert!(pieces.last().unwrap().ends_with("```\nThat is all."));
            let lines = pieces
                .iter()
                .flat_map(|p| p.lines())
                .filter(|l| l.contains("INFO request"))
                .count();
            assert_eq!(lines, 80);
        }
    }

    #[test]
    fn an_overlong_line_is_cut_between_words_then_characters() {
        let line = "é".repeat(4500);
        let pieces = split_markdown(&line, 2000, Unit::Chars);
        assert_well_formed(&pieces, 2000, Unit::Chars);
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces.concat(), line);

        let words = "abcdefghij ".repeat(50);
        let pieces = split_markdown(&words, 64, Unit::Bytes);
        assert_well_formed(&pieces, 64, Unit::Bytes);
        assert_eq!(pieces.concat().replace(' ', ""), words.replace(' ', ""));
        assert!(pieces.iter().all(|p| !p.starts_with(' ')));

        let unspaced = "é".repeat(100); // 200 bytes, two-byte characters
        let pieces = split_markdown(&unspaced, 64, Unit::Bytes);
        assert_well_formed(&pieces, 64, Unit::Bytes);
        assert_eq!(pieces.concat(), unspaced);
    }

    #[test]
    fn an_overlong_line_inside_a_code_block_keeps_the_block() {
        let text = format!("```\n{}\n```", "a".repeat(5000));
        let pieces = split_markdown(&text, 2000, Unit::Chars);
        assert_well_formed(&pieces, 2000, Unit::Chars);
        let body: String = pieces
            .iter()
            .map(|c| {
                c.trim_start_matches("```\n")
                    .trim_end_matches("```")
                    .trim_end()
            })
            .collect();
        assert_eq!(body, "a".repeat(5000));
        // The opening fence is not left alone as an empty block.
        assert!(pieces[0].len() > 100, "{:?}", &pieces[0]);
    }

    #[test]
    fn an_absurd_info_string_is_reopened_bare() {
        let text = format!("```{}\n{}```", "x".repeat(300), "line\n".repeat(100));
        let pieces = split_markdown(&text, 100, Unit::Chars);
        assert_well_formed(&pieces, 100, Unit::Chars);
        for piece in &pieces {
            assert!(piece.starts_with("```"), "{piece:?}");
        }
        assert_eq!(
            pieces
                .iter()
                .map(|p| p.matches("line").count())
                .sum::<usize>(),
            100
        );
    }

    #[test]
    fn every_shape_stays_within_the_limit() {
        // Mixed prose, blocks and long lines at many lengths.
        for n in 1..60 {
            let mut text = String::new();
            for i in 0..n {
                match i % 5 {
                    0 => text.push_str("```rust\nfn main() {}\n"),
                    1 => text.push_str(&"word ".repeat(i * 13)),
                    2 => text.push_str("```\n"),
                    3 => text.push_str(&"z".repeat(i * 37)),
                    _ => text.push_str("plain line"),
                }
                text.push('\n');
            }
            for limit in [100, 333, 2000] {
                for unit in [Unit::Chars, Unit::Bytes] {
                    assert_well_formed(&split_markdown(&text, limit, unit), limit, unit);
                }
            }
        }
    }

    proptest! {
        #[test]
        fn any_text_splits_into_bounded_balanced_pieces(
            lines in proptest::collection::vec(
                prop_oneof![
                    Just("```".to_owned()),
                    Just("~~~sh".to_owned()),
                    Just(String::new()),
                    "[a-zé😀 ]{0,200}",
                ],
                0..60,
            ),
            limit in 64usize..400,
            bytes in any::<bool>(),
        ) {
            let unit = if bytes { Unit::Bytes } else { Unit::Chars };
            let text = lines.join("\n");
            prop_assume!(!text.trim().is_empty());
            let pieces = split_markdown(&text, limit, unit);
            assert_well_formed(&pieces, limit, unit);
            let words: Vec<&str> = text.split_whitespace().filter(|w| !is_fence(w)).collect();
            let joined = pieces.join("\n");
            let kept: Vec<&str> = joined.split_whitespace().filter(|w| !is_fence(w)).collect();
            // Words may be cut between characters, never lost.
            prop_assert_eq!(words.concat(), kept.concat());
        }
    }
}
