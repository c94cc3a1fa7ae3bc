//! A loopback fake of the TrueNAS SCALE API, so the storage tools can be tested against both
//! transports a real server may offer: the JSON-RPC 2.0 WebSocket at `/api/current` (25.04 and
//! later) and the REST API under `/api/v2.0` (24.10, removed in 26). It validates requests strictly,
//! answers from a fixed fixture (two pools, one degraded; datasets; snapshots, one dataset stale;
//! alerts; apps; disks) whose dates are relative to server start, and records every call so tests can
//! check that the client only reads, and which transport and method generation it picked.
//!
//! Errors on the WebSocket: -32700 (not JSON), -32600 (invalid request: `jsonrpc` not "2.0", `id`
//! missing or not a number/string, `method` not a string, `params` not an array), -32601 (unknown
//! method, including the snapshot method of the other generation), -32602 (invalid params), and 13
//! "Not authenticated" (errno EACCES, as TrueNAS's call errors carry it; the real server wraps it in
//! -32001 — kept simple here) for any call but `auth.login_ex` before a successful login.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Which APIs the fake serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(dead_code)] // Each test binary uses a different subset.
pub enum Transports {
    /// WebSocket and REST, like 25.04 and 25.10.
    Both,
    /// REST only; the `/api/current` upgrade answers 404, like 24.10.
    RestOnly,
    /// WebSocket only; every REST path answers 404, like 26.
    WebSocketOnly,
}

/// Which snapshot query method exists on the WebSocket; the other name is an unknown method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(dead_code)]
pub enum SnapshotMethod {
    /// `pool.snapshot.query` (25.10 and later).
    Pool,
    /// `zfs.snapshot.query` (25.04 and earlier).
    Zfs,
}

/// How the fake behaves; `Default` is a 25.x server with a read-only admin key.
#[derive(Clone, Debug)]
#[allow(dead_code)]
pub struct FakeTrueNasConfig {
    pub username: String,
    pub api_key: String,
    /// Returned by `auth.me` (and in `auth.login_ex`'s `user_info`) as the key's privilege roles.
    pub roles: Vec<String>,
    pub transports: Transports,
    pub snapshots: SnapshotMethod,
}

