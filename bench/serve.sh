#!/usr/bin/env bash
# Serving overhead and batching, on random-weight models (no download needed):
#  1. the platform path (client -> serve -> worker) against the worker alone: latency and time to first token,
#     p50 and p99, with 1, 16 and 64 concurrent streams, on a tiny model so that the platform, not the
#     arithmetic, is what is measured; the two paths are measured alternately, warm (WARM rounds at each
#     concurrency first, so that the JIT has compiled the serving path: on two cores it is still compiling
#     Jetty, JSON and database code after a few hundred requests), and the better of two passes per path is
#     kept (a 2-core machine runs client, gateway and worker on the same cores);
#  2. aggregate generation tokens/s of one worker with 1, 4 and 16 concurrent sequences on the ~25M-parameter
#     benchmark model (Q8_0).
# Prints Markdown tables. Environment: OUT (bench/out), ROUNDS (10), TOKENS (16), THREADS (2), WARM (10).
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
. "$ROOT/bench/serving-lib.sh"
THREADS="${THREADS:-2}"
WARM="${WARM:-10}"
MODEL="$OUT/llama-25m-Q8_0.gguf"
[ -f "$MODEL" ] || "$ROOT/puhui" random-model --shape llama-25m --type Q8_0 -o "$MODEL" >&2
export PUHUI_HOME="$OUT/home"

"${RUN[@]}" worker --model "$TINY" --name tiny --slots 64 --queue 256 --threads 1 >"$OUT/worker.out" 2>"$OUT/worker.err" &
pids+=($!)
WURL="http://127.0.0.1:$(wait_for "$OUT/worker.out" 'port=[0-9]+' | cut -d= -f2)"
"${RUN[@]}" serve --port 0 --model "$TINY" --name tiny --slots 64 --queue 256 --threads 1 >"$OUT/serve.out" 2>"$OUT/serve.err" &
pids+=($!)
SURL=$(wait_for "$OUT/serve.out" 'http://127\.0\.0\.1:[0-9]+')
for c in 1 16 64; do   # warm both paths at every concurrency: serve's worker starts on the first request
  load "$SURL" tiny "$c" "$WARM" "$TOKENS" >/dev/null
  load "$WURL" tiny "$c" "$WARM" "$TOKENS" >/dev/null
done

echo "### Platform overhead: client → serve → worker vs client → worker ($TOKENS tokens per stream, $ROUNDS rounds)"
echo
echo "| streams | direct p50 ms | via serve p50 ms | added p50 ms | direct p99 ms | via serve p99 ms | added p99 ms | TTFT direct p50 / p99 ms | TTFT via serve p50 / p99 ms |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for c in 1 16 64; do
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
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
pids=()

"${RUN[@]}" worker --model "$MODEL" --name bench --slots 16 --queue 64 --threads "$THREADS" >"$OUT/worker25.out" 2>"$OUT/worker25.err" &
pids+=($!)
BURL="http://127.0.0.1:$(wait_for "$OUT/worker25.out" 'port=[0-9]+' | cut -d= -f2)"
load "$BURL" bench 16 1 64 >/dev/null   # compiles the batched kernels
load "$BURL" bench 1 2 64 >/dev/null
echo
echo "### Continuous batching: one worker, ~25M-parameter model (Q8_0), $THREADS threads, 128 tokens per sequence"
echo
echo "| concurrent sequences | aggregate tokens/s | × one sequence |"
echo "|---:|---:|---:|"
base=""
for c in 1 4 16; do
  r=$(load "$BURL" bench "$c" 3 128)
  python3 - "$r" "$base" <<'PY'
import sys
r = sys.argv[1].split(","); base = sys.argv[2]
tps = float(r[7]); b = float(base) if base else tps
print(f"| {r[0]} | {tps:.1f} | {tps / b:.2f}× |")
PY
  [ -n "$base" ] || base=$(echo "$r" | cut -d, -f8)
done
