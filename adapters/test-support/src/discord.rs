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
                data["member"] = json!({
                    "user": user,
                    "nick": null,
                    "avatar": null,
                    "roles": who.roles.iter().map(u64::to_string).collect::<Vec<_>>(),
                    "joined_at": "2024-01-01T00:00:00.000000+00:00",
                    "premium_since": null,
                    "deaf": false,
                    "mute": false,
                    "flags": 0,
                    "pending": false,
                    "permissions": "2248473465835073",
                    "communication_disabled_until": null,
                });
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
            data["member"] = json!({
                "roles": who.roles.iter().map(u64::to_string).collect::<Vec<_>>(),
                "joined_at": "2024-01-01T00:00:00.000000+00:00",
                "premium_since": null,
                "deaf": false,
                "mute": false,
                "flags": 0,
                "pending": false,
            });
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

/// The gateway: HELLO, IDENTIFY → READY, heartbeat ACKs, and the test's dispatches with sequence
/// numbers.
async fn gateway(State(state): State<AppState>, upgrade: WebSocketUpgrade, uri: Uri) -> Response {
    // serenity asks for API v10 in the query, as Discord requires.
    if !uri.query().unwrap_or_default().contains("v=10") {
        return (StatusCode::BAD_REQUEST, "missing v=10").into_response();
    }
    upgrade.on_upgrade(move |socket| session(socket, state))
}

async fn session(socket: WebSocket, state: AppState) {
    let (mut out, mut incoming) = socket.split();
    let (dispatch, mut dispatches) = mpsc::unbounded_channel::<(String, Value)>();
    let mut seq = 0_u64;
    let send = |value: Value| WsMessage::Text(value.to_string().into());
    if out
        .send(send(
            json!({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_MS}, "s": null, "t": null}),
        ))
        .await
        .is_err()
    {
        return;
    }
    let close = |code: u16, reason: &str| {
        WsMessage::Close(Some(axum::extract::ws::CloseFrame {
            code,
            reason: reason.to_owned().into(),
        }))
    };
    loop {
        tokio::select! {
            message = incoming.next() => {
                let Some(Ok(message)) = message else { break };
                let text = match message {
                    WsMessage::Text(text) => text.to_string(),
                    WsMessage::Close(_) => {
                        // Flushes the close reply the WebSocket queued, as Discord answers a
                        // client's close frame.
                        let _ = out.close().await;
                        break;
                    }
                    _ => continue,
                };
                let Ok(payload) = serde_json::from_str::<Value>(&text) else {
                    let _ = out.send(close(4002, "Error while decoding payload.")).await;
                    break;
                };
                match payload["op"].as_u64() {
                    Some(1) => {
                        state.inner.lock().unwrap().heartbeats += 1;
                        state.bump();
                        if out.send(send(json!({"op": 11, "d": null, "s": null, "t": null}))).await.is_err() {
                            break;
                        }
                    }
                    Some(2) => {
                        let d = &payload["d"];
                        let token = d["token"].as_str().unwrap_or_default();
                        if token.trim_start_matches("Bot ") != TOKEN {
                            let _ = out.send(close(4004, "Authentication failed.")).await;
                            break;
                        }
                        let valid = d["intents"].is_u64()
                            && d["properties"]["os"].is_string()
                            && d["properties"]["browser"].is_string()
                            && d["properties"]["device"].is_string();
                        if !valid {
                            let _ = out.send(close(4002, "Error while decoding payload.")).await;
                            break;
                        }
                        seq += 1;
                        let ready = {
                            let mut inner = state.inner.lock().unwrap();
                            inner.identify = Some(d.clone());
                            inner.identifies += 1;
                            inner.session = Some(dispatch.clone());
                            json!({
                                "op": 0, "t": "READY", "s": seq,
                                "d": {
                                    "v": 10,
                                    "user": {
                                        "id": BOT_ID.to_string(), "username": "homelab-assistant",
                                        "discriminator": "0", "global_name": null, "avatar": null,
                                        "bot": true, "verified": true, "mfa_enabled": false,
                                        "flags": 0, "email": null,
                                    },
                                    "guilds": [{"id": GUILD.to_string(), "unavailable": true}],
                                    "session_id": "fake-session",
                                    "resume_gateway_url": inner.base.replace("http://", "ws://") + "/gateway",
                                    "shard": [0, 1],
                                    "application": {"id": APP_ID.to_string(), "flags": 0},
                                    "private_channels": [],
                                    "relationships": [],
                                    "presences": [],
                                    "_trace": ["fake-discord"],
                                },
                            })
                        };
                        state.bump();
                        if out.send(send(ready)).await.is_err() {
                            break;
                        }
                    }
                    Some(3) => {}
                    Some(6) => {
                        let d = &payload["d"];
                        let token_ok = d["token"].as_str().unwrap_or_default().trim_start_matches("Bot ") == TOKEN;
                        if !token_ok {
                            let _ = out.send(close(4004, "Authentication failed.")).await;
                            break;
                        }
                        if d["session_id"] != "fake-session" || !d["seq"].is_u64() {
                            // Not resumable: the client must identify again.
                            if out.send(send(json!({"op": 9, "d": false, "s": null, "t": null}))).await.is_err() {
                                break;
                            }
                            continue;
                        }
                        seq = d["seq"].as_u64().unwrap_or_default() + 1;
                        {
                            let mut inner = state.inner.lock().unwrap();
                            inner.resumes += 1;
                            inner.session = Some(dispatch.clone());
                        }
                        state.bump();
                        if out.send(send(json!({"op": 0, "t": "RESUMED", "s": seq, "d": {}}))).await.is_err() {
                            break;
                        }
                    }
                    _ => {
                        let _ = out.send(close(4001, "Unknown opcode.")).await;
                        break;
                    }
                }
            }
            Some((event, data)) = dispatches.recv() => {
                if event == RECONNECT {
                    if out.send(send(json!({"op": 7, "d": null, "s": null, "t": null}))).await.is_err() {
                        break;
                    }
                    continue;
                }
                seq += 1;
                if out.send(send(json!({"op": 0, "t": event, "s": seq, "d": data}))).await.is_err() {
                    break;
                }
            }
        }
    }
    {
        // A resumed session may already have replaced this one.
        let mut inner = state.inner.lock().unwrap();
        if inner
            .session
            .as_ref()
            .is_some_and(|s| s.same_channel(&dispatch))
        {
            inner.session = None;
        }
    }
    state.bump();
}