impl Default for FakeTrueNasConfig {
    fn default() -> Self {
        Self {
            username: "assistant".to_owned(),
            api_key: "1-fixturekeyfixturekeyfixturekey".to_owned(),
            roles: vec!["READONLY_ADMIN".to_owned()],
            transports: Transports::Both,
            snapshots: SnapshotMethod::Pool,
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    methods: Vec<String>,
    websocket_connections: usize,
}

/// A running fake; stops when dropped.
#[derive(Debug)]
pub struct FakeTrueNas {
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeTrueNas {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Clone)]
struct AppState {
    fixture: Arc<Fixture>,
    inner: Arc<Mutex<Inner>>,
}

impl AppState {
    fn record(&self, entry: String) {
        self.inner.lock().unwrap().methods.push(entry);
    }
}

#[allow(dead_code)]
impl FakeTrueNas {
    /// Binds 127.0.0.1 on a free port and serves on a tokio task. Fixture dates are relative to now.
    pub async fn start(config: FakeTrueNasConfig) -> FakeTrueNas {
        let now_ms = i64::try_from(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_millis(),
        )
        .unwrap();
        let inner = Arc::new(Mutex::new(Inner::default()));
        let state = AppState {
            fixture: Arc::new(Fixture { config, now_ms }),
            inner: inner.clone(),
        };
        let app = Router::new()
            .route("/api/current", any(api_current))
            .fallback(rest)
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeTrueNas { addr, inner, task }
    }

    /// `http://127.0.0.1:PORT`; the WebSocket is `ws://127.0.0.1:PORT/api/current`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every call, in order: WebSocket method names as sent (`auth.login_ex` and unknown ones
    /// included, invalid requests too when their `method` is a string), and every plain HTTP request
    /// as `"METHOD /path"` without the query string (e.g. `"GET /api/v2.0/pool"`, or
    /// `"GET /api/current"` for an upgrade refused in `RestOnly` mode or a non-upgrade request there).
    /// Successful WebSocket upgrades are not listed; see `websocket_connections`.
    pub fn methods(&self) -> Vec<String> {
        self.inner.lock().unwrap().methods.clone()
    }

    /// How many WebSocket upgrades were accepted.
    pub fn websocket_connections(&self) -> usize {
        self.inner.lock().unwrap().websocket_connections
    }
}

// ---------------------------------------------------------------------------------------------
// Transports

async fn api_current(
    State(state): State<AppState>,
    method: Method,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if state.fixture.config.transports == Transports::RestOnly {
        state.record(format!("{method} /api/current"));
        return rest_error(StatusCode::NOT_FOUND, "Not Found");
    }
    match upgrade {
        Ok(upgrade) => {
            state.inner.lock().unwrap().websocket_connections += 1;
            upgrade.on_upgrade(move |socket| session(socket, state))
        }
        Err(rejection) => {
            state.record(format!("{method} /api/current"));
            rejection.into_response()
        }
    }
}

async fn session(mut socket: WebSocket, state: AppState) {
    let mut authenticated = false;
    while let Some(Ok(message)) = socket.recv().await {
        let reply = match message {
            Message::Text(text) => answer(&state, &mut authenticated, text.as_str()),
            Message::Binary(_) => rpc_error(
                Value::Null,
                PARSE_ERROR,
                "Parse error",
                "binary frames are not JSON-RPC",
            ),
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => continue,
        };
        if socket
            .send(Message::Text(reply.to_string().into()))
            .await
            .is_err()
        {
            break;
        }
    }
}

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
/// errno EACCES, the code TrueNAS puts on "Not authenticated".
const NOT_AUTHENTICATED: i64 = 13;

fn rpc_error(id: Value, code: i64, message: &str, reason: &str) -> Value {
    let mut data = json!({"reason": reason});
    if code == NOT_AUTHENTICATED {
        data["error"] = json!(NOT_AUTHENTICATED);
        data["errname"] = json!("EACCES");
    }
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message, "data": data}})
}

fn rpc_result(id: Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// Answers one text frame.
fn answer(state: &AppState, authenticated: &mut bool, text: &str) -> Value {
    let request: Value = match serde_json::from_str(text) {
        Ok(request) => request,
        Err(e) => return rpc_error(Value::Null, PARSE_ERROR, "Parse error", &e.to_string()),
    };
    let invalid =
        |id: Value, reason: &str| rpc_error(id, INVALID_REQUEST, "Invalid Request", reason);
    let Some(object) = request.as_object() else {
        return invalid(
            Value::Null,
            "the request must be a JSON object (no batches)",
        );
    };
    if let Some(method) = object.get("method").and_then(Value::as_str) {
        state.record(method.to_owned());
    }
    let id = match object.get("id") {
        Some(id @ (Value::Number(_) | Value::String(_))) => id.clone(),
        Some(_) => return invalid(Value::Null, "`id` must be a number or a string"),
        None => return invalid(Value::Null, "`id` is required"),
    };
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return invalid(id, "`jsonrpc` must be \"2.0\"");
    }
    let Some(method) = object.get("method").and_then(Value::as_str) else {
        return invalid(id, "`method` must be a string");
    };
    let params: &[Value] = match object.get("params") {
        None => &[],
        Some(Value::Array(params)) => params,
        Some(_) => return invalid(id, "`params` must be an array"),
    };
    let fixture = &state.fixture;
    let Some(call) = Call::from_ws(method, fixture.config.snapshots) else {
        return rpc_error(
            id,
            METHOD_NOT_FOUND,
            "Method does not exist",
            &format!("{method}: method does not exist"),
        );
    };
    if call == Call::Login {
        return match fixture.login(params) {
            Ok(result) => {
                if result["response_type"] == "SUCCESS" {
                    *authenticated = true;
                }
                rpc_result(id, result)
            }
            Err(reason) => rpc_error(id, INVALID_PARAMS, "Invalid params", &reason),
        };
    }
    if !*authenticated {
        return rpc_error(
            id,
            NOT_AUTHENTICATED,
            "Not authenticated",
            "Not authenticated",
        );
    }
    if let Err(reason) = check_params(call, params) {
        return rpc_error(id, INVALID_PARAMS, "Invalid params", &reason);
    }
    rpc_result(id, fixture.payload(call, params))
}

