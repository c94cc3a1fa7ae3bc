//! The fake's REST API under `/api/v10`: every route serenity and poise call, each checking the
//! request the way Discord does before it answers.

use super::*;

/// Every REST route under `/api/v10`.
pub(super) async fn rest(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().trim_start_matches("/api/v10").to_owned();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (json_body, files) = parse_body(&content_type, &body);
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bot {TOKEN}"));
    let (status, answer) = if !authorized {
        error(StatusCode::UNAUTHORIZED, 0, "401: Unauthorized")
    } else {
        match json_body {
            Err(ref problem) => error(StatusCode::BAD_REQUEST, 50109, problem),
            Ok(ref body) => route(&state, &method, &path, body, &files),
        }
    };
    state.inner.lock().unwrap().calls.push(RestCall {
        method: method.to_string(),
        path,
        body: json_body.unwrap_or(Value::Null),
        files,
        status: status.as_u16(),
    });
    state.bump();
    if status == StatusCode::NO_CONTENT {
        return StatusCode::NO_CONTENT.into_response();
    }
    (status, axum::Json(answer)).into_response()
}

/// Files of a multipart body: (filename, content).
type Files = Vec<(String, Vec<u8>)>;

/// A JSON body, or multipart with `payload_json` and files, as serenity sends attachments.
fn parse_body(content_type: &str, body: &[u8]) -> (Result<Value, String>, Files) {
    if body.is_empty() {
        return (Ok(Value::Null), Vec::new());
    }
    if content_type.starts_with("application/json") {
        return (
            serde_json::from_slice(body)
                .map_err(|e| format!("The request body contains invalid JSON: {e}")),
            Vec::new(),
        );
    }
    let Some(boundary) = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .map(|b| format!("--{b}"))
    else {
        return (
            Err(format!("unsupported content type {content_type:?}")),
            Vec::new(),
        );
    };
    let mut payload = Err("multipart body without payload_json".to_owned());
    let mut files = Vec::new();
    let mut rest = body;
    while let Some(start) = find(rest, boundary.as_bytes()) {
        rest = &rest[start + boundary.len()..];
        let Some(end) = find(rest, boundary.as_bytes()) else {
            break;
        };
        let part = &rest[..end];
        let Some(split) = find(part, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..split]).to_string();
        let content = part[split + 4..]
            .strip_suffix(b"\r\n")
            .unwrap_or(&part[split + 4..]);
        if head.contains("name=\"payload_json\"") {
            payload =
                serde_json::from_slice(content).map_err(|e| format!("invalid payload_json: {e}"));
        } else if let Some(name) = head
            .split("filename=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
        {
            files.push((name.to_owned(), content.to_vec()));
        }
    }
    (payload, files)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn route(
    state: &AppState,
    method: &Method,
    path: &str,
    body: &Value,
    files: &[(String, Vec<u8>)],
) -> (StatusCode, Value) {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let app = APP_ID.to_string();
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["gateway"]) => {
            let base = state.inner.lock().unwrap().base.replace("http://", "ws://");
            (StatusCode::OK, json!({ "url": format!("{base}/gateway") }))
        }
        ("GET", ["oauth2", "applications", "@me"]) => (
            StatusCode::OK,
            json!({
                "id": app, "name": "Homelab Assistant", "icon": null, "description": "",
                "bot_public": false, "bot_require_code_grant": false,
                "owner": user(ALLOWED_USER, false), "verify_key": "00".repeat(32),
                "team": null, "flags": 0, "rpc_origins": [],
            }),
        ),
        ("PUT", ["applications", id, "commands"]) if *id == app => register(state, body, None),
        ("PUT", ["applications", id, "guilds", guild, "commands"]) if *id == app => {
            register(state, body, Some(guild))
        }
        ("POST", ["interactions", id, token, "callback"]) => callback(state, id, token, body),
        ("PATCH", ["webhooks", id, token, "messages", "@original"]) if *id == app => {
            webhook_message(state, token, body, files, true)
        }
        ("POST", ["webhooks", id, token]) if *id == app => {
            webhook_message(state, token, body, files, false)
        }
        ("POST", ["channels", channel, "messages"]) => match check_message(body, files) {
            Err(problem) => problem,
            Ok(()) => {
                if let Some(reference) = body.get("message_reference")
                    && !reference["message_id"].is_string()
                    && !reference["message_id"].is_u64()
                {
                    return error(
                        StatusCode::BAD_REQUEST,
                        50035,
                        "Invalid Form Body: message_reference",
                    );
                }
                let channel: u64 = channel.parse().unwrap_or_default();
                let mut message = message_object(
                    state.id(),
                    channel,
                    user(BOT_ID, true),
                    body["content"].as_str().unwrap_or_default(),
                    Vec::new(),
                );
                message["message_reference"] = body
                    .get("message_reference")
                    .cloned()
                    .unwrap_or(Value::Null);
                let id: u64 = message["id"]
                    .as_str()
                    .and_then(|id| id.parse().ok())
                    .unwrap_or_default();
                state
                    .inner
                    .lock()
                    .unwrap()
                    .channel_messages
                    .insert((channel, id), message.clone());
                (StatusCode::OK, message)
            }
        },
        // Editing a bot's own channel message: it must exist in that channel (10008 otherwise),
        // and the new content passes the same checks as a new message.
        ("PATCH", ["channels", channel, "messages", id]) => {
            let key = (
                channel.parse::<u64>().unwrap_or_default(),
                id.parse::<u64>().unwrap_or_default(),
            );
            if let Err(problem) = check_message(body, files) {
                return problem;
            }
            let mut inner = state.inner.lock().unwrap();
            let Some(message) = inner.channel_messages.get_mut(&key) else {
                return error(StatusCode::NOT_FOUND, 10008, "Unknown Message");
            };
            if let Some(content) = body["content"].as_str() {
                message["content"] = json!(content);
            }
            message["edited_timestamp"] = json!("2026-11-25T12:00:01.000000+00:00");
            (StatusCode::OK, message.clone())
        }
        ("GET", ["channels", channel]) if *channel == THREAD.to_string() => (
            StatusCode::OK,
            json!({"id": channel, "type": 11, "guild_id": GUILD.to_string(), "name": "disk trouble",
                   "parent_id": CHANNEL.to_string(), "owner_id": ALLOWED_USER.to_string(),
                   "message_count": 3, "member_count": 2, "rate_limit_per_user": 0, "flags": 0,
                   "total_message_sent": 3,
                   "thread_metadata": {"archived": false, "auto_archive_duration": 1440,
                                       "archive_timestamp": "2026-11-25T12:00:00.000000+00:00",
                                       "locked": false}}),
        ),
        ("GET", ["channels", channel]) => (
            StatusCode::OK,
            json!({"id": channel, "type": 0, "guild_id": GUILD.to_string(), "name": "homelab",
                   "position": 0, "permission_overwrites": [], "nsfw": false, "parent_id": null}),
        ),
        _ => error(StatusCode::NOT_FOUND, 0, "404: Not Found"),
    }
}

