//! Inbound alert webhooks: `POST /hooks/alertmanager`, `/hooks/slack` and `/hooks/generic`, each
//! also with the token as the last path segment (`/hooks/slack/<token>`), for senders that can
//! only be given a URL (TrueNAS's Slack alert service, Uptime Kuma).
//!
//! Served only when `webhooks.token` is set. The token is the hooks' own credential, compared in
//! constant time; `X-API-Key` plays no part. Bodies are read up to [`MAX_HOOK_BODY_BYTES`]. Every
//! call, accepted or turned away, ends in exactly one core `webhook` or `reject` call, so it
//! leaves exactly one audit entry (platform `webhook`).
#![cfg(feature = "sdk")]

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use homelab_kit::{Secret, fnv1a, truncate_chars};
use homelab_port::{ChatError, Inbound, InboundAlert, Origin, Platform, Rejection, WebhookCall};
use serde_json::{Value, json};

use crate::state::AppState;

/// The largest body a hook reads; Alertmanager's biggest groups fit with room to spare.
pub const MAX_HOOK_BODY_BYTES: usize = 256 * 1024;

pub(crate) const WEBHOOK_CALLS_TOTAL: &str = "homelab_webhook_calls_total";

/// The payload shapes the hooks read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Alertmanager,
    Slack,
    Generic,
}

impl Shape {
    fn from_path(name: &str) -> Option<Self> {
        match name {
            "alertmanager" => Some(Self::Alertmanager),
            "slack" => Some(Self::Slack),
            "generic" => Some(Self::Generic),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Alertmanager => "alertmanager",
            Self::Slack => "slack",
            Self::Generic => "generic",
        }
    }
}

/// The hooks' routes, when a token is configured.
pub(crate) fn routes(token: Option<Secret>) -> Router<AppState> {
    let Some(token) = token else {
        return Router::new();
    };
    let with_path_token = token.clone();
    Router::new()
        .route(
            "/hooks/{shape}",
            post(move |state, Path(shape): Path<String>, request| {
                hook(state, shape, None, token.clone(), request)
            }),
        )
        .route(
            "/hooks/{shape}/{token}",
            post(
                move |state, Path((shape, given)): Path<(String, String)>, request| {
                    hook(state, shape, Some(given), with_path_token.clone(), request)
                },
            ),
        )
        // The hook reads its body itself, with its own bound, so that an oversized call is
        // audited like any other.
        .layer(DefaultBodyLimit::disable())
}

/// A hook's reply other than success: status, a JSON `detail`, and the audit rejection.
struct HookError {
    status: StatusCode,
    detail: String,
    rejection: Option<Rejection>,
}

impl HookError {
    fn rejected(status: StatusCode, rejection: Rejection) -> Self {
        Self {
            status,
            detail: rejection.user_message(),
            rejection: Some(rejection),
        }
    }

    fn invalid(reason: impl Into<String>) -> Self {
        Self::rejected(
            StatusCode::BAD_REQUEST,
            Rejection::Invalid {
                reason: reason.into(),
            },
        )
    }
}

async fn hook(
    State(state): State<AppState>,
    shape_name: String,
    path_token: Option<String>,
    token: Secret,
    request: Request,
) -> Response {
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| {
            info.0.ip().to_canonical()
        });
    let shape = Shape::from_path(&shape_name);
    let source = shape.map_or("unknown", Shape::name);
    let origin = Origin::new(Platform::Webhook, source).with_channel(ip.to_string());
    let summary = format!("POST /hooks/{}", truncate_chars(&shape_name, 40));
    let result = receive(shape, path_token.as_deref(), &token, request).await;
    let (status, body) = match result {
        Ok(call) => match state.core.webhook(call).await {
            Ok(receipt) => (StatusCode::OK, json!(receipt)),
            Err(error) => {
                let status = match error {
                    ChatError::InvalidInput(_) => StatusCode::BAD_REQUEST,
                    _ => StatusCode::SERVICE_UNAVAILABLE,
                };
                (status, json!({ "detail": error.to_string() }))
            }
        },
        Err(error) => {
            let mut status = error.status;
            let mut detail = error.detail;
            if let Some(rejection) = error.rejection
                && let Err(failed) = state
                    .core
                    .reject(Inbound::question(origin, summary), rejection)
                    .await
            {
                status = StatusCode::SERVICE_UNAVAILABLE;
                detail = failed.to_string();
            }
            (status, json!({ "detail": detail }))
        }
    };
    let outcome = match status {
        StatusCode::OK => "accepted",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::NOT_FOUND => "unknown_hook",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::BAD_REQUEST => "invalid",
        _ => "unavailable",
    };
    metrics::counter!(WEBHOOK_CALLS_TOTAL, "source" => source, "outcome" => outcome).increment(1);
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
    }
    response
}

