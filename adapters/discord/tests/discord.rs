//! The bot end to end: the real serenity/poise client against the loopback fake Discord in
//! `common::fake`, from command registration through gateway events to the REST calls that answer.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::fake::{self, FakeDiscord, RestCall, Who};
use common::{Behaviour, Recorder, SECRET_DETAIL};
use homelab_discord::{Config, Error, RateLimit};
use homelab_kit::Wiring;
use homelab_port::{Command, Rejection};
use serde_json::json;
use tokio::sync::{mpsc, oneshot};

struct Bot {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), Error>>,
}

impl Bot {
    async fn start(
        fake: &FakeDiscord,
        config: Config,
        recorder: &Arc<Recorder>,
        notices: Option<mpsc::Receiver<homelab_port::Notice>>,
    ) -> Self {
        common::trace();
        let (stop, stopped) = oneshot::channel::<()>();
        let wiring = Wiring::new(recorder.as_handler(), notices, async move {
            let _ = stopped.await;
        });
        let task = tokio::spawn(homelab_discord::run(config, wiring));
        fake.wait_ready().await;
        Self { stop, task }
    }

    /// Signals shutdown and expects `run` to return `Ok` promptly.
    async fn stop(self) {
        self.stop.send(()).unwrap();
        let result = tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("run did not return after shutdown")
            .expect("run panicked");
        result.expect("run failed");
    }
}

fn status_options() -> serde_json::Value {
    json!([])
}

/// The interaction's calls once its answer is complete: `n` webhook calls after the callback.
async fn answered(fake: &FakeDiscord, token: &str, webhook_calls: usize) -> Vec<RestCall> {
    fake.wait_for("the interaction's answer", |fake| {
        let calls = fake.calls_for(token);
        (calls.len() > webhook_calls).then_some(calls)
    })
    .await
}

#[tokio::test]
async fn an_allowed_status_is_deferred_then_edited_in() {
    let fake = FakeDiscord::start().await;
    let recorder = Recorder::new(Behaviour::Echo);
    let bot = Bot::start(&fake, common::config(&fake), &recorder, None).await;

    // Registered per configured guild, all eight commands, before the gateway connected.
    let registered: Vec<_> = fake
        .calls()
        .into_iter()
        .filter(|c| c.method == "PUT")
        .collect();
    assert_eq!(registered.len(), 1);
    assert_eq!(
        registered[0].path,
        format!(
            "/applications/{}/guilds/{}/commands",
            fake::APP_ID,
            fake::GUILD
        )
    );
    let names: Vec<String> = fake
        .commands()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
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
    // No privileged or message intents for slash commands alone.
    assert_eq!(fake.identify().unwrap()["intents"], 0);

    let token = fake.slash(
        &Who::in_guild(fake::ALLOWED_USER),
        "status",
        status_options(),
    );
    let calls = answered(&fake, &token, 1).await;
    assert_eq!(calls.len(), 2, "{calls:#?}");
    assert_eq!(calls[0].method, "POST");
    assert!(calls[0].path.ends_with("/callback"));
    assert_eq!(calls[0].body["type"], 5, "a deferred channel message");
    assert_eq!(calls[0].status, 204);
    assert_eq!(calls[1].method, "PATCH");
    assert_eq!(
        calls[1].path,
        format!("/webhooks/{}/{token}/messages/@original", fake::APP_ID)
    );
    assert_eq!(calls[1].status, 200);
    assert_eq!(calls[1].body["content"], "echo: /status");
    // Answers never ping: an explicit, empty allowed_mentions.
    assert_eq!(calls[1].body["allowed_mentions"]["parse"], json!([]));

    let handled = recorder.handled();
    assert_eq!(handled.len(), 1);
    assert_eq!(handled[0].command, Some(Command::Status));
    assert_eq!(handled[0].origin.user_id, fake::ALLOWED_USER.to_string());
    assert_eq!(
        handled[0].conversation_id,
        Some(format!("discord:{}", fake::CHANNEL))
    );
    assert!(recorder.rejected().is_empty());

    // Heartbeats keep being acknowledged, so the session never re-identifies.
    fake.wait_for("two heartbeats", |fake| {
        (fake.heartbeats() >= 2).then_some(())
    })
    .await;
    assert_eq!(fake.identifies(), 1);
    bot.stop().await;
}

