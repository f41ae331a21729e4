#!/usr/bin/env bash
# The steps of routeguard's GitHub Action (action.yml), in one script that also runs outside
# GitHub: dist/test-action.sh drives it against a fake release folder.
#
#   action.sh resolve   which version and target to install, where, and under which cache key
#   action.sh install   the release archive for this runner, checksum verified; a build from
#                       source only when the release has no such archive
#   action.sh lint      runs routeguard with the action's inputs (paths may be globs)
#   action.sh summary   writes a short Markdown summary to $GITHUB_STEP_SUMMARY
#   action.sh scorecard appends the governance scorecard to $GITHUB_STEP_SUMMARY
#
# Inputs are environment variables (see each command); outputs go to $GITHUB_OUTPUT, $GITHUB_PATH
# and $GITHUB_STEP_SUMMARY, which default to files under $RUNNER_TEMP when run by hand.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source_dir="${ACTION_PATH:-$(dirname "$here")}"
runner_temp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
github_output="${GITHUB_OUTPUT:-$runner_temp/github-output}"
github_path="${GITHUB_PATH:-$runner_temp/github-path}"
step_summary="${GITHUB_STEP_SUMMARY:-$runner_temp/step-summary.md}"

die() {
  echo "::error title=routeguard setup::$*" >&2
  exit 2
}

# The Rust target of the release archive for this runner (RUNNER_OS, RUNNER_ARCH as GitHub names
# them). Linux binaries are static musl builds, so they run on any distribution.
release_target() {
  case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
    Linux/X64) echo x86_64-unknown-linux-musl ;;
    Linux/ARM64) echo aarch64-unknown-linux-musl ;;
    macOS/X64) echo x86_64-apple-darwin ;;
    macOS/ARM64) echo aarch64-apple-darwin ;;
    Windows/X64) echo x86_64-pc-windows-msvc ;;
    *) echo "" ;;
  esac
}

# The package version in the action's own Cargo.toml: what `uses: …@vX.Y.Z` stands for.
source_version() {
  sed -n 's/^version = "\(.*\)"$/\1/p' "$source_dir/Cargo.toml" | head -n 1
}

sha256_of() {
  if command -v sha256sum > /dev/null; then
    sha256sum "$1" | cut -d ' ' -f 1
  else
    shasum -a 256 "$1" | cut -d ' ' -f 1
  fi
}

# Fetches URL into FILE. Exit status 0: fetched; 3: there is no such file (HTTP 404, or a
# missing file:// path); anything else is an error worth stopping for.
fetch() {
  local url="$1" file="$2" status=0
  local code
  code="$(curl --silent --show-error --location --fail --retry 3 --retry-connrefused \
    --output "$file" --write-out '%{http_code}' "$url")" || status=$?
  if [ "$status" -eq 0 ]; then
    return 0
  fi
  # 22: HTTP error (curl --fail); 37: file:// that cannot be read.
  if { [ "$status" -eq 22 ] && [ "$code" = 404 ]; } || [ "$status" -eq 37 ]; then
    return 3
  fi
  echo "cannot download $url (curl exit $status, HTTP ${code:-none})" >&2
  return 1
}

binary_name() {
  case "${RUNNER_OS:-}" in
    Windows) echo routeguard.exe ;;
    *) echo routeguard ;;
  esac
}

# Outputs: version, target, archive, dir (the install root), cache-key.
cmd_resolve() {
  local version="${ROUTEGUARD_VERSION:-}"
  version="${version#v}"
  if [ -z "$version" ]; then
    version="$(source_version)"
  fi
  [ -n "$version" ] || die "cannot tell which routeguard version to install"
  local target archive_ext archive key
  target="$(release_target)"
  archive_ext=tar.gz
  if [ "${RUNNER_OS:-}" = Windows ]; then archive_ext=zip; fi
  archive=""
  if [ -n "$target" ]; then archive="routeguard-$target.$archive_ext"; fi
  # A build from source is cached under a hash of the sources it was built from, so that a
  # branch of the action never reuses another commit's binary.
  key="routeguard-$version-${RUNNER_OS:-unknown}-${RUNNER_ARCH:-unknown}"
  if [ "$version" = "$(source_version)" ] && [ -d "$source_dir/src" ]; then
    key="$key-$(cd "$source_dir" && find Cargo.toml Cargo.lock build.rs src rules -type f | LC_ALL=C sort \
      | xargs cat | { sha256sum 2> /dev/null || shasum -a 256; } | cut -c 1-16)"
  fi
  local dir="${ROUTEGUARD_INSTALL_DIR:-${RUNNER_TOOL_CACHE:-$runner_temp}/routeguard/$version-${target:-source}}"
  {
    echo "version=$version"
    echo "target=$target"
    echo "archive=$archive"
    echo "dir=$dir"
    echo "cache-key=$key"
  } >> "$github_output"
  echo "routeguard $version for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}: ${archive:-no release archive, builds from source}"
}

