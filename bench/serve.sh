#!/usr/bin/env bash
# Serving overhead and batching, on the ~25M-parameter benchmark model (random weights, Q8_0):
#  1. the platform path (client -> serve -> worker) against the worker alone: latency and time to first token,
#     p50 and p99, with 1, 16 and 64 concurrent streams;
#  2. aggregate generation tokens/s of one worker with 1, 4 and 16 concurrent sequences.
# Prints Markdown tables. Environment: OUT (bench/out), ROUNDS (8), TOKENS (16), THREADS (2).
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
. "$ROOT/bin/find-jdk.sh"
puhui_find_jdk || exit 1
OUT="${OUT:-$ROOT/bench/out}"
ROUNDS="${ROUNDS:-8}"
TOKENS="${TOKENS:-16}"
THREADS="${THREADS:-2}"
mkdir -p "$OUT"
"$ROOT/puhui" version >&2   # builds the jar when sources changed
MODEL="$OUT/llama-25m-Q8_0.gguf"
[ -f "$MODEL" ] || "$ROOT/puhui" random-model --shape llama-25m --type Q8_0 -o "$MODEL" >&2
JAVA="$JAVA_HOME/bin/java"
JAR="$ROOT/puhui-cli/target/puhui.jar"
RUN=("$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss4m -jar "$JAR")
export PUHUI_HOME="$OUT/home"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# wait_for FILE PATTERN: print the first match of a line in FILE once it appears
wait_for() {
  for _ in $(seq 1 600); do
    if grep -qoE "$2" "$1" 2>/dev/null; then grep -oE "$2" "$1" | head -1; return 0; fi
    sleep 0.2
  done
  echo "timed out waiting for $2 in $1" >&2; exit 1
}

"${RUN[@]}" worker --model "$MODEL" --name bench --slots 64 --queue 256 --threads "$THREADS" >"$OUT/worker.out" 2>"$OUT/worker.err" &
pids+=($!)
WPORT=$(wait_for "$OUT/worker.out" 'port=[0-9]+' | cut -d= -f2)
"${RUN[@]}" serve --port 0 --model "$MODEL" --name bench --slots 64 --queue 256 --threads "$THREADS" >"$OUT/serve.out" 2>"$OUT/serve.err" &
pids+=($!)
SURL=$(wait_for "$OUT/serve.out" 'http://127\.0\.0\.1:[0-9]+')
load() { "$JAVA" "$ROOT/bench/ServeLoad.java" "$@"; }
load "$SURL" bench 1 2 4 >/dev/null   # starts serve's worker and warms both paths
load "http://127.0.0.1:$WPORT" bench 1 2 4 >/dev/null

echo "### Platform overhead: client → serve → worker vs client → worker ($TOKENS tokens per stream, $ROUNDS rounds)"
echo
echo "| streams | direct p50 ms | via serve p50 ms | added p50 ms | direct p99 ms | via serve p99 ms | added p99 ms | TTFT direct p50 / p99 ms | TTFT via serve p50 / p99 ms |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for c in 1 16 64; do
  d=$(load "http://127.0.0.1:$WPORT" bench "$c" "$ROUNDS" "$TOKENS")
  s=$(load "$SURL" bench "$c" "$ROUNDS" "$TOKENS")
  python3 - "$d" "$s" <<'PY'
import sys
d = sys.argv[1].split(","); s = sys.argv[2].split(",")
f = lambda x: float(x)
print(f"| {d[0]} | {f(d[2]):.1f} | {f(s[2]):.1f} | {f(s[2]) - f(d[2]):+.2f} | {f(d[3]):.1f} | {f(s[3]):.1f} | {f(s[3]) - f(d[3]):+.2f} | {f(d[4]):.1f} / {f(d[5]):.1f} | {f(s[4]):.1f} / {f(s[5]):.1f} |")
PY
done
echo
echo "### Continuous batching: one worker, 128 tokens per sequence"
echo
echo "| concurrent sequences | aggregate tokens/s | × one sequence |"
echo "|---:|---:|---:|"
base=""
for c in 1 4 16; do
  r=$(load "http://127.0.0.1:$WPORT" bench "$c" 2 128)
  python3 - "$r" "$base" <<'PY'
import sys
r = sys.argv[1].split(","); base = sys.argv[2]
tps = float(r[7]); b = float(base) if base else tps
print(f"| {r[0]} | {tps:.1f} | {tps / b:.2f}× |")
PY
  [ -n "$base" ] || base=$(echo "$r" | cut -d, -f8)
done
