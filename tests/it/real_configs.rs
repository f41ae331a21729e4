//! Every resilience rule on real public configurations (issue 4): each third-party fixture of
//! `fixtures/THIRD_PARTY.md` is linted alone (a spec and the gateway config generated from it,
//! from one upstream project, together) with every rule on, and the resilience findings are
//! pinned to their file, line and column. Each listed finding was read and is a true positive on
//! that file; the few that look wrong are left out by rule, per fixture, with the reason.

use crate::common;

use std::collections::BTreeSet;

use common::{lint_json, located, repo, Located};

/// `extends: all`: `fallback-missing` (info, off in the recommended preset) runs too.
const ALL_RULES: &str = "fixtures/config/valid/all.yaml";

/// The resilience rules of issue 4.
const RESILIENCE: &[&str] = &[
    "timeout-missing",
    "timeout-out-of-bounds",
    "per-try-timeout-exceeds-total",
    "timeout-exceeds-sla",
    "timeout-layer-inversion",
    "retry-excessive",
    "retry-non-idempotent",
    "retry-without-backoff",
    "retry-budget-exceeds-timeout",
    "retry-without-per-try-timeout",
    "retry-on-client-error",
    "retry-amplification",
    "circuit-breaker-missing",
    "circuit-breaker-ineffective",
    "fallback-missing",
    "fallback-without-health-signal",
    "health-check-missing",
    "health-check-timing",
    "retry-after-undocumented",
];

/// Rules no real public configuration exhibits yet, so their tests use made-up fixtures
/// (`tests/it/resilience.rs`, the catalog examples):
/// - `timeout-layer-inversion` and `retry-amplification` across layers need one project's spec
///   and two of its gateway layers in a row (an edge gateway in front of a mesh or an AI
///   gateway); `retry-amplification` within one AI gateway needs a chain of more than 10 calls.
/// - `retry-on-client-error`: public configurations retry on 408, 409, 429 and 5xx; a retried
///   404 or 400 only shows up in unit tests and in documentation without a route.
const NO_REAL_HIT: &[&str] = &[
    "timeout-layer-inversion",
    "retry-on-client-error",
    "retry-amplification",
    // The one real Kong example of it sits on a service whose only route Kong answers itself.
    "circuit-breaker-ineffective",
];

