//! Help texts name the fix in the gateway at hand: every finding about a gateway's file tells
//! the field that gateway writes, and never a field or the name of another gateway; and the
//! rule's page says where findings about that gateway sit.
//!
//! One fixture per gateway is linted with every rule on; each finding located in a file of that
//! gateway is checked against a vocabulary of the gateway's own fields, written here by hand
//! from each gateway's documentation so that the test does not read the code it checks.

use std::collections::BTreeMap;
use std::path::PathBuf;

use routeguard::config::{presets::Preset, Config};
use routeguard::lint::{lint_in, LintOptions};
use routeguard::report::help_text;

use crate::common::repo;

/// Each gateway: its id, a fixture whose findings cover the resilience rules it reports, the
/// names it goes by in prose, and the fields (leading text of a backticked span) it writes.
struct Gateway {
    id: &'static str,
    fixture: &'static str,
    names: &'static [&'static str],
    fields: &'static [&'static str],
}

const GATEWAY_API_FIELDS: &[&str] = &[
    "timeouts.request",
    "timeouts.backendRequest",
    "request:",
    "retry",
    "codes",
    "backendRefs",
    "method",
];

const GATEWAYS: &[Gateway] = &[
    Gateway {
        id: "kong",
        fixture: "fixtures/kong/kubernetes",
        names: &["Kong"],
        fields: &[
            "read_timeout",
            "retries",
            "healthchecks",
            "methods",
            "targets",
            "http_failures",
        ],
    },
    Gateway {
        id: "envoy",
        fixture: "fixtures/envoy/config-dump.json",
        names: &["Envoy"],
        fields: &[
            "timeout",
            "0s",
            "per_try_timeout",
            "num_retries",
            "retry_on",
            "retriable_status_codes",
            "retry_back_off",
            "health_checks",
            "outlier_detection",
            "circuit_breakers",
            "enforcing_consecutive_5xx",
            "load_assignment",
            "priority",
            ":method",
        ],
    },
    Gateway {
        id: "istio",
        fixture: "fixtures/istio/mesh.yaml",
        names: &["Istio"],
        fields: &[
            "timeout",
            "retries.",
            "perTryTimeout",
            "attempts",
            "retryOn",
            "outlierDetection",
            "trafficPolicy.outlierDetection",
            "consecutive5xxErrors",
            "maxEjectionPercent",
            "destination",
            "method",
        ],
    },
    Gateway {
        id: "gateway-api",
        fixture: "fixtures/gateway-api/conformance",
        names: &["Gateway API"],
        fields: GATEWAY_API_FIELDS,
    },
    Gateway {
        id: "aws",
        fixture: "fixtures/aws/broken",
        names: &["AWS", "API Gateway"],
        fields: &["timeoutInMillis", "x-amazon-apigateway-"],
    },
    Gateway {
        id: "google",
        fixture: "fixtures/google/invalid.yaml",
        names: &["ESPv2", "Google"],
        fields: &["deadline", "x-google-backend", "--backend_retry_"],
    },
    Gateway {
        id: "ingress-nginx",
        fixture: "fixtures/ingress-nginx/annotations.yaml",
        names: &["ingress-nginx", "nginx"],
        fields: &[
            "nginx.ingress.kubernetes.io/",
            "custom-http-errors",
            "retry-non-idempotent",
        ],
    },
    Gateway {
        id: "spring-cloud-gateway",
        fixture: "fixtures/spring-cloud-gateway/application.yml",
        names: &["Spring Cloud Gateway", "Resilience4j"],
        fields: &[
            "spring.cloud.gateway.",
            "httpclient.response-timeout",
            "response-timeout",
            "Retry",
            "retries",
            "statuses",
            "series",
            "methods",
            "backoff.firstBackoff",
            "CircuitBreaker",
            "fallbackUri",
            "Method",
        ],
    },
    Gateway {
        id: "krakend",
        fixture: "fixtures/krakend/krakend.json",
        names: &["KrakenD"],
        fields: &[
            "timeout",
            "\"timeout\"",
            "\"qos/circuit-breaker\"",
            "extra_config",
            "method",
        ],
    },
    Gateway {
        id: "traefik",
        fixture: "fixtures/traefik/real",
        names: &["Traefik"],
        fields: &[
            "forwardingTimeouts.responseHeaderTimeout",
            "serversTransport",
            "attempts",
            "retry",
            "initialInterval",
            "healthCheck",
            "loadBalancer",
            "circuitBreaker",
            "expression",
            "NetworkErrorRatio()",
            "failover",
            "fallback",
            "Method(",
        ],
    },
    Gateway {
        id: "apisix",
        fixture: "fixtures/apisix/apisix.yaml",
        names: &["APISIX"],
        fields: &[
            "timeout",
            "retries",
            "checks.",
            "api-breaker",
            "http_failures",
            "nodes",
            "priority",
            "methods",
        ],
    },
    Gateway {
        id: "litellm",
        fixture: "fixtures/litellm/default-fallbacks.yaml",
        names: &["LiteLLM"],
        fields: &[
            "timeout",
            "stream_timeout",
            "router_settings",
            "litellm_params",
            "num_retries",
            "retry_policy",
            "retry_after",
            "allowed_fails",
            "allowed_fails_policy",
            "disable_cooldowns",
            "fallbacks",
            "model_list",
            "model_name",
        ],
    },
    Gateway {
        id: "portkey",
        fixture: "fixtures/portkey/invalid.json",
        names: &["Portkey"],
        fields: &[
            "request_timeout",
            "retry.attempts",
            "on_status_codes",
            "strategy.on_status_codes",
            "cb_config",
            "failure_threshold",
            "cooldown_interval",
            "fallback",
        ],
    },
    Gateway {
        id: "envoy-gateway",
        fixture: "fixtures/envoy-gateway/shop.yaml",
        names: &["Envoy Gateway"],
        fields: &[
            "timeout.http.",
            "retry.",
            "retryOn.triggers",
            "healthCheck",
            "timeouts.request",
            "backendRefs",
            "method",
        ],
    },
    Gateway {
        id: "linkerd",
        fixture: "fixtures/linkerd/books.yaml",
        names: &["Linkerd"],
        fields: &[
            "timeout.linkerd.io/",
            "retry.linkerd.io/",
            "balancer.linkerd.io/",
            "timeout",
            "backendRefs",
            "method",
        ],
    },
    Gateway {
        id: "kuma",
        fixture: "fixtures/kuma/shop.yaml",
        names: &["Kuma", "Kong Mesh"],
        fields: &["http.", "retryOn", "outlierDetection", "to"],
    },
    Gateway {
        id: "tyk",
        fixture: "fixtures/tyk/edge",
        names: &["Tyk"],
        fields: &[
            "hard_timeouts",
            "extended_paths",
            "enforceTimeout",
            "x-tyk-api-gateway.",
            "circuit_breakers",
            "circuitBreaker",
            "path",
            "method",
            "threshold_percent",
            "samples",
            "return_to_service_after",
            "uptime_tests",
        ],
    },
];

