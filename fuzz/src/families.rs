//! The adapter families, one fuzz target each: the adapters each confines detection to, and its
//! gateways in the order of the pick byte (`fuzz/seed.sh` numbers each family's seeds the same
//! way). They are grouped by the code they share: the Kubernetes family's adapters share the
//! policy attachment, the OpenAPI family's the description reader and `$ref` resolution, the AI
//! family's the fallback graph.

use crate::{Family, Gateway};

/// A route for the Kubernetes policies below to attach to: most of their adapters read nothing
/// from a policy whose target is missing.
const ROUTE: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: n}\nspec:\n  parentRefs: [{name: g}]\n  rules: [{backendRefs: [{name: s, port: 80}]}]\n---\n";

const fn gateway(name: &'static str, header: &'static str) -> Gateway {
    Gateway {
        name,
        before: "",
        header,
    }
}

/// Kong's declarative configuration; Kong Ingress Controller's objects are detected by their
/// content under the same name (its fixtures seed the target whole).
pub const KONG: Family = Family {
    adapters: &["kong"],
    gateways: &[gateway("kong.yaml", "_format_version: '3.0'\n")],
};

/// Envoy's bootstrap with static resources.
pub const ENVOY: Family = Family {
    adapters: &["envoy"],
    gateways: &[gateway("envoy.yaml", "static_resources:\n")],
};

/// The Kubernetes resources: Istio, Gateway API, Envoy Gateway, Linkerd, Kuma and ingress-nginx.
pub const KUBERNETES: Family = Family {
    adapters: &["istio", "gateway-api", "envoy-gateway", "linkerd", "kuma", "ingress-nginx"],
    gateways: &[
        gateway(
            "istio.yaml",
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\n",
        ),
        gateway(
            "route.yaml",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n",
        ),
        Gateway {
            name: "envoy-gateway.yaml",
            before: ROUTE,
            header: "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: BackendTrafficPolicy\nmetadata: {name: p, namespace: n}\n",
        },
        gateway(
            "linkerd.yaml",
            "apiVersion: policy.linkerd.io/v1beta3\nkind: HTTPRoute\n",
        ),
        gateway("kuma.yaml", "type: MeshRetry\nname: r\nmesh: default\n"),
        gateway(
            "ingress.yaml",
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  annotations:\n    nginx.ingress.kubernetes.io/proxy-read-timeout: '5'\n",
        ),
    ],
};

/// Traefik's dynamic configuration, in YAML and in TOML.
pub const TRAEFIK: Family = Family {
    adapters: &["traefik"],
    gateways: &[
        gateway("traefik.yaml", "http:\n"),
        gateway("traefik.toml", "[http]\n"),
    ],
};

/// KrakenD's configuration.
pub const KRAKEND: Family = Family {
    adapters: &["krakend"],
    gateways: &[gateway("krakend.json", "")],
};

/// APISIX's standalone configuration.
pub const APISIX: Family = Family {
    adapters: &["apisix"],
    gateways: &[gateway("apisix.yaml", "routes:\n")],
};

/// API descriptions: plain OpenAPI, AWS API Gateway's and Google's extensions of it.
pub const OPENAPI: Family = Family {
    adapters: &["openapi", "aws", "google"],
    gateways: &[
        gateway("openapi.yaml", "openapi: 3.1.0\n"),
        gateway(
            "aws.yaml",
            "openapi: 3.0.1\nx-amazon-apigateway-integration: {}\n",
        ),
        gateway(
            "google.yaml",
            "swagger: '2.0'\nx-google-backend: {address: 'https://b.example'}\n",
        ),
    ],
};

/// The AI gateways: LiteLLM's proxy configuration and Portkey's gateway configuration.
pub const AI: Family = Family {
    adapters: &["litellm", "portkey"],
    gateways: &[
        gateway("litellm.yaml", "model_list:\n"),
        gateway("portkey.json", ""),
    ],
};

/// Spring Cloud Gateway's application properties.
pub const SPRING: Family = Family {
    adapters: &["spring-cloud-gateway"],
    gateways: &[gateway("application.yml", "spring.cloud.gateway:\n")],
};

/// Tyk's API definitions, in JSON and in YAML.
pub const TYK: Family = Family {
    adapters: &["tyk"],
    gateways: &[
        gateway("tyk.json", ""),
        gateway("tyk.yaml", "api_id: a\nproxy: {listen_path: /}\n"),
    ],
};
