#!/usr/bin/env bash
# Times routeguard, Redocly CLI and Spectral on the same real-world specs, side by side.
# Installs the peers and corpora with the shared script first:
#   bash benches/compare-peers.sh [SPEC...]      (default: GitHub's REST API description, 13 MB)
# Prints wall time and peak memory per tool. Runs on the machine as it is: close other work.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
peers_script=${PEERS_SCRIPT:-$here/../shared/bench/peers.sh}
eval "$(bash "$peers_script")"
cargo build --release --manifest-path "$here/Cargo.toml" >&2
routeguard="$here/target/release/routeguard"
specs=("$@")
[ ${#specs[@]} -gt 0 ] || specs=("$GITHUB_SPEC")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
measure() {
  local name=$1; shift
  local log="$work/time.log"
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -v "$@" > "$work/out" 2> "$log" || true
  end=$(date +%s.%N)
  local rss
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  printf '%-12s %8.2f s %8d MB\n' "$name" "$(echo "$end - $start" | bc)" "$((rss / 1024))"
}
for spec in "${specs[@]}"; do
  echo "== $(basename "$spec") ($(du -h "$spec" | cut -f1))"
  cp "$spec" "$work/spec.${spec##*.}"
  input="$work/spec.${spec##*.}"
  measure routeguard "$routeguard" lint --root "$work" --format json "$input"
  measure redocly "$REDOCLY" lint --format=json "$input"
  measure spectral "$SPECTRAL" lint -r "$SPECTRAL_RULESET" -f json "$input"
done
