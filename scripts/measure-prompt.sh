#!/usr/bin/env bash
# Measures what questions cost in LLM input (docs/llm.md, "Token use"): starts the Docker
# fixtures (FIXTURE_EXTRA=23 extra containers: 30 in all; FIXTURE_EXTRA=0: 7), answers each
# question of the offline help through a recording OpenAI-compatible stand-in (it answers as soon
# as it has a tool result, else asks for `list_containers` once), and prints, per question, the
# model calls and the bytes and tokens (o200k_base as gpt-4o-mini, cl100k_base close to Llama 3's
# vocabulary) the assistant sent. BIN=path measures another build (an older commit's, for a
# before/after). Needs root for the fixtures and npm for the tokenizer (gpt-tokenizer bundles its
# vocabularies, so nothing is fetched at run time).
set -euo pipefail
cd "$(dirname "$0")/.."

default_bin="${CARGO_TARGET_DIR:-target}/release/homelab-assistant"
BIN="${BIN:-$default_bin}"
work="$(mktemp -d)"
trap 'kill "${llm_pid:-0}" 2>/dev/null || true; bash scripts/docker-fixtures.sh stop || true; rm -rf "$work"' EXIT

docker_line="$(FIXTURE_EXTRA="${FIXTURE_EXTRA:-23}" bash scripts/docker-fixtures.sh)"
export DOCKER_HOST="${docker_line#DOCKER_HOST=}"
(cd "$work" && npm install --silent --no-audit --no-fund gpt-tokenizer@2 >/dev/null)
[ "$BIN" != "$default_bin" ] || cargo build --release --quiet --bin homelab-assistant

cat >"$work/llm.py" <<'PY'
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

record = sys.argv[1]

class Recorder(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(record, "ab") as f:
            f.write(body + b"\n")
        request = json.loads(body)
        if any(m["role"] == "tool" for m in request["messages"]):
            message = {"role": "assistant", "content": "Thirty containers are running."}
            finish = "stop"
        else:
            message = {"role": "assistant", "content": None, "tool_calls": [{
                "id": "call_1", "type": "function",
                "function": {"name": "list_containers", "arguments": "{}"}}]}
            finish = "tool_calls"
        reply = json.dumps({"id": "m", "object": "chat.completion", "created": 0,
                            "model": request["model"],
                            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass

server = HTTPServer(("127.0.0.1", 0), Recorder)
print(server.server_address[1], flush=True)
server.serve_forever()
PY
python3 "$work/llm.py" "$work/requests.jsonl" >"$work/port" &
llm_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done

cat >"$work/count.js" <<'JS'
const fs = require("fs");
const o200k = require("gpt-tokenizer/cjs/encoding/o200k_base");
const cl100k = require("gpt-tokenizer/cjs/encoding/cl100k_base");
const lines = fs.readFileSync(process.argv[2], "utf8").trim().split("\n").filter((l) => l);
let bytes = 0, o200 = 0, cl100 = 0;
lines.forEach((line, i) => {
  const request = JSON.parse(line);
  // Token counts of the text the model reads: every message's content and the tool schemas.
  const text = request.messages.map((m) => (m.content || "") + JSON.stringify(m.tool_calls || "")).join("\n")
    + JSON.stringify(request.tools || []);
  const tools = JSON.stringify(request.tools || []);
  const a = o200k.encode(text).length, b = cl100k.encode(text).length;
  bytes += Buffer.byteLength(line); o200 += a; cl100 += b;
  console.error(`  request ${i + 1}: ${Buffer.byteLength(line)} bytes of JSON, ${request.messages.length} messages, `
    + `${(request.tools || []).length} tools (${Buffer.byteLength(tools)} bytes of schemas); `
    + `≈${a} tokens o200k_base, ≈${b} cl100k_base`);
});
console.log(`| ${process.argv[3]} | ${lines.length} | ${bytes} | ≈${o200} | ≈${cl100} |`);
JS
echo "containers: $(DOCKER_HOST="$DOCKER_HOST" docker ps -q | wc -l) running"
questions=(
  "What containers are running?"
  "How is my CPU and memory?"
  "How full are my disks?"
  "show the logs of web"
  "How is my server doing?"
  "How much RAM is free?"
  "Is anything running hot?"
  "What is using the most memory?"
  "How much traffic is there?"
  "Any problems?"
)
echo "| question | model calls | request bytes | tokens o200k | tokens cl100k |"
echo "|---|---|---|---|---|"
for question in "${questions[@]}"; do
  : >"$work/requests.jsonl"
  LLM_PROVIDER=openai-compatible LLM_BASE_URL="http://127.0.0.1:$(cat "$work/port")/v1" \
    LLM_MODEL=gpt-4o-mini HOMELAB_AUDIT__PATH="$work/audit.jsonl" \
    "$BIN" ask --json "$question" >"$work/reply.json"
  (cd "$work" && node count.js requests.jsonl "$question")
done
