#!/usr/bin/env bash
# The small→large cascade on a prompt set: how many requests the small (edge) variant keeps, and the energy
# estimate against sending every request to the large (cloud) variant. The small variant is the model compressed
# to Q4_K_M and served locally; the large one is the original behind a second `serve`, registered as the cloud
# endpoint of the same model. Every prompt of bench/prompts/cascade.txt is sent once per threshold (greedy,
# non-streamed) and the x-puhui-cascade header and token usage are counted. Prints a Markdown table.
#
#   bench/cascade.sh
#
# Environment: MODEL (an F32/F16 GGUF; default ../shared/models/stories260K-f32.gguf), THRESHOLDS (mean token
# probabilities to keep an answer, default 0.35,0.4,0.45), TOKENS (32), OUT (bench/out/cascade).
# Energy per generated token, the router's defaults: the edge server 30 W over its assumed 25 tokens/s = 1.2 J, the
# cloud endpoint 300 W over 100 tokens/s = 3.0 J.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
MODEL="${MODEL:-$ROOT/../shared/models/stories260K-f32.gguf}"
THRESHOLDS="${THRESHOLDS:-0.35,0.4,0.45}"
TOKENS="${TOKENS:-32}"
OUT="${OUT:-$ROOT/bench/out/cascade}"
PROMPTS="$ROOT/bench/prompts/cascade.txt"
[ -f "$MODEL" ] || { echo "no model at $MODEL; set MODEL=FILE.gguf (F32 or F16)" >&2; exit 2; }
rm -rf "$OUT" && mkdir -p "$OUT"
SMALL="$OUT/small-q4_k_m.gguf"
"$ROOT/puhui" compress "$MODEL" --type Q4_K_M -o "$SMALL" >&2

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# start_serve HOME LOG ARGS... -> sets URL to the base URL (not in a subshell: the pid must be remembered)
start_serve() {
  local home="$1" log="$2"; shift 2
  mkdir -p "$home"
  PUHUI_HOME="$home" "$ROOT/puhui" serve --port 0 "$@" > "$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 240); do
    URL=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$log" | head -1 | sed 's/listening on //') || true
    [ -n "$URL" ] && return

    sleep 0.5
  done
  echo "serve did not start, see $log" >&2; exit 1
}

start_serve "$OUT/cloud" "$OUT/cloud.log" --model "$MODEL" --name large
UP="$URL"
IFS=',' read -ra TS <<< "$THRESHOLDS"
for t in "${TS[@]}"; do
  home="$OUT/edge-$t"
  mkdir -p "$home"
  PUHUI_HOME="$home" "$ROOT/puhui" endpoint add model --tier cloud --url "$UP/v1" --model large >&2
  start_serve "$home" "$OUT/edge-$t.log" --model "$SMALL" --name model --tier edge --cascade \
          --cascade-mean "$t" --cascade-min 0.0001
  PLANE="$URL"
  python3 - "$PLANE" "$PROMPTS" "$TOKENS" "$t" >> "$OUT/results.tsv" <<'PY'
import json, sys, urllib.request
base, prompts, tokens, t = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
for line in open(prompts, encoding="utf-8"):
    p = line.strip()
    if not p:
        continue
    body = json.dumps({"model": "model", "messages": [{"role": "user", "content": p}], "max_tokens": tokens,
                       "temperature": 0}).encode()
    req = urllib.request.Request(base + "/v1/chat/completions", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        verdict = r.headers.get("x-puhui-cascade", "")
        usage = json.load(r).get("usage", {})
    print(f"{t}\t{'escalated' if verdict.startswith('escalated') else 'kept'}\t{usage.get('completion_tokens', 0)}")
PY
  kill "${pids[${#pids[@]}-1]}" 2>/dev/null || true
done

python3 - "$OUT/results.tsv" <<'PY'
import sys, collections
EDGE, CLOUD = 30 / 25, 300 / 100
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    t, verdict, toks = line.rstrip("\n").split("\t")
    rows.setdefault(t, []).append((verdict, int(toks)))
print("| keep threshold (mean token prob.) | requests | kept at the edge | escalated to the cloud | energy, cascade (J/request) | energy, all to the cloud (J/request) | saved |")
print("|---:|---:|---:|---:|---:|---:|---:|")
for t, rs in rows.items():
    n = len(rs)
    kept = sum(1 for v, _ in rs if v == "kept")
    # kept: the edge's tokens; escalated: the edge's attempt (same length) and the cloud's answer.
    cascade = sum(EDGE * k if v == "kept" else (EDGE + CLOUD) * k for v, k in rs) / n
    cloud = sum(CLOUD * k for _, k in rs) / n
    print(f"| {t} | {n} | {kept} ({100*kept/n:.0f}%) | {n-kept} ({100*(n-kept)/n:.0f}%) | {cascade:.1f} | {cloud:.1f} | {100*(1-cascade/cloud):.0f}% |")
PY
