#!/usr/bin/env bash
# Peak memory of one `routeguard lint` over N copies of one spec. Each file's trees are dropped
# once its group of files is adapted, so peak RSS grows with the findings (and text) kept, not
# with N times the trees of one spec.
#   bash benches/memory-scaling.sh [SPEC] [N...]   (default: GitHub's REST API description; 1 2 4 8 16)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
spec=${1:-}
if [ -z "$spec" ]; then
  eval "$(bash "${PEERS_SCRIPT:-$here/../shared/bench/peers.sh}")"
  spec=$GITHUB_SPEC
fi
shift || true
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1 2 4 8 16)
cargo build --release --manifest-path "$here/Cargo.toml" >&2
routeguard=${ROUTEGUARD:-$here/target/release/routeguard}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/.git"
extension=${spec##*.}
printf '%8s %10s %10s %12s %14s\n' copies input_MB findings peak_RSS_MB RSS_per_copy_MB
for n in "${counts[@]}"; do
  rm -rf "$work/specs" && mkdir "$work/specs"
  for i in $(seq 1 "$n"); do cp "$spec" "$work/specs/copy$i.$extension"; done
  /usr/bin/time -v "$routeguard" lint --root "$work" --format json "$work/specs" \
    > "$work/out.json" 2> "$work/time.log" || true
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.log")
  findings=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["diagnostics"]))' "$work/out.json")
  input=$(du -sm "$work/specs" | cut -f1)
  printf '%8d %10d %10d %12d %14.1f\n' "$n" "$input" "$findings" "$((rss / 1024))" \
    "$(echo "$rss / 1024 / $n" | bc -l)"
done
