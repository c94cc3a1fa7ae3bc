#!/usr/bin/env bash
# Starts a real Prometheus for the fleet tools' tests, scraping a real node_exporter and a static
# exporter (a file served over HTTP) that presents two more hosts: `nas` nearly full (machine name
# `tower`) and a `pi`
# target that is down, plus HOMELAB_TEST_PROMETHEUS_SYNTHETIC synthetic hosts (default 0) for the
# scale measurement. A recording proxy in front of Prometheus logs every request it receives.
#
#   bash scripts/prometheus-fixture.sh start   # (default) install if missing, start, wait for the
#                                              # first scrapes, print HOMELAB_TEST_PROMETHEUS_URL=…
#                                              # and HOMELAB_TEST_PROMETHEUS_LOG=… on stdout
#   bash scripts/prometheus-fixture.sh stop    # stop everything (by pid)
#
# Everything binds 127.0.0.1 on free ports, under $HOMELAB_TEST_PROMETHEUS_DIR
# (default /tmp/homelab-test-prometheus). Needs root for apt-get the first time.
set -euo pipefail

DIR="${HOMELAB_TEST_PROMETHEUS_DIR:-/tmp/homelab-test-prometheus}"
SYNTHETIC="${HOMELAB_TEST_PROMETHEUS_SYNTHETIC:-0}"
say() { echo "prometheus-fixture: $*" >&2; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

stop() {
    local name pid
    for name in proxy prometheus static node_exporter; do
        if [[ -f "$DIR/$name.pid" ]]; then
            pid="$(cat "$DIR/$name.pid")"
            if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
                say "stopping $name (pid $pid)"
                kill "$pid" 2>/dev/null || true
                for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
                kill -9 "$pid" 2>/dev/null || true
            fi
            rm -f "$DIR/$name.pid"
        fi
    done
}

# The static exporter's file: two hosts with node_exporter's metric names, and synthetic ones.
write_metrics() {
    python3 - "$1" "$SYNTHETIC" <<'PY'
import sys
path, synthetic = sys.argv[1], int(sys.argv[2])
lines = []
def host(instance, cpu_idle_share, mem_avail_share, fs_avail_share, load1, uptime_s):
    total_cpu = 1000.0
    for mode, value in (("idle", total_cpu * cpu_idle_share), ("user", total_cpu * (1 - cpu_idle_share))):
        lines.append(f'node_cpu_seconds_total{{instance="{instance}",job="node",cpu="0",mode="{mode}"}} {value}')
    lines.append(f'node_memory_MemTotal_bytes{{instance="{instance}",job="node"}} 8589934592')
    lines.append(f'node_memory_MemAvailable_bytes{{instance="{instance}",job="node"}} {int(8589934592 * mem_avail_share)}')
    lines.append(f'node_filesystem_size_bytes{{instance="{instance}",job="node",mountpoint="/",fstype="ext4",device="/dev/sda1"}} 1000000000000')
    lines.append(f'node_filesystem_avail_bytes{{instance="{instance}",job="node",mountpoint="/",fstype="ext4",device="/dev/sda1"}} {int(1000000000000 * fs_avail_share)}')
    lines.append(f'node_load1{{instance="{instance}",job="node"}} {load1}')
    lines.append(f'node_boot_time_seconds{{instance="{instance}",job="node"}} 1700000000')
    lines.append(f'node_time_seconds{{instance="{instance}",job="node"}} {1700000000 + uptime_s}')
host("nas:9100", 0.8, 0.5, 0.03, 0.7, 86400 * 12)
# The machine's own name, as node_exporter reports it: questions may call the nas "tower".
lines.append('node_uname_info{instance="nas:9100",job="node",nodename="tower",sysname="Linux",release="6.6.44"} 1')
for n in range(synthetic):
    host(f"synthetic-{n:03d}:9100", 0.9, 0.6, 0.5, 0.2, 3600)
open(path, "w").write("\n".join(lines) + "\n")
PY
}

start() {
    if ! command -v prometheus >/dev/null || ! command -v prometheus-node-exporter >/dev/null; then
        say "installing prometheus and prometheus-node-exporter"
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            prometheus prometheus-node-exporter >&2
        # Debian starts the packaged services; the fixture runs its own.
        systemctl stop prometheus prometheus-node-exporter >/dev/null 2>&1 || true
    fi
    stop
    rm -rf "$DIR"
    mkdir -p "$DIR/static" "$DIR/data"
    local node_port static_port prom_port proxy_port down_port
    node_port="$(free_port)"; static_port="$(free_port)"; prom_port="$(free_port)"
    proxy_port="$(free_port)"; down_port="$(free_port)"
    write_metrics "$DIR/static/metrics"

    prometheus-node-exporter --web.listen-address="127.0.0.1:$node_port" \
        >"$DIR/node_exporter.log" 2>&1 &
    echo $! >"$DIR/node_exporter.pid"
    python3 -m http.server "$static_port" --bind 127.0.0.1 --directory "$DIR/static" \
        >"$DIR/static.log" 2>&1 &
    echo $! >"$DIR/static.pid"

    cat >"$DIR/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ["127.0.0.1:$node_port"]
        labels: {instance: "homelab:9100"}
  - job_name: static
    honor_labels: true
    static_configs:
      - targets: ["127.0.0.1:$static_port"]
  - job_name: pi
    static_configs:
      - targets: ["127.0.0.1:$down_port"]
        labels: {instance: "pi:9100", job: "node"}
EOF
    prometheus --config.file="$DIR/prometheus.yml" --storage.tsdb.path="$DIR/data" \
        --web.listen-address="127.0.0.1:$prom_port" >"$DIR/prometheus.log" 2>&1 &
    echo $! >"$DIR/prometheus.pid"

    # A recording proxy: every request line it forwards goes to requests.log.
    python3 - "$proxy_port" "$prom_port" "$DIR/requests.log" >"$DIR/proxy.log" 2>&1 <<'PY' &
import http.server, sys, urllib.request
listen, upstream, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
class Proxy(http.server.BaseHTTPRequestHandler):
    def forward(self):
        with open(log, "a") as f:
            f.write(f"{self.command} {self.path}\n")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        request = urllib.request.Request(f"http://127.0.0.1:{upstream}{self.path}", data=body, method=self.command)
        for name in ("Content-Type", "Authorization"):
            if self.headers.get(name):
                request.add_header(name, self.headers[name])
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, payload, kind = response.status, response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            status, payload, kind = error.code, error.read(), error.headers.get("Content-Type", "")
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
    do_GET = do_POST = do_PUT = do_DELETE = forward
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", listen), Proxy).serve_forever()
PY
    echo $! >"$DIR/proxy.pid"

    # Ready once every target has been scraped at least once.
    for _ in $(seq 1 150); do
        if python3 - "$prom_port" <<'PY' 2>/dev/null; then
import json, sys, urllib.request
data = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v1/query?query=up", timeout=2))
instances = {r["metric"].get("instance") for r in data["data"]["result"]}
sys.exit(0 if {"homelab:9100", "pi:9100"} <= instances and len(instances) >= 3 else 1)
PY
            say "prometheus is up on 127.0.0.1:$prom_port (proxy $proxy_port)"
            echo "HOMELAB_TEST_PROMETHEUS_URL=http://127.0.0.1:$proxy_port"
            echo "HOMELAB_TEST_PROMETHEUS_LOG=$DIR/requests.log"
            return 0
        fi
        sleep 0.2
    done
    say "prometheus did not become ready; its log:"
    tail -20 "$DIR/prometheus.log" >&2 || true
    stop
    return 1
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
*) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
