//! A loopback Discord: the REST API and the gateway on one 127.0.0.1 port, speaking Discord's wire
//! formats and checking every request the way Discord does (token header, interaction state,
//! message sizes, registration shapes), so the real serenity client can be driven end to end.
//!
//! axum (with its `ws` feature) rather than bare tokio-tungstenite: REST and the gateway share one
//! listener and one router, the JSON extraction and responses come for free, and axum is already
//! the workspace's HTTP server.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use self::gateway::gateway;
use self::rest::rest;

mod gateway;
mod rest;

pub const TOKEN: &str = "MTEwMDAwMDAwMDAwMDAwMDAwMQ.fake.bot-token";
pub const APP_ID: u64 = 1_100_000_000_000_000_001;
/// The bot user shares its application's id, as Discord bots do.
pub const BOT_ID: u64 = APP_ID;
pub const GUILD: u64 = 1_200_000_000_000_000_001;
pub const CHANNEL: u64 = 1_300_000_000_000_000_001;
/// A public thread in [`CHANNEL`]; `GET /channels/{THREAD}` says so.
pub const THREAD: u64 = 1_300_000_000_000_000_002;
/// A channel the tests' allow-lists never name.
pub const OTHER_CHANNEL: u64 = 1_300_000_000_000_000_003;
pub const ALLOWED_USER: u64 = 1_400_000_000_000_000_001;
pub const OTHER_USER: u64 = 1_400_000_000_000_000_002;
pub const ROLE: u64 = 1_500_000_000_000_000_001;

/// Short, so heartbeats (and their ACKs) happen while a test scripts its events.
const HEARTBEAT_MS: u64 = 400;
/// The longest any test waits for the bot.
const PATIENCE: Duration = Duration::from_secs(15);

const INTENT_GUILD_MESSAGES: u64 = 1 << 9;
/// Not a dispatch: tells the session to send opcode 7.
const RECONNECT: &str = "__reconnect";

/// One REST call the bot made.
#[derive(Clone, Debug)]
pub struct RestCall {
    pub method: String,
    /// Without the `/api/v10` prefix.
    pub path: String,
    /// The JSON body, or a multipart body's `payload_json`; `Null` when there is none.
    pub body: Value,
    /// Files of a multipart body: (filename, content).
    pub files: Vec<(String, Vec<u8>)>,
    /// What the fake answered.
    pub status: u16,
}

/// What the test says a user is and where.
#[derive(Clone, Debug)]
pub struct Who {
    pub user: u64,
    /// `None` for a direct message.
    pub guild: Option<u64>,
    pub channel: u64,
    pub roles: Vec<u64>,
    /// Set when `channel` is a thread of this channel.
    pub thread_parent: Option<u64>,
}

impl Who {
    pub fn in_guild(user: u64) -> Self {
        Self {
            user,
            guild: Some(GUILD),
            channel: CHANNEL,
            roles: vec![ROLE],
            thread_parent: None,
        }
    }

    /// The same user in [`THREAD`].
    pub fn in_thread(user: u64) -> Self {
        Self {
            channel: THREAD,
            thread_parent: Some(CHANNEL),
            ..Self::in_guild(user)
        }
    }
}

#[derive(Debug, Default)]
struct Interaction {
    id: u64,
    /// The callback type it was answered with, once answered.
    answered: Option<u64>,
}

#[derive(Debug, Default)]
struct Inner {
    base: String,
    calls: Vec<RestCall>,
    interactions: HashMap<String, Interaction>,
    commands: Vec<Value>,
    identify: Option<Value>,
    identifies: usize,
    resumes: usize,
    heartbeats: usize,
    session: Option<mpsc::UnboundedSender<(String, Value)>>,
    /// Messages posted to channels, by (channel, message id): what an edit may change.
    channel_messages: HashMap<(u64, u64), Value>,
}

pub struct FakeDiscord {
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    /// Bumped on every REST call and gateway event, so tests wait without polling.
    changed: watch::Sender<u64>,
    next_id: Arc<AtomicU64>,
    server: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for FakeDiscord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeDiscord")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[derive(Clone)]
struct AppState {
    inner: Arc<Mutex<Inner>>,
    changed: watch::Sender<u64>,
    next_id: Arc<AtomicU64>,
}

impl AppState {
    fn bump(&self) {
        self.changed.send_modify(|n| *n += 1);
    }

