//! Alerts end to end: the `[alerts]` configuration as a user writes it, the binary answering
//! "are there any alerts?", and the notification watcher over the real tool registry, a real
//! Docker client and a real audit file.
//!
//! The fixture tests read the private dockerd that `scripts/test.sh` starts
//! (scripts/docker-fixtures.sh: `sonarr` unhealthy, `crashloop` restarting under `--restart
//! always`, `importer` exited 3, …) through HOMELAB_TEST_DOCKER_HOST. Without it they fail under
//! CI and are skipped, with a note, elsewhere; the other tests need no daemon and always run.
#![allow(clippy::disallowed_methods)] // Tests spawn the binary under test.
#![allow(clippy::print_stderr)] // The skip note must reach the developer.
#![allow(clippy::result_large_err)] // figment's Jail closures return its (large) error type.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use figment::Jail;
use homelab_assistant::alerts::{AlertEvaluator, AlertSource, Severity, Watcher, WatcherSettings};
use homelab_assistant::app::{self, App};
use homelab_assistant::audit::JsonlAudit;
use homelab_assistant::config::{self, AlertsConfig, Config, DockerHostConfig, ProviderChoice};
use homelab_assistant::port::{self, ChatHandler, Inbound, Origin, Platform};
use homelab_assistant::tools::docker::client::DockerClient;
use homelab_assistant::tools::sampler::{Sampler, Snapshot};
use homelab_test_support::docker::fixture_socket;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::sync::mpsc;

const BIN: &str = env!("CARGO_BIN_EXE_homelab-assistant");

/// `homelab-assistant ask --json QUESTION` with only the given settings, as a user runs it.
fn ask_json(dir: &Path, env: &[(&str, &str)], question: &str) -> Value {
    let mut command = Command::new(BIN);
    command.args(["ask", "--json", question]).current_dir(dir);
    // Cleared, not filtered: another test of this binary sets settings in the process's
    // environment (figment's Jail), and a filter read before the spawn races with it.
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    command
        .env("LLM_PROVIDER", "offline")
        .env("HOMELAB_AUDIT__PATH", dir.join("audit.jsonl"));
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("the binary runs");
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON object")
}

fn message(reply: &Value) -> &str {
    reply["message"].as_str().expect("a message")
}

#[test]
fn a_disk_threshold_below_the_current_use_names_that_disk() {
    let dir = tempfile::tempdir().unwrap();
    // The repository's own filesystem holds this build, so it is more than 1 % used; naming it as
    // an extra path makes it a reported filesystem even in a container whose `/` is an overlay.
    let repo = env!("CARGO_MANIFEST_DIR");
    let extra = format!("[\"{repo}\"]");
    let reply = ask_json(
        dir.path(),
        &[
            ("HOMELAB_ALERTS__DISK_WARNING_PERCENT", "1"),
            // A nearly full build disk must still read as this warning, not as critical.
            ("HOMELAB_ALERTS__DISK_CRITICAL_PERCENT", "100"),
            ("HOMELAB_SYSTEM__EXTRA_DISK_PATHS", &extra),
            ("HOMELAB_DOCKER__ENABLED", "false"),
        ],
        "are there any alerts?",
    );
    assert_eq!(
        reply["tool_calls_made"],
        serde_json::json!(["active_alerts"])
    );
    let text = message(&reply);
    assert!(text.contains("active alert"), "{text}");
    let disk_line = text
        .lines()
        .find(|line| line.contains("% full"))
        .unwrap_or_else(|| panic!("no disk alert in:\n{text}"));
    assert!(disk_line.contains("warning at 1 %"), "{disk_line}");
    assert!(disk_line.contains(" free)"), "{disk_line}");

    // The audit log has the request, like every other.
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    assert_eq!(audit.lines().count(), 1);
}

