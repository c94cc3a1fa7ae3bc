//! The HTTP surface the old gateway's clients rely on — `POST /chat`, `GET /health`,
//! `GET /metrics` — and the mapping of every failure to a status with a JSON `detail`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use homelab_port::{ChatError, Inbound, Origin, Platform, Rejection};
use serde::Deserialize;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::state::{API_KEY_HEADER, AppState, Caller, CoreOutcome};

/// A client that trickles its body is cut off after this, so it cannot hold a connection open.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The Prometheus text exposition format.
const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub(crate) const REQUESTS_TOTAL: &str = "homelab_http_requests_total";
pub(crate) const REQUEST_DURATION: &str = "homelab_http_request_duration_seconds";

/// The router: `/chat`, `/health`, `/metrics`, with request ids, a tracing span per request and
/// JSON errors for unknown routes. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` so that client IPs are known; without
/// them every client counts as one remote client.
pub fn app(state: AppState) -> Router {
    let max_body_bytes = state.inner.max_body_bytes;
    let x_request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .route("/chat", post(chat))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(
            ServiceBuilder::new()
                .layer(SetSensitiveRequestHeadersLayer::new([
                    HeaderName::from_static(API_KEY_HEADER),
                    header::AUTHORIZATION,
                ]))
                .layer(SetRequestIdLayer::new(
                    x_request_id.clone(),
                    MakeRequestUuid,
                ))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
                .layer(PropagateRequestIdLayer::new(x_request_id))
                .layer(RequestBodyTimeoutLayer::new(BODY_READ_TIMEOUT)),
        )
        .with_state(state)
}

/// Path only: query strings and headers may carry secrets.
fn request_span(request: &Request) -> tracing::Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "http_request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id,
    )
}

/// The body of `POST /chat`. Unknown fields are ignored, as FastAPI's model did.
#[derive(Debug, Deserialize)]
struct ChatRequest {
    message: String,
    #[serde(default)]
    conversation_id: Option<String>,
}

/// How a `/chat` request ended, for the `outcome` label of the request counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Answered,
    Unauthorized,
    Forbidden,
    RateLimited,
    TooLarge,
    Invalid,
    Unavailable,
    Error,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Unauthorized => "unauthorized",
            Outcome::Forbidden => "forbidden",
            Outcome::RateLimited => "rate_limited",
            Outcome::TooLarge => "too_large",
            Outcome::Invalid => "invalid",
            Outcome::Unavailable => "unavailable",
            Outcome::Error => "error",
        }
    }
}

/// An error reply: the status and a `detail` that is safe to show.
fn detail(status: StatusCode, text: impl Into<String>) -> Response {
    let text: String = text.into();
    (status, Json(serde_json::json!({ "detail": text }))).into_response()
}

/// 429 with the `Retry-After` seconds that clients of the old gateway honoured.
fn too_many_requests(retry_after_secs: u64) -> Response {
    let text = Rejection::RateLimited { retry_after_secs }.user_message();
    let mut response = detail(StatusCode::TOO_MANY_REQUESTS, text);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

/// The peer address the server attached; absent when the router is served without connect
/// info, in which case the client is treated as remote so that loopback privileges fail closed.
fn client_ip(request: &Request) -> IpAddr {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| {
            info.0.ip().to_canonical()
        })
}

async fn chat(State(state): State<AppState>, request: Request) -> Response {
    let started = Instant::now();
    let (outcome, response) = answer(&state, request).await;
    metrics::counter!(REQUESTS_TOTAL, "outcome" => outcome.as_str()).increment(1);
    metrics::histogram!(REQUEST_DURATION).record(started.elapsed().as_secs_f64());
    tracing::debug!(outcome = outcome.as_str(), "chat request finished");
    response
}

