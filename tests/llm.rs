//! The tool-calling loop against a strict loopback fake of an OpenAI-compatible API: tool calls,
//! misbehaving models, rate limits, outages, hangs, garbage, and follow-up questions.
#![allow(clippy::disallowed_methods)] // The binary tests spawn the binary under test.

mod support {
    pub mod fake_llm;
}

use std::sync::Arc;
use std::time::{Duration, Instant};

use homelab_assistant::app::App;
use homelab_assistant::audit::JsonlAudit;
use homelab_assistant::config::{Config, ProviderChoice};
use homelab_port::{ChatHandler, Inbound, Origin, Platform, Reply};
use serde_json::Value;
use support::fake_llm::{FakeLlm, Scripted};

struct Harness {
    fake: FakeLlm,
    app: App,
    dir: tempfile::TempDir,
}

impl Harness {
    async fn start(script: Vec<Scripted>) -> Self {
        Self::start_with(script, |_| {}).await
    }

    async fn start_with(script: Vec<Scripted>, adjust: impl FnOnce(&mut Config)) -> Self {
        let fake = FakeLlm::start(script).await;
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.llm.provider = ProviderChoice::OpenaiCompatible;
        config.llm.base_url = Some(fake.base_url());
        config.llm.model = Some("test-model".into());
        config.llm.api_key = Some(homelab_assistant::secret::Secret::new(fake.key.clone()));
        config.llm.timeout_secs = 10;
        config.docker.enabled = false;
        adjust(&mut config);
        let audit = Arc::new(JsonlAudit::open(&dir.path().join("audit.jsonl")).unwrap());
        let app = App::build_with_audit(&config, audit).unwrap();
        Self { fake, app, dir }
    }

    async fn ask(&self, text: &str, conversation: Option<&str>) -> Reply {
        let inbound = Inbound::question(Origin::new(Platform::Cli, "tester"), text)
            .in_conversation(conversation.map(str::to_owned));
        self.app
            .orchestrator
            .handle(inbound)
            .await
            .expect("answered")
    }

