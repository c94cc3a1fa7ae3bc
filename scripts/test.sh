#!/usr/bin/env bash
# Runs the whole test suite: installs and starts whatever test peers the tests need, then runs
# every test of the workspace. Safe to run repeatedly; needs only the Rust toolchain to begin with.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --workspace --locked
