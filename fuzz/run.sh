#!/bin/sh
# Builds every fuzz target with libFuzzer's coverage flags (as cargo-fuzz does) and runs each for
# SECONDS on one core from its seeded corpus. Needs the nightly toolchain; without it, says so.
#   fuzz/run.sh [SECONDS] [TARGET...]
set -eu
cd "$(dirname "$0")"
seconds=${1:-30}
[ $# -gt 0 ] && shift
targets=${*:-"yaml json toml config pipeline structured kong envoy kubernetes traefik krakend apisix openapi ai spring tyk"}
if ! cargo +nightly --version > /dev/null 2>&1; then
  echo "fuzz: no nightly toolchain; install one with \`rustup toolchain install nightly\`" >&2
  exit 0
fi
triple=$(rustc -vV | sed -n 's/^host: //p')
RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks" \
  cargo +nightly build --release --bins --target "$triple"
./seed.sh
mkdir -p corpus/structured artifacts
# Every target runs even when one fails, so that one run reports every target that fails.
failed=""
for target in $targets; do
  echo "== fuzz $target (${seconds}s)"
  "./target/$triple/release/$target" "corpus/$target" -dict=routeguard.dict \
    -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=20 \
    -artifact_prefix="artifacts/$target-" -print_final_stats=1 || failed="$failed $target"
done
if [ -n "$failed" ]; then
  echo "fuzz: failed:$failed; the inputs are in fuzz/artifacts/" >&2
  exit 1
fi
