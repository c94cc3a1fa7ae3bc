//! What the Synapse tests share: the fixture's env vars, users registered through Synapse's
//! shared-secret admin API, a "human" matrix-sdk client (with its own crypto store) that records
//! what it sees, a `ChatHandler` double that records every call, and a bot started on demand.

#![allow(dead_code)] // each test uses a different part of it

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use homelab_kit::Secret;
use homelab_matrix::{Config, Error, RateLimit};
use homelab_port::{ChatError, ChatHandler, Inbound, Rejection, Reply};
use matrix_sdk::config::SyncSettings;
use matrix_sdk::deserialized_responses::EncryptionInfo;
use matrix_sdk::ruma::api::client::room::create_room::v3::{Request as CreateRoom, RoomPreset};
use matrix_sdk::ruma::events::InitialStateEvent;
use matrix_sdk::ruma::events::room::encryption::RoomEncryptionEventContent;
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation,
};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId, RoomId, UserId};
use matrix_sdk::{Client, Room, RoomState};
use serde_json::{Value, json};
use sha1::Sha1;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// How long any single expectation may take against a loopback Synapse.
pub const PATIENCE: Duration = Duration::from_secs(45);

/// The fixture's homeserver and shared secret, or `None` (after saying so) when it is not
/// running. Under CI a missing fixture fails the test instead: CI must run these tests.
pub fn fixture() -> Option<(String, String)> {
    let homeserver = std::env::var("HOMELAB_TEST_MATRIX_HOMESERVER").ok();
    let secret = std::env::var("HOMELAB_TEST_MATRIX_SHARED_SECRET").ok();
    match (homeserver, secret) {
        (Some(homeserver), Some(secret)) if !homeserver.is_empty() && !secret.is_empty() => {
            Some((homeserver, secret))
        }
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but HOMELAB_TEST_MATRIX_HOMESERVER / _SHARED_SECRET are not: \
                 run scripts/synapse-fixture.sh start"
            );
            println!("skipped: run scripts/synapse-fixture.sh start");
            None
        }
    }
}

/// The JSON body of a reqwest response, without this crate having to name reqwest.
macro_rules! json_of {
    ($response:expr) => {{
        let bytes = $response.bytes().await.expect("response body");
        serde_json::from_slice::<Value>(&bytes).expect("JSON answer")
    }};
}

/// A user name no other test (or earlier run against the same database) has used.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}{}x{}x{}",
        std::process::id(),
        nanos % 1_000_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A registered account.
#[derive(Clone, Debug)]
pub struct Account {
    pub user_id: OwnedUserId,
    pub localpart: String,
    pub password: String,
    pub access_token: String,
}