/// Every REST route under `/api/v10`.
async fn rest(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().trim_start_matches("/api/v10").to_owned();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (json_body, files) = parse_body(&content_type, &body);
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bot {TOKEN}"));
    let (status, answer) = if !authorized {
        error(StatusCode::UNAUTHORIZED, 0, "401: Unauthorized")
    } else {
        match json_body {
            Err(ref problem) => error(StatusCode::BAD_REQUEST, 50109, problem),
            Ok(ref body) => route(&state, &method, &path, body, &files),
        }
    };
    state.inner.lock().unwrap().calls.push(RestCall {
        method: method.to_string(),
        path,
        body: json_body.unwrap_or(Value::Null),
        files,
        status: status.as_u16(),
    });
    state.bump();
    if status == StatusCode::NO_CONTENT {
        return StatusCode::NO_CONTENT.into_response();
    }
    (status, axum::Json(answer)).into_response()
}

/// Files of a multipart body: (filename, content).
type Files = Vec<(String, Vec<u8>)>;

/// A JSON body, or multipart with `payload_json` and files, as serenity sends attachments.
fn parse_body(content_type: &str, body: &[u8]) -> (Result<Value, String>, Files) {
    if body.is_empty() {
        return (Ok(Value::Null), Vec::new());
    }
    if content_type.starts_with("application/json") {
        return (
            serde_json::from_slice(body)
                .map_err(|e| format!("The request body contains invalid JSON: {e}")),
            Vec::new(),
        );
    }
    let Some(boundary) = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .map(|b| format!("--{b}"))
    else {
        return (
            Err(format!("unsupported content type {content_type:?}")),
            Vec::new(),
        );
    };
    let mut payload = Err("multipart body without payload_json".to_owned());
    let mut files = Vec::new();
    let mut rest = body;
    while let Some(start) = find(rest, boundary.as_bytes()) {
        rest = &rest[start + boundary.len()..];
        let Some(end) = find(rest, boundary.as_bytes()) else {
            break;
        };
        let part = &rest[..end];
        let Some(split) = find(part, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..split]).to_string();
        let content = part[split + 4..]
            .strip_suffix(b"\r\n")
            .unwrap_or(&part[split + 4..]);
        if head.contains("name=\"payload_json\"") {
            payload =
                serde_json::from_slice(content).map_err(|e| format!("invalid payload_json: {e}"));
        } else if let Some(name) = head
            .split("filename=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
        {
            files.push((name.to_owned(), content.to_vec()));
        }
    }
    (payload, files)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn route(
    state: &AppState,
    method: &Method,
    path: &str,
    body: &Value,
    files: &[(String, Vec<u8>)],
) -> (StatusCode, Value) {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let app = APP_ID.to_string();
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["gateway"]) => {
            let base = state.inner.lock().unwrap().base.replace("http://", "ws://");
            (StatusCode::OK, json!({ "url": format!("{base}/gateway") }))
        }
        ("GET", ["oauth2", "applications", "@me"]) => (
            StatusCode::OK,
            json!({
                "id": app, "name": "Homelab Assistant", "icon": null, "description": "",
                "bot_public": false, "bot_require_code_grant": false,
                "owner": user(ALLOWED_USER, false), "verify_key": "00".repeat(32),
                "team": null, "flags": 0, "rpc_origins": [],
            }),
        ),
        ("PUT", ["applications", id, "commands"]) if *id == app => register(state, body, None),
        ("PUT", ["applications", id, "guilds", guild, "commands"]) if *id == app => {
            register(state, body, Some(guild))
        }
        ("POST", ["interactions", id, token, "callback"]) => callback(state, id, token, body),
        ("PATCH", ["webhooks", id, token, "messages", "@original"]) if *id == app => {
            webhook_message(state, token, body, files, true)
        }
        ("POST", ["webhooks", id, token]) if *id == app => {
            webhook_message(state, token, body, files, false)
        }
        ("POST", ["channels", channel, "messages"]) => match check_message(body, files) {
            Err(problem) => problem,
            Ok(()) => {
                if let Some(reference) = body.get("message_reference")
                    && !reference["message_id"].is_string()
                    && !reference["message_id"].is_u64()
                {
                    return error(
                        StatusCode::BAD_REQUEST,
                        50035,
                        "Invalid Form Body: message_reference",
                    );
                }
                let channel: u64 = channel.parse().unwrap_or_default();
                let mut message = message_object(
                    state.id(),
                    channel,
                    user(BOT_ID, true),
                    body["content"].as_str().unwrap_or_default(),
                    Vec::new(),
                );
                message["message_reference"] = body
                    .get("message_reference")
                    .cloned()
                    .unwrap_or(Value::Null);
                (StatusCode::OK, message)
            }
        },
        ("GET", ["channels", channel]) if *channel == THREAD.to_string() => (
            StatusCode::OK,
            json!({"id": channel, "type": 11, "guild_id": GUILD.to_string(), "name": "disk trouble",
                   "parent_id": CHANNEL.to_string(), "owner_id": ALLOWED_USER.to_string(),
                   "message_count": 3, "member_count": 2, "rate_limit_per_user": 0, "flags": 0,
                   "total_message_sent": 3,
                   "thread_metadata": {"archived": false, "auto_archive_duration": 1440,
                                       "archive_timestamp": "2026-11-25T12:00:00.000000+00:00",
                                       "locked": false}}),
        ),
        ("GET", ["channels", channel]) => (
            StatusCode::OK,
            json!({"id": channel, "type": 0, "guild_id": GUILD.to_string(), "name": "homelab",
                   "position": 0, "permission_overwrites": [], "nsfw": false, "parent_id": null}),
        ),
        _ => error(StatusCode::NOT_FOUND, 0, "404: Not Found"),
    }
}