/// Every path through here ends in exactly one `handle` or `reject` call, so every request that
/// reaches `/chat` leaves exactly one audit entry.
async fn answer(state: &AppState, request: Request) -> (Outcome, Response) {
    let ip = client_ip(&request);
    let caller = state.caller(request.headers());
    let origin = Origin {
        platform: Platform::Http,
        user_id: caller.user_id().to_owned(),
        channel_id: Some(ip.to_string()),
        display_name: None,
    };

    // Checked before answering 401, so that guessing keys costs the client IP its allowance too.
    // The body is not read for callers turned away here: their audit entry has no text.
    if let Err(retry_after_secs) = state.check_rate(&caller, ip) {
        let response = too_many_requests(retry_after_secs);
        let rejection = Rejection::RateLimited { retry_after_secs };
        return turn_away(
            state,
            Inbound::question(origin, ""),
            rejection,
            Outcome::RateLimited,
            response,
        )
        .await;
    }
    if matches!(caller, Caller::MissingKey | Caller::WrongKey) {
        let text = if caller == Caller::MissingKey {
            "Missing API key: send it in the X-API-Key header."
        } else {
            "Invalid API key."
        };
        let response = detail(StatusCode::UNAUTHORIZED, text);
        return turn_away(
            state,
            Inbound::question(origin, ""),
            Rejection::Unauthorized,
            Outcome::Unauthorized,
            response,
        )
        .await;
    }

    if let Err(reason) = check_browser_borne(state, &caller, request.headers()) {
        let response = detail(StatusCode::FORBIDDEN, reason.clone());
        return turn_away(
            state,
            Inbound::question(origin, ""),
            Rejection::Forbidden { reason },
            Outcome::Forbidden,
            response,
        )
        .await;
    }

    let body = match read_chat_request(state, request).await {
        Ok(body) => body,
        Err(refusal) => return invalid(state, origin, refusal).await,
    };
    let inbound = Inbound::question(origin, body.message).in_conversation(body.conversation_id);
    match state.handle(inbound).await {
        CoreOutcome::Done(Ok(reply)) => match serde_json::to_value(reply.to_wire()) {
            Ok(json) => (
                Outcome::Answered,
                (StatusCode::OK, Json(json)).into_response(),
            ),
            Err(err) => {
                tracing::error!(error = %err, "could not serialise a reply");
                let err = ChatError::Internal(String::new());
                (
                    Outcome::Error,
                    detail(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()),
                )
            }
        },
        CoreOutcome::Done(Err(err)) => chat_error(&err),
        CoreOutcome::TimedOut => {
            tracing::warn!("the assistant did not answer in time");
            let err = ChatError::Unavailable(String::new());
            (
                Outcome::Unavailable,
                detail(StatusCode::SERVICE_UNAVAILABLE, err.to_string()),
            )
        }
        CoreOutcome::Panicked => {
            tracing::error!("the assistant panicked while answering");
            let err = ChatError::Internal(String::new());
            (
                Outcome::Error,
                detail(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()),
            )
        }
    }
}

/// Turns away what a web page in someone's browser could send: on a server without keys, a
/// request addressed to any name but a loopback one (DNS rebinding points an attacker's name at
/// 127.0.0.1), and from any server, a request from a page of another origin that
/// `http.allowed_origins` does not list.
fn check_browser_borne(
    state: &AppState,
    caller: &Caller,
    headers: &axum::http::HeaderMap,
) -> Result<(), String> {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if *caller == Caller::Anonymous
        && let Some(host) = host
        && !is_loopback_host(host)
    {
        return Err(format!(
            "This assistant has no API key, so it answers only requests addressed to localhost,              127.0.0.1 or [::1]; this one was addressed to `{}`. Use http://localhost, or              configure an API key.",
            host.chars().take(100).collect::<String>()
        ));
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("null").trim();
    let allowed = state
        .inner
        .allowed_origins
        .iter()
        .any(|listed| listed.trim_end_matches('/').eq_ignore_ascii_case(origin));
    let same_origin = host.is_some_and(|host| {
        origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
    });
    if allowed || same_origin {
        Ok(())
    } else {
        Err(format!(
            "Requests from web pages at `{}` are not accepted; add that origin to              http.allowed_origins to allow them.",
            origin.chars().take(100).collect::<String>()
        ))
    }
}

/// `localhost`, `127.0.0.1`, `[::1]` and the rest of 127.0.0.0/8, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let host = host.trim();
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split_once(']').map_or(rest, |(inside, _)| inside)
    } else {
        host.rsplit_once(':')
            .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
            .map_or(host, |(name, _)| name)
    };
    let name = name.trim_end_matches('.');
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// Only a JSON object is a request: serde alone would also read `["hi"]` as `{"message": "hi"}`.
fn parse_chat_request(bytes: &[u8]) -> Result<ChatRequest, serde_json::Error> {
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(bytes)?;
    ChatRequest::deserialize(serde_json::Value::Object(object))
}

