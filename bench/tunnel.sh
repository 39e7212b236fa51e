#!/usr/bin/env bash
# The tunnel's added latency: client → control plane → agent (over its WebSocket tunnel) → worker, against the
# same kind of worker called directly, with 1 and 16 concurrent streams on a tiny random-weight model (no
# download), so that the path, not the arithmetic, is what is measured. The plane holds no copy of the model:
# every request it gets goes through the agent. Both paths are measured alternately, warm, and the better of
# two passes per path is kept (a 2-core machine runs client, plane, agent and workers on the same cores).
# Prints a Markdown table. Environment: OUT (bench/out), ROUNDS (10), TOKENS (16).
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
. "$ROOT/bench/serving-lib.sh"
PLANE_HOME="$OUT/tunnel-plane"
AGENT_HOME="$OUT/tunnel-agent"
rm -rf "$PLANE_HOME" "$AGENT_HOME"
mkdir -p "$PLANE_HOME" "$AGENT_HOME"

"${RUN[@]}" worker --model "$TINY" --name tiny --slots 64 --queue 256 --threads 1 >"$OUT/tunnel-worker.out" 2>"$OUT/tunnel-worker.err" &
pids+=($!)
WURL="http://127.0.0.1:$(wait_for "$OUT/tunnel-worker.out" 'port=[0-9]+' | cut -d= -f2)"
# the plane serves its own file under another name, so that "tiny" exists only on the agent
PUHUI_HOME="$PLANE_HOME" "${RUN[@]}" serve --port 0 --model "$TINY" --name plane-own >"$OUT/tunnel-plane.out" 2>"$OUT/tunnel-plane.err" &
pids+=($!)
SURL=$(wait_for "$OUT/tunnel-plane.out" 'http://127\.0\.0\.1:[0-9]+')
TOKEN=$(PUHUI_HOME="$PLANE_HOME" "${RUN[@]}" token create --tier edge | tail -1)
PUHUI_HOME="$AGENT_HOME" "${RUN[@]}" agent --join "$SURL" --token "$TOKEN" --node-name bench-agent \
  --model "$TINY" --name tiny --slots 64 --queue 256 --threads 1 >"$OUT/tunnel-agent.out" 2>"$OUT/tunnel-agent.err" &
pids+=($!)
for _ in $(seq 1 300); do
  curl -sf "$SURL/api/nodes" | grep -q '"variant":"llama-3.2-tiny-Q8_0"' && break
  sleep 0.2
done
curl -sf "$SURL/api/nodes" | grep -q '"variant":"llama-3.2-tiny-Q8_0"' || { echo "the agent did not join; see $OUT/tunnel-agent.err" >&2; exit 1; }
for c in 1 16; do   # warm both paths: the agent's worker starts on the first request
  load "$SURL" tiny "$c" 2 "$TOKENS" >/dev/null
  load "$WURL" tiny "$c" 2 "$TOKENS" >/dev/null
done
route=$(curl -s -D - -o /dev/null "$SURL/v1/completions" -d '{"model":"tiny","prompt":"a","max_tokens":1}' | grep -i '^x-puhui-route' | tr -d '\r')
echo "$route" | grep -q 'bench-agent' || { echo "requests did not reach the agent: $route" >&2; exit 1; }

echo "### Tunnel overhead: client → plane → agent → worker vs client → worker ($TOKENS tokens per stream, $ROUNDS rounds)"
echo
echo "| streams | direct p50 ms | via tunnel p50 ms | added p50 ms | direct p99 ms | via tunnel p99 ms | added p99 ms | TTFT direct p50 / p99 ms | TTFT via tunnel p50 / p99 ms |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for c in 1 16; do
  d1=$(load "$WURL" tiny "$c" "$ROUNDS" "$TOKENS"); s1=$(load "$SURL" tiny "$c" "$ROUNDS" "$TOKENS")
  d2=$(load "$WURL" tiny "$c" "$ROUNDS" "$TOKENS"); s2=$(load "$SURL" tiny "$c" "$ROUNDS" "$TOKENS")
  python3 - "$d1" "$d2" "$s1" "$s2" <<'PY'
import sys
rows = [list(map(float, a.split(","))) for a in sys.argv[1:]]
best = lambda a, b: a if a[3] <= b[3] else b   # the pass with the lower p99
d = best(rows[0], rows[1]); s = best(rows[2], rows[3])
print(f"| {int(d[0])} | {d[2]:.1f} | {s[2]:.1f} | {s[2] - d[2]:+.2f} | {d[3]:.1f} | {s[3]:.1f} | {s[3] - d[3]:+.2f} | {d[4]:.1f} / {d[5]:.1f} | {s[4]:.1f} / {s[5]:.1f} |")
PY
done