/// Discord's checks of a message body: content a string of at most 2,000 characters, and not
/// empty unless something else (a file, an embed) is sent.
fn check_message(body: &Value, files: &[(String, Vec<u8>)]) -> Result<(), (StatusCode, Value)> {
    let content = match &body["content"] {
        Value::Null => "",
        Value::String(s) => s.as_str(),
        _ => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                50035,
                "Invalid Form Body: content",
            ));
        }
    };
    if content.chars().count() > 2000 {
        return Err((
            StatusCode::BAD_REQUEST,
            json!({"code": 50035, "message": "Invalid Form Body",
                   "errors": {"content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH",
                                                       "message": "Must be 2000 or fewer in length."}]}}}),
        ));
    }
    let has_embeds = body["embeds"].as_array().is_some_and(|e| !e.is_empty());
    if content.trim().is_empty() && files.is_empty() && !has_embeds {
        return Err(error(
            StatusCode::BAD_REQUEST,
            50006,
            "Cannot send an empty message",
        ));
    }
    if let Some(mentions) = body.get("allowed_mentions")
        && !mentions.is_object()
    {
        return Err(error(
            StatusCode::BAD_REQUEST,
            50035,
            "Invalid Form Body: allowed_mentions",
        ));
    }
    Ok(())
}

fn valid_name(name: &Value) -> bool {
    name.as_str().is_some_and(|n| {
        (1..=32).contains(&n.chars().count())
            && n.chars()
                .all(|c| c == '-' || c == '_' || c.is_lowercase() || c.is_numeric())
    })
}

fn valid_description(description: &Value) -> bool {
    description
        .as_str()
        .is_some_and(|d| (1..=100).contains(&d.chars().count()))
}

