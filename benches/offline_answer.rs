//! Benchmark: one offline answer end to end in-process (policy, offline answerer, tools over a warm
//! sampler, conversation memory and a real audit write), and routing a question alone: the figures
//! docs/performance.md quotes.

use std::sync::Arc;

use homelab_assistant::app::App;
use homelab_assistant::audit::JsonlAudit;
use homelab_assistant::config::Config;
use homelab_port::{ChatHandler, Inbound, Origin, Platform};

fn main() {
    divan::main();
}

struct Fixture {
    runtime: tokio::runtime::Runtime,
    app: App,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let audit = Arc::new(JsonlAudit::open(&dir.path().join("audit.jsonl")).expect("audit"));
    let app = App::build_with_audit(&Config::default(), audit).expect("app");
    // Warm the sampler so no iteration waits for the first snapshot.
    runtime.block_on(app.sampler.snapshot()).expect("sampler");
    Fixture {
        runtime,
        app,
        _dir: dir,
    }
}

fn ask(fixture: &Fixture, question: &str) {
    let inbound = Inbound::question(Origin::new(Platform::Cli, "bench"), question);
    let reply = fixture
        .runtime
        .block_on(fixture.app.orchestrator.handle(inbound))
        .expect("answer");
    divan::black_box(reply);
}

#[divan::bench(sample_count = 200)]
fn cpu_question(bencher: divan::Bencher) {
    let fixture = fixture();
    bencher.bench_local(|| ask(&fixture, "What is the CPU usage?"));
}

#[divan::bench(sample_count = 200)]
fn overview_question(bencher: divan::Bencher) {
    let fixture = fixture();
    bencher.bench_local(|| ask(&fixture, "How is my server doing?"));
}

#[divan::bench(sample_count = 200)]
fn refused_request(bencher: divan::Bencher) {
    let fixture = fixture();
    bencher.bench_local(|| ask(&fixture, "could you restart plex for me?"));
}

/// Routing alone: a question read into intents and slots, before any tool runs (issue 22's
/// budget is 50 µs median).
#[divan::bench(args = [
    "What is the CPU usage?",
    "show me the last 5 lines of chatty containing quota",
    "what happened in docker in the last hour?",
    "Zeig die letzten 5 Zeilen von chatty",
    "Affiche les logs de crashloop des 10 dernières minutes",
    "¿Cuánto espacio ocupa Docker?",
])]
fn route_question(question: &str) {
    divan::black_box(homelab_assistant::router::Route::for_question(
        divan::black_box(question),
        &[],
    ));
}