#[tokio::test]
async fn ask_and_logs_reach_the_core_with_their_arguments() {
    let fake = FakeDiscord::start().await;
    let recorder = Recorder::new(Behaviour::Echo);
    let bot = Bot::start(&fake, common::config(&fake), &recorder, None).await;
    let who = Who::in_guild(fake::ALLOWED_USER);

    let token = fake.slash(
        &who,
        "ask",
        json!([{"name": "question", "type": 3, "value": "What containers are running?"}]),
    );
    let calls = answered(&fake, &token, 1).await;
    assert_eq!(
        calls[1].body["content"],
        "echo: What containers are running?"
    );

    let token = fake.slash(
        &who,
        "logs",
        json!([
            {"name": "name", "type": 3, "value": "plex"},
            {"name": "lines", "type": 4, "value": 20},
            {"name": "since", "type": 3, "value": "1h"},
        ]),
    );
    let calls = answered(&fake, &token, 1).await;
    assert_eq!(
        calls[1].body["content"],
        "echo: /logs plex lines=20 since=1h"
    );

    let token = fake.slash(
        &who,
        "containers",
        json!([{"name": "all", "type": 5, "value": true}]),
    );
    answered(&fake, &token, 1).await;

    let handled = recorder.handled();
    assert_eq!(handled.len(), 3);
    assert_eq!(handled[0].command, None, "/ask is a question for the LLM");
    assert_eq!(handled[0].text, "What containers are running?");
    assert_eq!(
        handled[1].command,
        Some(Command::Logs {
            name: "plex".into(),
            lines: Some(20),
            since: Some("1h".into()),
        })
    );
    assert_eq!(handled[2].command, Some(Command::Containers { all: true }));
    // One conversation per channel.
    assert!(
        handled
            .iter()
            .all(|i| i.conversation_id == handled[0].conversation_id)
    );
    bot.stop().await;
}

#[tokio::test]
async fn an_unauthorized_user_gets_an_ephemeral_denial_and_nothing_runs() {
    let fake = FakeDiscord::start().await;
    let recorder = Recorder::new(Behaviour::Echo);
    let bot = Bot::start(&fake, common::config(&fake), &recorder, None).await;

    let token = fake.slash(&Who::in_guild(fake::OTHER_USER), "status", status_options());
    let calls = answered(&fake, &token, 0).await;
    assert_eq!(
        calls[0].body["type"], 4,
        "an immediate message, not a deferral"
    );
    assert_eq!(calls[0].body["data"]["flags"], 64, "ephemeral");
    assert_eq!(
        calls[0].body["data"]["content"],
        Rejection::Unauthorized.user_message()
    );
    assert_eq!(calls[0].status, 204);

    // The allowed user, but in a DM while a guild list is configured: denied as well.
    let dm = Who {
        guild: None,
        channel: 42,
        roles: Vec::new(),
        ..Who::in_guild(fake::ALLOWED_USER)
    };
    let dm_token = fake.slash(&dm, "status", status_options());
    let dm_calls = answered(&fake, &dm_token, 0).await;
    assert_eq!(dm_calls[0].body["data"]["flags"], 64);

    fake.wait_for("two audit entries", |_| {
        (recorder.rejected().len() == 2).then_some(())
    })
    .await;
    // Nothing else happens for either of them.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fake.calls_for(&token).len(), 1);
    assert_eq!(fake.calls_for(&dm_token).len(), 1);
    assert!(recorder.handled().is_empty(), "handle must never run");
    let rejected = recorder.rejected();
    assert_eq!(rejected.len(), 2);
    assert_eq!(rejected[0].1, Rejection::Unauthorized);
    assert_eq!(rejected[0].0.origin.user_id, fake::OTHER_USER.to_string());
    assert_eq!(rejected[0].0.command, Some(Command::Status));
    bot.stop().await;
}

