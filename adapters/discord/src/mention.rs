//! Mention chat: a message that mentions the bot, in a place the allow-lists admit, is answered as
//! `/ask` with a reply to that message. Off unless `respond_to_mentions` is set.
#![cfg(feature = "sdk")]

use homelab_port::{Command, Rejection};
use poise::serenity_prelude as serenity;
use serenity::{
    Channel, ChannelId, Context, CreateAllowedMentions, CreateAttachment, CreateMessage, Message,
    UserId,
};

use crate::access::Place;
use crate::commands::{is_thread, no_pings};
use crate::split::{self, ATTACHMENT_NAME, Delivery};
use crate::state::{Asker, Request, Shared, inbound, mention_question};

/// Handles one `MESSAGE_CREATE`; returns without a word for messages that are not for the bot.
pub(crate) async fn on_message(ctx: &Context, shared: &Shared, bot: UserId, message: &Message) {
    if !shared.respond_to_mentions
        || message.author.bot
        || !message.mentions.iter().any(|user| user.id == bot)
    {
        return;
    }
    let request = match mention_question(&message.content, bot.get()) {
        Some(question) => Request::Ask(question),
        // A bare mention is someone asking what the bot is for.
        None => Request::Command(Command::Help),
    };
    let place = place_of(ctx, shared, message).await;
    let inbound = inbound(&Asker::at(&place, message.author.display_name()), request);
    let Some(rejection) = shared.refusal(&place) else {
        let text = shared.answer(inbound).await;
        deliver(ctx, message, &text).await;
        return;
    };
    if rejection == Rejection::Unauthorized {
        // Audited, but not answered: a public "not authorized" in every channel the bot can read
        // would be noise, and a stranger's DM gets no reply at all.
        tracing::info!(
            user = place.user,
            channel = place.channel,
            "Discord mention from outside the allow-lists ignored"
        );
    } else {
        send(ctx, message, rejection.user_message(), true).await;
    }
    shared.reject(inbound, rejection).await;
}

/// Answers `message` with `text`: in replies of Discord's message size, or as a file when it
/// would take too many of them.
async fn deliver(ctx: &Context, message: &Message, text: &str) {
    match split::plan(text) {
        Delivery::Messages(chunks) => {
            for (index, chunk) in chunks.into_iter().enumerate() {
                if !send(ctx, message, chunk, index == 0).await {
                    return;
                }
            }
        }
        Delivery::Attachment { note, file } => {
            let reply = CreateMessage::new()
                .content(note)
                .reference_message(message)
                .allowed_mentions(CreateAllowedMentions::new().replied_user(true))
                .add_file(CreateAttachment::bytes(file.into_bytes(), ATTACHMENT_NAME));
            if let Err(error) = message.channel_id.send_message(&ctx.http, reply).await {
                tracing::warn!(%error, "could not attach a long Discord answer");
            }
        }
    }
}

/// Sends one message to the channel of `message`, as a reply to it when `reply`; false on failure.
async fn send(ctx: &Context, message: &Message, text: String, reply: bool) -> bool {
    let mut out = CreateMessage::new()
        .content(text)
        .allowed_mentions(no_pings());
    if reply {
        out = out
            .reference_message(message)
            .allowed_mentions(CreateAllowedMentions::new().replied_user(true));
    }
    match message.channel_id.send_message(&ctx.http, out).await {
        Ok(_) => true,
        Err(error) => {
            tracing::warn!(%error, "could not answer a Discord mention");
            false
        }
    }
}

/// Where a message came from. A message does not say whether its channel is a thread, so the
/// channel is looked up — only when the answer depends on it (a channel allow-list that does not
/// name this channel), to spare a REST call per mention otherwise.
async fn place_of(ctx: &Context, shared: &Shared, message: &Message) -> Place {
    let channel = message.channel_id.get();
    let channels = &shared.access.channels;
    let thread_parent =
        if message.guild_id.is_some() && !channels.is_empty() && !channels.contains(&channel) {
            thread_parent(ctx, message.channel_id).await
        } else {
            None
        };
    Place {
        guild: message.guild_id.map(|g| g.get()),
        channel,
        thread_parent,
        user: message.author.id.get(),
        roles: message.guild_id.map(|_| {
            message
                .member
                .as_ref()
                .map(|m| m.roles.iter().map(|r| r.get()).collect())
                .unwrap_or_default()
        }),
    }
}

async fn thread_parent(ctx: &Context, channel: ChannelId) -> Option<u64> {
    match channel.to_channel(&ctx.http).await {
        Ok(Channel::Guild(channel)) if is_thread(channel.kind) => {
            channel.parent_id.map(|p| p.get())
        }
        Ok(_) => None,
        Err(error) => {
            tracing::warn!(%error, "could not look up a Discord channel; treating it as no thread");
            None
        }
    }
}
