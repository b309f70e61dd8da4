#!/usr/bin/env bash
# Load benchmark of POST /api/evaluate with wrk (C load generator, Debian package `wrk`):
# 50 concurrent connections, a 10-event enterprise (examples/scenarios/bench-10-events.yaml as JSON),
# against `huiqi serve --workers W` on 127.0.0.1.  Usage: benchmarks/bench_web_wrk.sh [WORKERS] [SECONDS] [THINK_MS]
# THINK_MS (default 0): each client waits this long after an answer before its next request (wrk's
# delay hook), i.e. 50 people at a calculator rather than 50 programs in a tight loop.  The issue's
# target is read with THINK_MS=0, the hardest reading.
# Requests cycle through 1000 bodies with different credit codes, names and amounts (nothing cacheable).
set -euo pipefail
cd "$(dirname "$0")/.."
WORKERS=${1:-2}
SECONDS_=${2:-20}
THINK_MS=${3:-0}
command -v wrk >/dev/null || { echo "需要 wrk：apt-get install wrk" >&2; exit 1; }
PORT=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DATA=$(mktemp -d)
BODY=$(mktemp)
LUA=$(mktemp --suffix=.lua)
# 1000 different bodies: each its own valid credit code, name and amounts (the 10 events of
# examples/scenarios/bench-10-events.yaml, money scaled by 0.90…1.09), one JSON document a line.
.venv/bin/python - "$BODY" <<'PY'
import json, re, sys, yaml
from huiqi.core.credit_code import make_credit_code
raw = yaml.safe_load(open("examples/scenarios/bench-10-events.yaml", encoding="utf-8"))
def scale(v, f):
    m = re.fullmatch(r"(\d+)万元", v) if isinstance(v, str) else None
    return f"{int(m.group(1)) * f // 100}万元" if m else v
with open(sys.argv[1], "w", encoding="utf-8") as out:
    for i in range(1000):
        f = 90 + i % 20
        body = json.loads(json.dumps(raw, default=str))
        body["enterprise"]["credit_code"] = make_credit_code(f"91320506MA1B{i:05d}")
        body["enterprise"]["name"] = f"示例企业{i}"
        body["events"] = [{k: scale(v, f) for k, v in e.items()} for e in body["events"]]
        out.write(json.dumps(body, ensure_ascii=False) + "\n")
PY
cat > "$LUA" <<LUA
local bodies = {}
for line in io.lines("$BODY") do bodies[#bodies + 1] = line end
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
delay = function()
  return $THINK_MS
end
request = function()
  n = n + 1
  return wrk.format(nil, "/api/evaluate", nil, bodies[(n % #bodies) + 1])
end
LUA
.venv/bin/huiqi serve --port "$PORT" --workers "$WORKERS" --data "$DATA" 2>/dev/null &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$DATA" "$BODY" "$LUA"' EXIT
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/api/facts" >/dev/null && break; sleep 0.2; done
head -1 "$BODY" | curl -sf -X POST -H 'Content-Type: application/json' --data-binary @- "http://127.0.0.1:$PORT/api/evaluate" | .venv/bin/python -c 'import json,sys; d=json.load(sys.stdin); print("check: total", d["totals"]["total"]["text"])'
wrk -t2 -c5 -d3s -s "$LUA" "http://127.0.0.1:$PORT" >/dev/null   # warm-up
# CPU seconds (user+system) of the server and its worker processes, from /proc.
server_cpu() {
  local total=0 pid
  for pid in $SERVER $(pgrep -P "$SERVER" || true); do
    [ -r "/proc/$pid/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}
echo "workers=$WORKERS connections=50 think=${THINK_MS}ms duration=${SECONDS_}s nproc=$(nproc) $(uptime | sed 's/.*load/load/')"
BEFORE=$(server_cpu)
OUT=$(mktemp)
# Half-way through, how many of the 50 connections each worker process holds (uneven shares make the tail).
( sleep "$(( SECONDS_ / 2 ))"; echo "connections per worker pid: $(ss -tnpH state established "( sport = :$PORT )" | grep -o 'pid=[0-9]*' | sort | uniq -c | awk '{printf "%s ", $1}')" ) &
/usr/bin/time -f "wrk CPU: %U s user + %S s system" wrk -t2 -c50 -d"${SECONDS_}s" --latency -s "$LUA" "http://127.0.0.1:$PORT" 2>&1 | tee "$OUT"
AFTER=$(server_cpu)
REQS=$(awk '/requests in/ {print $1}' "$OUT")
rm -f "$OUT"
TICKS=$(getconf CLK_TCK)
echo "server CPU: $(( (AFTER - BEFORE) * 1000 / TICKS )) ms for $REQS requests = $(( (AFTER - BEFORE) * 1000000 / TICKS / REQS )) µs per request"
