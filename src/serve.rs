//! `serve`: starts every chat adapter that is compiled in and configured, all sharing one core, and
//! stops them together on SIGINT/SIGTERM — in-flight requests finish, then the audit log is synced.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use homelab_kit::Wiring;
use homelab_port::ChatHandler;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::alerts::inbox::AlertInbox;
use crate::alerts::notifier::Notifier;
use crate::app::App;
use crate::config::Config;

/// Histogram buckets for request latency, seconds: from an offline answer to a slow LLM.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Alert notices queued per adapter; when full, the watcher drops the newest with a warning.
#[allow(dead_code)] // Used only when an adapter that posts notices is compiled in.
const NOTICE_QUEUE: usize = 64;

/// Renders the process's metrics in the Prometheus text format.
pub type MetricsRenderer = Arc<dyn Fn() -> String + Send + Sync>;

/// Installs the process-wide Prometheus recorder; `None` if one is installed already.
pub fn install_metrics() -> Option<MetricsRenderer> {
    let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(LATENCY_BUCKETS)
        .ok()?
        .install_recorder()
        .ok()?;
    Some(Arc::new(move || handle.render()))
}

/// Resolves when SIGINT or SIGTERM arrives.
async fn termination_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!("cannot listen for SIGTERM: {err}");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

/// First pause before a failed chat bot is started again; it doubles up to the longest.
const RESTART_FIRST_PAUSE: Duration = Duration::from_secs(5);
const RESTART_LONGEST_PAUSE: Duration = Duration::from_secs(300);
/// A bot that ran this long before failing was healthy: the next pause starts short again.
const RESTART_HEALTHY_AFTER: Duration = Duration::from_secs(120);

/// A queue of notices (alerts, webhook alerts, digests) for one chat bot.
type Notices = tokio::sync::mpsc::Receiver<homelab_port::Notice>;

/// What `serve` needs to know of a chat bot (Discord, Matrix) to supervise it: implemented for
/// each bot adapter's own config, so the start, restart and stop logic is written once.
#[allow(dead_code)] // Used only when a bot adapter is compiled in.
trait ChatBot: Clone + Send + Sync + 'static {
    type Error: std::error::Error + Send + Sync + 'static;

    /// How logs name it: `Discord`.
    fn name(&self) -> &'static str;

    /// Whether alert notices have somewhere to go (notify channels or rooms).
    fn has_notice_targets(&self) -> bool;

    /// How long it may take to stop after the signal, answers in flight included.
    fn shutdown_grace(&self) -> Duration;

    /// An error its configuration causes, which starting it again cannot cure.
    fn is_fatal(error: &Self::Error) -> bool;

    fn run(self, wiring: Wiring) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

#[cfg(feature = "discord")]
impl ChatBot for homelab_discord::Config {
    type Error = homelab_discord::Error;

    fn name(&self) -> &'static str {
        "Discord"
    }

    fn has_notice_targets(&self) -> bool {
        !self.notify_channels.is_empty()
    }

    fn shutdown_grace(&self) -> Duration {
        homelab_discord::SHUTDOWN_GRACE
    }

    fn is_fatal(error: &Self::Error) -> bool {
        matches!(
            error,
            homelab_discord::Error::NoAllowList | homelab_discord::Error::InvalidConfig(_)
        )
    }

    async fn run(self, wiring: Wiring) -> Result<(), Self::Error> {
        homelab_discord::run(self, wiring).await
    }
}

#[cfg(feature = "matrix")]
impl ChatBot for homelab_matrix::Config {
    type Error = homelab_matrix::Error;

    fn name(&self) -> &'static str {
        "Matrix"
    }

    fn has_notice_targets(&self) -> bool {
        !self.notify_rooms.is_empty()
    }

    fn shutdown_grace(&self) -> Duration {
        homelab_matrix::SHUTDOWN_GRACE
    }

    fn is_fatal(error: &Self::Error) -> bool {
        matches!(error, homelab_matrix::Error::InvalidConfig(_))
    }

    async fn run(self, wiring: Wiring) -> Result<(), Self::Error> {
        homelab_matrix::run(self, wiring).await
    }
}