fn rest_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"message": message}))).into_response()
}

/// Everything but `/api/current`: the REST API under `/api/v2.0`, 404 elsewhere.
async fn rest(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path();
    state.record(format!("{method} {path}"));
    let Some(rest_path) = path
        .strip_prefix("/api/v2.0")
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
    else {
        return rest_error(StatusCode::NOT_FOUND, "Not Found");
    };
    let fixture = &state.fixture;
    if fixture.config.transports == Transports::WebSocketOnly {
        return rest_error(StatusCode::NOT_FOUND, "Not Found");
    }
    if method != Method::GET {
        let mut response = rest_error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
        response
            .headers_mut()
            .insert(header::ALLOW, "GET".parse().unwrap());
        return response;
    }
    let expected = format!("Bearer {}", fixture.config.api_key);
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value == expected);
    if !authorized {
        return rest_error(
            StatusCode::UNAUTHORIZED,
            "Authentication credentials were not provided or are invalid",
        );
    }
    match Call::from_rest(rest_path.trim_end_matches('/')) {
        Some(call) => axum::Json(fixture.payload(call, &[])).into_response(),
        None => rest_error(StatusCode::NOT_FOUND, "Not Found"),
    }
}

// ---------------------------------------------------------------------------------------------
// Methods

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    Login,
    Me,
    SystemInfo,
    Pools,
    Scrubs,
    Datasets,
    Snapshots,
    Alerts,
    Apps,
    Disks,
    Temperatures,
    Jobs,
    SmartResults,
}

impl Call {
    fn from_ws(method: &str, snapshots: SnapshotMethod) -> Option<Call> {
        Some(match method {
            "auth.login_ex" => Call::Login,
            "auth.me" => Call::Me,
            "system.info" => Call::SystemInfo,
            "pool.query" => Call::Pools,
            "pool.scrub.query" => Call::Scrubs,
            "pool.dataset.query" => Call::Datasets,
            "pool.snapshot.query" if snapshots == SnapshotMethod::Pool => Call::Snapshots,
            "zfs.snapshot.query" if snapshots == SnapshotMethod::Zfs => Call::Snapshots,
            "alert.list" => Call::Alerts,
            "app.query" => Call::Apps,
            "disk.query" => Call::Disks,
            "disk.temperatures" => Call::Temperatures,
            "core.get_jobs" => Call::Jobs,
            // Removed in 25.10, with the snapshot method's rename.
            "smart.test.results" if snapshots == SnapshotMethod::Zfs => Call::SmartResults,
            _ => return None,
        })
    }

    /// `path` is what follows `/api/v2.0`, without a trailing slash.
    fn from_rest(path: &str) -> Option<Call> {
        Some(match path {
            "/system/info" => Call::SystemInfo,
            "/pool" => Call::Pools,
            "/pool/scrub" => Call::Scrubs,
            "/pool/dataset" => Call::Datasets,
            "/zfs/snapshot" => Call::Snapshots,
            "/alert/list" => Call::Alerts,
            "/app" => Call::Apps,
            "/disk" => Call::Disks,
            "/core/get_jobs" => Call::Jobs,
            "/smart/test/results" => Call::SmartResults,
            "/auth/me" => Call::Me,
            _ => return None,
        })
    }
}

