//! The one way the server posts on its own: the queues of the chat bots that have notify
//! channels or rooms, and the hourly flood bound that the alert watcher and the webhook inbox
//! share, so that together they never post more than `alerts.max_per_hour` messages an hour.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use homelab_port::Notice;
use tokio::sync::mpsc;
use tokio::time::Instant;

const HOUR: Duration = Duration::from_secs(3600);

/// Where notices go, and how many went out in the last hour.
#[derive(Debug)]
pub struct Notifier {
    sinks: Mutex<Vec<mpsc::Sender<Notice>>>,
    max_per_hour: usize,
    sent: Mutex<VecDeque<Instant>>,
}

impl Notifier {
    pub fn new(max_per_hour: u32) -> Self {
        Self {
            sinks: Mutex::new(Vec::new()),
            max_per_hour: usize::try_from(max_per_hour.max(1)).unwrap_or(usize::MAX),
            sent: Mutex::new(VecDeque::new()),
        }
    }

    /// A notifier that posts to these queues.
    pub fn with_sinks(max_per_hour: u32, sinks: Vec<mpsc::Sender<Notice>>) -> Self {
        let notifier = Self::new(max_per_hour);
        *lock(&notifier.sinks) = sinks;
        notifier
    }

    /// A chat bot's queue: it posts every notice from now on.
    pub fn add_sink(&self, sink: mpsc::Sender<Notice>) {
        lock(&self.sinks).push(sink);
    }

    /// How many chats take notices.
    pub fn chats(&self) -> usize {
        lock(&self.sinks).len()
    }

    pub fn max_per_hour(&self) -> usize {
        self.max_per_hour
    }

    /// Whether another message fits within the hourly bound now.
    pub fn has_room(&self, now: Instant) -> bool {
        self.has_room_for(now, 1)
    }

    /// Whether `count` more messages fit within the hourly bound now.
    pub fn has_room_for(&self, now: Instant, count: usize) -> bool {
        let mut sent = lock(&self.sent);
        while sent
            .front()
            .is_some_and(|at| now.duration_since(*at) >= HOUR)
        {
            sent.pop_front();
        }
        sent.len() + count <= self.max_per_hour
    }

    /// Counts a message against the hourly bound.
    pub fn count(&self, now: Instant) {
        lock(&self.sent).push_back(now);
    }

    /// Hands a notice to every chat. Never waits: a full or closed queue loses this notice, not
    /// the caller.
    pub fn post(&self, notice: &Notice) {
        for sink in lock(&self.sinks).iter() {
            if let Err(err) = sink.try_send(notice.clone()) {
                tracing::warn!("a notice was not handed to a chat adapter: {err}");
            }
        }
    }
}

/// A poisoned lock only means another thread panicked mid-update of a queue list or a counter;
/// both stay usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_bound_counts_the_last_hour_of_every_poster() {
        let notifier = Notifier::new(2);
        let start = Instant::now();
        assert!(notifier.has_room(start));
        notifier.count(start);
        notifier.count(start + Duration::from_secs(60));
        assert!(!notifier.has_room(start + Duration::from_secs(120)));
        assert!(notifier.has_room(start + HOUR));
    }

    #[tokio::test]
    async fn every_chat_gets_each_notice_and_a_full_queue_loses_only_that_notice() {
        let (full, _keep_open) = mpsc::channel(1);
        full.try_send(Notice::from("filler")).unwrap();
        let (open, mut chat) = mpsc::channel(4);
        let notifier = Notifier::with_sinks(10, vec![full, open]);
        notifier.post(&Notice::from("disk full"));
        assert_eq!(chat.try_recv().unwrap().text, "disk full");
        assert_eq!(notifier.chats(), 2);
    }
}
