//! Benchmark: the secret redactor over 10,000 realistic container log lines (web access logs,
//! media-server chatter, JSON records, a few lines with credentials and a private key), the way
//! `container_logs` runs it on every line it shows. Target: ≤ 20 ms for all 10,000.
//! Run with `cargo bench --bench redact`.

use divan::Bencher;
use divan::counter::ItemsCount;
use homelab_assistant::tools::docker::client::LogChunk;
use homelab_assistant::tools::docker::log_lines;
use homelab_assistant::tools::redact::redact_line;

fn main() {
    divan::main();
}

const LINES: usize = 10_000;

/// Lines in the proportions a busy homelab log has them: mostly noise, one in fifty a secret.
fn log(lines: usize) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(7);
    let key_body = "MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun";
    (0..lines)
        .map(|i| match i % 50 {
            0 => format!("db connect password=hunt{i}er2 host=db"),
            1 => format!("GET /library/sections?X-Plex-Token=aB{i}cD3fGh HTTP/1.1 200"),
            2 => "-----BEGIN RSA PRIVATE KEY-----".to_owned(),
            3..=6 => key_body.to_owned(),
            7 => "-----END RSA PRIVATE KEY-----".to_owned(),
            8..=20 => format!(
                "192.168.1.{} - - [03/Dec/2026:08:{:02}:11 +0000] \"GET /api/v1/items/{} HTTP/1.1\" 200 {} \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"",
                rng.u8(2..250),
                i % 60,
                rng.u32(1..99_999),
                rng.u32(100..90_000)
            ),
            21..=30 => format!(
                "{{\"level\":\"info\",\"ts\":\"2026-12-03T08:{:02}:11Z\",\"msg\":\"scan finished\",\"library\":\"Movies\",\"items\":{}}}",
                i % 60,
                rng.u32(1..5000)
            ),
            31..=40 => format!(
                "[Info] RssSyncService: RSS Sync Completed. Reports found: {}, Reports grabbed: {}",
                rng.u32(0..300),
                rng.u32(0..4)
            ),
            41..=45 => format!(
                "time=\"2026-12-03T08:00:{:02}Z\" level=debug msg=\"container {:012x} health check passed\"",
                i % 60,
                rng.u64(..)
            ),
            _ => format!(
                "Dec  3 08:00:{:02} nas kernel: [{}.{:06}] eth0: link up, 1000Mbps, full-duplex",
                i % 60,
                rng.u32(1000..99_999),
                rng.u32(..1_000_000)
            ),
        })
        .collect()
}

/// Each line on its own, as `redact_line`.
#[divan::bench]
fn ten_thousand_lines(bencher: Bencher) {
    let lines = log(LINES);
    bencher.counter(ItemsCount::new(LINES)).bench_local(|| {
        for line in &lines {
            divan::black_box(redact_line(divan::black_box(line)));
        }
    });
}

/// The whole read as `container_logs` does it: frames split into lines, private keys followed
/// across lines, every line redacted.
#[divan::bench]
fn ten_thousand_lines_as_container_logs(bencher: Bencher) {
    let text = log(LINES).join("\n") + "\n";
    let chunks = [LogChunk {
        stream: "stdout",
        bytes: text.into_bytes(),
    }];
    bencher
        .counter(ItemsCount::new(LINES))
        .bench_local(|| divan::black_box(log_lines(divan::black_box(&chunks))));
}