/// Discord's checks of a message body: content a string of at most 2,000 characters, and not
/// empty unless something else (a file, an embed) is sent.
fn check_message(body: &Value, files: &[(String, Vec<u8>)]) -> Result<(), (StatusCode, Value)> {
    let content = match &body["content"] {
        Value::Null => "",
        Value::String(s) => s.as_str(),
        _ => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                50035,
                "Invalid Form Body: content",
            ));
        }
    };
    if content.chars().count() > 2000 {
        return Err((
            StatusCode::BAD_REQUEST,
            json!({"code": 50035, "message": "Invalid Form Body",
                   "errors": {"content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH",
                                                       "message": "Must be 2000 or fewer in length."}]}}}),
        ));
    }
    let has_embeds = body["embeds"].as_array().is_some_and(|e| !e.is_empty());
    if content.trim().is_empty() && files.is_empty() && !has_embeds {
        return Err(error(
            StatusCode::BAD_REQUEST,
            50006,
            "Cannot send an empty message",
        ));
    }
    if let Some(mentions) = body.get("allowed_mentions")
        && !mentions.is_object()
    {
        return Err(error(
            StatusCode::BAD_REQUEST,
            50035,
            "Invalid Form Body: allowed_mentions",
        ));
    }
    Ok(())
}

fn valid_name(name: &Value) -> bool {
    name.as_str().is_some_and(|n| {
        (1..=32).contains(&n.chars().count())
            && n.chars()
                .all(|c| c == '-' || c == '_' || c.is_lowercase() || c.is_numeric())
    })
}

fn valid_description(description: &Value) -> bool {
    description
        .as_str()
        .is_some_and(|d| (1..=100).contains(&d.chars().count()))
}

