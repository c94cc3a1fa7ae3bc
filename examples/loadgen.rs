//! A small, reproducible load generator for `serve`'s HTTP `/chat`: N concurrent clients ask for a
//! fixed time, then it prints throughput, latency percentiles and errors, the figures
//! docs/performance.md quotes. Run through `scripts/load-benchmark.sh`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

struct Args {
    url: String,
    concurrency: usize,
    duration: Duration,
    message: String,
    api_key: Option<String>,
    /// GET the URL instead of POSTing a question (the web page's assets).
    get: bool,
}

fn parse_args() -> Args {
    let mut args = Args {
        url: "http://127.0.0.1:8000/chat".to_owned(),
        concurrency: 64,
        duration: Duration::from_secs(10),
        message: "What is the CPU usage?".to_owned(),
        api_key: std::env::var("API_KEY").ok().filter(|k| !k.is_empty()),
        get: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--url" => args.url = value,
            "--concurrency" => args.concurrency = value.parse().expect("--concurrency N"),
            "--seconds" => args.duration = Duration::from_secs(value.parse().expect("--seconds N")),
            "--message" => args.message = value,
            "--get" => args.get = value == "true",
            other => panic!(
                "unknown flag {other}; use --url, --concurrency, --seconds, --message, --get true"
            ),
        }
    }
    args
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args = parse_args();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()
        .expect("client");
    let body = serde_json::to_vec(&serde_json::json!({"message": args.message})).unwrap();
    let latencies = Arc::new(Mutex::new(Vec::<Duration>::with_capacity(200_000)));
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let deadline = Instant::now() + args.duration;
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let (client, url, body) = (client.clone(), args.url.clone(), body.clone());
        let (latencies, errors, key) = (latencies.clone(), errors.clone(), args.api_key.clone());
        let get = args.get;
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while Instant::now() < deadline {
                let sent = Instant::now();
                let mut request = if get {
                    client.get(&url)
                } else {
                    client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body.clone())
                };
                if let Some(key) = &key {
                    request = request.header("x-api-key", key);
                }
                match request.send().await {
                    Ok(response) if response.status().is_success() => {
                        let _ = response.bytes().await;
                        mine.push(sent.elapsed());
                    }
                    _ => {
                        errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            }
            latencies.lock().await.extend(mine);
        }));
    }
    for worker in workers {
        worker.await.expect("worker");
    }
    let elapsed = started.elapsed();
    let mut latencies = latencies.lock().await.clone();
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let ok = latencies.len();
    println!(
        "requests_ok={ok} errors={} seconds={:.2} rps={:.0} p50_ms={:.2} p90_ms={:.2} p99_ms={:.2} max_ms={:.2} concurrency={}",
        errors.load(std::sync::atomic::Ordering::Relaxed),
        elapsed.as_secs_f64(),
        ok as f64 / elapsed.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.90).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        args.concurrency,
    );
}
