#!/usr/bin/env bash
# Load benchmark of POST /api/evaluate with wrk (C load generator, Debian package `wrk`):
# 50 concurrent connections, a 10-event enterprise (examples/scenarios/bench-10-events.yaml as JSON),
# against `huiqi serve --workers W` on 127.0.0.1.  Usage: benchmarks/bench_web_wrk.sh [WORKERS] [SECONDS]
# Every request carries a different credit code and name (so nothing could be served from a cache).
set -euo pipefail
cd "$(dirname "$0")/.."
WORKERS=${1:-2}
SECONDS_=${2:-20}
command -v wrk >/dev/null || { echo "需要 wrk：apt-get install wrk" >&2; exit 1; }
PORT=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DATA=$(mktemp -d)
BODY=$(mktemp)
LUA=$(mktemp --suffix=.lua)
.venv/bin/python - "$BODY" <<'PY'
import json, sys, yaml
raw = yaml.safe_load(open("examples/scenarios/bench-10-events.yaml", encoding="utf-8"))
open(sys.argv[1], "w", encoding="utf-8").write(json.dumps(raw, ensure_ascii=False, default=str))
PY
# Vary the enterprise name per request (the credit code stays valid).
cat > "$LUA" <<LUA
local f = io.open("$BODY", "r"); local body = f:read("*a"); f:close()
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  return wrk.format(nil, "/api/evaluate", nil, (body:gsub("苏州示例智能装备有限公司", "示例企业" .. n)))
end
LUA
.venv/bin/huiqi serve --port "$PORT" --workers "$WORKERS" --data "$DATA" 2>/dev/null &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$DATA" "$BODY" "$LUA"' EXIT
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/api/facts" >/dev/null && break; sleep 0.2; done
curl -sf -X POST -H 'Content-Type: application/json' --data-binary @"$BODY" "http://127.0.0.1:$PORT/api/evaluate" | .venv/bin/python -c 'import json,sys; d=json.load(sys.stdin); print("check: total", d["totals"]["total"]["text"])'
wrk -t2 -c5 -d3s -s "$LUA" "http://127.0.0.1:$PORT" >/dev/null   # warm-up
echo "workers=$WORKERS connections=50 duration=${SECONDS_}s nproc=$(nproc)"
wrk -t2 -c50 -d"${SECONDS_}s" --latency -s "$LUA" "http://127.0.0.1:$PORT"