/// Bulk overwrite of commands: Discord validates every command and answers them with ids.
fn register(state: &AppState, body: &Value, guild: Option<&str>) -> (StatusCode, Value) {
    let Some(commands) = body.as_array() else {
        return error(
            StatusCode::BAD_REQUEST,
            50035,
            "Invalid Form Body: expected an array",
        );
    };
    let mut answered = Vec::new();
    for command in commands {
        let kind = command["type"].as_u64().unwrap_or(1);
        if kind != 1 || !valid_name(&command["name"]) || !valid_description(&command["description"])
        {
            return error(
                StatusCode::BAD_REQUEST,
                50035,
                &format!("Invalid Form Body: {command}"),
            );
        }
        let options = command["options"].as_array().cloned().unwrap_or_default();
        let mut optional_seen = false;
        for option in &options {
            let required = option["required"].as_bool().unwrap_or(false);
            let kind = option["type"].as_u64().unwrap_or(0);
            if !valid_name(&option["name"])
                || !valid_description(&option["description"])
                || !(3..=11).contains(&kind)
                || (required && optional_seen)
            {
                return error(
                    StatusCode::BAD_REQUEST,
                    50035,
                    &format!("Invalid Form Body: option {option}"),
                );
            }
            optional_seen |= !required;
        }
        let mut out = command.clone();
        out["id"] = json!(state.id().to_string());
        out["application_id"] = json!(APP_ID.to_string());
        out["version"] = json!(state.id().to_string());
        out["type"] = json!(1);
        out["default_member_permissions"] = Value::Null;
        out["nsfw"] = json!(false);
        if let Some(guild) = guild {
            out["guild_id"] = json!(guild);
        }
        answered.push(out);
    }
    state.inner.lock().unwrap().commands = answered.clone();
    (StatusCode::OK, Value::Array(answered))
}

/// The interaction callback: answered once, with a known type and valid data; 204 on success.
fn callback(state: &AppState, id: &str, token: &str, body: &Value) -> (StatusCode, Value) {
    let mut inner = state.inner.lock().unwrap();
    let Some(interaction) = inner.interactions.get_mut(token) else {
        return error(StatusCode::NOT_FOUND, 10062, "Unknown interaction");
    };
    if interaction.id.to_string() != id {
        return error(StatusCode::NOT_FOUND, 10062, "Unknown interaction");
    }
    if interaction.answered.is_some() {
        return error(
            StatusCode::BAD_REQUEST,
            40060,
            "Interaction has already been acknowledged.",
        );
    }
    let kind = body["type"].as_u64().unwrap_or(0);
    let data = &body["data"];
    let flags = data["flags"].as_u64().unwrap_or(0);
    // EPHEMERAL (64), SUPPRESS_EMBEDS (4), SUPPRESS_NOTIFICATIONS (4096) are all a response may set.
    if flags & !(64 | 4 | 4096) != 0 {
        return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body: flags");
    }
    match kind {
        4 => {
            if let Err(problem) = check_message(data, &[]) {
                return problem;
            }
        }
        5 => {}
        8 => {
            let Some(choices) = data["choices"].as_array() else {
                return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body: choices");
            };
            let valid = choices.len() <= 25
                && choices.iter().all(|c| {
                    c["name"]
                        .as_str()
                        .is_some_and(|n| (1..=100).contains(&n.chars().count()))
                        && !c["value"].is_null()
                });
            if !valid {
                return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body: choices");
            }
        }
        _ => return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body: type"),
    }
    interaction.answered = Some(kind);
    (StatusCode::NO_CONTENT, Value::Null)
}

/// Editing the original response or sending a follow-up: only for an interaction that was
/// answered with a message or a deferral, and with a valid message body.
fn webhook_message(
    state: &AppState,
    token: &str,
    body: &Value,
    files: &[(String, Vec<u8>)],
    original: bool,
) -> (StatusCode, Value) {
    let answered = state
        .inner
        .lock()
        .unwrap()
        .interactions
        .get(token)
        .and_then(|i| i.answered);
    if !matches!(answered, Some(4 | 5)) {
        return error(StatusCode::NOT_FOUND, 10015, "Unknown Webhook");
    }
    if let Err(problem) = check_message(body, files) {
        return problem;
    }
    let mut message = message_object(
        if original { 1 } else { state.id() },
        CHANNEL,
        user(BOT_ID, true),
        body["content"].as_str().unwrap_or_default(),
        Vec::new(),
    );
    message["webhook_id"] = json!(APP_ID.to_string());
    message["application_id"] = json!(APP_ID.to_string());
    (StatusCode::OK, message)
}
