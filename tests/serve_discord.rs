//! The Discord acceptance at the binary level: `homelab-assistant serve` with `DISCORD_TOKEN` and
//! `HOMELAB_DISCORD__API_BASE` pointing at the loopback fake Discord the adapter's own tests use
//! (`homelab-test-support`), so what is proved is the whole wiring — env names, config, the real
//! core and its audit log — not only the adapter library.
#![cfg(feature = "discord")]
#![allow(clippy::disallowed_methods)] // The test spawns the binary under test and signals it.

mod support {
    pub mod serve_process;
}

use std::time::Duration;

use homelab_port::Rejection;
use homelab_test_support::discord::{self as fake, FakeDiscord, Who};
use homelab_test_support::docker::{RUNNING, STOPPED};
use serde_json::json;
use support::serve_process::Serve;

/// Generous: a debug build starting next to other test binaries on two cores.
const STARTUP: Duration = Duration::from_secs(60);
const PATIENCE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_registers_answers_ask_and_denies_a_stranger_ephemerally() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    // The real fixture daemon when scripts/test.sh started one; otherwise a socket that is not
    // there, which the answer must name as unreachable.
    let fixture = std::env::var("HOMELAB_TEST_DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty());
    let docker_host = fixture
        .clone()
        .unwrap_or_else(|| format!("unix://{}/no-docker.sock", dir.path().display()));
    let mut serve = Serve::start(
        dir.path(),
        &[
            ("DISCORD_TOKEN", fake::TOKEN.to_owned()),
            ("HOMELAB_DISCORD__API_BASE", fake.base_url()),
            (
                "HOMELAB_DISCORD__ALLOWED_GUILDS",
                format!("[{}]", fake::GUILD),
            ),
            (
                "HOMELAB_DISCORD__ALLOWED_USERS",
                format!("[{}]", fake::ALLOWED_USER),
            ),
            ("DOCKER_HOST", docker_host.clone()),
        ],
    );
    serve
        .wait_until("the gateway session", STARTUP, || fake.connected())
        .await;

    // The token was proved and the commands registered (in the allowed guild, so at once) before
    // the gateway was opened.
    let calls = fake.calls();
    let put: Vec<_> = calls.iter().filter(|c| c.method == "PUT").collect();
    assert_eq!(put.len(), 1, "{calls:#?}");
    assert_eq!(
        put[0].path,
        format!(
            "/applications/{}/guilds/{}/commands",
            fake::APP_ID,
            fake::GUILD
        )
    );
    assert_eq!(put[0].status, 200);
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
    let identify = fake.identify().expect("IDENTIFY was sent");
    assert_eq!(identify["intents"], 0, "slash commands need no intents");

    // An allowed user's /ask: deferred at once, then the original message edited into the answer.
    let asked = fake.slash(
        &Who::in_guild(fake::ALLOWED_USER),
        "ask",
        json!([{"name": "question", "type": 3, "value": "What containers are running?"}]),
    );
    let calls = wait_for_calls(&fake, &asked, 2).await;
    assert_eq!(calls.len(), 2, "{calls:#?}");
    assert_eq!(calls[0].method, "POST");
    assert!(calls[0].path.ends_with("/callback"), "{calls:#?}");
    assert_eq!(calls[0].body["type"], 5, "a deferred channel message first");
    assert_eq!(calls[0].status, 204);
    assert_eq!(calls[1].method, "PATCH");
    assert_eq!(
        calls[1].path,
        format!("/webhooks/{}/{asked}/messages/@original", fake::APP_ID)
    );
    assert_eq!(calls[1].status, 200);
    let answer = calls[1].body["content"].as_str().unwrap_or_default();
    if fixture.is_some() {
        for name in RUNNING {
            assert!(answer.contains(&format!("`{name}`")), "{answer}");
        }
        for name in STOPPED {
            assert!(!answer.contains(&format!("`{name}`")), "{answer}");
        }
    } else {
        assert!(
            answer.contains("containers") && answer.contains("unreachable"),
            "{answer}"
        );
        assert!(answer.contains(&docker_host), "{answer}");
    }
    assert_eq!(calls[1].body["allowed_mentions"]["parse"], json!([]));

    // A user outside the allow-list: one ephemeral "not authorized", and nothing else.
    let denied = fake.slash(
        &Who::in_guild(fake::OTHER_USER),
        "ask",
        json!([{"name": "question", "type": 3, "value": "What containers are running?"}]),
    );
    let calls = wait_for_calls(&fake, &denied, 1).await;
    assert_eq!(calls[0].body["type"], 4, "an immediate message: {calls:#?}");
    assert_eq!(calls[0].body["data"]["flags"], 64, "ephemeral: {calls:#?}");
    assert_eq!(
        calls[0].body["data"]["content"],
        Rejection::Unauthorized.user_message()
    );
    assert_eq!(calls[0].status, 204);

    // One audit entry per interaction, the denial marked and with nothing run.
    let audit = serve.wait_for_audit(2, PATIENCE).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(fake.calls_for(&denied).len(), 1, "{:#?}", fake.calls());
    let audit_now = serve.audit();
    assert_eq!(audit_now.len(), 2, "{audit_now:#?}");
    let (answered, refused) = (&audit[0], &audit[1]);
    assert_eq!(answered["platform"], "discord");
    assert_eq!(answered["outcome"], "answered", "{answered:#}");
    assert_eq!(answered["user_id"], fake::ALLOWED_USER.to_string());
    assert_eq!(answered["channel_id"], fake::CHANNEL.to_string());
    assert_eq!(answered["user_message"], "What containers are running?");
    assert_eq!(answered["tool_calls"][0]["name"], "list_containers");
    assert_eq!(answered["tool_calls"][0]["ok"], fixture.is_some());
    assert_eq!(answered["assistant_response"], answer);
    assert_eq!(refused["platform"], "discord");
    assert_eq!(refused["outcome"], "unauthorized", "{refused:#}");
    assert_eq!(refused["user_id"], fake::OTHER_USER.to_string());
    assert_eq!(refused["tool_calls"], json!([]));

    // Every call the bot made was one Discord would have accepted.
    let rejected: Vec<_> = fake
        .calls()
        .into_iter()
        .filter(|c| c.status >= 300)
        .collect();
    assert!(rejected.is_empty(), "{rejected:#?}");

    let status = serve.terminate(PATIENCE).await;
    assert!(status.success(), "{status}; log:\n{}", serve.log());
    assert_eq!(
        serve.audit().len(),
        2,
        "nothing more was audited at shutdown"
    );
    let log = serve.log();
    assert!(log.contains("Discord commands registered"), "{log}");
    assert!(
        !log.contains(fake::TOKEN),
        "the token reached the log:\n{log}"
    );
    assert!(!log.contains(" ERROR "), "{log}");
}

