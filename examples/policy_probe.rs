//! Reads messages from standard input, one per line, and prints how the read-only policy takes
//! each: the refusal category, or `answer`. With `--claims`, checks model answers instead.
//! For probing the classifier by hand: `cargo run --example policy_probe < lines.txt`.

use std::io::BufRead;

use homelab_assistant::policy::{claimed_action, classify};

fn main() {
    let claims = std::env::args().any(|a| a == "--claims");
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let line = line.replace("\\n", "\n");
        let verdict = if claims {
            claimed_action(&line)
        } else {
            classify(&line)
        };
        match verdict {
            Some(refusal) => println!("{:<20} {line}", refusal.category.as_str()),
            None => println!("{:<20} {line}", "-"),
        }
    }
}
