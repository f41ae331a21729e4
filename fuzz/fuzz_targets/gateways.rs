//! Every adapter family: the first byte picks a gateway's header, the rest is its document, and
//! the whole pipeline runs on it, so that each adapter sees shapes it recognises.
#![no_main]

use libfuzzer_sys::fuzz_target;

const HEADERS: &[(&str, &str)] = &[
    ("kong.yaml", "_format_version: '3.0'\n"),
    ("envoy.yaml", "static_resources:\n"),
    ("istio.yaml", "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"),
    ("route.yaml", "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"),
    ("traefik.yaml", "http:\n"),
    ("traefik.toml", "[http]\n"),
    ("krakend.json", ""),
    ("apisix.yaml", "routes:\n"),
    ("aws.yaml", "openapi: 3.0.1\nx-amazon-apigateway-integration: {}\n"),
    ("litellm.yaml", "model_list:\n"),
    ("portkey.json", ""),
    ("openapi.yaml", "openapi: 3.1.0\n"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let (name, header) = HEADERS[usize::from(pick) % HEADERS.len()];
    let mut text = header.as_bytes().to_vec();
    text.extend_from_slice(body);
    routeguard_fuzz::lint_one(name, &text);
});
