//! The running bot: catches up silently, then turns addressed room messages into requests for the
//! core and posts its answers back as threaded, Markdown-rendered notices, until shutdown.
//!
//! Event handlers only decide and spawn: matrix-sdk awaits them inside the sync loop, so an answer
//! that waits on an LLM must not run there or every room would stall behind it.
#![cfg(feature = "sdk")]

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use homelab_kit::{
    AbortOnDrop, Core, FORGET_IDLE_EVERY, KeyedLimiter, NoticeBoard, Unit, Wiring, every,
    post_notices, refuse_problems, split_markdown,
};
use homelab_port::{ChatHandler, Command, Inbound, Origin, Platform, Rejection};
use matrix_sdk::attachment::{AttachmentConfig, AttachmentInfo, BaseImageInfo};
use matrix_sdk::config::SyncSettings;
use matrix_sdk::event_handler::Ctx;
use matrix_sdk::ruma::api::error::ErrorKind;
use matrix_sdk::ruma::events::room::member::{MembershipState, StrippedRoomMemberEvent};
use matrix_sdk::ruma::events::room::message::{
    AddMentions, ForwardThread, MessageType, OriginalSyncRoomMessageEvent, Relation,
    ReplacementMetadata, RoomMessageEventContent,
};
use matrix_sdk::ruma::{
    MilliSecondsSinceUnixEpoch, OwnedEventId, OwnedRoomId, OwnedUserId, RoomOrAliasId, UInt,
};
use matrix_sdk::{Client, LoopCtrl, Room, RoomMemberships, RoomState};
use tracing::{debug, info, warn};

use crate::access::AllowList;
use crate::parse::{self, BotNames, Request};
use crate::{Config, Error, SHUTDOWN_GRACE, session};

/// Markdown bytes per message: the HTML rendering roughly doubles it and Megolm's base64 adds a
/// third, which keeps an encrypted event well under Matrix's 64 KiB limit.
const MAX_MESSAGE_BYTES: usize = 12_000;

/// How often the typing notice is renewed while an answer is being made; matrix-sdk sends it
/// with a 4 s timeout.
const TYPING_REFRESH: Duration = Duration::from_secs(3);

/// Runs the bot until `shutdown` resolves: logs in (or restores the stored session), skips
/// everything that happened before the start, accepts invites from allowed users, answers
/// addressed messages, and posts each text received on `notices` to `notify_rooms`.
///
/// Returns an error when the config cannot work, the login fails, or the homeserver revokes the
/// session; passing network errors are retried.
pub async fn run(mut config: Config, wiring: Wiring) -> Result<(), Error> {
    // Fixed once: the session and the stores must stay where this run found them.
    config.store_path = config.effective_store_path();
    let mut problems = config.validate();
    problems.extend(config.id_problems());
    refuse_problems(problems, config.rate_limit).map_err(Error::InvalidConfig)?;
    let Wiring {
        handler,
        notices,
        mut shutdown,
    } = wiring;
    // matrix-sdk retries an unreachable homeserver without end; a stop must not wait for it.
    let Started {
        client,
        bot,
        next_batch,
        notify_rooms,
    } = tokio::select! {
        started = start(&config, handler) => started?,
        () = &mut shutdown => {
            info!("matrix bot stopped before it was ready");
            return Ok(());
        }
    };

    let sync_client = client.clone();
    let sync = async move {
        sync_client
            .sync_with_result_callback(
                SyncSettings::default().token(next_batch),
                |result| async move {
                    match result {
                        Ok(_) => Ok(LoopCtrl::Continue),
                        Err(err) if is_revoked(&err) => Err(err),
                        Err(err) => {
                            warn!(error = %err, "matrix sync failed; retrying");
                            tokio::time::sleep(Duration::from_secs(5)).await;
                            Ok(LoopCtrl::Continue)
                        }
                    }
                },
            )
            .await
    };
    // Background chores that never end by themselves; aborted once the bot stops.
    let _notices = notices.map(|notices| {
        AbortOnDrop(tokio::spawn(post_notices(
            RoomNotices(client.clone()),
            notify_rooms,
            notices,
            MAX_MESSAGE_BYTES,
            Unit::Bytes,
        )))
    });
    let housekeeping_bot = bot.clone();
    let _housekeeping = every(FORGET_IDLE_EVERY, move || {
        housekeeping_bot.limiter.forget_idle();
    });

    info!("matrix bot is answering");
    let outcome = tokio::select! {
        () = &mut shutdown => Ok(()),
        result = sync => match result {
            Err(err) if is_revoked(&err) => Err(Error::SessionRevoked {
                path: config.store().display().to_string(),
            }),
            Err(err) => Err(Error::matrix("sync", err)),
            Ok(()) => Ok(()),
        },
    };
    bot.core.drain("matrix", SHUTDOWN_GRACE).await;
    info!("matrix bot stopped");
    outcome
}