#[tokio::test]
async fn a_long_answer_continues_in_follow_ups() {
    let fake = FakeDiscord::start().await;
    let recorder = Recorder::new(Behaviour::Long(5000));
    let bot = Bot::start(&fake, common::config(&fake), &recorder, None).await;

    let token = fake.slash(
        &Who::in_guild(fake::ALLOWED_USER),
        "status",
        status_options(),
    );
    let calls = answered(&fake, &token, 3).await;
    assert_eq!(calls.len(), 4, "{calls:#?}");
    assert_eq!(calls[1].method, "PATCH");
    for follow_up in &calls[2..] {
        assert_eq!(follow_up.method, "POST");
        assert_eq!(
            follow_up.path,
            format!("/webhooks/{}/{token}", fake::APP_ID)
        );
        assert_eq!(follow_up.status, 200);
    }
    let parts: Vec<&str> = calls[1..]
        .iter()
        .map(|c| c.body["content"].as_str().unwrap())
        .collect();
    for part in &parts {
        assert!(part.chars().count() <= 2000, "{}", part.len());
    }
    // Split at line boundaries: putting the lines back together gives the answer.
    assert_eq!(parts.join("\n"), common::long_text(5000));
    bot.stop().await;
}

#[tokio::test]
async fn a_very_long_answer_arrives_as_a_file() {
    let fake = FakeDiscord::start().await;
    let recorder = Recorder::new(Behaviour::Long(12_000));
    let bot = Bot::start(&fake, common::config(&fake), &recorder, None).await;

    let token = fake.slash(
        &Who::in_guild(fake::ALLOWED_USER),
        "status",
        status_options(),
    );
    let calls = answered(&fake, &token, 1).await;
    let edit = &calls[1];
    assert_eq!(edit.method, "PATCH");
    assert_eq!(edit.status, 200);
    assert!(
        edit.body["content"]
            .as_str()
            .unwrap()
            .contains(homelab_discord::ATTACHMENT_NAME)
    );
    assert_eq!(edit.files.len(), 1);
    assert_eq!(edit.files[0].0, homelab_discord::ATTACHMENT_NAME);
    assert_eq!(
        String::from_utf8_lossy(&edit.files[0].1),
        common::long_text(12_000)
    );
    bot.stop().await;
}

#[tokio::test]
async fn errors_are_shown_plainly_without_their_detail() {
    let fake = FakeDiscord::start().await;
    let recorder = Recorder::new(Behaviour::Fail(common::internal_failure));
    let bot = Bot::start(&fake, common::config(&fake), &recorder, None).await;

    let token = fake.slash(&Who::in_guild(fake::ALLOWED_USER), "disk", status_options());
    let calls = answered(&fake, &token, 1).await;
    let content = calls[1].body["content"].as_str().unwrap();
    assert_eq!(
        content,
        homelab_port::ChatError::Internal(String::new()).to_string()
    );
    assert!(!content.contains("sk-secret") && !content.contains("docker.sock"));
    assert!(!SECRET_DETAIL.is_empty());
    bot.stop().await;
}

#[tokio::test]
async fn the_rate_limit_answers_with_the_retry_time() {
    let fake = FakeDiscord::start().await;
    let recorder = Recorder::new(Behaviour::Echo);
    let config = Config {
        rate_limit: RateLimit {
            requests: 1,
            window: Duration::from_secs(60),
        },
        ..common::config(&fake)
    };
    let bot = Bot::start(&fake, config, &recorder, None).await;
    let who = Who::in_guild(fake::ALLOWED_USER);

    let first = fake.slash(&who, "status", status_options());
    answered(&fake, &first, 1).await;
    let second = fake.slash(&who, "status", status_options());
    let calls = answered(&fake, &second, 0).await;
    assert_eq!(calls[0].body["type"], 4);
    assert_eq!(calls[0].body["data"]["flags"], 64);
    let notice = calls[0].body["data"]["content"].as_str().unwrap();
    assert!(
        notice.starts_with("Too many requests; try again in "),
        "{notice}"
    );

    fake.wait_for("the audit entry", |_| {
        (!recorder.rejected().is_empty()).then_some(())
    })
    .await;
    let rejected = recorder.rejected();
    let Rejection::RateLimited { retry_after_secs } = rejected[0].1 else {
        panic!("{rejected:?}");
    };
    assert!((1..=60).contains(&retry_after_secs));
    assert!(notice.contains(&format!("{retry_after_secs} s")));
    assert_eq!(recorder.handled().len(), 1, "the second request never ran");
    bot.stop().await;
}

