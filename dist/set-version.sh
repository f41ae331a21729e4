#!/usr/bin/env bash
# Sets the version everywhere a release names it: Cargo.toml (and Cargo.lock), the npm packages
# and their optional dependencies, and the pre-commit mirror's pin. The release test
# (tests/it/release.rs) fails when any of them disagree.
#
#   dist/set-version.sh 0.2.0
set -euo pipefail
version="${1:?usage: dist/set-version.sh X.Y.Z}"
case "$version" in
  [0-9]*.[0-9]*.[0-9]*) ;;
  *) echo "not a version: $version" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
old="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"

# The first `version = ` line of each file is the package's own.
sed -i.bak "0,/^version = \"$old\"$/s//version = \"$version\"/" Cargo.toml
sed -i.bak -e "s/^version = \"$old\"$/version = \"$version\"/" \
  -e "s/\"routeguard==$old\"/\"routeguard==$version\"/" dist/pre-commit-mirror/pyproject.toml
for manifest in npm/*/package.json; do
  sed -i.bak -e "s/\"version\": \"$old\"/\"version\": \"$version\"/" \
    -e "s/\(\"@routeguard\/cli-[a-z0-9-]*\": \)\"$old\"/\1\"$version\"/" "$manifest"
done

rm -f Cargo.toml.bak dist/pre-commit-mirror/pyproject.toml.bak npm/*/package.json.bak
cargo update --workspace --offline > /dev/null 2>&1 || cargo update --workspace
echo "routeguard $old -> $version; now move CHANGELOG.md's Unreleased section under ## [$version] - $(date +%F)"
