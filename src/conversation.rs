//! Per-conversation memory, bounded three ways (turns per conversation, idle expiry, number of
//! conversations) so that follow-ups work and a long-running server never grows without limit.

use std::collections::{BTreeMap, HashMap, VecDeque};
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

/// Bytes of an answer kept: all that is ever replayed to a model.
const KEPT_ANSWER_BYTES: usize = 2 * 1024;

#[derive(Debug)]
struct Conversation {
    turns: VecDeque<Turn>,
    last_used: Instant,
    /// Its key in [`Held::by_age`].
    age: u64,
}

/// The conversations, and their order of last use, so the oldest is found without a scan:
/// a busy server creates one conversation per request that names none.
#[derive(Debug, Default)]
struct Held {
    by_id: HashMap<String, Conversation>,
    by_age: BTreeMap<u64, String>,
    next_age: u64,
}

impl Held {
    fn remove(&mut self, id: &str) {
        if let Some(conversation) = self.by_id.remove(id) {
            self.by_age.remove(&conversation.age);
        }
    }

    fn remove_oldest(&mut self) {
        if let Some((_, id)) = self.by_age.pop_first() {
            self.by_id.remove(&id);
        }
    }

    /// Forgets conversations idle longer than `expiry`, oldest first, stopping at the first
    /// that is not.
    fn expire(&mut self, now: Instant, expiry: Duration) {
        while let Some(id) = self.by_age.first_key_value().map(|(_, id)| id.clone()) {
            match self.by_id.get(&id) {
                Some(c) if now.duration_since(c.last_used) <= expiry => break,
                _ => self.remove_oldest(),
            }
        }
    }
}

/// All live conversations.
#[derive(Debug)]
pub struct ConversationStore {
    held: Mutex<Held>,
    max_turns: usize,
    idle_expiry: Duration,
    max_conversations: usize,
}

impl ConversationStore {
    pub fn new(config: &ConversationConfig) -> Self {
        Self {
            held: Mutex::default(),
            max_turns: config.max_turns.max(1),
            idle_expiry: Duration::from_secs(config.idle_expiry_secs),
            max_conversations: config.max_conversations.max(1),
        }
    }

    /// Earlier turns of a conversation, oldest first; empty when unknown or expired.
    pub fn history(&self, id: &str) -> Vec<Turn> {
        let mut held = self.lock();
        match held.by_id.get(id) {
            Some(c) if c.last_used.elapsed() > self.idle_expiry => {
                held.remove(id);
                Vec::new()
            }
            Some(c) => c.turns.iter().cloned().collect(),
            None => Vec::new(),
        }
    }

    /// Adds a turn, dropping the oldest beyond the limit. An answer is kept to its first
    /// 2 KiB, all a model is ever sent of it.
    pub fn record(&self, id: &str, mut turn: Turn) {
        if turn.answer.len() > KEPT_ANSWER_BYTES {
            turn.answer = format!(
                "{}…",
                homelab_kit::truncate_bytes(&turn.answer, KEPT_ANSWER_BYTES)
            );
        }
        let now = Instant::now();
        let mut held = self.lock();
        held.expire(now, self.idle_expiry);
        if !held.by_id.contains_key(id) && held.by_id.len() >= self.max_conversations {
            held.remove_oldest();
        }
        let age = held.next_age;
        held.next_age += 1;
        let previous = held.by_id.get(id).map(|c| c.age);
        if let Some(previous) = previous {
            held.by_age.remove(&previous);
        }
        held.by_age.insert(age, id.to_owned());
        let conversation = held
            .by_id
            .entry(id.to_owned())
            .or_insert_with(|| Conversation {
                turns: VecDeque::new(),
                last_used: now,
                age,
            });
        conversation.age = age;
        conversation.last_used = now;
        conversation.turns.push_back(turn);
        while conversation.turns.len() > self.max_turns {
            conversation.turns.pop_front();
        }
    }

    /// How many conversations are held.
    pub fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        // A panic while holding the lock leaves only plain data behind; keep serving.
        self.held
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

    #[tokio::test(start_paused = true)]
    async fn many_one_shot_conversations_stay_bounded_and_expire() {
        let store = store(3, 60, 1000);
        for n in 0..5000 {
            store.record(&format!("c{n}"), turn(n));
        }
        assert_eq!(store.len(), 1000);
        assert_eq!(store.history("c4999").len(), 1);
        assert!(store.history("c3999").is_empty());
        tokio::time::advance(Duration::from_secs(61)).await;
        store.record("fresh", turn(1));
        assert_eq!(
            store.len(),
            1,
            "every idle conversation went at the next record"
        );
    }

    #[test]
    fn long_answers_are_kept_to_what_is_replayed() {
        let store = store(3, 60, 10);
        let mut long = turn(1);
        long.answer = "é".repeat(5000);
        store.record("c", long);
        let kept = &store.history("c")[0].answer;
        assert!(kept.len() <= KEPT_ANSWER_BYTES + 3 && kept.ends_with('…'));
    }
}
