//! The Matrix acceptance at the binary level: `homelab-assistant serve` with the `MATRIX_*` names
//! and `HOMELAB_MATRIX__ALLOWED_USERS`, against a real Synapse (scripts/synapse-fixture.sh), with
//! people played by matrix-sdk clients that have their own crypto stores — so the invite, the
//! real core's answers, the encryption and the audit log are all the real thing.
//!
//! Without HOMELAB_TEST_MATRIX_HOMESERVER / _SHARED_SECRET the test is skipped with a note, and
//! fails under CI, which must run it.
#![cfg(feature = "matrix")]
#![allow(clippy::disallowed_methods)] // The test spawns the binary under test and signals it.
#![recursion_limit = "256"]

mod support {
    pub mod serve_process;
}

use std::time::Duration;

use homelab_port::Rejection;
use homelab_test_support::synapse::{BotAccount, Human, PATIENCE, fixture, wait_joined};
use matrix_sdk::Room;
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::events::room::member::MembershipState;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
use serde_json::{Value, json};
use support::serve_process::Serve;

/// Generous: a debug build logging in, setting up its crypto store and syncing on two cores.
const STARTUP: Duration = Duration::from_secs(90);
/// Long enough for a reply or a join that should not come to have come.
const QUIET: Duration = Duration::from_secs(3);

