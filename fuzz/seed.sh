#!/bin/sh
# Seeds each target's corpus from the fixtures and from the corpora kept in fuzz/corpora (the
# working corpus, fuzz/corpus, stays out of git).
set -eu
cd "$(dirname "$0")"
families="kong envoy kubernetes traefik krakend apisix openapi ai spring tyk"
for target in yaml json toml config pipeline $families; do mkdir -p "corpus/$target"; done
find ../fixtures -type f \( -name '*.yaml' -o -name '*.yml' \) -size -64k -exec cp {} corpus/yaml/ \;
find ../fixtures -type f -name '*.json' -size -64k -exec cp {} corpus/json/ \;
find ../fixtures -type f -name '*.toml' -size -64k -exec cp {} corpus/toml/ \;
find ../fixtures/config -type f -name '*.yaml' -exec cp {} corpus/config/ \;
cp ../rules/presets/*.yaml corpus/config/
for family in $families; do
  for file in corpus/yaml/* corpus/json/*; do
    # Each adapter family's target reads a gateway-picking first byte, then the document; 0 picks
    # the family's first gateway, its header prepended to the document.
    { printf '\000'; cat "$file"; } > "corpus/$family/$(basename "$file")"
  done
done
# Each gateway's own fixtures, whole (the pick byte's high bit set, so no header is prepended),
# under the file name fuzz/src/families.rs gives that gateway: TARGET PICK EXTENSIONS FOLDER...
whole() {
  target=$1 pick=$2 extensions=$3
  shift 3
  byte=$(printf '\\%03o' $((128 + pick)))
  for folder in "$@"; do
    for extension in $extensions; do
      find "../fixtures/$folder" -type f -name "*.$extension" -size -64k | while read -r file; do
        name=$(printf '%s' "${file#../fixtures/}" | tr '/' '_')
        { printf "$byte"; cat "$file"; } > "corpus/$target/whole-$pick-$name"
      done
    done
  done
}
whole kong 0 'yaml yml' kong real/kong
whole envoy 0 'yaml yml' envoy real/envoy
whole kubernetes 0 'yaml yml' istio real/istio
whole kubernetes 1 'yaml yml' gateway-api real/gateway-api
whole kubernetes 2 'yaml yml' envoy-gateway real/envoy-gateway
whole kubernetes 3 'yaml yml' linkerd real/linkerd
whole kubernetes 4 'yaml yml' kuma real/kuma
whole kubernetes 5 'yaml yml' ingress-nginx real/ingress-nginx
whole traefik 0 'yaml yml' traefik real/traefik
whole traefik 1 toml traefik real/traefik
whole krakend 0 json krakend real/krakend
whole apisix 0 'yaml yml' apisix real/apisix
whole openapi 0 'yaml yml' openapi real/openapi
whole openapi 1 'yaml yml json' aws real/aws
whole openapi 2 'yaml yml json' google real/google
whole ai 0 'yaml yml' litellm real/litellm
whole ai 1 json portkey real/portkey
whole spring 0 'yaml yml' spring-cloud-gateway real/spring-cloud-gateway
whole tyk 0 json tyk real/tyk
whole tyk 1 'yaml yml' tyk real/tyk
# One copy per folder: after the kept corpora are unpacked, `yaml` and `json` share inputs of the
# same (content-hash) name, and one `cp` refuses to write a name twice.
cp -R corpus/yaml/. corpus/pipeline/
cp -R corpus/json/. corpus/pipeline/
# The corpora earlier campaigns kept (fuzz/keep.sh), so that a campaign goes on from where the
# last one stopped rather than from the fixtures alone.
for kept in corpora/*.tar.xz; do
  [ -e "$kept" ] || continue
  target=$(basename "$kept" .tar.xz)
  mkdir -p "corpus/$target"
  xz -dc "$kept" | tar -xf - -C "corpus/$target"
done
