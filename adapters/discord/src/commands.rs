//! The slash commands: thin poise functions that turn their arguments into a [`Request`] and hand
//! it to [`answer`], which applies the allow-lists and the rate limit, acknowledges the interaction
//! at once and then edits in the core's answer.
#![cfg(feature = "sdk")]

use std::sync::Arc;
use std::sync::atomic::Ordering;

use homelab_port::{Command, Rejection};
use poise::serenity_prelude as serenity;
use serenity::{
    ChannelType, CommandInteraction, CreateAllowedMentions, CreateAttachment,
    CreateAutocompleteResponse, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, EditInteractionResponse, Http,
};

use crate::access::Place;
use crate::split::{self, ATTACHMENT_NAME, Delivery};
use crate::state::{Asker, Request, Shared, container_choices, inbound};

/// poise's error type for our commands; they report problems to the asker themselves, so this
/// only carries what poise itself fails at.
pub(crate) type CommandError = Box<dyn std::error::Error + Send + Sync>;
pub(crate) type Data = Arc<Shared>;
type Context<'a> = poise::Context<'a, Data, CommandError>;

/// Every command the bot registers.
pub(crate) fn all() -> Vec<poise::Command<Data, CommandError>> {
    vec![
        ask(),
        status(),
        containers(),
        container(),
        logs(),
        disk(),
        pools(),
        alerts(),
        digest(),
        graph(),
        help(),
    ]
}

/// Ask the assistant a question about the server
#[poise::command(slash_command)]
async fn ask(
    ctx: Context<'_>,
    #[description = "Your question, e.g. \"Which containers use the most memory?\""]
    #[max_length = 2000]
    question: String,
) -> Result<(), CommandError> {
    answer(ctx, Request::Ask(question)).await
}

/// Overall health of the server: load, memory, uptime
#[poise::command(slash_command)]
async fn status(ctx: Context<'_>) -> Result<(), CommandError> {
    answer(ctx, Request::Command(Command::Status)).await
}

/// Docker containers (running ones unless `all`)
#[poise::command(slash_command)]
async fn containers(
    ctx: Context<'_>,
    #[description = "Include stopped containers"] all: Option<bool>,
) -> Result<(), CommandError> {
    let all = all.unwrap_or(false);
    answer(ctx, Request::Command(Command::Containers { all })).await
}

/// One container's state and health
#[poise::command(slash_command)]
async fn container(
    ctx: Context<'_>,
    #[description = "Container name"]
    #[autocomplete = "complete_container"]
    name: String,
) -> Result<(), CommandError> {
    let name = name.trim().to_owned();
    answer(ctx, Request::Command(Command::Container { name })).await
}

/// A container's recent log lines
#[poise::command(slash_command)]
async fn logs(
    ctx: Context<'_>,
    #[description = "Container name"]
    #[autocomplete = "complete_container"]
    name: String,
    #[description = "How many lines, from the end"]
    #[min = 1]
    #[max = 1000]
    lines: Option<u32>,
    #[description = "Only lines newer than this, e.g. 30m, 2h, 1d"] since: Option<String>,
) -> Result<(), CommandError> {
    let command = Command::Logs {
        name: name.trim().to_owned(),
        lines,
        since: since.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
    };
    answer(ctx, Request::Command(command)).await
}

/// Filesystem usage
#[poise::command(slash_command)]
async fn disk(ctx: Context<'_>) -> Result<(), CommandError> {
    answer(ctx, Request::Command(Command::Disk)).await
}

/// ZFS pools and storage health
#[poise::command(slash_command)]
async fn pools(ctx: Context<'_>) -> Result<(), CommandError> {
    answer(ctx, Request::Command(Command::Pools)).await
}

/// Current alerts
#[poise::command(slash_command)]
async fn alerts(ctx: Context<'_>) -> Result<(), CommandError> {
    answer(ctx, Request::Command(Command::Alerts)).await
}

