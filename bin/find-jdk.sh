# Finds a JDK 25 or newer and exports JAVA_HOME to it. Sourced by ./puhui and ./check.
# Order: $JAVA_HOME, then `java` on PATH, then the usual install places on Linux and macOS.

puhui_java_major() { # prints the feature version of the JDK whose home is $1, or nothing
  local out=""
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  # the release file is instant to read; running java is the fallback for JDKs without one
  [ -f "$1/release" ] && out=$(sed -n 's/^JAVA_VERSION="\([0-9.]*\).*/\1/p' "$1/release")
  [ -n "$out" ] || out=$("$1/bin/java" -XshowSettings:properties -version 2>&1 \
                           | sed -n 's/^ *java\.specification\.version = //p')
  case "$out" in 1.*) out="${out#1.}" ;; esac
  echo "${out%%.*}"
}

puhui_find_jdk() {
  local need=25 cand major
  local -a cands=()
  [ -n "${JAVA_HOME:-}" ] && cands+=("$JAVA_HOME")
  if command -v javac >/dev/null 2>&1; then
    cands+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")")
  fi
  local -a roots
  if [ -n "${PUHUI_JDK_DIRS:-}" ]; then
    IFS=: read -r -a roots <<<"$PUHUI_JDK_DIRS"
  else
    roots=(/usr/lib/jvm /usr/java /opt/java /opt /usr/local/java "$HOME/.sdkman/candidates/java" "$HOME/.jdks"
           /Library/Java/JavaVirtualMachines)
  fi
  local root
  for root in "${roots[@]}"; do
    for cand in "$root"/* "$root"/*/Contents/Home; do
      [ -d "$cand" ] && cands+=("$cand")
    done
  done
  for cand in "${cands[@]}"; do
    major=$(puhui_java_major "$cand")
    if [ -n "$major" ] && [ "$major" -ge "$need" ] 2>/dev/null; then
      export JAVA_HOME="$cand"
      return 0
    fi
  done
  cat >&2 <<MSG
puhui: no JDK 25 found (looked at \$JAVA_HOME, javac on PATH, /usr/lib/jvm, /opt/java, ~/.sdkman, macOS JavaVirtualMachines).
Install a JDK 25, for example:
  Debian/Ubuntu:  apt-get install temurin-25-jdk   (Adoptium repository) or openjdk-25-jdk
  macOS:          brew install --cask temurin@25
  any OS:         https://adoptium.net  (Temurin 25), then set JAVA_HOME to its folder
MSG
  return 1
}