/// What `start` hands to the running bot.
struct Started {
    client: Client,
    bot: Arc<Bot>,
    next_batch: String,
    notify_rooms: Vec<OwnedRoomId>,
}

/// Logs in, catches up silently, resolves the room lists, joins configured rooms, accepts
/// pending invites and registers the handlers.
async fn start(config: &Config, handler: Arc<dyn ChatHandler>) -> Result<Started, Error> {
    let started = MilliSecondsSinceUnixEpoch::now();
    let limiter =
        KeyedLimiter::new(config.rate_limit).map_err(|e| Error::InvalidConfig(e.to_string()))?;
    let client = session::connect(config).await?;
    let own_user_id = client
        .user_id()
        .ok_or_else(|| Error::Login("logged in, but the client has no user ID".to_owned()))?
        .to_owned();

    // Catch up without handlers, so nothing sent before this start is answered. No long-poll:
    // with a stored sync token and a quiet server it would delay the start by the full timeout.
    let first = client
        .sync_once(SyncSettings::default().timeout(Duration::ZERO))
        .await
        .map_err(|err| {
            if is_revoked(&err) {
                Error::SessionRevoked {
                    path: config.store().display().to_string(),
                }
            } else {
                Error::matrix("first sync", err)
            }
        })?;

    let allowed_rooms = if config.allowed_rooms.is_empty() {
        None
    } else {
        Some(
            resolve_rooms(&client, &config.allowed_rooms)
                .await
                .into_iter()
                .map(|id| id.to_string())
                .collect::<HashSet<_>>(),
        )
    };
    let notify_rooms = resolve_rooms(&client, &config.notify_rooms).await;
    let display_name = client.account().get_display_name().await.ok().flatten();
    let bot = Arc::new(Bot {
        core: Core::new(handler),
        allow: AllowList::new(&config.allowed_users, allowed_rooms.clone()),
        limiter,
        prefix: config.command_prefix.clone(),
        names: BotNames::new(own_user_id.as_str(), display_name),
        own_user_id,
        started,
    });

    for room_id in allowed_rooms.iter().flatten() {
        if let Ok(room_id) = OwnedRoomId::try_from(room_id.as_str()) {
            join_if_needed(&client, &room_id).await;
        }
    }
    for room_id in &notify_rooms {
        join_if_needed(&client, room_id).await;
    }
    for room in client.invited_rooms() {
        match room.invite_details().await {
            Ok(invite) => bot.consider_invite(room, invite.inviter_id),
            Err(err) => debug!(room = %room.room_id(), error = %err, "invite without details"),
        }
    }

    client.add_event_handler_context(bot.clone());
    client.add_event_handler(on_message);
    client.add_event_handler(on_invite);
    Ok(Started {
        client,
        bot,
        next_batch: first.next_batch,
        notify_rooms,
    })
}

fn is_revoked(err: &matrix_sdk::Error) -> bool {
    matches!(
        err.client_api_error_kind(),
        Some(ErrorKind::UnknownToken(_))
    )
}

/// Room IDs for configured IDs and aliases; an alias that does not resolve is left out (and
/// logged), so a room list never admits more than it names.
async fn resolve_rooms(client: &Client, rooms: &[String]) -> Vec<OwnedRoomId> {
    let mut ids = Vec::new();
    for room in rooms {
        let Ok(parsed) = RoomOrAliasId::parse(room.as_str()) else {
            continue; // refused by `run` already
        };
        match OwnedRoomId::try_from(parsed.clone()) {
            Ok(id) => ids.push(id),
            Err(alias) => match client.resolve_room_alias(&alias).await {
                Ok(response) => ids.push(response.room_id),
                Err(err) => warn!(alias = %alias, error = %err, "cannot resolve room alias"),
            },
        }
    }
    ids
}

async fn join_if_needed(client: &Client, room_id: &OwnedRoomId) {
    if client
        .get_room(room_id)
        .is_some_and(|room| room.state() == RoomState::Joined)
    {
        return;
    }
    match client.join_room_by_id(room_id).await {
        Ok(_) => info!(room = %room_id, "joined configured room"),
        Err(err) => warn!(room = %room_id, error = %err, "cannot join configured room"),
    }
}

/// What the event handlers share.
struct Bot {
    /// Every call into the core, and every answer being made, drained at shutdown.
    core: Core,
    allow: AllowList,
    limiter: KeyedLimiter<String>,
    prefix: String,
    names: BotNames,
    own_user_id: OwnedUserId,
    /// Messages older than this were sent before the bot ran.
    started: MilliSecondsSinceUnixEpoch,
}

async fn on_message(ev: OriginalSyncRoomMessageEvent, room: Room, Ctx(bot): Ctx<Arc<Bot>>) {
    bot.on_message(ev, room).await;
}

