//! Every status code of the HTTP adapter, driven through the router with `oneshot` (no socket), and
//! the audit invariant: each `/chat` request ends in exactly one `handle` or `reject` call.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use common::{Behaviour, KEY, OTHER_KEY, Recorder, config, state};
use homelab_http::{Config, MetricsRenderer, RateLimit, app};
use homelab_port::{ChatError, Outcome, Platform, Rejection};
use serde_json::{Value, json};
use tower::ServiceExt;

const LOCAL: &str = "127.0.0.1:50000";
const REMOTE: &str = "192.0.2.10:50000";

struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Response {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    fn detail(&self) -> String {
        self.json()["detail"]
            .as_str()
            .unwrap_or_else(|| panic!("no string detail in {}", self.json()))
            .to_owned()
    }
}

fn request(
    method: &str,
    path: &str,
    from: &str,
    key: Option<&str>,
    body: impl Into<Body>,
) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(key) = key {
        builder = builder.header("X-API-Key", key);
    }
    let mut request = builder.body(body.into()).unwrap();
    let peer: SocketAddr = from.parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    request
}

fn chat(key: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    request("POST", "/chat", REMOTE, key, body)
}

async fn send(app: &Router, request: Request<Body>) -> Response {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Response {
        status,
        headers,
        body,
    }
}

fn router(behaviour: Behaviour) -> (Router, Arc<Recorder>) {
    router_with(config(), behaviour, None)
}

fn router_with(
    config: Config,
    behaviour: Behaviour,
    metrics: Option<MetricsRenderer>,
) -> (Router, Arc<Recorder>) {
    let handler = Recorder::new(behaviour);
    (app(state(&config, &handler, metrics)), handler)
}

#[tokio::test]
async fn answers_with_the_old_gateway_fields_and_audits_once() {
    let (app, handler) = router(Behaviour::Echo);
    let response = send(
        &app,
        chat(
            Some(KEY),
            r#"{"message": "What containers are running?", "conversation_id": "c-7"}"#,
        ),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK);
    let body = response.json();
    assert_eq!(body["message"], "echo: What containers are running?");
    assert_eq!(body["conversation_id"], "c-7");
    assert_eq!(body["refused"], false);
    assert_eq!(body["refusal_category"], Value::Null);
    assert_eq!(body["tool_calls_made"], json!(["cpu_usage"]));
    assert_eq!(body["tool_calls"][0]["name"], "cpu_usage");
    assert_eq!(body["tool_calls"][0]["ok"], true);
    assert_eq!(body["tool_calls"][0]["arguments"], json!({}));

    let request_id = response.headers["x-request-id"].to_str().unwrap();
    assert_eq!(request_id.len(), 36, "a UUID: {request_id}");

    let handled = handler.handled();
    assert_eq!(handled.len(), 1);
    assert!(handler.rejected().is_empty());
    let inbound = &handled[0];
    assert_eq!(inbound.origin.platform, Platform::Http);
    assert_eq!(inbound.origin.user_id, "default");
    assert_eq!(inbound.origin.channel_id.as_deref(), Some("192.0.2.10"));
    assert_eq!(inbound.origin.display_name, None);
    assert_eq!(inbound.text, "What containers are running?");
    assert_eq!(inbound.conversation_id.as_deref(), Some("c-7"));
    assert_eq!(inbound.command, None);
}

