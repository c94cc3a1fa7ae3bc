//! The messages that keyed notices posted, remembered so that a later notice about the same
//! alert (its resolution) edits them instead of posting again. Both bots keep one; bounded, so a
//! server that runs for months does not grow with every alert it ever told.

use std::collections::VecDeque;

use homelab_port::Notice;

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
}
