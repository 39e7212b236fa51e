# Sourced by the serving benchmarks (serve.sh, tunnel.sh, compliance.sh), after they set ROOT: finds the JDK,
# builds the jar when sources changed, makes the tiny random-weight model, and gives them RUN (the puhui jar),
# load (bench/ServeLoad.java), wait_for and a cleanup that stops every process they added to pids.
# Environment: OUT (bench/out), ROUNDS (10), TOKENS (16).
. "$ROOT/bin/find-jdk.sh"
puhui_find_jdk || exit 1
OUT="${OUT:-$ROOT/bench/out}"
ROUNDS="${ROUNDS:-10}"
TOKENS="${TOKENS:-16}"
mkdir -p "$OUT"
"$ROOT/puhui" version >&2   # builds the jar when sources changed
TINY="$OUT/llama-3.2-tiny-Q8_0.gguf"
[ -f "$TINY" ] || "$ROOT/puhui" random-model --shape llama-3.2-tiny --type Q8_0 -o "$TINY" >&2
JAVA="$JAVA_HOME/bin/java"
JAR="$ROOT/puhui-cli/target/puhui.jar"
RUN=("$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss4m -jar "$JAR")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; pids=(); }
trap cleanup EXIT

# wait_for FILE PATTERN: print the first match of a line in FILE once it appears
wait_for() {
  for _ in $(seq 1 600); do
    if grep -qoE "$2" "$1" 2>/dev/null; then grep -oE "$2" "$1" | head -1; return 0; fi
    sleep 0.2
  done
  echo "timed out waiting for $2 in $1" >&2; exit 1
}

load() { "$JAVA" "$ROOT/bench/ServeLoad.java" "$@"; }
