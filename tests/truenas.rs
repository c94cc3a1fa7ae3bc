//! The TrueNAS tools against a loopback fake of the TrueNAS SCALE API (tests/support/
//! fake_truenas.rs) over both transports: the questions users ask first, each answered with one
//! audit line; only allow-listed methods ever reaching the server; a key that could write turning
//! the tools off with a clear message.
#![allow(clippy::disallowed_methods)] // Tests spawn the binary under test.

mod support {
    pub mod ask_process;
    pub mod fake_truenas;
}

use std::process::Command;

use homelab_assistant::tools::truenas::Method;
use serde_json::Value;
use support::fake_truenas::{FakeTrueNas, FakeTrueNasConfig, SnapshotMethod, Transports};

const BIN: &str = env!("CARGO_BIN_EXE_homelab-assistant");

/// `ask --json QUESTION` against this fake: the message, the reply and the audit lines it wrote.
async fn ask(fake: &FakeTrueNas, question: &'static str) -> (String, Value, usize) {
    let config = FakeTrueNasConfig::default();
    let env = vec![
        ("TRUENAS_URL", fake.url()),
        ("TRUENAS_USERNAME", config.username.clone()),
        ("TRUENAS_API_KEY", config.api_key.clone()),
    ];
    let asked = tokio::task::spawn_blocking(move || support::ask_process::ask(question, &env))
        .await
        .unwrap();
    (asked.message, asked.reply, asked.audit.len())
}

/// Every call the fake saw was an allow-listed method (REST: its GET path).
fn assert_only_allow_listed(fake: &FakeTrueNas) {
    let names: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
    for call in fake.methods() {
        let allowed = names.contains(&call.as_str())
            || (call.starts_with("GET /api/v2.0/")
                && [
                    "auth/me",
                    "system/info",
                    "pool",
                    "pool/scrub",
                    "pool/dataset",
                    "zfs/snapshot",
                    "alert/list",
                    "app",
                    "disk",
                    "core/get_jobs",
                    "smart/test/results",
                ]
                .contains(&call.trim_start_matches("GET /api/v2.0/")))
            // The WebSocket probe of a server that has none.
            || call == "GET /api/current";
        assert!(allowed, "`{call}` reached TrueNAS");
    }
}

