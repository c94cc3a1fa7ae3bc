//! The adapter behind a real loopback socket, spoken to with hand-written HTTP/1.1 (so the test
//! sees exactly the bytes a curl user would): the old curl example, error statuses, 64
//! concurrent clients, and graceful shutdown with a request in flight.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::{Behaviour, KEY, Recorder, SHORT, config};
use homelab_http::{Config, Error, RateLimit, run};
use homelab_port::{ChatError, ChatHandler};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

struct Server {
    addr: SocketAddr,
    handler: Arc<Recorder>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), Error>>,
}

impl Server {
    async fn start(config: Config, behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let handler = Recorder::new(behaviour);
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let task = tokio::spawn(run(
            config,
            Arc::clone(&handler) as Arc<dyn ChatHandler>,
            None,
            listener,
            shutdown,
        ));
        Self {
            addr,
            handler,
            stop: Some(stop),
            task,
        }
    }

    fn signal_shutdown(&mut self) {
        self.stop.take().expect("not yet stopped").send(()).unwrap();
    }

    async fn stop(mut self) {
        self.signal_shutdown();
        tokio::time::timeout(SHORT, self.task)
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
    }
}

#[derive(Debug)]
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }
}

/// One request on a fresh connection, read until the server closes it.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Raw {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost:{}\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\nConnection: close\r\nContent-Length: {}\r\n",
        addr.port(),
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .await
        .expect("read the response");
    parse(&raw)
}

fn parse(raw: &[u8]) -> Raw {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.trim().to_owned(), value.trim().to_owned())
        })
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Raw {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap().trim(), 16)
                .unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

const JSON: (&str, &str) = ("Content-Type", "application/json");
const WITH_KEY: (&str, &str) = ("X-API-Key", KEY);

#[tokio::test]
async fn the_old_curl_example_works_and_shutdown_finishes_the_request_in_flight() {
    let mut server = Server::start(config(), Behaviour::Gated).await;
    let addr = server.addr;
    // curl -X POST http://localhost:8000/chat -H "X-API-Key: k" -H "Content-Type: application/json"
    //      -d '{"message": "What containers are running?"}'
    let in_flight = tokio::spawn(async move {
        http(
            addr,
            "POST",
            "/chat",
            &[WITH_KEY, JSON],
            br#"{"message": "What containers are running?"}"#,
        )
        .await
    });
    tokio::time::timeout(SHORT, server.handler.started.notified())
        .await
        .expect("the request reached the core");

    server.signal_shutdown();
    // The server keeps running while the request is in flight, but takes no new connections.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !server.task.is_finished(),
        "stopped with a request in flight"
    );
    let refused = tokio::time::timeout(SHORT, TcpStream::connect(addr))
        .await
        .unwrap();
    assert!(
        refused.is_err(),
        "a new connection was accepted after shutdown"
    );

    server.handler.gate.add_permits(1);
    let response = tokio::time::timeout(SHORT, in_flight)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert!(response.header("x-request-id").is_some());
    let body = response.json();
    assert_eq!(body["message"], "echo: What containers are running?");
    assert_eq!(body["tool_calls_made"], json!(["cpu_usage"]));
    assert!(body["conversation_id"].is_string());

    tokio::time::timeout(SHORT, server.task)
        .await
        .expect("the server stops once the request is done")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn shutdown_gives_up_on_a_hung_request_after_the_grace() {
    let grace = Duration::from_millis(300);
    let config = Config {
        shutdown_grace: grace,
        ..config()
    };
    let mut server = Server::start(config, Behaviour::Hang).await;
    let addr = server.addr;
    let client = tokio::spawn(async move {
        http(
            addr,
            "POST",
            "/chat",
            &[WITH_KEY, JSON],
            br#"{"message":"hi"}"#,
        )
        .await
    });
    tokio::time::timeout(SHORT, server.handler.started.notified())
        .await
        .unwrap();
    let signalled = std::time::Instant::now();
    server.signal_shutdown();
    tokio::time::timeout(SHORT, server.task)
        .await
        .expect("run returns after the grace although the core never answers")
        .unwrap()
        .unwrap();
    assert!(
        signalled.elapsed() >= grace,
        "returned before the grace: {:?}",
        signalled.elapsed()
    );
    client.abort();
}

