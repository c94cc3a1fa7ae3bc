//! Fitting an answer into Discord's 2,000-character messages: split at line boundaries, keep
//! ``` code blocks intact across the split, and fall back to a file when an answer would take too
//! many messages. Pure functions, so the rules are tested without Discord.

/// Discord rejects message content longer than this many characters.
pub const MESSAGE_LIMIT: usize = 2000;

/// Answers needing more messages than this are sent as a `.txt` attachment instead: four
/// messages is still readable in a channel, a fifth mostly scrolls the conversation away.
pub const MAX_MESSAGES: usize = 4;

/// Name of the attachment long answers are sent as.
pub const ATTACHMENT_NAME: &str = "answer.txt";

/// The text Discord shows when an answer is empty, since it rejects empty messages.
const EMPTY: &str = "(The assistant returned an empty answer.)";

/// What closing an open code block at the end of a chunk costs: a newline and the fence.
const CLOSE_COST: usize = 4;

/// Opening fences longer than this (an absurd info string) are reopened as a bare fence, so the
/// reopening prefix never eats a chunk.
const MAX_REOPEN: usize = 40;

/// How an answer reaches Discord.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// The first message replaces the deferred response; the rest are follow-ups.
    Messages(Vec<String>),
    /// One short message with the whole answer attached as [`ATTACHMENT_NAME`].
    Attachment { note: String, file: String },
}

/// Decides how to send `text`.
pub(crate) fn plan(text: &str) -> Delivery {
    let chunks = split_message(text, MESSAGE_LIMIT);
    if chunks.len() <= MAX_MESSAGES {
        return Delivery::Messages(chunks);
    }
    Delivery::Attachment {
        note: format!(
            "The answer is {} characters long, so it is attached as `{ATTACHMENT_NAME}`.",
            text.chars().count()
        ),
        file: text.to_owned(),
    }
}

/// Splits `text` into chunks of at most `limit` characters, at line boundaries where possible. A
/// code block cut by a split is closed at the end of one chunk and reopened (with its language)
/// at the start of the next, so every chunk renders on its own. Lines longer than a chunk are cut
/// at character boundaries. Never returns an empty list or an empty chunk.
pub(crate) fn split_message(text: &str, limit: usize) -> Vec<String> {
    assert!(
        limit > 2 * CLOSE_COST + MAX_REOPEN,
        "limit {limit} is too small to split into"
    );
    let text = text.trim_end();
    if text.trim().is_empty() {
        return vec![EMPTY.to_owned()];
    }
    if text.chars().count() <= limit {
        return vec![text.to_owned()];
    }
    let mut chunker = Chunker {
        limit,
        chunks: Vec::new(),
        current: String::new(),
        len: 0,
        fresh: true,
        fence: None,
    };
    for line in text.split_inclusive('\n') {
        chunker.push_line(line);
    }
    chunker.flush();
    chunker.chunks
}

struct Chunker {
    limit: usize,
    chunks: Vec<String>,
    current: String,
    /// `current`'s length in characters.
    len: usize,
    /// `current` holds nothing but a reopened fence.
    fresh: bool,
    /// The fence line of the code block open at the end of `current`.
    fence: Option<String>,
}

impl Chunker {
    fn push_line(&mut self, line: &str) {
        let toggles = line.trim_start().starts_with("```");
        let fence_after = match (&self.fence, toggles) {
            (Some(_), true) => None,
            (None, true) => Some(line.trim().to_owned()),
            (open, false) => open.clone(),
        };
        let reserve = if self.fence.is_some() || fence_after.is_some() {
            CLOSE_COST
        } else {
            0
        };
        let line_len = line.chars().count();
        if self.len + line_len + reserve > self.limit {
            self.flush();
        }
        let mut rest = line;
        // Still too long for a chunk of its own: cut it.
        while self.len + rest.chars().count() + reserve > self.limit {
            let room = self.limit - self.len - reserve;
            let cut = rest.char_indices().nth(room).map_or(rest.len(), |(i, _)| i);
            let (piece, tail) = rest.split_at(cut);
            self.append(piece);
            self.flush();
            rest = tail;
        }
        self.append(rest);
        self.fence = fence_after;
    }

    fn append(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.current.push_str(text);
        self.len += text.chars().count();
        self.fresh = false;
    }

