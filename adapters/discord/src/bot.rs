//! Starting, running and stopping the bot: REST client, command registration, the gateway client
//! with the poise framework, the notice poster, and the shutdown signal — the mini-redis
//! `run(config, shutdown)` shape, so tests start it against a fake and stop it at will.
#![cfg(feature = "sdk")]

use std::sync::Arc;
use std::time::Duration;

use homelab_kit::{
    AbortOnDrop, FORGET_IDLE_EVERY, NoticeBoard, Unit, Wiring, every, post_notices, refuse_problems,
};
use poise::serenity_prelude as serenity;
use serenity::{
    ApplicationId, ChannelId, CreateMessage, EditMessage, FullEvent, GatewayIntents, GuildId, Http,
    HttpBuilder, LightMethod, MessageId, Request, Route,
};

use crate::commands::{self, CommandError, Data, no_pings};
use crate::split::MESSAGE_LIMIT;
use crate::state::Shared;
use crate::{Config, Error, mention};

/// How long the gateway may take to close after the shutdown signal.
pub(crate) const GATEWAY_GRACE: Duration = Duration::from_secs(5);

/// How long answers already being worked on may take to finish (and write their audit entries)
/// after the gateway closed.
pub(crate) const IN_FLIGHT_GRACE: Duration = Duration::from_secs(10);

/// Runs the Discord bot until the wiring's `shutdown` completes or the gateway fails for good.
///
/// Refuses to start without an allow-list ([`Error::NoAllowList`]) or with a setting that cannot
/// work. Before connecting to the gateway it checks the token (by reading the application) and
/// registers the slash commands in every allowed guild (instant), or globally when no guild is
/// configured; either failing is an error. Texts received on the wiring's `notices` are posted to every
/// `notify_channels` channel. Reconnects and resumes are serenity's. After the gateway has closed
/// it waits (at most 10 s) for answers the core is still working on, so their audit entries are
/// written before it returns and the caller flushes the audit log.
pub async fn run(config: Config, wiring: Wiring) -> Result<(), Error> {
    if config.is_open() {
        return Err(Error::NoAllowList);
    }
    refuse_problems(config.validate(), config.rate_limit).map_err(Error::InvalidConfig)?;
    let Wiring {
        handler,
        notices,
        mut shutdown,
    } = wiring;
    let shared = Arc::new(Shared::new(&config, handler)?);

    let http = rest_client(&config);
    let commands = commands::all();
    let startup = async {
        let app = application_id(&http).await?;
        http.set_application_id(app);
        register(&http, &commands, &config.allowed_guilds).await?;
        Ok::<_, Error>(app)
    };
    let app = tokio::select! {
        app = startup => app?,
        () = &mut shutdown => {
            tracing::info!("Discord adapter stopped before it connected");
            return Ok(());
        }
    };
    tracing::info!(
        application = %app,
        guilds = config.allowed_guilds.len(),
        mentions = config.respond_to_mentions,
        "Discord commands registered; connecting to the gateway"
    );

    let framework = framework(commands, Arc::clone(&shared));
    let mut client = serenity::ClientBuilder::new_with_http(http, intents(&config))
        .framework(framework)
        .await
        .map_err(|e| Error::Connect(Box::new(e)))?;
    let shard_manager = Arc::clone(&client.shard_manager);
    let janitor_shared = Arc::clone(&shared);
    let _janitor = every(FORGET_IDLE_EVERY, move || janitor_shared.forget_idle());
    let _poster = notices.map(|notices| {
        let channels: Vec<ChannelId> = config
            .notify_channels
            .iter()
            .map(|&id| ChannelId::new(id))
            .collect();
        if channels.is_empty() {
            tracing::debug!("no Discord notify_channels; alert notices are not posted to Discord");
        }
        let board = DiscordNotices(Arc::clone(&client.http));
        AbortOnDrop(tokio::spawn(post_notices(
            board,
            channels,
            notices,
            MESSAGE_LIMIT,
            Unit::Chars,
        )))
    });

    let start = client.start();
    tokio::pin!(start);
    let result = tokio::select! {
        result = &mut start => result,
        () = &mut shutdown => {
            tracing::info!("Discord adapter shutting down");
            shard_manager.shutdown_all().await;
            tokio::time::timeout(GATEWAY_GRACE, &mut start).await.unwrap_or(Ok(()))
        }
    };
    shared.core.drain("discord", IN_FLIGHT_GRACE).await;
    result.map_err(|e| Error::Gateway(Box::new(e)))?;
    tracing::info!("Discord adapter stopped");
    Ok(())
}

/// The REST client. serenity only honours a proxy base with its own rate limiter off, so a
/// proxy (or the test fake) is trusted to rate-limit instead.
fn rest_client(config: &Config) -> Http {
    let token = config.token.as_ref().map_or("", |token| token.expose());
    let builder = HttpBuilder::new(token);
    match config.rest_proxy() {
        Some(base) => builder.proxy(base).ratelimiter_disabled(true).build(),
        None => builder.build(),
    }
}