/// The adapters `serve` runs, each with its name and result.
type Adapters = JoinSet<(&'static str, anyhow::Result<()>)>;

/// Starts `bot` under [`supervise`], and gives the notifier a queue to it when it has somewhere
/// to post notices. Returns its shutdown grace.
#[allow(dead_code)] // Used only when a bot adapter is compiled in.
fn start_bot<B: ChatBot>(
    bot: B,
    handler: &Arc<dyn ChatHandler>,
    stopped: watch::Receiver<bool>,
    adapters: &mut Adapters,
    notifier: &Notifier,
) -> Duration {
    let name = bot.name();
    let grace = bot.shutdown_grace();
    let (notices, receiver) = tokio::sync::mpsc::channel(NOTICE_QUEUE);
    if bot.has_notice_targets() {
        notifier.add_sink(notices);
    }
    let handler = Arc::clone(handler);
    tracing::info!("starting the {name} bot");
    adapters.spawn(async move {
        let result = supervise(bot, handler, Some(receiver), stopped).await;
        (name, result)
    });
    grace
}

/// Runs one chat bot until the stop, starting it again with a growing pause whenever it fails or
/// ends on its own: a homeserver that is still booting, or a Discord outage, must not take `/chat`
/// and the other bot down with it. Only a configuration that can never work ends `serve`. Alert
/// notices reach whichever run of the bot is current.
#[allow(dead_code)] // Used only when a bot adapter is compiled in.
async fn supervise<B: ChatBot>(
    bot: B,
    handler: Arc<dyn ChatHandler>,
    notices: Option<Notices>,
    stopped: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let name = bot.name();
    let notices = notices.map(|receiver| Arc::new(tokio::sync::Mutex::new(receiver)));
    let mut pause = RESTART_FIRST_PAUSE;
    loop {
        // Each run gets a fresh queue fed from the long-lived one the alert watcher writes to.
        let (relay, receiver) = match &notices {
            Some(source) => {
                let (sender, receiver) = tokio::sync::mpsc::channel(NOTICE_QUEUE);
                let source = source.clone();
                let relay = tokio::spawn(async move {
                    let mut source = source.lock().await;
                    while let Some(notice) = source.recv().await {
                        if sender.send(notice).await.is_err() {
                            break;
                        }
                    }
                });
                (Some(relay), Some(receiver))
            }
            None => (None, None),
        };
        let mut stop = stopped.clone();
        let shutdown = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        let started = std::time::Instant::now();
        let end = bot
            .clone()
            .run(Wiring::new(Arc::clone(&handler), receiver, shutdown))
            .await;
        if let Some(relay) = relay {
            relay.abort();
        }
        let err = match end {
            Ok(()) if *stopped.borrow() => return Ok(()),
            Ok(()) => anyhow::anyhow!("it ended on its own"),
            Err(err) if *stopped.borrow() || B::is_fatal(&err) => return Err(err.into()),
            Err(err) => anyhow::Error::from(err),
        };
        if started.elapsed() >= RESTART_HEALTHY_AFTER {
            pause = RESTART_FIRST_PAUSE;
        }
        tracing::error!(
            "the {name} bot stopped: {err:#}; starting it again in {}s (the other adapters keep serving)",
            pause.as_secs()
        );
        let mut stopping = stopped.clone();
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = stopping.wait_for(|s| *s) => return Ok(()),
        }
        pause = (pause * 2).min(RESTART_LONGEST_PAUSE);
    }
}

