#!/usr/bin/env bash
# The HTTP load benchmark of docs/performance.md: builds release, starts `serve` with the offline
# answerer and a real audit file, measures idle RSS, runs the load generator at concurrency 64,
# then checks that the audit log holds exactly one line per request.
set -euo pipefail
cd "$(dirname "$0")/.."

CONCURRENCY="${CONCURRENCY:-64}"
SECONDS_TO_RUN="${SECONDS_TO_RUN:-10}"
work="$(mktemp -d)"
trap 'kill "${server_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release --quiet --bin homelab-assistant --example loadgen
HOMELAB_AUDIT__PATH="$work/audit.jsonl" HOMELAB_HTTP__BIND=127.0.0.1:0 \
  RATE_LIMIT_REQUESTS=100000000 RATE_LIMIT_WINDOW=1 HOMELAB_DOCKER__ENABLED=false \
  LOG_LEVEL=warn,homelab_assistant::serve=info \
  target/release/homelab-assistant serve 2>"$work/serve.log" &
server_pid=$!
for _ in $(seq 100); do
  url="$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" | head -1 || true)"
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$work/serve.log"; echo "serve did not start" >&2; exit 1; }
sleep 2
echo "idle_rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")"

result="$(target/release/examples/loadgen --url "$url/chat" --concurrency "$CONCURRENCY" --seconds "$SECONDS_TO_RUN")"
echo "$result"
echo "loaded_rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")"
kill -TERM "$server_pid"; wait "$server_pid" || true
ok="$(sed -n 's/.*requests_ok=\([0-9]*\).*/\1/p' <<<"$result")"
errors="$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$result")"
lines="$(wc -l <"$work/audit.jsonl")"
echo "audit_lines=$lines requests=$((ok + errors))"
[ "$lines" -eq "$((ok + errors))" ] || { echo "audit lines != requests" >&2; exit 1; }
