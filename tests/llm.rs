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
    let reply = harness.ask("anything odd lately?", None).await;
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
    assert!(content.contains("CPU usage is"), "{content}");

    let audit = harness.audit();
    assert_eq!(audit.len(), 1);
    let llm = &audit[0]["llm"];
    assert_eq!(llm["provider"], "openai-compatible");
    assert_eq!(llm["model"], "test-model");
    assert_eq!(llm["rounds"], 2);
    assert_eq!(llm["completion_tokens"], 14);
    assert!(llm["prompt_tokens"].as_u64().unwrap() > 100);
}

fn offered(request: &Value) -> Vec<&str> {
    request["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_routed_question_costs_one_call_with_its_results_as_the_models_own_calls() {
    let harness = Harness::start(vec![Scripted::Text("The CPU is mostly idle.")]).await;
    let reply = harness.ask("How busy is the processor?", None).await;
    harness.assert_no_rejections();
    assert_eq!(reply.text, "The CPU is mostly idle.");
    assert_eq!(reply.tool_calls_made(), vec!["cpu_usage"]);
    assert_eq!(reply.llm_calls, 1);
    let requests = harness.fake.requests();
    assert_eq!(requests.len(), 1);
    let messages = requests[0]["messages"].as_array().unwrap();
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, vec!["system", "user", "assistant", "tool"]);
    let call = &messages[2]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "cpu_usage");
    assert_eq!(messages[3]["tool_call_id"], call["id"]);
    let content = messages[3]["content"].as_str().unwrap();
    assert!(
        content.starts_with("<tool_output name=\"cpu_usage\""),
        "{content}"
    );
    assert!(content.contains("CPU usage is"), "{content}");
    // Only the routed tool is offered again, with the decline tool.
    assert_eq!(offered(&requests[0]), vec!["cpu_usage", "decline_request"]);
    assert_eq!(harness.audit()[0]["llm"]["rounds"], 1);
}

#[tokio::test]
async fn a_routed_question_may_still_ask_for_more() {
    let harness = Harness::start(vec![
        Scripted::ToolCalls(vec![("more", "memory_usage", "{}")]),
        Scripted::Text("CPU and memory are fine."),
    ])
    .await;
    let reply = harness.ask("How busy is the processor?", None).await;
    harness.assert_no_rejections();
    assert_eq!(reply.tool_calls_made(), vec!["cpu_usage", "memory_usage"]);
    assert_eq!(reply.llm_calls, 2);
    let requests = harness.fake.requests();
    let results = tool_messages(&requests[1]);
    assert_eq!(results.len(), 2);
    assert!(results[1]["content"].as_str().unwrap().contains("Memory:"));
}

#[tokio::test]
async fn help_greetings_refusals_and_commands_cost_no_call() {
    let harness = Harness::start(vec![]).await;
    for question in ["hello", "thanks!", "help", "restart plex"] {
        let reply = harness.ask(question, None).await;
        assert_eq!(reply.llm_calls, 0, "{question}");
    }
    let command = Inbound::command(
        Origin::new(Platform::Discord, "42"),
        homelab_port::Command::Status,
    );
    let reply = harness.app.orchestrator.handle(command).await.unwrap();
    assert_eq!(reply.llm_calls, 0);
    assert!(harness.fake.requests().is_empty());
    assert!(
        harness
            .audit()
            .iter()
            .all(|entry| entry.get("llm").is_none())
    );
}