#[tokio::test]
async fn container_names_autocomplete_for_allowed_users_only() {
    let fake = FakeDiscord::start().await;
    let recorder = Recorder::new(Behaviour::Echo);
    let bot = Bot::start(&fake, common::config(&fake), &recorder, None).await;
    let options = json!([{"name": "name", "type": 3, "value": "p", "focused": true}]);

    let token = fake.autocomplete(&Who::in_guild(fake::ALLOWED_USER), "logs", options.clone());
    let calls = answered(&fake, &token, 0).await;
    assert_eq!(calls[0].body["type"], 8);
    assert_eq!(calls[0].status, 204);
    assert_eq!(
        calls[0].body["data"]["choices"],
        json!([{"name": "pihole", "value": "pihole"}, {"name": "plex", "value": "plex"}])
    );

    let token = fake.autocomplete(&Who::in_guild(fake::OTHER_USER), "container", options);
    let calls = answered(&fake, &token, 0).await;
    assert_eq!(calls[0].body["data"]["choices"], json!([]));
    assert!(
        recorder.handled().is_empty(),
        "autocomplete runs no command"
    );
    bot.stop().await;
}

#[tokio::test]
async fn a_mention_is_answered_as_ask_with_a_reply() {
    let fake = FakeDiscord::start().await;
    let recorder = Recorder::new(Behaviour::Echo);
    let config = Config {
        respond_to_mentions: true,
        ..common::config(&fake)
    };
    let bot = Bot::start(&fake, config, &recorder, None).await;
    let who = Who::in_guild(fake::ALLOWED_USER);

    fake.message(&who, "just chatting, no mention", false);
    let id = fake.message(&who, &format!("<@{}> what is running?", fake::BOT_ID), true);
    let reply = fake
        .wait_for("the reply", |fake| {
            fake.calls().into_iter().find(|c| {
                c.method == "POST" && c.path == format!("/channels/{}/messages", fake::CHANNEL)
            })
        })
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["content"], "echo: what is running?");
    assert_eq!(
        reply.body["message_reference"]["message_id"],
        id.to_string()
    );

    let handled = recorder.handled();
    assert_eq!(handled.len(), 1, "only the mention is answered");
    assert_eq!(handled[0].command, None);
    assert_eq!(
        handled[0].conversation_id,
        Some(format!("discord:{}", fake::CHANNEL))
    );

    // A stranger's mention is audited, not answered.
    fake.message(
        &Who::in_guild(fake::OTHER_USER),
        &format!("<@{}> disk?", fake::BOT_ID),
        true,
    );
    fake.wait_for("the audit entry", |_| {
        (recorder.rejected().len() == 1).then_some(())
    })
    .await;
    assert_eq!(recorder.rejected()[0].1, Rejection::Unauthorized);
    let replies = fake
        .calls()
        .into_iter()
        .filter(|c| c.path.ends_with("/messages") && c.method == "POST")
        .count();
    assert_eq!(replies, 1);
    bot.stop().await;
}