/// The calls made for the interaction with `token` once there are at least `count`.
async fn wait_for_calls(fake: &FakeDiscord, token: &str, count: usize) -> Vec<fake::RestCall> {
    fake.wait_for("the interaction's answer", |fake| {
        let calls = fake.calls_for(token);
        (calls.len() >= count).then_some(calls)
    })
    .await
}

/// Alert notices through the binary: with `alerts.notify` on and a disk threshold below the
/// current use, the watcher's first evaluation posts the alert to the notify channel once, it is
/// audited with platform `notify`, and the next evaluation repeats nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_posts_an_alert_to_the_notify_channel_once() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let channel_posts = || {
        fake.calls()
            .into_iter()
            .filter(|c| {
                c.method == "POST" && c.path == format!("/channels/{}/messages", fake::CHANNEL)
            })
            .collect::<Vec<_>>()
    };
    let token_file = dir.path().join("discord.token");
    std::fs::write(&token_file, format!("{}\n", fake::TOKEN)).unwrap();
    let mut serve = Serve::start(
        dir.path(),
        &[
            // The token from a file, as deploy/.env.example documents it.
            ("DISCORD_TOKEN_FILE", token_file.display().to_string()),
            ("HOMELAB_DISCORD__API_BASE", fake.base_url()),
            (
                "HOMELAB_DISCORD__ALLOWED_USERS",
                format!("[{}]", fake::ALLOWED_USER),
            ),
            (
                "HOMELAB_DISCORD__NOTIFY_CHANNELS",
                format!("[{}]", fake::CHANNEL),
            ),
            ("HOMELAB_ALERTS__NOTIFY", "true".to_owned()),
            ("HOMELAB_ALERTS__INTERVAL_SECS", "10".to_owned()),
            ("HOMELAB_ALERTS__DISK_WARNING_PERCENT", "1".to_owned()),
            ("HOMELAB_ALERTS__DISK_CRITICAL_PERCENT", "100".to_owned()),
            // Only the disk rule may speak: a loaded CI machine would otherwise raise (and clear)
            // a load alert between the two evaluations this test compares.
            ("HOMELAB_ALERTS__LOAD_WARNING_PER_CORE", "500".to_owned()),
            ("HOMELAB_ALERTS__LOAD_CRITICAL_PER_CORE", "1000".to_owned()),
            (
                "HOMELAB_ALERTS__TEMPERATURE_WARNING_CELSIUS",
                "190".to_owned(),
            ),
            (
                "HOMELAB_ALERTS__TEMPERATURE_CRITICAL_CELSIUS",
                "200".to_owned(),
            ),
            ("HOMELAB_DOCKER__ENABLED", "false".to_owned()),
        ],
    );
    serve
        .wait_until("the gateway session", STARTUP, || fake.connected())
        .await;
    serve
        .wait_until("an alert notice", PATIENCE, || !channel_posts().is_empty())
        .await;
    let first = channel_posts();
    let text: String = first
        .iter()
        .map(|c| c.body["content"].as_str().unwrap_or_default().to_owned())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains("full"), "a disk alert: {text}");
    assert!(first.iter().all(|c| c.status == 200), "{first:#?}");

    // The next evaluation, 10 s later, finds the same alert and says nothing more.
    tokio::time::sleep(Duration::from_secs(12)).await;
    assert_eq!(channel_posts().len(), first.len(), "{:#?}", channel_posts());
    let notified: Vec<_> = serve
        .audit()
        .into_iter()
        .filter(|e| e["platform"] == "notify")
        .collect();
    assert_eq!(notified.len(), first.len(), "{notified:#?}");

    let status = serve.terminate(PATIENCE).await;
    assert!(status.success(), "{status}; log:\n{}", serve.log());
}

