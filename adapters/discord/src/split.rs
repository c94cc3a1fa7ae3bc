//! Fitting an answer into Discord's 2,000-character messages: split by the kit's Markdown
//! splitter (code blocks closed and reopened), or sent as a file when an answer would take too
//! many messages. A pure function, so the rule is tested without Discord.
#![cfg(feature = "sdk")]

use homelab_kit::{Unit, split_markdown};

/// Discord rejects message content longer than this many characters.
pub const MESSAGE_LIMIT: usize = 2000;

/// Answers needing more messages than this are sent as a `.txt` attachment instead: four
/// messages is still readable in a channel, a fifth mostly scrolls the conversation away.
pub const MAX_MESSAGES: usize = 4;

/// Name of the attachment long answers are sent as.
pub const ATTACHMENT_NAME: &str = "answer.txt";

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
    let chunks = split_markdown(text, MESSAGE_LIMIT, Unit::Chars);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_answer_is_still_a_message() {
        let Delivery::Messages(chunks) = plan("  \n") else {
            panic!("a blank answer is one message");
        };
        assert_eq!(chunks, [homelab_kit::EMPTY_ANSWER]);
    }

    #[test]
    fn very_long_answers_become_an_attachment() {
        let text = "x".repeat(5000);
        let Delivery::Messages(chunks) = plan(&text) else {
            panic!("5,000 characters should still be messages");
        };
        assert_eq!(chunks.len(), 3);
        assert!(chunks.iter().all(|c| c.chars().count() <= MESSAGE_LIMIT));
        let text = "y\n".repeat(MESSAGE_LIMIT * MAX_MESSAGES);
        let Delivery::Attachment { note, file } = plan(&text) else {
            panic!("expected an attachment");
        };
        assert_eq!(file, text);
        assert!(note.contains(ATTACHMENT_NAME));
        assert!(note.chars().count() <= MESSAGE_LIMIT);
    }
}