    fn audit(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("audit.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn assert_no_rejections(&self) {
        assert_eq!(self.fake.rejections(), Vec::<String>::new());
    }
}

fn tool_messages(request: &Value) -> Vec<&Value> {
    request["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .collect()
}

#[tokio::test]
async fn a_tool_call_then_a_final_answer() {
    let harness = Harness::start(vec![
        Scripted::ToolCalls(vec![("call_1", "cpu_usage", r#"{"per_core": false}"#)]),
        Scripted::Text("CPU is at a comfortable level."),
    ])
    .await;
    let reply = harness.ask("How busy is the processor?", None).await;
    harness.assert_no_rejections();
    assert_eq!(reply.text, "CPU is at a comfortable level.");
    assert!(!reply.refused);
    assert_eq!(reply.tool_calls_made(), vec!["cpu_usage"]);
    assert!(reply.tool_calls[0].ok);
    assert_eq!(reply.tool_calls[0].arguments["per_core"], false);

    let requests = harness.fake.requests();
    assert_eq!(requests.len(), 2);
    let first = &requests[0];
    assert_eq!(first["model"], "test-model");
    assert_eq!(first["messages"][0]["role"], "system");
    let offered: Vec<&str> = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert!(offered.contains(&"cpu_usage") && offered.contains(&"decline_request"));
    let results = tool_messages(&requests[1]);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["tool_call_id"], "call_1");
    let content = results[0]["content"].as_str().unwrap();
    assert!(content.contains("<tool_output name=\"cpu_usage\" trust=\"untrusted-data\">"));
    assert!(content.contains("\"usage_percent\":"), "{content}");

    let audit = harness.audit();
    assert_eq!(audit.len(), 1);
    let llm = &audit[0]["llm"];
    assert_eq!(llm["provider"], "openai-compatible");
    assert_eq!(llm["model"], "test-model");
    assert_eq!(llm["rounds"], 2);
    assert_eq!(llm["completion_tokens"], 14);
    assert!(llm["prompt_tokens"].as_u64().unwrap() > 100);
}

#[tokio::test]
async fn two_tool_calls_in_one_round_both_run() {
    let harness = Harness::start(vec![
        Scripted::ToolCalls(vec![("a", "cpu_usage", "{}"), ("b", "memory_usage", "{}")]),
        Scripted::Text("Both look fine."),
    ])
    .await;
    let reply = harness.ask("cpu and memory?", None).await;
    harness.assert_no_rejections();
    assert_eq!(reply.tool_calls_made(), vec!["cpu_usage", "memory_usage"]);
    assert!(reply.tool_calls.iter().all(|c| c.ok));
    let requests = harness.fake.requests();
    let ids: Vec<&str> = tool_messages(&requests[1])
        .iter()
        .map(|m| m["tool_call_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["a", "b"]);
}

#[tokio::test]
async fn unknown_and_destructive_tools_never_run() {
    let harness = Harness::start(vec![
        Scripted::ToolCalls(vec![
            ("x1", "restart_container", r#"{"name": "plex"}"#),
            ("x2", "exec", r#"{"command": "rm -rf /"}"#),
            ("x3", "cpu_usage", r#"{"per_core": true, "restart": true}"#),
        ]),
        Scripted::Text("I only have read-only tools."),
    ])
    .await;
    let reply = harness.ask("plex looks odd, have a look", None).await;
    harness.assert_no_rejections();
    assert_eq!(
        reply.tool_calls_made(),
        vec!["restart_container", "exec", "cpu_usage"]
    );
    for call in &reply.tool_calls {
        assert!(!call.ok && call.rejected, "{call:?}");
    }
    let requests = harness.fake.requests();
    let results = tool_messages(&requests[1]);
    assert!(
        results[0]["content"]
            .as_str()
            .unwrap()
            .contains("unknown tool `restart_container`")
    );
    assert!(
        results[2]["content"]
            .as_str()
            .unwrap()
            .contains("unknown field `restart`")
    );
    let audit = harness.audit();
    let calls = audit[0]["tool_calls"].as_array().unwrap();
    assert!(
        calls
            .iter()
            .all(|c| c["ok"] == false && c["rejected"] == true)
    );
}

#[tokio::test]
async fn malformed_arguments_are_rejected_and_reported_to_the_model() {
    let harness = Harness::start(vec![
        Scripted::ToolCalls(vec![("m1", "top_processes", "{by: cpu")]),
        Scripted::ToolCalls(vec![("m2", "top_processes", r#"{"limit": 500}"#)]),
        Scripted::Text("Sorry, here is what I know."),
    ])
    .await;
    let reply = harness.ask("what is eating my cpu?", None).await;
    harness.assert_no_rejections();
    assert_eq!(reply.tool_calls.len(), 2);
    assert!(reply.tool_calls.iter().all(|c| !c.ok && c.rejected));
    let requests = harness.fake.requests();
    assert!(
        tool_messages(&requests[1])[0]["content"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
    assert!(
        tool_messages(&requests[2])[1]["content"]
            .as_str()
            .unwrap()
            .contains("limit must be between 1 and 25")
    );
}

#[tokio::test]
async fn rate_limits_are_retried() {
    let harness = Harness::start(vec![
        Scripted::Status(429, Some(0)),
        Scripted::Status(503, None),
        Scripted::Text("All good."),
    ])
    .await;
    let reply = harness.ask("how are things?", None).await;
    assert_eq!(reply.text, "All good.");
    assert_eq!(harness.fake.requests().len(), 3);
    assert_eq!(harness.audit()[0]["llm"]["rounds"], 1);
}

#[tokio::test]
async fn server_errors_degrade_to_the_offline_answer() {
    let harness = Harness::start(vec![
        Scripted::Status(500, None),
        Scripted::Status(500, None),
        Scripted::Status(500, None),
        Scripted::Text("never reached"),
    ])
    .await;
    let reply = harness.ask("What is the CPU usage?", None).await;
    assert_eq!(harness.fake.requests().len(), 3, "at most 3 attempts");
    assert!(
        reply.text.contains("language model is unavailable"),
        "{}",
        reply.text
    );
    assert!(reply.text.contains("CPU usage is"), "{}", reply.text);
    assert!(!reply.text.contains("sk-live"), "upstream body leaked");
    assert_eq!(reply.tool_calls_made(), vec!["cpu_usage"]);
    let audit = harness.audit();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["outcome"], "answered");
    assert_eq!(audit[0]["llm"]["degraded"], true);
}

#[tokio::test]
async fn a_hanging_server_is_abandoned_at_the_timeout() {
    let harness = Harness::start_with(vec![Scripted::Hang], |config| {
        config.llm.timeout_secs = 1;
    })
    .await;
    let started = Instant::now();
    let reply = harness.ask("memory?", None).await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(reply.text.contains("language model is unavailable"));
    assert!(reply.text.contains("Memory:"));
}

#[tokio::test]
async fn a_non_json_body_is_an_error_not_a_panic() {
    let harness = Harness::start(vec![Scripted::Garbage, Scripted::Text("unused")]).await;
    let reply = harness.ask("disk usage", None).await;
    assert_eq!(
        harness.fake.requests().len(),
        1,
        "a malformed body is not retried"
    );
    assert!(reply.text.contains("language model is unavailable"));
    assert!(reply.text.contains("Filesystems") || reply.text.contains("disk"));
}

#[tokio::test]
async fn a_follow_up_sees_the_previous_turn() {
    let harness = Harness::start(vec![
        Scripted::Text("CPU is at 5 %."),
        Scripted::Text("And memory is at 20 %."),
    ])
    .await;
    let first = harness.ask("what is the cpu usage?", None).await;
    let second = harness
        .ask("and memory?", Some(&first.conversation_id))
        .await;
    harness.assert_no_rejections();
    assert_eq!(second.conversation_id, first.conversation_id);
    let messages = harness.fake.requests()[1]["messages"].clone();
    let roles: Vec<&str> = messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, vec!["system", "user", "assistant", "user"]);
    assert_eq!(messages[1]["content"], "what is the cpu usage?");
    assert_eq!(messages[2]["content"], "CPU is at 5 %.");
    assert_eq!(messages[3]["content"], "and memory?");
}

#[tokio::test]
async fn a_model_that_declines_gives_a_structured_refusal() {
    let harness = Harness::start(vec![Scripted::ToolCalls(vec![(
        "d1",
        "decline_request",
        r#"{"category": "container_lifecycle", "reason": "Recreating plex would change the server."}"#,
    )])])
    .await;
    let reply = harness
        .ask("make plex go away and come back fresh", None)
        .await;
    assert!(reply.refused);
    assert_eq!(
        reply.refusal_category.as_deref(),
        Some("container_lifecycle")
    );
    assert!(reply.text.contains("Nothing was changed"));
    assert!(reply.tool_calls.is_empty());
    assert_eq!(harness.audit()[0]["outcome"], "refused");
}

#[tokio::test]
async fn a_model_claiming_an_action_is_turned_into_a_refusal() {
    let harness = Harness::start(vec![Scripted::Text("Done! I've restarted plex for you.")]).await;
    let reply = harness.ask("how is plex doing today?", None).await;
    assert!(reply.refused);
    assert!(reply.text.contains("Nothing was changed"), "{}", reply.text);
    assert!(reply.text.contains("performed none"), "{}", reply.text);
}

#[tokio::test]
async fn clear_requests_are_refused_before_the_model_is_asked() {
    let harness = Harness::start(vec![Scripted::Text("I restarted it")]).await;
    let reply = harness.ask("please restart plex", None).await;
    assert!(reply.refused);
    assert!(harness.fake.requests().is_empty(), "the LLM was asked");
}

#[tokio::test]
async fn rounds_are_bounded() {
    let harness = Harness::start_with(
        vec![
            Scripted::ToolCalls(vec![("r1", "cpu_usage", "{}")]),
            Scripted::ToolCalls(vec![("r2", "cpu_usage", "{}")]),
            Scripted::Text("Summary from what I gathered."),
        ],
        |config| config.llm.max_rounds = 2,
    )
    .await;
    let reply = harness.ask("keep checking the cpu", None).await;
    harness.assert_no_rejections();
    assert_eq!(reply.text, "Summary from what I gathered.");
    assert_eq!(reply.tool_calls.len(), 2);
    let last = harness.fake.requests().pop().unwrap();
    assert!(
        last.get("tools").is_none(),
        "the final call offers no tools"
    );
}

// ---- The binary, as a user runs it ----

const BIN: &str = env!("CARGO_BIN_EXE_homelab-assistant");

fn run_binary(
    base_url: &str,
    key: &str,
    dir: &std::path::Path,
    question: &str,
) -> std::process::Output {
    std::process::Command::new(BIN)
        .args(["ask", "--json", question])
        .current_dir(dir)
        .env_remove("GROQ_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .env_remove("HOMELAB_CONFIG")
        .env("LLM_PROVIDER", "openai-compatible")
        .env("LLM_BASE_URL", base_url)
        .env("LLM_API_KEY", key)
        .env("HOMELAB_LLM__TIMEOUT_SECS", "3")
        .env("HOMELAB_DOCKER__ENABLED", "false")
        .env("HOMELAB_AUDIT__PATH", dir.join("audit.jsonl"))
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_runs_the_tools_the_model_asks_for() {
    let fake = FakeLlm::start(vec![
        Scripted::ToolCalls(vec![
            ("b1", "memory_usage", "{}"),
            ("b2", "restart_container", r#"{"name": "plex"}"#),
        ]),
        Scripted::Text("Memory is fine; I cannot restart anything."),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (base, key, path) = (fake.base_url(), fake.key.clone(), dir.path().to_owned());
    let output =
        tokio::task::spawn_blocking(move || run_binary(&base, &key, &path, "how is memory?"))
            .await
            .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let reply: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        reply["message"],
        "Memory is fine; I cannot restart anything."
    );
    assert_eq!(
        reply["tool_calls_made"],
        serde_json::json!(["memory_usage", "restart_container"])
    );
    assert_eq!(reply["tool_calls"][0]["ok"], true);
    assert_eq!(reply["tool_calls"][1]["ok"], false);
    assert_eq!(fake.rejections(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_degrades_when_the_server_is_down() {
    // Bind and drop: nothing listens on this port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let started = Instant::now();
    let output = tokio::task::spawn_blocking(move || {
        run_binary(
            &format!("http://127.0.0.1:{port}/v1"),
            "k",
            &path,
            "What is the CPU usage?",
        )
    })
    .await
    .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let reply: Value = serde_json::from_slice(&output.stdout).unwrap();
    let message = reply["message"].as_str().unwrap();
    assert!(
        message.contains("language model is unavailable"),
        "{message}"
    );
    assert!(message.contains("CPU usage is"), "{message}");
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    assert_eq!(audit.lines().count(), 1);
}

/// Every form of a false claim, through the tool loop against the fake OpenAI server: the reply
/// is a refusal with its category, and the audit keeps the model's text for review.
#[tokio::test]
async fn every_form_of_claimed_action_becomes_a_refusal() {
    for (form, claim) in [
        ("past", "I restarted plex for you."),
        ("perfect", "I've gone ahead and deleted the old snapshots."),
        ("progressive", "Restarting plex now, give it a minute."),
        ("passive", "Done! Plex has been restarted."),
        ("telegraphic passive", "Snapshots deleted."),
        ("future", "I will restart plex for you right away."),
        ("intent", "Reminder set: I'll remind you tomorrow at 9."),
        ("done", "Done!"),
        ("all set", "All set."),
        ("check mark", "✅ Plex restarted"),
        ("french", "J'ai redémarré plex."),
        ("german", "Ich habe den Server neu gestartet."),
        ("spanish", "He reiniciado el contenedor."),
    ] {
        let harness = Harness::start(vec![Scripted::Text(claim)]).await;
        let reply = harness.ask("how is plex doing today?", None).await;
        assert!(
            reply.refused,
            "{form}: {claim:?} passed as {:?}",
            reply.text
        );
        assert!(reply.refusal_category.is_some(), "{form}");
        assert!(
            reply.text.contains("Nothing was changed"),
            "{form}: {}",
            reply.text
        );
        let audit = harness.audit();
        let entry = audit.last().unwrap();
        assert_eq!(entry["outcome"], "refused", "{form}");
        assert_eq!(entry["model_answer"], claim, "{form}");
    }
}

/// Honest answers pass unchanged: reports of the past, status listings, inability.
#[tokio::test]
async fn honest_reports_pass_the_claim_check() {
    for honest in [
        "plex restarted 3 times in the last hour.",
        "The server rebooted at 04:12.",
        "`flaky` — restarting, exit code 3",
        "backup: exited (0)",
        "I can't restart plex: I'm read-only.",
    ] {
        let harness = Harness::start(vec![Scripted::Text(honest)]).await;
        let reply = harness.ask("how is plex doing today?", None).await;
        assert!(!reply.refused, "{honest:?} was flagged");
        assert_eq!(reply.text, honest);
        assert!(
            harness
                .audit()
                .last()
                .unwrap()
                .get("model_answer")
                .is_none()
        );
    }
}
