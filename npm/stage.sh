#!/usr/bin/env bash
# Packs the npm packages: each platform package npm/cli-PLATFORM with its binary, taken from
# BINARIES/binary-PLATFORM/ (the release workflow's artifacts), and the `routeguard` launcher
# package, as tarballs in OUT. Every platform must have its binary, unless --allow-missing
# (dist/check.sh, which has only this machine's).
#
#   npm/stage.sh BINARIES OUT [--allow-missing]
set -euo pipefail
binaries="$(cd "${1:?usage: npm/stage.sh BINARIES OUT [--allow-missing]}" && pwd)"
mkdir -p "${2:?}"
out="$(cd "$2" && pwd)"
allow_missing="${3:-}"
npm_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$npm_dir")"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

for package in "$npm_dir"/cli-*/; do
  platform="$(basename "$package")"
  platform="${platform#cli-}"
  exe=routeguard
  case "$platform" in win32-*) exe=routeguard.exe ;; esac
  binary="$binaries/binary-$platform/$exe"
  if [ ! -f "$binary" ]; then
    if [ "$allow_missing" = --allow-missing ]; then
      echo "skipping @routeguard/cli-$platform: no $binary"
      continue
    fi
    echo "no binary for @routeguard/cli-$platform at $binary" >&2
    exit 1
  fi
  cp -R "$package" "$stage/cli-$platform"
  cp "$binary" "$stage/cli-$platform/$exe"
  chmod 755 "$stage/cli-$platform/$exe"
  cp "$root/LICENSE" "$stage/cli-$platform/"
  (cd "$stage/cli-$platform" && npm pack --silent --pack-destination "$out" > /dev/null)
done

cp -R "$npm_dir/routeguard" "$stage/routeguard"
cp "$root/LICENSE" "$stage/routeguard/"
(cd "$stage/routeguard" && npm pack --silent --pack-destination "$out" > /dev/null)
ls "$out"
