#!/usr/bin/env bash
# Starts a private, real Synapse homeserver for the Matrix adapter's tests, because a Matrix bot is
# only worth trusting once it has logged in, synced, joined and (de)crypted against a real server.
#
#   bash scripts/synapse-fixture.sh start   # (default) install if missing, start if not running,
#                                           # print HOMELAB_TEST_MATRIX_HOMESERVER=… and
#                                           # HOMELAB_TEST_MATRIX_SHARED_SECRET=… on stdout
#   bash scripts/synapse-fixture.sh stop    # stop that Synapse (by its pidfile)
#
# Everything lives under $HOMELAB_TEST_SYNAPSE_DIR (default /tmp/homelab-test-synapse) and the venv
# under $HOMELAB_TEST_SYNAPSE_VENV (default /tmp/homelab-synapse-venv), reused between runs.
# Synapse binds 127.0.0.1 only, on a free port, with sqlite and rate limits high enough that
# tests never wait on them. Progress goes to stderr so stdout carries only the two env lines, e.g.
#   eval "$(bash scripts/synapse-fixture.sh start)"; export HOMELAB_TEST_MATRIX_HOMESERVER …
set -euo pipefail

DIR="${HOMELAB_TEST_SYNAPSE_DIR:-/tmp/homelab-test-synapse}"
VENV="${HOMELAB_TEST_SYNAPSE_VENV:-/tmp/homelab-synapse-venv}"
PIDFILE="$DIR/synapse.pid"
CONFIG="$DIR/homeserver.yaml"
PORTFILE="$DIR/port"
SECRETFILE="$DIR/shared_secret"
LOG="$DIR/synapse.log"

say() { echo "synapse-fixture: $*" >&2; }

synapse_pid() {
    [[ -f "$PIDFILE" ]] || return 1
    local pid
    pid="$(cat "$PIDFILE")"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

answers() {
    "$VENV/bin/python" - "$1" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_matrix/client/versions", timeout=2).read()
PY
}

print_env() {
    echo "HOMELAB_TEST_MATRIX_HOMESERVER=http://127.0.0.1:$(cat "$PORTFILE")"
    echo "HOMELAB_TEST_MATRIX_SHARED_SECRET=$(cat "$SECRETFILE")"
}

stop() {
    local pid
    if ! pid="$(synapse_pid)"; then
        say "synapse is not running"
        rm -f "$PIDFILE"
        return 0
    fi
    say "stopping synapse (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 100); do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$PIDFILE"
            say "stopped"
            return 0
        fi
        sleep 0.2
    done
    say "synapse did not stop in 20 s; killing it"
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$PIDFILE"
}

# A machine with only the Rust toolchain may lack Python or its venv module (Debian splits it out).
ensure_python() {
    if command -v python3 >/dev/null && python3 -c 'import venv, ensurepip' 2>/dev/null; then
        return 0
    fi
    if [[ $(id -u) -ne 0 ]]; then
        say "need python3 with the venv module (apt-get install python3-venv as root)"
        exit 1
    fi
    say "installing python3 and python3-venv"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >&2
}

install() {
    if [[ ! -x "$VENV/bin/python" ]]; then
        ensure_python
        say "creating venv $VENV"
        python3 -m venv "$VENV" >&2
    fi
    if ! "$VENV/bin/python" -c 'import synapse.app.homeserver' 2>/dev/null; then
        say "installing matrix-synapse into $VENV (takes ~20 s)"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check matrix-synapse >&2
    fi
}

free_port() {
    "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

write_config() {
    mkdir -p "$DIR/media_store"
    # The secrets persist with the database, so users registered earlier keep working.
    if [[ ! -s "$SECRETFILE" ]]; then
        "$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(24))' >"$SECRETFILE"
    fi
    if [[ ! -s "$DIR/macaroon_secret" ]]; then
        "$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(24))' >"$DIR/macaroon_secret"
    fi
    local port
    port="$(free_port)"
    echo "$port" >"$PORTFILE"
    cat >"$CONFIG" <<EOF
server_name: "localhost"
public_baseurl: "http://127.0.0.1:$port/"
pid_file: "$DIR/synapse.internal.pid"
listeners:
  - port: $port
    tls: false
    type: http
    x_forwarded: false
    bind_addresses: ["127.0.0.1"]
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "$DIR/homeserver.db"
log_config: "$DIR/log.yaml"
media_store_path: "$DIR/media_store"
signing_key_path: "$DIR/localhost.signing.key"
registration_shared_secret: "$(cat "$SECRETFILE")"
macaroon_secret_key: "$(cat "$DIR/macaroon_secret")"
form_secret: "$(cat "$DIR/macaroon_secret")"
report_stats: false
enable_registration: false
trusted_key_servers: []
suppress_key_server_warning: true
federation_domain_whitelist: []
presence:
  enabled: false
url_preview_enabled: false
rc_message: {per_second: 10000, burst_count: 10000}
rc_registration: {per_second: 10000, burst_count: 10000}
rc_login:
  address: {per_second: 10000, burst_count: 10000}
  account: {per_second: 10000, burst_count: 10000}
  failed_attempts: {per_second: 10000, burst_count: 10000}
rc_joins:
  local: {per_second: 10000, burst_count: 10000}
  remote: {per_second: 10000, burst_count: 10000}
rc_joins_per_room: {per_second: 10000, burst_count: 10000}
rc_invites:
  per_room: {per_second: 10000, burst_count: 10000}
  per_user: {per_second: 10000, burst_count: 10000}
  per_issuer: {per_second: 10000, burst_count: 10000}
rc_key_requests: {per_second: 10000, burst_count: 10000}
rc_3pid_validation: {per_second: 10000, burst_count: 10000}
rc_room_creation: {per_second: 10000, burst_count: 10000}
rc_admin_redaction: {per_second: 10000, burst_count: 10000}
rc_federation:
  window_size: 1000
  sleep_limit: 10000
  sleep_delay: 0
  reject_limit: 10000
  concurrent: 10000
EOF
    cat >"$DIR/log.yaml" <<EOF
version: 1
formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s'
handlers:
  file:
    class: logging.FileHandler
    formatter: precise
    filename: "$LOG"
root:
  level: WARNING
  handlers: [file]
disable_existing_loggers: false
EOF
}

start() {
    local pid
    if pid="$(synapse_pid)" && [[ -s "$PORTFILE" ]] && answers "$(cat "$PORTFILE")"; then
        say "synapse already running (pid $pid)"
        print_env
        return 0
    fi
    [[ -n "${pid:-}" ]] && stop
    install
    write_config
    if [[ ! -s "$DIR/localhost.signing.key" ]]; then
        "$VENV/bin/python" -m synapse.app.homeserver -c "$CONFIG" --generate-keys >&2
    fi
    say "starting synapse on 127.0.0.1:$(cat "$PORTFILE")"
    # setsid: the server must outlive this script and the shell that ran it.
    setsid "$VENV/bin/python" -m synapse.app.homeserver -c "$CONFIG" \
        >>"$DIR/synapse.stdout" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 150); do
        if answers "$(cat "$PORTFILE")"; then
            say "ready"
            print_env
            return 0
        fi
        if ! synapse_pid >/dev/null; then
            say "synapse exited; see $DIR/synapse.stdout and $LOG"
            tail -n 30 "$DIR/synapse.stdout" >&2 || true
            exit 1
        fi
        sleep 0.2
    done
    say "synapse did not answer within 30 s; see $LOG"
    exit 1
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    *)
        say "usage: $0 [start|stop]"
        exit 2
        ;;
esac
