#!/usr/bin/env bash
# The HTTP load benchmark of docs/performance.md: builds release, starts the Docker fixtures
# (a real dockerd, needs root) and `serve` with the offline answerer and a real audit file,
# measures idle RSS, runs the load generator at concurrency 64 asking QUESTION, measures RSS
# under load and 10 s after it, then checks that the audit log holds exactly one line per
# request. DOCKER=off measures the assistant alone ("What is the CPU usage?" by default then).
set -euo pipefail
cd "$(dirname "$0")/.."

CONCURRENCY="${CONCURRENCY:-64}"
SECONDS_TO_RUN="${SECONDS_TO_RUN:-10}"
DOCKER="${DOCKER:-on}"
work="$(mktemp -d)"
trap 'kill "${server_pid:-0}" 2>/dev/null || true; [ "$DOCKER" = off ] || bash scripts/docker-fixtures.sh stop >/dev/null || true; rm -rf "$work"' EXIT

cargo build --release --quiet --bin homelab-assistant --example loadgen
if [ "$DOCKER" = off ]; then
  QUESTION="${QUESTION:-What is the CPU usage?}"
  docker_env=(HOMELAB_DOCKER__ENABLED=false)
else
  QUESTION="${QUESTION:-What containers are running?}"
  docker_line="$(bash scripts/docker-fixtures.sh)"
  docker_env=(HOMELAB_DOCKER__ENABLED=true "DOCKER_HOST=${docker_line#DOCKER_HOST=}")
  echo "containers: $(DOCKER_HOST="${docker_line#DOCKER_HOST=}" docker ps -q | wc -l) running"
fi
env "${docker_env[@]}" HOMELAB_AUDIT__PATH="$work/audit.jsonl" HOMELAB_HTTP__BIND=127.0.0.1:0 \
  RATE_LIMIT_REQUESTS=100000000 RATE_LIMIT_WINDOW=1 \
  LOG_LEVEL=warn,homelab_assistant::serve=info \
  "${CARGO_TARGET_DIR:-target}/release/homelab-assistant" serve 2>"$work/serve.log" &
server_pid=$!
for _ in $(seq 100); do
  url="$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" | head -1 || true)"
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$work/serve.log"; echo "serve did not start" >&2; exit 1; }
sleep 2
idle="$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")"
echo "idle_rss_kib=$idle"
echo "question: $QUESTION"
result="$("${CARGO_TARGET_DIR:-target}/release/examples/loadgen" --url "$url/chat" --concurrency "$CONCURRENCY" \
  --seconds "$SECONDS_TO_RUN" --message "$QUESTION")"
echo "$result"
echo "loaded_rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")"
sleep 10
after="$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")"
echo "rss_10s_after_load_kib=$after ($(awk -v a="$after" -v i="$idle" 'BEGIN {printf "%.2f", a / i}')x idle)"
kill -TERM "$server_pid"; wait "$server_pid" || true
ok="$(sed -n 's/.*requests_ok=\([0-9]*\).*/\1/p' <<<"$result")"
errors="$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$result")"
lines="$(wc -l <"$work/audit.jsonl")"
echo "audit_lines=$lines requests=$((ok + errors))"
[ "$lines" -eq "$((ok + errors))" ] || { echo "audit lines != requests" >&2; exit 1; }
