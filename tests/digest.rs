//! The daily digest through the binary: `ask "daily digest"` (a one-shot process, so no sampler
//! history) against the real test dockerd gives every section, with "unavailable" where a
//! source has nothing to say, and the crash-looping fixture among the containers.

#![allow(clippy::disallowed_methods)] // The test spawns the binary under test.

mod support {
    pub mod ask_process;
}

use support::ask_process::ask;

#[test]
fn a_one_shot_digest_has_every_section_and_says_what_it_cannot_know() {
    let mut env = vec![("HOMELAB_DIGEST__TIMEZONE", "Europe/Paris".to_owned())];
    match std::env::var("HOMELAB_TEST_DOCKER_HOST") {
        Ok(host) if !host.is_empty() => {
            env.push(("HOMELAB_DOCKER__ENABLED", "true".to_owned()));
            env.push(("DOCKER_HOST", host));
        }
        _ => assert!(
            std::env::var_os("CI").is_none(),
            "HOMELAB_TEST_DOCKER_HOST is not set: CI must run the real-daemon tests"
        ),
    }
    let docker = env.len() > 1;
    for question in [
        "daily digest",
        "send me the daily summary",
        "Tagesbericht bitte",
    ] {
        let asked = ask(question, &env);
        let text = &asked.message;
        assert!(
            text.starts_with("🗞️ **Daily digest**"),
            "{question}: {text}"
        );
        for title in [
            "Health",
            "Disks and pools",
            "Containers",
            "Alerts",
            "Questions",
        ] {
            assert!(text.contains(&format!("**{title}**")), "{title}: {text}");
        }
        assert!(
            text.contains("24-hour trend unavailable: no history yet"),
            "{text}"
        );
        assert!(text.contains("- raised: none"), "{text}");
        assert!(text.contains("- 0 requests"), "{text}");
        if docker {
            assert!(text.contains("`crashloop`"), "{text}");
        }
        assert_eq!(asked.audit.len(), 1, "one request, one audit line");
        assert_eq!(asked.audit[0]["outcome"], "answered");
    }
}
