//! `serve` as an operator runs it: the real binary on a real socket, answering `/chat` over
//! HTTP, auditing every request, and stopping cleanly on SIGTERM.
#![allow(clippy::disallowed_methods)] // These tests spawn the binary under test and signal it.

mod support {
    pub mod serve_process;
}

use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::serve_process::Serve;

const BIN: &str = env!("CARGO_BIN_EXE_homelab-assistant");

/// Generous: a debug build starting next to other test binaries on two cores.
const PATIENCE: Duration = Duration::from_secs(20);

/// `serve` with its HTTP adapter on, and the address it reported.
struct Server {
    serve: Serve,
    base: String,
}

/// Starts `serve` with HTTP on a free loopback port and Docker off, plus `extra_env` (which
/// wins), and reads the address it reports.
async fn start(dir: &std::path::Path, extra_env: &[(&str, &str)]) -> Server {
    let mut env: Vec<(&str, String)> = vec![
        ("HOMELAB_HTTP__ENABLED", "true".to_owned()),
        ("HOMELAB_HTTP__BIND", "127.0.0.1:0".to_owned()),
        ("HOMELAB_DOCKER__ENABLED", "false".to_owned()),
    ];
    env.extend(
        extra_env
            .iter()
            .map(|(name, value)| (*name, (*value).to_owned())),
    );
    let mut serve = Serve::start(dir, &env);
    let base = serve.http_base(PATIENCE).await;
    Server { serve, base }
}

fn client() -> reqwest::Client {
    homelab_assistant::app::install_crypto_provider();
    reqwest::Client::new()
}