#[tokio::test]
async fn a_thread_is_admitted_by_its_channel() {
    let fake = FakeDiscord::start().await;
    let recorder = Recorder::new(Behaviour::Echo);
    let config = Config {
        allowed_guilds: Vec::new(),
        allowed_users: Vec::new(),
        allowed_channels: vec![fake::CHANNEL],
        respond_to_mentions: true,
        ..common::config(&fake)
    };
    let bot = Bot::start(&fake, config, &recorder, None).await;

    // A slash command in a thread of the allowed channel: the interaction names the parent.
    let token = fake.slash(
        &Who::in_thread(fake::OTHER_USER),
        "status",
        status_options(),
    );
    let calls = answered(&fake, &token, 1).await;
    assert_eq!(calls[0].body["type"], 5);
    assert_eq!(calls[1].body["content"], "echo: /status");

    // Another channel is refused.
    let elsewhere = Who {
        channel: fake::OTHER_CHANNEL,
        ..Who::in_guild(fake::ALLOWED_USER)
    };
    let token = fake.slash(&elsewhere, "status", status_options());
    let calls = answered(&fake, &token, 0).await;
    assert_eq!(calls[0].body["data"]["flags"], 64);

    // A mention in the thread: a message does not say it is in a thread, so the bot asks.
    let id = fake.message(
        &Who::in_thread(fake::ALLOWED_USER),
        &format!("<@!{}> is the pool healthy?", fake::BOT_ID),
        true,
    );
    let reply = fake
        .wait_for("the reply in the thread", |fake| {
            fake.calls().into_iter().find(|c| {
                c.method == "POST" && c.path == format!("/channels/{}/messages", fake::THREAD)
            })
        })
        .await;
    assert_eq!(reply.body["content"], "echo: is the pool healthy?");
    assert_eq!(
        reply.body["message_reference"]["message_id"],
        id.to_string()
    );
    assert!(
        fake.calls()
            .iter()
            .any(|c| c.method == "GET" && c.path == format!("/channels/{}", fake::THREAD))
    );

    let handled = recorder.handled();
    assert_eq!(handled.len(), 2);
    // The thread is a conversation of its own.
    assert_eq!(
        handled[1].conversation_id,
        Some(format!("discord:{}", fake::THREAD))
    );
    assert_eq!(recorder.rejected().len(), 1);
    bot.stop().await;
}

#[tokio::test]
async fn the_bot_resumes_after_discord_asks_it_to_reconnect() {
    let fake = FakeDiscord::start().await;
    let recorder = Recorder::new(Behaviour::Echo);
    let bot = Bot::start(&fake, common::config(&fake), &recorder, None).await;
    let who = Who::in_guild(fake::ALLOWED_USER);
    let token = fake.slash(&who, "status", status_options());
    answered(&fake, &token, 1).await;

    fake.request_reconnect();
    fake.wait_for("a resumed session", |fake| {
        (fake.resumes() == 1 && fake.connected()).then_some(())
    })
    .await;
    let token = fake.slash(&who, "disk", status_options());
    let calls = answered(&fake, &token, 1).await;
    assert_eq!(calls[1].body["content"], "echo: /disk");
    assert_eq!(fake.identifies(), 1, "resumed, not identified again");
    bot.stop().await;
}

