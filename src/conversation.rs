//! Per-conversation memory, bounded three ways (turns per conversation, idle expiry, number of
//! conversations) so that follow-ups work and a long-running server never grows without limit.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::ConversationConfig;

/// One exchange: what was asked and what was answered (never tool dumps).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Turn {
    pub question: String,
    pub answer: String,
    /// Set when the turn was refused: a short follow-up ("yes, do it") is refused the same way,
    /// and the request is never replayed to a model as something to act on.
    pub refusal: Option<crate::policy::Category>,
}

#[derive(Debug)]
struct Conversation {
    turns: VecDeque<Turn>,
    last_used: Instant,
}

/// All live conversations.
#[derive(Debug)]
pub struct ConversationStore {
    conversations: Mutex<HashMap<String, Conversation>>,
    max_turns: usize,
    idle_expiry: Duration,
    max_conversations: usize,
}

impl ConversationStore {
    pub fn new(config: &ConversationConfig) -> Self {
        Self {
            conversations: Mutex::new(HashMap::new()),
            max_turns: config.max_turns.max(1),
            idle_expiry: Duration::from_secs(config.idle_expiry_secs),
            max_conversations: config.max_conversations.max(1),
        }
    }

    /// Earlier turns of a conversation, oldest first; empty when unknown or expired.
    pub fn history(&self, id: &str) -> Vec<Turn> {
        let mut conversations = self.lock();
        match conversations.get(id) {
            Some(c) if c.last_used.elapsed() > self.idle_expiry => {
                conversations.remove(id);
                Vec::new()
            }
            Some(c) => c.turns.iter().cloned().collect(),
            None => Vec::new(),
        }
    }

    /// Adds a turn, dropping the oldest beyond the limit.
    pub fn record(&self, id: &str, turn: Turn) {
        let now = Instant::now();
        let mut conversations = self.lock();
        if !conversations.contains_key(id) && conversations.len() >= self.max_conversations {
            conversations.retain(|_, c| now.duration_since(c.last_used) <= self.idle_expiry);
            if conversations.len() >= self.max_conversations
                && let Some(oldest) = conversations
                    .iter()
                    .min_by_key(|(_, c)| c.last_used)
                    .map(|(id, _)| id.clone())
            {
                conversations.remove(&oldest);
            }
        }
        let conversation = conversations
            .entry(id.to_owned())
            .or_insert_with(|| Conversation {
                turns: VecDeque::new(),
                last_used: now,
            });
        if now.duration_since(conversation.last_used) > self.idle_expiry {
            conversation.turns.clear();
        }
        conversation.last_used = now;
        conversation.turns.push_back(turn);
        while conversation.turns.len() > self.max_turns {
            conversation.turns.pop_front();
        }
    }

    /// How many conversations are held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Conversation>> {
        // A panic while holding the lock leaves only plain data behind; keep serving.
        self.conversations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(n: usize) -> Turn {
        Turn {
            question: format!("q{n}"),
            answer: format!("a{n}"),
            refusal: None,
        }
    }

    fn store(max_turns: usize, idle: u64, max_conversations: usize) -> ConversationStore {
        ConversationStore::new(&ConversationConfig {
            max_turns,
            idle_expiry_secs: idle,
            max_conversations,
        })
    }

    #[tokio::test(start_paused = true)]
    async fn keeps_the_last_turns() {
        let store = store(3, 60, 10);
        for n in 0..5 {
            store.record("c", turn(n));
        }
        let history = store.history("c");
        assert_eq!(history, vec![turn(2), turn(3), turn(4)]);
        assert!(store.history("other").is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn forgets_idle_conversations() {
        let store = store(3, 60, 10);
        store.record("c", turn(1));
        tokio::time::advance(Duration::from_secs(59)).await;
        assert_eq!(store.history("c").len(), 1);
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(store.history("c").is_empty());
        assert!(store.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn evicts_the_least_recently_used() {
        let store = store(3, 3600, 2);
        store.record("a", turn(1));
        tokio::time::advance(Duration::from_secs(1)).await;
        store.record("b", turn(2));
        tokio::time::advance(Duration::from_secs(1)).await;
        store.record("a", turn(3));
        tokio::time::advance(Duration::from_secs(1)).await;
        store.record("c", turn(4));
        assert_eq!(store.len(), 2);
        assert!(store.history("b").is_empty(), "b was least recently used");
        assert_eq!(store.history("a").len(), 2);
    }
}
