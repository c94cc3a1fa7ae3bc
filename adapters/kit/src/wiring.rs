//! What the binary hands each run of a chat bot (Discord, Matrix), as one value: the same three
//! things for every bot, so the bots' entry points and the supervisor that restarts them agree on
//! them by construction.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use homelab_port::{ChatHandler, Notice};
use tokio::sync::mpsc;

/// A stop signal: resolves when the run must end.
pub type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The inputs of one run of a chat bot.
pub struct Wiring {
    /// The core, which answers and audits every request.
    pub handler: Arc<dyn ChatHandler>,
    /// Notices to post to the bot's notify rooms or channels; `None` when nothing posts.
    pub notices: Option<mpsc::Receiver<Notice>>,
    /// Resolves when the bot must stop; the run then lets answers in flight finish.
    pub shutdown: Shutdown,
}

impl Wiring {
    pub fn new(
        handler: Arc<dyn ChatHandler>,
        notices: Option<mpsc::Receiver<Notice>>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Self {
        Self {
            handler,
            notices,
            shutdown: Box::pin(shutdown),
        }
    }
}

impl fmt::Debug for Wiring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wiring")
            .field("notices", &self.notices.is_some())
            .finish_non_exhaustive()
    }
}
