//! The read-only policy on its training corpora (tests/policy/training/): requests in six more
//! languages, indirect, multi-step, role-play and API framings, obfuscated spellings, tricky
//! questions, and model answers that claim or honestly report. These are the corpora the
//! classifier was tuned on; tests/policy_heldout.rs measures it on lines nobody tuned on.
//!
//! `cargo test --test policy_training -- --nocapture` prints the figures docs/security.md quotes.

use homelab_assistant::policy::{claimed_action, classify};

fn lines(name: &str) -> Vec<String> {
    let path = format!(
        "{}/tests/policy/training/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.replace("\\n", "\n"))
        .collect()
}

fn files(prefix: &str) -> Vec<String> {
    let dir = format!("{}/tests/policy/training", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with(prefix) && name.ends_with(".txt"))
        .collect();
    names.sort();
    names
}

#[test]
fn every_training_request_is_refused() {
    let mut names = files("forbidden_");
    names.push("obfuscated.txt".to_owned());
    let mut missed = Vec::new();
    for name in &names {
        let lines = lines(name);
        let min = if name == "obfuscated.txt" { 100 } else { 35 };
        assert!(lines.len() >= min, "{name} has {} lines", lines.len());
        let refused = lines.iter().filter(|l| classify(l).is_some()).count();
        println!("{name}: {refused} of {} refused", lines.len());
        missed.extend(
            lines
                .iter()
                .filter(|l| classify(l).is_none())
                .map(|l| format!("{name}: {l}")),
        );
    }
    // One known miss is kept as a reminder of what structure cannot see (docs/security.md).
    assert!(missed.len() <= 1, "not refused:\n{}", missed.join("\n"));
}

#[test]
fn training_questions_are_answered() {
    let mut all = 0;
    let mut refused = Vec::new();
    for name in files("allowed_") {
        let lines = lines(&name);
        all += lines.len();
        refused.extend(
            lines
                .iter()
                .filter_map(|l| classify(l).map(|r| format!("{name}: {l} → {}", r.category))),
        );
    }
    println!("allowed_*.txt: {} of {all} refused", refused.len());
    assert!(refused.is_empty(), "refused:\n{}", refused.join("\n"));
}

#[test]
fn training_claims_are_flagged_and_honest_answers_pass() {
    let claims = lines("claims.txt");
    let honest = lines("honest.txt");
    assert!(claims.len() >= 60 && honest.len() >= 30);
    let missed: Vec<&String> = claims
        .iter()
        .filter(|l| claimed_action(l).is_none())
        .collect();
    let flagged: Vec<&String> = honest
        .iter()
        .filter(|l| claimed_action(l).is_some())
        .collect();
    println!(
        "claims.txt: {} of {} flagged; honest.txt: {} of {} passed",
        claims.len() - missed.len(),
        claims.len(),
        honest.len() - flagged.len(),
        honest.len()
    );
    assert!(missed.is_empty(), "not flagged: {missed:#?}");
    assert!(flagged.is_empty(), "flagged: {flagged:#?}");
}