/// `application/json`, with or without parameters, and `application/*+json`.
fn is_json_content_type(value: &HeaderValue) -> bool {
    let Ok(value) = value.to_str() else {
        return false;
    };
    let mime = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// A request body the adapter will not pass on, and what the asker is told.
struct Unacceptable {
    status: StatusCode,
    outcome: Outcome,
    /// What the audit entry records as asked: the message when it could be read.
    text: String,
    reason: String,
}

impl Unacceptable {
    fn unprocessable(text: impl Into<String>, reason: String) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            outcome: Outcome::Invalid,
            text: text.into(),
            reason,
        }
    }
}

/// Reads and validates the body as FastAPI's model did: size, content type, a JSON object with
/// a string `message`, then the message's own limits.
async fn read_chat_request(
    state: &AppState,
    request: Request,
) -> Result<ChatRequest, Unacceptable> {
    let content_type_ok = request
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(is_json_content_type);
    let bytes = match Bytes::from_request(request, &()).await {
        Ok(bytes) => bytes,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(Unacceptable {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                outcome: Outcome::TooLarge,
                text: String::new(),
                reason: format!(
                    "Request body too large: at most {} bytes are accepted.",
                    state.inner.max_body_bytes
                ),
            });
        }
        Err(rejection) => {
            // Mostly a client that hung up or trickled its body past the read timeout.
            tracing::debug!(error = %rejection.body_text(), "could not read a request body");
            return Err(Unacceptable {
                status: StatusCode::BAD_REQUEST,
                outcome: Outcome::Invalid,
                text: String::new(),
                reason: "The request body could not be read.".to_owned(),
            });
        }
    };
    if !content_type_ok {
        // A browser can send a plain-text or form body to any address without asking first;
        // only JSON needs a CORS preflight, which no other origin passes.
        return Err(Unacceptable {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            outcome: Outcome::Invalid,
            text: String::new(),
            reason: "Content-Type must be application/json.".to_owned(),
        });
    }
    let body = parse_chat_request(&bytes).map_err(|err| {
        let reason = if err.is_data() {
            format!("Invalid request: {err}.")
        } else {
            format!("The request body is not valid JSON: {err}.")
        };
        Unacceptable::unprocessable("", reason)
    })?;
    if body.message.trim().is_empty() {
        let reason = "The message must not be empty.".to_owned();
        return Err(Unacceptable::unprocessable(body.message, reason));
    }
    let chars = body.message.chars().count();
    let max = state.inner.max_message_chars;
    if chars > max {
        let reason =
            format!("The message is too long: {chars} characters, at most {max} are accepted.");
        return Err(Unacceptable::unprocessable(body.message, reason));
    }
    Ok(body)
}

/// Audits a body the adapter would not pass on and answers with the reason.
async fn invalid(
    state: &AppState,
    origin: Origin,
    unacceptable: Unacceptable,
) -> (Outcome, Response) {
    let Unacceptable {
        status,
        outcome,
        text,
        reason,
    } = unacceptable;
    let response = detail(status, reason.clone());
    let inbound = Inbound::question(origin, text);
    turn_away(
        state,
        inbound,
        Rejection::Invalid { reason },
        outcome,
        response,
    )
    .await
}