#[tokio::test]
async fn serve_answers_chat_on_a_real_socket_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path(), &[]).await;
    let client = client();

    let health: Value = client
        .get(format!("{}/health", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "healthy");

    let response = client
        .post(format!("{}/chat", server.base))
        .json(&serde_json::json!({"message": "What is the CPU usage?", "conversation_id": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let reply: Value = response.json().await.unwrap();
    assert_eq!(reply["refused"], false);
    assert_eq!(reply["tool_calls_made"], serde_json::json!(["cpu_usage"]));
    assert!(reply["message"].as_str().unwrap().contains("CPU usage is"));

    let refused: Value = client
        .post(format!("{}/chat", server.base))
        .json(&serde_json::json!({"message": "restart plex", "conversation_id": "abc"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(refused["refused"], true);
    assert_eq!(refused["conversation_id"], "abc");

    let invalid = client
        .post(format!("{}/chat", server.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 422);

    let metrics = client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("homelab_tool_calls_total{tool=\"cpu_usage\",result=\"ok\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("homelab_refusals_total{category=\"container_lifecycle\"} 1"),
        "{metrics}"
    );

    let status = server.serve.terminate(PATIENCE).await;
    assert!(status.success(), "{status:?}");
    let audit = server.serve.audit();
    assert_eq!(audit.len(), 3, "{audit:#?}");
    assert!(audit.iter().all(|e| e["platform"] == "http"));
}

#[tokio::test]
async fn serve_requires_the_api_key_when_one_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[("API_KEY", "s3cret-key")]).await;
    let client = client();
    let denied = client
        .post(format!("{}/chat", server.base))
        .json(&serde_json::json!({"message": "memory?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    let allowed = client
        .post(format!("{}/chat", server.base))
        .header("X-API-Key", "s3cret-key")
        .json(&serde_json::json!({"message": "memory?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    let audit = server.serve.audit();
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0]["outcome"], "unauthorized");
    assert_eq!(audit[1]["user_id"], "default");
}

/// POSTs `message` to `/chat` with `key`, continuing `conversation` if given.
async fn ask(
    server: &Server,
    key: &str,
    message: &str,
    conversation: Option<&str>,
) -> (u16, Value) {
    let mut body = serde_json::json!({"message": message});
    if let Some(id) = conversation {
        body["conversation_id"] = Value::from(id);
    }
    let response = client()
        .post(format!("{}/chat", server.base))
        .header("X-API-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_named_key_read_from_its_file_is_enforced() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ops.key"), "ops-key-from-file\n").unwrap();
    let keys = format!(
        "[{{name=\"ops\",key_file=\"{}\"}}]",
        dir.path().join("ops.key").display()
    );
    let server = start(dir.path(), &[("HOMELAB_HTTP__API_KEYS", &keys)]).await;
    let denied = client()
        .post(format!("{}/chat", server.base))
        .json(&serde_json::json!({"message": "memory?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        denied.status(),
        401,
        "a loopback server with a key file needs the key"
    );
    let (status, _) = ask(&server, "ops-key-from-file", "memory?", None).await;
    assert_eq!(status, 200);
    let audit = server.serve.audit();
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0]["outcome"], "unauthorized");
    assert_eq!(audit[1]["user_id"], "ops");
    assert!(!server.serve.log().contains("ops-key-from-file"));
}

#[tokio::test]
async fn two_callers_with_the_same_conversation_id_never_share_it() {
    let dir = tempfile::tempdir().unwrap();
    let keys = "[{name=\"alice\",key=\"alice-key-0001\"},{name=\"bob\",key=\"bob-key-0002\"}]";
    let server = start(dir.path(), &[("HOMELAB_HTTP__API_KEYS", keys)]).await;
    let (_, first) = ask(&server, "alice-key-0001", "what is the memory usage?", None).await;
    let id = first["conversation_id"].as_str().unwrap().to_owned();
    assert_eq!(
        first["tool_calls_made"],
        serde_json::json!(["memory_usage"])
    );

    // Bob sends alice's id: he starts fresh, so "and now?" has no subject to continue.
    let (status, bob) = ask(&server, "bob-key-0002", "and now?", Some(&id)).await;
    assert_eq!(status, 200);
    assert_ne!(
        bob["tool_calls_made"],
        serde_json::json!(["memory_usage"]),
        "{bob}"
    );
    assert!(
        !bob["message"].as_str().unwrap().contains("Memory"),
        "{bob}"
    );

    // Alice's own follow-up still continues her conversation.
    let (_, again) = ask(&server, "alice-key-0001", "and now?", Some(&id)).await;
    assert_eq!(again["conversation_id"], id.as_str());
    assert_eq!(
        again["tool_calls_made"],
        serde_json::json!(["memory_usage"]),
        "{again}"
    );
}

#[tokio::test]
async fn a_keyless_server_answers_only_requests_addressed_to_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]).await;
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    let send = |host: String| {
        client()
            .post(format!("{}/chat", server.base))
            .header("Host", host)
            .json(&serde_json::json!({"message": "memory?"}))
            .send()
    };
    let foreign = send("evil.example".to_owned()).await.unwrap();
    assert_eq!(foreign.status(), 403);
    let detail: Value = foreign.json().await.unwrap();
    assert!(
        detail["detail"].as_str().unwrap().contains("localhost"),
        "{detail}"
    );
    let audit = server.serve.audit();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["outcome"], "unauthorized");

    let local = send(format!("localhost:{port}")).await.unwrap();
    assert_eq!(local.status(), 200);
    assert_eq!(server.serve.audit().len(), 2);

    // A page of another origin, even when addressed to localhost.
    let cross = client()
        .post(format!("{}/chat", server.base))
        .header("Origin", "https://evil.example")
        .json(&serde_json::json!({"message": "memory?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    // And a body a browser could send without asking first.
    let form = client()
        .post(format!("{}/chat", server.base))
        .header("Content-Type", "text/plain")
        .body("{\"message\": \"memory?\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 415);
    assert_eq!(server.serve.audit().len(), 4, "every refusal is audited");

    // The audit log is private to the service's user.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("audit.jsonl"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn serve_refuses_a_public_bind_without_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BIN)
        .arg("serve")
        .current_dir(dir.path())
        .env_remove("API_KEY")
        .env("HOMELAB_HTTP__BIND", "0.0.0.0:0")
        .env("HOMELAB_AUDIT__PATH", dir.path().join("audit.jsonl"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("API key is required"));
}

/// The old gateway's documented curl example, byte for byte, then an allowance of 60 requests:
/// the 61st request inside the window is the one and only 429. The window is 600 s (one request
/// back every 10 s) rather than the default 60 s, so that a machine busy with other tests cannot
/// hand a request back while the 61 are still being sent.
#[tokio::test]
async fn the_old_curl_example_works_and_the_61st_request_is_the_only_429() {
    let dir = tempfile::tempdir().unwrap();
    // Docker on but unreachable, as on a host whose daemon is down: the tool still runs and says so.
    let socket = format!("unix://{}", dir.path().join("docker.sock").display());
    let server = start(
        dir.path(),
        &[
            ("API_KEY", "k"),
            ("RATE_LIMIT_REQUESTS", "60"),
            ("RATE_LIMIT_WINDOW", "600"),
            ("HOMELAB_DOCKER__ENABLED", "true"),
            ("DOCKER_HOST", &socket),
        ],
    )
    .await;
    let client = client();
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..61 {
        let response = client
            .post(format!("{}/chat", server.base))
            .header("X-API-Key", "k")
            .header("Content-Type", "application/json")
            .body(r#"{"message": "What containers are running?"}"#)
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            let retry_after: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            let body: Value = response.json().await.unwrap();
            limited = Some((retry_after, body));
        } else if statuses.len() == 1 {
            let reply: Value = response.json().await.unwrap();
            let message = reply["message"].as_str().unwrap();
            assert!(message.contains("unreachable"), "{message}");
            assert_eq!(
                reply["tool_calls_made"],
                serde_json::json!(["list_containers"])
            );
            assert!(
                reply["conversation_id"]
                    .as_str()
                    .is_some_and(|id| !id.is_empty())
            );
        }
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        60,
        "{statuses:?}"
    );
    assert_eq!(statuses[60], 429, "{statuses:?}");
    let (retry_after, body) = limited.unwrap();
    assert!(
        (1..=10).contains(&retry_after),
        "Retry-After: {retry_after}"
    );
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );

    let audit = server.serve.audit();
    assert_eq!(audit.len(), 61);
    assert_eq!(audit[60]["outcome"], "rate_limited", "{:#}", audit[60]);
}

/// Every error status the real server gives, each with a JSON `detail`.
#[tokio::test]
async fn the_real_server_answers_every_error_with_a_json_detail() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[("API_KEY", "k"), ("RATE_LIMIT_REQUESTS", "4")],
    )
    .await;
    let client = client();
    let chat = format!("{}/chat", server.base);
    let cases = [
        (None, "{\"message\": \"hi\"}".to_owned(), 401),
        (Some("wrong"), "{\"message\": \"hi\"}".to_owned(), 401),
        (
            Some("k"),
            format!("{{\"message\": \"{}\"}}", "x".repeat(17 * 1024)),
            413,
        ),
        (Some("k"), "{\"message\": ".to_owned(), 422),
        (Some("k"), "{\"message\": \"   \"}".to_owned(), 422),
        (
            Some("k"),
            format!("{{\"message\": \"{}\"}}", "é".repeat(4001)),
            422,
        ),
        (Some("k"), "{\"message\": \"disk?\"}".to_owned(), 429),
    ];
    for (key, body, expected) in cases {
        let mut request = client
            .post(&chat)
            .header("Content-Type", "application/json")
            .body(body);
        if let Some(key) = key {
            request = request.header("X-API-Key", key);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status().as_u16(),
            expected,
            "{:#?}",
            server.serve.audit()
        );
        let detail: Value = response.json().await.unwrap();
        assert!(
            detail["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{expected}: {detail}"
        );
    }
}

/// A Matrix homeserver that is down when `serve` starts (still booting, say) does not take
/// `/chat` down with it: the bot is started again with a growing pause, and SIGTERM still stops
/// everything cleanly.
#[tokio::test]
async fn a_chat_bot_whose_server_is_down_is_retried_while_chat_keeps_answering() {
    let dir = tempfile::tempdir().unwrap();
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let homeserver = format!("http://127.0.0.1:{closed_port}");
    let store = dir.path().join("matrix");
    let mut server = start(
        dir.path(),
        &[
            ("MATRIX_HOMESERVER", homeserver.as_str()),
            ("MATRIX_USER", "@assistant:localhost"),
            ("MATRIX_PASSWORD", "not-sent-anywhere"),
            ("HOMELAB_MATRIX__ALLOWED_USERS", "[\"@owner:localhost\"]"),
            ("HOMELAB_MATRIX__STORE_PATH", store.to_str().unwrap()),
        ],
    )
    .await;
    server
        .serve
        .wait_for_log("the Matrix bot stopped", PATIENCE)
        .await;
    let log = server.serve.log();
    let retry_line = log
        .lines()
        .find(|l| l.contains("the Matrix bot stopped"))
        .unwrap();
    assert!(
        retry_line.contains("starting it again in 5s"),
        "{retry_line}"
    );
    assert!(!retry_line.contains("not-sent-anywhere"), "{retry_line}");

    let reply: Value = client()
        .post(format!("{}/chat", server.base))
        .json(&serde_json::json!({"message": "What is the CPU usage?"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["tool_calls_made"], serde_json::json!(["cpu_usage"]));

    let status = server.serve.terminate(PATIENCE).await;
    assert!(status.success(), "{status:?}");
}

/// A short follow-up after a refused request asks for the same change: the real server refuses
/// it in the same category, while a follow-up about a read-only topic is answered.
#[tokio::test]
async fn a_follow_up_to_a_refused_request_is_refused_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path(), &[]).await;
    let client = client();
    let chat = |message: &str| {
        client
            .post(format!("{}/chat", server.base))
            .json(&serde_json::json!({"message": message, "conversation_id": "follow-up"}))
            .send()
    };
    let first: Value = chat("reboot the server")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first["refused"], true);
    for follow_up in ["yes, do it", "same for the nas", "again"] {
        let reply: Value = chat(follow_up).await.unwrap().json().await.unwrap();
        assert_eq!(reply["refused"], true, "{follow_up}: {reply}");
        assert_eq!(
            reply["refusal_category"], "host_power",
            "{follow_up}: {reply}"
        );
        assert_eq!(reply["conversation_id"], "follow-up");
    }
    let memory: Value = chat("and memory?").await.unwrap().json().await.unwrap();
    assert_eq!(memory["refused"], false, "{memory}");
    // Another conversation has no refusal to follow up.
    let fresh: Value = client
        .post(format!("{}/chat", server.base))
        .json(&serde_json::json!({"message": "yes, do it", "conversation_id": "other"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fresh["refused"], false, "{fresh}");
    let status = server.serve.terminate(PATIENCE).await;
    assert!(status.success(), "{status:?}");
    let audit = server.serve.audit();
    let refused = audit.iter().filter(|e| e["outcome"] == "refused").count();
    assert_eq!(refused, 4, "{audit:#?}");
}

/// `GET /graph/{metric}?span=`: a PNG behind the API key, audited like `/chat`; a chart that
/// cannot be drawn is a 404 with the reason, and no key is a 401.
#[tokio::test]
async fn graph_serves_a_png_behind_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path(), &[("API_KEY", "graph-key-123")]).await;
    let client = client();
    // The sampler's first snapshot is the history's first point.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let chart = client
        .get(format!("{}/graph/memory?span=1h", server.base))
        .header("X-API-Key", "graph-key-123")
        .send()
        .await
        .unwrap();
    assert_eq!(chart.status(), 200);
    assert_eq!(chart.headers()["content-type"], "image/png");
    let bytes = chart.bytes().await.unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes.to_vec()));
    let reader = decoder.read_info().expect("a PNG");
    assert_eq!((reader.info().width, reader.info().height), (800, 400));

    let unknown = client
        .get(format!("{}/graph/weather", server.base))
        .header("X-API-Key", "graph-key-123")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let detail: Value = unknown.json().await.unwrap();
    assert!(
        detail["detail"].as_str().unwrap().contains("unknown chart"),
        "{detail}"
    );

    let keyless = client
        .get(format!("{}/graph/cpu", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(keyless.status(), 401);

    let audit = server.serve.wait_for_audit(3, PATIENCE).await;
    let outcomes: Vec<&str> = audit
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["answered", "answered", "unauthorized"]);
    assert_eq!(audit[0]["user_message"], "/graph memory 1h");
    assert!(server.serve.terminate(PATIENCE).await.success());
}

/// Webhooks with no chat to post to: the call is refused as unavailable (503), audited once,
/// and nothing claims to have been posted.
#[tokio::test]
async fn a_webhook_with_no_chat_to_post_to_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let token = "hook-token-0123456789abcdef";
    let mut server = start(dir.path(), &[("HOMELAB_WEBHOOKS__TOKEN", token)]).await;
    let answer = client()
        .post(format!("{}/hooks/generic/{token}", server.base))
        .json(&serde_json::json!({"title": "Backup failed", "severity": "warning"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 503);
    let audit = server.serve.wait_for_audit(1, PATIENCE).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["platform"], "webhook");
    assert_eq!(audit[0]["outcome"], "unavailable");
    assert!(server.serve.terminate(PATIENCE).await.success());
}