# Inputs: VERSION, TARGET, ARCHIVE, DIR from resolve; RELEASE_URL (the release's download
# folder, https://github.com/OWNER/REPO/releases/download/vX.Y.Z, or a file:// folder).
# Output: how (cached, release, source).
cmd_install() {
  local version="${VERSION:?}" archive="${ARCHIVE:-}" dir="${DIR:?}" release_url="${RELEASE_URL:?}"
  local bin_dir="$dir/bin" exe
  exe="$bin_dir/$(binary_name)"
  local how
  if [ -x "$exe" ] && "$exe" --version 2> /dev/null | grep -q "^routeguard $version\b"; then
    how=cached
  else
    rm -rf "$dir"
    mkdir -p "$bin_dir"
    local work
    work="$(mktemp -d "$runner_temp/routeguard-download.XXXXXX")"
    local status=3
    if [ -n "$archive" ]; then
      status=0
      fetch "$release_url/$archive" "$work/$archive" || status=$?
    fi
    case "$status" in
      0)
        fetch "$release_url/$archive.sha256" "$work/$archive.sha256" \
          || die "the release has $archive but no $archive.sha256 to verify it against"
        local expected actual
        expected="$(cut -d ' ' -f 1 < "$work/$archive.sha256" | tr -d '\r\n' | tr 'A-F' 'a-f')"
        actual="$(sha256_of "$work/$archive")"
        if [ "$expected" != "$actual" ]; then
          rm -rf "$work" "$dir"
          die "checksum mismatch for $archive: expected $expected (from $archive.sha256), got $actual; the download is corrupt or was tampered with, so it is not installed"
        fi
        case "$archive" in
          *.zip) unzip -q -o "$work/$archive" -d "$work/unpacked" ;;
          *) mkdir -p "$work/unpacked" && tar -xzf "$work/$archive" -C "$work/unpacked" ;;
        esac
        [ -f "$work/unpacked/$(binary_name)" ] || die "$archive holds no $(binary_name)"
        mv "$work/unpacked/$(binary_name)" "$exe"
        chmod +x "$exe"
        how=release
        ;;
      3)
        echo "No release archive of routeguard $version for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}; building it from source (this takes minutes)."
        command -v cargo > /dev/null || die "no release archive for this runner and no cargo to build routeguard from source"
        if [ "$version" = "$(source_version)" ]; then
          cargo install --locked --path "$source_dir" --root "$dir"
        else
          cargo install --locked routeguard --version "$version" --root "$dir"
        fi
        how=source
        ;;
      *)
        rm -rf "$work"
        die "cannot download routeguard $version ($archive)"
        ;;
    esac
    rm -rf "$work"
  fi
  local installed
  installed="$("$exe" --version)" || die "the installed $exe does not run"
  echo "$bin_dir" >> "$github_path"
  echo "how=$how" >> "$github_output"
  echo "$installed ($how) in $bin_dir"
}

# Inputs: PATHS, CONFIG, FAIL_ON, ANNOTATIONS, SARIF_FILE, CATEGORY, EXTRA_ARGS. Output: exit-code.
# Paths are split on white space; a path with *, ? or [ is a glob (** crosses folders) and must
# match something.
# The PATHS input split on white space into the array `paths`, globs expanded.
read_paths() {
  local word
  paths=()
  shopt -s nullglob
  shopt -s globstar 2> /dev/null || true
  read -r -d '' -a words <<< "${PATHS:-.}" || true
  for word in "${words[@]}"; do
    case "$word" in
      *[*?[]*)
        # Unquoted on purpose: this is the glob expansion.
        # shellcheck disable=SC2206
        local matches=($word)
        [ "${#matches[@]}" -gt 0 ] || die "paths: \`$word\` matches no file"
        paths+=("${matches[@]}")
        ;;
      *) paths+=("$word") ;;
    esac
  done
  shopt -u nullglob
}

