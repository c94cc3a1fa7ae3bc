//! The alert watcher: when `alerts.notify` is on it evaluates the rules every interval and posts a
//! message to the chats when an alert starts, gets worse (warning → critical) or clears. It only
//! reads and posts; it never acts on the server.
//!
//! What keeps it from being noise:
//! - **Deduplicated**: the chats are told about a change once; an alert that stays active is not
//!   re-announced, and one that eases (critical → warning) is not announced at all.
//! - **Repeat interval**: the same kind of message about the same alert (start, escalation,
//!   recovery) is never sent twice within `repeat_secs`; a flapping alert is reported at most once
//!   per interval, and if it is active when the interval ends, its start is reported then.
//! - **Quiet hours**: nothing is sent inside the window (server's local time). At its end one
//!   summary tells what started, got worse, cleared, or came and went meanwhile.
//! - **Flood bound**: at most `max_per_hour` messages in any hour; then one "held back" line, and
//!   the held changes follow when the hour has room again (if they still hold).
//!
//! Every message is one audit entry (platform `notify`) written before it is posted; a message
//! whose entry cannot be written is not posted.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{NaiveTime, Utc};
use homelab_port::{Notice, Origin, Platform};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use super::notifier::Notifier;
use super::{Alert, AlertError, AlertEvaluator, QuietHours, Severity};
use crate::audit::{AuditEntry, AuditSink, Outcome};
use crate::config::{AlertsConfig, Config};
use crate::tools::format::duration_secs;

const HOUR: Duration = Duration::from_secs(3600);

/// The audit user of every notification.
pub const WATCHER_USER: &str = "alert-watcher";

/// How the watcher paces itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatcherSettings {
    pub interval: Duration,
    pub repeat: Duration,
    pub quiet_hours: Option<QuietHours>,
    pub max_per_hour: u32,
}

impl WatcherSettings {
    /// From a validated configuration (an unreadable quiet-hours window was rejected there).
    pub fn from_config(config: &AlertsConfig) -> Self {
        Self {
            interval: Duration::from_secs(config.interval_secs.max(1)),
            repeat: Duration::from_secs(config.repeat_secs),
            quiet_hours: config.quiet_hours,
            max_per_hour: config.max_per_hour.max(1),
        }
    }
}

/// Where the watcher reads the current alerts from.
#[async_trait]
pub trait AlertSource: Send + Sync {
    async fn current(&self) -> Result<Vec<Alert>, AlertError>;
}

#[async_trait]
impl AlertSource for AlertEvaluator {
    async fn current(&self) -> Result<Vec<Alert>, AlertError> {
        Ok(self.report().await?.alerts)
    }
}

/// The local time of day, for quiet hours. Tests drive it from the paused tokio clock.
pub type LocalClock = Arc<dyn Fn() -> NaiveTime + Send + Sync>;

/// The server's local time: the `TZ` variable, else `/etc/localtime`, else UTC.
fn system_clock() -> LocalClock {
    Arc::new(|| chrono::Local::now().time())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    Start,
    Escalate,
    Clear,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Start => "started",
            Kind::Escalate => "escalated",
            Kind::Clear => "cleared",
        }
    }
}

#[derive(Clone, Debug)]
struct Change {
    kind: Kind,
    alert: Alert,
    /// The severity the chats knew, for an escalation.
    was: Option<Severity>,
}

