//! The fleet tools against a real Prometheus (scripts/prometheus-fixture.sh, started by
//! scripts/test.sh): it scrapes a real node_exporter and a static exporter presenting a nearly
//! full `nas` and a `pi` target that is down. A recording proxy in front of Prometheus logs every
//! request, so the test can show that only GETs of the read-only API reached it.
#![allow(clippy::disallowed_methods)] // Tests spawn the binary under test.
#![allow(clippy::print_stderr)] // The skip note must reach the developer.

mod support {
    pub mod ask_process;
}

use serde_json::{Value, json};

/// The fixture's URL and request log, or `None` (after saying why).
fn fixture() -> Option<(String, String)> {
    match (
        std::env::var("HOMELAB_TEST_PROMETHEUS_URL"),
        std::env::var("HOMELAB_TEST_PROMETHEUS_LOG"),
    ) {
        (Ok(url), Ok(log)) => Some((url, log)),
        _ if std::env::var_os("CI").is_some() => panic!(
            "HOMELAB_TEST_PROMETHEUS_URL is not set: CI must run the Prometheus tests \
             (scripts/test.sh starts scripts/prometheus-fixture.sh)"
        ),
        _ => {
            eprintln!("skipped: no test Prometheus; run scripts/test.sh");
            None
        }
    }
}

fn ask(url: &str, question: &str) -> (String, Value, usize) {
    let asked = support::ask_process::ask(
        question,
        &[
            ("PROMETHEUS_URL", url.to_owned()),
            (
                "HOMELAB_PROMETHEUS__HOST_NAMES",
                "{pi=\"pi:9100\"}".to_owned(),
            ),
        ],
    );
    (asked.message, asked.reply, asked.audit.len())
}

#[test]
fn the_fleet_through_a_real_prometheus() {
    let Some((url, log)) = fixture() else {
        return;
    };
    let (message, reply, audit) = ask(&url, "is any host down?");
    assert!(
        message.contains("hosts down: **pi (pi:9100)**"),
        "{message}"
    );
    assert_eq!(reply["tool_calls_made"], json!(["hosts"]));
    assert_eq!(audit, 1);

    let (message, _, audit) = ask(&url, "which host is fullest?");
    assert!(
        message.contains("Fullest: **nas:9100** at **97.0 %**"),
        "{message}"
    );
    assert!(
        message.contains("**homelab:9100**: CPU"),
        "the real node_exporter: {message}"
    );
    assert_eq!(audit, 1);

    let (message, reply, _) = ask(&url, "how is pi:9100 doing?");
    assert_eq!(
        reply["tool_calls_made"],
        json!(["host_metrics"]),
        "{message}"
    );
    assert!(message.contains("DOWN"), "{message}");

    // Hosts by name: the friendly name of prometheus.host_names, an instance's host part, and
    // the machine's own name from node_uname_info, with nothing that looks like an instance.
    for (question, instance) in [
        ("how is the pi doing?", "pi:9100"),
        ("how is nas doing?", "nas:9100"),
        ("is tower ok?", "nas:9100"),
        ("how much memory does the nas use?", "nas:9100"),
    ] {
        let (message, reply, audit) = ask(&url, question);
        assert_eq!(
            reply["tool_calls_made"],
            json!(["host_metrics"]),
            "{question}: {message}"
        );
        assert!(message.contains(instance), "{question}: {message}");
        assert_eq!(audit, 1);
    }
    // A word that names no host is still this machine's question.
    let (_, reply, _) = ask(&url, "how is the server doing?");
    assert_eq!(reply["tool_calls_made"][0], "system_overview");

    // The alert rules, so the watcher notifies.
    let (message, _, _) = ask(&url, "any problems?");
    assert!(message.contains("host `pi (pi:9100)` is down"), "{message}");
    assert!(
        message.contains("`nas:9100`"),
        "the nearly full disk: {message}"
    );

    let requests = std::fs::read_to_string(log).unwrap();
    assert!(!requests.is_empty());
    for line in requests.lines() {
        let read_only = [
            "/api/v1/query?",
            "/api/v1/query_range?",
            "/api/v1/targets",
            "/api/v1/alerts",
            "/api/v1/labels",
            "/api/v1/series",
        ]
        .iter()
        .any(|path| line.starts_with(&format!("GET {path}")));
        // The fixture's own readiness check asks `up` directly, not through the proxy.
        assert!(read_only, "`{line}` reached Prometheus");
    }
}

#[test]
fn prometheus_down_is_a_clear_answer() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (message, _, audit) = ask(&format!("http://127.0.0.1:{port}"), "is any host down?");
    assert!(message.contains("cannot reach Prometheus"), "{message}");
    assert_eq!(audit, 1);
}

/// The LLM's `promql` tool against the real Prometheus, through the registry that checks its
/// arguments: an instant query, a range summarised per series, and the guard-rails.
#[tokio::test]
async fn promql_is_bounded() {
    use homelab_assistant::tools::ToolRegistry;
    use homelab_assistant::tools::prometheus::{PrometheusClient, PrometheusConfig, Promql};
    let Some((url, log)) = fixture() else {
        return;
    };
    homelab_assistant::app::install_crypto_provider();
    let client = PrometheusClient::new(&PrometheusConfig {
        url: Some(url),
        ..PrometheusConfig::default()
    })
    .unwrap()
    .unwrap();
    let mut registry = ToolRegistry::new(std::time::Duration::from_secs(20));
    registry.register(std::sync::Arc::new(Promql(std::sync::Arc::new(client))));

    let instant = registry.call("promql", json!({"query": "up"})).await;
    let output = instant.result.unwrap();
    assert!(
        output.text.contains("instance=\"pi:9100\"") && output.text.contains("= 0"),
        "{}",
        output.text
    );

    let range = registry
        .call(
            "promql",
            json!({"query": "node_load1", "range_minutes": 5, "step_seconds": 1}),
        )
        .await;
    let output = range.result.unwrap();
    assert!(
        output.text.contains("Over the last 5 min, step 1 s"),
        "{}",
        output.text
    );
    assert!(
        output.text.contains("min ") && output.text.contains("last "),
        "{}",
        output.text
    );

    for bad in [
        json!({"query": ""}),
        json!({"query": "up", "range_minutes": 0}),
        json!({"query": "up", "range_minutes": 100000}),
        json!({"query": "x".repeat(1001)}),
        json!({"query": "up", "delete": true}),
    ] {
        let refused = registry.call("promql", bad.clone()).await;
        assert!(refused.result.is_err(), "{bad}");
    }
    let broken = registry.call("promql", json!({"query": "sum(("})).await;
    let error = broken.result.unwrap_err().to_string();
    assert!(error.contains("Prometheus refused the query"), "{error}");

    // A week at 1 s steps is raised to at most 500 points.
    let wide = registry
        .call(
            "promql",
            json!({"query": "up", "range_minutes": 10080, "step_seconds": 1}),
        )
        .await;
    assert!(wide.result.unwrap().text.contains("step 1210 s"));

    let requests = std::fs::read_to_string(log).unwrap();
    assert!(
        requests.lines().all(|l| l.starts_with("GET /api/v1/")),
        "{requests}"
    );
}