/// Query-shaped methods take `[filters, options]`: filters an array of arrays, options an object.
/// Their values are accepted and ignored.
fn check_params(call: Call, params: &[Value]) -> Result<(), String> {
    match call {
        Call::Login => Ok(()),
        Call::Me | Call::SystemInfo | Call::Alerts => {
            if params.is_empty() {
                Ok(())
            } else {
                Err(format!("takes no arguments ({} given)", params.len()))
            }
        }
        Call::Temperatures => {
            if params.len() > 2 {
                return Err(format!(
                    "takes at most 2 arguments ({} given)",
                    params.len()
                ));
            }
            if let Some(names) = params.first() {
                let all_strings = names
                    .as_array()
                    .is_some_and(|names| names.iter().all(Value::is_string));
                if !all_strings {
                    return Err("names: expected an array of disk names".to_owned());
                }
            }
            if params.get(1).is_some_and(|flag| !flag.is_boolean()) {
                return Err("include_thresholds: expected a boolean".to_owned());
            }
            Ok(())
        }
        Call::Pools
        | Call::Scrubs
        | Call::Datasets
        | Call::Snapshots
        | Call::Apps
        | Call::Disks
        | Call::Jobs
        | Call::SmartResults => {
            if params.len() > 2 {
                return Err(format!(
                    "takes at most 2 arguments ({} given)",
                    params.len()
                ));
            }
            if let Some(filters) = params.first() {
                let Some(filters) = filters.as_array() else {
                    return Err("filters: expected an array".to_owned());
                };
                if !filters.iter().all(Value::is_array) {
                    return Err("filters: each filter must be an array".to_owned());
                }
            }
            if params.get(1).is_some_and(|options| !options.is_object()) {
                return Err("options: expected an object".to_owned());
            }
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The fixture

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
const TIB: u64 = 1 << 40;
const GIB: u64 = 1 << 30;

struct Fixture {
    config: FakeTrueNasConfig,
    /// Milliseconds since the epoch at server start; every fixture date is relative to it.
    now_ms: i64,
}

fn date(ms: i64) -> Value {
    json!({"$date": ms})
}

fn zero_stats() -> Value {
    json!({"read_errors": 0, "write_errors": 0, "checksum_errors": 0})
}

fn disk_vdev(disk: &str, status: &str) -> Value {
    json!({
        "type": "DISK",
        "name": disk,
        "disk": disk,
        "status": status,
        "stats": zero_stats(),
        "children": [],
    })
}

fn topology(mirror_status: &str, disks: Vec<Value>) -> Value {
    json!({
        "data": [{
            "type": "MIRROR",
            "name": "mirror-0",
            "status": mirror_status,
            "stats": zero_stats(),
            "children": disks,
        }],
        "log": [],
        "cache": [],
        "spare": [],
        "special": [],
        "dedup": [],
    })
}

fn bytes_prop(n: u64, human: &str, source: &str) -> Value {
    json!({"parsed": n, "rawvalue": n.to_string(), "value": human, "source": source})
}

fn no_quota() -> Value {
    json!({"parsed": null, "rawvalue": "0", "value": null, "source": "DEFAULT"})
}

fn ratio_prop(ratio: &str) -> Value {
    json!({"parsed": ratio, "rawvalue": ratio, "value": format!("{ratio}x"), "source": "NONE"})
}

fn dataset(name: &str, used: Value, available: Value, quota: Value, ratio: &str) -> Value {
    let pool = name.split('/').next().unwrap_or(name);
    json!({
        "id": name,
        "name": name,
        "pool": pool,
        "type": "FILESYSTEM",
        "mountpoint": format!("/mnt/{name}"),
        "used": used,
        "available": available,
        "quota": quota,
        "compressratio": ratio_prop(ratio),
        "encrypted": false,
        "children": [],
    })
}

fn snapshot(dataset: &str, created_ms: i64, txg: u64, used: u64, used_human: &str) -> Value {
    let secs = created_ms / 1000;
    let created = DateTime::<Utc>::from_timestamp(secs, 0).unwrap();
    let snapshot_name = format!("auto-{}", created.format("%Y-%m-%d_%H-%M"));
    let name = format!("{dataset}@{snapshot_name}");
    let pool = dataset.split('/').next().unwrap_or(dataset);
    json!({
        "id": name,
        "name": name,
        "dataset": dataset,
        "snapshot_name": snapshot_name,
        "pool": pool,
        "type": "SNAPSHOT",
        "createtxg": txg.to_string(),
        "properties": {
            "creation": {
                "parsed": date(secs * 1000),
                "rawvalue": secs.to_string(),
                "value": created.format("%a %b %e %H:%M %Y").to_string(),
            },
            "used": {"parsed": used, "rawvalue": used.to_string(), "value": used_human},
        },
    })
}

#[allow(clippy::too_many_arguments)]
fn alert(
    uuid: &str,
    klass: &str,
    level: &str,
    text: &str,
    args: Value,
    formatted: &str,
    at_ms: i64,
    dismissed: bool,
) -> Value {
    json!({
        "uuid": uuid,
        "source": "",
        "klass": klass,
        "args": args,
        "node": "A",
        "key": args.to_string(),
        "datetime": date(at_ms),
        "last_occurrence": date(at_ms),
        "dismissed": dismissed,
        "mail": null,
        "text": text,
        "id": uuid,
        "level": level,
        "formatted": formatted,
        "one_shot": false,
    })
}

fn app(
    name: &str,
    state: &str,
    upgrade: bool,
    version: &str,
    latest: &str,
    human: &str,
    containers: u64,
) -> Value {
    json!({
        "name": name,
        "id": name,
        "state": state,
        "upgrade_available": upgrade,
        "latest_version": latest,
        "human_version": human,
        "version": version,
        "metadata": {"train": "community"},
        "active_workloads": {"containers": containers},
    })
}

fn disk(name: &str, serial: &str, size: u64, model: &str, pool: &str) -> Value {
    json!({
        "identifier": format!("{{serial}}{serial}"),
        "name": name,
        "serial": serial,
        "size": size,
        "model": model,
        "type": "HDD",
        "pool": pool,
    })
}

impl Fixture {
    fn user(&self) -> Value {
        json!({
            "pw_name": self.config.username,
            "pw_uid": 950,
            "pw_gid": 950,
            "pw_dir": "/var/empty",
            "pw_shell": "/usr/sbin/nologin",
            "attributes": {},
            "two_factor_config": {},
            "privilege": {
                "roles": {"$set": self.config.roles},
                "allowlist": [],
                "web_shell": false,
            },
            "account_attributes": ["LOCAL", "API_KEY"],
        })
    }

    /// `auth.login_ex`: a wrong key is a result (`AUTH_ERR`), not an error; only a malformed call is.
    fn login(&self, params: &[Value]) -> Result<Value, String> {
        let [credentials] = params else {
            return Err(format!("takes exactly 1 argument ({} given)", params.len()));
        };
        let Some(credentials) = credentials.as_object() else {
            return Err("login_data: expected an object".to_owned());
        };
        let text = |key: &str| credentials.get(key).and_then(Value::as_str);
        let ok = text("mechanism") == Some("API_KEY_PLAIN")
            && text("username") == Some(self.config.username.as_str())
            && text("api_key") == Some(self.config.api_key.as_str());
        Ok(if ok {
            json!({"response_type": "SUCCESS", "user_info": self.user(), "authenticator": "LEVEL_1"})
        } else {
            json!({"response_type": "AUTH_ERR"})
        })
    }

    fn payload(&self, call: Call, params: &[Value]) -> Value {
        let now = self.now_ms;
        match call {
            Call::Login => Value::Null,
            Call::Me => self.user(),
            Call::SystemInfo => json!({
                "version": "TrueNAS-SCALE-25.04.2",
                "hostname": "truenas",
                "uptime_seconds": 123456.7,
                "physmem": 34359738368_u64,
                "model": "AMD Ryzen",
                "cores": 8,
                "loadavg": [0.5, 0.4, 0.3],
                "boottime": date(now - 123_456_700),
                "datetime": date(now),
                "timezone": "Europe/Paris",
                "system_product": "Fixture",
            }),
            Call::Pools => json!([
                {
                    "id": 1,
                    "name": "tank",
                    "guid": "1234",
                    "path": "/mnt/tank",
                    "status": "ONLINE",
                    "healthy": true,
                    "warning": false,
                    "status_code": "OK",
                    "status_detail": null,
                    "size": 8 * TIB,
                    "allocated": 4 * TIB,
                    "free": 4 * TIB,
                    "freeing": 0,
                    "fragmentation": "7",
                    "topology": topology("ONLINE", vec![disk_vdev("sda", "ONLINE"), disk_vdev("sdb", "ONLINE")]),
                    "scan": {
                        "function": "SCRUB",
                        "state": "FINISHED",
                        "start_time": date(now - 10 * DAY_MS - 2 * HOUR_MS),
                        "end_time": date(now - 10 * DAY_MS),
                        "percentage": 100.0,
                        "bytes_to_process": 4 * TIB,
                        "bytes_processed": 4 * TIB,
                        "bytes_issued": 4 * TIB,
                        "pause": null,
                        "errors": 0,
                        "total_secs": 7200,
                    },
                },
                {
                    "id": 2,
                    "name": "backup",
                    "guid": "5678",
                    "path": "/mnt/backup",
                    "status": "DEGRADED",
                    "healthy": false,
                    "warning": false,
                    "status_code": "OFFLINE_DEV",
                    "status_detail": "One or more devices has been taken offline by the administrator.",
                    "size": 4 * TIB,
                    "allocated": TIB,
                    "free": 3 * TIB,
                    "freeing": 0,
                    "fragmentation": "2",
                    "topology": topology("DEGRADED", vec![disk_vdev("sdc", "ONLINE"), disk_vdev("sdd", "OFFLINE")]),
                    "scan": {
                        "function": "SCRUB",
                        "state": "FINISHED",
                        "start_time": date(now - 50 * DAY_MS - HOUR_MS),
                        "end_time": date(now - 50 * DAY_MS),
                        "percentage": 100.0,
                        "bytes_to_process": TIB,
                        "bytes_processed": TIB,
                        "bytes_issued": TIB,
                        "pause": null,
                        "errors": 3,
                        "total_secs": 3600,
                    },
                },
            ]),
            Call::Scrubs => json!([{
                "id": 1,
                "pool": 1,
                "pool_name": "tank",
                "threshold": 35,
                "description": "",
                "schedule": {"minute": "00", "hour": "00", "dom": "*", "month": "*", "dow": "7"},
                "enabled": true,
            }]),
            Call::Datasets => {
                let tank_available = bytes_prop(TIB * 15 / 4, "3.75T", "NONE");
                json!([
                    dataset(
                        "tank",
                        bytes_prop(TIB * 7 / 2, "3.5T", "NONE"),
                        tank_available.clone(),
                        no_quota(),
                        "1.05"
                    ),
                    dataset(
                        "tank/media",
                        bytes_prop(3 * TIB, "3T", "NONE"),
                        tank_available,
                        no_quota(),
                        "1.01"
                    ),
                    dataset(
                        "tank/apps",
                        bytes_prop(100 * GIB, "100G", "NONE"),
                        bytes_prop(100 * GIB, "100G", "NONE"),
                        bytes_prop(200 * GIB, "200G", "LOCAL"),
                        "1.85",
                    ),
                    dataset(
                        "backup",
                        bytes_prop(TIB, "1T", "NONE"),
                        bytes_prop(3000 * GIB, "2.93T", "NONE"),
                        no_quota(),
                        "1.30"
                    ),
                ])
            }
            Call::Snapshots => json!([
                snapshot("tank/media", now - 51 * HOUR_MS, 101, 4 * 1_048_576, "4M"),
                snapshot("tank/media", now - 27 * HOUR_MS, 112, 2 * 1_048_576, "2M"),
                snapshot("tank/media", now - 3 * HOUR_MS, 123, 1_048_576, "1M"),
                snapshot("tank/apps", now - 6 * DAY_MS, 87, 8 * 1_048_576, "8M"),
                snapshot("tank/apps", now - 5 * DAY_MS, 94, 1_048_576, "1M"),
            ]),
            Call::Alerts => json!([
                alert(
                    "8f1c2a5e-0001-4c1e-9a55-000000000001",
                    "VolumeStatus",
                    "CRITICAL",
                    "Pool %(volume)s state is %(state)s: %(status)s",
                    json!({"volume": "backup", "state": "DEGRADED", "status": "One or more devices has been taken offline"}),
                    "Pool backup state is DEGRADED: One or more devices has been taken offline",
                    now - 2 * HOUR_MS,
                    false,
                ),
                alert(
                    "8f1c2a5e-0002-4c1e-9a55-000000000002",
                    "SMART",
                    "WARNING",
                    "%s",
                    json!("Device: /dev/sdd, 8 Currently unreadable (pending) sectors."),
                    "Device: /dev/sdd, 8 Currently unreadable (pending) sectors.",
                    now - DAY_MS,
                    false,
                ),
                alert(
                    "8f1c2a5e-0003-4c1e-9a55-000000000003",
                    "ScrubPaused",
                    "INFO",
                    "Scrub for pool %r is paused for more than 8 hours.",
                    json!("tank"),
                    "Scrub for pool 'tank' is paused for more than 8 hours.",
                    now - 3 * DAY_MS,
                    true,
                ),
            ]),
            Call::Apps => json!([
                app("plex", "RUNNING", true, "1.2.0", "1.3.0", "1.41.0_1.2.0", 1),
                app(
                    "nextcloud",
                    "RUNNING",
                    false,
                    "2.0.5",
                    "2.0.5",
                    "30.0.1_2.0.5",
                    4
                ),
                app(
                    "immich",
                    "CRASHED",
                    false,
                    "1.5.0",
                    "1.5.0",
                    "1.119.0_1.5.0",
                    0
                ),
            ]),
            Call::Disks => json!([
                disk("sda", "ABC", 8_001_563_222_016, "WDC WD80EFZX", "tank"),
                disk("sdb", "ABD", 8_001_563_222_016, "WDC WD80EFZX", "tank"),
                disk("sdc", "ABE", 5_000_981_078_016, "WDC WD50EFRX", "backup"),
                disk("sdd", "ABF", 5_000_981_078_016, "WDC WD50EFRX", "backup"),
            ]),
            Call::Temperatures => {
                let all = json!({"sda": 34.0, "sdb": 36.0, "sdc": 35.0, "sdd": null});
                let names: Vec<&str> = params
                    .first()
                    .and_then(Value::as_array)
                    .map(|names| names.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if names.is_empty() {
                    all
                } else {
                    let picked = all
                        .as_object()
                        .unwrap()
                        .iter()
                        .filter(|(name, _)| names.contains(&name.as_str()))
                        .map(|(name, value)| (name.clone(), value.clone()))
                        .collect();
                    Value::Object(picked)
                }
            }
            Call::Jobs => json!([]),
            Call::SmartResults => json!([{
                "disk": "sda",
                "tests": [{
                    "num": 1,
                    "description": "Short offline",
                    "status": "SUCCESS",
                    "status_verbose": "Completed without error",
                    "remaining": 0.0,
                    "lifetime": 12345,
                    "lba_of_first_error": null,
                }],
            }]),
        }
    }
}
