//! Reads messages from standard input, one per line, and prints how the read-only policy takes
//! each: the refusal category, or `answer`. With `--claims`, checks model answers instead.
//! `--rules` leaves the embedded model out. For probing the classifier by hand:
//! `cargo run --example policy_probe -- --claims --rules < lines.txt`.

use std::io::BufRead;

use homelab_assistant::policy::{claimed_action, claimed_by_rules, classify, classify_by_rules};

fn main() {
    let claims = std::env::args().any(|a| a == "--claims");
    let rules = std::env::args().any(|a| a == "--rules");
    for written in std::io::stdin().lock().lines().map_while(Result::ok) {
        // A multi-line answer is written on one line with `\n` between its lines.
        let line = written.replace("\\n", "\n");
        let verdict = match (claims, rules) {
            (true, true) => claimed_by_rules(&line),
            (true, false) => claimed_action(&line),
            (false, true) => classify_by_rules(&line),
            (false, false) => classify(&line),
        };
        match verdict {
            Some(refusal) => println!("{:<20} {written}", refusal.category.as_str()),
            None => println!("{:<20} {written}", "-"),
        }
    }
}
