//! `serve`: starts every chat adapter that is compiled in and configured, all sharing one core, and
//! stops them together on SIGINT/SIGTERM — in-flight requests finish, then the audit log is synced.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use homelab_port::ChatHandler;
use tokio::sync::watch;
use tokio::task::JoinSet;

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

/// Why a chat bot ended, as the supervisor needs to know it.
#[allow(dead_code)] // Used only when a bot adapter is compiled in.
enum BotEnd {
    /// Its configuration can never work; starting it again would fail the same way.
    Fatal(anyhow::Error),
    /// A homeserver or gateway that is down, a connection lost for good, an early end.
    Transient(anyhow::Error),
}

/// Runs one chat bot (Discord, Matrix) until the stop, starting it again with a growing pause
/// whenever it fails or ends on its own: a homeserver that is still booting, or a Discord outage,
/// must not take `/chat` and the other bot down with it. Only a configuration that can never
/// work ends `serve`. Alert notices reach whichever run of the bot is current.
#[allow(dead_code)] // Used only when a bot adapter is compiled in.
async fn supervise<Run, Attempt>(
    name: &'static str,
    notices: Option<tokio::sync::mpsc::Receiver<String>>,
    stopped: watch::Receiver<bool>,
    mut run: Run,
) -> anyhow::Result<()>
where
    Run: FnMut(
        Option<tokio::sync::mpsc::Receiver<String>>,
        std::pin::Pin<Box<dyn Future<Output = ()> + Send>>,
    ) -> Attempt,
    Attempt: Future<Output = Result<(), BotEnd>>,
{
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
        let shutdown = {
            let mut stopped = stopped.clone();
            Box::pin(async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
        };
        let started = std::time::Instant::now();
        let end = run(receiver, shutdown).await;
        if let Some(relay) = relay {
            relay.abort();
        }
        if *stopped.borrow() {
            return match end {
                Ok(()) => Ok(()),
                Err(BotEnd::Fatal(err) | BotEnd::Transient(err)) => Err(err),
            };
        }
        let err = match end {
            Ok(()) => anyhow::anyhow!("it ended on its own"),
            Err(BotEnd::Fatal(err)) => return Err(err),
            Err(BotEnd::Transient(err)) => err,
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
    let mut adapters: JoinSet<(&'static str, anyhow::Result<()>)> = JoinSet::new();
    let mut skipped: Vec<String> = Vec::new();
    // One sender per chat adapter that can post alert notifications.
    let mut notice_senders: Vec<tokio::sync::mpsc::Sender<String>> = Vec::new();

    #[cfg(feature = "http")]
    if config.http.enabled {
        let http = http_config(config)?;
        let listener = tokio::net::TcpListener::bind(http.bind)
            .await
            .with_context(|| format!("cannot listen on {}", http.bind))?;
        let address = listener.local_addr()?;
        tracing::info!("HTTP /chat listening on http://{address}");
        let handler = handler.clone();
        let metrics = metrics.clone();
        let shutdown = until_stopped();
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
    let _ = &metrics;

    #[cfg(feature = "discord")]
    if config.discord.enabled() {
        let discord = discord_config(config)?;
        let (notices, receiver) = tokio::sync::mpsc::channel(NOTICE_QUEUE);
        if !discord.notify_channels.is_empty() {
            notice_senders.push(notices);
        }
        let handler = handler.clone();
        let stopped = stop.subscribe();
        tracing::info!("starting the Discord bot");
        adapters.spawn(async move {
            let result = supervise("Discord", Some(receiver), stopped, |notices, shutdown| {
                let (discord, handler) = (discord.clone(), handler.clone());
                async move {
                    homelab_discord::run(discord, handler, notices, shutdown)
                        .await
                        .map_err(|err| match err {
                            homelab_discord::Error::NoAllowList
                            | homelab_discord::Error::InvalidConfig(_) => BotEnd::Fatal(err.into()),
                            err => BotEnd::Transient(err.into()),
                        })
                }
            })
            .await;
            ("discord", result)
        });
    } else {
        skipped.push("discord (no DISCORD_TOKEN)".to_owned());
    }
    #[cfg(not(feature = "discord"))]
    if config.discord.enabled() {
        skipped.push("discord (not compiled in: cargo feature `discord`)".to_owned());
    }

    #[cfg(feature = "matrix")]
    if config.matrix.enabled() {
        let matrix = matrix_config(config)?;
        let (notices, receiver) = tokio::sync::mpsc::channel(NOTICE_QUEUE);
        if !matrix.notify_rooms.is_empty() {
            notice_senders.push(notices);
        }
        let handler = handler.clone();
        let stopped = stop.subscribe();
        tracing::info!("starting the Matrix bot");
        adapters.spawn(async move {
            let result = supervise("Matrix", Some(receiver), stopped, |notices, shutdown| {
                let (matrix, handler) = (matrix.clone(), handler.clone());
                async move {
                    homelab_matrix::run(matrix, handler, notices, shutdown)
                        .await
                        .map_err(|err| match err {
                            homelab_matrix::Error::InvalidConfig(_) => BotEnd::Fatal(err.into()),
                            err => BotEnd::Transient(err.into()),
                        })
                }
            })
            .await;
            ("matrix", result)
        });
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

    // ---- Alert notifications (issue 10) ----------------------------------------------------
    // A no-op unless `alerts.notify` is on. The watcher posts to these senders, the sending
    // halves of the Discord and Matrix bots' notice queues (only bots with notify targets).
    let alert_notices = notice_senders;
    let _alert_watcher = crate::alerts::watcher::start(
        config,
        &app.alerts,
        app.orchestrator.audit().clone(),
        alert_notices,
        until_stopped(),
    );
    // ------------------------------------------------------------------------------------------

    let mut failure: Option<anyhow::Error> = None;
    tokio::select! {
        () = termination_signal() => tracing::info!("shutting down"),
        Some(joined) = adapters.join_next() => {
            failure = Some(adapter_failure(joined));
        }
    }
    let _ = stop.send(true);
    // Adapters bound their own grace period; this is only a backstop.
    let backstop = Duration::from_secs(config.http.shutdown_grace_secs + 5);
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

fn adapter_failure(
    joined: Result<(&'static str, anyhow::Result<()>), tokio::task::JoinError>,
) -> anyhow::Error {
    match joined {
        Ok((name, Err(err))) => err.context(format!("the {name} adapter failed")),
        Ok((name, Ok(()))) => anyhow::anyhow!("the {name} adapter stopped unexpectedly"),
        Err(err) => anyhow::anyhow!("an adapter panicked: {err}"),
    }
}

#[cfg(feature = "http")]
fn http_config(config: &Config) -> anyhow::Result<homelab_http::Config> {
    let bind = config
        .http
        .bind
        .parse()
        .with_context(|| format!("http.bind `{}` is not an address", config.http.bind))?;
    Ok(homelab_http::Config {
        bind,
        api_keys: config
            .http
            .keys()
            .into_iter()
            .map(|(name, key)| homelab_http::ApiKey::new(name, key.expose()))
            .collect(),
        max_body_bytes: config.http.max_body_bytes,
        max_message_chars: config.http.max_message_chars,
        rate_limit: homelab_http::RateLimit {
            requests: config.rate_limit.requests,
            window: Duration::from_secs(config.rate_limit.window_secs),
        },
        metrics_public: config.http.metrics_public,
        allowed_origins: config.http.allowed_origins.clone(),
        shutdown_grace: Duration::from_secs(config.http.shutdown_grace_secs),
    })
}

#[cfg(feature = "discord")]
fn discord_config(config: &Config) -> anyhow::Result<homelab_discord::Config> {
    let d = &config.discord;
    let token = d
        .token
        .as_ref()
        .context("discord.token is required to start the Discord bot")?;
    let mut discord = homelab_discord::Config::new(token.expose());
    discord.api_base = d.api_base.clone();
    discord.allowed_guilds = d.allowed_guilds.clone();
    discord.allowed_channels = d.allowed_channels.clone();
    discord.allowed_users = d.allowed_users.clone();
    discord.allowed_roles = d.allowed_roles.clone();
    discord.respond_to_mentions = d.respond_to_mentions;
    discord.notify_channels = d.notify_channels.clone();
    discord.rate_limit = homelab_discord::RateLimit {
        requests: config.rate_limit.requests,
        window: Duration::from_secs(config.rate_limit.window_secs),
    };
    Ok(discord)
}

#[cfg(feature = "matrix")]
fn matrix_config(config: &Config) -> anyhow::Result<homelab_matrix::Config> {
    let m = &config.matrix;
    let secret = |s: &Option<crate::secret::Secret>| {
        s.as_ref()
            .map(|s| secrecy::SecretString::from(s.expose().to_owned()))
    };
    let store_path = m
        .effective_store_path()
        .context("set matrix.store_path (no HOME or XDG_STATE_HOME to default from)")?;
    Ok(homelab_matrix::Config {
        homeserver: m
            .homeserver
            .clone()
            .context("matrix.homeserver is required")?,
        user: m.user.clone().context("matrix.user is required")?,
        password: secret(&m.password),
        access_token: secret(&m.access_token),
        device_name: m.device_name.clone(),
        store_path,
        store_passphrase: secret(&m.store_passphrase),
        allowed_users: m.allowed_users.clone(),
        allowed_rooms: m.allowed_rooms.clone(),
        command_prefix: m.command_prefix.clone(),
        rate_limit: homelab_matrix::RateLimit {
            requests: config.rate_limit.requests,
            window: Duration::from_secs(config.rate_limit.window_secs),
        },
        notify_rooms: m.notify_rooms.clone(),
    })
}
