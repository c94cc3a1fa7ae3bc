//! The deployment files cannot drift from the code: every name in deploy/.env.example is one the
//! program reads, every name the program reads is in it, and the compose file and systemd unit
//! keep the guarantees the docs promise.

use std::collections::HashSet;

use homelab_assistant::config::{LEGACY_ENV, known_keys};

const ENV_EXAMPLE: &str = include_str!("../deploy/.env.example");
const COMPOSE: &str = include_str!("../docker-compose.yml");
const UNIT: &str = include_str!("../deploy/systemd/homelab-assistant.service");
const DOCKERFILE: &str = include_str!("../deploy/Dockerfile");

/// Names read outside the config layering.
const OTHER_NAMES: &[&str] = &["HOMELAB_CONFIG", "RUST_LOG"];

fn example_names() -> Vec<(usize, String)> {
    ENV_EXAMPLE
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(i, line)| {
            let (name, _) = line
                .split_once('=')
                .unwrap_or_else(|| panic!("line {}: `{line}` is not NAME=value", i + 1));
            (i, name.trim().to_owned())
        })
        .collect()
}

#[test]
fn every_example_name_is_read_by_the_program_and_documented() {
    let keys: HashSet<String> = known_keys().into_iter().collect();
    let lines: Vec<&str> = ENV_EXAMPLE.lines().collect();
    for (index, name) in example_names() {
        let known = OTHER_NAMES.contains(&name.as_str())
            || LEGACY_ENV.iter().any(|(legacy, _)| *legacy == name)
            || name
                .strip_prefix("HOMELAB_")
                .is_some_and(|rest| keys.contains(&rest.to_lowercase().replace("__", ".")));
        assert!(
            known,
            "deploy/.env.example names `{name}`, which the program does not read"
        );
        let comment = index.checked_sub(1).map(|i| lines[i]).unwrap_or_default();
        assert!(
            comment.starts_with("# "),
            "`{name}` in deploy/.env.example needs a one-line comment above it"
        );
    }
}

#[test]
fn every_name_the_program_reads_is_in_the_example() {
    let names: HashSet<String> = example_names().into_iter().map(|(_, n)| n).collect();
    for (legacy, _) in LEGACY_ENV {
        assert!(
            names.contains(*legacy),
            "deploy/.env.example lacks `{legacy}`"
        );
    }
    for name in OTHER_NAMES {
        assert!(names.contains(*name), "deploy/.env.example lacks `{name}`");
    }
    for key in [
        "audit.path",
        "http.bind",
        "matrix.store_path",
        "system.extra_disk_paths",
    ] {
        let env = format!("HOMELAB_{}", key.replace('.', "__").to_uppercase());
        assert!(names.contains(&env), "deploy/.env.example lacks `{env}`");
    }
}

#[test]
fn compose_reaches_docker_only_through_a_get_only_proxy() {
    assert!(COMPOSE.contains("DOCKER_HOST: tcp://docker-proxy:2375"));
    assert!(
        COMPOSE.contains("POST: \"0\""),
        "the proxy must deny every POST"
    );
    let assistant = COMPOSE
        .split("\n  docker-proxy:")
        .next()
        .expect("assistant service first");
    assert!(
        !assistant.contains("docker.sock"),
        "only the proxy may mount the Docker socket"
    );
    assert!(
        COMPOSE.contains("127.0.0.1:8000:8000"),
        "publish HTTP on loopback only"
    );
    assert!(COMPOSE.contains(":ro"), "host disks are mounted read-only");
    assert!(COMPOSE.contains("env_file"));
}

#[test]
fn the_unit_and_image_are_hardened() {
    for setting in [
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "ReadWritePaths=/var/lib/homelab-assistant",
    ] {
        assert!(UNIT.contains(setting), "the systemd unit lacks {setting}");
    }
    // The docker group is root-equivalent; the unit reads Docker through the GET-only proxy.
    assert!(
        !UNIT
            .lines()
            .any(|l| l.starts_with("SupplementaryGroups") && l.contains("docker")),
        "the unit must not join the docker group"
    );
    assert!(UNIT.contains("Environment=DOCKER_HOST=tcp://127.0.0.1:2375"));
    assert!(UNIT.contains("POST=0"));
    assert!(
        DOCKERFILE.contains("USER "),
        "the image must not run as root"
    );
    assert!(DOCKERFILE.contains("HEALTHCHECK"));
    assert!(DOCKERFILE.contains("homelab-assistant\", \"healthcheck"));
}