/// The daily digest: the last 24 hours in one message
#[poise::command(slash_command)]
async fn digest(ctx: Context<'_>) -> Result<(), CommandError> {
    answer(ctx, Request::Command(Command::Digest)).await
}

/// A chart of a metric over the last hours
#[poise::command(slash_command)]
async fn graph(
    ctx: Context<'_>,
    #[description = "cpu, memory, load, network, disk, containers, or container NAME"]
    #[max_length = 100]
    metric: String,
    #[description = "How far back: 30m, 1h, 6h (default) or 24h"]
    #[max_length = 20]
    span: Option<String>,
) -> Result<(), CommandError> {
    let command = Command::Graph {
        metric: metric.trim().to_owned(),
        span: span.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
    };
    answer(ctx, Request::Command(command)).await
}

/// What the assistant can answer
#[poise::command(slash_command)]
async fn help(ctx: Context<'_>) -> Result<(), CommandError> {
    answer(ctx, Request::Command(Command::Help)).await
}

/// Suggests container names as the user types; nothing for someone the allow-lists do not admit,
/// since the names themselves describe the server.
async fn complete_container(ctx: Context<'_>, partial: &str) -> CreateAutocompleteResponse {
    let poise::Context::Application(app) = ctx else {
        return CreateAutocompleteResponse::new();
    };
    let shared = ctx.data();
    if !shared.access.admits(&place_of(app.interaction)) {
        return CreateAutocompleteResponse::new();
    }
    let names = shared.container_names().await;
    container_choices(names, partial)
        .into_iter()
        .fold(CreateAutocompleteResponse::new(), |response, name| {
            response.add_string_choice(name.clone(), name)
        })
}

/// Where an interaction came from, for the allow-lists.
fn place_of(interaction: &CommandInteraction) -> Place {
    let thread_parent = interaction
        .channel
        .as_ref()
        .filter(|c| is_thread(c.kind))
        .and_then(|c| c.parent_id)
        .map(|id| id.get());
    Place {
        guild: interaction.guild_id.map(|g| g.get()),
        channel: interaction.channel_id.get(),
        thread_parent,
        user: interaction.user.id.get(),
        roles: interaction
            .member
            .as_ref()
            .map(|m| m.roles.iter().map(|r| r.get()).collect()),
    }
}

pub(crate) fn is_thread(kind: ChannelType) -> bool {
    matches!(
        kind,
        ChannelType::PublicThread | ChannelType::PrivateThread | ChannelType::NewsThread
    )
}

/// Answers and follow-ups never ping anyone: tool output (log lines, container labels) may contain
/// `@everyone` or role mentions that must stay text.
pub(crate) fn no_pings() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
}

/// The one path every slash command takes.
async fn answer(ctx: Context<'_>, request: Request) -> Result<(), CommandError> {
    let poise::Context::Application(app) = ctx else {
        return Ok(());
    };
    let interaction = app.interaction;
    let shared = ctx.data();
    let http = ctx.http();
    let place = place_of(interaction);
    let asker = Asker::at(&place, interaction.user.display_name());
    let inbound = inbound(&asker, request);
    if let Some(rejection) = shared.refusal(&place) {
        if rejection == Rejection::Unauthorized {
            tracing::info!(
                user = place.user,
                channel = place.channel,
                guild = ?place.guild,
                command = %inbound.text,
                "Discord command from outside the allow-lists refused"
            );
        }
        ephemeral(http, interaction, rejection.user_message()).await;
        app.has_sent_initial_response.store(true, Ordering::SeqCst);
        shared.reject(inbound, rejection).await;
        return Ok(());
    }

    // Discord drops an interaction that is not acknowledged within three seconds, and an answer
    // can take much longer: say "thinking…" first, edit the answer in afterwards.
    let defer = CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new());
    if let Err(error) = interaction.create_response(http, defer).await {
        tracing::warn!(%error, "could not acknowledge a Discord interaction; not answering it");
        let reason = "the Discord interaction could not be acknowledged".to_owned();
        shared.reject(inbound, Rejection::Invalid { reason }).await;
        return Ok(());
    }
    app.has_sent_initial_response.store(true, Ordering::SeqCst);

    let (text, files) = shared.answer_with_files(inbound).await;
    if files.is_empty() {
        deliver(http, interaction, &text).await;
    } else {
        deliver_files(http, interaction, &text, files).await;
    }
    Ok(())
}

