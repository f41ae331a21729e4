//! Tyk API definitions, classic JSON and Tyk OAS: per-path enforced timeouts over the gateway's
//! 30s `proxy_default_timeout`, rate circuit breakers answering 503, uptime tests as active health
//! checks, no retries, and a Tyk OAS operation joined to its own OpenAPI operation.

use crate::inventory;

use inventory::{
    at, findings, fixtures_detected_by, lint, lint_recommended, message_at, ms, operations_of,
    origin, route, route_labels, timeout_ms,
};
use routeguard::model::PathKind;

const CLASSIC: &str = "fixtures/tyk/edge/classic.json";
const OAS: &str = "fixtures/tyk/edge/oas.yaml";
const BILLING: &str = "fixtures/tyk/join/billing.json";
const BILLING_SPEC: &str = "fixtures/tyk/join/openapi.yaml";

#[test]
fn a_classic_definition_gives_a_route_per_configured_path_and_one_for_the_rest() {
    let outcome = lint(&[CLASSIC]);
    assert_eq!(
        route_labels(&outcome, CLASSIC),
        [
            "GET /orders*",
            "DELETE /orders/{id}",
            "POST /payments*",
            "* /*"
        ]
    );
    let orders = route(&outcome, CLASSIC, "GET /orders*");
    assert_eq!(orders.path.kind, PathKind::Prefix);
    assert_eq!(at(&outcome, orders.location), format!("{CLASSIC}:21:15"));
    assert_eq!(timeout_ms(orders), Some(5000));
    let timeout = orders.policy.timeout.as_ref().expect("a hard timeout");
    assert_eq!(origin(&outcome, timeout), format!("{CLASSIC}:21:62"));
    assert_eq!(orders.policy.statuses.on_timeout, Some(504));
    let breaker = &orders.policy.circuit_breakers[0];
    assert_eq!(at(&outcome, breaker.location), format!("{CLASSIC}:26:15"));
    assert_eq!(breaker.open_status, Some(503));
    assert_eq!(orders.policy.statuses.on_circuit_open, Some(503));
    let health = orders.policy.health_check.as_ref().expect("uptime tests");
    let active = health.active.as_ref().expect("an active check");
    assert_eq!(at(&outcome, active.location), format!("{CLASSIC}:11:5"));
    assert_eq!(active.timeout.as_ref().map(|t| ms(t.value)), Some(2000));
    assert_eq!(
        orders.policy.upstream.as_ref().map(|u| u.name.as_str()),
        Some("orders.internal:8080")
    );
    // A disabled entry configures nothing.
    assert!(!route_labels(&outcome, CLASSIC).contains(&"GET /reports*".to_string()));
}

#[test]
fn tyk_never_retries_and_its_proxy_default_bounds_unconfigured_paths() {
    let outcome = lint(&[CLASSIC]);
    let rest = route(&outcome, CLASSIC, "* /*");
    assert_eq!(at(&outcome, rest.location), format!("{CLASSIC}:5:5"));
    assert_eq!(timeout_ms(rest), Some(30_000));
    let timeout = rest.policy.timeout.as_ref().expect("the default");
    assert!(origin(&outcome, timeout).contains("proxy_default_timeout"));
    assert!(rest.policy.circuit_breakers.is_empty());
    let retry = rest.policy.retry.as_ref().expect("Tyk's single attempt");
    assert_eq!(retry.max_retries.value, 0);
    assert!(origin(&outcome, &retry.max_retries).contains("sends each request once"));
    let outcome = lint_recommended(&[CLASSIC]);
    let place = format!("{CLASSIC}:5:5");
    assert!(findings(&outcome, "timeout-missing", CLASSIC).contains(&place));
    assert!(message_at(&outcome, "timeout-missing", &place).contains("proxy_default_timeout"));
    // An enforced timeout is not reported.
    assert!(!findings(&outcome, "timeout-missing", CLASSIC).contains(&format!("{CLASSIC}:21:15")));
}

#[test]
fn unreadable_values_are_located_and_fall_back_to_tyks_defaults() {
    let outcome = lint(&[CLASSIC]);
    assert_eq!(
        findings(&outcome, "invalid-value", CLASSIC),
        [
            format!("{CLASSIC}:22:70"),
            format!("{CLASSIC}:27:75"),
            format!("{CLASSIC}:27:121")
        ]
    );
    let delete = route(&outcome, CLASSIC, "DELETE /orders/{id}");
    assert_eq!(delete.path.kind, PathKind::Template);
    assert_eq!(timeout_ms(delete), Some(30_000));
    // A threshold of 50 is no fraction: no breaker is modelled.
    let payments = route(&outcome, CLASSIC, "POST /payments*");
    assert!(payments.policy.circuit_breakers.is_empty());
}

