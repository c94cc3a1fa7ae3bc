#!/usr/bin/env bash
# Starts a real Network UPS Tools server for the UPS tool's tests: Debian's upsd with the
# dummy-ups driver reading a .dev file, so the assistant talks to the same daemon a homelab runs
# and tests change the UPS's state by rewriting that file.
#
#   bash scripts/nut-fixture.sh start   # (default) install nut-server if missing, start the
#                                       # driver and upsd, print HOMELAB_TEST_NUT_ADDRESS=… and
#                                       # HOMELAB_TEST_NUT_DEV=… on stdout
#   bash scripts/nut-fixture.sh stop    # stop both (by their pids)
#
# Everything lives under $HOMELAB_TEST_NUT_DIR (default /tmp/homelab-test-nut); upsd listens on
# 127.0.0.1 on a free port. The UPS is called `ups`. Needs root for apt-get and to run the
# daemons as root (-u root) in a scratch directory.
set -euo pipefail

DIR="${HOMELAB_TEST_NUT_DIR:-/tmp/homelab-test-nut}"
say() { echo "nut-fixture: $*" >&2; }

running() {
    local pidfile="$DIR/$1.pid" pid
    [[ -f "$pidfile" ]] || return 1
    pid="$(cat "$pidfile")"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

stop() {
    local name pid
    for name in upsd driver; do
        if pid="$(running "$name")"; then
            say "stopping $name (pid $pid)"
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        fi
        rm -f "$DIR/$name.pid"
    done
}

print_env() {
    echo "HOMELAB_TEST_NUT_ADDRESS=127.0.0.1:$(cat "$DIR/port")"
    echo "HOMELAB_TEST_NUT_DEV=$DIR/ups.dev"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

answers() {
    python3 - "$1" <<'PY' 2>/dev/null
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
s.sendall(b"GET VAR ups ups.status\n")
reply = s.recv(4096).decode()
sys.exit(0 if reply.startswith("VAR ups ups.status") else 1)
PY
}

start() {
    if [[ ! -x /lib/nut/upsd || ! -x /lib/nut/dummy-ups ]]; then
        say "installing nut-server"
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            nut-server nut-client >&2
    fi
    if running upsd >/dev/null && running driver >/dev/null && answers "$(cat "$DIR/port")"; then
        say "upsd is already running"
        print_env
        return 0
    fi
    stop
    mkdir -p "$DIR/state"
    chmod 0700 "$DIR/state"
    local port
    port="$(free_port)"
    echo "$port" >"$DIR/port"
    cat >"$DIR/ups.conf" <<EOF
[ups]
  driver = dummy-ups
  port = $DIR/ups.dev
  desc = "Fixture UPS"
EOF
    printf 'LISTEN 127.0.0.1 %s\n' "$port" >"$DIR/upsd.conf"
    : >"$DIR/upsd.users"
    printf 'MODE=standalone\n' >"$DIR/nut.conf"
    chmod 0600 "$DIR/upsd.conf" "$DIR/upsd.users"
    cat >"$DIR/ups.dev" <<'EOF'
battery.charge: 100
battery.charge.low: 20
battery.runtime: 2400
device.mfr: Fixture
device.model: Homelab 1500
input.voltage: 230.0
ups.load: 18
ups.status: OL
EOF
    export NUT_CONFPATH="$DIR" NUT_STATEPATH="$DIR/state"
    say "starting the dummy-ups driver and upsd on 127.0.0.1:$port"
    /lib/nut/dummy-ups -a ups -u root -F >"$DIR/driver.log" 2>&1 &
    echo $! >"$DIR/driver.pid"
    for _ in $(seq 1 50); do
        compgen -G "$DIR/state/dummy-ups-ups*" >/dev/null && break
        sleep 0.1
    done
    /lib/nut/upsd -u root -F >"$DIR/upsd.log" 2>&1 &
    echo $! >"$DIR/upsd.pid"
    for _ in $(seq 1 100); do
        if answers "$port"; then
            say "upsd is up"
            print_env
            return 0
        fi
        sleep 0.1
    done
    say "upsd did not answer; its log:"
    cat "$DIR/driver.log" "$DIR/upsd.log" >&2 || true
    stop
    return 1
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
*) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
