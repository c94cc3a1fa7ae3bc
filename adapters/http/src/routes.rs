//! The HTTP surface the old gateway's clients rely on — `POST /chat`, `GET /health`,
//! `GET /metrics` — and the mapping of every failure to a status with a JSON `detail`.
#![cfg(feature = "sdk")]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use homelab_kit::truncate_chars;
use homelab_port::{ChatError, Command, Inbound, Origin, Outcome, Platform, Rejection};
use serde::Deserialize;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::state::{API_KEY_HEADER, AppState, Caller};

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
    let page = if state.inner.web_ui {
        crate::web::routes()
    } else {
        Router::new()
    };
    let hooks = crate::hooks::routes(state.inner.webhook_token.clone());
    Router::new()
        .merge(page)
        .merge(hooks)
        .route("/chat", post(chat))
        .route("/graph/{metric}", get(graph))
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
    /// A quick command, as Discord's slash commands: `status`, `containers`, `disk`, `pools`,
    /// `alerts`, `help`. The message is then only what the page showed.
    #[serde(default)]
    command: Option<String>,
}

/// The quick commands the web page's buttons send.
fn quick_command(name: &str) -> Option<Command> {
    Some(match name {
        "status" => Command::Status,
        "containers" => Command::Containers { all: false },
        "disk" => Command::Disk,
        "pools" => Command::Pools,
        "alerts" => Command::Alerts,
        "digest" => Command::Digest,
        "help" => Command::Help,
        _ => return None,
    })
}

/// A `/chat` reply other than an answer: its status, a `detail` that is safe to show (the JSON
/// every error of the old gateway had), and the outcome that labels the request counter.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    outcome: Outcome,
    detail: String,
    retry_after_secs: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, outcome: Outcome, detail: impl Into<String>) -> Self {
        Self {
            status,
            outcome,
            detail: detail.into(),
            retry_after_secs: None,
        }
    }

    /// 429 with the `Retry-After` seconds that clients of the old gateway honoured.
    fn rate_limited(retry_after_secs: u64) -> Self {
        let detail = Rejection::RateLimited { retry_after_secs }.user_message();
        Self {
            retry_after_secs: Some(retry_after_secs),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, Outcome::RateLimited, detail)
        }
    }

    fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, Outcome::Invalid, detail)
    }

    /// The core's error; only its `Display` reaches the asker (the kit logged the detail).
    fn from_chat_error(error: &ChatError) -> Self {
        let (status, outcome) = match error {
            ChatError::InvalidInput(_) => (StatusCode::UNPROCESSABLE_ENTITY, Outcome::Invalid),
            ChatError::Unavailable(_) | ChatError::AuditFailed(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, Outcome::Unavailable)
            }
            _ => (StatusCode::INTERNAL_SERVER_ERROR, Outcome::Error),
        };
        Self::new(status, outcome, error.to_string())
    }

    /// The rejection the audit entry records for this reply.
    fn rejection(&self) -> Rejection {
        let reason = self.detail.clone();
        match self.outcome {
            Outcome::TooLarge => Rejection::TooLarge { reason },
            _ => Rejection::Invalid { reason },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(serde_json::json!({ "detail": self.detail }));
        let mut response = (self.status, body).into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
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
    let result = answer(&state, request).await;
    let outcome = match &result {
        Ok(_) => Outcome::Answered,
        Err(error) => error.outcome,
    };
    metrics::counter!(REQUESTS_TOTAL, "outcome" => outcome.as_str()).increment(1);
    metrics::histogram!(REQUEST_DURATION).record(started.elapsed().as_secs_f64());
    tracing::debug!(outcome = outcome.as_str(), "chat request finished");
    result.into_response()
}

/// Every path through here ends in exactly one core `answer` or `reject` call, so every request
/// that reaches `/chat` leaves exactly one audit entry.
async fn answer(state: &AppState, request: Request) -> Result<Json<serde_json::Value>, ApiError> {
    let origin = admit(state, client_ip(&request), request.headers()).await?;
    let ChatBody(body) = match ChatBody::from_request(request, state).await {
        Ok(body) => body,
        Err(error) => {
            let rejection = error.rejection();
            return Err(turn_away(state, Inbound::question(origin, ""), rejection, error).await);
        }
    };
    let inbound = match body.command.as_deref() {
        None => Inbound::question(origin, body.message),
        Some(name) => match quick_command(name) {
            Some(command) => Inbound::command(origin, command),
            None => {
                let error = ApiError::unprocessable(format!(
                    "Unknown command `{}`: use status, containers, disk, pools, alerts, digest or help.",
                    truncate_chars(name, 40)
                ));
                let rejection = error.rejection();
                return Err(turn_away(
                    state,
                    Inbound::question(origin, body.message),
                    rejection,
                    error,
                )
                .await);
            }
        },
    }
    .in_conversation(body.conversation_id);
    let reply = state
        .core
        .answer(inbound)
        .await
        .map_err(|error| ApiError::from_chat_error(&error))?;
    serde_json::to_value(reply.to_wire())
        .map(Json)
        .map_err(|err| {
            tracing::error!(error = %err, "could not serialise a reply");
            ApiError::from_chat_error(&ChatError::Internal(String::new()))
        })
}

/// `GET /graph/{metric}?span=6h`: a chart as a PNG, behind the same keys, limits and browser
/// checks as `/chat`, and audited like any request. A chart that cannot be drawn (no data yet,
/// an unknown metric) is a 404 with the reason.
async fn graph(State(state): State<AppState>, request: Request) -> Response {
    let started = Instant::now();
    let result = chart(&state, request).await;
    let outcome = match &result {
        Ok(_) => Outcome::Answered,
        Err(error) => error.outcome,
    };
    metrics::counter!(REQUESTS_TOTAL, "outcome" => outcome.as_str()).increment(1);
    metrics::histogram!(REQUEST_DURATION).record(started.elapsed().as_secs_f64());
    match result {
        Ok(png) => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            png,
        )
            .into_response(),
        Err(error) => error.into_response(),
    }
}