/// Rules whose help must name a field of the gateway: they judge a setting it has. A gateway
/// without the setting must say so ("has no").
const NAMES_A_FIELD: &[&str] = &[
    "timeout-missing",
    "timeout-out-of-bounds",
    "per-try-timeout-exceeds-total",
    "retry-excessive",
    "retry-without-backoff",
    "retry-without-per-try-timeout",
    "retry-budget-exceeds-timeout",
    "retry-on-client-error",
    "retry-non-idempotent",
    "circuit-breaker-missing",
    "circuit-breaker-ineffective",
    "health-check-missing",
    "health-check-timing",
    "fallback-missing",
    "fallback-without-health-signal",
    "method-mismatch",
];

/// The backticked spans of a help text.
fn spans(help: &str) -> Vec<&str> {
    help.split('`').skip(1).step_by(2).collect()
}

/// Whether `span` is one of the gateway's fields: it starts with one, and a field that ends in a
/// letter or digit ends there too (`Retry` is not `Retry-After`).
fn owns(gateway: &Gateway, span: &str) -> bool {
    gateway.fields.iter().any(|field| {
        span.strip_prefix(field).is_some_and(|rest| {
            !field.ends_with(|c: char| c.is_ascii_alphanumeric())
                || !rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
    })
}

/// What is wrong with `help` as the help of a `rule` finding about `gateway`.
fn help_problems(gateway: &Gateway, rule: &str, help: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for other in GATEWAYS.iter().filter(|other| other.id != gateway.id) {
        for span in spans(help) {
            if !owns(gateway, span) && owns(other, span) {
                problems.push(format!("`{span}` is {}'s field", other.id));
            }
        }
        for name in other.names {
            let own_name = gateway.names.iter().any(|own| own.contains(name));
            if !own_name && help.contains(name) {
                problems.push(format!("names {name}"));
            }
        }
    }
    let named = spans(help).iter().any(|span| owns(gateway, span));
    if NAMES_A_FIELD.contains(&rule) && !named && !help.contains("has no") {
        problems.push(format!("names no {} field", gateway.id));
    }
    problems
}

/// Whether the rule's page says where its findings sit on `gateway`: the rationale's
/// `Anchoring` paragraph names the gateway, or says it is the same whichever gateway it is.
fn anchoring_problem(gateway: &Gateway, rule: &str) -> Option<String> {
    let meta = routeguard::catalog::get(rule)?;
    if !matches!(
        meta.family.as_str(),
        "timeout" | "retry" | "fallback" | "consistency"
    ) {
        return None;
    }
    let paragraph = meta
        .rationale
        .split("\n\n")
        .find(|paragraph| paragraph.starts_with("Anchoring"))
        .map(|paragraph| paragraph.split_whitespace().collect::<Vec<_>>().join(" "));
    match paragraph {
        None => Some(format!("rules/{rule}.yaml has no `Anchoring` paragraph")),
        Some(text)
            if text.contains("whichever gateway")
                || gateway.names.iter().any(|name| text.contains(name)) =>
        {
            None
        }
        Some(_) => Some(format!(
            "rules/{rule}.yaml's `Anchoring` paragraph does not say where {} findings sit",
            gateway.id
        )),
    }
}

/// Every problem with the help texts of one gateway's fixture, and the rules it checked.
fn problems(gateway: &Gateway) -> (Vec<String>, Vec<String>) {
    let options = LintOptions {
        paths: vec![PathBuf::from(gateway.fixture)],
        root: Some(repo()),
        config: Config::with_preset(Preset::All),
        ..LintOptions::default()
    };
    let outcome = lint_in(&options, &repo()).expect("the fixture can be linted");
    let format_of: BTreeMap<_, _> = outcome
        .inventory
        .routes
        .iter()
        .map(|route| (route.location.file, route.format.id()))
        .collect();
    let spec_files: Vec<_> = outcome
        .inventory
        .operations
        .iter()
        .map(|operation| operation.location.file)
        .collect();
    let mut problems = Vec::new();
    let mut checked = Vec::new();
    for diagnostic in &outcome.diagnostics {
        let file = diagnostic.location.file;
        let format = match format_of.get(&file) {
            Some(format) => *format,
            None if spec_files.contains(&file) => continue,
            None => gateway.id,
        };
        if format != gateway.id {
            continue;
        }
        let rule = diagnostic.rule.as_str();
        let help = help_text(diagnostic).unwrap_or_default();
        let place = {
            let position = outcome.workspace.position(diagnostic.location);
            format!(
                "{rule} at {}:{}:{}",
                outcome.workspace.file(file).display,
                position.line,
                position.column
            )
        };
        if NAMES_A_FIELD.contains(&rule) {
            checked.push(rule.to_string());
        }
        if let Some(problem) = anchoring_problem(gateway, rule) {
            problems.push(format!("{place}: {problem}"));
        }
        problems.extend(
            help_problems(gateway, rule, help)
                .into_iter()
                .map(|problem| format!("{place}: {problem}: {help}")),
        );
    }
    (problems, checked)
}

#[test]
fn every_gateway_has_a_fixture_and_a_vocabulary() {
    for gateway in GATEWAYS {
        assert!(
            repo().join(gateway.fixture).exists(),
            "{}: {} exists",
            gateway.id,
            gateway.fixture
        );
    }
    let ids: Vec<&str> = GATEWAYS.iter().map(|gateway| gateway.id).collect();
    for format in routeguard::model::GatewayFormat::ALL {
        assert!(
            ids.contains(&format.id()),
            "{} has no entry here",
            format.id()
        );
    }
}

#[test]
fn a_help_listing_other_gateways_or_no_field_is_refused() {
    let envoy = GATEWAYS.iter().find(|g| g.id == "envoy").expect("envoy");
    let listing = "Set a per-try timeout (Istio `perTryTimeout`, Envoy `per_try_timeout`, \
                   Gateway API `backendRequest`) well below the total.";
    let problems = help_problems(envoy, "retry-without-per-try-timeout", listing);
    assert!(
        problems.contains(&"`perTryTimeout` is istio's field".to_string()),
        "{problems:?}"
    );
    assert!(
        problems.contains(&"names Istio".to_string()),
        "{problems:?}"
    );
    let vague = "Add a fallback to the route, or relax the operation's `x-resilience.fallback`.";
    assert_eq!(
        help_problems(envoy, "fallback-missing", vague),
        ["names no envoy field"]
    );
    let spring = GATEWAYS
        .iter()
        .find(|g| g.id == "spring-cloud-gateway")
        .expect("spring");
    assert!(owns(spring, "Retry") && owns(spring, "Retry=3"));
    assert!(!owns(spring, "Retry-After"));
    let own = "Set the retry policy's `per_try_timeout` well below the total";
    assert!(help_problems(envoy, "retry-without-per-try-timeout", own).is_empty());
}

#[test]
fn help_names_the_fix_in_the_gateway_at_hand() {
    let mut all = Vec::new();
    for gateway in GATEWAYS {
        let (problems, checked) = problems(gateway);
        assert!(
            !checked.is_empty(),
            "{}: {} gives no finding whose help names a field",
            gateway.id,
            gateway.fixture
        );
        all.extend(problems);
    }
    assert!(all.is_empty(), "{}", all.join("\n"));
}
