#!/usr/bin/env bash
# What each compression target costs in quality: stories260K (F32, 1.2 MB) compressed to every type, with and
# without an importance matrix collected on one text, each scored against the F32 parent on another text:
# size, perplexity, mean and p99 KL divergence, top-1 agreement (llama-perplexity --kl-divergence's
# definitions). Prints a Markdown table.
#
#   bench/fidelity.sh [MODEL.gguf]
#
# Environment: CTX (default 128), CALIBRATION and EVALUATION (text files; default the two in the test
# resources), TYPES, OUT (bench/out).
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
MODEL="${1:-$ROOT/../shared/models/stories260K-f32.gguf}"
CTX="${CTX:-128}"
TEXTS="$ROOT/puhui-engine/src/test/resources/text"
CALIBRATION="${CALIBRATION:-$TEXTS/calibration.txt}"
EVALUATION="${EVALUATION:-$TEXTS/evaluation.txt}"
TYPES="${TYPES:-Q8_0 Q6_K Q5_K_M Q5_K_S Q5_1 Q5_0 Q4_K_M Q4_K_S Q4_1 Q4_0 Q3_K_L Q3_K_M Q3_K_S Q2_K}"
OUT="${OUT:-$ROOT/bench/out/fidelity}"
mkdir -p "$OUT"

"$ROOT/puhui" imatrix --model "$MODEL" --text "$CALIBRATION" --ctx "$CTX" -o "$OUT/model.imatrix" >&2 2>/dev/null
row() { # file label
  "$ROOT/puhui" eval --model "$1" --reference "$MODEL" --text "$EVALUATION" --ctx "$CTX" --json 2>/dev/null \
    | tee "$1.eval.json" | python3 -c '
import json, sys
j = json.load(sys.stdin)
print("| " + sys.argv[1] + " | {:,} | {:.4f} | {:.5f} | {:.4f} | {:.2f} % |".format(j["model_bytes"],
      j["perplexity"], j["kl_mean"], j["kl_p99"], 100 * j["top1_agreement"]))' "$2"
}
echo "| type | bytes | perplexity | KL mean | KL p99 | top-1 |"
echo "|---|---:|---:|---:|---:|---:|"
"$ROOT/puhui" eval --model "$MODEL" --text "$EVALUATION" --ctx "$CTX" --json 2>/dev/null | python3 -c '
import json, os, sys
j = json.load(sys.stdin)
print("| F32 (parent) | {:,} | {:.4f} | 0 | 0 | 100 % |".format(os.path.getsize(sys.argv[1]), j["perplexity"]))' "$MODEL"
for t in $TYPES; do
  "$ROOT/puhui" compress "$MODEL" --type "$t" -o "$OUT/$t.gguf" >/dev/null 2>&1
  row "$OUT/$t.gguf" "$t"
  "$ROOT/puhui" compress "$MODEL" --type "$t" --imatrix "$OUT/model.imatrix" -o "$OUT/$t-imatrix.gguf" >/dev/null 2>&1
  row "$OUT/$t-imatrix.gguf" "$t + imatrix"
done
echo
echo "| --fit budget | bytes | KL mean | top-1 | best uniform type no larger | its bytes | its KL mean |"
echo "|---:|---:|---:|---:|---|---:|---:|"
for b in ${FITS:-290000 300000 310000}; do
  "$ROOT/puhui" compress "$MODEL" --fit "$b" --text "$CALIBRATION" --ctx "$CTX" -o "$OUT/fit-$b.gguf" >/dev/null 2>&1
  "$ROOT/puhui" eval --model "$OUT/fit-$b.gguf" --reference "$MODEL" --text "$EVALUATION" --ctx "$CTX" --json \
    2>/dev/null > "$OUT/fit-$b.gguf.eval.json"
  python3 - "$OUT" "$b" $TYPES <<'PY'
import json, os, sys
out, budget, types = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
fit = json.load(open(f"{out}/fit-{budget}.gguf.eval.json"))
best = None
for t in types:
    j = json.load(open(f"{out}/{t}.gguf.eval.json"))
    if j["model_bytes"] <= fit["model_bytes"] and (best is None or j["kl_mean"] < best[2]):
        best = (t, j["model_bytes"], j["kl_mean"])
b = best or ("-", 0, float("nan"))
print(f"| {budget:,} | {fit['model_bytes']:,} | {fit['kl_mean']:.5f} | {100 * fit['top1_agreement']:.2f} % "
      f"| {b[0]} | {b[1]:,} | {b[2]:.5f} |")
PY
done
echo
echo "$(basename "$MODEL"); calibration $(basename "$CALIBRATION"), evaluation $(basename "$EVALUATION"), ctx $CTX"