async fn chart(state: &AppState, request: Request) -> Result<Vec<u8>, ApiError> {
    let metric = request
        .uri()
        .path()
        .strip_prefix("/graph/")
        .unwrap_or_default()
        .replace("%20", " ");
    let span = request.uri().query().and_then(|query| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("span="))
            .map(str::to_owned)
    });
    let origin = admit(state, client_ip(&request), request.headers()).await?;
    let command = Command::Graph {
        metric: truncate_chars(&metric, 100).to_owned(),
        span: span.map(|s| truncate_chars(&s, 20).to_owned()),
    };
    let reply = state
        .core
        .answer(Inbound::command(origin, command))
        .await
        .map_err(|error| ApiError::from_chat_error(&error))?;
    match reply.attachments.into_iter().next() {
        Some(file) => Ok(file.bytes),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            Outcome::Answered,
            reply.text,
        )),
    }
}

/// The checks every request passes before the core sees it — the rate limit, the API key, and
/// where a browser-borne request comes from — each turning the request away with its own audit
/// entry. The caller's origin when it passes.
async fn admit(
    state: &AppState,
    ip: IpAddr,
    headers: &axum::http::HeaderMap,
) -> Result<Origin, ApiError> {
    let caller = state.caller(headers);
    let origin = Origin {
        platform: Platform::Http,
        user_id: caller.user_id().to_owned(),
        channel_id: Some(ip.to_string()),
        display_name: None,
    };
    let unread = |origin: Origin| Inbound::question(origin, "");

    // Checked before answering 401, so that guessing keys costs the client IP its allowance too.
    // The body is not read for callers turned away here: their audit entry has no text.
    if let Err(retry_after_secs) = state.check_rate(&caller, ip) {
        let rejection = Rejection::RateLimited { retry_after_secs };
        let error = ApiError::rate_limited(retry_after_secs);
        return Err(turn_away(state, unread(origin), rejection, error).await);
    }
    if matches!(caller, Caller::MissingKey | Caller::WrongKey) {
        let detail = if caller == Caller::MissingKey {
            "Missing API key: send it in the X-API-Key header."
        } else {
            "Invalid API key."
        };
        let error = ApiError::new(StatusCode::UNAUTHORIZED, Outcome::Unauthorized, detail);
        return Err(turn_away(state, unread(origin), Rejection::Unauthorized, error).await);
    }
    if let Err(reason) = check_browser_borne(state, &caller, headers) {
        let error = ApiError::new(StatusCode::FORBIDDEN, Outcome::Forbidden, reason.clone());
        let rejection = Rejection::Forbidden { reason };
        return Err(turn_away(state, unread(origin), rejection, error).await);
    }

    Ok(origin)
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
            "This assistant has no API key, so it answers only requests addressed to localhost, \
             127.0.0.1 or [::1]; this one was addressed to `{}`. Use http://localhost, or \
             configure an API key.",
            truncate_chars(host, 100)
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
            "Requests from web pages at `{}` are not accepted; add that origin to \
             http.allowed_origins to allow them.",
            truncate_chars(origin, 100)
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

/// The `/chat` body as the old gateway's FastAPI model read it: within the size limit, declared
/// as JSON, a JSON object with a string `message`. Whether the message itself is acceptable
/// (empty, too long) is the core's to decide; `http.max_message_chars` is its limit for HTTP.
struct ChatBody(ChatRequest);

impl FromRequest<AppState> for ChatBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let content_type_ok = request
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(is_json_content_type);
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    let detail = format!(
                        "Request body too large: at most {} bytes are accepted.",
                        state.inner.max_body_bytes
                    );
                    return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, Outcome::TooLarge, detail);
                }
                // Mostly a client that hung up or trickled its body past the read timeout.
                tracing::debug!(error = %rejection.body_text(), "could not read a request body");
                let detail = "The request body could not be read.";
                ApiError::new(StatusCode::BAD_REQUEST, Outcome::Invalid, detail)
            })?;
        if !content_type_ok {
            // A browser can send a plain-text or form body to any address without asking first;
            // only JSON needs a CORS preflight, which no other origin passes.
            let detail = "Content-Type must be application/json.";
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Outcome::Invalid,
                detail,
            ));
        }
        let body = parse_chat_request(&bytes).map_err(|err| {
            ApiError::unprocessable(if err.is_data() {
                format!("Invalid request: {err}.")
            } else {
                format!("The request body is not valid JSON: {err}.")
            })
        })?;
        Ok(Self(body))
    }
}