/// Runs until a termination signal, or until an adapter fails.
pub async fn serve(config: &Config) -> anyhow::Result<()> {
    let app = App::build(config).context("cannot start the assistant")?;
    tracing::info!(
        audit = %app.orchestrator.audit().location(),
        provider = app.orchestrator.provider_name(),
        "homelab-assistant {} starting",
        env!("CARGO_PKG_VERSION")
    );
    let handler: Arc<dyn ChatHandler> = app.orchestrator.clone();
    let metrics = install_metrics();
    let (stop, stopped) = watch::channel(false);
    let until_stopped = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let mut adapters = Adapters::new();
    let mut skipped: Vec<String> = Vec::new();
    // The longest shutdown grace of the adapters started. (Built without any adapter, nothing
    // changes these or reads the handler.)
    #[cfg_attr(
        not(any(feature = "http", feature = "discord", feature = "matrix")),
        allow(unused_mut)
    )]
    let mut grace = Duration::ZERO;
    // Every notice (the alert watcher's, webhook alerts) goes through one notifier: the queues
    // of the bots with notify targets, registered as they start, and one hourly flood bound.
    let notifier = Arc::new(Notifier::new(config.alerts.max_per_hour));
    if config.webhooks.token.is_some() {
        app.orchestrator
            .attach_inbox(Arc::new(AlertInbox::new(Arc::clone(&notifier))));
    }

    #[cfg(feature = "http")]
    if config.http.enabled {
        let http = config.http.clone();
        let bind = http
            .bind_addr()
            .with_context(|| format!("http.bind `{}` is not an address", http.bind))?;
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .with_context(|| format!("cannot listen on {bind}"))?;
        let address = listener.local_addr()?;
        tracing::info!("HTTP /chat listening on http://{address}");
        let handler = handler.clone();
        let metrics = metrics.clone();
        let shutdown = until_stopped();
        grace = grace.max(http.shutdown_grace);
        adapters.spawn(async move {
            let result = homelab_http::run(http, handler, metrics, listener, shutdown)
                .await
                .map_err(anyhow::Error::from);
            ("http", result)
        });
    } else {
        skipped.push("http (http.enabled = false)".to_owned());
    }
    #[cfg(not(feature = "http"))]
    skipped.push("http (not compiled in: cargo feature `http`)".to_owned());
    let _ = (&metrics, &handler);

    #[cfg(feature = "discord")]
    if config.discord.enabled() {
        let bot_grace = start_bot(
            config.discord.clone(),
            &handler,
            stop.subscribe(),
            &mut adapters,
            &notifier,
        );
        grace = grace.max(bot_grace);
    } else {
        skipped.push("discord (no DISCORD_TOKEN)".to_owned());
    }
    #[cfg(not(feature = "discord"))]
    if config.discord.enabled() {
        skipped.push("discord (not compiled in: cargo feature `discord`)".to_owned());
    }

    #[cfg(feature = "matrix")]
    if config.matrix.enabled() {
        let bot_grace = start_bot(
            config.matrix.clone(),
            &handler,
            stop.subscribe(),
            &mut adapters,
            &notifier,
        );
        grace = grace.max(bot_grace);
    } else {
        skipped.push("matrix (no MATRIX_HOMESERVER)".to_owned());
    }
    #[cfg(not(feature = "matrix"))]
    if config.matrix.enabled() {
        skipped.push("matrix (not compiled in: cargo feature `matrix`)".to_owned());
    }

    if adapters.is_empty() {
        anyhow::bail!(
            "no chat adapter to serve: {}. Enable one in the config, or use `ask`/`chat`",
            skipped.join("; ")
        );
    }
    for reason in &skipped {
        tracing::info!("not serving {reason}");
    }

    let _digests = config
        .digest
        .enabled
        .then(|| config.digest.schedule().ok())
        .flatten()
        .map(|(time, zone)| {
            let orchestrator = Arc::clone(&app.orchestrator);
            let notifier = Arc::clone(&notifier);
            homelab_kit::AbortOnDrop(tokio::spawn(send_digests(
                orchestrator,
                notifier,
                time,
                zone,
                until_stopped(),
            )))
        });
    let _container_history = app
        .orchestrator
        .tools()
        .contains(crate::tools::names::CONTAINER_STATS)
        .then(|| {
            let orchestrator = Arc::clone(&app.orchestrator);
            let history = Arc::clone(&app.history);
            homelab_kit::every(CONTAINER_SAMPLE_EVERY, move || {
                let orchestrator = Arc::clone(&orchestrator);
                let history = Arc::clone(&history);
                tokio::spawn(async move { record_containers(&orchestrator, &history).await });
            })
        });
    // Alert notifications: a no-op unless `alerts.notify` is on.
    let _alert_watcher = crate::alerts::watcher::start(
        config,
        &app.alerts,
        app.orchestrator.audit().clone(),
        Arc::clone(&notifier),
        until_stopped(),
    );

    let mut failure: Option<anyhow::Error> = None;
    tokio::select! {
        () = termination_signal() => tracing::info!("shutting down"),
        Some(joined) = adapters.join_next() => {
            failure = Some(adapter_failure(joined));
        }
    }
    let _ = stop.send(true);
    // Adapters bound their own grace period; this is only a backstop.
    let backstop = grace + Duration::from_secs(5);
    let _ = tokio::time::timeout(backstop, async {
        while let Some(joined) = adapters.join_next().await {
            if let (name, Err(err)) = match joined {
                Ok(done) => done,
                Err(err) => ("adapter", Err(anyhow::anyhow!("panicked: {err}"))),
            } {
                tracing::error!("{name} adapter stopped with an error: {err:#}");
            }
        }
    })
    .await;
    if let Err(err) = app.orchestrator.audit().sync() {
        tracing::error!("{err}");
    }
    match failure {
        Some(err) => Err(err),
        None => Ok(()),
    }
}

