//! Posting notices (alerts, digests) to a bot's channels or rooms, written once: each notice is
//! split to the platform's size, and the messages that keyed notices posted are remembered so that
//! a later notice about the same alert (its resolution) edits them instead of posting again.
//! Bounded, so a server that runs for months does not grow with every alert it ever told.

use std::collections::VecDeque;
use std::future::Future;

use homelab_port::Notice;
use tokio::sync::mpsc;

use crate::split::{Unit, split_markdown};

/// A platform's side of posting notices: sending one piece to a place and editing a message sent
/// earlier. A failure is logged by the platform (it knows what to say) and reported as `None`.
pub trait NoticeBoard: Send + Sync {
    /// A channel or room notices go to.
    type Place: Send + Sync;
    /// A posted message, with the place it is in: what an edit needs.
    type Message: Send + Sync;

    /// Sends one piece of a notice; `None` when it was not posted.
    fn post(
        &self,
        place: &Self::Place,
        text: String,
    ) -> impl Future<Output = Option<Self::Message>> + Send;

    /// Replaces the text of a message this board posted.
    fn edit(&self, message: &Self::Message, text: String) -> impl Future<Output = ()> + Send;
}

/// Posts every notice to every place until the channel closes, split to `limit` in `unit`. A
/// notice that replaces an earlier one (a resolved alert) edits the first message that one posted
/// in each place: an edit has one message to fill, and the first piece carries the status line. A
/// place whose first piece fails gets no further pieces of that notice. Without places, notices
/// are still drained, so their sender never blocks.
pub async fn post_notices<B: NoticeBoard>(
    board: B,
    places: Vec<B::Place>,
    mut notices: mpsc::Receiver<Notice>,
    limit: usize,
    unit: Unit,
) {
    let mut posted: PostedNotices<B::Message> = PostedNotices::default();
    while let Some(notice) = notices.recv().await {
        let pieces = split_markdown(&notice.text, limit, unit);
        if let Some(messages) = posted.to_edit(&notice) {
            let first = pieces.first().cloned().unwrap_or_default();
            for message in messages {
                board.edit(message, first.clone()).await;
            }
            continue;
        }
        let mut first_messages = Vec::new();
        for place in &places {
            for (index, piece) in pieces.iter().enumerate() {
                match board.post(place, piece.clone()).await {
                    Some(message) if index == 0 => first_messages.push(message),
                    Some(_) => {}
                    None => break,
                }
            }
        }
        posted.remember(&notice, first_messages);
    }
}

/// How many keyed notices a bot remembers; the oldest is forgotten first.
pub const REMEMBERED_NOTICES: usize = 512;

/// Keyed notices and the messages (per channel or room) each one posted.
#[derive(Debug)]
pub struct PostedNotices<M> {
    entries: VecDeque<(String, Vec<M>)>,
    capacity: usize,
}

impl<M> Default for PostedNotices<M> {
    fn default() -> Self {
        Self::with_capacity(REMEMBERED_NOTICES)
    }
}

impl<M> PostedNotices<M> {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// The messages a notice should edit: those its key's first notice posted, when it replaces
    /// and they are still remembered. `None` means: post it as a new message.
    pub fn to_edit(&self, notice: &Notice) -> Option<&[M]> {
        let key = notice.key.as_deref().filter(|_| notice.replace)?;
        self.entries
            .iter()
            .find(|(known, _)| known == key)
            .map(|(_, messages)| messages.as_slice())
            .filter(|messages| !messages.is_empty())
    }

    /// Remembers the messages a keyed notice just posted (a newer post of the same key wins).
    pub fn remember(&mut self, notice: &Notice, messages: Vec<M>) {
        let Some(key) = notice.key.clone() else {
            return;
        };
        if messages.is_empty() {
            return;
        }
        self.entries.retain(|(known, _)| *known != key);
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back((key, messages));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replacing_notice_finds_what_its_first_notice_posted() {
        let mut posted = PostedNotices::default();
        posted.remember(&Notice::keyed("fp1", "firing"), vec![10, 11]);
        assert_eq!(
            posted.to_edit(&Notice::replacing("fp1", "resolved")),
            Some(&[10, 11][..])
        );
        // Not replacing, another key, or no key: a new message.
        assert_eq!(posted.to_edit(&Notice::keyed("fp1", "again")), None);
        assert_eq!(posted.to_edit(&Notice::replacing("fp2", "resolved")), None);
        assert_eq!(posted.to_edit(&Notice::from("plain")), None);
    }

    #[test]
    fn the_oldest_is_forgotten_past_the_capacity() {
        let mut posted = PostedNotices::with_capacity(2);
        for (key, id) in [("a", 1), ("b", 2), ("c", 3)] {
            posted.remember(&Notice::keyed(key, "x"), vec![id]);
        }
        assert_eq!(posted.to_edit(&Notice::replacing("a", "y")), None);
        assert_eq!(posted.to_edit(&Notice::replacing("c", "y")), Some(&[3][..]));
        // Unkeyed notices and failed posts (no message) are not remembered.
        posted.remember(&Notice::from("plain"), vec![4]);
        posted.remember(&Notice::keyed("d", "x"), Vec::new());
        assert_eq!(posted.to_edit(&Notice::replacing("b", "y")), Some(&[2][..]));
    }

    /// Records what the loop asks of a platform; place "down" refuses every post.
    #[derive(Clone, Default)]
    struct RecordingBoard(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

    impl NoticeBoard for RecordingBoard {
        type Place = &'static str;
        type Message = (&'static str, usize);

        async fn post(&self, place: &&'static str, text: String) -> Option<Self::Message> {
            let mut log = self.0.lock().unwrap();
            log.push(format!("post {place}: {text}"));
            (*place != "down").then_some((*place, log.len()))
        }

        async fn edit(&self, (place, id): &Self::Message, text: String) {
            self.0
                .lock()
                .unwrap()
                .push(format!("edit {place}#{id}: {text}"));
        }
    }

    #[tokio::test]
    async fn notices_are_split_posted_everywhere_and_a_resolution_edits_the_first_piece() {
        let board = RecordingBoard::default();
        let (sender, receiver) = mpsc::channel(8);
        let long = format!("{}\n\n{}", "a".repeat(90), "b".repeat(90));
        sender.send(Notice::keyed("fp", long)).await.unwrap();
        sender
            .send(Notice::replacing("fp", "resolved"))
            .await
            .unwrap();
        sender
            .send(Notice::replacing("unknown", "posted anew"))
            .await
            .unwrap();
        drop(sender);
        post_notices(
            board.clone(),
            vec!["ops", "down", "home"],
            receiver,
            120,
            Unit::Chars,
        )
        .await;
        let log = board.0.lock().unwrap().clone();
        let posts = |place: &str| {
            log.iter()
                .filter(|l| l.starts_with(&format!("post {place}:")))
                .count()
        };
        // Two pieces in each working place; a place whose first piece fails gets no second.
        assert_eq!(posts("ops"), 3, "{log:#?}");
        assert_eq!(posts("down"), 2, "{log:#?}");
        assert_eq!(posts("home"), 3, "{log:#?}");
        // The resolution edits the first message of each place it reached, and only those.
        let edits: Vec<&String> = log.iter().filter(|l| l.starts_with("edit")).collect();
        assert_eq!(
            edits,
            ["edit ops#1: resolved", "edit home#4: resolved"],
            "{log:#?}"
        );
        assert!(
            log.contains(&"post ops: posted anew".to_owned()),
            "{log:#?}"
        );
    }
}
