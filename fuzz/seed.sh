#!/bin/sh
# Seeds each target's corpus from the fixtures and from the corpora kept in fuzz/corpora (the
# working corpus, fuzz/corpus, stays out of git).
set -eu
cd "$(dirname "$0")"
for target in yaml json toml config gateways pipeline; do mkdir -p "corpus/$target"; done
find ../fixtures -type f \( -name '*.yaml' -o -name '*.yml' \) -size -64k -exec cp {} corpus/yaml/ \;
find ../fixtures -type f -name '*.json' -size -64k -exec cp {} corpus/json/ \;
find ../fixtures -type f -name '*.toml' -size -64k -exec cp {} corpus/toml/ \;
find ../fixtures/config -type f -name '*.yaml' -exec cp {} corpus/config/ \;
cp ../rules/presets/*.yaml corpus/config/
for file in corpus/yaml/* corpus/json/*; do
  # The gateways target reads a gateway-picking first byte, then the document; 0 picks Kong's
  # header, prepended to the document.
  { printf '\000'; cat "$file"; } > "corpus/gateways/$(basename "$file")"
done
# Each gateway's own fixtures, whole (the pick byte's high bit set, so no header is prepended),
# under the file name fuzz_targets/gateways.rs gives that gateway: PICK EXTENSIONS FOLDER...
whole() {
  pick=$1 extensions=$2
  shift 2
  byte=$(printf '\\%03o' $((128 + pick)))
  for folder in "$@"; do
    for extension in $extensions; do
      find "../fixtures/$folder" -type f -name "*.$extension" -size -64k | while read -r file; do
        name=$(printf '%s' "${file#../fixtures/}" | tr '/' '_')
        { printf "$byte"; cat "$file"; } > "corpus/gateways/whole-$pick-$name"
      done
    done
  done
}
whole 0 'yaml yml' kong real/kong
whole 1 'yaml yml' envoy real/envoy
whole 2 'yaml yml' istio real/istio
whole 3 'yaml yml' gateway-api real/gateway-api
whole 4 'yaml yml' traefik real/traefik
whole 5 toml traefik real/traefik
whole 6 json krakend real/krakend
whole 7 'yaml yml' apisix real/apisix
whole 8 'yaml yml json' aws real/aws
whole 9 'yaml yml' litellm real/litellm
whole 10 json portkey real/portkey
whole 11 'yaml yml' openapi real/openapi
whole 12 'yaml yml' envoy-gateway
whole 13 'yaml yml' linkerd
whole 14 'yaml yml' kuma
whole 15 'yaml yml json' google
whole 16 'yaml yml' ingress-nginx
whole 17 'yaml yml' spring-cloud-gateway
whole 18 json tyk
whole 19 'yaml yml' tyk
cp corpus/yaml/* corpus/json/* corpus/pipeline/
# The corpora earlier campaigns kept (fuzz/keep.sh), so that a campaign goes on from where the
# last one stopped rather than from the fixtures alone.
for kept in corpora/*.tar.xz; do
  [ -e "$kept" ] || continue
  target=$(basename "$kept" .tar.xz)
  mkdir -p "corpus/$target"
  xz -dc "$kept" | tar -xf - -C "corpus/$target"
done