#[tokio::test]
async fn the_prompt_budget_leaves_out_earlier_turns_and_says_so() {
    let long_answer: &'static str =
        Box::leak(format!("All fine. {}", "Detail. ".repeat(300)).into_boxed_str());
    let harness = Harness::start_with(
        vec![Scripted::Text(long_answer), Scripted::Text("Still fine.")],
        |config| config.llm.max_prompt_tokens = 1000,
    )
    .await;
    let first = harness.ask("anything odd lately?", None).await;
    let unbounded = harness.fake.requests()[0].to_string().len();
    harness
        .ask("what do you make of it?", Some(&first.conversation_id))
        .await;
    harness.assert_no_rejections();
    let second = &harness.fake.requests()[1];
    assert!(
        second.to_string().len() <= 1000 * 4 + 200,
        "{}",
        second.to_string().len()
    );
    let messages = second["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "the earlier turn was left out");
    let question = messages[1]["content"].as_str().unwrap();
    assert!(
        question.starts_with("what do you make of it?"),
        "{question}"
    );
    assert!(
        question.contains("Left out to fit the prompt budget: 1 earlier turn"),
        "{question}"
    );
    assert!(unbounded < 1000 * 4, "{unbounded}");
}

#[tokio::test]
async fn two_tool_calls_in_one_round_both_run() {
    let harness = Harness::start(vec![
        Scripted::ToolCalls(vec![("a", "cpu_usage", "{}"), ("b", "memory_usage", "{}")]),
        Scripted::Text("Both look fine."),
    ])
    .await;
    let reply = harness.ask("what do you make of it?", None).await;
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
    let reply = harness.ask("anything odd lately?", None).await;
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
    let first = harness.ask("anything odd lately?", None).await;
    let second = harness
        .ask("what do you make of it?", Some(&first.conversation_id))
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
    assert_eq!(messages[1]["content"], "anything odd lately?");
    assert_eq!(messages[2]["content"], "CPU is at 5 %.");
    assert_eq!(messages[3]["content"], "what do you make of it?");
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
    let reply = harness.ask("what do you make of it?", None).await;
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
        tokio::task::spawn_blocking(move || run_binary(&base, &key, &path, "anything odd lately?"))
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
        ("italian", "Ho riavviato plex."),
        ("portuguese", "Reiniciei o plex."),
        ("dutch", "Ik heb plex herstart."),
        ("intent", "I'll go ahead and stop sonarr."),
        (
            "german verb-final",
            "Ich habe iotop auf dem Server installiert.",
        ),
        (
            "the assistant as subject",
            "I shut the server down for the weekend.",
        ),
        ("under way", "Rebooting the server in 5 seconds."),
        (
            "on request",
            "The volume postgres_data was removed at your request.",
        ),
        (
            "spanish past without pronoun",
            "Borré las imágenes sin usar.",
        ),
        ("french under way", "Redémarrage du NAS en cours…"),
        ("thumbs-up beside it", "Port 8443 opened. 👍"),
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
        "Restarting plex usually fixes buffering; you can do it with `docker restart plex`.",
        "I checked the logs: plex restarted twice because of the OOM killer.",
        "Plex a redémarré 3 fois depuis hier.",
        "Ich kann plex nicht neu starten, ich bin nur lesend.",
        "El servidor se reinició a las 04:12.",
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

/// Issue acceptance: against a real dockerd, each routed question is exactly one model call,
/// within 3,940 request bytes, and the model sees the figures it is to report.
#[tokio::test]
async fn routed_questions_cost_one_small_call_against_a_real_docker() {
    let Some(socket) = homelab_test_support::docker::fixture_socket() else {
        return;
    };
    for (question, tool, figure) in [
        (
            "What containers are running?",
            "list_containers",
            "running containers",
        ),
        ("How is my CPU and memory?", "memory_usage", "Memory:"),
        ("How full are my disks?", "disk_usage", "GiB"),
        (
            "show the logs of web",
            "container_logs",
            "listening on :8080",
        ),
    ] {
        let harness = Harness::start_with(vec![Scripted::Text("All good.")], |config| {
            config.docker.enabled = true;
            config.docker.host = Some(format!("unix://{}", socket.display()));
        })
        .await;
        let reply = harness.ask(question, None).await;
        harness.assert_no_rejections();
        assert_eq!(reply.llm_calls, 1, "{question}");
        let requests = harness.fake.requests();
        assert_eq!(requests.len(), 1, "{question}");
        let bytes = serde_json::to_vec(&requests[0]).unwrap().len();
        assert!(bytes <= 3940, "{question}: {bytes} request bytes");
        let results: Vec<&str> = tool_messages(&requests[0])
            .iter()
            .map(|m| m["content"].as_str().unwrap())
            .collect();
        assert!(
            results
                .iter()
                .any(|r| r.contains(&format!("name=\"{tool}\"")) && r.contains(figure)),
            "{question}: {results:?}"
        );
    }
}

/// An open question may take a second call; it still never takes more than it needs.
#[tokio::test]
async fn an_open_question_costs_at_most_two_calls() {
    let Some(socket) = homelab_test_support::docker::fixture_socket() else {
        return;
    };
    let harness = Harness::start_with(
        vec![
            Scripted::ToolCalls(vec![("s", "container_stats", r#"{"name": "db"}"#)]),
            Scripted::Text("db is the one to watch."),
        ],
        |config| {
            config.docker.enabled = true;
            config.docker.host = Some(format!("unix://{}", socket.display()));
        },
    )
    .await;
    let reply = harness
        .ask(
            "compare db and web and tell me which one to worry about",
            None,
        )
        .await;
    harness.assert_no_rejections();
    assert!((1..=2).contains(&reply.llm_calls), "{}", reply.llm_calls);
    assert_eq!(reply.text, "db is the one to watch.");
}