/// Audits a request the adapter refused; when the audit entry cannot be written the asker learns
/// that the service is unavailable rather than why it was refused (fail closed).
async fn turn_away(
    state: &AppState,
    inbound: Inbound,
    rejection: Rejection,
    outcome: Outcome,
    response: Response,
) -> (Outcome, Response) {
    match state.reject(inbound, rejection).await {
        CoreOutcome::Done(Ok(())) => (outcome, response),
        CoreOutcome::Done(Err(err)) => {
            tracing::error!(error = %err.detail(), "could not audit a refused request");
            (
                Outcome::Unavailable,
                detail(StatusCode::SERVICE_UNAVAILABLE, err.to_string()),
            )
        }
        CoreOutcome::TimedOut | CoreOutcome::Panicked => {
            tracing::error!("could not audit a refused request in time");
            let err = ChatError::AuditFailed(String::new());
            (
                Outcome::Unavailable,
                detail(StatusCode::SERVICE_UNAVAILABLE, err.to_string()),
            )
        }
    }
}

/// The core's error as a status; only its `Display` reaches the asker, the detail goes to the log.
fn chat_error(err: &ChatError) -> (Outcome, Response) {
    let (outcome, status) = match err {
        ChatError::InvalidInput(_) => (Outcome::Invalid, StatusCode::UNPROCESSABLE_ENTITY),
        ChatError::Unavailable(_) | ChatError::AuditFailed(_) => {
            (Outcome::Unavailable, StatusCode::SERVICE_UNAVAILABLE)
        }
        _ => (Outcome::Error, StatusCode::INTERNAL_SERVER_ERROR),
    };
    if outcome == Outcome::Invalid {
        tracing::debug!(error = %err, "the assistant refused the input");
    } else {
        tracing::warn!(error = %err.detail(), status = status.as_u16(), "the assistant could not answer");
    }
    (outcome, detail(status, err.to_string()))
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "status": "healthy",
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

/// Loopback clients (a local Prometheus, an operator on the box) may scrape without a key;
/// anyone else needs a valid key unless the metrics were made public.
async fn metrics(State(state): State<AppState>, request: Request) -> Response {
    let Some(render) = state.inner.metrics.clone() else {
        return detail(StatusCode::NOT_FOUND, "Not Found");
    };
    let ip = client_ip(&request);
    let caller = state.caller(request.headers());
    let allowed =
        matches!(caller, Caller::Key(_)) || state.inner.metrics_public || ip.is_loopback();
    if !allowed {
        // Key guesses against /metrics cost the same allowance as against /chat.
        if let Err(retry_after_secs) = state.check_rate(&caller, ip) {
            return too_many_requests(retry_after_secs);
        }
        return detail(
            StatusCode::UNAUTHORIZED,
            "A valid API key is needed for /metrics from this address.",
        );
    }
    ([(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)], render()).into_response()
}

async fn not_found() -> Response {
    detail(StatusCode::NOT_FOUND, "Not Found")
}

async fn method_not_allowed() -> Response {
    detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types_are_recognised() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/problem+json",
        ] {
            assert!(is_json_content_type(&HeaderValue::from_static(ok)), "{ok}");
        }
        for bad in ["text/plain", "application/x-www-form-urlencoded", "json"] {
            assert!(
                !is_json_content_type(&HeaderValue::from_static(bad)),
                "{bad}"
            );
        }
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        for host in [
            "localhost",
            "localhost:8000",
            "LOCALHOST.",
            "127.0.0.1",
            "127.0.0.1:8000",
            "127.1.2.3:80",
            "[::1]",
            "[::1]:8000",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:8000",
            "localhost.evil.example",
            "10.0.0.2:8000",
            "[::2]:8000",
            "0.0.0.0:8000",
            "",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn extra_fields_are_accepted_and_conversation_id_is_optional() {
        let body = parse_chat_request(br#"{"message":"hi","user":"x","stream":false}"#).unwrap();
        assert_eq!(body.message, "hi");
        assert_eq!(body.conversation_id, None);
        let body = parse_chat_request(br#"{"message":"hi","conversation_id":null}"#).unwrap();
        assert_eq!(body.conversation_id, None);
    }

    #[test]
    fn only_an_object_is_a_request() {
        assert!(parse_chat_request(br#"["hi"]"#).unwrap_err().is_data());
        assert!(parse_chat_request(br#""hi""#).unwrap_err().is_data());
        assert!(
            parse_chat_request(br#"{"message":"hi""#)
                .unwrap_err()
                .is_eof()
        );
    }
}