/// Registers through `/_synapse/admin/v1/register`: fetch a nonce, then prove knowledge of the
/// shared secret with an HMAC-SHA1 over nonce, user, password and admin flag.
pub async fn register(homeserver: &str, secret: &str, localpart: &str, admin: bool) -> Account {
    let http = Client::builder()
        .homeserver_url(homeserver)
        .build()
        .await
        .expect("client for registration");
    let url = format!("{homeserver}/_synapse/admin/v1/register");
    let nonce = json_of!(http.http_client().get(&url).send().await.expect("nonce"));
    let nonce = nonce["nonce"].as_str().expect("nonce in answer").to_owned();
    let password = format!("pw-{localpart}");
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(nonce.as_bytes());
    mac.update(b"\0");
    mac.update(localpart.as_bytes());
    mac.update(b"\0");
    mac.update(password.as_bytes());
    mac.update(b"\0");
    mac.update(if admin {
        b"admin".as_slice()
    } else {
        b"notadmin".as_slice()
    });
    let mac: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let body = json!({
        "nonce": nonce, "username": localpart, "password": password, "admin": admin, "mac": mac,
    });
    let response = http
        .http_client()
        .post(&url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("register");
    let status = response.status();
    let answer = json_of!(response);
    assert!(
        status.is_success(),
        "register {localpart}: {status} {answer}"
    );
    Account {
        user_id: UserId::parse(answer["user_id"].as_str().expect("user_id")).expect("mxid"),
        localpart: localpart.to_owned(),
        password,
        access_token: answer["access_token"].as_str().expect("token").to_owned(),
    }
}

/// The devices the homeserver lists for `user`, asked with an admin's token.
pub async fn devices_of(homeserver: &str, admin: &Account, user: &UserId) -> Vec<String> {
    let http = Client::builder()
        .homeserver_url(homeserver)
        .build()
        .await
        .expect("client");
    let url = format!("{homeserver}/_synapse/admin/v2/users/{user}/devices");
    let response = http
        .http_client()
        .get(&url)
        .bearer_auth(&admin.access_token)
        .send()
        .await
        .expect("devices");
    let answer = json_of!(response);
    answer["devices"]
        .as_array()
        .unwrap_or_else(|| panic!("devices in {answer}"))
        .iter()
        .map(|device| device["device_id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// One message the human's client saw, decrypted when it was encrypted.
#[derive(Clone, Debug)]
pub struct Seen {
    pub room_id: OwnedRoomId,
    pub event_id: OwnedEventId,
    pub sender: OwnedUserId,
    pub is_notice: bool,
    pub body: String,
    pub formatted_body: Option<String>,
    pub in_reply_to: Option<OwnedEventId>,
    pub thread_root: Option<OwnedEventId>,
    pub encrypted: bool,
}

/// A person on the homeserver: a full matrix-sdk client with end-to-end encryption, syncing in
/// the background and recording every message it sees.
pub struct Human {
    pub account: Account,
    pub client: Client,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    sync: JoinHandle<()>,
    _store: tempfile::TempDir,
}

impl Drop for Human {
    fn drop(&mut self) {
        self.sync.abort();
    }
}

impl Human {
    pub async fn new(homeserver: &str, secret: &str, prefix: &str) -> Self {
        let account = register(homeserver, secret, &unique(prefix), false).await;
        let store = tempfile::tempdir().expect("tempdir");
        let client = Client::builder()
            .homeserver_url(homeserver)
            .sqlite_store(store.path(), None)
            .build()
            .await
            .expect("human client");
        client
            .matrix_auth()
            .login_username(account.user_id.as_str(), &account.password)
            .send()
            .await
            .expect("human login");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        client.add_event_handler(
            move |ev: OriginalSyncRoomMessageEvent,
                  room: Room,
                  encryption: Option<EncryptionInfo>| {
                let sink = sink.clone();
                async move {
                    let (body, formatted_body) = match &ev.content.msgtype {
                        MessageType::Text(text) => (
                            text.body.clone(),
                            text.formatted.as_ref().map(|f| f.body.clone()),
                        ),
                        MessageType::Notice(notice) => (
                            notice.body.clone(),
                            notice.formatted.as_ref().map(|f| f.body.clone()),
                        ),
                        other => (other.body().to_owned(), None),
                    };
                    let (in_reply_to, thread_root) = match &ev.content.relates_to {
                        Some(Relation::Reply(reply)) => {
                            (Some(reply.in_reply_to.event_id.clone()), None)
                        }
                        Some(Relation::Thread(thread)) => (
                            thread.in_reply_to.as_ref().map(|r| r.event_id.clone()),
                            Some(thread.event_id.clone()),
                        ),
                        _ => (None, None),
                    };
                    sink.lock().unwrap().push(Seen {
                        room_id: room.room_id().to_owned(),
                        event_id: ev.event_id.clone(),
                        sender: ev.sender.clone(),
                        is_notice: matches!(ev.content.msgtype, MessageType::Notice(_)),
                        body,
                        formatted_body,
                        in_reply_to,
                        thread_root,
                        encrypted: encryption.is_some(),
                    });
                }
            },
        );
        client
            .sync_once(SyncSettings::default())
            .await
            .expect("first sync");
        let syncing = client.clone();
        let sync = tokio::spawn(async move {
            let _ = syncing.sync(SyncSettings::default()).await;
        });
        Self {
            account,
            client,
            seen,
            sync,
            _store: store,
        }
    }

    pub fn user_id(&self) -> &UserId {
        &self.account.user_id
    }

    /// A private room with `invite`d users, end-to-end encrypted when `encrypted`.
    pub async fn create_room(&self, invite: &[&UserId], encrypted: bool) -> Room {
        let mut request = CreateRoom::new();
        request.invite = invite.iter().map(|id| (*id).to_owned()).collect();
        if encrypted {
            request.initial_state = vec![
                InitialStateEvent::with_empty_state_key(
                    RoomEncryptionEventContent::with_recommended_defaults(),
                )
                .to_raw_any(),
            ];
        }
        self.client.create_room(request).await.expect("create room")
    }

    /// A public room with the alias `#<alias>:<server>`, joinable without an invite.
    pub async fn create_public_room(&self, alias: &str) -> Room {
        let mut request = CreateRoom::new();
        request.preset = Some(RoomPreset::PublicChat);
        request.room_alias_name = Some(alias.to_owned());
        self.client
            .create_room(request)
            .await
            .expect("create public room")
    }

    /// Joins a room this user was invited to.
    pub async fn join(&self, room_id: &RoomId) -> Room {
        let mut delay = Duration::from_millis(200);
        for _ in 0..10 {
            if let Ok(room) = self.client.join_room_by_id(room_id).await {
                return room;
            }
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
        panic!("{} could not join {room_id}", self.user_id());
    }

    /// Every message seen so far that `filter` accepts.
    pub fn seen_where(&self, filter: impl Fn(&Seen) -> bool) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| filter(s))
            .cloned()
            .collect()
    }

    /// Waits until a message `filter` accepts has been seen, and returns it.
    pub async fn wait_for(&self, what: &str, filter: impl Fn(&Seen) -> bool) -> Seen {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(found) = self.seen_where(&filter).into_iter().next() {
                return found;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what}: not seen within {PATIENCE:?}; seen: {:#?}",
                self.seen.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The bot's notice replying to `event_id`.
    pub async fn reply_to(&self, bot: &UserId, event_id: &OwnedEventId) -> Seen {
        self.wait_for(&format!("the bot's reply to {event_id}"), |s| {
            s.sender == bot && s.in_reply_to.as_ref() == Some(event_id)
        })
        .await
    }
}

/// Waits until `user` has joined `room_id`, as this human's client sees it.
pub async fn wait_joined(human: &Human, room_id: &RoomId, user: &UserId) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(room) = human.client.get_room(room_id)
            && room.state() == RoomState::Joined
            && let Ok(Some(member)) = room.get_member_no_sync(user).await
            && *member.membership() == matrix_sdk::ruma::events::room::member::MembershipState::Join
        {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{user} did not join {room_id} within {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the double's failure carries for logs; it must never reach a chat.
pub const SECRET_DETAIL: &str = "upstream said sk-secret-detail";

/// About 33 KB of Markdown paragraphs, far more than one Matrix message should carry.
pub fn long_answer() -> String {
    (0..60)
        .map(|i| format!("Paragraph {i}: {}", "word ".repeat(100).trim_end()))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// A `ChatHandler` double that records every call. It answers `answer to <text>: **ok**`, or
/// [`long_answer`] when asked for a "long answer", and fails when asked to "break".
#[derive(Debug, Default)]
pub struct Recorder {
    pub handled: Mutex<Vec<Inbound>>,
    pub rejected: Mutex<Vec<(Inbound, Rejection)>>,
}

impl Recorder {
    pub fn handled(&self) -> Vec<Inbound> {
        self.handled.lock().unwrap().clone()
    }

    pub fn rejected(&self) -> Vec<(Inbound, Rejection)> {
        self.rejected.lock().unwrap().clone()
    }
}

#[async_trait]
impl ChatHandler for Recorder {
    async fn handle(&self, inbound: Inbound) -> Result<Reply, ChatError> {
        self.handled.lock().unwrap().push(inbound.clone());
        if inbound.text.contains("break") {
            return Err(ChatError::Internal(SECRET_DETAIL.to_owned()));
        }
        let text = if inbound.text.contains("long answer") {
            long_answer()
        } else {
            format!("answer to {}: **ok**", inbound.text)
        };
        Ok(Reply {
            text,
            conversation_id: inbound.conversation_id.clone().unwrap_or_default(),
            refused: false,
            refusal_category: None,
            tool_calls: Vec::new(),
        })
    }

    async fn reject(&self, inbound: Inbound, rejection: Rejection) -> Result<(), ChatError> {
        self.rejected.lock().unwrap().push((inbound, rejection));
        Ok(())
    }
}

/// A bot account with its own store directory, started and stopped at will.
pub struct BotAccount {
    pub account: Account,
    pub homeserver: String,
    pub store: tempfile::TempDir,
}

impl BotAccount {
    pub async fn new(homeserver: &str, secret: &str) -> Self {
        Self {
            account: register(homeserver, secret, &unique("bot"), false).await,
            homeserver: homeserver.to_owned(),
            store: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn user_id(&self) -> &UserId {
        &self.account.user_id
    }

    pub fn store_path(&self) -> PathBuf {
        self.store.path().join("matrix")
    }

    /// A password login that admits `allowed_users` everywhere.
    pub fn config(&self, allowed_users: &[&UserId]) -> Config {
        Config {
            homeserver: self.homeserver.clone(),
            user: self.account.localpart.clone(),
            password: Some(Secret::from(self.account.password.clone())),
            access_token: None,
            device_name: "homelab test bot".into(),
            store_path: self.store_path(),
            // The store's key derivation takes seconds in a debug build; the restart test sets one.
            store_passphrase: None,
            allowed_users: allowed_users.iter().map(|u| u.to_string()).collect(),
            allowed_rooms: Vec::new(),
            command_prefix: "!".into(),
            rate_limit: RateLimit {
                requests: 100,
                window: Duration::from_secs(60),
            },
            notify_rooms: Vec::new(),
        }
    }
}

/// A running bot; `stop` shuts it down and returns what `run` returned.
pub struct RunningBot {
    pub handler: Arc<Recorder>,
    pub notices: mpsc::Sender<String>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), Error>>>,
}

impl RunningBot {
    pub fn start(config: Config) -> Self {
        // RUST_LOG=homelab_matrix=debug shows what the bot did when a test fails.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .try_init();
        let handler = Arc::new(Recorder::default());
        let (notices, notices_rx) = mpsc::channel(8);
        let (shutdown, shutdown_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(homelab_matrix::run(
            config,
            handler.clone(),
            Some(notices_rx),
            async move {
                let _ = shutdown_rx.await;
            },
        ));
        Self {
            handler,
            notices,
            shutdown: Some(shutdown),
            task: Some(task),
        }
    }

    pub async fn stop(mut self) -> Result<(), Error> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let task = self.task.take().expect("running");
        tokio::time::timeout(PATIENCE, task)
            .await
            .expect("the bot stops in time")
            .expect("the bot task did not panic")
    }

    /// Fails the test at once if the bot has already stopped with an error.
    pub fn assert_running(&self) {
        if let Some(task) = &self.task {
            assert!(!task.is_finished(), "the bot stopped early");
        }
    }
}

impl Drop for RunningBot {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// The device ID recorded in a bot's `session.json`.
pub fn stored_device_id(store: &Path) -> String {
    let text = std::fs::read_to_string(store.join("session.json")).expect("session.json");
    let json: Value = serde_json::from_str(&text).expect("session JSON");
    json["device_id"].as_str().expect("device_id").to_owned()
}
