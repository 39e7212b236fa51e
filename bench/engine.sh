#!/usr/bin/env bash
# Engine speed, side by side with llama.cpp: prompt (pp) and generation (tg) tokens/s for random-weight models
# in the shapes of Qwen2.5-0.5B (Q8_0, Q4_0) and a ~25M-parameter Llama, at 1 and 2 threads, plus how close
# each engine's generation gets to the memory-bandwidth bound. Prints a Markdown table.
#
#   bench/engine.sh                         # Puhui only
#   LLAMA_BENCH=/path/to/llama-bench bench/engine.sh   # and llama.cpp on the same files, in the same run
#
# Environment: THREADS (default 1,2), PP (128), TG (64), REPS (3), OUT (bench/out).
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
THREADS="${THREADS:-1,2}"
PP="${PP:-128}"
TG="${TG:-64}"
REPS="${REPS:-3}"
OUT="${OUT:-$ROOT/bench/out}"
mkdir -p "$OUT"

"$ROOT/puhui" version >&2
models=()
for spec in qwen2.5-0.5b:Q8_0 qwen2.5-0.5b:Q4_0 llama-25m:Q8_0 llama-25m:Q4_0; do
  shape="${spec%%:*}"; type="${spec##*:}"
  f="$OUT/$shape-$type.gguf"
  [ -f "$f" ] || "$ROOT/puhui" random-model --shape "$shape" --type "$type" -o "$f" >&2
  models+=("$f")
done

margs=()
for f in "${models[@]}"; do margs+=(-m "$f"); done
"$ROOT/puhui" bench "${margs[@]}" -t "$THREADS" -p "$PP" -n "$TG" -r "$REPS" --csv > "$OUT/puhui.csv"

if [ -n "${LLAMA_BENCH:-}" ]; then
  "$LLAMA_BENCH" "${margs[@]}" -t "$THREADS" -p "$PP" -n "$TG" -r "$REPS" -o csv > "$OUT/llama.csv" 2>"$OUT/llama.err" \
    || { echo "llama-bench failed, see $OUT/llama.err" >&2; : > "$OUT/llama.csv"; }
else
  : > "$OUT/llama.csv"
fi

python3 - "$OUT/puhui.csv" "$OUT/llama.csv" <<'PY'
import csv, os, sys
puhui = list(csv.DictReader(open(sys.argv[1])))
llama = {}
if os.path.getsize(sys.argv[2]) > 0:
    for r in csv.DictReader(open(sys.argv[2])):
        name = os.path.basename(r["model_filename"])
        test = f"pp{r['n_prompt']}" if int(r["n_gen"]) == 0 else f"tg{r['n_gen']}"
        llama[(name, test, int(r["n_threads"]))] = (float(r["avg_ts"]), float(r["stddev_ts"]))
print("| model | test | threads | Puhui tok/s | llama.cpp tok/s | Puhui / llama.cpp | bandwidth bound tok/s | Puhui % of bound | llama.cpp % of bound |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for r in puhui:
    key = (r["model"], r["test"], int(r["threads"]))
    p = float(r["tokens_per_s"]); sd = float(r["sd"]); bound = float(r["bound_tokens_per_s"])
    l = llama.get(key)
    ls = f"{l[0]:.2f} ± {l[1]:.2f}" if l else "–"
    ratio = f"{p / l[0]:.2f}×" if l else "–"
    b = f"{bound:.1f}" if bound > 0 else ""
    pb = f"{100 * p / bound:.0f}%" if bound > 0 else ""
    lb = f"{100 * l[0] / bound:.0f}%" if bound > 0 and l else ""
    print(f"| {r['model']} ({r['type']}) | {r['test']} | {r['threads']} | {p:.2f} ± {sd:.2f} | {ls} | {ratio} | {b} | {pb} | {lb} |")
PY
