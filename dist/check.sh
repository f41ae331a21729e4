#!/usr/bin/env bash
# Builds the artifacts the release pipeline ships that this machine can build, installs each as
# a user would (with no Rust toolchain on PATH), and runs `routeguard --version` and
# `routeguard lint fixtures/demo` (exit 1: the demo has error findings) from each:
#
#   binary      the `dist` profile (static musl on Linux x86_64 when the target is installed),
#               at most 10 MB; archived with its SHA-256 as the release does, and installed
#               through the GitHub Action's own install step from that folder
#   wheel       maturin (from PyPI, in a virtualenv) packs that binary; pip installs it into a
#               fresh virtualenv
#   npm         npm/stage.sh packs the launcher and this platform's package; npm installs them
#               into a fresh prefix
#   pre-commit  both hooks, through a local mirror repository, install that wheel and run
#   container   the Dockerfile's image, where a Docker daemon answers
#
#   dist/check.sh          the release build (minutes: lto, one codegen unit)
#   dist/check.sh --fast   reuses the debug build target/debug/routeguard (CI: .ci/run's tests
#                          build it) and packs the wheel from it, and skips pre-commit (its hook
#                          environments take half a minute to set up): it checks the packaging,
#                          not the optimised build
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
out="$root/dist/out"
fast=false
if [ "${1:-}" = --fast ]; then fast=true; fi
rm -rf "$out"
mkdir -p "$out"

# The installs run without cargo, rustc or rustup anywhere on PATH.
no_rust_path="$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -e '\.cargo/bin' -e '\.rustup' | paste -sd ':' -)"
no_rust() {
  env PATH="$no_rust_path" CARGO_HOME=/nonexistent RUSTUP_HOME=/nonexistent "$@"
}

now() { date +%s.%N; }
seconds_since() { awk -v start="$1" -v end="$(now)" 'BEGIN { printf "%.1f", end - start }'; }

# Runs `--version` and the demo lint with BINARY; the demo must exit 1.
smoke() {
  local label="$1" binary="$2" status=0
  printf '%s: %s\n' "$label" "$(no_rust "$binary" --version)"
  no_rust "$binary" lint fixtures/demo > /dev/null || status=$?
  if [ "$status" -ne 1 ]; then
    echo "$label: \`routeguard lint fixtures/demo\` exited $status, expected 1" >&2
    exit 1
  fi
  echo "$label: lint fixtures/demo exited 1 (findings), as expected"
}

echo "== binary"
host="$(rustc -vV | sed -n 's/^host: //p')"
if $fast; then
  target="$host"
  [ -x target/debug/routeguard ] || cargo build --locked
  binary="$root/target/debug/routeguard"
  echo "reusing target/debug/routeguard (dev profile, $host)"
else
  target="$host"
  if [ "$host" = x86_64-unknown-linux-gnu ] && rustup target list --installed 2> /dev/null | grep -qx x86_64-unknown-linux-musl; then
    target=x86_64-unknown-linux-musl
  fi
  start="$(now)"
  cargo build --locked --profile dist --target "$target"
  echo "dist build for $target: $(seconds_since "$start") s"
  binary="$root/target/$target/dist/routeguard"
  size="$(wc -c < "$binary")"
  echo "binary size: $size bytes ($(awk -v s="$size" 'BEGIN { printf "%.2f", s / 1048576 }') MiB)"
  if [ "$size" -gt $((10 * 1024 * 1024)) ]; then
    echo "the binary is larger than 10 MiB" >&2
    exit 1
  fi
fi
file "$binary" 2> /dev/null || true
smoke binary "$binary"

echo "== release archive and the Action's install step"
release="$out/release"
mkdir -p "$release/stage"
cp "$binary" "$release/stage/routeguard"
# Named as the Linux x86_64 release archive, which the install step asks for on this runner.
archive="routeguard-x86_64-unknown-linux-musl.tar.gz"
tar -czf "$release/$archive" -C "$release/stage" routeguard
(cd "$release" && sha256sum "$archive" > "$archive.sha256" && cat "$archive.sha256")
rm -rf "$release/stage"
start="$(now)"
no_rust env RUNNER_OS=Linux RUNNER_ARCH=X64 RUNNER_TEMP="$out" GITHUB_OUTPUT="$out/action-output" \
  GITHUB_PATH="$out/action-path" VERSION="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)" \
  ARCHIVE="$archive" DIR="$out/action-tool-cache" RELEASE_URL="file://$release" \
  bash dist/action.sh install
echo "action install: $(seconds_since "$start") s"
smoke action "$out/action-tool-cache/bin/routeguard"

