//! What the tests against the Synapse fixture (scripts/synapse-fixture.sh) share: its env vars,
//! users registered through Synapse's shared-secret admin API, a "human" matrix-sdk client (with
//! its own crypto store) that records what it sees, and a bot account with a store of its own.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
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

/// A client without an account, for the HTTP calls to Synapse's admin API.
async fn admin_api(homeserver: &str) -> Client {
    Client::builder()
        .homeserver_url(homeserver)
        .build()
        .await
        .expect("a client for the admin API")
}

/// Registers through `/_synapse/admin/v1/register`: fetch a nonce, then prove knowledge of the
/// shared secret with an HMAC-SHA1 over nonce, user, password and admin flag.
pub async fn register(homeserver: &str, secret: &str, localpart: &str, admin: bool) -> Account {
    let http = admin_api(homeserver).await;
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
    let http = admin_api(homeserver).await;
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
    /// For an edit (`m.replace`): the event it replaces, and the body clients now show.
    pub replaces: Option<(OwnedEventId, String)>,
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

impl std::fmt::Debug for Human {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Human")
            .field("user_id", &self.account.user_id)
            .finish_non_exhaustive()
    }
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
                    let replaces = match &ev.content.relates_to {
                        Some(Relation::Replacement(edit)) => Some((
                            edit.event_id.clone(),
                            edit.new_content.msgtype.body().to_owned(),
                        )),
                        _ => None,
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
                        replaces,
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

/// A bot's account with a store directory of its own.
#[derive(Debug)]
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
}

/// The device ID recorded in a bot's `session.json`.
pub fn stored_device_id(store: &Path) -> String {
    let text = std::fs::read_to_string(store.join("session.json")).expect("session.json");
    let json: Value = serde_json::from_str(&text).expect("session JSON");
    json["device_id"].as_str().expect("device_id").to_owned()
}
