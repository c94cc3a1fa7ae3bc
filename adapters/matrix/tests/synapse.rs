//! The bot against a real Synapse (scripts/synapse-fixture.sh): people are matrix-sdk clients
//! with their own crypto stores, so invites, replies, threads and encryption are the real thing.

#![recursion_limit = "256"]

mod common;

use std::time::Duration;

use common::{BotAccount, BotConfig, Human, RunningBot, fixture, register, unique, wait_joined};
use homelab_port::{Command, Platform, Rejection};
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::events::room::message::{
    AddMentions, ReplacementMetadata, ReplyMetadata, ReplyWithinThread, RoomMessageEventContent,
};

fn text(body: &str) -> RoomMessageEventContent {
    RoomMessageEventContent::text_plain(body)
}

/// Long enough for a reply that should not come to have come.
const QUIET: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_and_mentions_in_a_room_get_threaded_notice_replies() {
    let Some((hs, secret)) = fixture() else {
        return;
    };
    let bot = BotAccount::new(&hs, &secret).await;
    let alice = Human::new(&hs, &secret, "alice").await;
    let carol = Human::new(&hs, &secret, "carol").await;
    let running = RunningBot::start(bot.config(&[alice.user_id(), carol.user_id()]));

    // Three members, so only prefixed or addressed messages are for the bot.
    let room = alice
        .create_room(&[bot.user_id(), carol.user_id()], false)
        .await;
    carol.join(room.room_id()).await;
    wait_joined(&alice, room.room_id(), bot.user_id()).await;
    wait_joined(&alice, room.room_id(), carol.user_id()).await;

    let chatter = room
        .send(text("hello everyone"))
        .await
        .unwrap()
        .response
        .event_id;
    let status = room.send(text("!status")).await.unwrap().response.event_id;
    let reply = alice.reply_to(bot.user_id(), &status).await;
    assert!(reply.is_notice, "{reply:?}");
    assert_eq!(reply.body, "answer to /status: **ok**");
    let html = reply.formatted_body.as_deref().unwrap_or_default();
    assert!(html.contains("<strong>ok</strong>"), "{html}");
    assert!(!reply.encrypted);

    let mention = text(&format!("{}: what's the CPU usage?", bot.account.localpart))
        .add_mentions(Mentions::with_user_ids([bot.user_id().to_owned()]));
    let mention = room.send(mention).await.unwrap().response.event_id;
    let reply = alice.reply_to(bot.user_id(), &mention).await;
    assert_eq!(reply.body, "answer to what's the CPU usage?: **ok**");

    // Editing a message into a command does not make it one: edits are never answered.
    let edit = text("!disk").make_replacement(ReplacementMetadata::new(chatter.clone(), None));
    let edit = room.send(edit).await.unwrap().response.event_id;

    // A reply to someone else that does not mention the bot is not for the bot.
    let aside =
        text("not for the bot").add_mentions(Mentions::with_user_ids([carol.user_id().to_owned()]));
    let aside = room.send(aside).await.unwrap().response.event_id;

    // A command inside a thread is answered inside that thread, in a conversation of its own.
    let in_thread = text("!containers all").make_for_thread(
        ReplyMetadata::new(&status, alice.user_id(), None),
        ReplyWithinThread::No,
        AddMentions::No,
    );
    let in_thread = room.send(in_thread).await.unwrap().response.event_id;
    let reply = alice.reply_to(bot.user_id(), &in_thread).await;
    assert_eq!(reply.thread_root.as_ref(), Some(&status), "{reply:?}");

    tokio::time::sleep(QUIET).await;
    running.assert_running();
    for ignored in [&chatter, &edit, &aside] {
        let replies = alice.seen_where(|s| s.in_reply_to.as_ref() == Some(ignored));
        assert!(replies.is_empty(), "answered {ignored}: {replies:?}");
    }
    let handled = running.handler.handled();
    assert_eq!(handled.len(), 3, "{handled:#?}");
    let room_id = room.room_id().to_string();
    assert_eq!(handled[0].command, Some(Command::Status));
    assert_eq!(handled[0].origin.platform, Platform::Matrix);
    assert_eq!(handled[0].origin.user_id, alice.user_id().as_str());
    assert_eq!(
        handled[0].origin.channel_id.as_deref(),
        Some(room_id.as_str())
    );
    assert_eq!(
        handled[0].conversation_id.as_deref(),
        Some(format!("matrix:{room_id}").as_str())
    );
    assert_eq!(handled[1].command, None);
    assert_eq!(handled[1].text, "what's the CPU usage?");
    assert_eq!(handled[2].command, Some(Command::Containers { all: true }));
    assert_eq!(
        handled[2].conversation_id.as_deref(),
        Some(format!("matrix:{room_id}:{status}").as_str())
    );
    assert!(running.handler.rejected().is_empty());
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dm_invite_from_an_allowed_user_is_joined_and_every_message_answered() {
    let Some((hs, secret)) = fixture() else {
        return;
    };
    let bot = BotAccount::new(&hs, &secret).await;
    let alice = Human::new(&hs, &secret, "alice").await;
    let running = RunningBot::start(bot.config(&[alice.user_id()]));

    // matrix-sdk's DMs are encrypted, as Element's are.
    let dm = alice.client.create_dm(bot.user_id()).await.unwrap();
    wait_joined(&alice, dm.room_id(), bot.user_id()).await;
    let question = dm
        .send(text("what's the CPU usage?"))
        .await
        .unwrap()
        .response
        .event_id;
    let reply = alice.reply_to(bot.user_id(), &question).await;
    assert_eq!(reply.body, "answer to what's the CPU usage?: **ok**");
    assert!(reply.encrypted, "the DM answer was not encrypted");

    // A long answer arrives as several notices, each a reply to the question, nothing lost.
    let long = dm
        .send(text("give me a long answer"))
        .await
        .unwrap()
        .response
        .event_id;
    let expected = common::long_answer();
    let deadline = tokio::time::Instant::now() + common::PATIENCE;
    let pieces = loop {
        let pieces = alice.seen_where(|s| s.in_reply_to.as_ref() == Some(&long));
        let words: usize = pieces
            .iter()
            .map(|p| p.body.split_whitespace().count())
            .sum();
        if words >= expected.split_whitespace().count() {
            break pieces;
        }
        assert!(tokio::time::Instant::now() < deadline, "{pieces:#?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(pieces.len() >= 3, "{} pieces", pieces.len());
    assert!(pieces.iter().all(|p| p.is_notice && p.body.len() <= 12_000));
    let joined: Vec<&str> = pieces.iter().map(|p| p.body.as_str()).collect();
    assert_eq!(joined.join("\n\n"), expected);

    // A failing core is reported in its safe words; its detail stays in the logs.
    let broken = dm
        .send(text("break something"))
        .await
        .unwrap()
        .response
        .event_id;
    let reply = alice.reply_to(bot.user_id(), &broken).await;
    assert_eq!(
        reply.body,
        homelab_port::ChatError::Internal(String::new()).to_string()
    );
    assert!(!reply.body.contains("sk-secret"), "{reply:?}");

    let handled = running.handler.handled();
    assert_eq!(handled.len(), 3);
    assert_eq!(handled[0].text, "what's the CPU usage?");
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_room_is_decrypted_and_answered_encrypted() {
    let Some((hs, secret)) = fixture() else {
        return;
    };
    let bot = BotAccount::new(&hs, &secret).await;
    let alice = Human::new(&hs, &secret, "alice").await;
    let carol = Human::new(&hs, &secret, "carol").await;
    let running = RunningBot::start(bot.config(&[alice.user_id()]));

    let room = alice
        .create_room(&[bot.user_id(), carol.user_id()], true)
        .await;
    carol.join(room.room_id()).await;
    wait_joined(&alice, room.room_id(), bot.user_id()).await;
    wait_joined(&alice, room.room_id(), carol.user_id()).await;
    assert!(room.latest_encryption_state().await.unwrap().is_encrypted());

    let status = room.send(text("!status")).await.unwrap().response.event_id;
    let reply = alice.reply_to(bot.user_id(), &status).await;
    assert!(reply.encrypted, "the answer was not encrypted: {reply:?}");
    assert!(reply.is_notice);
    assert_eq!(reply.body, "answer to /status: **ok**");
    // Carol, another member, can read the answer too: the bot shared its room key with her.
    let seen_by_carol = carol
        .wait_for("carol decrypts the answer", |s| {
            s.sender == bot.user_id() && s.in_reply_to.as_ref() == Some(&status)
        })
        .await;
    assert!(seen_by_carol.encrypted);
    assert_eq!(seen_by_carol.body, reply.body);
    assert_eq!(running.handler.handled().len(), 1);
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_not_allowed_gets_one_notice_and_nothing_runs() {
    let Some((hs, secret)) = fixture() else {
        return;
    };
    let bot = BotAccount::new(&hs, &secret).await;
    let alice = Human::new(&hs, &secret, "alice").await;
    let mallory = Human::new(&hs, &secret, "mallory").await;
    let running = RunningBot::start(bot.config(&[alice.user_id()]));

    let room = alice
        .create_room(&[bot.user_id(), mallory.user_id()], false)
        .await;
    mallory.join(room.room_id()).await;
    wait_joined(&alice, room.room_id(), bot.user_id()).await;
    wait_joined(&mallory, room.room_id(), mallory.user_id()).await;
    let mallory_room = mallory.client.get_room(room.room_id()).unwrap();

    let attempt = mallory_room
        .send(text("!logs plex 50"))
        .await
        .unwrap()
        .response
        .event_id;
    let notice = mallory.reply_to(bot.user_id(), &attempt).await;
    assert!(notice.is_notice);
    assert_eq!(
        notice.body,
        Rejection::Unauthorized.user_message(),
        "{notice:?}"
    );

    // Mallory's own invite is ignored.
    let own_room = mallory.create_room(&[bot.user_id()], false).await;

    // An allowed user's request afterwards proves the bot is still there and did not answer
    // Mallory twice in the meantime.
    let status = room.send(text("!status")).await.unwrap().response.event_id;
    alice.reply_to(bot.user_id(), &status).await;
    tokio::time::sleep(QUIET).await;
    let notices = mallory.seen_where(|s| s.in_reply_to.as_ref() == Some(&attempt));
    assert_eq!(notices.len(), 1, "{notices:#?}");

    let handled = running.handler.handled();
    assert_eq!(handled.len(), 1, "{handled:#?}");
    assert_eq!(handled[0].origin.user_id, alice.user_id().as_str());
    let rejected = running.handler.rejected();
    assert_eq!(rejected.len(), 1, "{rejected:#?}");
    assert_eq!(rejected[0].1, Rejection::Unauthorized);
    assert_eq!(rejected[0].0.origin.user_id, mallory.user_id().as_str());
    assert_eq!(
        rejected[0].0.command,
        Some(Command::Logs {
            name: "plex".into(),
            lines: Some(50),
            since: None
        })
    );
    let own_room = mallory.client.get_room(own_room.room_id()).unwrap();
    let bot_member = own_room.get_member(bot.user_id()).await.unwrap().unwrap();
    assert_eq!(
        *bot_member.membership(),
        matrix_sdk::ruma::events::room::member::MembershipState::Invite,
        "the bot joined a stranger's room"
    );
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_rate_limit_a_user_is_told_when_to_retry() {
    let Some((hs, secret)) = fixture() else {
        return;
    };
    let bot = BotAccount::new(&hs, &secret).await;
    let alice = Human::new(&hs, &secret, "alice").await;
    let mut config = bot.config(&[alice.user_id()]);
    config.rate_limit = homelab_matrix::RateLimit {
        requests: 1,
        window: Duration::from_secs(3600),
    };
    let running = RunningBot::start(config);

    let room = alice.create_room(&[bot.user_id()], false).await;
    wait_joined(&alice, room.room_id(), bot.user_id()).await;
    let first = room.send(text("!disk")).await.unwrap().response.event_id;
    alice.reply_to(bot.user_id(), &first).await;
    let second = room.send(text("!disk")).await.unwrap().response.event_id;
    let notice = alice.reply_to(bot.user_id(), &second).await;
    assert!(notice.body.starts_with("Too many requests"), "{notice:?}");

    assert_eq!(running.handler.handled().len(), 1);
    let rejected = running.handler.rejected();
    assert_eq!(rejected.len(), 1);
    match rejected[0].1 {
        Rejection::RateLimited { retry_after_secs } => {
            assert!((1..=3600).contains(&retry_after_secs), "{retry_after_secs}");
        }
        ref other => panic!("{other:?}"),
    }
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_the_device_and_skips_what_was_said_meanwhile() {
    let Some((hs, secret)) = fixture() else {
        return;
    };
    let admin = register(&hs, &secret, &unique("admin"), true).await;
    let bot = BotAccount::new(&hs, &secret).await;
    let alice = Human::new(&hs, &secret, "alice").await;

    // Registration itself made a device (for the token it returned); the bot must add one.
    let registration_devices = common::devices_of(&hs, &admin, bot.user_id()).await;
    let encrypted_store = |mut config: homelab_matrix::Config| {
        config.store_passphrase = Some("test passphrase".to_owned().into());
        config
    };
    let first_run = RunningBot::start(encrypted_store(bot.config(&[alice.user_id()])));
    let room = alice.create_room(&[bot.user_id()], true).await;
    wait_joined(&alice, room.room_id(), bot.user_id()).await;
    let before = room.send(text("!status")).await.unwrap().response.event_id;
    alice.reply_to(bot.user_id(), &before).await;
    first_run.stop().await.unwrap();
    let device = common::stored_device_id(&bot.store_path());
    let mut devices = common::devices_of(&hs, &admin, bot.user_id()).await;
    assert!(devices.contains(&device), "{devices:?} lacks {device}");
    assert_eq!(devices.len(), registration_devices.len() + 1, "{devices:?}");
    devices.sort();

    // Said while the bot is down: must not be answered after the restart.
    let missed = room.send(text("!disk")).await.unwrap().response.event_id;

    // The password is gone: only the stored session can log the bot in now.
    let mut config = encrypted_store(bot.config(&[alice.user_id()]));
    config.password = None;
    let second_run = RunningBot::start(config);
    // A new invite is the sign that the restarted bot is listening.
    let probe = alice.create_room(&[bot.user_id()], false).await;
    wait_joined(&alice, probe.room_id(), bot.user_id()).await;
    let after = room.send(text("!alerts")).await.unwrap().response.event_id;
    let reply = alice.reply_to(bot.user_id(), &after).await;
    assert!(reply.encrypted, "the restored device could not encrypt");
    assert_eq!(reply.body, "answer to /alerts: **ok**");
    tokio::time::sleep(QUIET).await;

    assert_eq!(common::stored_device_id(&bot.store_path()), device);
    let mut devices_after = common::devices_of(&hs, &admin, bot.user_id()).await;
    devices_after.sort();
    assert_eq!(devices_after, devices, "the restart created another device");
    let missed_replies = alice.seen_where(|s| s.in_reply_to.as_ref() == Some(&missed));
    assert!(missed_replies.is_empty(), "{missed_replies:?}");
    let handled = second_run.handler.handled();
    assert_eq!(handled.len(), 1, "{handled:#?}");
    assert_eq!(handled[0].command, Some(Command::Alerts));
    second_run.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_from_before_the_start_is_not_answered_when_the_bot_joins_later() {
    let Some((hs, secret)) = fixture() else {
        return;
    };
    let bot = BotAccount::new(&hs, &secret).await;
    let alice = Human::new(&hs, &secret, "alice").await;
    // Said in the room before the bot ever ran; the join hands it to the bot as recent history.
    let room = alice.create_room(&[], false).await;
    let old = room.send(text("!status")).await.unwrap().response.event_id;
    tokio::time::sleep(Duration::from_millis(50)).await;

    let running = RunningBot::start(bot.config(&[alice.user_id()]));
    // A DM invite shows the bot is listening, then the old room's invite follows.
    let probe = alice.create_room(&[bot.user_id()], false).await;
    wait_joined(&alice, probe.room_id(), bot.user_id()).await;
    room.invite_user_by_id(bot.user_id()).await.unwrap();
    wait_joined(&alice, room.room_id(), bot.user_id()).await;
    let new = room.send(text("!disk")).await.unwrap().response.event_id;
    alice.reply_to(bot.user_id(), &new).await;
    tokio::time::sleep(QUIET).await;

    let old_replies = alice.seen_where(|s| s.in_reply_to.as_ref() == Some(&old));
    assert!(old_replies.is_empty(), "{old_replies:?}");
    let handled = running.handler.handled();
    assert_eq!(handled.len(), 1, "{handled:#?}");
    assert_eq!(handled[0].command, Some(Command::Disk));
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_token_logs_in_and_notices_reach_the_notify_room() {
    let Some((hs, secret)) = fixture() else {
        return;
    };
    let bot = BotAccount::new(&hs, &secret).await;
    let alice = Human::new(&hs, &secret, "alice").await;
    let alerts = alice.create_room(&[bot.user_id()], false).await;

    let mut config = bot.config(&[alice.user_id()]);
    config.password = None;
    config.access_token = Some(bot.account.access_token.clone().into());
    config.notify_rooms = vec![alerts.room_id().to_string()];
    let running = RunningBot::start(config);
    // Joining the notify room (from the pending invite) shows the bot is up.
    wait_joined(&alice, alerts.room_id(), bot.user_id()).await;
    running
        .notices
        .send("**disk** /mnt/tank is 95 % full".into())
        .await
        .unwrap();
    let notice = alice
        .wait_for("the alert notice", |s| {
            s.sender == bot.user_id() && s.room_id == alerts.room_id()
        })
        .await;
    assert!(notice.is_notice);
    assert_eq!(notice.body, "**disk** /mnt/tank is 95 % full");
    assert!(
        notice
            .formatted_body
            .unwrap_or_default()
            .contains("<strong>disk</strong>")
    );
    assert!(running.handler.handled().is_empty());

    // A keyed notice, then one that replaces it: the second is an `m.replace` edit of the first.
    running
        .notices
        .send(homelab_port::Notice::keyed(
            "am:fp1",
            "🔴 **critical** — HostDown",
        ))
        .await
        .unwrap();
    let firing = alice
        .wait_for("the keyed notice", |s| {
            s.sender == bot.user_id() && s.body.contains("HostDown") && s.replaces.is_none()
        })
        .await;
    running
        .notices
        .send(homelab_port::Notice::replacing(
            "am:fp1",
            "✅ **resolved** — HostDown",
        ))
        .await
        .unwrap();
    let edit = alice
        .wait_for("the edit", |s| {
            s.sender == bot.user_id() && s.replaces.is_some()
        })
        .await;
    let (replaced, shown) = edit.replaces.clone().unwrap();
    assert_eq!(replaced, firing.event_id);
    assert_eq!(shown, "✅ **resolved** — HostDown");
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_allow_list_resolves_aliases_and_admits_only_those_rooms() {
    let Some((hs, secret)) = fixture() else {
        return;
    };
    let bot = BotAccount::new(&hs, &secret).await;
    let alice = Human::new(&hs, &secret, "alice").await;
    let alias = unique("ops");
    let ops = alice.create_public_room(&alias).await;

    let mut config = bot.config(&[]);
    config.allowed_rooms = vec![format!("#{alias}:localhost")];
    let running = RunningBot::start(config);
    // The bot joins its configured room by itself.
    wait_joined(&alice, ops.room_id(), bot.user_id()).await;
    let status = ops.send(text("!status")).await.unwrap().response.event_id;
    let reply = alice.reply_to(bot.user_id(), &status).await;
    assert_eq!(reply.body, "answer to /status: **ok**");

    // Any other room is off the list, even when an otherwise welcome user invites the bot.
    let elsewhere = alice.create_room(&[bot.user_id()], false).await;
    tokio::time::sleep(QUIET).await;
    let member = elsewhere.get_member(bot.user_id()).await.unwrap().unwrap();
    assert_eq!(
        *member.membership(),
        matrix_sdk::ruma::events::room::member::MembershipState::Invite,
        "the bot joined a room that is not on its list"
    );
    assert_eq!(running.handler.handled().len(), 1);
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_is_honoured_while_the_homeserver_does_not_answer() {
    // Needs no fixture: a socket that accepts connections (the kernel does, unasked) and never
    // answers, so the login waits on matrix-sdk's request timeout and retries.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let store = tempfile::tempdir().unwrap();
    let config = homelab_matrix::Config {
        homeserver: Some(format!("http://{}", silent.local_addr().unwrap())),
        user: Some("bot".into()),
        password: Some("pw".to_owned().into()),
        store_path: Some(store.path().join("matrix")),
        allowed_users: vec!["@me:localhost".into()],
        ..homelab_matrix::Config::default()
    };
    let running = RunningBot::start(config);
    tokio::time::sleep(Duration::from_secs(2)).await;
    running.assert_running();
    let stopped = tokio::time::timeout(Duration::from_secs(5), running.stop())
        .await
        .expect("the bot ignored the stop while logging in");
    assert!(stopped.is_ok(), "{stopped:?}");
    drop(silent);
}

#[tokio::test]
async fn without_any_allow_list_the_bot_does_not_start() {
    // No homeserver is contacted: validation fails first.
    let config = homelab_matrix::Config {
        homeserver: Some("http://127.0.0.1:9".into()),
        user: Some("bot".into()),
        password: Some("pw".to_owned().into()),
        store_path: Some(std::env::temp_dir().join(unique("never-created"))),
        ..homelab_matrix::Config::default()
    };
    let running = RunningBot::start(config.clone());
    let err = running.stop().await.unwrap_err();
    assert!(
        matches!(err, homelab_matrix::Error::InvalidConfig(_)),
        "{err}"
    );
    assert!(!config.store_path.unwrap().exists());
}
