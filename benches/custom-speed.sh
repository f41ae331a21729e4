#!/usr/bin/env bash
# CPU time of a 30-rule Spectral ruleset on GitHub's REST API description, against routeguard's
# built-in preset on the same spec, and against Spectral with the same ruleset. Not run in CI.
#   bash benches/custom-speed.sh [SPEC]     (default: GitHub's REST API description, 13 MB JSON)
# The ruleset is the 30 first rules of the vendored SPS Commerce rulesets (naming, then URL
# structure), every one of which routeguard runs. Prints the median of three runs (user + system
# seconds) per routeguard setup, and one run of Spectral, which takes minutes (SPECTRAL_RUNS=0
# leaves it out). Runs on the machine as it is: close other work; the load average is printed
# before and after, since CPU seconds on a busy machine run higher than on an idle one.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
peers_script=${PEERS_SCRIPT:-$here/../shared/bench/peers.sh}
eval "$(bash "$peers_script")"
routeguard=${ROUTEGUARD:-$here/target/release/routeguard}
spec=${1:-$GITHUB_SPEC}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/.git"
python3 - "$here" "$work/thirty.spectral.yaml" <<'EOF'
import sys, yaml
here, out = sys.argv[1], sys.argv[2]
rules = {}
for name in ("naming", "url-structure"):
    data = yaml.safe_load(open(f"{here}/fixtures/spectral/sps/{name}.ruleset.yml"))
    for rule, body in data["rules"].items():
        if isinstance(body, dict) and "given" in body and len(rules) < 30:
            rules[rule] = body
assert len(rules) == 30, len(rules)
yaml.safe_dump({"rules": rules}, open(out, "w"), sort_keys=False)
EOF
printf 'extends: recommended\n' > "$work/preset.yaml"
printf 'extends: [off, ./thirty.spectral.yaml]\n' > "$work/ruleset.yaml"
printf 'extends: [recommended, ./thirty.spectral.yaml]\n' > "$work/both.yaml"
cp "$spec" "$work/spec.${spec##*.}"
input="$work/spec.${spec##*.}"

# Median of RUNS runs of the command, in CPU seconds (user + system).
median_cpu() {
  local count=$1; shift
  local runs=()
  for _ in $(seq "$count"); do
    /usr/bin/time -f '%U %S' -o "$work/time" "$@" > /dev/null 2>&1 || true
    runs+=("$(tail -n 1 "$work/time" | awk '{ printf "%.2f", $1 + $2 }')")
  done
  printf '%s\n' "${runs[@]}" | sort -n | sed -n "$(( (count + 1) / 2 ))p"
}
echo "== $(basename "$spec") ($(du -h "$spec" | cut -f1)), CPU seconds, median of 3"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for setup in preset ruleset both; do
  printf '%-28s %8s\n' "routeguard $setup" \
    "$(median_cpu 3 "$routeguard" lint --root "$work" --config "$work/$setup.yaml" --format json "$input")"
done
if [ "${SPECTRAL_RUNS:-1}" != 0 ]; then
  printf '%-28s %8s\n' "spectral 30 rules" \
    "$(median_cpu 1 "$SPECTRAL" lint -r "$work/thirty.spectral.yaml" -f json "$input")"
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