    /// Ends the current chunk (closing an open code block) and starts the next one (reopening it).
    fn flush(&mut self) {
        if !self.fresh {
            let mut chunk = std::mem::take(&mut self.current);
            if self.fence.is_some() {
                if !chunk.ends_with('\n') {
                    chunk.push('\n');
                }
                chunk.push_str("```");
            }
            let chunk = chunk.trim_end();
            if !chunk.trim().is_empty() {
                self.chunks.push(chunk.to_owned());
            }
        }
        self.current.clear();
        self.len = 0;
        self.fresh = true;
        if let Some(fence) = &self.fence {
            let reopen = if fence.chars().count() > MAX_REOPEN {
                "```"
            } else {
                fence.as_str()
            };
            self.current.push_str(reopen);
            self.current.push('\n');
            self.len = self.current.chars().count();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fences(chunk: &str) -> usize {
        chunk
            .lines()
            .filter(|l| l.trim_start().starts_with("```"))
            .count()
    }

    fn assert_well_formed(chunks: &[String], limit: usize) {
        assert!(!chunks.is_empty());
        for chunk in chunks {
            let len = chunk.chars().count();
            assert!(len <= limit, "chunk of {len} > {limit}: {chunk:?}");
            assert!(!chunk.trim().is_empty(), "empty chunk");
            // A text that fits is sent as it is; only a split must not leave a block open.
            if chunks.len() > 1 {
                assert_eq!(fences(chunk) % 2, 0, "unbalanced code block in {chunk:?}");
            }
        }
    }

    #[test]
    fn short_text_is_one_message() {
        assert_eq!(
            split_message("CPU is at 12 %\n", 2000),
            vec!["CPU is at 12 %"]
        );
        assert_eq!(split_message("  \n", 2000), vec![EMPTY]);
    }

    #[test]
    fn long_text_splits_at_line_boundaries() {
        let text: String = (0..100)
            .map(|i| format!("line {i:03} {}\n", "x".repeat(40)))
            .collect();
        let chunks = split_message(&text, 2000);
        assert_well_formed(&chunks, 2000);
        assert_eq!(chunks.len(), 3);
        // Nothing lost, nothing cut mid-line.
        assert_eq!(chunks.join("\n"), text.trim_end());
        for chunk in &chunks {
            assert!(chunk.starts_with("line "), "{chunk:?}");
        }
    }

    #[test]
    fn a_code_block_is_closed_and_reopened_across_a_split() {
        let mut text = String::from("Logs of plex:\n```log\n");
        for i in 0..80 {
            text.push_str(&format!(
                "2026-11-25T10:{i:02}:00 INFO request served in 3 ms\n"
            ));
        }
        text.push_str("```\nThat is all.");
        let chunks = split_message(&text, 1000);
        assert!(chunks.len() >= 3, "{}", chunks.len());
        assert_well_formed(&chunks, 1000);
        assert!(chunks[0].starts_with("Logs of plex:\n```log\n"));
        for chunk in &chunks[1..] {
            assert!(chunk.starts_with("```log\n"), "{chunk:?}");
        }
        assert!(chunks.last().unwrap().ends_with("```\nThat is all."));
    }

    #[test]
    fn an_overlong_line_is_cut_without_losing_characters() {
        let line = "é".repeat(4500);
        let chunks = split_message(&line, 2000);
        assert_well_formed(&chunks, 2000);
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks.concat(), line);
    }

    #[test]
    fn an_overlong_line_inside_a_code_block_keeps_the_block() {
        let text = format!("```\n{}\n```", "a".repeat(5000));
        let chunks = split_message(&text, 2000);
        assert_well_formed(&chunks, 2000);
        let body: String = chunks
            .iter()
            .map(|c| {
                c.trim_start_matches("```\n")
                    .trim_end_matches("```")
                    .trim_end()
            })
            .collect();
        assert_eq!(body, "a".repeat(5000));
    }

    #[test]
    fn every_shape_stays_within_the_limit() {
        // Mixed prose, blocks and long lines at many lengths; a cheap stand-in for a property test.
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
                assert_well_formed(&split_message(&text, limit), limit);
            }
        }
    }

    #[test]
    fn very_long_answers_become_an_attachment() {
        let text = "x".repeat(5000);
        let Delivery::Messages(chunks) = plan(&text) else {
            panic!("5,000 characters should still be messages");
        };
        assert_eq!(chunks.len(), 3);
        let text = "y\n".repeat(MESSAGE_LIMIT * MAX_MESSAGES);
        let Delivery::Attachment { note, file } = plan(&text) else {
            panic!("expected an attachment");
        };
        assert_eq!(file, text);
        assert!(note.contains(ATTACHMENT_NAME));
        assert!(note.chars().count() <= MESSAGE_LIMIT);
    }
}