/// Bulk overwrite of commands: Discord validates every command and answers them with ids.
fn register(state: &AppState, body: &Value, guild: Option<&str>) -> (StatusCode, Value) {
    let Some(commands) = body.as_array() else {
        return error(
            StatusCode::BAD_REQUEST,
            50035,
            "Invalid Form Body: expected an array",
        );
    };
    let mut answered = Vec::new();
    for command in commands {
        let kind = command["type"].as_u64().unwrap_or(1);
        if kind != 1 || !valid_name(&command["name"]) || !valid_description(&command["description"])
        {
            return error(
                StatusCode::BAD_REQUEST,
                50035,
                &format!("Invalid Form Body: {command}"),
            );
        }
        let options = command["options"].as_array().cloned().unwrap_or_default();
        let mut optional_seen = false;
        for option in &options {
            let required = option["required"].as_bool().unwrap_or(false);
            let kind = option["type"].as_u64().unwrap_or(0);
            if !valid_name(&option["name"])
                || !valid_description(&option["description"])
                || !(3..=11).contains(&kind)
                || (required && optional_seen)
            {
                return error(
                    StatusCode::BAD_REQUEST,
                    50035,
                    &format!("Invalid Form Body: option {option}"),
                );
            }
            optional_seen |= !required;
        }
        let mut out = command.clone();
        out["id"] = json!(state.id().to_string());
        out["application_id"] = json!(APP_ID.to_string());
        out["version"] = json!(state.id().to_string());
        out["type"] = json!(1);
        out["default_member_permissions"] = Value::Null;
        out["nsfw"] = json!(false);
        if let Some(guild) = guild {
            out["guild_id"] = json!(guild);
        }
        answered.push(out);
    }
    state.inner.lock().unwrap().commands = answered.clone();
    (StatusCode::OK, Value::Array(answered))
}

/// The interaction callback: answered once, with a known type and valid data; 204 on success.
fn callback(state: &AppState, id: &str, token: &str, body: &Value) -> (StatusCode, Value) {
    let mut inner = state.inner.lock().unwrap();
    let Some(interaction) = inner.interactions.get_mut(token) else {
        return error(StatusCode::NOT_FOUND, 10062, "Unknown interaction");
    };
    if interaction.id.to_string() != id {
        return error(StatusCode::NOT_FOUND, 10062, "Unknown interaction");
    }
    if interaction.answered.is_some() {
        return error(
            StatusCode::BAD_REQUEST,
            40060,
            "Interaction has already been acknowledged.",
        );
    }
    let kind = body["type"].as_u64().unwrap_or(0);
    let data = &body["data"];
    let flags = data["flags"].as_u64().unwrap_or(0);
    // EPHEMERAL (64), SUPPRESS_EMBEDS (4), SUPPRESS_NOTIFICATIONS (4096) are all a response may set.
    if flags & !(64 | 4 | 4096) != 0 {
        return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body: flags");
    }
    match kind {
        4 => {
            if let Err(problem) = check_message(data, &[]) {
                return problem;
            }
        }
        5 => {}
        8 => {
            let Some(choices) = data["choices"].as_array() else {
                return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body: choices");
            };
            let valid = choices.len() <= 25
                && choices.iter().all(|c| {
                    c["name"]
                        .as_str()
                        .is_some_and(|n| (1..=100).contains(&n.chars().count()))
                        && !c["value"].is_null()
                });
            if !valid {
                return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body: choices");
            }
        }
        _ => return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body: type"),
    }
    interaction.answered = Some(kind);
    (StatusCode::NO_CONTENT, Value::Null)
}

/// Editing the original response or sending a follow-up: only for an interaction that was
/// answered with a message or a deferral, and with a valid message body.
fn webhook_message(
    state: &AppState,
    token: &str,
    body: &Value,
    files: &[(String, Vec<u8>)],
    original: bool,
) -> (StatusCode, Value) {
    let answered = state
        .inner
        .lock()
        .unwrap()
        .interactions
        .get(token)
        .and_then(|i| i.answered);
    if !matches!(answered, Some(4 | 5)) {
        return error(StatusCode::NOT_FOUND, 10015, "Unknown Webhook");
    }
    if let Err(problem) = check_message(body, files) {
        return problem;
    }
    let mut message = message_object(
        if original { 1 } else { state.id() },
        CHANNEL,
        user(BOT_ID, true),
        body["content"].as_str().unwrap_or_default(),
        Vec::new(),
    );
    message["webhook_id"] = json!(APP_ID.to_string());
    message["application_id"] = json!(APP_ID.to_string());
    (StatusCode::OK, message)
}
