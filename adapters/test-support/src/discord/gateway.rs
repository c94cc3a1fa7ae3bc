//! The fake's gateway: the WebSocket session serenity keeps open, with HELLO, IDENTIFY → READY,
//! heartbeat ACKs, RESUME and the dispatches a test scripts.

use super::*;

/// The gateway: HELLO, IDENTIFY → READY, heartbeat ACKs, and the test's dispatches with sequence
/// numbers.
pub(super) async fn gateway(
    State(state): State<AppState>,
    upgrade: WebSocketUpgrade,
    uri: Uri,
) -> Response {
    // serenity asks for API v10 in the query, as Discord requires.
    if !uri.query().unwrap_or_default().contains("v=10") {
        return (StatusCode::BAD_REQUEST, "missing v=10").into_response();
    }
    upgrade.on_upgrade(move |socket| session(socket, state))
}

async fn session(socket: WebSocket, state: AppState) {
    let (mut out, mut incoming) = socket.split();
    let (dispatch, mut dispatches) = mpsc::unbounded_channel::<(String, Value)>();
    let mut seq = 0_u64;
    let send = |value: Value| WsMessage::Text(value.to_string().into());
    if out
        .send(send(
            json!({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_MS}, "s": null, "t": null}),
        ))
        .await
        .is_err()
    {
        return;
    }
    let close = |code: u16, reason: &str| {
        WsMessage::Close(Some(axum::extract::ws::CloseFrame {
            code,
            reason: reason.to_owned().into(),
        }))
    };
    loop {
        tokio::select! {
            message = incoming.next() => {
                let Some(Ok(message)) = message else { break };
                let text = match message {
                    WsMessage::Text(text) => text.to_string(),
                    WsMessage::Close(_) => {
                        // Flushes the close reply the WebSocket queued, as Discord answers a
                        // client's close frame.
                        let _ = out.close().await;
                        break;
                    }
                    _ => continue,
                };
                let Ok(payload) = serde_json::from_str::<Value>(&text) else {
                    let _ = out.send(close(4002, "Error while decoding payload.")).await;
                    break;
                };
                match payload["op"].as_u64() {
                    Some(1) => {
                        state.inner.lock().unwrap().heartbeats += 1;
                        state.bump();
                        if out.send(send(json!({"op": 11, "d": null, "s": null, "t": null}))).await.is_err() {
                            break;
                        }
                    }
                    Some(2) => {
                        let d = &payload["d"];
                        let token = d["token"].as_str().unwrap_or_default();
                        if token.trim_start_matches("Bot ") != TOKEN {
                            let _ = out.send(close(4004, "Authentication failed.")).await;
                            break;
                        }
                        let valid = d["intents"].is_u64()
                            && d["properties"]["os"].is_string()
                            && d["properties"]["browser"].is_string()
                            && d["properties"]["device"].is_string();
                        if !valid {
                            let _ = out.send(close(4002, "Error while decoding payload.")).await;
                            break;
                        }
                        seq += 1;
                        let ready = {
                            let mut inner = state.inner.lock().unwrap();
                            inner.identify = Some(d.clone());
                            inner.identifies += 1;
                            inner.session = Some(dispatch.clone());
                            json!({
                                "op": 0, "t": "READY", "s": seq,
                                "d": {
                                    "v": 10,
                                    "user": {
                                        "id": BOT_ID.to_string(), "username": "homelab-assistant",
                                        "discriminator": "0", "global_name": null, "avatar": null,
                                        "bot": true, "verified": true, "mfa_enabled": false,
                                        "flags": 0, "email": null,
                                    },
                                    "guilds": [{"id": GUILD.to_string(), "unavailable": true}],
                                    "session_id": "fake-session",
                                    "resume_gateway_url": inner.base.replace("http://", "ws://") + "/gateway",
                                    "shard": [0, 1],
                                    "application": {"id": APP_ID.to_string(), "flags": 0},
                                    "private_channels": [],
                                    "relationships": [],
                                    "presences": [],
                                    "_trace": ["fake-discord"],
                                },
                            })
                        };
                        state.bump();
                        if out.send(send(ready)).await.is_err() {
                            break;
                        }
                    }
                    Some(3) => {}
                    Some(6) => {
                        let d = &payload["d"];
                        let token_ok = d["token"].as_str().unwrap_or_default().trim_start_matches("Bot ") == TOKEN;
                        if !token_ok {
                            let _ = out.send(close(4004, "Authentication failed.")).await;
                            break;
                        }
                        if d["session_id"] != "fake-session" || !d["seq"].is_u64() {
                            // Not resumable: the client must identify again.
                            if out.send(send(json!({"op": 9, "d": false, "s": null, "t": null}))).await.is_err() {
                                break;
                            }
                            continue;
                        }
                        seq = d["seq"].as_u64().unwrap_or_default() + 1;
                        {
                            let mut inner = state.inner.lock().unwrap();
                            inner.resumes += 1;
                            inner.session = Some(dispatch.clone());
                        }
                        state.bump();
                        if out.send(send(json!({"op": 0, "t": "RESUMED", "s": seq, "d": {}}))).await.is_err() {
                            break;
                        }
                    }
                    _ => {
                        let _ = out.send(close(4001, "Unknown opcode.")).await;
                        break;
                    }
                }
            }
            Some((event, data)) = dispatches.recv() => {
                if event == RECONNECT {
                    if out.send(send(json!({"op": 7, "d": null, "s": null, "t": null}))).await.is_err() {
                        break;
                    }
                    continue;
                }
                seq += 1;
                if out.send(send(json!({"op": 0, "t": event, "s": seq, "d": data}))).await.is_err() {
                    break;
                }
            }
        }
    }
    {
        // A resumed session may already have replaced this one.
        let mut inner = state.inner.lock().unwrap();
        if inner
            .session
            .as_ref()
            .is_some_and(|s| s.same_channel(&dispatch))
        {
            inner.session = None;
        }
    }
    state.bump();
}