#[tokio::test]
async fn a_client_request_id_is_kept_and_echoed() {
    let (app, _) = router(Behaviour::Echo);
    let mut request = chat(Some(KEY), r#"{"message":"hi"}"#);
    request
        .headers_mut()
        .insert("x-request-id", "trace-42".parse().unwrap());
    let response = send(&app, request).await;
    assert_eq!(response.headers["x-request-id"], "trace-42");
    // Errors carry one too, so a failed request can be found in the logs.
    let response = send(&app, chat(None, r#"{"message":"hi"}"#)).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert!(response.headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn the_key_name_becomes_the_audit_user() {
    let (app, handler) = router(Behaviour::Echo);
    let response = send(
        &app,
        chat(
            Some(OTHER_KEY),
            r#"{"message":"disk?","conversation_id":null}"#,
        ),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["conversation_id"], "conv-new");
    let handled = handler.handled();
    assert_eq!(handled[0].origin.user_id, "grafana");
    assert_eq!(handled[0].conversation_id, None);
}

#[tokio::test]
async fn without_keys_the_caller_is_anonymous() {
    let config = Config {
        api_keys: Vec::new(),
        ..Config::default()
    };
    let (app, handler) = router_with(config, Behaviour::Echo, None);
    let response = send(
        &app,
        request("POST", "/chat", LOCAL, None, r#"{"message":"hi"}"#),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK);
    let handled = handler.handled();
    assert_eq!(handled[0].origin.user_id, "anonymous");
    assert_eq!(handled[0].origin.channel_id.as_deref(), Some("127.0.0.1"));
}

#[tokio::test]
async fn unicode_messages_round_trip() {
    let (app, handler) = router(Behaviour::Echo);
    let message = "Wie voll ist „tank“? 🗄️ ディスク容量は？ — ünïcødé";
    let body = json!({ "message": message }).to_string();
    let response = send(&app, chat(Some(KEY), body)).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["message"], format!("echo: {message}"));
    assert_eq!(handler.handled()[0].text, message);
}

#[tokio::test]
async fn extra_fields_are_accepted_like_fastapi_did() {
    let (app, handler) = router(Behaviour::Echo);
    let response = send(
        &app,
        chat(
            Some(KEY),
            r#"{"message":"hi","stream":true,"user":{"id":1}}"#,
        ),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(handler.handled().len(), 1);
}

#[tokio::test]
async fn a_missing_key_is_401_and_audited_as_unauthorized() {
    let (app, handler) = router(Behaviour::Echo);
    let response = send(&app, chat(None, r#"{"message":"hi"}"#)).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert!(
        response.detail().contains("API key"),
        "{}",
        response.detail()
    );
    assert!(handler.handled().is_empty());
    let rejected = handler.rejected();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].1, Rejection::Unauthorized);
    assert_eq!(rejected[0].0.origin.user_id, "unauthenticated");
    assert_eq!(
        rejected[0].0.origin.channel_id.as_deref(),
        Some("192.0.2.10")
    );
}

#[tokio::test]
async fn a_wrong_key_is_401_and_never_echoed() {
    let (app, handler) = router(Behaviour::Echo);
    for wrong in ["nope", &KEY[..KEY.len() - 1], &format!("{KEY}x"), ""] {
        let response = send(&app, chat(Some(wrong), r#"{"message":"hi"}"#)).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "key {wrong:?}");
        assert_eq!(response.detail(), "Invalid API key.");
    }
    assert!(handler.handled().is_empty());
    assert_eq!(handler.rejected().len(), 4);
    assert!(
        handler
            .rejected()
            .iter()
            .all(|(_, r)| *r == Rejection::Unauthorized)
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_and_audited() {
    let (app, handler) = router(Behaviour::Echo);
    let big = json!({ "message": "x".repeat(17 * 1024) }).to_string();
    let response = send(&app, chat(Some(KEY), big)).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        response.detail().contains("16384 bytes"),
        "{}",
        response.detail()
    );
    assert!(handler.handled().is_empty());
    let rejected = handler.rejected();
    assert_eq!(rejected.len(), 1);
    assert!(matches!(rejected[0].1, Rejection::TooLarge { .. }));
    assert_eq!(rejected[0].1.outcome(), Outcome::TooLarge);
    assert_eq!(rejected[0].0.text, "");
    assert_eq!(rejected[0].0.origin.user_id, "default");
}

#[tokio::test]
async fn invalid_bodies_are_422_with_a_detail_and_audited() {
    let cases: &[(&str, &str)] = &[
        (r#"{"message": "hi""#, "not valid JSON"),
        ("not json at all", "not valid JSON"),
        ("", "not valid JSON"),
        (r#"{"conversation_id": "c"}"#, "missing field `message`"),
        (r#"{"message": 5}"#, "invalid type"),
        (r#"{"message": ["a"]}"#, "invalid type"),
        (r#"{"message": "hi", "conversation_id": 7}"#, "invalid type"),
        (r#"["hi"]"#, "Invalid request"),
    ];
    for (body, expected) in cases {
        let (app, handler) = router(Behaviour::Echo);
        let response = send(&app, chat(Some(KEY), *body)).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "body {body:?}"
        );
        assert!(
            response.detail().contains(expected),
            "body {body:?}: {}",
            response.detail()
        );
        assert!(handler.handled().is_empty(), "body {body:?}");
        let rejected = handler.rejected();
        assert_eq!(rejected.len(), 1, "body {body:?}");
        match &rejected[0].1 {
            Rejection::Invalid { reason } => assert_eq!(*reason, response.detail()),
            other => panic!("body {body:?}: {other:?}"),
        }
    }
}

/// Whether a message is empty or too long is the core's to judge (tests/serve.rs checks the 422
/// through the real binary): the adapter passes any message on, whatever its length in bytes.
#[tokio::test]
async fn messages_are_judged_by_the_core_not_the_adapter() {
    let (app, handler) = router(Behaviour::Echo);
    for message in ["", "  \n\t ", &"é".repeat(8000)] {
        let body = json!({ "message": message }).to_string();
        assert_eq!(
            send(&app, chat(Some(KEY), body)).await.status,
            StatusCode::OK,
            "{message:?}"
        );
    }
    assert_eq!(handler.handled().len(), 3);
    assert!(handler.rejected().is_empty());
}

#[tokio::test]
async fn a_body_that_is_not_declared_json_is_415() {
    let (app, handler) = router(Behaviour::Echo);
    let mut request = chat(Some(KEY), r#"{"message":"hi"}"#);
    request
        .headers_mut()
        .insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
    let response = send(&app, request).await;
    assert_eq!(response.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(response.detail().contains("Content-Type"));
    assert_eq!(handler.rejected().len(), 1);

    // A browser can post a body without a Content-Type and without asking first, so a missing
    // one is refused too.
    let mut request = chat(Some(KEY), r#"{"message":"hi"}"#);
    request.headers_mut().remove(header::CONTENT_TYPE);
    assert_eq!(
        send(&app, request).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    assert_eq!(handler.rejected().len(), 2);
    assert!(handler.handled().is_empty());
}

/// A keyless server on loopback, as a request from a web page would reach it.
fn keyless_from_browser(host: &str, origin: Option<&str>) -> Request<Body> {
    let mut request = request(
        "POST",
        "/chat",
        "127.0.0.1:50000",
        None,
        r#"{"message":"hi"}"#,
    );
    request
        .headers_mut()
        .insert(header::HOST, host.parse().unwrap());
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert(header::ORIGIN, origin.parse().unwrap());
    }
    request
}

#[tokio::test]
async fn a_keyless_server_answers_only_requests_addressed_to_loopback() {
    let (app, handler) = router_with(Config::default(), Behaviour::Echo, None);
    for host in ["evil.example", "evil.example:8000", "192.168.1.5:8000"] {
        let response = send(&app, keyless_from_browser(host, None)).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{host}");
        assert!(
            response.detail().contains("localhost"),
            "{}",
            response.detail()
        );
    }
    let rejected = handler.rejected();
    assert_eq!(rejected.len(), 3, "each refusal is audited");
    assert!(
        rejected
            .iter()
            .all(|(_, r)| matches!(r, Rejection::Forbidden { .. })
                && r.outcome() == Outcome::Unauthorized)
    );
    for host in [
        "localhost:8000",
        "127.0.0.1:8000",
        "[::1]:8000",
        "localhost",
    ] {
        let response = send(&app, keyless_from_browser(host, None)).await;
        assert_eq!(response.status, StatusCode::OK, "{host}");
    }
    assert_eq!(handler.handled().len(), 4);
}

#[tokio::test]
async fn pages_of_other_origins_are_refused_unless_listed() {
    let config = Config {
        allowed_origins: vec!["https://dash.example.org".into()],
        ..Config::default()
    };
    let (app, handler) = router_with(config, Behaviour::Echo, None);
    let foreign = keyless_from_browser("localhost:8000", Some("https://evil.example"));
    let response = send(&app, foreign).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert!(
        response.detail().contains("allowed_origins"),
        "{}",
        response.detail()
    );
    let null = keyless_from_browser("localhost:8000", Some("null"));
    assert_eq!(send(&app, null).await.status, StatusCode::FORBIDDEN);
    assert_eq!(handler.rejected().len(), 2);

    let same = keyless_from_browser("localhost:8000", Some("http://localhost:8000"));
    assert_eq!(send(&app, same).await.status, StatusCode::OK);
    let listed = keyless_from_browser("localhost:8000", Some("https://dash.example.org"));
    assert_eq!(send(&app, listed).await.status, StatusCode::OK);
    assert_eq!(handler.handled().len(), 2);

    // With keys, the Host may be any name (a LAN address, a reverse proxy), but a foreign page
    // is still refused.
    let (app, _) = router(Behaviour::Echo);
    let mut lan = chat(Some(KEY), r#"{"message":"hi"}"#);
    lan.headers_mut()
        .insert(header::HOST, "nas.lan:8000".parse().unwrap());
    assert_eq!(send(&app, lan).await.status, StatusCode::OK);
    let mut cross = chat(Some(KEY), r#"{"message":"hi"}"#);
    cross
        .headers_mut()
        .insert(header::HOST, "nas.lan:8000".parse().unwrap());
    cross
        .headers_mut()
        .insert(header::ORIGIN, "https://evil.example".parse().unwrap());
    assert_eq!(send(&app, cross).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_61st_request_in_a_window_is_429_with_retry_after() {
    let (app, handler) = router(Behaviour::Echo);
    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..61 {
        let response = send(&app, chat(Some(KEY), r#"{"message":"hi"}"#)).await;
        statuses.push(response.status);
        last = Some(response);
    }
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(limited, 1, "{statuses:?}");
    let last = last.unwrap();
    assert_eq!(last.status, StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = last.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    assert!(last.detail().contains("Too many requests"));

    assert_eq!(handler.handled().len(), 60);
    let rejected = handler.rejected();
    assert_eq!(rejected.len(), 1);
    assert_eq!(
        rejected[0].1,
        Rejection::RateLimited {
            retry_after_secs: retry_after
        }
    );
    assert_eq!(rejected[0].0.origin.user_id, "default");

    // Another key has its own allowance.
    let response = send(&app, chat(Some(OTHER_KEY), r#"{"message":"hi"}"#)).await;
    assert_eq!(response.status, StatusCode::OK);
}

#[tokio::test]
async fn key_guessing_is_rate_limited_per_client_ip() {
    let config = Config {
        rate_limit: RateLimit {
            requests: 3,
            window: Duration::from_secs(60),
        },
        ..config()
    };
    let (app, handler) = router_with(config, Behaviour::Echo, None);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            send(&app, chat(Some("guess"), r#"{"message":"hi"}"#))
                .await
                .status,
        );
    }
    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    // Another client address is not affected, and neither is a valid key from the same address.
    let other = request(
        "POST",
        "/chat",
        "192.0.2.99:1",
        Some("guess"),
        r#"{"message":"hi"}"#,
    );
    assert_eq!(send(&app, other).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        send(&app, chat(Some(KEY), r#"{"message":"hi"}"#))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(handler.audit_entries(), 6);
}

#[tokio::test]
async fn core_failures_map_to_statuses_without_internals() {
    let cases: [(fn() -> ChatError, StatusCode); 4] = [
        (
            || ChatError::Unavailable("groq said 500: sk-secret".into()),
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        (
            || ChatError::AuditFailed("EIO on /var/log/sk-secret".into()),
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        (
            || ChatError::Internal("panic at sk-secret".into()),
            StatusCode::INTERNAL_SERVER_ERROR,
        ),
        (
            || ChatError::InvalidInput("That question is too vague.".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (make, status) in cases {
        let (app, handler) = router(Behaviour::Fail(make));
        let response = send(&app, chat(Some(KEY), r#"{"message":"hi"}"#)).await;
        assert_eq!(response.status, status);
        assert_eq!(response.detail(), make().to_string());
        assert!(!String::from_utf8_lossy(&response.body).contains("sk-secret"));
        assert_eq!(handler.handled().len(), 1);
        assert!(handler.rejected().is_empty());
    }
}

#[tokio::test]
async fn a_refusal_that_cannot_be_audited_is_503() {
    let (app, handler) = router(Behaviour::AuditDown);
    for request in [
        chat(None, r#"{"message":"hi"}"#),
        chat(Some(KEY), r#"{"message": 5}"#),
        chat(
            Some(KEY),
            json!({ "message": "x".repeat(17 * 1024) }).to_string(),
        ),
    ] {
        let response = send(&app, request).await;
        assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            response.detail().contains("audit log"),
            "{}",
            response.detail()
        );
        assert!(!response.detail().contains("secret-path"));
    }
    assert!(handler.handled().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_core_that_never_answers_is_503_after_the_timeout() {
    let (app, handler) = router(Behaviour::Hang);
    let response = send(&app, chat(Some(KEY), r#"{"message":"hi"}"#)).await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response.detail(),
        ChatError::Unavailable(String::new()).to_string()
    );
    assert_eq!(handler.handled().len(), 1);
}

#[tokio::test]
async fn health_needs_no_key() {
    let (app, handler) = router(Behaviour::Echo);
    let response = send(&app, request("GET", "/health", REMOTE, None, Body::empty())).await;
    assert_eq!(response.status, StatusCode::OK);
    let body = response.json();
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(handler.audit_entries(), 0);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let (app, handler) = router(Behaviour::Echo);
    let response = send(
        &app,
        request("GET", "/nope", REMOTE, Some(KEY), Body::empty()),
    )
    .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.detail(), "Not Found");
    let response = send(
        &app,
        request("GET", "/chat", REMOTE, Some(KEY), Body::empty()),
    )
    .await;
    assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.detail(), "Method Not Allowed");
    assert_eq!(handler.audit_entries(), 0);
}

fn renderer() -> MetricsRenderer {
    Arc::new(|| "# TYPE homelab_up gauge\nhomelab_up 1\n".to_owned())
}

#[tokio::test]
async fn metrics_are_open_to_loopback_and_keyed_elsewhere() {
    let (app, _) = router_with(config(), Behaviour::Echo, Some(renderer()));
    let response = send(&app, request("GET", "/metrics", LOCAL, None, Body::empty())).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response.headers[header::CONTENT_TYPE],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert_eq!(response.body, b"# TYPE homelab_up gauge\nhomelab_up 1\n");

    let ipv6_loopback = request("GET", "/metrics", "[::1]:9", None, Body::empty());
    assert_eq!(send(&app, ipv6_loopback).await.status, StatusCode::OK);

    let response = send(
        &app,
        request("GET", "/metrics", REMOTE, None, Body::empty()),
    )
    .await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert!(response.detail().contains("API key"));
    let response = send(
        &app,
        request("GET", "/metrics", REMOTE, Some("wrong"), Body::empty()),
    )
    .await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);

    let response = send(
        &app,
        request("GET", "/metrics", REMOTE, Some(OTHER_KEY), Body::empty()),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK);
}

#[tokio::test]
async fn public_metrics_need_no_key() {
    let config = Config {
        metrics_public: true,
        ..config()
    };
    let (app, _) = router_with(config, Behaviour::Echo, Some(renderer()));
    let response = send(
        &app,
        request("GET", "/metrics", REMOTE, None, Body::empty()),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK);
}

#[tokio::test]
async fn metrics_without_a_renderer_are_404() {
    let (app, _) = router(Behaviour::Echo);
    let response = send(
        &app,
        request("GET", "/metrics", LOCAL, Some(KEY), Body::empty()),
    )
    .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_router_served_without_connect_info_treats_clients_as_remote() {
    let (app, _) = router_with(config(), Behaviour::Echo, Some(renderer()));
    let request = Request::get("/metrics").body(Body::empty()).unwrap();
    assert_eq!(send(&app, request).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_request_to_chat_leaves_exactly_one_audit_entry() {
    let config = Config {
        rate_limit: RateLimit {
            requests: 5,
            window: Duration::from_secs(60),
        },
        ..config()
    };
    let (app, handler) = router_with(config, Behaviour::Echo, None);
    let requests = [
        chat(Some(KEY), r#"{"message":"ok"}"#),
        chat(None, r#"{"message":"no key"}"#),
        chat(Some("bad"), r#"{"message":"bad key"}"#),
        chat(Some(KEY), "{"),
        chat(Some(KEY), r#"{"message":""}"#),
        chat(
            Some(KEY),
            json!({ "message": "y".repeat(5000) }).to_string(),
        ),
        chat(
            Some(KEY),
            json!({ "message": "y".repeat(20000) }).to_string(),
        ),
        chat(Some(KEY), r#"{"message":"over the limit"}"#),
    ];
    let count = requests.len();
    for (n, request) in requests.into_iter().enumerate() {
        send(&app, request).await;
        assert_eq!(handler.audit_entries(), n + 1, "after request {n}");
    }
    assert_eq!(handler.audit_entries(), count);
}

/// Captures what the adapter records through the `metrics` facade, keyed `name{label=value}`.
#[derive(Debug, Default)]
struct CapturedMetrics {
    counters: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
    samples: std::sync::Mutex<std::collections::BTreeMap<String, Vec<f64>>>,
}

struct Handle(Arc<CapturedMetrics>, String);

impl metrics::CounterFn for Handle {
    fn increment(&self, value: u64) {
        *self
            .0
            .counters
            .lock()
            .unwrap()
            .entry(self.1.clone())
            .or_default() += value;
    }
    fn absolute(&self, value: u64) {
        self.0
            .counters
            .lock()
            .unwrap()
            .insert(self.1.clone(), value);
    }
}

impl metrics::HistogramFn for Handle {
    fn record(&self, value: f64) {
        self.0
            .samples
            .lock()
            .unwrap()
            .entry(self.1.clone())
            .or_default()
            .push(value);
    }
}

struct Capture(Arc<CapturedMetrics>);

impl Capture {
    fn name(key: &metrics::Key) -> String {
        let labels: Vec<String> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        format!("{}{{{}}}", key.name(), labels.join(","))
    }
}

impl metrics::Recorder for Capture {
    fn describe_counter(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn describe_gauge(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn describe_histogram(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn register_counter(&self, key: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Counter {
        metrics::Counter::from_arc(Arc::new(Handle(Arc::clone(&self.0), Self::name(key))))
    }
    fn register_gauge(&self, _: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Gauge {
        metrics::Gauge::noop()
    }
    fn register_histogram(
        &self,
        key: &metrics::Key,
        _: &metrics::Metadata<'_>,
    ) -> metrics::Histogram {
        metrics::Histogram::from_arc(Arc::new(Handle(Arc::clone(&self.0), Self::name(key))))
    }
}

// A current-thread runtime runs the router on this thread, so a thread-local recorder sees it all.
#[tokio::test(flavor = "current_thread")]
async fn chat_requests_are_counted_by_outcome_and_timed() {
    let captured = Arc::new(CapturedMetrics::default());
    let recorder = Capture(Arc::clone(&captured));
    let _guard = metrics::set_default_local_recorder(&recorder);

    let (app, _) = router(Behaviour::Echo);
    send(&app, chat(Some(KEY), r#"{"message":"hi"}"#)).await;
    send(&app, chat(Some(KEY), r#"{"message":"again"}"#)).await;
    send(&app, chat(None, r#"{"message":"hi"}"#)).await;
    send(&app, chat(Some(KEY), r#"{"message": 5}"#)).await;
    send(
        &app,
        chat(
            Some(KEY),
            json!({ "message": "x".repeat(17 * 1024) }).to_string(),
        ),
    )
    .await;
    send(&app, request("GET", "/health", REMOTE, None, Body::empty())).await;

    let counters = captured.counters.lock().unwrap().clone();
    let expected: std::collections::BTreeMap<String, u64> = [
        (
            "homelab_http_requests_total{outcome=answered}".to_owned(),
            2,
        ),
        ("homelab_http_requests_total{outcome=invalid}".to_owned(), 1),
        (
            "homelab_http_requests_total{outcome=too_large}".to_owned(),
            1,
        ),
        (
            "homelab_http_requests_total{outcome=unauthorized}".to_owned(),
            1,
        ),
    ]
    .into();
    assert_eq!(counters, expected);
    let samples = captured.samples.lock().unwrap().clone();
    let durations = &samples["homelab_http_request_duration_seconds{}"];
    assert_eq!(
        durations.len(),
        5,
        "one per /chat request, none for /health"
    );
    assert!(
        durations.iter().all(|d| (0.0..5.0).contains(d)),
        "{durations:?}"
    );
}

#[tokio::test]
async fn the_web_page_is_served_keyless_and_can_be_turned_off() {
    let (app, _) = router(Behaviour::Echo);
    let page = send(&app, request("GET", "/", REMOTE, None, Body::empty())).await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "the page needs no key; its questions do"
    );
    assert!(String::from_utf8_lossy(&page.body).contains("Homelab Assistant"));
    let (app, _) = router_with(
        Config {
            web_ui: false,
            ..config()
        },
        Behaviour::Echo,
        None,
    );
    let page = send(&app, request("GET", "/", REMOTE, None, Body::empty())).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_quick_command_is_the_slash_command_and_an_unknown_one_is_422() {
    let (app, handler) = router(Behaviour::Echo);
    let response = send(
        &app,
        chat(Some(KEY), r#"{"message": "/status", "command": "status"}"#),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        handler.handled()[0].command,
        Some(homelab_port::Command::Status)
    );
    let response = send(
        &app,
        chat(Some(KEY), r#"{"message": "/reboot", "command": "reboot"}"#),
    )
    .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        handler.handled().len(),
        1,
        "nothing reached the core's answer"
    );
    assert_eq!(
        handler.audit_entries(),
        2,
        "the 422 was audited as a rejection"
    );
}