cmd_lint() {
  local paths=() extra=()
  read_paths
  read -r -d '' -a extra <<< "${EXTRA_ARGS:-}" || true
  local annotations_file="$runner_temp/routeguard-annotations.txt"
  local args=(lint "${paths[@]}" "${extra[@]}")
  if [ -n "${CONFIG:-}" ]; then args+=(--config "$CONFIG"); fi
  if [ -n "${FAIL_ON:-}" ]; then args+=(--fail-on "$FAIL_ON"); fi
  args+=(--format sarif -o "${SARIF_FILE:-routeguard.sarif}" --sarif-category "${CATEGORY:-routeguard}")
  args+=(--format github -o "$annotations_file")
  # The text report on the log either way; the annotations only when asked for.
  args+=(--format text)
  local code=0
  "${ROUTEGUARD:-routeguard}" "${args[@]}" || code=$?
  if [ "${ANNOTATIONS:-true}" = true ] && [ -f "$annotations_file" ]; then
    cat "$annotations_file"
  fi
  echo "exit-code=$code" >> "$github_output"
}

# Inputs: CODE (lint's exit code), FAIL_ON, SARIF_FILE, UPLOADED ("true" when sent to code
# scanning). Counts findings by severity and rule from the annotations lint wrote.
cmd_summary() {
  local annotations_file="$runner_temp/routeguard-annotations.txt" code="${CODE:-}"
  local errors=0 warnings=0 notices=0
  if [ -f "$annotations_file" ]; then
    errors="$(grep -c '^::error ' "$annotations_file" || true)"
    warnings="$(grep -c '^::warning ' "$annotations_file" || true)"
    notices="$(grep -c '^::notice ' "$annotations_file" || true)"
  fi
  {
    echo "### routeguard"
    echo
    case "$code" in
      0) echo "Passed: no finding at or above \`${FAIL_ON:-error}\`." ;;
      1) echo "Failed: findings at or above \`${FAIL_ON:-error}\`." ;;
      *) echo "routeguard could not run (exit code ${code:-unknown}); its error is in the step's log." ;;
    esac
    if [ "$code" = 0 ] || [ "$code" = 1 ]; then
      echo
      echo "| errors | warnings | infos |"
      echo "|---:|---:|---:|"
      echo "| $errors | $warnings | $notices |"
      if [ $((errors + warnings + notices)) -gt 0 ]; then
        echo
        echo "| rule | findings |"
        echo "|---|---:|"
        sed -n 's/^::[a-z]* .*title=\([a-z0-9-]*\)::.*/\1/p' "$annotations_file" \
          | sort | uniq -c | sort -k 1,1nr -k 2 | head -n 10 \
          | while read -r count rule; do echo "| \`$rule\` | $count |"; done
      fi
      echo
      if [ "${UPLOADED:-false}" = true ]; then
        echo "SARIF report \`${SARIF_FILE:-routeguard.sarif}\` uploaded to code scanning."
      else
        echo "SARIF report written to \`${SARIF_FILE:-routeguard.sarif}\`."
      fi
    fi
  } >> "$step_summary"
}

# Inputs: PATHS, CONFIG. Appends the governance scorecard (Markdown, at most 65,535 characters)
# to the job summary.
cmd_scorecard() {
  local paths=()
  read_paths
  local args=(report "${paths[@]}" --format markdown)
  if [ -n "${CONFIG:-}" ]; then args+=(--config "$CONFIG"); fi
  {
    echo
    "${ROUTEGUARD:-routeguard}" "${args[@]}"
  } >> "$step_summary" || echo "::warning title=routeguard::the scorecard could not be written"
}

case "${1:-}" in
  resolve) cmd_resolve ;;
  install) cmd_install ;;
  lint) cmd_lint ;;
  summary) cmd_summary ;;
  scorecard) cmd_scorecard ;;
  *)
    echo "usage: $0 resolve|install|lint|summary|scorecard" >&2
    exit 2
    ;;
esac