/// A bot that is allowed to answer the allowed user and posts notices to [`fake::CHANNEL`].
fn notify_env(fake: &FakeDiscord) -> Vec<(&'static str, String)> {
    vec![
        ("DISCORD_TOKEN", fake::TOKEN.to_owned()),
        ("HOMELAB_DISCORD__API_BASE", fake.base_url()),
        (
            "HOMELAB_DISCORD__ALLOWED_USERS",
            format!("[{}]", fake::ALLOWED_USER),
        ),
        (
            "HOMELAB_DISCORD__NOTIFY_CHANNELS",
            format!("[{}]", fake::CHANNEL),
        ),
    ]
}

/// The webhooks' token in these tests: long enough for `webhooks.token`'s check.
const HOOK_TOKEN: &str = "hook-token-0123456789abcdef";

/// Alertmanager's webhook payload (version 4) with one alert.
fn alertmanager(status: &str) -> serde_json::Value {
    json!({
        "version": "4", "groupKey": "{}:{alertname=\"HostDown\"}", "truncatedAlerts": 0,
        "status": status, "receiver": "homelab", "groupLabels": {"alertname": "HostDown"},
        "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
        "alerts": [{
            "status": status,
            "labels": {"alertname": "HostDown", "instance": "nas:9100", "severity": "critical"},
            "annotations": {"summary": "nas:9100 has been unreachable for 5 minutes. password=hunter2-marker"},
            "startsAt": "2026-12-03T10:00:00Z",
            "endsAt": if status == "resolved" { "2026-12-03T10:20:00Z" } else { "0001-01-01T00:00:00Z" },
            "generatorURL": "http://prometheus:9090/graph", "fingerprint": "c6f3a1b2d4e5f607"
        }]
    })
}

