#!/usr/bin/env bash
# What the compliance stage adds to serving: the same tiny random-weight model behind two `serve`s, one with the
# safety checks, labels and audit log (the default) and one started with --no-safety-checks, loaded alternately
# with 1 and 16 concurrent streams; the better of two passes per server is kept (one 2-core machine runs client,
# gateways and workers). Then the per-KB cost of the checks alone (JMH SafetyBenchmark).
# Prints Markdown tables. Environment: OUT (bench/out), ROUNDS (10), TOKENS (16).
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
. "$ROOT/bench/serving-lib.sh"

rm -rf "$OUT/home-checked" "$OUT/home-unchecked"
PUHUI_HOME="$OUT/home-checked" "${RUN[@]}" serve --port 0 --model "$TINY" --name tiny --slots 64 --queue 256 --threads 1 \
  >"$OUT/checked.out" 2>"$OUT/checked.err" &
pids+=($!)
PUHUI_HOME="$OUT/home-unchecked" "${RUN[@]}" serve --port 0 --model "$TINY" --name tiny --slots 64 --queue 256 --threads 1 \
  --no-safety-checks >"$OUT/unchecked.out" 2>"$OUT/unchecked.err" &
pids+=($!)
CURL=$(wait_for "$OUT/checked.out" 'http://127\.0\.0\.1:[0-9]+')
UURL=$(wait_for "$OUT/unchecked.out" 'http://127\.0\.0\.1:[0-9]+')
for c in 1 16; do
  load "$CURL" tiny "$c" 2 "$TOKENS" >/dev/null
  load "$UURL" tiny "$c" 2 "$TOKENS" >/dev/null
done

echo "### The compliance stage on the serving path ($TOKENS tokens per stream, $ROUNDS rounds)"
echo
echo "| streams | without checks p50 ms | with checks p50 ms | added p50 ms | without p99 ms | with p99 ms | added p99 ms |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for c in 1 16; do
  u1=$(load "$UURL" tiny "$c" "$ROUNDS" "$TOKENS"); c1=$(load "$CURL" tiny "$c" "$ROUNDS" "$TOKENS")
  u2=$(load "$UURL" tiny "$c" "$ROUNDS" "$TOKENS"); c2=$(load "$CURL" tiny "$c" "$ROUNDS" "$TOKENS")
  python3 - "$u1" "$u2" "$c1" "$c2" <<'PY'
import sys
rows = [list(map(float, a.split(","))) for a in sys.argv[1:]]
best = lambda a, b: a if a[3] <= b[3] else b
u = best(rows[0], rows[1]); c = best(rows[2], rows[3])
print(f"| {int(u[0])} | {u[2]:.1f} | {c[2]:.1f} | {c[2] - u[2]:+.2f} | {u[3]:.1f} | {c[3]:.1f} | {c[3] - u[3]:+.2f} |")
PY
done
cleanup
pids=()

echo
echo "### The checks alone (JMH SafetyBenchmark, µs per KB of text; the output check fed in 4-character chunks)"
echo
[ -f "$ROOT/puhui-bench/target/benchmarks.jar" ] || (cd "$ROOT" && ./mvnw -B -ntp -q -pl puhui-bench -am package -DskipTests >&2)
"$JAVA" --add-modules jdk.incubator.vector -jar "$ROOT/puhui-bench/target/benchmarks.jar" SafetyBenchmark -rf csv \
  -rff "$OUT/safety-jmh.csv" >"$OUT/safety-jmh.log" 2>&1
python3 - "$OUT/safety-jmh.csv" <<'PY'
import csv, sys
rows = {}
for r in csv.DictReader(open(sys.argv[1])):
    name = r["Benchmark"].split("SafetyBenchmark.")[-1]
    rows[name] = float(r["Score"])
print("| check | p50 µs/KB | p99 µs/KB |")
print("|---|---:|---:|")
for b, label in [("inputCheckPerKb", "input (whole prompt)"), ("outputCheckPerKbStreamed", "output (streamed)")]:
    print(f"| {label} | {rows[b + ':p0.50']:.1f} | {rows[b + ':p0.99']:.1f} |")
PY
