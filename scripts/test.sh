#!/usr/bin/env bash
# Runs the whole test suite: installs and starts whatever test peers the tests need, then runs
# every test of the workspace. Safe to run repeatedly; needs only the Rust toolchain to begin with.
set -euo pipefail
cd "$(dirname "$0")/.."

# A private, real Docker Engine with fixture containers for tests/docker.rs (needs root the
# first time, to install docker.io and busybox-static). Stopped however this script ends.
trap 'bash scripts/docker-fixtures.sh stop || true' EXIT
docker_host_line="$(bash scripts/docker-fixtures.sh)"
docker_host="${docker_host_line#DOCKER_HOST=}"

# Everything except the real-daemon tests, without the fixture address in the environment:
# the binary reads every HOMELAB_* variable as configuration, and the other suites run it.
cargo test --workspace --locked -- --skip real_daemon::

# The real-daemon tests (every suite's `real_daemon` module; tests/docker.rs runs them through
# its recording proxy for the GET-only proof), with the fixture address.
HOMELAB_TEST_DOCKER_HOST="$docker_host" cargo test --workspace --locked -- real_daemon::