/// Audits a request the adapter refused; when the audit entry cannot be written the asker learns
/// that the service is unavailable rather than why it was refused (fail closed).
async fn turn_away(
    state: &AppState,
    inbound: Inbound,
    rejection: Rejection,
    error: ApiError,
) -> ApiError {
    match state.core.reject(inbound, rejection).await {
        Ok(()) => error,
        Err(failed) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            Outcome::Unavailable,
            failed.to_string(),
        ),
    }
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
        return not_found().await;
    };
    let ip = client_ip(&request);
    let caller = state.caller(request.headers());
    let allowed =
        matches!(caller, Caller::Key(_)) || state.inner.metrics_public || ip.is_loopback();
    if !allowed {
        // Key guesses against /metrics cost the same allowance as against /chat.
        if let Err(retry_after_secs) = state.check_rate(&caller, ip) {
            return ApiError::rate_limited(retry_after_secs).into_response();
        }
        let detail = "A valid API key is needed for /metrics from this address.";
        return ApiError::new(StatusCode::UNAUTHORIZED, Outcome::Unauthorized, detail)
            .into_response();
    }
    ([(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)], render()).into_response()
}

async fn not_found() -> Response {
    ApiError::new(StatusCode::NOT_FOUND, Outcome::Invalid, "Not Found").into_response()
}

async fn method_not_allowed() -> Response {
    let detail = "Method Not Allowed";
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, Outcome::Invalid, detail).into_response()
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