/// Replaces the deferred response with a short text and its files (a chart), uploaded as
/// attachments of the same message.
async fn deliver_files(
    http: &Http,
    interaction: &CommandInteraction,
    text: &str,
    files: Vec<homelab_port::Attachment>,
) {
    let mut edit = EditInteractionResponse::new()
        .content(homelab_kit::truncate_chars(text, split::MESSAGE_LIMIT))
        .allowed_mentions(no_pings());
    for file in files {
        edit = edit.new_attachment(CreateAttachment::bytes(file.bytes, file.filename));
    }
    if let Err(error) = interaction.edit_response(http, edit).await {
        tracing::warn!(%error, "could not attach a file to a Discord answer");
    }
}

/// An initial response only the asker sees.
async fn ephemeral(http: &Http, interaction: &CommandInteraction, text: String) {
    let message = CreateInteractionResponseMessage::new()
        .content(text)
        .ephemeral(true)
        .allowed_mentions(no_pings());
    if let Err(error) = interaction
        .create_response(http, CreateInteractionResponse::Message(message))
        .await
    {
        tracing::warn!(%error, "could not send an ephemeral Discord reply");
    }
}

/// Replaces the deferred response with `text`, continuing in follow-ups or as an attachment.
async fn deliver(http: &Http, interaction: &CommandInteraction, text: &str) {
    match split::plan(text) {
        Delivery::Messages(chunks) => {
            let mut chunks = chunks.into_iter();
            let first = chunks.next().unwrap_or_default();
            let edit = EditInteractionResponse::new()
                .content(first)
                .allowed_mentions(no_pings());
            if let Err(error) = interaction.edit_response(http, edit).await {
                tracing::warn!(%error, "could not edit a Discord answer in");
                return;
            }
            for chunk in chunks {
                let follow_up = CreateInteractionResponseFollowup::new()
                    .content(chunk)
                    .allowed_mentions(no_pings());
                if let Err(error) = interaction.create_followup(http, follow_up).await {
                    tracing::warn!(%error, "could not send the rest of a long Discord answer");
                    return;
                }
            }
        }
        Delivery::Attachment { note, file } => {
            let edit = EditInteractionResponse::new()
                .content(note)
                .allowed_mentions(no_pings())
                .new_attachment(CreateAttachment::bytes(file.into_bytes(), ATTACHMENT_NAME));
            if let Err(error) = interaction.edit_response(http, edit).await {
                tracing::warn!(%error, "could not attach a long Discord answer");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_a_valid_slash_command() {
        let commands = all();
        let names: Vec<&str> = commands.iter().map(|c| c.name.as_ref()).collect();
        assert_eq!(
            names,
            [
                "ask",
                "status",
                "containers",
                "container",
                "logs",
                "disk",
                "pools",
                "alerts",
                "digest",
                "graph",
                "help"
            ]
        );
        for command in &commands {
            let description = command.description.as_deref().unwrap_or_default();
            // Discord rejects a registration with an empty or over-long description.
            assert!(
                (1..=100).contains(&description.chars().count()),
                "/{}: {description:?}",
                command.name
            );
            assert!(command.create_as_slash_command().is_some());
        }
        let logs = commands.iter().find(|c| c.name == "logs").unwrap();
        let params: Vec<(&str, bool, bool)> = logs
            .parameters
            .iter()
            .map(|p| {
                (
                    p.name.as_ref(),
                    p.required,
                    p.autocomplete_callback.is_some(),
                )
            })
            .collect();
        assert_eq!(
            params,
            [
                ("name", true, true),
                ("lines", false, false),
                ("since", false, false)
            ]
        );
    }
}
