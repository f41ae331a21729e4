//! Gateway semantics found wrong on real configurations, each on a minimal file that reproduces
//! the real case: the rule, line and column of what must be reported, and a case that must not.

use crate::common;

use common::{at, lint_json, located, repo, Located};

/// The findings of `rule` in a lint of `paths` under the recommended preset.
fn findings_of(rule: &str, paths: &[&str]) -> Vec<Located> {
    let (_, report) = lint_json(&repo(), paths);
    located(&report)
        .into_iter()
        .filter(|(id, ..)| id == rule)
        .collect()
}

fn message_of(rule: &str, path: &str, line: u64) -> String {
    field_of(rule, path, line, "message")
}

/// The help text of the first `rule` finding at `line` of `path`.
fn help_of(rule: &str, path: &str, line: u64) -> String {
    field_of(rule, path, line, "help")
}

/// A text field of the first `rule` finding at `line` of `path`.
fn field_of(rule: &str, path: &str, line: u64, field: &str) -> String {
    let (_, report) = lint_json(&repo(), &[path]);
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["rule"] == rule && d["line"] == line)
        .and_then(|d| d[field].as_str())
        .unwrap_or_else(|| panic!("a {rule} finding with a {field} at line {line} of {path}"))
        .to_string()
}

#[test]
fn retries_of_post_routes_are_reported_from_the_route_match_without_a_spec() {
    let envoy = "fixtures/envoy/post-retry.yaml";
    let istio = "fixtures/istio/post-retry.yaml";
    // The POST routes are reported at their retry count; the routes for every method or GET
    // are not.
    assert_eq!(
        findings_of("retry-non-idempotent", &[envoy, istio]),
        [
            at("retry-non-idempotent", envoy, 28, 44),
            at("retry-non-idempotent", istio, 19, 19),
        ]
    );
    assert!(message_of("retry-non-idempotent", istio, 19)
        .contains("matches POST requests and retries them on 5xx"));
}

#[test]
fn routes_the_gateway_answers_itself_get_no_upstream_findings() {
    let kong = "fixtures/kong/request-termination.yaml";
    let istio = "fixtures/istio/direct-response.yaml";
    let apisix = "fixtures/apisix/mocking.yaml";
    let (_, report) = lint_json(&repo(), &[apisix, istio, kong]);
    let findings = located(&report);
    // Kong `request-termination` (on a route, on a service), an Istio `redirect` and
    // `directResponse`, an APISIX `mocking` plugin: no timeout, retry or breaker finding on
    // those routes, and the service's findings are about its live route only.
    assert_eq!(
        findings,
        [
            at("circuit-breaker-missing", istio, 20, 7),
            at("timeout-missing", istio, 20, 7),
            at("circuit-breaker-missing", kong, 4, 5),
            at("retry-without-backoff", kong, 7, 14),
        ]
    );
    assert!(message_of("retry-without-backoff", kong, 7).contains("Kong route `live`"));
}