#[test]
fn alerts_settings_are_validated_together_and_name_their_env() {
    Jail::expect_with(|jail| {
        // scripts/test.sh exports HOMELAB_TEST_DOCKER_HOST, which is no configuration key.
        jail.clear_env();
        jail.set_env("HOMELAB_ALERTS__DISK_WARNING_PERCENT", "97");
        jail.set_env("HOMELAB_ALERTS__QUIET_HOURS", "late");
        jail.set_env("HOMELAB_ALERTS__MAX_PER_HOUR", "0");
        jail.set_env("HOMELAB_ALERTS__MEMORY_CRITICAL_AVAILABLE_PERCENT", "20");
        let errors = config::load(None).expect_err("invalid").to_string();
        for needle in [
            "alerts.disk_warning_percent: must be above 0 and at most disk_critical_percent \
             (95) (from env HOMELAB_ALERTS__DISK_WARNING_PERCENT)",
            "alerts.quiet_hours: `late` is not a window like 23:00-07:00",
            "alerts.max_per_hour: must be between 1 and 1000",
            "alerts.memory_warning_available_percent",
        ] {
            assert!(errors.contains(needle), "{needle} missing from:\n{errors}");
        }
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.clear_env();
        jail.create_dir("config")?;
        jail.create_file(
            "config/homelab.toml",
            "[alerts]\nnotify = true\nquiet_hours = \"23:00-07:00\"\ndisk_warning_percent = 80\n\
             ignore_containers = [\"certbot\"]\n",
        )?;
        jail.set_env("HOMELAB_ALERTS__REPEAT_SECS", "600");
        let config = config::load(None).expect("valid").config;
        let alerts = &config.alerts;
        assert!(alerts.notify);
        assert_eq!(
            alerts.quiet_hours,
            Some(homelab_assistant::alerts::QuietHours::parse("23:00-07:00").unwrap())
        );
        assert_eq!(alerts.disk_warning_percent, 80.0);
        assert_eq!(alerts.disk_critical_percent, 95.0, "defaults fill the rest");
        assert_eq!(alerts.repeat_secs, 600, "env beats the file");
        assert_eq!(alerts.ignore_containers, ["certbot"]);
        Ok(())
    });
}

/// `/alerts` (Discord) and `!alerts` (Matrix) become `Command::Alerts`; the core answers it with
/// the `active_alerts` tool.
#[tokio::test]
async fn the_alerts_command_is_answered_by_the_core() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.docker.enabled = false;
    config.llm.provider = ProviderChoice::Offline;
    config.alerts.disk_warning_percent = 1.0;
    config.system.extra_disk_paths = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR"))];
    let audit = Arc::new(JsonlAudit::open(&dir.path().join("audit.jsonl")).unwrap());
    let app = App::build_with_audit(&config, audit).unwrap();
    let inbound = Inbound::command(Origin::new(Platform::Cli, "tester"), port::Command::Alerts);
    let reply = app.orchestrator.handle(inbound).await.unwrap();
    assert!(!reply.refused);
    let names: Vec<&str> = reply.tool_calls.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["active_alerts"]);
    assert!(reply.text.contains("% full"), "{}", reply.text);
    assert!(reply.text.contains("warning at 1 %"), "{}", reply.text);
}

/// A minimal Docker Engine API on a unix socket: `/version` and an empty container list. Each
/// connection serves one request, so that stopping the listener stops the engine.
fn fake_engine(socket: &Path) -> tokio::task::JoinHandle<()> {
    let listener = tokio::net::UnixListener::bind(socket).unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|request: hyper::Request<_>| async move {
                    let body = if request.uri().path().ends_with("/containers/json") {
                        "[]"
                    } else {
                        r#"{"Version":"24.0.0","ApiVersion":"1.41","MinAPIVersion":"1.12"}"#
                    };
                    let response = hyper::Response::builder()
                        .header("content-type", "application/json")
                        .body(Full::new(Bytes::from(body)))
                        .unwrap();
                    Ok::<_, Infallible>(response)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(false)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

fn drain(chat: &mut mpsc::Receiver<homelab_port::Notice>) -> Vec<String> {
    let mut got = Vec::new();
    while let Ok(notice) = chat.try_recv() {
        got.push(notice.text);
    }
    got
}

/// The acceptance of the watcher with real parts: an engine that goes away is one message, its
/// return one more, and neither repeats within the repeat interval.
#[tokio::test]
async fn notifications_tell_a_start_and_its_recovery_once() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("docker.sock");
    let mut config = Config::default();
    config.docker.host = Some(format!("unix://{}", socket.display()));
    config.alerts.notify = true;
    // A quiet host: only the Docker engine can raise an alert.
    // The same evaluator the `active_alerts` tool reads, as `serve` wires it.
    let (_registry, alerts) =
        app::registry_with_alerts(&config, &Sampler::fixed(Snapshot::default()));
    let source: Arc<dyn AlertSource> = alerts;
    let audit_path = dir.path().join("audit.jsonl");
    let audit = Arc::new(JsonlAudit::open(&audit_path).unwrap());
    let (sink, mut chat) = mpsc::channel(16);
    let mut watcher = Watcher::new(
        WatcherSettings::from_config(&config.alerts),
        source,
        vec![sink],
        audit,
    );

    watcher.tick().await;
    let sent = drain(&mut chat);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].starts_with("🔴 **critical** — Docker engine `local`"),
        "{sent:?}"
    );
    assert!(sent[0].contains("unreachable"), "{sent:?}");

    let engine = fake_engine(&socket);
    watcher.tick().await;
    let sent = drain(&mut chat);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].starts_with("✅ **resolved** — Docker engine local (was critical for"),
        "{sent:?}"
    );
    for _ in 0..3 {
        watcher.tick().await;
    }
    assert_eq!(drain(&mut chat), Vec::<String>::new(), "nothing changed");

    // The engine goes away again within the repeat interval: the start is not told twice.
    engine.abort();
    std::fs::remove_file(&socket).unwrap();
    for _ in 0..3 {
        watcher.tick().await;
    }
    assert_eq!(
        drain(&mut chat),
        Vec::<String>::new(),
        "no repeat within repeat_secs"
    );

    let audit = std::fs::read_to_string(&audit_path).unwrap();
    let entries: Vec<Value> = audit
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(entries.len(), 2, "one entry per message:\n{audit}");
    for entry in &entries {
        assert_eq!(entry["platform"], "notify");
        assert_eq!(entry["user_id"], "alert-watcher");
        assert_eq!(entry["outcome"], "answered");
    }
    assert_eq!(
        entries[0]["user_message"],
        "alert watcher: started docker:local"
    );
    assert!(
        entries[1]["assistant_response"]
            .as_str()
            .unwrap()
            .starts_with("✅ **resolved**")
    );
}