    fn id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::SeqCst)
    }
}

impl FakeDiscord {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let inner = Arc::new(Mutex::new(Inner {
            base: format!("http://{addr}"),
            ..Inner::default()
        }));
        let (changed, _) = watch::channel(0);
        let next_id = Arc::new(AtomicU64::new(1_600_000_000_000_000_001));
        let state = AppState {
            inner: Arc::clone(&inner),
            changed: changed.clone(),
            next_id: Arc::clone(&next_id),
        };
        let app = Router::new()
            .route("/gateway", get(gateway))
            .route("/api/v10/{*rest}", any(rest))
            .with_state(state);
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            addr,
            inner,
            changed,
            next_id,
            server,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn calls(&self) -> Vec<RestCall> {
        self.inner.lock().unwrap().calls.clone()
    }

    pub fn heartbeats(&self) -> usize {
        self.inner.lock().unwrap().heartbeats
    }

    pub fn identifies(&self) -> usize {
        self.inner.lock().unwrap().identifies
    }

    pub fn resumes(&self) -> usize {
        self.inner.lock().unwrap().resumes
    }

    /// Whether a gateway session is live (identified or resumed).
    pub fn connected(&self) -> bool {
        self.inner.lock().unwrap().session.is_some()
    }

    /// Asks the client to reconnect (opcode 7), as Discord does before moving a session; the
    /// client should come back and resume.
    pub fn request_reconnect(&self) {
        self.dispatch(RECONNECT, Value::Null);
    }

    pub fn identify(&self) -> Option<Value> {
        self.inner.lock().unwrap().identify.clone()
    }

    pub fn commands(&self) -> Vec<Value> {
        self.inner.lock().unwrap().commands.clone()
    }

