#!/usr/bin/env bash
# Measures routeguard, Redocly CLI and Spectral on the same real-world inputs, side by side, and
# the parse-only floors routeguard's loading is judged against. Prints a Markdown table for
# docs/performance.md.
#   bash benches/compare-peers.sh            (every workload)
#   PEER_LIMIT=120 RUNS=3 bash benches/compare-peers.sh
# Workloads: GitHub's REST API description as JSON (13 MB) and as YAML (9.8 MB, converted once
# with PyYAML), the first 199 APIs.guru specs (37 MB) and the whole APIs.guru directory.
# Each tool runs RUNS times (median shown); a peer that has not finished after PEER_LIMIT seconds
# is stopped and shown as "> N s". CPU is user + system time, memory the peak resident set.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
peers_script=${PEERS_SCRIPT:-$here/../shared/bench/peers.sh}
eval "$(bash "$peers_script")"
runs=${RUNS:-3}
peer_limit=${PEER_LIMIT:-300}
cargo build --release --manifest-path "$here/Cargo.toml" >&2
routeguard=${ROUTEGUARD:-$here/target/release/routeguard}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The inputs, each in a project root of its own (routeguard never reads outside its root).
mkdir -p "$work/github/.git" "$work/sample/.git" "$work/sample/specs"
cp "$GITHUB_SPEC" "$work/github/spec.json"
yaml_spec="$PEERS_DIR/api.github.com.yaml"
if [ ! -f "$yaml_spec" ]; then
  python3 -c 'import json, sys, yaml
yaml.safe_dump(json.load(open(sys.argv[1])), open(sys.argv[2], "w"), sort_keys=False,
               allow_unicode=True, width=120)' "$GITHUB_SPEC" "$yaml_spec"
fi
cp "$yaml_spec" "$work/github/spec.yaml"
# The list is read whole before the first 199 are taken: `head` closing the pipe early would make
# `sort` fail under pipefail and end the script without a word.
mapfile -t corpus < <(find "$APIS_GURU" -type f \( -name '*.json' -o -name '*.yaml' \) | sort)
for file in "${corpus[@]:0:199}"; do
  relative=${file#"$APIS_GURU"/}
  mkdir -p "$work/sample/specs/$(dirname "$relative")"
  cp "$file" "$work/sample/specs/$relative"
done

# One run: prints "wall cpu rss_mb" or "limit" when the time limit stopped it.
run_once() {
  local limit=$1; shift
  local log="$work/time.log" start end status=0
  start=$(date +%s.%N)
  timeout "$limit" /usr/bin/time -v "$@" > /dev/null 2> "$log" || status=$?
  end=$(date +%s.%N)
  if [ "$status" -eq 124 ]; then
    echo limit
    return
  fi
  awk -F': ' -v wall="$(echo "$end - $start" | bc)" '
    /User time/ {user = $2} /System time/ {sys = $2} /Maximum resident/ {rss = $2}
    END {printf "%.2f %.2f %d\n", wall, user + sys, rss / 1024}' "$log"
}

# Median of RUNS runs, as one Markdown cell group: wall | CPU | memory.
measure() {
  local limit=$1; shift
  local results=() i
  for ((i = 0; i < runs; i++)); do
    results+=("$(run_once "$limit" "$@")")
    if [ "${results[-1]}" = limit ]; then
      printf '> %d s | > %d s | — ' "$limit" "$limit"
      return
    fi
  done
  printf '%s\n' "${results[@]}" | sort -n -k2 | sed -n "$(((runs + 1) / 2))p" |
    awk '{printf "%.2f s | %.2f s | %d MB ", $1, $2, $3}'
}

row() {
  local workload=$1 tool=$2 limit=$3; shift 3
  printf '| %s | %s | %s|\n' "$workload" "$tool" "$(measure "$limit" "$@")"
}

echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), median of $runs runs."
echo
echo "| workload | tool | wall | CPU | peak memory |"
echo "|---|---|---|---|---|"
for input in spec.json spec.yaml; do
  name="GitHub REST ${input##*.} ($(du -h "$work/github/$input" | cut -f1))"
  row "$name" routeguard 600 "$routeguard" lint --root "$work/github" --format json "$work/github/$input"
  row "$name" Redocly "$peer_limit" "$REDOCLY" lint --format=json "$work/github/$input"
  row "$name" Spectral "$peer_limit" "$SPECTRAL" lint -r "$SPECTRAL_RULESET" -f json "$work/github/$input"
done
name="APIs.guru, first 199 specs ($(du -sh "$work/sample/specs" | cut -f1))"
row "$name" routeguard 600 "$routeguard" lint --root "$work/sample" --format json "$work/sample/specs"
row "$name" Redocly "$peer_limit" "$REDOCLY" lint --format=json "$work/sample/specs"/*/*.json "$work/sample/specs"/*.json
row "$name" Spectral "$peer_limit" "$SPECTRAL" lint -r "$SPECTRAL_RULESET" -f json "$work/sample/specs/**/*.json"
guru_root=$(dirname "$APIS_GURU")
name="APIs.guru directory ($(find "$APIS_GURU" -type f -name '*.json' | wc -l) specs, $(du -sh "$APIS_GURU" | cut -f1))"
row "$name" routeguard 600 "$routeguard" lint --root "$guru_root" --format json "$APIS_GURU"
row "$name" Redocly "$peer_limit" "$REDOCLY" lint --format=json "$APIS_GURU/**/*.json"
row "$name" Spectral "$peer_limit" "$SPECTRAL" lint -r "$SPECTRAL_RULESET" -f json "$APIS_GURU/**/*.json"

# The floors: saphyr-parser's event stream and the tree built from it over the same YAML file,
# and the JSON tree beside jiter validating the same JSON, measured by criterion in one run
# (`benches/stages.rs`).
echo
echo "Parse-only floors over the GitHub REST description (criterion, median):"
echo
ROUTEGUARD_BENCH_YAML="$work/github/spec.yaml" cargo bench --manifest-path "$here/Cargo.toml" \
  --bench stages -- 'load/.*/file' 2> /dev/null |
  awk '/^load\// {name = $1; shown = 0}
       /time:/ && !shown {
         gsub(/\[|\]/, "")
         for (i = 1; i <= NF; i++) if ($i == "time:") break
         print "- `" name "`: " $(i + 3) " " $(i + 4)
         shown = 1
       }'
