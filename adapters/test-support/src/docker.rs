//! The Docker Engine fixture of scripts/docker-fixtures.sh, as the tests that read a real daemon
//! find it: its socket from `HOMELAB_TEST_DOCKER_HOST`, and what it keeps running.

use std::path::PathBuf;

/// Containers the fixture keeps running.
pub const RUNNING: &[&str] = &["plex", "sonarr", "chatty"];
/// Containers the fixture keeps stopped.
pub const STOPPED: &[&str] = &["backup", "importer"];

/// The fixture daemon's socket, or `None` (after saying why) when the tests cannot run here.
/// Under CI a missing fixture fails the test instead: CI must run the real-daemon tests.
#[allow(clippy::print_stderr)] // A skipped test says why where test output goes.
pub fn fixture_socket() -> Option<PathBuf> {
    match std::env::var("HOMELAB_TEST_DOCKER_HOST") {
        Ok(host) => {
            let path = host
                .strip_prefix("unix://")
                .unwrap_or_else(|| panic!("HOMELAB_TEST_DOCKER_HOST must be unix://…, is {host}"));
            Some(PathBuf::from(path))
        }
        Err(_) if std::env::var_os("CI").is_some() => panic!(
            "HOMELAB_TEST_DOCKER_HOST is not set: CI must run the real-daemon tests \
             (scripts/test.sh starts dockerd and sets it)"
        ),
        Err(_) => {
            eprintln!(
                "skipped: no test Docker daemon; run scripts/test.sh (it starts one and sets \
                 HOMELAB_TEST_DOCKER_HOST)"
            );
            None
        }
    }
}
