#!/bin/sh
# Keeps each target's corpus for the next campaign: minimizes it with libFuzzer's `-merge=1`
# (the fewest inputs that reach every feature the corpus reaches) and packs it as
# fuzz/corpora/TARGET.tar.xz, which fuzz/seed.sh unpacks. Build the targets first.
#   fuzz/keep.sh TARGET...
set -eu
cd "$(dirname "$0")"
triple=$(rustc -vV | sed -n 's/^host: //p')
mkdir -p corpora
for target in "$@"; do
  minimized=$(mktemp -d)
  "./target/$triple/release/$target" -merge=1 -rss_limit_mb=4096 -timeout=60 \
    "$minimized" "corpus/$target" 2>&1 | grep -E '^MERGE-OUTER: [0-9]+ new files' || true
  # Sorted names and fixed metadata: the same corpus packs to the same bytes.
  (cd "$minimized" && find . -type f | LC_ALL=C sort |
    tar --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - -T -) | xz -9 > "corpora/$target.tar.xz"
  echo "$target: $(find "$minimized" -type f | wc -l) inputs, $(du -h "corpora/$target.tar.xz" | cut -f1) packed"
  rm -rf "$minimized"
done