struct Case {
    /// Linted together: one real file, or one upstream project's spec and gateway config.
    paths: &'static [&'static str],
    /// Every resilience finding, except the rules of `counted` and `doubtful`.
    findings: &'static [(&'static str, &'static str, u64, u64)],
    /// Rules whose (many, alike) findings are only counted.
    counted: &'static [(&'static str, usize)],
    /// Rules whose findings on this fixture look wrong and are not asserted:
    /// - Gateway API `circuit-breaker-missing`: the Gateway API has no circuit breaker setting;
    ///   whether the backend has one depends on the implementation's own policies, which are
    ///   not linted, so "keeps sending traffic to it while it fails" is not established.
    /// - Gateway API `retry-without-backoff`: an unset `retry.backoff` is "implementation
    ///   specific" (GEP-1731), e.g. Envoy-based implementations wait 25 ms, so "retries
    ///   immediately" is not established.
    /// - AWS `circuit-breaker-missing`: API Gateway has no circuit breaker, outlier detection
    ///   or health check to configure; the finding cannot be acted on in that layer.
    /// - `lds.yaml` alone, `circuit-breaker-missing`: the cluster is defined in `cds.yaml`, so
    ///   linted alone nothing is known about it (linted with it, the finding is right).
    doubtful: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        paths: &["fixtures/kong/deck-service-input.yaml"],
        findings: &[],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/kong/deck-route-input.yaml"],
        findings: &[
            (
                "retry-excessive",
                "fixtures/kong/deck-route-input.yaml",
                2,
                5,
            ),
            (
                "retry-without-backoff",
                "fixtures/kong/deck-route-input.yaml",
                2,
                5,
            ),
            (
                "timeout-missing",
                "fixtures/kong/deck-route-input.yaml",
                2,
                5,
            ),
            (
                "fallback-missing",
                "fixtures/kong/deck-route-input.yaml",
                7,
                9,
            ),
            (
                "fallback-missing",
                "fixtures/kong/deck-route-input.yaml",
                10,
                9,
            ),
            (
                "fallback-missing",
                "fixtures/kong/deck-route-input.yaml",
                56,
                5,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/kong/deck-kong2tf-input.yaml"],
        // The service's only route ends in `aws-lambda` and `request-termination`: Kong answers
        // every request itself and the service is never called.
        findings: &[],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/kong/openapi2kong"],
        findings: &[
            (
                "retry-excessive",
                "fixtures/kong/openapi2kong/04-servers-upstream.expected.json",
                5,
                7,
            ),
            (
                "retry-without-backoff",
                "fixtures/kong/openapi2kong/04-servers-upstream.expected.json",
                5,
                7,
            ),
            (
                "timeout-missing",
                "fixtures/kong/openapi2kong/04-servers-upstream.expected.json",
                5,
                7,
            ),
            (
                "circuit-breaker-missing",
                "fixtures/kong/openapi2kong/04-servers-upstream.expected.json",
                39,
                7,
            ),
            (
                "health-check-missing",
                "fixtures/kong/openapi2kong/04-servers-upstream.expected.json",
                39,
                7,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/istio/bookinfo-virtual-service-reviews-80-20.yaml"],
        findings: &[
            (
                "circuit-breaker-missing",
                "fixtures/istio/bookinfo-virtual-service-reviews-80-20.yaml",
                9,
                5,
            ),
            (
                "timeout-missing",
                "fixtures/istio/bookinfo-virtual-service-reviews-80-20.yaml",
                9,
                5,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        // `helm template` output: the chart's Deployments, Services and ServiceAccounts are
        // skipped; its one VirtualService routes every path to one `frontend` destination with
        // Istio's defaults.
        paths: &["fixtures/istio/helm/online-boutique.yaml"],
        findings: &[
            (
                "circuit-breaker-missing",
                "fixtures/istio/helm/online-boutique.yaml",
                1218,
                5,
            ),
            (
                "fallback-missing",
                "fixtures/istio/helm/online-boutique.yaml",
                1218,
                5,
            ),
            (
                "timeout-missing",
                "fixtures/istio/helm/online-boutique.yaml",
                1218,
                5,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/istio/bookinfo-virtual-service-ratings-test-delay.yaml"],
        findings: &[
            (
                "circuit-breaker-missing",
                "fixtures/istio/bookinfo-virtual-service-ratings-test-delay.yaml",
                9,
                5,
            ),
            (
                "fallback-missing",
                "fixtures/istio/bookinfo-virtual-service-ratings-test-delay.yaml",
                9,
                5,
            ),
            (
                "timeout-missing",
                "fixtures/istio/bookinfo-virtual-service-ratings-test-delay.yaml",
                9,
                5,
            ),
            (
                "fallback-missing",
                "fixtures/istio/bookinfo-virtual-service-ratings-test-delay.yaml",
                21,
                5,
            ),
            (
                "timeout-missing",
                "fixtures/istio/bookinfo-virtual-service-ratings-test-delay.yaml",
                21,
                5,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/istio/bookinfo-destination-rule-all.yaml"],
        findings: &[],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/envoy/examples/locality-load-balancing.yaml"],
        findings: &[
            (
                "timeout-missing",
                "fixtures/envoy/examples/locality-load-balancing.yaml",
                27,
                17,
            ),
            (
                "circuit-breaker-missing",
                "fixtures/envoy/examples/locality-load-balancing.yaml",
                36,
                5,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/envoy/examples/local-ratelimit.yaml"],
        findings: &[
            (
                "fallback-missing",
                "fixtures/envoy/examples/local-ratelimit.yaml",
                20,
                17,
            ),
            (
                "timeout-missing",
                "fixtures/envoy/examples/local-ratelimit.yaml",
                20,
                17,
            ),
            (
                "fallback-missing",
                "fixtures/envoy/examples/local-ratelimit.yaml",
                69,
                17,
            ),
            (
                "timeout-missing",
                "fixtures/envoy/examples/local-ratelimit.yaml",
                69,
                17,
            ),
            (
                "circuit-breaker-missing",
                "fixtures/envoy/examples/local-ratelimit.yaml",
                102,
                5,
            ),
            (
                "circuit-breaker-missing",
                "fixtures/envoy/examples/local-ratelimit.yaml",
                114,
                5,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/envoy/examples/dynamic-config-fs/lds.yaml"],
        findings: &[
            (
                "fallback-missing",
                "fixtures/envoy/examples/dynamic-config-fs/lds.yaml",
                25,
                15,
            ),
            (
                "timeout-missing",
                "fixtures/envoy/examples/dynamic-config-fs/lds.yaml",
                25,
                15,
            ),
        ],
        counted: &[],
        doubtful: &["circuit-breaker-missing"],
    },
    Case {
        paths: &["fixtures/envoy/examples/dynamic-config-fs/cds.yaml"],
        findings: &[],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/envoy/examples/dynamic-config-fs"],
        findings: &[
            (
                "circuit-breaker-missing",
                "fixtures/envoy/examples/dynamic-config-fs/cds.yaml",
                2,
                3,
            ),
            (
                "fallback-missing",
                "fixtures/envoy/examples/dynamic-config-fs/lds.yaml",
                25,
                15,
            ),
            (
                "timeout-missing",
                "fixtures/envoy/examples/dynamic-config-fs/lds.yaml",
                25,
                15,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/envoy/docs/aggregate-cluster.yaml"],
        findings: &[
            (
                "timeout-missing",
                "fixtures/envoy/docs/aggregate-cluster.yaml",
                21,
                17,
            ),
            (
                "circuit-breaker-missing",
                "fixtures/envoy/docs/aggregate-cluster.yaml",
                31,
                5,
            ),
            (
                "fallback-without-health-signal",
                "fixtures/envoy/docs/aggregate-cluster.yaml",
                33,
                5,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/gateway-api/conformance/httproute-retry-with-timeouts.yaml"],
        findings: &[
            (
                "fallback-missing",
                "fixtures/gateway-api/conformance/httproute-retry-with-timeouts.yaml",
                11,
                11,
            ),
            (
                "fallback-missing",
                "fixtures/gateway-api/conformance/httproute-retry-with-timeouts.yaml",
                22,
                11,
            ),
            (
                "retry-budget-exceeds-timeout",
                "fixtures/gateway-api/conformance/httproute-retry-with-timeouts.yaml",
                28,
                19,
            ),
            (
                "retry-excessive",
                "fixtures/gateway-api/conformance/httproute-retry-with-timeouts.yaml",
                28,
                19,
            ),
        ],
        counted: &[],
        doubtful: &["circuit-breaker-missing", "retry-without-backoff"],
    },
    Case {
        paths: &["fixtures/gateway-api/conformance/httproute-method-matching.yaml"],
        findings: &[],
        counted: &[("fallback-missing", 10), ("timeout-missing", 10)],
        doubtful: &["circuit-breaker-missing", "retry-without-backoff"],
    },
    Case {
        paths: &["fixtures/gateway-api/conformance/httproute-rewrite-path.yaml"],
        findings: &[],
        counted: &[("fallback-missing", 5), ("timeout-missing", 5)],
        doubtful: &["circuit-breaker-missing", "retry-without-backoff"],
    },
    Case {
        paths: &["fixtures/gateway-api/conformance/httproute-weight.yaml"],
        findings: &[(
            "timeout-missing",
            "fixtures/gateway-api/conformance/httproute-weight.yaml",
            10,
            5,
        )],
        counted: &[],
        doubtful: &["circuit-breaker-missing", "retry-without-backoff"],
    },
    Case {
        paths: &["fixtures/gateway-api/examples/timeout-example.yaml"],
        findings: &[(
            "fallback-missing",
            "fixtures/gateway-api/examples/timeout-example.yaml",
            12,
            7,
        )],
        counted: &[],
        doubtful: &["circuit-breaker-missing", "retry-without-backoff"],
    },
    Case {
        paths: &["fixtures/gateway-api/kgateway/retry.yaml"],
        findings: &[
            (
                "fallback-missing",
                "fixtures/gateway-api/kgateway/retry.yaml",
                16,
                7,
            ),
            (
                "retry-without-per-try-timeout",
                "fixtures/gateway-api/kgateway/retry.yaml",
                24,
                5,
            ),
        ],
        counted: &[],
        doubtful: &["circuit-breaker-missing", "retry-without-backoff"],
    },
    Case {
        paths: &["fixtures/aws/importer-apigateway.json"],
        findings: &[
            (
                "fallback-missing",
                "fixtures/aws/importer-apigateway.json",
                86,
                17,
            ),
            (
                "timeout-missing",
                "fixtures/aws/importer-apigateway.json",
                86,
                17,
            ),
            (
                "fallback-missing",
                "fixtures/aws/importer-apigateway.json",
                185,
                17,
            ),
            (
                "timeout-missing",
                "fixtures/aws/importer-apigateway.json",
                185,
                17,
            ),
        ],
        counted: &[],
        doubtful: &["circuit-breaker-missing"],
    },
    Case {
        paths: &["fixtures/krakend/krakend-ce.json"],
        findings: &[
            (
                "circuit-breaker-missing",
                "fixtures/krakend/krakend-ce.json",
                44,
                15,
            ),
            (
                "circuit-breaker-missing",
                "fixtures/krakend/krakend-ce.json",
                53,
                21,
            ),
            (
                "timeout-out-of-bounds",
                "fixtures/krakend/krakend-ce.json",
                65,
                22,
            ),
            (
                "circuit-breaker-missing",
                "fixtures/krakend/krakend-ce.json",
                362,
                15,
            ),
            (
                "circuit-breaker-missing",
                "fixtures/krakend/krakend-ce.json",
                689,
                21,
            ),
        ],
        counted: &[("fallback-missing", 30)],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/apisix/apisix-conf.yaml"],
        findings: &[
            (
                "fallback-missing",
                "fixtures/apisix/apisix-conf.yaml",
                20,
                5,
            ),
            ("timeout-missing", "fixtures/apisix/apisix-conf.yaml", 20, 5),
            (
                "circuit-breaker-missing",
                "fixtures/apisix/apisix-conf.yaml",
                22,
                7,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/apisix/health-check.json"],
        findings: &[
            ("timeout-missing", "fixtures/apisix/health-check.json", 4, 9),
            (
                "retry-without-backoff",
                "fixtures/apisix/health-check.json",
                19,
                24,
            ),
            (
                "health-check-timing",
                "fixtures/apisix/health-check.json",
                22,
                32,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/openapi/octokit-create-campaign.json"],
        findings: &[
            (
                "retry-after-undocumented",
                "fixtures/openapi/octokit-create-campaign.json",
                205,
                11,
            ),
            (
                "retry-after-undocumented",
                "fixtures/openapi/octokit-create-campaign.json",
                208,
                11,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/traefik/real/retry-backoff.toml"],
        findings: &[
            (
                "timeout-missing",
                "fixtures/traefik/real/retry-backoff.toml",
                22,
                17,
            ),
            (
                "circuit-breaker-missing",
                "fixtures/traefik/real/retry-backoff.toml",
                33,
                18,
            ),
            (
                "health-check-missing",
                "fixtures/traefik/real/retry-backoff.toml",
                33,
                18,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/traefik/real/retry-strip-prefix.toml"],
        findings: &[
            (
                "timeout-missing",
                "fixtures/traefik/real/retry-strip-prefix.toml",
                21,
                17,
            ),
            (
                "retry-without-backoff",
                "fixtures/traefik/real/retry-strip-prefix.toml",
                27,
                14,
            ),
            (
                "circuit-breaker-missing",
                "fixtures/traefik/real/retry-strip-prefix.toml",
                33,
                18,
            ),
            (
                "health-check-missing",
                "fixtures/traefik/real/retry-strip-prefix.toml",
                33,
                18,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/traefik/real/failover.toml"],
        findings: &[
            (
                "timeout-missing",
                "fixtures/traefik/real/failover.toml",
                22,
                17,
            ),
            (
                "circuit-breaker-missing",
                "fixtures/traefik/real/failover.toml",
                36,
                18,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/traefik/real/failover-statuscode.toml"],
        findings: &[
            (
                "timeout-missing",
                "fixtures/traefik/real/failover-statuscode.toml",
                22,
                17,
            ),
            (
                "circuit-breaker-missing",
                "fixtures/traefik/real/failover-statuscode.toml",
                38,
                18,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/traefik/real/healthcheck-simple.toml"],
        findings: &[
            (
                "timeout-missing",
                "fixtures/traefik/real/healthcheck-simple.toml",
                22,
                17,
            ),
            (
                "circuit-breaker-missing",
                "fixtures/traefik/real/healthcheck-simple.toml",
                27,
                18,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/traefik/real/reference-file.yaml"],
        findings: &[],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/traefik/real/reference-file.toml"],
        findings: &[],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/litellm/proxy_server_config.yaml"],
        findings: &[
            (
                "timeout-out-of-bounds",
                "fixtures/litellm/proxy_server_config.yaml",
                25,
                16,
            ),
            (
                "timeout-out-of-bounds",
                "fixtures/litellm/proxy_server_config.yaml",
                34,
                16,
            ),
            (
                "retry-excessive",
                "fixtures/litellm/proxy_server_config.yaml",
                120,
                16,
            ),
            (
                "timeout-out-of-bounds",
                "fixtures/litellm/proxy_server_config.yaml",
                121,
                20,
            ),
        ],
        // Fifteen groups of one deployment, which LiteLLM's default cooldowns never take out.
        counted: &[("fallback-missing", 14), ("circuit-breaker-missing", 15)],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/litellm/load_balancer.yaml"],
        findings: &[
            (
                "circuit-breaker-missing",
                "fixtures/litellm/load_balancer.yaml",
                21,
                5,
            ),
            (
                "fallback-missing",
                "fixtures/litellm/load_balancer.yaml",
                21,
                5,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/litellm/reliability-docs.yaml"],
        findings: &[
            (
                "circuit-breaker-missing",
                "fixtures/litellm/reliability-docs.yaml",
                14,
                5,
            ),
            (
                "circuit-breaker-missing",
                "fixtures/litellm/reliability-docs.yaml",
                18,
                5,
            ),
            (
                "fallback-missing",
                "fixtures/litellm/reliability-docs.yaml",
                18,
                5,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/portkey/mistral-semantic-fallback.json"],
        findings: &[
            (
                "circuit-breaker-missing",
                "fixtures/portkey/mistral-semantic-fallback.json",
                2,
                2,
            ),
            (
                "timeout-missing",
                "fixtures/portkey/mistral-semantic-fallback.json",
                2,
                2,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/portkey/vercel-fallback.json"],
        findings: &[
            (
                "circuit-breaker-missing",
                "fixtures/portkey/vercel-fallback.json",
                2,
                3,
            ),
            (
                "timeout-missing",
                "fixtures/portkey/vercel-fallback.json",
                2,
                3,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/portkey/vercel-loadbalance.json"],
        findings: &[
            (
                "circuit-breaker-missing",
                "fixtures/portkey/vercel-loadbalance.json",
                2,
                3,
            ),
            (
                "fallback-missing",
                "fixtures/portkey/vercel-loadbalance.json",
                2,
                3,
            ),
            (
                "timeout-missing",
                "fixtures/portkey/vercel-loadbalance.json",
                2,
                3,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/portkey/retry-on-rate-limits.json"],
        findings: &[
            (
                "circuit-breaker-missing",
                "fixtures/portkey/retry-on-rate-limits.json",
                2,
                3,
            ),
            (
                "fallback-missing",
                "fixtures/portkey/retry-on-rate-limits.json",
                2,
                3,
            ),
            (
                "timeout-missing",
                "fixtures/portkey/retry-on-rate-limits.json",
                2,
                3,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/portkey/resilient-loadbalance.json"],
        findings: &[
            (
                "circuit-breaker-missing",
                "fixtures/portkey/resilient-loadbalance.json",
                2,
                3,
            ),
            (
                "timeout-missing",
                "fixtures/portkey/resilient-loadbalance.json",
                2,
                3,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        // The spec carries routeguard's own `x-resilience` contract, appended to the real one:
        // no public spec writes it, and `timeout-exceeds-sla` checks a real route against it.
        paths: &[
            "fixtures/istio/bookinfo-sla/swagger.yaml",
            "fixtures/istio/bookinfo-sla/bookinfo-gateway.yaml",
        ],
        findings: &[
            (
                "circuit-breaker-missing",
                "fixtures/istio/bookinfo-sla/bookinfo-gateway.yaml",
                28,
                5,
            ),
            (
                "fallback-missing",
                "fixtures/istio/bookinfo-sla/bookinfo-gateway.yaml",
                28,
                5,
            ),
            (
                "timeout-exceeds-sla",
                "fixtures/istio/bookinfo-sla/bookinfo-gateway.yaml",
                28,
                5,
            ),
            (
                "timeout-missing",
                "fixtures/istio/bookinfo-sla/bookinfo-gateway.yaml",
                28,
                5,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/tyk/real"],
        findings: &[
            // No `hard_timeouts`: only the gateway's 30s `proxy_default_timeout` bounds the API, and
            // a single `target_url` leaves nothing to fail over to.
            (
                "fallback-missing",
                "fixtures/tyk/real/app_sample.json",
                28,
                9,
            ),
            (
                "timeout-missing",
                "fixtures/tyk/real/app_sample.json",
                28,
                9,
            ),
            // Both httpbin.org APIs (this one and `tracing-versioned.json`) lack a breaker.
            (
                "circuit-breaker-missing",
                "fixtures/tyk/real/app_sample.json",
                29,
                23,
            ),
            ("fallback-missing", "fixtures/tyk/real/test-cbo.json", 8, 5),
            ("timeout-missing", "fixtures/tyk/real/test-cbo.json", 8, 5),
            // The `.*` breaker covers GET only; the catch-all route has none.
            (
                "circuit-breaker-missing",
                "fixtures/tyk/real/test-cbo.json",
                9,
                19,
            ),
            (
                "fallback-missing",
                "fixtures/tyk/real/test-cbo.json",
                22,
                15,
            ),
            ("timeout-missing", "fixtures/tyk/real/test-cbo.json", 22, 15),
            ("fallback-missing", "fixtures/tyk/real/test-nhu.json", 8, 5),
            ("timeout-missing", "fixtures/tyk/real/test-nhu.json", 8, 5),
            // Uptime tests take hosts out, but no breaker stops traffic to a failing one.
            (
                "circuit-breaker-missing",
                "fixtures/tyk/real/test-nhu.json",
                9,
                19,
            ),
            // Each version, `Default` and `v1`, is its own set of routes (`APISpec.Version`).
            (
                "fallback-missing",
                "fixtures/tyk/real/tracing-versioned.json",
                23,
                11,
            ),
            (
                "timeout-missing",
                "fixtures/tyk/real/tracing-versioned.json",
                23,
                11,
            ),
            (
                "fallback-missing",
                "fixtures/tyk/real/tracing-versioned.json",
                62,
                11,
            ),
            (
                "timeout-missing",
                "fixtures/tyk/real/tracing-versioned.json",
                62,
                11,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/google/esp-v2"],
        findings: &[
            (
                "fallback-missing",
                "fixtures/google/esp-v2/dynamic-routing.json",
                44,
                9,
            ),
            (
                "fallback-missing",
                "fixtures/google/esp-v2/dynamic-routing.json",
                77,
                9,
            ),
            // ESPv2 retries a reset once by default (`--backend_retry_ons`), POST included.
            (
                "retry-non-idempotent",
                "fixtures/google/esp-v2/dynamic-routing.json",
                77,
                9,
            ),
            (
                "fallback-missing",
                "fixtures/google/esp-v2/route-match.json",
                61,
                9,
            ),
            // No `deadline`: ESPv2's 15s default bounds the route.
            (
                "timeout-missing",
                "fixtures/google/esp-v2/route-match.json",
                61,
                9,
            ),
            (
                "fallback-missing",
                "fixtures/google/esp-v2/sidecar-backend.json",
                54,
                9,
            ),
            (
                "fallback-missing",
                "fixtures/google/esp-v2/sidecar-backend.json",
                58,
                7,
            ),
            (
                "retry-non-idempotent",
                "fixtures/google/esp-v2/sidecar-backend.json",
                58,
                7,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &[
            "fixtures/real/ingress-nginx/affinity-cookie-ingress.yaml",
            "fixtures/real/ingress-nginx/custom-configuration-configmap.yaml",
            "fixtures/real/ingress-nginx/docker-registry-ingress.yaml",
        ],
        findings: &[
            // The controller's default `proxy-next-upstream-tries` of 3: 2 retries, no wait.
            (
                "retry-without-backoff",
                "fixtures/real/ingress-nginx/affinity-cookie-ingress.yaml",
                4,
                9,
            ),
            (
                "fallback-missing",
                "fixtures/real/ingress-nginx/affinity-cookie-ingress.yaml",
                17,
                15,
            ),
            // 3 tries × the ConfigMap's 120s `proxy-read-timeout`.
            (
                "timeout-out-of-bounds",
                "fixtures/real/ingress-nginx/custom-configuration-configmap.yaml",
                11,
                23,
            ),
            // 3 tries × the annotation's 600s.
            (
                "timeout-out-of-bounds",
                "fixtures/real/ingress-nginx/docker-registry-ingress.yaml",
                6,
                53,
            ),
            (
                "retry-without-backoff",
                "fixtures/real/ingress-nginx/docker-registry-ingress.yaml",
                8,
                9,
            ),
            (
                "fallback-missing",
                "fixtures/real/ingress-nginx/docker-registry-ingress.yaml",
                16,
                15,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/spring-cloud-gateway/real"],
        // `- Retry` and its GET,POST variants: 3 retries without a backoff, and POST retried
        // after it reached the service.
        findings: &[
            (
                "retry-without-backoff",
                "fixtures/spring-cloud-gateway/real/application-retrytests.yml",
                13,
                15,
            ),
            (
                "retry-non-idempotent",
                "fixtures/spring-cloud-gateway/real/application-retrytests.yml",
                20,
                15,
            ),
            (
                "retry-without-backoff",
                "fixtures/spring-cloud-gateway/real/application-retrytests.yml",
                20,
                15,
            ),
            (
                "retry-non-idempotent",
                "fixtures/spring-cloud-gateway/real/application-retrytests.yml",
                29,
                15,
            ),
            (
                "retry-without-backoff",
                "fixtures/spring-cloud-gateway/real/application-retrytests.yml",
                29,
                15,
            ),
        ],
        // Test routes without a response timeout (Spring sets none by default), a breaker or
        // a fallback; an upstream the file leaves as a placeholder is named as written.
        counted: &[
            ("timeout-missing", 64),
            ("fallback-missing", 58),
            ("circuit-breaker-missing", 5),
        ],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/envoy/esp-v2/dynamic-routing"],
        findings: &[
            (
                "circuit-breaker-missing",
                "fixtures/envoy/esp-v2/dynamic-routing/envoy_config.json",
                109,
                9,
            ),
            (
                "circuit-breaker-missing",
                "fixtures/envoy/esp-v2/dynamic-routing/envoy_config.json",
                164,
                9,
            ),
            (
                "fallback-missing",
                "fixtures/envoy/esp-v2/dynamic-routing/envoy_config.json",
                287,
                29,
            ),
            (
                "fallback-missing",
                "fixtures/envoy/esp-v2/dynamic-routing/envoy_config.json",
                324,
                29,
            ),
            (
                "fallback-missing",
                "fixtures/envoy/esp-v2/dynamic-routing/envoy_config.json",
                361,
                29,
            ),
            (
                "retry-non-idempotent",
                "fixtures/envoy/esp-v2/dynamic-routing/envoy_config.json",
                381,
                47,
            ),
            (
                "fallback-missing",
                "fixtures/envoy/esp-v2/dynamic-routing/envoy_config.json",
                396,
                29,
            ),
            (
                "retry-non-idempotent",
                "fixtures/envoy/esp-v2/dynamic-routing/envoy_config.json",
                416,
                47,
            ),
            // The spec is ESPv2's own configuration too: its routes say what the Envoy
            // routes generated from it say.
            (
                "fallback-missing",
                "fixtures/envoy/esp-v2/dynamic-routing/openapi_swagger.json",
                44,
                9,
            ),
            (
                "fallback-missing",
                "fixtures/envoy/esp-v2/dynamic-routing/openapi_swagger.json",
                77,
                9,
            ),
            (
                "retry-non-idempotent",
                "fixtures/envoy/esp-v2/dynamic-routing/openapi_swagger.json",
                77,
                9,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/envoy/ai-gateway/data-plane.yaml"],
        findings: &[
            (
                "retry-excessive",
                "fixtures/envoy/ai-gateway/data-plane.yaml",
                43,
                38,
            ),
            (
                "per-try-timeout-exceeds-total",
                "fixtures/envoy/ai-gateway/data-plane.yaml",
                44,
                42,
            ),
            (
                "circuit-breaker-missing",
                "fixtures/envoy/ai-gateway/data-plane.yaml",
                1628,
                7,
            ),
            (
                "circuit-breaker-missing",
                "fixtures/envoy/ai-gateway/data-plane.yaml",
                1689,
                7,
            ),
        ],
        counted: &[("fallback-missing", 19), ("timeout-missing", 27)],
        doubtful: &[],
    },
    // Envoy Gateway's end-to-end test files: every route without a `requestTimeout` keeps
    // Envoy's 15s default (a warning), none has a fallback, and `infra-backend-v1` has no
    // passive check where the active one is tested.
    Case {
        paths: &[
            "fixtures/real/envoy-gateway/backend-health-check-active-http.yaml",
            "fixtures/real/envoy-gateway/btp-timeout.yaml",
            "fixtures/real/envoy-gateway/circuitbreaker.yaml",
            "fixtures/real/envoy-gateway/client-timeout.yaml",
            "fixtures/real/envoy-gateway/retry.yaml",
        ],
        findings: &[
            (
                "circuit-breaker-missing",
                "fixtures/real/envoy-gateway/backend-health-check-active-http.yaml",
                59,
                11,
            ),
            (
                "retry-excessive",
                "fixtures/real/envoy-gateway/retry.yaml",
                12,
                17,
            ),
        ],
        counted: &[("fallback-missing", 7), ("timeout-missing", 6)],
        doubtful: &[],
    },
    // Kuma's own test inputs, each its own mesh's policies: what no policy sets is a new mesh's
    // default, so the default MeshRetry's 16s per try never fires within the default 15s
    // request timeout, and its 5 retries are more than 3. Policies labelled
    // `kuma.io/effect: shadow` are not applied, so a file of only those configures nothing.
    Case {
        paths: &["fixtures/real/kuma/circuit-breaker-health-check.yaml"],
        findings: &[],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/real/kuma/merged-outbound-policies.yaml"],
        findings: &[
            (
                "circuit-breaker-missing",
                "fixtures/real/kuma/merged-outbound-policies.yaml",
                42,
                7,
            ),
            (
                "fallback-missing",
                "fixtures/real/kuma/merged-outbound-policies.yaml",
                42,
                7,
            ),
            (
                "per-try-timeout-exceeds-total",
                "fixtures/real/kuma/merged-outbound-policies.yaml",
                42,
                7,
            ),
            (
                "retry-excessive",
                "fixtures/real/kuma/merged-outbound-policies.yaml",
                42,
                7,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/real/kuma/meshretry-outbound.yaml"],
        findings: &[],
        counted: &[],
        doubtful: &[],
    },
    Case {
        paths: &["fixtures/real/kuma/multiple-outbound-policies.yaml"],
        findings: &[
            (
                "fallback-missing",
                "fixtures/real/kuma/multiple-outbound-policies.yaml",
                42,
                7,
            ),
            (
                "per-try-timeout-exceeds-total",
                "fixtures/real/kuma/multiple-outbound-policies.yaml",
                42,
                7,
            ),
            (
                "retry-excessive",
                "fixtures/real/kuma/multiple-outbound-policies.yaml",
                42,
                7,
            ),
            (
                "timeout-missing",
                "fixtures/real/kuma/multiple-outbound-policies.yaml",
                42,
                7,
            ),
        ],
        counted: &[],
        doubtful: &[],
    },
    // Linkerd's own profiles and reference routes: every profile route is bounded only by the
    // 10s default (a warning) and none has a fallback.
    Case {
        paths: &[
            "fixtures/real/linkerd/books-webapp-profile.yaml",
            "fixtures/real/linkerd/retries-reference.yaml",
            "fixtures/real/linkerd/timeouts-reference.yaml",
            "fixtures/real/linkerd/viz-service-profiles.yaml",
        ],
        findings: &[],
        counted: &[("fallback-missing", 21), ("timeout-missing", 19)],
        doubtful: &[],
    },
];

fn sorted(mut findings: Vec<Located>) -> Vec<Located> {
    findings.sort_by(|a, b| (&a.1, a.2, a.3, &a.0).cmp(&(&b.1, b.2, b.3, &b.0)));
    findings
}

fn lint_case(case: &Case) -> serde_json::Value {
    let mut args = vec!["--config", ALL_RULES];
    args.extend_from_slice(case.paths);
    let (_, report) = lint_json(&repo(), &args);
    report
}

#[test]
fn every_real_fixture_gives_exactly_its_true_findings() {
    for case in CASES {
        let report = lint_case(case);
        let resilience: Vec<Located> = located(&report)
            .into_iter()
            .filter(|(rule, ..)| RESILIENCE.contains(&rule.as_str()))
            .filter(|(rule, ..)| !case.doubtful.contains(&rule.as_str()))
            .collect();
        for (rule, count) in case.counted {
            assert_eq!(
                resilience.iter().filter(|(r, ..)| r == rule).count(),
                *count,
                "{rule} on {:?}",
                case.paths
            );
        }
        let listed: Vec<Located> = resilience
            .into_iter()
            .filter(|(rule, ..)| !case.counted.iter().any(|(r, _)| r == rule))
            .collect();
        let expected: Vec<Located> = case
            .findings
            .iter()
            .map(|(rule, file, line, column)| common::at(rule, file, *line, *column))
            .collect();
        assert_eq!(
            sorted(listed),
            sorted(expected),
            "findings on {:?}",
            case.paths
        );
    }
}

#[test]
fn every_resilience_rule_has_a_real_hit_or_is_listed_without_one() {
    let hit: BTreeSet<&str> = CASES
        .iter()
        .flat_map(|case| {
            case.findings
                .iter()
                .map(|(rule, ..)| *rule)
                .chain(case.counted.iter().map(|(rule, _)| *rule))
        })
        .collect();
    for rule in RESILIENCE {
        assert!(
            hit.contains(rule) != NO_REAL_HIT.contains(rule),
            "{rule}: a real hit and listed without one, or neither"
        );
    }
    assert_eq!(hit.len() + NO_REAL_HIT.len(), RESILIENCE.len());
}

/// The first column of the table in `fixtures/THIRD_PARTY.md`.
fn third_party_fixtures() -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("fixtures/THIRD_PARTY.md")).expect("read");
    text.lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`'))
        .map(|(path, _)| path.to_string())
        // Licence files travel with the fixtures they cover; they are not configurations.
        .filter(|path| !path.ends_with(".md"))
        // The accuracy corpus has its reviewed findings in fixtures/real/findings.yaml.
        .filter(|path| !path.starts_with("fixtures/real/"))
        // Spectral rulesets are rules, not configurations: they have no lint case here.
        .filter(|path| !path.starts_with("fixtures/spectral/"))
        .collect()
}

#[test]
fn every_third_party_fixture_is_linted_here_and_exists() {
    let fixtures = third_party_fixtures();
    assert!(fixtures.len() >= 24, "{fixtures:?}");
    for fixture in &fixtures {
        assert!(
            repo().join(fixture).is_file(),
            "{fixture} is listed but missing"
        );
        assert!(
            CASES.iter().any(|case| case
                .paths
                .iter()
                .any(|path| fixture == path || fixture.starts_with(&format!("{path}/")))),
            "{fixture} has no case"
        );
    }
}

fn message(report: &serde_json::Value, rule: &str, line: u64) -> String {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["rule"] == rule && d["line"] == line)
        .and_then(|d| d["message"].as_str())
        .unwrap_or_else(|| panic!("no {rule} on line {line}"))
        .to_string()
}

fn case(path: &str) -> &'static Case {
    CASES
        .iter()
        .find(|case| case.paths.contains(&path))
        .unwrap_or_else(|| panic!("no case for {path}"))
}

#[test]
fn real_findings_say_what_is_wrong() {
    let report = lint_case(case("fixtures/openapi/octokit-create-campaign.json"));
    assert_eq!(
        message(&report, "retry-after-undocumented", 205),
        "the 429 response of `POST /orgs/{org}/campaigns` does not document a `Retry-After` header"
    );
    let report = lint_case(case("fixtures/envoy/docs/aggregate-cluster.yaml"));
    assert_eq!(
        message(&report, "fallback-without-health-signal", 33),
        "this Envoy failover service switches over when the primary is unhealthy, but nothing \
         checks its health (no active or passive health check, no outlier detection): it never \
         switches"
    );
    let report = lint_case(case("fixtures/gateway-api/kgateway/retry.yaml"));
    assert_eq!(
        message(&report, "retry-without-per-try-timeout", 24),
        "Gateway API route `retry` (* /*) in fixtures/gateway-api/kgateway/retry.yaml retries on \
         timeouts but sets no per-try timeout: a slow first attempt uses up the whole timeout, so \
         it is never retried"
    );
    let report = lint_case(case(
        "fixtures/gateway-api/conformance/httproute-retry-with-timeouts.yaml",
    ));
    assert_eq!(
        message(&report, "retry-budget-exceeds-timeout", 28),
        "Gateway API route `retries-with-timeouts` (* /retry/request-timeout-200ms*) in \
         fixtures/gateway-api/conformance/httproute-retry-with-timeouts.yaml: 6 attempts × 200ms \
         = 1.2s exceeds the 400ms timeout, so only 1 of its 5 retries can run to their full \
         per-try timeout"
    );
    let report = lint_case(case("fixtures/krakend/krakend-ce.json"));
    assert_eq!(
        message(&report, "timeout-out-of-bounds", 65),
        "KrakenD route (GET /timeout2/{param}) in fixtures/krakend/krakend-ce.json can take up \
         to 150µs, its timeout, below the 100ms minimum (`min`)"
    );
    // ESPv2's Envoy bootstrap, in protobuf JSON names, is joined to the spec it was generated from.
    let report = lint_case(case("fixtures/envoy/esp-v2/dynamic-routing"));
    assert_eq!(
        message(&report, "retry-non-idempotent", 381),
        "Envoy route `1.examples_dynamic_routing_wd6ufmzfya_uc_a_run_app.CreateShelf` (POST \
         /shelves) in fixtures/envoy/esp-v2/dynamic-routing/envoy_config.json retries `POST \
         /shelves` on reset, which fires after the request reached the service: a retry can repeat \
         its side effect"
    );
    // 27 routes told apart by a header share the virtual host's retry policy and Envoy's
    // default 15s route timeout.
    let report = lint_case(case("fixtures/envoy/ai-gateway/data-plane.yaml"));
    assert_eq!(
        message(&report, "per-try-timeout-exceeds-total", 44),
        "Each of the 27 Envoy routes `* /*` in fixtures/envoy/ai-gateway/data-plane.yaml gives \
         one attempt 30s but the whole request only 15s: the per-try timeout never fires and no \
         retry can follow a slow attempt"
    );
    // The spec and the Kong config generated from it are joined: the route reaches `GET /`.
    let report = lint_case(case("fixtures/kong/openapi2kong"));
    let rules: Vec<String> = located(&report)
        .into_iter()
        .map(|(rule, ..)| rule)
        .collect();
    assert!(!rules
        .iter()
        .any(|rule| rule == "route-undocumented" || rule == "operation-unrouted"));
}