/// The application's id, from `GET /oauth2/applications/@me`, which also proves the token. Only
/// `id` is read, rather than serenity's whole `CurrentApplicationInfo`, so a Discord-compatible
/// proxy or fake that answers a sparser object still works.
async fn application_id(http: &Http) -> Result<ApplicationId, Error> {
    let request = Request::new(Route::Oauth2ApplicationCurrent, LightMethod::Get);
    let response = http
        .request(request)
        .await
        .map_err(|e| Error::Connect(Box::new(e)))?;
    let body = response
        .bytes()
        .await
        .map_err(|e| Error::Connect(Box::new(e)))?;
    parse_application_id(&body)
        .map(ApplicationId::new)
        .ok_or_else(|| Error::Connect("Discord's application object has no valid `id`".into()))
}

/// Snowflakes arrive as strings; 0 is never an id (and serenity's id types panic on it).
fn parse_application_id(body: &[u8]) -> Option<u64> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let id = match &value["id"] {
        serde_json::Value::String(id) => id.parse().ok()?,
        other => other.as_u64()?,
    };
    (id != 0).then_some(id)
}

/// Slash commands need no gateway intent; mention chat needs to receive messages. The privileged
/// message-content intent is not requested: Discord delivers the content of messages that mention
/// the bot, and of DMs, without it, and asking for it unapproved gets the connection closed.
fn intents(config: &Config) -> GatewayIntents {
    if config.respond_to_mentions {
        GatewayIntents::GUILD_MESSAGES | GatewayIntents::DIRECT_MESSAGES
    } else {
        GatewayIntents::empty()
    }
}

async fn register(
    http: &Http,
    commands: &[poise::Command<Data, CommandError>],
    guilds: &[u64],
) -> Result<(), Error> {
    let builders = poise::builtins::create_application_commands(commands);
    if guilds.is_empty() {
        serenity::Command::set_global_commands(http, builders)
            .await
            .map_err(|e| Error::Register(Box::new(e)))?;
        return Ok(());
    }
    for &guild in guilds {
        GuildId::new(guild)
            .set_commands(http, builders.clone())
            .await
            .map_err(|e| Error::Register(Box::new(e)))?;
    }
    Ok(())
}

fn framework(
    commands: Vec<poise::Command<Data, CommandError>>,
    shared: Data,
) -> poise::Framework<Data, CommandError> {
    let options = poise::FrameworkOptions {
        commands,
        on_error: |error| {
            Box::pin(async move {
                tracing::warn!(%error, "Discord command failed");
            })
        },
        event_handler: |framework, event| {
            Box::pin(async move {
                if let FullEvent::Message { new_message } = event {
                    mention::on_message(
                        framework.serenity_context,
                        framework.user_data,
                        framework.bot_id(),
                        new_message,
                    )
                    .await;
                }
                Ok(())
            })
        },
        // Owners only matter for owner-only commands, which this bot has none of.
        initialize_owners: false,
        prefix_options: poise::PrefixFrameworkOptions {
            // Mentions are answered by `mention`, not parsed as prefix commands.
            mention_as_prefix: false,
            ..Default::default()
        },
        allowed_mentions: Some(no_pings()),
        ..Default::default()
    };
    poise::Framework::builder()
        .options(options)
        .setup(move |_ctx, ready, _framework| {
            Box::pin(async move {
                tracing::info!(bot = %ready.user.name, guilds = ready.guilds.len(), "Discord gateway ready");
                Ok(shared)
            })
        })
        .build()
}

/// Discord's side of posting notices: a message per piece in each notify channel, edited in place
/// when the alert it told is resolved.
struct DiscordNotices(Arc<Http>);

impl NoticeBoard for DiscordNotices {
    type Place = ChannelId;
    type Message = (ChannelId, MessageId);

    async fn post(&self, channel: &ChannelId, text: String) -> Option<(ChannelId, MessageId)> {
        let message = CreateMessage::new()
            .content(text)
            .allowed_mentions(no_pings());
        match channel.send_message(&self.0, message).await {
            Ok(sent) => Some((*channel, sent.id)),
            Err(error) => {
                tracing::warn!(%error, %channel, "could not post an alert notice to Discord");
                None
            }
        }
    }

    async fn edit(&self, (channel, message): &(ChannelId, MessageId), text: String) {
        let edit = EditMessage::new()
            .content(text)
            .allowed_mentions(no_pings());
        if let Err(error) = channel.edit_message(&self.0, *message, edit).await {
            tracing::warn!(%error, %channel, "could not edit an alert notice on Discord");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_application_id_is_read_from_a_sparse_object() {
        assert_eq!(
            parse_application_id(br#"{"id": "1100000000000000001", "name": "x"}"#),
            Some(1_100_000_000_000_000_001)
        );
        assert_eq!(parse_application_id(br#"{"id": 42}"#), Some(42));
        assert_eq!(parse_application_id(br#"{"id": "0"}"#), None);
        assert_eq!(parse_application_id(br#"{"name": "x"}"#), None);
        assert_eq!(parse_application_id(b"<html>"), None);
    }

    #[test]
    fn mention_chat_asks_for_messages_but_never_for_privileged_intents() {
        let mut config = Config::new("t");
        assert_eq!(intents(&config), GatewayIntents::empty());
        config.respond_to_mentions = true;
        let wanted = intents(&config);
        assert!(wanted.contains(GatewayIntents::GUILD_MESSAGES | GatewayIntents::DIRECT_MESSAGES));
        assert!(!wanted.intersects(GatewayIntents::privileged()));
    }
}