    /// Waits until `done` holds for the recorded calls; panics with what was seen after
    /// [`PATIENCE`].
    pub async fn wait_for<T>(
        &self,
        what: &str,
        mut done: impl FnMut(&FakeDiscord) -> Option<T>,
    ) -> T {
        let mut changed = self.changed.subscribe();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(value) = done(self) {
                return value;
            }
            if tokio::time::timeout_at(deadline, changed.changed())
                .await
                .is_err()
            {
                panic!("timed out waiting for {what}; calls: {:#?}", self.calls());
            }
        }
    }

    /// Waits until the gateway session is READY.
    pub async fn wait_ready(&self) {
        self.wait_for("READY", |fake| {
            fake.inner.lock().unwrap().session.is_some().then_some(())
        })
        .await;
    }

    /// Sends a dispatch over the live gateway session.
    pub fn dispatch(&self, event: &str, data: Value) {
        let inner = self.inner.lock().unwrap();
        let session = inner.session.as_ref().expect("no gateway session");
        session
            .send((event.to_owned(), data))
            .expect("gateway session closed");
    }

    /// Scripts a slash command (interaction type 2) by `who`; returns its token.
    pub fn slash(&self, who: &Who, command: &str, options: Value) -> String {
        self.interaction(2, who, command, options)
    }

    /// Scripts an autocomplete request (interaction type 4); returns its token.
    pub fn autocomplete(&self, who: &Who, command: &str, options: Value) -> String {
        self.interaction(4, who, command, options)
    }

    fn interaction(&self, kind: u64, who: &Who, command: &str, options: Value) -> String {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let token = format!("aW50ZXJhY3Rpb24{id}");
        let command_id = {
            let mut inner = self.inner.lock().unwrap();
            inner
                .interactions
                .insert(token.clone(), Interaction { id, answered: None });
            inner
                .commands
                .iter()
                .find(|c| c["name"] == command)
                .map(|c| c["id"].clone())
                .unwrap_or_else(|| panic!("/{command} was never registered"))
        };
        let user = user(who.user, false);
        let mut data = json!({
            "id": id.to_string(),
            "application_id": APP_ID.to_string(),
            "type": kind,
            "data": {
                "id": command_id,
                "name": command,
                "type": 1,
                "options": options,
            },
            "channel": {
                "id": who.channel.to_string(),
                // GUILD_TEXT, DM or PUBLIC_THREAD, with the thread's parent as Discord sends it.
                "type": match (who.guild, who.thread_parent) {
                    (None, _) => 1,
                    (Some(_), None) => 0,
                    (Some(_), Some(_)) => 11,
                },
                "name": "homelab",
                "parent_id": who.thread_parent.map(|p| p.to_string()),
                "permissions": "2248473465835073",
            },
            "channel_id": who.channel.to_string(),
            "token": token,
            "version": 1,
            "app_permissions": "2248473465835073",
            "locale": "en-GB",
            "entitlements": [],
            "attachment_size_limit": 10_485_760,
        });
        match who.guild {
            Some(guild) => {
                data["guild_id"] = json!(guild.to_string());
                data["guild_locale"] = json!("en-US");
                data["data"]["guild_id"] = json!(guild.to_string());
                data["authorizing_integration_owners"] = json!({ "0": guild.to_string() });
                data["context"] = json!(0);
                let mut member = member(who);
                member["user"] = user;
                member["nick"] = Value::Null;
                member["avatar"] = Value::Null;
                member["permissions"] = json!("2248473465835073");
                member["communication_disabled_until"] = Value::Null;
                data["member"] = member;
            }
            None => {
                data["user"] = user;
                data["authorizing_integration_owners"] = json!({ "1": who.user.to_string() });
                data["context"] = json!(1);
            }
        }
        self.dispatch("INTERACTION_CREATE", data);
        token
    }

    /// Scripts a user's message in a guild channel; returns its id. Discord only sends it to a
    /// session that asked for guild messages.
    pub fn message(&self, who: &Who, content: &str, mentions_bot: bool) -> u64 {
        let intents = self
            .identify()
            .and_then(|i| i["intents"].as_u64())
            .unwrap_or_default();
        assert!(
            intents & INTENT_GUILD_MESSAGES != 0,
            "Discord would not deliver MESSAGE_CREATE without the GUILD_MESSAGES intent ({intents})"
        );
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let mentions = if mentions_bot {
            vec![user(BOT_ID, true)]
        } else {
            Vec::new()
        };
        let mut data = message_object(id, who.channel, user(who.user, false), content, mentions);
        if let Some(guild) = who.guild {
            data["guild_id"] = json!(guild.to_string());
            data["member"] = member(who);
        }
        self.dispatch("MESSAGE_CREATE", data);
        id
    }

    /// The calls made for the interaction with `token`: its callback and webhook calls, in order.
    pub fn calls_for(&self, token: &str) -> Vec<RestCall> {
        self.calls()
            .into_iter()
            .filter(|c| c.path.contains(&format!("/{token}")))
            .collect()
    }
}

fn user(id: u64, bot: bool) -> Value {
    json!({
        "id": id.to_string(),
        "username": if bot { "homelab-assistant".to_owned() } else { format!("user{}", id % 1000) },
        "discriminator": "0",
        "global_name": if bot { Value::Null } else { json!(format!("User {}", id % 1000)) },
        "avatar": null,
        "bot": bot,
        "public_flags": 0,
    })
}

/// The guild member object of `who`, as a message carries it; an interaction adds more.
fn member(who: &Who) -> Value {
    json!({
        "roles": who.roles.iter().map(u64::to_string).collect::<Vec<_>>(),
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
    })
}

fn message_object(
    id: u64,
    channel: u64,
    author: Value,
    content: &str,
    mentions: Vec<Value>,
) -> Value {
    json!({
        "id": id.to_string(),
        "channel_id": channel.to_string(),
        "author": author,
        "content": content,
        "timestamp": "2026-11-25T12:00:00.000000+00:00",
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": mentions,
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": false,
        "type": 0,
        "flags": 0,
        "components": [],
    })
}

fn error(status: StatusCode, code: u64, message: &str) -> (StatusCode, Value) {
    (status, json!({ "code": code, "message": message }))
}