#[test]
fn a_per_try_timeout_is_no_bound_on_the_request() {
    let envoy = "fixtures/envoy/per-try-only.yaml";
    let istio = "fixtures/istio/direct-response.yaml";
    // Envoy with its route timeout switched off and Istio without `timeout`: the per-try
    // timeout stops applying once the response starts, so the request is unbounded. The
    // finding on a disabling value sits on it and names it; the finding on a missing timeout
    // sits on the route, where `timeout` is added. The Envoy route left on its 15s default is
    // bounded, and says so once.
    assert_eq!(
        findings_of("timeout-missing", &[envoy, istio]),
        [
            at("timeout-missing", envoy, 22, 38),
            at("timeout-missing", envoy, 27, 27),
            at("timeout-missing", istio, 20, 7),
        ]
    );
    let disabled = message_of("timeout-missing", envoy, 22);
    assert!(disabled.contains("has no timeout on the whole request: its timeout `0s` switches it off, and the per-try timeout of 2s stops applying once the response starts"), "{disabled}");
    let default = message_of("timeout-missing", envoy, 27);
    assert!(
        default.ends_with(
            "is only bounded by Envoy's default route timeout of 15s in Envoy 1.36: no timeout is set for it"
        ),
        "{default}"
    );
    let output = common::run(&repo(), &["routes", "--format", "json", envoy]);
    let routes: serde_json::Value = serde_json::from_str(&output.stdout).expect("routes JSON");
    let worst: Vec<serde_json::Value> = routes["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .map(|route| route["worst_case_ms"].clone())
        .collect();
    assert_eq!(worst, [serde_json::Value::Null, serde_json::json!(15000)]);
}

#[test]
fn an_aws_any_method_is_the_operation_of_every_method_of_its_path() {
    let file = "fixtures/real/aws/simple-calc-lambda.json";
    // Its routes are the spec's own: none is undocumented, and the documentation rules check
    // the ANY operation like any other, once.
    assert!(findings_of("route-undocumented", &[file]).is_empty());
    assert_eq!(
        findings_of("operation-summary", &[file]),
        [
            at("operation-summary", file, 14, 7),
            at("operation-summary", file, 67, 7),
            at("operation-summary", file, 109, 7),
            at("operation-summary", file, 147, 7),
            at("operation-summary", file, 191, 7),
        ]
    );
    assert_eq!(
        message_of("operation-summary", file, 109),
        "operation `ANY /{a}` has no summary"
    );
    // Its mock integration is answered by API Gateway itself: no timeout finding.
    assert_eq!(
        findings_of("timeout-missing", &[file]),
        [
            at("timeout-missing", file, 49, 9),
            at("timeout-missing", file, 92, 9),
            at("timeout-missing", file, 226, 9),
        ]
    );
}

#[test]
fn kong_service_settings_are_reported_once_on_the_service_with_kong_remedies() {
    let file = "fixtures/kong/service-defaults.yaml";
    // The timeout and the retries are service fields: one finding per service, on it, and none
    // for the service that sets them.
    for rule in [
        "timeout-missing",
        "retry-without-backoff",
        "retry-excessive",
    ] {
        assert_eq!(findings_of(rule, &[file]), [at(rule, file, 5, 5)], "{rule}");
    }
    assert!(message_of("retry-without-backoff", file, 5)
        .contains("Each of the Kong routes `list` and `item`"));
    assert!(
        message_of("retry-without-backoff", file, 5).contains("Kong has no retry backoff setting")
    );
    // The help names Kong's own fix, not other gateways' fields.
    let backoff = help_of("retry-without-backoff", file, 5);
    assert!(
        backoff.starts_with("Kong's balancer has no retry backoff: lower the service's `retries`"),
        "{backoff}"
    );
    let timeout = help_of("timeout-missing", file, 5);
    assert!(
        timeout.starts_with("Set `read_timeout`") && !timeout.contains("Istio"),
        "{timeout}"
    );
    let breaker = help_of("circuit-breaker-missing", file, 5);
    assert_eq!(
        breaker,
        "Add `healthchecks.passive.unhealthy` thresholds, with `healthchecks.active` probes to \
         bring a target back (passive checks never re-enable one), to the upstream named after \
         the service's host (create it if there is none)"
    );
}

#[test]
fn a_traefik_finding_names_the_routers_without_a_circuit_breaker_middleware() {
    let file = "fixtures/traefik/dynamic.toml";
    let message = message_of("circuit-breaker-missing", file, 37);
    assert!(
        message.starts_with(
            "Traefik router `catch-all` sends to service `pets` without a circuit breaker"
        ),
        "{message}"
    );
    assert!(help_of("circuit-breaker-missing", file, 37)
        .starts_with("Add a `circuitBreaker` middleware"));
}

/// A route of a gateway that cannot match methods (an ingress-nginx Ingress) is not asked to
/// restrict them; a Kong route, which has `methods`, is.
#[test]
fn method_mismatch_asks_only_gateways_that_match_methods() {
    let ingress = findings_of("method-mismatch", &["fixtures/ingress-nginx/join"]);
    assert!(
        !ingress.contains(&at(
            "method-mismatch",
            "fixtures/ingress-nginx/join/ingress.yaml",
            12,
            19
        )),
        "{ingress:?}"
    );
    let kong = findings_of("method-mismatch", &["fixtures/kong/kubernetes/split"]);
    assert!(
        kong.contains(&at(
            "method-mismatch",
            "fixtures/kong/kubernetes/split/routes.yaml",
            16,
            19
        )),
        "{kong:?}"
    );
}

/// Every rule's page says why its default severity is what it is, and every rule about routes
/// says where its findings sit on each gateway: both come from the rule's YAML.
#[test]
fn every_rule_explains_its_severity_and_its_anchors() {
    for meta in routeguard::catalog::all() {
        assert!(
            meta.rationale.contains("\nSeverity: "),
            "rules/{}.yaml: the rationale has no `Severity:` paragraph",
            meta.id
        );
        if matches!(
            meta.family.as_str(),
            "timeout" | "retry" | "fallback" | "consistency"
        ) {
            assert!(
                meta.rationale.contains("\nAnchoring"),
                "rules/{}.yaml: the rationale has no `Anchoring` paragraph",
                meta.id
            );
        }
    }
}

#[test]
fn routes_the_gateway_does_not_serve_are_not_linted() {
    // Kong builds no route for a service with `enabled: false`, nested or top-level; Spring
    // Cloud Gateway drops a route with `enabled: false`. Only the live routes are linted.
    let kong = "fixtures/kong/disabled-service.yaml";
    let spring = "fixtures/spring-cloud-gateway/disabled.yml";
    assert_eq!(
        findings_of("timeout-missing", &[kong, spring]),
        [
            at("timeout-missing", kong, 11, 5),
            at("timeout-missing", spring, 19, 19),
        ]
    );
    assert!(message_of("timeout-missing", kong, 11).starts_with("Kong route `live` (* /v1/live*)"));
}