/// Checks the token, the hook's name and the body's size, and reads the payload.
async fn receive(
    shape: Option<Shape>,
    path_token: Option<&str>,
    token: &Secret,
    request: Request,
) -> Result<WebhookCall, HookError> {
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let presented = path_token.or(bearer);
    if !presented.is_some_and(|given| token.matches(given.as_bytes())) {
        return Err(HookError::rejected(
            StatusCode::UNAUTHORIZED,
            Rejection::Unauthorized,
        ));
    }
    let Some(shape) = shape else {
        return Err(HookError::rejected(
            StatusCode::NOT_FOUND,
            Rejection::Invalid {
                reason: "Unknown hook: use /hooks/alertmanager, /hooks/slack or /hooks/generic."
                    .to_owned(),
            },
        ));
    };
    let too_large = || {
        HookError::rejected(
            StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::TooLarge {
                reason: format!("The body is larger than {MAX_HOOK_BODY_BYTES} bytes."),
            },
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_HOOK_BODY_BYTES) {
        return Err(too_large());
    }
    let body: Body = request.into_body();
    let bytes = axum::body::to_bytes(body, MAX_HOOK_BODY_BYTES)
        .await
        .map_err(|_| too_large())?;
    let payload: Value = serde_json::from_slice(&bytes)
        .map_err(|e| HookError::invalid(format!("The body is not JSON: {e}.")))?;
    let alerts = match shape {
        Shape::Alertmanager => alertmanager(&payload),
        Shape::Slack => slack(&payload).map(|a| vec![a]),
        Shape::Generic => generic(&payload).map(|a| vec![a]),
    }
    .map_err(HookError::invalid)?;
    Ok(WebhookCall {
        source: shape.name().to_owned(),
        alerts,
    })
}

/// A string field, or an error naming it.
fn text<'a>(value: &'a Value, field: &str, shape: &str) -> Result<&'a str, String> {
    value
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("Not {shape}'s payload: `{field}` is missing or not a string."))
}

/// A JSON object of strings as a map; other values are left out.
fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    value
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
        .collect()
}

/// Alertmanager's webhook payload, version 4: each alert with its status, labels, annotations
/// and fingerprint.
fn alertmanager(payload: &Value) -> Result<Vec<InboundAlert>, String> {
    let shape = "Alertmanager";
    if text(payload, "version", shape)? != "4" {
        return Err("Only Alertmanager's webhook payload version 4 is read.".to_owned());
    }
    let alerts = payload
        .get("alerts")
        .and_then(Value::as_array)
        .ok_or("Not Alertmanager's payload: `alerts` is missing or not a list.")?;
    alerts
        .iter()
        .map(|alert| {
            let status = text(alert, "status", shape)?;
            let resolved = match status {
                "firing" => false,
                "resolved" => true,
                other => {
                    return Err(format!(
                        "An alert's status is `{}`; firing or resolved was expected.",
                        truncate_chars(other, 20)
                    ));
                }
            };
            let labels = string_map(alert.get("labels"));
            let annotations = string_map(alert.get("annotations"));
            let name = labels
                .get("alertname")
                .cloned()
                .ok_or("An alert has no `alertname` label.")?;
            let fingerprint = match alert.get("fingerprint").and_then(Value::as_str) {
                Some(print) if !print.is_empty() => print.to_owned(),
                _ => fingerprint_of(&format!("{labels:?}")),
            };
            let message = ["summary", "description", "message"]
                .iter()
                .find_map(|key| annotations.get(*key))
                .cloned()
                .unwrap_or_default();
            let title = match labels.get("instance") {
                Some(instance) => format!("{name} on {instance}"),
                None => name,
            };
            Ok(InboundAlert {
                fingerprint,
                resolved,
                severity: labels.get("severity").cloned().unwrap_or_default(),
                title,
                message,
                labels,
            })
        })
        .collect()
}