/// The watcher and what it has told the chats.
pub struct Watcher {
    settings: WatcherSettings,
    source: Arc<dyn AlertSource>,
    notifier: Arc<Notifier>,
    audit: Arc<dyn AuditSink>,
    clock: LocalClock,
    /// The alerts the chats were last told are active, as last seen.
    announced: BTreeMap<String, Alert>,
    /// When each kind of message about each alert was last sent.
    last_sent: HashMap<(String, Kind), Instant>,
    /// When the last "held back" line was sent.
    held_notice_at: Option<Instant>,
    /// While inside quiet hours: every alert seen active meanwhile, at its worst.
    quiet: Option<BTreeMap<String, Alert>>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher")
            .field("settings", &self.settings)
            .field("chats", &self.notifier.chats())
            .field("announced", &self.announced.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Watcher {
    pub fn new(
        settings: WatcherSettings,
        source: Arc<dyn AlertSource>,
        sinks: Vec<mpsc::Sender<Notice>>,
        audit: Arc<dyn AuditSink>,
    ) -> Self {
        let notifier = Arc::new(Notifier::with_sinks(settings.max_per_hour, sinks));
        Self::with_notifier(settings, source, notifier, audit)
    }

    /// A watcher that posts through a notifier it shares (with the webhook inbox), so that both
    /// count against one hourly bound.
    pub fn with_notifier(
        settings: WatcherSettings,
        source: Arc<dyn AlertSource>,
        notifier: Arc<Notifier>,
        audit: Arc<dyn AuditSink>,
    ) -> Self {
        Self {
            settings,
            source,
            notifier,
            audit,
            clock: system_clock(),
            announced: BTreeMap::new(),
            last_sent: HashMap::new(),
            held_notice_at: None,
            quiet: None,
        }
    }

    /// Replaces the local clock that quiet hours are judged by.
    pub fn with_clock(mut self, clock: LocalClock) -> Self {
        self.clock = clock;
        self
    }

    /// Evaluates every interval until `shutdown` completes. The first evaluation is immediate,
    /// so alerts already active at start are announced once.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        let mut ticks = tokio::time::interval(self.settings.interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                _ = ticks.tick() => {
                    tokio::select! {
                        () = &mut shutdown => break,
                        _ = self.tick() => {}
                    }
                }
            }
        }
        tracing::debug!("alert watcher stopped");
    }

    /// One evaluation; returns the message it sent, if any.
    pub async fn tick(&mut self) -> Option<String> {
        let alerts = match self.source.current().await {
            Ok(alerts) => alerts,
            Err(err) => {
                // Not knowing is not "all clear": nothing is announced until the rules run again.
                tracing::warn!("alert watcher: {err}");
                return None;
            }
        };
        let now = Instant::now();
        let current: BTreeMap<String, Alert> =
            alerts.into_iter().map(|a| (a.id.clone(), a)).collect();
        self.last_sent
            .retain(|_, at| now.duration_since(*at) < self.settings.repeat);

        if self
            .settings
            .quiet_hours
            .is_some_and(|quiet| quiet.contains((self.clock)()))
        {
            let seen = self.quiet.get_or_insert_with(BTreeMap::new);
            for (id, alert) in &current {
                if seen.get(id).is_none_or(|s| s.severity < alert.severity) {
                    seen.insert(id.clone(), alert.clone());
                }
            }
            return None;
        }
        if let Some(seen) = self.quiet.take()
            && let Some(sent) = self.after_quiet(seen, &current, now)
        {
            return sent;
        }

        let changes = self.due(&current, now);
        if changes.is_empty() {
            return None;
        }
        if !self.has_room(now) {
            return self.held_back(changes.len(), now);
        }
        let (text, note) = compose(&changes);
        if !self.deliver(&text, &note) {
            return None;
        }
        for change in changes {
            let id = change.alert.id.clone();
            match change.kind {
                Kind::Start | Kind::Escalate => {
                    self.announced.insert(id.clone(), change.alert);
                }
                Kind::Clear => {
                    self.announced.remove(&id);
                }
            }
            self.last_sent.insert((id, change.kind), now);
        }
        self.notifier.count(now);
        Some(text)
    }

    /// The changes the chats should hear about now, worst first, recoveries last.
    fn due(&mut self, current: &BTreeMap<String, Alert>, now: Instant) -> Vec<Change> {
        let mut changes = Vec::new();
        for (id, alert) in current {
            match self.announced.get_mut(id) {
                None => changes.push(Change {
                    kind: Kind::Start,
                    alert: alert.clone(),
                    was: None,
                }),
                Some(known) if alert.severity > known.severity => changes.push(Change {
                    kind: Kind::Escalate,
                    alert: alert.clone(),
                    was: Some(known.severity),
                }),
                // Same or eased: nothing to say, but remember the latest figures.
                Some(known) => *known = alert.clone(),
            }
        }
        for (id, known) in &self.announced {
            if !current.contains_key(id) {
                changes.push(Change {
                    kind: Kind::Clear,
                    alert: known.clone(),
                    was: None,
                });
            }
        }
        changes.retain(|c| {
            self.last_sent
                .get(&(c.alert.id.clone(), c.kind))
                .is_none_or(|at| now.duration_since(*at) >= self.settings.repeat)
        });
        changes.sort_by(|a, b| {
            (a.kind == Kind::Clear)
                .cmp(&(b.kind == Kind::Clear))
                .then_with(|| b.alert.severity.cmp(&a.alert.severity))
                .then_with(|| a.alert.id.cmp(&b.alert.id))
        });
        changes
    }

    /// At the end of quiet hours: one summary when anything changed meanwhile. `None` when there
    /// is nothing to summarise (the normal path then runs); `Some(sent)` otherwise.
    fn after_quiet(
        &mut self,
        seen: BTreeMap<String, Alert>,
        current: &BTreeMap<String, Alert>,
        now: Instant,
    ) -> Option<Option<String>> {
        let mut new_or_worse: Vec<Alert> = current
            .values()
            .filter(|a| {
                self.announced
                    .get(&a.id)
                    .is_none_or(|known| a.severity > known.severity)
            })
            .cloned()
            .collect();
        let resolved: Vec<Alert> = self
            .announced
            .values()
            .filter(|a| !current.contains_key(&a.id))
            .cloned()
            .collect();
        let came_and_went: Vec<Alert> = seen
            .values()
            .filter(|a| !current.contains_key(&a.id) && !self.announced.contains_key(&a.id))
            .cloned()
            .collect();
        if new_or_worse.is_empty() && resolved.is_empty() && came_and_went.is_empty() {
            return None;
        }
        if !self.has_room(now) {
            self.quiet = Some(seen);
            return Some(self.held_back(1, now));
        }
        let window = self
            .settings
            .quiet_hours
            .map(|q| format!(" ({q})"))
            .unwrap_or_default();
        let mut text = format!("🌙 **Quiet hours{window} are over.** While they lasted:\n");
        let mut note = Vec::new();
        new_or_worse.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(&b.id)));
        for alert in &new_or_worse {
            text.push_str(&format!("- {}\n", start_line(alert, None)));
            note.push(format!("started {}", alert.id));
        }
        for alert in &resolved {
            text.push_str(&format!("- {}\n", clear_line(alert)));
            note.push(format!("cleared {}", alert.id));
        }
        for alert in &came_and_went {
            text.push_str(&format!(
                "- came and went: {} {} — {}\n",
                alert.severity.mark(),
                alert.severity,
                alert.message
            ));
            note.push(format!("came and went {}", alert.id));
        }
        if !current.is_empty() {
            text.push_str(&format!(
                "Active now: {} alert{}; ask `/alerts` for the list.\n",
                current.len(),
                if current.len() == 1 { "" } else { "s" }
            ));
        }
        let note = format!("alert watcher, after quiet hours: {}", note.join("; "));
        if !self.deliver(&text, &note) {
            self.quiet = Some(seen);
            return Some(None);
        }
        for alert in &new_or_worse {
            self.last_sent.insert((alert.id.clone(), Kind::Start), now);
        }
        for alert in &resolved {
            self.last_sent.insert((alert.id.clone(), Kind::Clear), now);
        }
        self.announced = current.clone();
        self.notifier.count(now);
        Some(Some(text))
    }

    /// Whether another message fits within `max_per_hour`.
    fn has_room(&self, now: Instant) -> bool {
        self.notifier.has_room(now)
    }

    /// The one line that says changes are being held back, at most once an hour.
    fn held_back(&mut self, waiting: usize, now: Instant) -> Option<String> {
        if self
            .held_notice_at
            .is_some_and(|at| now.duration_since(at) < HOUR)
        {
            return None;
        }
        let text = format!(
            "⏸️ More alert changes are held back: {} messages an hour is the limit \
             (alerts.max_per_hour); {waiting} waiting. Ask `/alerts` for the current list.",
            self.settings.max_per_hour
        );
        if !self.deliver(&text, "alert watcher: further alert messages held back") {
            return None;
        }
        self.held_notice_at = Some(now);
        Some(text)
    }

    /// Audits, then posts to every chat. `false` (and nothing posted) when the audit failed.
    fn deliver(&self, text: &str, note: &str) -> bool {
        let origin = Origin::new(Platform::Notify, WATCHER_USER);
        let mut entry = AuditEntry::new(&origin, note, Outcome::Answered);
        entry.assistant_response = text.to_owned();
        if let Err(err) = self.audit.record(&entry) {
            tracing::error!("alert notification not sent, its audit entry failed: {err}");
            return false;
        }
        self.notifier.post(&Notice::from(text));
        true
    }
}

