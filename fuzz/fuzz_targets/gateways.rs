//! Every adapter family: the first byte picks a gateway (its low bits) and whether its header is
//! prepended (high bit clear) or the rest is the gateway's whole document (high bit set, as the
//! seeds from each format's fixtures are), and the whole pipeline runs on it under the file name
//! that gateway's files carry, so that each adapter sees shapes it recognises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routeguard_fuzz::Reports;

/// A route for the Kubernetes policies below to attach to: most of their adapters read nothing
/// from a policy whose target is missing.
const ROUTE: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: n}\nspec:\n  parentRefs: [{name: g}]\n  rules: [{backendRefs: [{name: s, port: 80}]}]\n---\n";

/// The gateways in the order of their seeds' first byte (`fuzz/seed.sh` numbers them the same way).
const GATEWAYS: &[(&str, &str, &str)] = &[
    ("kong.yaml", "", "_format_version: '3.0'\n"),
    ("envoy.yaml", "", "static_resources:\n"),
    ("istio.yaml", "", "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"),
    ("route.yaml", "", "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"),
    ("traefik.yaml", "", "http:\n"),
    ("traefik.toml", "", "[http]\n"),
    ("krakend.json", "", ""),
    ("apisix.yaml", "", "routes:\n"),
    ("aws.yaml", "", "openapi: 3.0.1\nx-amazon-apigateway-integration: {}\n"),
    ("litellm.yaml", "", "model_list:\n"),
    ("portkey.json", "", ""),
    ("openapi.yaml", "", "openapi: 3.1.0\n"),
    (
        "envoy-gateway.yaml",
        ROUTE,
        "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: BackendTrafficPolicy\nmetadata: {name: p, namespace: n}\n",
    ),
    ("linkerd.yaml", "", "apiVersion: policy.linkerd.io/v1beta3\nkind: HTTPRoute\n"),
    ("kuma.yaml", "", "type: MeshRetry\nname: r\nmesh: default\n"),
    ("google.yaml", "", "swagger: '2.0'\nx-google-backend: {address: 'https://b.example'}\n"),
    (
        "ingress.yaml",
        "",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  annotations:\n    nginx.ingress.kubernetes.io/proxy-read-timeout: '5'\n",
    ),
    ("application.yml", "", "spring.cloud.gateway:\n"),
    ("tyk.json", "", ""),
    ("tyk.yaml", "", "api_id: a\nproxy: {listen_path: /}\n"),
];

/// The pick byte's bit that says "the document is whole, prepend nothing".
const WHOLE: u8 = 0x80;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let (name, before, header) = GATEWAYS[usize::from(pick & !WHOLE) % GATEWAYS.len()];
    let mut text = Vec::with_capacity(before.len() + header.len() + body.len());
    if pick & WHOLE == 0 {
        text.extend_from_slice(before.as_bytes());
        text.extend_from_slice(header.as_bytes());
    }
    text.extend_from_slice(body);
    routeguard_fuzz::lint_one(name, &text, Reports::Placed);
});