/// The Slack incoming-webhook shape, `{"text": …}` (with `attachments` as older senders use),
/// as TrueNAS's Slack alert service and Uptime Kuma send it. Whether it resolves something, and
/// what it is about, are read from the text: TrueNAS writes "cleared", Uptime Kuma "[✅ Up]".
fn slack(payload: &Value) -> Result<InboundAlert, String> {
    let mut parts: Vec<String> = Vec::new();
    if let Some(text) = payload.get("text").and_then(Value::as_str) {
        parts.push(text.to_owned());
    }
    for attachment in payload
        .get("attachments")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for field in ["title", "text", "fallback"] {
            if let Some(text) = attachment.get(field).and_then(Value::as_str)
                && !parts.iter().any(|p| p == text)
            {
                parts.push(text.to_owned());
            }
        }
    }
    let text = parts.join("\n");
    if text.trim().is_empty() {
        return Err("Not Slack's payload: no `text`.".to_owned());
    }
    let lower = text.to_lowercase();
    let resolved = [
        "cleared",
        "resolved",
        "recovered",
        "✅",
        "[up]",
        " is up",
        "back up",
    ]
    .iter()
    .any(|word| lower.contains(word));
    let severity = if resolved {
        ""
    } else if ["critical", "🔴", "down", "error", "failed"]
        .iter()
        .any(|w| lower.contains(w))
    {
        "critical"
    } else if lower.contains("warning") {
        "warning"
    } else {
        ""
    };
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        // "New alerts:", "The following alert has been cleared:" introduce the alert.
        .filter(|l| !(l.ends_with(':') && l.split_whitespace().count() <= 8))
        .collect();
    let title = lines
        .first()
        .map(|l| l.trim_start_matches(['*', '•', '-', ' ']).to_owned())
        .unwrap_or_else(|| text.clone());
    Ok(InboundAlert {
        fingerprint: fingerprint_of(&subject(&title)),
        resolved,
        severity: severity.to_owned(),
        message: lines
            .get(1..)
            .map(|rest| rest.join("\n"))
            .unwrap_or_default(),
        title,
        labels: BTreeMap::new(),
    })
}