/// Inbound webhooks through the binary: an Alertmanager alert that fires is posted once to the
/// notify channel, a repeat is not, and its resolution edits that message; a bad token, a
/// malformed body and an oversized one are turned away with nothing posted; a TrueNAS
/// Slack-shaped alert fires and clears the same way. Every call is one audit line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_posts_webhook_alerts_and_edits_them_when_they_resolve() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let channel = format!("/channels/{}/messages", fake::CHANNEL);
    let posts = || {
        fake.calls()
            .into_iter()
            .filter(|c| c.method == "POST" && c.path == channel)
            .collect::<Vec<_>>()
    };
    let edits = || {
        fake.calls()
            .into_iter()
            .filter(|c| c.method == "PATCH" && c.path.starts_with(&channel))
            .collect::<Vec<_>>()
    };
    let mut serve = Serve::start(
        dir.path(),
        &[
            notify_env(&fake),
            vec![
                ("HOMELAB_HTTP__ENABLED", "true".to_owned()),
                ("HOMELAB_HTTP__BIND", "127.0.0.1:0".to_owned()),
                ("HOMELAB_WEBHOOKS__TOKEN", HOOK_TOKEN.to_owned()),
                ("HOMELAB_DOCKER__ENABLED", "false".to_owned()),
            ],
        ]
        .concat(),
    );
    serve
        .wait_until("the gateway session", STARTUP, || fake.connected())
        .await;
    let base = serve.http_base(STARTUP).await;
    homelab_assistant::app::install_crypto_provider();
    let client = reqwest::Client::new();
    let post = |path: String, body: serde_json::Value| {
        let client = client.clone();
        async move { client.post(path).json(&body).send().await.unwrap() }
    };

    // Fires: one message, with the alert, its severity and a paragraph of what the tools see.
    let answer = post(
        format!("{base}/hooks/alertmanager/{HOOK_TOKEN}"),
        alertmanager("firing"),
    )
    .await;
    assert_eq!(answer.status(), 200);
    let receipt: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(receipt["posted"], 1, "{receipt}");
    serve
        .wait_until("the alert's message", PATIENCE, || posts().len() == 1)
        .await;
    let first = &posts()[0];
    let text = first.body["content"].as_str().unwrap().to_owned();
    assert!(text.contains("HostDown on nas:9100"), "{text}");
    assert!(text.contains("critical"), "{text}");
    assert!(text.contains("**Now:**"), "{text}");
    assert!(!text.contains("hunter2-marker"), "redacted: {text}");

    // The same alert again: already told, nothing posted.
    let answer = post(
        format!("{base}/hooks/alertmanager/{HOOK_TOKEN}"),
        alertmanager("firing"),
    )
    .await;
    let receipt: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(receipt["duplicates"], 1, "{receipt}");

    // Turned away: a wrong token (in the path, then as a bearer), no token, malformed, oversized.
    let wrong = post(
        format!("{base}/hooks/alertmanager/not-the-token-at-all"),
        alertmanager("firing"),
    )
    .await;
    assert_eq!(wrong.status(), 401);
    let wrong_bearer = client
        .post(format!("{base}/hooks/alertmanager"))
        .bearer_auth("not-the-token-at-all")
        .json(&alertmanager("resolved"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_bearer.status(), 401);
    let with_api_key_only = client
        .post(format!("{base}/hooks/generic"))
        .header("X-API-Key", HOOK_TOKEN)
        .json(&json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(with_api_key_only.status(), 401);
    let malformed = client
        .post(format!("{base}/hooks/alertmanager/{HOOK_TOKEN}"))
        .header("content-type", "application/json")
        .body("{\"version\": \"4\", \"alerts\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let detail: serde_json::Value = malformed.json().await.unwrap();
    assert!(
        detail["detail"].as_str().unwrap().contains("not JSON"),
        "{detail}"
    );
    let oversized = client
        .post(format!("{base}/hooks/slack/{HOOK_TOKEN}"))
        .header("content-type", "application/json")
        .body(format!("{{\"text\": \"{}\"}}", "x".repeat(300 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(oversized.status(), 413);
    assert_eq!(posts().len(), 1, "nothing more was posted");

    // Resolves, with the token as a bearer this time: the first message is edited.
    let answer = client
        .post(format!("{base}/hooks/alertmanager"))
        .bearer_auth(HOOK_TOKEN)
        .json(&alertmanager("resolved"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    serve
        .wait_until("the edit", PATIENCE, || edits().len() == 1)
        .await;
    let edit = &edits()[0];
    assert_eq!(edit.status, 200, "{edit:#?}");
    let edited = edit.body["content"].as_str().unwrap();
    assert!(edited.starts_with("✅ **resolved**"), "{edited}");
    assert!(edited.contains("HostDown on nas:9100"), "{edited}");
    assert_eq!(posts().len(), 1, "resolving posts nothing new");

    // TrueNAS through its Slack service: new, then cleared.
    let truenas = |text: &str| json!({ "text": text });
    post(
        format!("{base}/hooks/slack/{HOOK_TOKEN}"),
        truenas(
            "New alerts:\n* Pool tank state is DEGRADED: One or more devices has been removed.",
        ),
    )
    .await;
    serve
        .wait_until("the TrueNAS alert", PATIENCE, || posts().len() == 2)
        .await;
    post(
        format!("{base}/hooks/slack/{HOOK_TOKEN}"),
        truenas("The following alert has been cleared:\n* Pool tank state is DEGRADED: One or more devices has been removed."),
    )
    .await;
    serve
        .wait_until("the TrueNAS edit", PATIENCE, || edits().len() == 2)
        .await;
    assert_eq!(posts().len(), 2);

    // Ten calls, ten audit lines, all platform `webhook`; the bad ones with their outcome.
    let hooks: Vec<_> = serve
        .wait_for_audit(10, PATIENCE)
        .await
        .into_iter()
        .filter(|e| e["platform"] == "webhook")
        .collect();
    assert_eq!(hooks.len(), 10, "{hooks:#?}");
    let outcomes: Vec<&str> = hooks
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "answered",
            "answered",
            "unauthorized",
            "unauthorized",
            "unauthorized",
            "invalid",
            "too_large",
            "answered",
            "answered",
            "answered"
        ]
    );
    assert!(
        hooks
            .iter()
            .all(|e| !e.to_string().contains("hunter2-marker")),
        "the audit log is redacted too"
    );

    let status = serve.terminate(PATIENCE).await;
    assert!(status.success(), "{status}; log:\n{}", serve.log());
}

/// `/graph cpu 1h` through the binary: the deferred answer is edited into a short text with the
/// chart as a PNG attachment (a multipart upload the fake Discord accepts), 800×400 and not
/// blank; an unknown metric is answered in words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_posts_a_png_attachment() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut serve = Serve::start(
        dir.path(),
        &[
            ("DISCORD_TOKEN", fake::TOKEN.to_owned()),
            ("HOMELAB_DISCORD__API_BASE", fake.base_url()),
            (
                "HOMELAB_DISCORD__ALLOWED_USERS",
                format!("[{}]", fake::ALLOWED_USER),
            ),
            ("HOMELAB_DOCKER__ENABLED", "false".to_owned()),
        ],
    );
    serve
        .wait_until("the gateway session", STARTUP, || fake.connected())
        .await;
    // The sampler's first snapshot is the history's first point.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let asked = fake.slash(
        &Who::in_guild(fake::ALLOWED_USER),
        "graph",
        json!([
            {"name": "metric", "type": 3, "value": "cpu"},
            {"name": "span", "type": 3, "value": "1h"}
        ]),
    );
    let calls = wait_for_calls(&fake, &asked, 2).await;
    let edit = &calls[1];
    assert_eq!(edit.method, "PATCH");
    assert_eq!(edit.status, 200, "{edit:#?}");
    assert!(
        edit.body["content"]
            .as_str()
            .unwrap_or_default()
            .starts_with("**CPU — last 1h**"),
        "{edit:#?}"
    );
    assert_eq!(edit.files.len(), 1, "{edit:#?}");
    let (name, png) = &edit.files[0];
    assert_eq!(name, "cpu-1h.png");
    let decoder = png::Decoder::new(std::io::Cursor::new(png.clone()));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((frame.width, frame.height), (800, 400));
    let first = &pixels[..3];
    assert!(
        pixels.chunks(3).any(|p| p != first),
        "the chart is not one colour"
    );

    let unknown = fake.slash(
        &Who::in_guild(fake::ALLOWED_USER),
        "graph",
        json!([{"name": "metric", "type": 3, "value": "weather"}]),
    );
    let calls = wait_for_calls(&fake, &unknown, 2).await;
    assert!(calls[1].files.is_empty());
    assert!(
        calls[1].body["content"]
            .as_str()
            .unwrap_or_default()
            .starts_with("I can't draw that: unknown chart"),
        "{:#?}",
        calls[1]
    );
    let audit = serve.wait_for_audit(2, PATIENCE).await;
    assert_eq!(audit[0]["user_message"], "/graph cpu 1h");
    let status = serve.terminate(PATIENCE).await;
    assert!(status.success(), "{status}; log:\n{}", serve.log());
}

/// The scheduled digest through the binary: with `digest.enabled` and `digest.at` two minutes
/// ahead (UTC), the digest is posted to the notify channel once, audited first as platform
/// `notify`, with every section.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_sends_the_daily_digest_at_its_time() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let at = (chrono::Utc::now() + chrono::Duration::minutes(2))
        .format("%H:%M")
        .to_string();
    let channel = format!("/channels/{}/messages", fake::CHANNEL);
    let posts = || {
        fake.calls()
            .into_iter()
            .filter(|c| c.method == "POST" && c.path == channel)
            .collect::<Vec<_>>()
    };
    let mut serve = Serve::start(
        dir.path(),
        &[
            notify_env(&fake),
            vec![
                ("HOMELAB_DIGEST__ENABLED", "true".to_owned()),
                ("HOMELAB_DIGEST__AT", at.clone()),
                ("HOMELAB_DIGEST__TIMEZONE", "UTC".to_owned()),
                ("HOMELAB_DOCKER__ENABLED", "false".to_owned()),
            ],
        ]
        .concat(),
    );
    serve
        .wait_until("the gateway session", STARTUP, || fake.connected())
        .await;
    serve
        .wait_until(
            &format!("the digest at {at} UTC"),
            Duration::from_secs(200),
            || !posts().is_empty(),
        )
        .await;
    let text = posts()[0].body["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(text.starts_with("🗞️ **Daily digest**"), "{text}");
    for title in [
        "Health",
        "Disks and pools",
        "Containers",
        "Alerts",
        "Questions",
    ] {
        assert!(text.contains(&format!("**{title}**")), "{title}: {text}");
    }
    let digests: Vec<_> = serve
        .audit()
        .into_iter()
        .filter(|e| e["platform"] == "notify" && e["user_id"] == "daily-digest")
        .collect();
    assert_eq!(digests.len(), 1, "{digests:#?}");
    let status = serve.terminate(PATIENCE).await;
    assert!(status.success(), "{status}; log:\n{}", serve.log());
}