async fn on_invite(ev: StrippedRoomMemberEvent, room: Room, Ctx(bot): Ctx<Arc<Bot>>) {
    if ev.state_key != bot.own_user_id || ev.content.membership != MembershipState::Invite {
        return;
    }
    bot.consider_invite(room, ev.sender);
}

impl Bot {
    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.core.spawn(task);
    }

    /// Joins rooms that an admitted user invites the bot to; every other invite is left as it
    /// is, so strangers learn nothing about the bot.
    fn consider_invite(&self, room: Room, inviter: OwnedUserId) {
        if !self.allow.admits(inviter.as_str(), room.room_id().as_str()) {
            info!(room = %room.room_id(), inviter = %inviter, "ignoring invite");
            return;
        }
        self.spawn(async move {
            // Synapse may answer a join that races the invite with 403; retry a few times.
            let mut delay = Duration::from_millis(500);
            for attempt in 1..=5 {
                match room.join().await {
                    Ok(()) => {
                        info!(room = %room.room_id(), inviter = %inviter, "accepted invite");
                        return;
                    }
                    Err(err) if attempt < 5 => {
                        debug!(room = %room.room_id(), error = %err, "join failed; retrying");
                        tokio::time::sleep(delay).await;
                        delay *= 2;
                    }
                    Err(err) => {
                        warn!(room = %room.room_id(), error = %err, "cannot accept invite");
                    }
                }
            }
        });
    }

    async fn on_message(self: &Arc<Self>, ev: OriginalSyncRoomMessageEvent, room: Room) {
        if room.state() != RoomState::Joined || ev.sender == self.own_user_id {
            return;
        }
        // The first sync skips what happened before the start, but joining a room later hands
        // over its recent history as new timeline events; stale commands there stay unanswered.
        if ev.origin_server_ts < self.started {
            debug!(event = %ev.event_id, "ignoring a message from before the start");
            return;
        }
        // An edit would answer the same question twice.
        if matches!(ev.content.relates_to, Some(Relation::Replacement(_))) {
            return;
        }
        // Notices are what bots send; answering them invites bot loops.
        let MessageType::Text(content) = &ev.content.msgtype else {
            return;
        };
        let body = parse::strip_reply_fallback(&content.body);
        let intentional = ev
            .content
            .mentions
            .as_ref()
            .map(|mentions| mentions.user_ids.iter().map(|id| id.as_str()).collect());
        let mentioned = parse::mentions_bot(body, intentional, &self.names);
        let text = if mentioned {
            parse::strip_address(body, &self.names)
        } else {
            body.trim()
        };
        let request = match parse::parse_command(text, &self.prefix) {
            Some(request) => request,
            None if mentioned || is_dm(&room).await => {
                if text.is_empty() {
                    Request::Command(Command::Help)
                } else {
                    Request::Question(text.to_owned())
                }
            }
            None => return,
        };

        let room_id = room.room_id().to_string();
        let sender = ev.sender.to_string();
        let thread_root = match &ev.content.relates_to {
            Some(Relation::Thread(thread)) => Some(thread.event_id.to_string()),
            _ => None,
        };
        let mut origin = Origin::new(Platform::Matrix, sender.clone()).with_channel(&room_id);
        if let Ok(Some(member)) = room.get_member_no_sync(&ev.sender).await
            && let Some(name) = member.display_name()
        {
            origin = origin.with_display_name(name);
        }
        let inbound = match &request {
            Request::Command(command) => Inbound::command(origin, command.clone()),
            Request::Question(question) => Inbound::question(origin, question.as_str()),
            Request::Usage(_) => Inbound::question(origin, text),
        }
        .in_conversation(Some(parse::conversation_id(
            &room_id,
            thread_root.as_deref(),
        )));

        if !self.allow.admits(&sender, &room_id) {
            // Strangers spend the same allowance, so they cannot make the bot flood a room
            // with refusals.
            let notify = self.limiter.check(&sender).is_ok();
            info!(user = %sender, room = %room_id, "not authorized");
            self.refuse(room, ev, inbound, Rejection::Unauthorized, notify);
            return;
        }
        if let Err(retry_after_secs) = self.limiter.check(&sender) {
            self.refuse(
                room,
                ev,
                inbound,
                Rejection::RateLimited { retry_after_secs },
                true,
            );
            return;
        }
        if let Request::Usage(reason) = request {
            self.refuse(room, ev, inbound, Rejection::Invalid { reason }, true);
            return;
        }
        let bot = self.clone();
        self.spawn(async move { bot.answer(room, ev, inbound).await });
    }

    /// Records the rejection (one audit entry) and tells the asker why, in one short notice.
    fn refuse(
        &self,
        room: Room,
        ev: OriginalSyncRoomMessageEvent,
        inbound: Inbound,
        rejection: Rejection,
        notify: bool,
    ) {
        let core = self.core.clone();
        self.spawn(async move {
            let text = rejection.user_message();
            // A failure is logged by the kit; the asker still learns why nothing ran.
            let _ = core.reject(inbound, rejection).await;
            if notify {
                send_reply(&room, &ev, &text).await;
            }
        });
    }

    async fn answer(&self, room: Room, ev: OriginalSyncRoomMessageEvent, inbound: Inbound) {
        let typing = {
            let room = room.clone();
            tokio::spawn(async move {
                loop {
                    if let Err(err) = room.typing_notice(true).await {
                        debug!(error = %err, "typing notice failed");
                    }
                    tokio::time::sleep(TYPING_REFRESH).await;
                }
            })
        };
        // Display is the part of a ChatError that is safe to show.
        let (text, files) = match self.core.answer(inbound).await {
            Ok(reply) => (reply.text, reply.attachments),
            Err(err) => (err.to_string(), Vec::new()),
        };
        typing.abort();
        if let Err(err) = room.typing_notice(false).await {
            debug!(error = %err, "clearing the typing notice failed");
        }
        send_reply(&room, &ev, &text).await;
        for file in files {
            send_image(&room, file).await;
        }
    }
}