/// What a Slack-shaped alert is about, the same when it fires and when it clears: Uptime Kuma's
/// monitor name (`[Plex] [🔴 Down] …`), else the text without its status words.
fn subject(title: &str) -> String {
    if let Some(rest) = title.strip_prefix('[')
        && let Some((name, _)) = rest.split_once(']')
    {
        return name.trim().to_lowercase();
    }
    title
        .to_lowercase()
        .split_whitespace()
        .filter(|w| !matches!(*w, "cleared" | "resolved" | "new" | "alert" | "alert:"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `{"title", "message", "severity"}`, with an optional `status` (`firing`, `resolved`) and
/// `fingerprint`.
fn generic(payload: &Value) -> Result<InboundAlert, String> {
    let title = text(payload, "title", "the generic hook's")?.trim();
    if title.is_empty() {
        return Err("The `title` is empty.".to_owned());
    }
    let optional = |field: &str| -> Result<String, String> {
        match payload.get(field) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(format!("`{field}` must be a string.")),
        }
    };
    let status = optional("status")?;
    let resolved = match status.to_lowercase().as_str() {
        "" | "firing" | "problem" => false,
        "resolved" | "ok" | "cleared" => true,
        other => {
            return Err(format!(
                "`status` is `{}`; firing or resolved was expected.",
                truncate_chars(other, 20)
            ));
        }
    };
    let fingerprint = match optional("fingerprint")? {
        print if !print.is_empty() => print,
        _ => fingerprint_of(&title.to_lowercase()),
    };
    Ok(InboundAlert {
        fingerprint,
        resolved,
        severity: optional("severity")?.to_lowercase(),
        title: title.to_owned(),
        message: optional("message")?,
        labels: BTreeMap::new(),
    })
}

/// A short stable id for a text: the same alert text gives the same fingerprint on every call and
/// across restarts.
fn fingerprint_of(text: &str) -> String {
    format!("{:016x}", fnv1a(text.bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn am(status: &str) -> Value {
        json!({
            "version": "4", "groupKey": "{}:{alertname=\"HostDown\"}", "truncatedAlerts": 0,
            "status": status, "receiver": "homelab", "groupLabels": {}, "commonLabels": {},
            "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
            "alerts": [{
                "status": status,
                "labels": {"alertname": "HostDown", "instance": "nas:9100", "severity": "critical"},
                "annotations": {"summary": "nas:9100 has been unreachable for 5 minutes."},
                "startsAt": "2026-12-03T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph", "fingerprint": "c6f3a1b2d4e5f607"
            }]
        })
    }

    #[test]
    fn alertmanager_alerts_keep_their_fingerprint_labels_and_status() {
        let firing = alertmanager(&am("firing")).unwrap();
        assert_eq!(firing.len(), 1);
        assert_eq!(firing[0].fingerprint, "c6f3a1b2d4e5f607");
        assert_eq!(firing[0].title, "HostDown on nas:9100");
        assert_eq!(firing[0].severity, "critical");
        assert_eq!(firing[0].labels["instance"], "nas:9100");
        assert!(!firing[0].resolved);
        let resolved = alertmanager(&am("resolved")).unwrap();
        assert!(resolved[0].resolved);
        assert_eq!(resolved[0].fingerprint, firing[0].fingerprint);
    }

    #[test]
    fn malformed_alertmanager_payloads_say_what_is_wrong() {
        let mut v3 = am("firing");
        v3["version"] = json!("3");
        assert!(alertmanager(&v3).unwrap_err().contains("version 4"));
        assert!(
            alertmanager(&json!({"version": "4"}))
                .unwrap_err()
                .contains("alerts")
        );
        let mut odd = am("firing");
        odd["alerts"][0]["status"] = json!("burning");
        assert!(alertmanager(&odd).unwrap_err().contains("burning"));
        let mut nameless = am("firing");
        nameless["alerts"][0]["labels"] = json!({});
        assert!(alertmanager(&nameless).unwrap_err().contains("alertname"));
        assert!(alertmanager(&json!([1, 2])).is_err());
    }

    #[test]
    fn truenas_slack_texts_fire_and_clear_the_same_alert() {
        let new = slack(&json!({"text": "New alerts:\n* Pool tank state is DEGRADED: One or more devices has been removed."})).unwrap();
        let cleared = slack(&json!({"text": "The following alert has been cleared:\n* Pool tank state is DEGRADED: One or more devices has been removed."})).unwrap();
        assert!(!new.resolved);
        assert!(cleared.resolved);
        assert_eq!(new.fingerprint, cleared.fingerprint);
        assert!(
            new.title.starts_with("Pool tank state is DEGRADED"),
            "{}",
            new.title
        );
    }

    #[test]
    fn uptime_kuma_down_and_up_are_one_alert() {
        let down = slack(&json!({"text": "[Plex] [🔴 Down] connect ECONNREFUSED 10.0.0.5:32400"}))
            .unwrap();
        let up = slack(&json!({"text": "[Plex] [✅ Up] 200 - OK"})).unwrap();
        assert_eq!(down.severity, "critical");
        assert!(!down.resolved && up.resolved);
        assert_eq!(down.fingerprint, up.fingerprint);
        assert!(slack(&json!({"text": ""})).is_err());
        assert!(slack(&json!({"blocks": []})).is_err());
        let attached =
            slack(&json!({"attachments": [{"title": "Disk full", "text": "/ is 97% full"}]}))
                .unwrap();
        assert_eq!(attached.title, "Disk full");
    }

    #[test]
    fn generic_alerts_need_a_title_and_read_their_status() {
        let alert = generic(
            &json!({"title": "Backup failed", "message": "rsync exit 23", "severity": "Warning"}),
        )
        .unwrap();
        assert_eq!(alert.severity, "warning");
        assert!(!alert.resolved);
        let ok = generic(&json!({"title": "Backup failed", "status": "resolved"})).unwrap();
        assert!(ok.resolved);
        assert_eq!(ok.fingerprint, alert.fingerprint);
        assert!(generic(&json!({"message": "x"})).is_err());
        assert!(generic(&json!({"title": "  "})).is_err());
        assert!(generic(&json!({"title": "x", "severity": 3})).is_err());
        assert!(generic(&json!({"title": "x", "status": "exploded"})).is_err());
    }
}