echo "== wheel"
# The build tools' virtualenv is kept between runs (under target/, beside Cargo's build cache).
tools="$root/target/dist-tools"
if [ ! -x "$tools/bin/maturin" ]; then
  python3 -m venv "$tools"
  "$tools/bin/pip" install --quiet --disable-pip-version-check "maturin>=1.9,<2.0"
fi
start="$(now)"
if $fast; then
  "$tools/bin/maturin" build --profile dev --out "$out/wheels" --quiet
else
  "$tools/bin/maturin" build --target "$target" --out "$out/wheels" \
    --compatibility manylinux2014 --compatibility musllinux_1_2
fi
echo "wheel build: $(seconds_since "$start") s"
wheel="$(ls "$out"/wheels/routeguard-*.whl)"
echo "wheel: $(basename "$wheel") ($(wc -c < "$wheel") bytes)"
python3 -m venv "$out/pip-venv"
start="$(now)"
no_rust "$out/pip-venv/bin/pip" install --quiet --disable-pip-version-check --no-index "$wheel"
echo "pip install: $(seconds_since "$start") s"
smoke pip "$out/pip-venv/bin/routeguard"

echo "== npm"
npm_platform="$(node -p 'process.platform + "-" + process.arch')"
mkdir -p "$out/binaries/binary-$npm_platform"
cp "$binary" "$out/binaries/binary-$npm_platform/routeguard"
bash npm/stage.sh "$out/binaries" "$out/npm" --allow-missing
rm -rf "$out/binaries"
start="$(now)"
no_rust npm install --global --prefix "$out/npm-prefix" --no-audit --no-fund --loglevel=error \
  "$out"/npm/routeguard-*.tgz
echo "npm install: $(seconds_since "$start") s"
smoke npm "$out/npm-prefix/bin/routeguard"

echo "== pre-commit"
if $fast; then
  echo "skipped with --fast"
else
  # The hooks as users get them: a mirror repository (this .pre-commit-hooks.yaml and the mirror's
  # pyproject.toml) whose install pulls routeguard's wheel; the wheel comes from this build.
  "$tools/bin/pip" install --quiet --disable-pip-version-check pre-commit
  mirror="$out/pre-commit-mirror"
  project="$out/pre-commit-project"
  mkdir -p "$mirror" "$project"
  cp .pre-commit-hooks.yaml dist/pre-commit-mirror/pyproject.toml "$mirror/"
  version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
  git -C "$mirror" init --quiet
  git -C "$mirror" add -A
  git -C "$mirror" -c user.name=check -c user.email=check@localhost commit --quiet -m mirror
  git -C "$mirror" tag "v$version"
  cp -R fixtures/demo/. "$project/"
  printf 'repos:\n  - repo: %s\n    rev: v%s\n    hooks: [{id: routeguard}, {id: routeguard-staged}]\n' \
    "$mirror" "$version" > "$project/.pre-commit-config.yaml"
  git -C "$project" init --quiet
  git -C "$project" add -A
  start="$(now)"
  status=0
  (cd "$project" && no_rust env PRE_COMMIT_HOME="$out/pre-commit-home" PIP_FIND_LINKS="$out/wheels" \
    "$tools/bin/pre-commit" run > "$out/pre-commit.log" 2>&1) || status=$?
  echo "pre-commit, first run (hook environments and the wheel installed): $(seconds_since "$start") s"
  grep -E '^routeguard' "$out/pre-commit.log"
  # Both hooks run routeguard, which finds the demo's errors: pre-commit fails with 1.
  [ "$status" -eq 1 ] && [ "$(grep -c '^- exit code: 1$' "$out/pre-commit.log")" -eq 2 ] \
    || { cat "$out/pre-commit.log" >&2; echo "pre-commit: expected both hooks to fail on the demo" >&2; exit 1; }
  echo "pre-commit: both hooks ran routeguard from the wheel and failed on the demo's errors, as expected"
fi

echo "== container"
if docker info > /dev/null 2>&1; then
  start="$(now)"
  docker build --tag routeguard:check .
  echo "image build: $(seconds_since "$start") s"
  docker run --rm routeguard:check --version
  status=0
  docker run --rm -v "$root:/src" routeguard:check lint fixtures/demo > /dev/null || status=$?
  [ "$status" -eq 1 ] || { echo "container: lint exited $status, expected 1" >&2; exit 1; }
  echo "container: lint fixtures/demo exited 1 (findings), as expected"
else
  echo "no Docker daemon answers here: the image was not built (the release workflow builds it)"
fi

echo "== all artifacts installed and ran"