#[tokio::test]
async fn shutdown_lets_answers_in_flight_finish() {
    let fake = FakeDiscord::start().await;
    let recorder = Recorder::new(Behaviour::Gated);
    let bot = Bot::start(&fake, common::config(&fake), &recorder, None).await;
    let token = fake.slash(
        &Who::in_guild(fake::ALLOWED_USER),
        "status",
        status_options(),
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while recorder.handled().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the core was never asked"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    bot.stop.send(()).unwrap();
    let mut task = bot.task;
    assert!(
        tokio::time::timeout(Duration::from_millis(500), &mut task)
            .await
            .is_err(),
        "run returned while the core was still answering"
    );
    recorder.gate.add_permits(1);
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("run returned once the answer was done")
        .unwrap()
        .unwrap();
    // The answer still reached Discord: REST outlives the gateway.
    let calls = answered(&fake, &token, 1).await;
    assert_eq!(calls[1].body["content"], "echo: /status");
}

#[tokio::test]
async fn notices_are_posted_to_every_notify_channel() {
    let fake = FakeDiscord::start().await;
    let recorder = Recorder::new(Behaviour::Echo);
    let config = Config {
        notify_channels: vec![fake::CHANNEL, 77],
        ..common::config(&fake)
    };
    let (notices, receiver) = mpsc::channel(4);
    let bot = Bot::start(&fake, config, &recorder, Some(receiver)).await;

    notices
        .send("Disk /mnt/tank is 93 % full".into())
        .await
        .unwrap();
    let posts = fake
        .wait_for("two posts", |fake| {
            let posts: Vec<RestCall> = fake
                .calls()
                .into_iter()
                .filter(|c| c.method == "POST" && c.path.starts_with("/channels/"))
                .collect();
            (posts.len() == 2).then_some(posts)
        })
        .await;
    let mut paths: Vec<&str> = posts.iter().map(|c| c.path.as_str()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            format!("/channels/{}/messages", fake::CHANNEL),
            "/channels/77/messages".to_owned()
        ]
    );
    assert!(
        posts
            .iter()
            .all(|c| c.body["content"] == "Disk /mnt/tank is 93 % full")
    );

    // A keyed notice and then its replacement: the replacement edits the first one's message in
    // each channel, and posts nothing new.
    notices
        .send(homelab_port::Notice::keyed("am:fp", "🔴 HostDown"))
        .await
        .unwrap();
    fake.wait_for("the keyed posts", |fake| {
        let posts = fake
            .calls()
            .into_iter()
            .filter(|c| c.method == "POST" && c.path.starts_with("/channels/"))
            .count();
        (posts == 4).then_some(())
    })
    .await;
    notices
        .send(homelab_port::Notice::replacing(
            "am:fp",
            "✅ resolved — HostDown",
        ))
        .await
        .unwrap();
    let edits = fake
        .wait_for("two edits", |fake| {
            let edits: Vec<RestCall> = fake
                .calls()
                .into_iter()
                .filter(|c| c.method == "PATCH" && c.path.starts_with("/channels/"))
                .collect();
            (edits.len() == 2).then_some(edits)
        })
        .await;
    assert!(
        edits
            .iter()
            .all(|c| c.status == 200 && c.body["content"] == "✅ resolved — HostDown"),
        "{edits:#?}"
    );
    // A replacement whose first notice was never seen is posted as a new message.
    notices
        .send(homelab_port::Notice::replacing(
            "am:unknown",
            "✅ resolved — other",
        ))
        .await
        .unwrap();
    fake.wait_for("the unknown replacement as new posts", |fake| {
        let posts = fake
            .calls()
            .into_iter()
            .filter(|c| c.method == "POST" && c.path.starts_with("/channels/"))
            .count();
        (posts == 6).then_some(())
    })
    .await;
    bot.stop().await;
}

#[tokio::test]
async fn without_a_guild_list_the_commands_are_registered_globally() {
    let fake = FakeDiscord::start().await;
    let recorder = Recorder::new(Behaviour::Echo);
    let config = Config {
        allowed_guilds: Vec::new(),
        ..common::config(&fake)
    };
    let bot = Bot::start(&fake, config, &recorder, None).await;
    let put: Vec<String> = fake
        .calls()
        .into_iter()
        .filter(|c| c.method == "PUT")
        .map(|c| c.path)
        .collect();
    assert_eq!(put, [format!("/applications/{}/commands", fake::APP_ID)]);
    bot.stop().await;
}

#[tokio::test]
async fn without_an_allow_list_the_bot_refuses_to_start() {
    let fake = FakeDiscord::start().await;
    let recorder = Recorder::new(Behaviour::Echo);
    let config = Config {
        api_base: Some(fake.base_url()),
        ..Config::new(fake::TOKEN)
    };
    let wiring = Wiring::new(recorder.as_handler(), None, std::future::pending());
    let result = homelab_discord::run(config, wiring).await;
    assert!(matches!(result, Err(Error::NoAllowList)), "{result:?}");
    assert!(fake.calls().is_empty(), "nothing was sent to Discord");
    assert_eq!(fake.identifies(), 0);
}

#[tokio::test]
async fn a_wrong_token_fails_at_start() {
    let fake = FakeDiscord::start().await;
    let recorder = Recorder::new(Behaviour::Echo);
    let config = Config {
        token: Some("not-the-token".into()),
        ..common::config(&fake)
    };
    let wiring = Wiring::new(recorder.as_handler(), None, std::future::pending());
    let result = tokio::time::timeout(
        Duration::from_secs(10),
        homelab_discord::run(config, wiring),
    )
    .await
    .expect("run gave up in time");
    assert!(matches!(result, Err(Error::Connect(_))), "{result:?}");
    assert_eq!(fake.calls()[0].status, 401);
    assert_eq!(fake.identifies(), 0);
}