async fn the_first_questions(transports: Transports, snapshots: SnapshotMethod) {
    let fake = FakeTrueNas::start(FakeTrueNasConfig {
        transports,
        snapshots,
        ..FakeTrueNasConfig::default()
    })
    .await;

    let (message, reply, audit) = ask(&fake, "is my pool healthy?").await;
    assert!(message.contains("**backup**: **DEGRADED**"), "{message}");
    assert!(message.contains("`sdd` OFFLINE"), "{message}");
    assert_eq!(reply["tool_calls_made"], serde_json::json!(["pools"]));
    assert_eq!(audit, 1);

    let (message, _, audit) = ask(&fake, "when was the last scrub?").await;
    assert!(
        message.contains("last scrub finished, ended 20"),
        "a date: {message}"
    );
    assert!(message.contains("**0 errors**"), "{message}");
    assert!(message.contains("**3 errors**"), "{message}");
    assert!(
        message.contains("overdue"),
        "backup's scrub is 50 days old: {message}"
    );
    assert_eq!(audit, 1);

    let (message, reply, audit) = ask(&fake, "how old is the newest snapshot of tank/media?").await;
    assert!(message.contains("`tank/media`: 3 snapshot(s)"), "{message}");
    assert!(
        message.contains("(3h 0m ago)") || message.contains("(2h 59m ago)"),
        "{message}"
    );
    assert!(
        !message.contains("tank/apps"),
        "only the dataset asked: {message}"
    );
    assert_eq!(reply["tool_calls"][0]["arguments"]["dataset"], "tank/media");
    assert_eq!(audit, 1);

    let (message, _, _) = ask(&fake, "any stale snapshots?").await;
    assert!(
        message.contains("`tank/apps`") && message.contains("stale"),
        "{message}"
    );

    let (message, _, audit) = ask(&fake, "any truenas alerts?").await;
    assert!(message.contains("2 active alert(s)"), "{message}");
    assert!(
        message.contains("**CRITICAL** Pool backup state is DEGRADED"),
        "{message}"
    );
    assert!(message.contains("Dismissed (1)"), "{message}");
    assert_eq!(audit, 1);

    let (message, _, _) = ask(&fake, "which apps need an update?").await;
    assert!(
        message.contains("**plex**") && message.contains("update available"),
        "{message}"
    );
    assert!(message.contains("CRASHED"), "{message}");

    // The alert rules, so the watcher notifies: a degraded pool, an overdue scrub, a stale dataset.
    let (message, _, _) = ask(&fake, "any problems?").await;
    assert!(
        message.contains("ZFS pool `backup` is DEGRADED"),
        "{message}"
    );
    assert!(
        message.contains("the last scrub of `backup` ended"),
        "{message}"
    );
    assert!(
        message.contains("newest snapshot of `tank/apps`"),
        "{message}"
    );
    assert!(
        !message.contains("newest snapshot of `tank/media`"),
        "{message}"
    );

    // The overview mentions the degraded pool and the overdue scrub.
    let (message, _, _) = ask(&fake, "how is my server doing?").await;
    assert!(message.contains("**backup**: **DEGRADED**"), "{message}");
    assert!(message.contains("overdue"), "{message}");

    let (message, _, _) = ask(&fake, "any smart errors on my disks?").await;
    assert!(message.contains("`sda` WDC WD80EFZX (tank)"), "{message}");
    assert!(
        message.contains("8 Currently unreadable"),
        "the SMART alert on sdd: {message}"
    );
    if transports == Transports::RestOnly {
        assert!(
            message.contains("not available over the REST API"),
            "{message}"
        );
    } else {
        assert!(message.contains("34 °C"), "{message}");
    }
    if snapshots == SnapshotMethod::Zfs {
        assert!(
            message.contains("Completed without error"),
            "smart.test.results: {message}"
        );
    }

    assert_only_allow_listed(&fake);
}

#[tokio::test(flavor = "multi_thread")]
async fn over_the_websocket_api() {
    the_first_questions(Transports::Both, SnapshotMethod::Pool).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn over_the_websocket_api_of_25_04_with_the_older_snapshot_method() {
    the_first_questions(Transports::WebSocketOnly, SnapshotMethod::Zfs).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn over_the_rest_api_of_24_10() {
    the_first_questions(Transports::RestOnly, SnapshotMethod::Zfs).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_that_could_write_turns_the_tools_off() {
    let fake = FakeTrueNas::start(FakeTrueNasConfig {
        roles: vec!["READONLY_ADMIN".into(), "FULL_ADMIN".into()],
        ..FakeTrueNasConfig::default()
    })
    .await;
    let (message, _, audit) = ask(&fake, "is my pool healthy?").await;
    assert!(message.contains("TrueNAS tools are disabled"), "{message}");
    assert!(message.contains("FULL_ADMIN"), "{message}");
    assert_eq!(audit, 1);

    // check-config says so too, without showing the key.
    let config = FakeTrueNasConfig::default();
    let url = fake.url();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .arg("check-config")
            .env_clear()
            .env("TRUENAS_URL", url)
            .env("TRUENAS_USERNAME", &config.username)
            .env("TRUENAS_API_KEY", &config.api_key)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("# TrueNAS: the TrueNAS tools are disabled: this API key can write"),
        "{stdout}"
    );
    assert!(
        !stdout.contains(&FakeTrueNasConfig::default().api_key),
        "{stdout}"
    );
    // Nothing but the login and the role check was asked.
    let methods = fake.methods();
    assert!(
        methods
            .iter()
            .all(|m| m == "auth.login_ex" || m == "auth.me"),
        "{methods:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_key_is_a_clear_answer() {
    let fake = FakeTrueNas::start(FakeTrueNasConfig {
        api_key: "1-someotherkey".into(),
        ..FakeTrueNasConfig::default()
    })
    .await;
    let (message, _, audit) = ask(&fake, "any truenas alerts?").await;
    assert!(message.contains("refused the API key"), "{message}");
    assert_eq!(audit, 1);
}
