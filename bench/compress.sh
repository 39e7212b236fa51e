#!/usr/bin/env bash
# Compression throughput, side by side with llama.cpp's llama-quantize: the same F32 input (a random-weight
# model in the shape of Qwen2.5-0.5B, 1.8 GiB), the same type and thread count, one run of each tool per type,
# interleaved. Throughput is input bytes over the wall time of the whole command (start-up, reading, writing
# included; the input is read into the page cache before each command). Also checks that both wrote the same bytes. Prints a Markdown table.
#
#   bench/compress.sh                                            # Puhui only
#   LLAMA_QUANTIZE=/path/to/llama-quantize bench/compress.sh     # and llama-quantize in the same run
#
# Environment: TYPES (default "Q8_0 Q4_0 Q4_K_M"), THREADS (2), SHAPE (qwen2.5-0.5b), OUT (bench/out).
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
TYPES="${TYPES:-Q8_0 Q4_0 Q4_K_M}"
THREADS="${THREADS:-2}"
SHAPE="${SHAPE:-qwen2.5-0.5b}"
OUT="${OUT:-$ROOT/bench/out}"
mkdir -p "$OUT"

"$ROOT/puhui" version >&2
IN="$OUT/$SHAPE-F32.gguf"
[ -f "$IN" ] || "$ROOT/puhui" random-model --shape "$SHAPE" --type F32 -o "$IN" >&2
SIZE=$(stat -c %s "$IN")
# the parent's hash is remembered between runs; take it now so no run below pays for it
"$ROOT/puhui" compress "$IN" --type Q8_0 -o "$OUT/warm.gguf" --dry-run >/dev/null 2>&1
sleep 1

now() { date +%s.%N; }
echo "| type | input | llama-quantize | Puhui | Puhui / llama | same bytes |"
echo "|---|---:|---:|---:|---:|---|"
for t in $TYPES; do
  lq="-"; ratio="-"; same="-"
  if [ -n "${LLAMA_QUANTIZE:-}" ]; then
    cat "$IN" > /dev/null   # both tools start with the input in the page cache
    s=$(now)
    "$LLAMA_QUANTIZE" "$IN" "$OUT/llama-$t.gguf" "$t" "$THREADS" >"$OUT/llama-quantize.log" 2>&1
    e=$(now)
    lq=$(python3 -c "print(f'{$SIZE/1e6/($e-$s):.0f} MB/s')")
    lqs=$(python3 -c "print($e-$s)")
  fi
  cat "$IN" > /dev/null
  s=$(now)
  "$ROOT/puhui" compress "$IN" --type "$t" -o "$OUT/puhui-$t.gguf" --threads "$THREADS" >"$OUT/puhui-compress.log" 2>&1
  e=$(now)
  pu=$(python3 -c "print(f'{$SIZE/1e6/($e-$s):.0f} MB/s')")
  if [ -n "${LLAMA_QUANTIZE:-}" ]; then
    ratio=$(python3 -c "print(f'{$lqs/($e-$s):.2f}x')")
    if cmp -s "$OUT/llama-$t.gguf" "$OUT/puhui-$t.gguf"; then same=yes; else same=NO; fi
    rm -f "$OUT/llama-$t.gguf"
  fi
  rm -f "$OUT/puhui-$t.gguf" "$OUT/puhui-$t.gguf.record.json"
  echo "| $t | $(python3 -c "print(f'{$SIZE/2**30:.2f} GiB F32')") | $lq | $pu | $ratio | $same |"
done
echo
echo "$THREADS threads; $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
