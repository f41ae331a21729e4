#!/bin/sh
# Seeds each target's corpus from the fixtures (kept out of git: fuzz/corpus is regenerated).
set -eu
cd "$(dirname "$0")"
for target in yaml json toml config gateways pipeline; do mkdir -p "corpus/$target"; done
find ../fixtures -type f \( -name '*.yaml' -o -name '*.yml' \) -size -64k -exec cp {} corpus/yaml/ \;
find ../fixtures -type f -name '*.json' -size -64k -exec cp {} corpus/json/ \;
find ../fixtures -type f -name '*.toml' -size -64k -exec cp {} corpus/toml/ \;
find ../fixtures/config -type f -name '*.yaml' -exec cp {} corpus/config/ \;
cp ../rules/presets/*.yaml corpus/config/
for file in corpus/yaml/* corpus/json/*; do
  # The gateways target reads a header-picking first byte, then the document.
  { printf '\000'; cat "$file"; } > "corpus/gateways/$(basename "$file")"
done
cp corpus/yaml/* corpus/json/* corpus/pipeline/