/// The tests that need the fixture daemon; `scripts/test.sh` runs them with it.
mod real_daemon {
    use super::*;

    #[test]
    fn ask_names_the_unhealthy_and_the_crash_looping_containers() {
        let Some(socket) = fixture_socket() else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let host = format!("unix://{}", socket.display());
        let reply = ask_json(
            dir.path(),
            &[("DOCKER_HOST", &host)],
            "are there any alerts?",
        );
        assert_eq!(reply["refused"], false);
        assert_eq!(
            reply["tool_calls_made"],
            serde_json::json!(["active_alerts"])
        );
        let text = message(&reply);
        let line = |name: &str| {
            text.lines()
                .find(|line| line.contains(&format!("`{name}`")))
                .unwrap_or_else(|| panic!("{name} is not named in:\n{text}"))
                .to_owned()
        };
        let sonarr = line("sonarr");
        assert!(
            sonarr.contains("is unhealthy:") && sonarr.contains("failed health checks in a row"),
            "{sonarr}"
        );
        assert!(first_number(&sonarr) >= 1, "{sonarr}");
        let crashloop = line("crashloop");
        // Between two crashes it is briefly running: then it was "restarted … ago".
        assert!(
            crashloop.contains("restarting in a loop") || crashloop.contains("was restarted"),
            "{crashloop}"
        );
        assert!(crashloop.contains("restart"), "{crashloop}");
        assert!(!text.contains("`plex`"), "plex is healthy:\n{text}");
        assert!(!text.contains("`backup`"), "backup exited 0:\n{text}");
        assert!(text.contains("`importer` exited with code 3"), "{text}");
    }

    #[tokio::test]
    async fn the_rules_read_the_fixture_states() {
        let Some(socket) = fixture_socket() else {
            return;
        };
        let client = DockerClient::new(
            &DockerHostConfig {
                name: "local".into(),
                host: format!("unix://{}", socket.display()),
                ..DockerHostConfig::default()
            },
            Duration::from_secs(10),
        );
        let evaluator = AlertEvaluator::with_engines(
            &AlertsConfig::default(),
            Sampler::fixed(Snapshot::default()),
            vec![Arc::new(client)],
        );
        let report = evaluator.report().await.unwrap();
        let severity = |id: &str| {
            report
                .alerts
                .iter()
                .find(|a| a.id == id)
                .map(|a| a.severity)
        };
        assert_eq!(
            severity("container:sonarr:unhealthy"),
            Some(Severity::Warning),
            "{report:#?}"
        );
        assert!(
            severity("container:crashloop:restarts").is_some(),
            "{report:#?}"
        );
        assert_eq!(
            severity("container:importer:exited"),
            Some(Severity::Warning)
        );
        for healthy in ["plex", "backup", "chatty"] {
            assert!(
                !report
                    .alerts
                    .iter()
                    .any(|a| a.id.contains(&format!(":{healthy}:"))),
                "{healthy}: {report:#?}"
            );
        }
        let counts = report.figures.containers.expect("Docker was read");
        assert!(counts.unhealthy >= 1 && counts.running >= 2, "{counts:?}");
        // Alerts come worst first.
        assert!(
            report
                .alerts
                .windows(2)
                .all(|pair| pair[0].severity >= pair[1].severity)
        );
    }
}

fn first_number(text: &str) -> u64 {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|part| !part.is_empty())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
