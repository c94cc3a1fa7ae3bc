#!/usr/bin/env bash
# Runs the whole test suite: installs and starts whatever test peers the tests need (a private
# dockerd with fixture containers, a local Synapse homeserver, upsd with a dummy UPS, Prometheus, headless
# Chromium), then runs every test of the
# workspace. Safe to run repeatedly; needs only the Rust toolchain (and root, for apt) to begin with.
set -euo pipefail
cd "$(dirname "$0")/.."

# Every peer is stopped however this script ends.
trap 'bash scripts/docker-fixtures.sh stop || true; bash scripts/synapse-fixture.sh stop || true; bash scripts/nut-fixture.sh stop || true; bash scripts/prometheus-fixture.sh stop || true' EXIT

# A private, real Docker Engine with fixture containers (installs docker.io and busybox-static).
docker_host_line="$(bash scripts/docker-fixtures.sh)"
export HOMELAB_TEST_DOCKER_HOST="${docker_host_line#DOCKER_HOST=}"

# A real Synapse on 127.0.0.1 for the Matrix adapter (pip installs it into a venv the first time).
eval "$(bash scripts/synapse-fixture.sh start)"
export HOMELAB_TEST_MATRIX_HOMESERVER HOMELAB_TEST_MATRIX_SHARED_SECRET

# A real upsd (Network UPS Tools) with the dummy-ups driver for the UPS tool (installs nut-server).
eval "$(bash scripts/nut-fixture.sh start)"
export HOMELAB_TEST_NUT_ADDRESS HOMELAB_TEST_NUT_DEV

# A real Prometheus scraping a real node_exporter and a static exporter (installs both packages).
eval "$(bash scripts/prometheus-fixture.sh start)"
export HOMELAB_TEST_PROMETHEUS_URL HOMELAB_TEST_PROMETHEUS_LOG

# Headless Chromium for the web page's browser test (Debian's package: no browser download works).
if ! command -v chromium >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
fi

# The program ignores HOMELAB_TEST_* names, so one run covers every suite.
cargo test --workspace --locked