/// The message for a set of changes, and its audit note.
fn compose(changes: &[Change]) -> (String, String) {
    let lines: Vec<String> = changes
        .iter()
        .map(|c| match c.kind {
            Kind::Start | Kind::Escalate => start_line(&c.alert, c.was),
            Kind::Clear => clear_line(&c.alert),
        })
        .collect();
    let note = changes
        .iter()
        .map(|c| format!("{} {}", c.kind.as_str(), c.alert.id))
        .collect::<Vec<_>>()
        .join("; ");
    let note = format!("alert watcher: {note}");
    if lines.len() == 1 {
        return (lines[0].clone(), note);
    }
    let count = |kind| changes.iter().filter(|c| c.kind == kind).count();
    let mut parts = Vec::new();
    for (kind, word) in [
        (Kind::Start, "new"),
        (Kind::Escalate, "worse"),
        (Kind::Clear, "resolved"),
    ] {
        let n = count(kind);
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    let mut text = format!("**Homelab alerts** — {}:\n", parts.join(", "));
    for line in lines {
        text.push_str(&format!("- {line}\n"));
    }
    (text, note)
}

fn start_line(alert: &Alert, was: Option<Severity>) -> String {
    let was = was.map(|w| format!(" (was {w})")).unwrap_or_default();
    format!(
        "{} **{}**{was} — {}",
        alert.severity.mark(),
        alert.severity,
        alert.message
    )
}

fn clear_line(alert: &Alert) -> String {
    let lasted = u64::try_from((Utc::now() - alert.since).num_seconds()).unwrap_or(0);
    format!(
        "✅ **resolved** — {} (was {} for {})",
        alert.subject,
        alert.severity,
        duration_secs(lasted)
    )
}

/// Starts the watcher when `alerts.notify` is on and some chat takes notices; `None` otherwise.
pub fn spawn_watcher(
    config: &AlertsConfig,
    source: Arc<dyn AlertSource>,
    notifier: Arc<Notifier>,
    audit: Arc<dyn AuditSink>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Option<JoinHandle<()>> {
    if !config.notify {
        return None;
    }
    if notifier.chats() == 0 {
        tracing::warn!(
            "alerts.notify is on, but no chat adapter takes notices (Discord with \
             discord.notify_channels, Matrix with matrix.notify_rooms): not watching"
        );
        return None;
    }
    let settings = WatcherSettings::from_config(config);
    tracing::info!(
        interval_secs = settings.interval.as_secs(),
        chats = notifier.chats(),
        "alert watcher started"
    );
    let watcher = Watcher::with_notifier(settings, source, notifier, audit);
    Some(tokio::spawn(watcher.run(shutdown)))
}

/// `serve`'s entry point: the watcher over the same evaluator the `active_alerts` tool reads (so
/// chat answers and notices tell the same since-when) and the assistant's auditor. A no-op
/// (`None`) unless `alerts.notify` is on.
pub fn start(
    config: &Config,
    alerts: &Arc<AlertEvaluator>,
    audit: Arc<dyn AuditSink>,
    notifier: Arc<Notifier>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Option<JoinHandle<()>> {
    let source: Arc<dyn AlertSource> = alerts.clone();
    spawn_watcher(&config.alerts, source, notifier, audit, shutdown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::AuditError;
    use chrono::DateTime;
    use std::sync::Mutex;

    /// Alerts set by the test.
    struct Scripted(Mutex<Result<Vec<Alert>, AlertError>>);

    impl Scripted {
        fn set(&self, alerts: Vec<Alert>) {
            *self.0.lock().unwrap() = Ok(alerts);
        }
        fn fail(&self) {
            *self.0.lock().unwrap() = Err(AlertError::NoSystemData);
        }
    }

    #[async_trait]
    impl AlertSource for Scripted {
        async fn current(&self) -> Result<Vec<Alert>, AlertError> {
            self.0.lock().unwrap().clone()
        }
    }

    #[derive(Default)]
    struct Recorded {
        entries: Mutex<Vec<AuditEntry>>,
        broken: Mutex<bool>,
    }

    impl AuditSink for Recorded {
        fn record(&self, entry: &AuditEntry) -> Result<(), AuditError> {
            if *self.broken.lock().unwrap() {
                return Err(AuditError::Encode(
                    serde_json::from_str::<()>("x").unwrap_err(),
                ));
            }
            self.entries.lock().unwrap().push(entry.clone());
            Ok(())
        }
        fn location(&self) -> String {
            "memory".into()
        }
    }

    fn alert(id: &str, severity: Severity) -> Alert {
        Alert {
            id: id.into(),
            severity,
            subject: id.replace(':', " "),
            message: format!("{id} is {severity}"),
            since: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        }
    }

    struct Rig {
        watcher: Watcher,
        source: Arc<Scripted>,
        audit: Arc<Recorded>,
        chat: mpsc::Receiver<Notice>,
    }

    impl Rig {
        fn new(settings: WatcherSettings) -> Self {
            let source = Arc::new(Scripted(Mutex::new(Ok(Vec::new()))));
            let audit = Arc::new(Recorded::default());
            let (sink, chat) = mpsc::channel(100);
            let watcher = Watcher::new(settings, source.clone(), vec![sink], audit.clone());
            Self {
                watcher,
                source,
                audit,
                chat,
            }
        }

        /// Sets the alerts, evaluates once, and returns what reached the chat.
        async fn step(&mut self, alerts: Vec<Alert>) -> Vec<String> {
            self.source.set(alerts);
            self.watcher.tick().await;
            let mut got = Vec::new();
            while let Ok(notice) = self.chat.try_recv() {
                got.push(notice.text);
            }
            got
        }
    }

    fn settings() -> WatcherSettings {
        WatcherSettings {
            interval: Duration::from_secs(60),
            repeat: Duration::from_secs(3600),
            quiet_hours: None,
            max_per_hour: 10,
        }
    }

    async fn minutes(n: u64) {
        tokio::time::advance(Duration::from_secs(60 * n)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_start_and_its_recovery_are_one_message_each() {
        let mut rig = Rig::new(settings());
        let disk = alert("disk:/mnt/tank", Severity::Warning);
        let sent = rig.step(vec![disk.clone()]).await;
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0], "🟠 **warning** — disk:/mnt/tank is warning");
        for _ in 0..30 {
            minutes(1).await;
            assert_eq!(rig.step(vec![disk.clone()]).await, Vec::<String>::new());
        }
        minutes(1).await;
        let sent = rig.step(vec![]).await;
        assert_eq!(sent.len(), 1);
        assert!(
            sent[0].starts_with("✅ **resolved** — disk /mnt/tank (was warning for"),
            "{sent:?}"
        );
        minutes(1).await;
        assert!(rig.step(vec![]).await.is_empty());

        let entries = rig.audit.entries.lock().unwrap();
        assert_eq!(entries.len(), 2, "one audit entry per message");
        assert_eq!(entries[0].platform, "notify");
        assert_eq!(entries[0].user_id, WATCHER_USER);
        assert_eq!(entries[0].outcome, Outcome::Answered);
        assert_eq!(
            entries[0].assistant_response,
            "🟠 **warning** — disk:/mnt/tank is warning"
        );
        assert_eq!(
            entries[0].user_message,
            "alert watcher: started disk:/mnt/tank"
        );
        assert_eq!(
            entries[1].user_message,
            "alert watcher: cleared disk:/mnt/tank"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn escalation_is_told_once_and_easing_not_at_all() {
        let mut rig = Rig::new(settings());
        let warning = alert("disk:/", Severity::Warning);
        let critical = alert("disk:/", Severity::Critical);
        assert_eq!(rig.step(vec![warning.clone()]).await.len(), 1);
        minutes(1).await;
        let sent = rig.step(vec![critical.clone()]).await;
        assert_eq!(sent, ["🔴 **critical** (was warning) — disk:/ is critical"]);
        // Flapping around the critical threshold: eased silently, re-escalation not repeated.
        for _ in 0..10 {
            minutes(1).await;
            assert!(rig.step(vec![warning.clone()]).await.is_empty());
            minutes(1).await;
            assert!(rig.step(vec![critical.clone()]).await.is_empty());
        }
        // After the repeat interval a new escalation may be told again.
        minutes(1).await;
        assert!(rig.step(vec![warning.clone()]).await.is_empty());
        minutes(60).await;
        assert_eq!(rig.step(vec![critical]).await.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_flapping_alert_is_not_repeated_within_the_repeat_interval() {
        let mut rig = Rig::new(settings());
        let down = alert("container:web:unhealthy", Severity::Warning);
        let mut messages = 0;
        // Unhealthy for a minute, healthy for a minute, for 50 minutes.
        for _ in 0..25 {
            messages += rig.step(vec![down.clone()]).await.len();
            minutes(1).await;
            messages += rig.step(vec![]).await.len();
            minutes(1).await;
        }
        assert_eq!(messages, 2, "one start and one recovery in the first hour");
        // Past the hour, and still unhealthy: its start is told again, once.
        minutes(15).await;
        let sent = rig.step(vec![down.clone()]).await;
        assert_eq!(sent.len(), 1, "{sent:?}");
        minutes(1).await;
        assert!(rig.step(vec![down]).await.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn changes_of_one_evaluation_share_one_message() {
        let mut rig = Rig::new(settings());
        let sent = rig
            .step(vec![
                alert("disk:/", Severity::Warning),
                alert("container:crashloop:restarts", Severity::Critical),
            ])
            .await;
        assert_eq!(sent.len(), 1);
        assert_eq!(
            sent[0],
            "**Homelab alerts** — 2 new:\n\
             - 🔴 **critical** — container:crashloop:restarts is critical\n\
             - 🟠 **warning** — disk:/ is warning\n"
        );
        minutes(1).await;
        let sent = rig
            .step(vec![
                alert("memory", Severity::Warning),
                alert("disk:/", Severity::Warning),
            ])
            .await;
        assert_eq!(sent.len(), 1);
        assert!(
            sent[0].starts_with("**Homelab alerts** — 1 new, 1 resolved:\n"),
            "{sent:?}"
        );
        assert!(
            sent[0].contains("- 🟠 **warning** — memory is warning\n- ✅ **resolved** — container crashloop restarts (was critical for"),
            "{sent:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_max_per_hour_messages_then_one_held_back_line() {
        let mut rig = Rig::new(WatcherSettings {
            max_per_hour: 3,
            ..settings()
        });
        let mut sent = Vec::new();
        // A new alert every minute for 30 minutes.
        for i in 0..30 {
            let alerts: Vec<Alert> = (0..=i)
                .map(|n| alert(&format!("disk:/d{n:02}"), Severity::Warning))
                .collect();
            sent.extend(rig.step(alerts).await);
            minutes(1).await;
        }
        assert_eq!(sent.len(), 4, "{sent:#?}");
        assert!(sent[3].starts_with("⏸️ More alert changes are held back: 3 messages an hour"));
        assert_eq!(rig.audit.entries.lock().unwrap().len(), 4);
        // When the hour has room again, what is still waiting goes out in one message.
        minutes(31).await;
        let all: Vec<Alert> = (0..30)
            .map(|n| alert(&format!("disk:/d{n:02}"), Severity::Warning))
            .collect();
        let later = rig.step(all).await;
        assert_eq!(later.len(), 1);
        assert!(
            later[0].starts_with("**Homelab alerts** — 27 new:"),
            "{later:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn quiet_hours_send_nothing_then_one_summary() {
        let start = Instant::now();
        let evening = NaiveTime::from_hms_opt(22, 50, 0).unwrap();
        let clock: LocalClock =
            Arc::new(move || evening + chrono::Duration::from_std(start.elapsed()).unwrap());
        let mut rig = Rig::new(WatcherSettings {
            quiet_hours: Some(QuietHours::parse("23:00-07:00").unwrap()),
            ..settings()
        });
        rig.watcher = rig.watcher.with_clock(clock);
        let disk = alert("disk:/", Severity::Warning);
        let blip = alert("temperature:cpu", Severity::Critical);
        assert_eq!(
            rig.step(vec![disk.clone()]).await.len(),
            1,
            "22:50 is not quiet"
        );
        minutes(15).await; // 23:05
        assert!(rig.step(vec![disk.clone(), blip.clone()]).await.is_empty());
        minutes(60).await; // 00:05
        let memory = alert("memory", Severity::Critical);
        assert!(rig.step(vec![memory.clone()]).await.is_empty());
        for _ in 0..6 {
            minutes(60).await;
            assert!(rig.step(vec![memory.clone()]).await.is_empty());
        }
        minutes(60).await; // 07:05
        let sent = rig.step(vec![memory.clone()]).await;
        assert_eq!(sent.len(), 1, "{sent:?}");
        let summary = &sent[0];
        assert!(
            summary.starts_with("🌙 **Quiet hours (23:00–07:00) are over.**"),
            "{summary}"
        );
        assert!(
            summary.contains("🔴 **critical** — memory is critical"),
            "{summary}"
        );
        assert!(summary.contains("✅ **resolved** — disk /"), "{summary}");
        assert!(
            summary.contains("came and went: 🔴 critical — temperature:cpu is critical"),
            "{summary}"
        );
        assert!(summary.contains("Active now: 1 alert"), "{summary}");
        minutes(1).await;
        assert!(
            rig.step(vec![memory]).await.is_empty(),
            "the summary covered it"
        );
        minutes(1).await;
        assert_eq!(rig.step(vec![]).await.len(), 1, "its recovery is told");
    }

    #[tokio::test(start_paused = true)]
    async fn quiet_hours_with_nothing_new_end_silently() {
        let start = Instant::now();
        let night = NaiveTime::from_hms_opt(6, 30, 0).unwrap();
        let clock: LocalClock =
            Arc::new(move || night + chrono::Duration::from_std(start.elapsed()).unwrap());
        let mut rig = Rig::new(WatcherSettings {
            quiet_hours: Some(QuietHours::parse("23:00-07:00").unwrap()),
            ..settings()
        });
        rig.watcher = rig.watcher.with_clock(clock);
        assert!(rig.step(vec![]).await.is_empty());
        minutes(40).await;
        assert!(rig.step(vec![]).await.is_empty());
        assert!(rig.audit.entries.lock().unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn unknown_is_not_all_clear_and_unaudited_is_not_sent() {
        let mut rig = Rig::new(settings());
        let disk = alert("disk:/", Severity::Warning);
        assert_eq!(rig.step(vec![disk.clone()]).await.len(), 1);
        minutes(1).await;
        rig.source.fail();
        rig.watcher.tick().await;
        assert!(
            rig.chat.try_recv().is_err(),
            "a failed evaluation clears nothing"
        );

        *rig.audit.broken.lock().unwrap() = true;
        minutes(1).await;
        assert!(
            rig.step(vec![]).await.is_empty(),
            "no audit entry, no message"
        );
        *rig.audit.broken.lock().unwrap() = false;
        minutes(1).await;
        assert_eq!(
            rig.step(vec![]).await.len(),
            1,
            "the recovery goes out once it can be audited"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_loop_runs_every_interval_and_stops_on_shutdown() {
        let source = Arc::new(Scripted(Mutex::new(Ok(vec![alert(
            "disk:/",
            Severity::Warning,
        )]))));
        let audit = Arc::new(Recorded::default());
        let (sink, mut chat) = mpsc::channel(10);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let config = AlertsConfig {
            notify: true,
            ..AlertsConfig::default()
        };
        let handle = spawn_watcher(
            &config,
            source.clone(),
            Arc::new(Notifier::with_sinks(10, vec![sink])),
            audit.clone(),
            async {
                let _ = stopped.await;
            },
        )
        .expect("notify is on");
        assert_eq!(
            chat.recv().await.unwrap(),
            Notice::from("🟠 **warning** — disk:/ is warning")
        );
        source.set(vec![]);
        // The next evaluation is one interval (60 s) later.
        let before = Instant::now();
        assert!(
            chat.recv()
                .await
                .unwrap()
                .text
                .starts_with("✅ **resolved**")
        );
        assert_eq!(before.elapsed(), Duration::from_secs(60));
        stop.send(()).unwrap();
        handle.await.unwrap();
        assert_eq!(audit.entries.lock().unwrap().len(), 2);
    }

    #[test]
    fn nothing_starts_when_notify_is_off_or_no_chat_listens() {
        let source: Arc<dyn AlertSource> = Arc::new(Scripted(Mutex::new(Ok(vec![]))));
        let audit: Arc<dyn AuditSink> = Arc::new(Recorded::default());
        let (sink, _chat) = mpsc::channel(1);
        let off = AlertsConfig::default();
        assert!(!off.notify, "notifications are off by default");
        assert!(
            spawn_watcher(
                &off,
                source.clone(),
                Arc::new(Notifier::with_sinks(10, vec![sink])),
                audit.clone(),
                async {}
            )
            .is_none()
        );
        let on = AlertsConfig {
            notify: true,
            ..AlertsConfig::default()
        };
        assert!(spawn_watcher(&on, source, Arc::new(Notifier::new(10)), audit, async {}).is_none());
    }

    #[test]
    fn settings_come_from_the_config() {
        let config = AlertsConfig {
            interval_secs: 30,
            repeat_secs: 600,
            quiet_hours: Some(QuietHours::parse("22:00-06:30").unwrap()),
            max_per_hour: 5,
            ..AlertsConfig::default()
        };
        assert_eq!(
            WatcherSettings::from_config(&config),
            WatcherSettings {
                interval: Duration::from_secs(30),
                repeat: Duration::from_secs(600),
                quiet_hours: Some(QuietHours::parse("22:00-06:30").unwrap()),
                max_per_hour: 5,
            }
        );
    }
}