/// A room where everything said is meant for the bot: a DM by the spec's `is_direct`, or any room
/// where the asker and the bot are alone.
async fn is_dm(room: &Room) -> bool {
    if room.is_direct().await.unwrap_or(false) {
        return true;
    }
    // Counted from the stored member events: Synapse sends the room summary (and with it
    // `joined_members_count`) only to clients that lazy-load members, which this one does not.
    room.members_no_sync(RoomMemberships::JOIN)
        .await
        .is_ok_and(|members| members.len() <= 2)
}

/// Sends `markdown` as `m.notice` replies to `ev`, in its thread when it was in one, split when
/// long. matrix-sdk encrypts them when the room is encrypted.
async fn send_reply(room: &Room, ev: &OriginalSyncRoomMessageEvent, markdown: &str) {
    for piece in split_markdown(markdown, MAX_MESSAGE_BYTES, Unit::Bytes) {
        let content = RoomMessageEventContent::notice_markdown(piece).make_reply_to(
            ev,
            ForwardThread::Yes,
            AddMentions::Yes,
        );
        if let Err(err) = room.send(content).await {
            warn!(room = %room.room_id(), error = %err, "cannot send matrix reply");
            return;
        }
    }
}

/// Uploads a file that goes with an answer (a chart) and posts it as `m.image` with its size, so
/// clients lay it out before it loads. matrix-sdk encrypts it in an encrypted room.
async fn send_image(room: &Room, file: homelab_port::Attachment) {
    let Ok(content_type) = file.content_type.parse::<mime::Mime>() else {
        warn!(content_type = %file.content_type, "not a content type; file not sent");
        return;
    };
    let info = AttachmentInfo::Image(BaseImageInfo {
        width: Some(UInt::from(file.width)),
        height: Some(UInt::from(file.height)),
        size: UInt::try_from(file.bytes.len()).ok(),
        ..BaseImageInfo::default()
    });
    let config = AttachmentConfig::new().info(info);
    if let Err(err) = room
        .send_attachment(file.filename, &content_type, file.bytes, config)
        .await
    {
        warn!(room = %room.room_id(), error = %err, "cannot send a chart");
    }
}

/// Matrix's side of posting notices: a notice event per piece in each notify room; a resolved
/// alert is sent as an `m.replace` edit of the first event its alert posted, so clients show one
/// message that changed.
struct RoomNotices(Client);

impl NoticeBoard for RoomNotices {
    type Place = OwnedRoomId;
    type Message = (OwnedRoomId, OwnedEventId);

    async fn post(&self, room_id: &OwnedRoomId, text: String) -> Option<Self::Message> {
        let Some(room) = self.0.get_room(room_id) else {
            warn!(room = %room_id, "notify room is not joined; alert not posted");
            return None;
        };
        match room
            .send(RoomMessageEventContent::notice_markdown(text))
            .await
        {
            Ok(sent) => Some((room_id.clone(), sent.response.event_id)),
            Err(err) => {
                warn!(room = %room_id, error = %err, "cannot post alert");
                None
            }
        }
    }

    async fn edit(&self, (room_id, event_id): &Self::Message, text: String) {
        let Some(room) = self.0.get_room(room_id) else {
            return;
        };
        let edit = RoomMessageEventContent::notice_markdown(text)
            .make_replacement(ReplacementMetadata::new(event_id.clone(), None));
        if let Err(err) = room.send(edit).await {
            warn!(room = %room_id, error = %err, "cannot edit an alert");
        }
    }
}