/// How often the containers' CPU and memory go into the history: its resolution.
const CONTAINER_SAMPLE_EVERY: Duration = Duration::from_secs(60);

/// One round of the containers' CPU and memory into the history, read through the same
/// `container_stats` tool (and its cache) that answers questions.
async fn record_containers(
    orchestrator: &crate::orchestrator::Orchestrator,
    history: &crate::history::History,
) {
    let outcome = orchestrator
        .tools()
        .call(crate::tools::names::CONTAINER_STATS, serde_json::json!({}))
        .await;
    let Ok(output) = outcome.result else {
        return;
    };
    let samples: Vec<crate::history::ContainerSample> = output.data["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|row| {
            Some(crate::history::ContainerSample {
                name: row["name"].as_str()?.to_owned(),
                cpu_percent: row["cpu_percent"].as_f64().unwrap_or(0.0),
                memory_bytes: row["memory_bytes"].as_u64().unwrap_or(0),
            })
        })
        .collect();
    history.record_containers(chrono::Utc::now(), &samples);
}

/// Sends the daily digest to the notify chats every day at `time` in `zone`, until `shutdown`.
/// Each is one audit entry (platform `notify`), written before it is posted.
async fn send_digests(
    orchestrator: Arc<crate::orchestrator::Orchestrator>,
    notifier: Arc<Notifier>,
    time: chrono::NaiveTime,
    zone: crate::digest::Zone,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let now = chrono::Utc::now();
        let next = zone.next(time, now);
        tracing::info!(at = %next, "next daily digest");
        // Slept in slices, so a changed wall clock (NTP, a suspended host) is noticed.
        let wait = (next - now)
            .to_std()
            .unwrap_or_default()
            .min(Duration::from_secs(600));
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(wait) => {}
        }
        if chrono::Utc::now() < next {
            continue;
        }
        if notifier.chats() == 0 {
            tracing::warn!("digest.enabled is on, but no chat takes notices: not sent");
            continue;
        }
        let digest = orchestrator.digest().await;
        let origin = homelab_port::Origin::new(homelab_port::Platform::Notify, "daily-digest");
        let mut entry =
            crate::audit::AuditEntry::new(&origin, "daily digest", homelab_port::Outcome::Answered);
        entry.assistant_response = digest.text.clone();
        entry.tool_calls = digest.tool_calls;
        if let Err(err) = orchestrator.audit().record(&entry) {
            tracing::error!("the daily digest was not sent, its audit entry failed: {err}");
            continue;
        }
        notifier.count(tokio::time::Instant::now());
        notifier.post(&homelab_port::Notice::from(digest.text));
    }
}

fn adapter_failure(
    joined: Result<(&'static str, anyhow::Result<()>), tokio::task::JoinError>,
) -> anyhow::Error {
    match joined {
        Ok((name, Err(err))) => err.context(format!("the {name} adapter failed")),
        Ok((name, Ok(()))) => anyhow::anyhow!("the {name} adapter stopped unexpectedly"),
        Err(err) => anyhow::anyhow!("an adapter panicked: {err}"),
    }
}