#[tokio::test]
async fn answers_64_concurrent_clients() {
    let config = Config {
        rate_limit: RateLimit {
            requests: 1000,
            window: Duration::from_secs(60),
        },
        ..config()
    };
    let server = Server::start(config, Behaviour::Echo).await;
    let addr = server.addr;
    let clients: Vec<_> = (0..64)
        .map(|n| {
            tokio::spawn(async move {
                let message = format!("Frage Nr. {n}: wie geht's dem Server? 🖥️");
                let body =
                    json!({ "message": message, "conversation_id": format!("c-{n}") }).to_string();
                let response =
                    http(addr, "POST", "/chat", &[WITH_KEY, JSON], body.as_bytes()).await;
                (n, message, response)
            })
        })
        .collect();
    for client in clients {
        let (n, message, response) = tokio::time::timeout(SHORT, client).await.unwrap().unwrap();
        assert_eq!(response.status, 200, "{response:?}");
        let body = response.json();
        assert_eq!(body["message"], format!("echo: {message}"));
        assert_eq!(body["conversation_id"], format!("c-{n}"));
    }
    assert_eq!(server.handler.handled().len(), 64);
    assert!(server.handler.rejected().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn the_real_server_answers_every_error_status_with_a_json_detail() {
    let config = Config {
        rate_limit: RateLimit {
            requests: 3,
            window: Duration::from_secs(60),
        },
        ..config()
    };
    let server = Server::start(config, Behaviour::Echo).await;
    let addr = server.addr;

    let response = http(addr, "POST", "/chat", &[JSON], br#"{"message":"hi"}"#).await;
    assert_eq!(response.status, 401);
    assert!(response.json()["detail"].is_string());

    // The key's allowance: three requests, whatever their fate, then 429.
    let response = http(addr, "POST", "/chat", &[WITH_KEY, JSON], br#"{"message":"#).await;
    assert_eq!(response.status, 422);
    assert!(response.json()["detail"].is_string());

    let big = json!({ "message": "x".repeat(20_000) }).to_string();
    let response = http(addr, "POST", "/chat", &[WITH_KEY, JSON], big.as_bytes()).await;
    assert_eq!(response.status, 413);
    assert!(response.json()["detail"].is_string());

    let response = http(
        addr,
        "POST",
        "/chat",
        &[WITH_KEY, JSON],
        br#"{"message":"hi"}"#,
    )
    .await;
    assert_eq!(response.status, 200);

    let response = http(
        addr,
        "POST",
        "/chat",
        &[WITH_KEY, JSON],
        br#"{"message":"hi"}"#,
    )
    .await;
    assert_eq!(response.status, 429);
    let retry_after: u64 = response.header("retry-after").unwrap().parse().unwrap();
    assert!(retry_after >= 1);
    assert!(response.json()["detail"].is_string());

    let response = http(addr, "GET", "/health", &[], b"").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["status"], "healthy");

    // Metrics were not configured in this server.
    let response = http(addr, "GET", "/metrics", &[], b"").await;
    assert_eq!(response.status, 404);

    assert_eq!(server.handler.audit_entries(), 5);
    server.stop().await;
}

#[tokio::test]
async fn the_real_server_answers_503_when_the_assistant_cannot() {
    let server = Server::start(
        config(),
        Behaviour::Fail(|| ChatError::Unavailable("connection refused to 10.0.0.5".into())),
    )
    .await;
    let response = http(
        server.addr,
        "POST",
        "/chat",
        &[WITH_KEY, JSON],
        br#"{"message":"hi"}"#,
    )
    .await;
    assert_eq!(response.status, 503);
    let detail = response.json()["detail"].as_str().unwrap().to_owned();
    assert!(!detail.contains("10.0.0.5"), "{detail}");
    server.stop().await;
}

#[tokio::test]
async fn no_key_on_a_non_loopback_bind_is_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = Config {
        bind: "0.0.0.0:8000".parse().unwrap(),
        api_keys: Vec::new(),
        ..Config::default()
    };
    let handler = Recorder::new(Behaviour::Echo);
    let result = run(config, handler, None, listener, std::future::pending()).await;
    match result {
        Err(err @ Error::UnauthenticatedNonLoopback { .. }) => {
            assert!(err.to_string().contains("0.0.0.0:8000"), "{err}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn no_key_on_loopback_serves_anonymously() {
    let config = Config {
        api_keys: Vec::new(),
        ..Config::default()
    };
    let server = Server::start(config, Behaviour::Echo).await;
    let response = http(
        server.addr,
        "POST",
        "/chat",
        &[JSON],
        br#"{"message":"hi"}"#,
    )
    .await;
    assert_eq!(response.status, 200);
    assert_eq!(server.handler.handled()[0].origin.user_id, "anonymous");
    assert_eq!(
        server.handler.handled()[0].origin.channel_id.as_deref(),
        Some("127.0.0.1")
    );
    server.stop().await;
}

#[tokio::test]
async fn an_unworkable_config_is_refused_at_start() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = Config {
        rate_limit: RateLimit {
            requests: 0,
            window: Duration::from_secs(60),
        },
        ..config()
    };
    let handler = Recorder::new(Behaviour::Echo);
    let result = run(config, handler, None, listener, std::future::pending()).await;
    assert!(matches!(result, Err(Error::InvalidConfig(_))), "{result:?}");
}