#[test]
fn a_tyk_oas_operation_joins_its_own_operation_with_its_middleware() {
    let outcome = lint(&[OAS]);
    assert_eq!(route_labels(&outcome, OAS), ["GET /pets", "POST /pets"]);
    let list = route(&outcome, OAS, "GET /pets");
    assert_eq!(list.name.as_deref(), Some("listPets"));
    assert_eq!(at(&outcome, list.location), format!("{OAS}:35:9"));
    assert_eq!(timeout_ms(list), Some(3000));
    let timeout = list.policy.timeout.as_ref().expect("enforceTimeout");
    assert_eq!(origin(&outcome, timeout), format!("{OAS}:37:18"));
    assert_eq!(list.policy.circuit_breakers.len(), 1);
    assert_eq!(list.policy.statuses.on_circuit_open, Some(503));
    let health = list.policy.health_check.as_ref().expect("uptimeTests");
    let active = health.active.as_ref().expect("an active check");
    assert_eq!(at(&outcome, active.location), format!("{OAS}:26:7"));
    assert_eq!(active.timeout.as_ref().map(|t| ms(t.value)), Some(1000));
    assert_eq!(
        operations_of(&outcome, list),
        [("GET /pets".to_string(), "explicit")]
    );
    let add = route(&outcome, OAS, "POST /pets");
    assert_eq!(at(&outcome, add.location), format!("{OAS}:12:5"));
    assert_eq!(timeout_ms(add), Some(30_000));
    assert!(add.policy.circuit_breakers.is_empty());
    assert_eq!(
        findings(&lint_recommended(&[OAS]), "circuit-breaker-missing", OAS),
        // Reported once for the upstream `url` the unprotected operation sends to.
        [format!("{OAS}:23:10")]
    );
    assert!(findings(&outcome, "invalid-value", OAS).is_empty());
}

#[test]
fn detection_claims_tyk_definitions_and_nothing_else() {
    assert_eq!(
        fixtures_detected_by("tyk"),
        [
            "fixtures/tyk/edge/classic.json",
            "fixtures/tyk/edge/oas.yaml",
            "fixtures/tyk/join/billing.json",
            "fixtures/tyk/real/app_sample.json",
            "fixtures/tyk/real/test-cbo.json",
            "fixtures/tyk/real/test-nhu.json",
            "fixtures/tyk/real/tracing-versioned.json",
        ]
    );
}

#[test]
fn the_versions_enforced_timeout_bounds_paths_without_their_own() {
    let outcome = lint(&[BILLING]);
    // `timeout: 0` is unset: the version's `global_enforce_timeout` applies.
    let invoices = route(&outcome, BILLING, "GET /invoices*");
    assert_eq!(timeout_ms(invoices), Some(10_000));
    let timeout = invoices
        .policy
        .timeout
        .as_ref()
        .expect("the API-level timeout");
    assert_eq!(origin(&outcome, timeout), format!("{BILLING}:17:35"));
    assert_eq!(timeout_ms(route(&outcome, BILLING, "* /*")), Some(10_000));
    // A positive `duration` wins over whole seconds.
    let exports = route(&outcome, BILLING, "POST /exports*");
    assert_eq!(timeout_ms(exports), Some(500));
    // Uptime tests without `check_host_against_uptime_tests` only raise events.
    assert!(invoices.policy.health_check.is_none());
}

#[test]
fn a_classic_path_joins_the_upstreams_spec_and_its_504_must_be_documented() {
    let outcome = lint_recommended(&[BILLING, BILLING_SPEC]);
    let exports = route(&outcome, BILLING, "POST /exports*");
    assert_eq!(
        operations_of(&outcome, exports),
        [("POST /exports".to_string(), "prefix")]
    );
    let place = format!("{BILLING_SPEC}:17:7");
    assert_eq!(
        findings(&outcome, "gateway-errors-undocumented", BILLING_SPEC),
        std::slice::from_ref(&place)
    );
    assert!(message_at(&outcome, "gateway-errors-undocumented", &place).contains("504 (Tyk"));
    // GET /invoices documents Tyk's 504.
    let invoices = route(&outcome, BILLING, "GET /invoices*");
    assert_eq!(
        operations_of(&outcome, invoices),
        [("GET /invoices".to_string(), "prefix")]
    );
}