fn text(body: &str) -> RoomMessageEventContent {
    RoomMessageEventContent::text_plain(body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_joins_answers_in_plain_and_encrypted_rooms_and_runs_nothing_for_strangers() {
    let Some((hs, secret)) = fixture() else {
        return;
    };
    let bot = BotAccount::new(&hs, &secret).await;
    let alice = Human::new(&hs, &secret, "alice").await;
    let mallory = Human::new(&hs, &secret, "mallory").await;
    let dir = tempfile::tempdir().unwrap();
    let missing_docker = format!("unix://{}/no-docker.sock", dir.path().display());
    let password_file = dir.path().join("matrix.password");
    std::fs::write(&password_file, format!("{}\n", bot.account.password)).unwrap();
    let mut serve = Serve::start(
        dir.path(),
        &[
            ("MATRIX_HOMESERVER", hs.clone()),
            ("MATRIX_USER", bot.user_id().to_string()),
            // The password from a file, as deploy/.env.example documents it.
            ("MATRIX_PASSWORD_FILE", password_file.display().to_string()),
            (
                "HOMELAB_MATRIX__ALLOWED_USERS",
                format!("[\"{}\"]", alice.user_id()),
            ),
            (
                "HOMELAB_MATRIX__STORE_PATH",
                bot.store_path().display().to_string(),
            ),
            ("DOCKER_HOST", missing_docker),
        ],
    );
    serve.wait_for_log("matrix bot is answering", STARTUP).await;

    // An unencrypted and an encrypted room, each alice's invite, each joined; in both, the
    // command and the plain question are answered by the real core in threaded notices.
    let plain = alice.create_room(&[bot.user_id()], false).await;
    let encrypted = alice.create_room(&[bot.user_id()], true).await;
    wait_joined(&alice, plain.room_id(), bot.user_id()).await;
    wait_joined(&alice, encrypted.room_id(), bot.user_id()).await;
    assert!(
        encrypted
            .latest_encryption_state()
            .await
            .unwrap()
            .is_encrypted()
    );
    assert!(
        !plain
            .latest_encryption_state()
            .await
            .unwrap()
            .is_encrypted()
    );
    for room in [&plain, &encrypted] {
        let is_encrypted = room.room_id() == encrypted.room_id();
        let status = ask(room, "!status").await;
        let reply = alice.reply_to(bot.user_id(), &status).await;
        assert!(reply.is_notice, "{reply:?}");
        assert_eq!(reply.encrypted, is_encrypted, "{reply:?}");
        assert!(
            reply.body.contains("CPU:") && reply.body.contains("Memory:"),
            "{reply:?}"
        );
        assert!(reply.formatted_body.is_some(), "rendered from Markdown");

        let question = ask(room, "what's the CPU usage?").await;
        let reply = alice.reply_to(bot.user_id(), &question).await;
        assert!(reply.is_notice, "{reply:?}");
        assert_eq!(reply.encrypted, is_encrypted, "{reply:?}");
        assert!(reply.body.contains("CPU usage is"), "{reply:?}");
    }

    // Mallory, in a room with the bot but not on the list: a command and an addressed question
    // each get one "not authorized" notice, and nothing runs.
    let shared = alice
        .create_room(&[bot.user_id(), mallory.user_id()], false)
        .await;
    mallory.join(shared.room_id()).await;
    wait_joined(&alice, shared.room_id(), bot.user_id()).await;
    wait_joined(&mallory, shared.room_id(), mallory.user_id()).await;
    let mallory_room = mallory.client.get_room(shared.room_id()).unwrap();
    let command = ask(&mallory_room, "!containers all").await;
    let addressed = text(&format!("{}: what's the CPU usage?", bot.account.localpart))
        .add_mentions(Mentions::with_user_ids([bot.user_id().to_owned()]));
    let addressed = mallory_room
        .send(addressed)
        .await
        .unwrap()
        .response
        .event_id;
    for attempt in [&command, &addressed] {
        let notice = mallory.reply_to(bot.user_id(), attempt).await;
        assert!(notice.is_notice, "{notice:?}");
        assert_eq!(notice.body, Rejection::Unauthorized.user_message());
    }
    // Mallory's own invite is left alone.
    let own = mallory.create_room(&[bot.user_id()], false).await;

    let audit = serve.wait_for_audit(6, PATIENCE).await;
    tokio::time::sleep(QUIET).await;
    let audit_now = serve.audit();
    assert_eq!(audit_now.len(), 6, "{audit_now:#?}");
    for attempt in [&command, &addressed] {
        let notices = mallory.seen_where(|s| s.in_reply_to.as_ref() == Some(attempt));
        assert_eq!(notices.len(), 1, "{notices:#?}");
    }
    let bot_in_own = mallory
        .client
        .get_room(own.room_id())
        .unwrap()
        .get_member(bot.user_id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        *bot_in_own.membership(),
        MembershipState::Invite,
        "the bot joined a stranger's room"
    );

    // Every request addressed to the bot left one entry: alice's four answered with their tools,
    // mallory's two unauthorized with none.
    assert!(
        audit.iter().all(|e| e["platform"] == "matrix"),
        "{audit:#?}"
    );
    let by =
        |user: &str| -> Vec<&Value> { audit.iter().filter(|e| e["user_id"] == user).collect() };
    let answered = by(alice.user_id().as_str());
    assert_eq!(answered.len(), 4, "{audit:#?}");
    for (room, entries) in [(&plain, &answered[..2]), (&encrypted, &answered[2..])] {
        let room_id = room.room_id().as_str();
        let tools: Vec<&Value> = entries
            .iter()
            .map(|e| &e["tool_calls"][0]["name"])
            .collect();
        assert_eq!(tools, [&json!("system_overview"), &json!("cpu_usage")]);
        for entry in entries {
            assert_eq!(entry["outcome"], "answered", "{entry:#}");
            assert_eq!(entry["channel_id"], room_id, "{entry:#}");
            assert_eq!(entry["tool_calls"][0]["ok"], true, "{entry:#}");
        }
        assert_eq!(entries[1]["user_message"], "what's the CPU usage?");
    }
    let refused = by(mallory.user_id().as_str());
    assert_eq!(refused.len(), 2, "{audit:#?}");
    for entry in refused {
        assert_eq!(entry["outcome"], "unauthorized", "{entry:#}");
        assert_eq!(entry["tool_calls"], json!([]), "{entry:#}");
        assert_eq!(entry["channel_id"], shared.room_id().as_str());
    }

    let status = serve.terminate(PATIENCE).await;
    assert!(status.success(), "{status}; log:\n{}", serve.log());
    assert_eq!(
        serve.audit().len(),
        6,
        "nothing more was audited at shutdown"
    );
    let log = serve.log();
    assert!(
        !log.contains(&bot.account.password),
        "the password reached the log:\n{log}"
    );
    assert!(
        bot.store_path().join("session.json").is_file(),
        "the session was stored in HOMELAB_MATRIX__STORE_PATH"
    );
}

/// Sends `body` as a text message and returns its event ID.
async fn ask(room: &Room, body: &str) -> matrix_sdk::ruma::OwnedEventId {
    room.send(text(body)).await.unwrap().response.event_id
}

/// The access token and the store passphrase from files: the bot signs in with the token (no
/// password anywhere), and the store it makes can only be opened with that passphrase.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_signs_in_with_an_access_token_and_a_store_passphrase_from_files() {
    let Some((hs, secret)) = fixture() else {
        return;
    };
    let bot = BotAccount::new(&hs, &secret).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("matrix.token");
    std::fs::write(&token_file, format!("{}\n", bot.account.access_token)).unwrap();
    let passphrase_file = dir.path().join("matrix.passphrase");
    std::fs::write(&passphrase_file, "store-passphrase-from-file\n").unwrap();
    let env = |with_passphrase: bool| {
        let mut env = vec![
            ("MATRIX_HOMESERVER", hs.clone()),
            ("MATRIX_USER", bot.user_id().to_string()),
            ("MATRIX_ACCESS_TOKEN_FILE", token_file.display().to_string()),
            (
                "HOMELAB_MATRIX__ALLOWED_USERS",
                "[\"@nobody:example.org\"]".to_owned(),
            ),
            (
                "HOMELAB_MATRIX__STORE_PATH",
                bot.store_path().display().to_string(),
            ),
            ("HOMELAB_DOCKER__ENABLED", "false".to_owned()),
        ];
        if with_passphrase {
            env.push((
                "HOMELAB_MATRIX__STORE_PASSPHRASE_FILE",
                passphrase_file.display().to_string(),
            ));
        }
        env
    };
    let mut serve = Serve::start(dir.path(), &env(true));
    serve.wait_for_log("matrix bot is answering", STARTUP).await;
    assert!(serve.terminate(STARTUP).await.success());
    assert!(!serve.log().contains(&bot.account.access_token));

    // Without the passphrase the same store cannot be read: the file's passphrase was used.
    let mut again = Serve::start(dir.path(), &env(false));
    again
        .wait_for_log("another matrix.store_passphrase", STARTUP)
        .await;
    again.terminate(STARTUP).await;
}

/// Inbound webhooks through the binary to a real Synapse: an Alertmanager alert that fires is
/// posted once to the notify room, and when it resolves that message is edited (`m.replace`);
/// a bad token posts nothing. Every call is one audit line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_posts_a_webhook_alert_to_the_notify_room_and_edits_it_when_resolved() {
    let Some((hs, secret)) = fixture() else {
        return;
    };
    let bot = BotAccount::new(&hs, &secret).await;
    let alice = Human::new(&hs, &secret, "alice").await;
    let alerts = alice.create_room(&[bot.user_id()], false).await;
    let dir = tempfile::tempdir().unwrap();
    let token = "hook-token-0123456789abcdef";
    let mut serve = Serve::start(
        dir.path(),
        &[
            ("MATRIX_HOMESERVER", hs.clone()),
            ("MATRIX_USER", bot.user_id().to_string()),
            ("MATRIX_PASSWORD", bot.account.password.clone()),
            (
                "HOMELAB_MATRIX__ALLOWED_USERS",
                format!("[\"{}\"]", alice.user_id()),
            ),
            (
                "HOMELAB_MATRIX__NOTIFY_ROOMS",
                format!("[\"{}\"]", alerts.room_id()),
            ),
            (
                "HOMELAB_MATRIX__STORE_PATH",
                bot.store_path().display().to_string(),
            ),
            ("HOMELAB_HTTP__ENABLED", "true".to_owned()),
            ("HOMELAB_HTTP__BIND", "127.0.0.1:0".to_owned()),
            ("HOMELAB_WEBHOOKS__TOKEN", token.to_owned()),
            ("HOMELAB_DOCKER__ENABLED", "false".to_owned()),
        ],
    );
    serve.wait_for_log("matrix bot is answering", STARTUP).await;
    wait_joined(&alice, alerts.room_id(), bot.user_id()).await;
    let base = serve.http_base(STARTUP).await;
    homelab_assistant::app::install_crypto_provider();
    let client = reqwest::Client::new();
    let alert = |status: &str| {
        json!({
            "version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "status": status,
            "receiver": "homelab", "groupLabels": {}, "commonLabels": {},
            "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
            "alerts": [{
                "status": status,
                "labels": {"alertname": "PoolDegraded", "pool": "tank", "severity": "warning"},
                "annotations": {"summary": "tank is DEGRADED"},
                "startsAt": "2026-12-03T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "", "fingerprint": "0badc0ffee"
            }]
        })
    };
    let bad = client
        .post(format!("{base}/hooks/alertmanager/wrong-token-0123456789"))
        .json(&alert("firing"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let fired = client
        .post(format!("{base}/hooks/alertmanager/{token}"))
        .json(&alert("firing"))
        .send()
        .await
        .unwrap();
    assert_eq!(fired.status(), 200);
    let firing = alice
        .wait_for("the alert", |s| {
            s.sender == bot.user_id() && s.body.contains("PoolDegraded")
        })
        .await;
    assert!(firing.is_notice && firing.replaces.is_none(), "{firing:?}");
    let resolved = client
        .post(format!("{base}/hooks/alertmanager"))
        .bearer_auth(token)
        .json(&alert("resolved"))
        .send()
        .await
        .unwrap();
    assert_eq!(resolved.status(), 200);
    let edit = alice
        .wait_for("the edit", |s| {
            s.sender == bot.user_id() && s.replaces.is_some()
        })
        .await;
    let (replaced, shown) = edit.replaces.clone().unwrap();
    assert_eq!(replaced, firing.event_id);
    assert!(
        shown.contains("resolved") && shown.contains("PoolDegraded"),
        "{shown}"
    );
    tokio::time::sleep(QUIET).await;
    let from_bot = alice.seen_where(|s| s.sender == bot.user_id() && s.room_id == alerts.room_id());
    assert_eq!(from_bot.len(), 2, "one message and its edit: {from_bot:#?}");
    let hooks: Vec<Value> = serve
        .audit()
        .into_iter()
        .filter(|e| e["platform"] == "webhook")
        .collect();
    assert_eq!(hooks.len(), 3, "{hooks:#?}");

    // `!graph cpu 1h` in the room: the answer's text, then the chart uploaded as `m.image`.
    alerts.send(text("!graph cpu 1h")).await.unwrap();
    let image = alice
        .wait_for("the chart", |s| {
            s.sender == bot.user_id() && s.body == "cpu-1h.png"
        })
        .await;
    assert!(!image.is_notice, "{image:?}");
    assert_eq!(hooks[0]["outcome"], "unauthorized");
    assert!(serve.terminate(STARTUP).await.success());
}
