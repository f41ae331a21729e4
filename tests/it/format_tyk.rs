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
            "fixtures/tyk/gateway/oas-balanced.yaml",
            "fixtures/tyk/gateway/override.json",
            "fixtures/tyk/gateway/versions.json",
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

const VERSIONS: &str = "fixtures/tyk/gateway/versions.json";
const CONF: &str = "fixtures/tyk/gateway/tyk.conf";

#[test]
fn each_version_is_its_own_set_of_routes() {
    let outcome = lint(&[VERSIONS]);
    assert_eq!(
        route_labels(&outcome, VERSIONS),
        ["GET /items*", "* /*", "* /*"]
    );
    let v1 = route(&outcome, VERSIONS, "GET /items*");
    assert_eq!(v1.name.as_deref(), Some("catalog v1"));
    assert_eq!(timeout_ms(v1), Some(3000));
    let trip = v1.policy.circuit_breakers[0]
        .trip
        .as_ref()
        .expect("rate breaker");
    assert_eq!(trip.failure_rate.value, 40.0);
    assert_eq!(trip.minimum_calls.value, 25);
    assert_eq!(ms(trip.open_for.value), 20_000);
    assert_eq!(
        origin(&outcome, &trip.window),
        "default: the 10s window of Tyk's rate breaker in Tyk v5.15"
    );
    let rest: Vec<_> = inventory::routes_in(&outcome, VERSIONS)
        .into_iter()
        .filter(|route| route.path.pattern == "/")
        .collect();
    // v1's other paths take its `global_enforce_timeout`, located at the version's key.
    assert_eq!(rest[0].name.as_deref(), Some("catalog v1"));
    assert_eq!(at(&outcome, rest[0].location), format!("{VERSIONS}:19:7"));
    assert_eq!(timeout_ms(rest[0]), Some(12_000));
    // Without `use_extended_paths` v2's hard timeout is not read: Tyk's 30s default bounds it;
    // load balancing replaces its `override_target` (`nextTarget`).
    assert_eq!(rest[1].name.as_deref(), Some("catalog v2"));
    assert_eq!(timeout_ms(rest[1]), Some(30_000));
    let upstream = rest[1].policy.upstream.as_ref().expect("the pool");
    assert_eq!(
        (upstream.name.as_str(), upstream.endpoints),
        ("catalog-a.internal:8080", Some(3))
    );
    // Without load balancing, a versioned API's version sends to its `override_target`.
    const OVERRIDE: &str = "fixtures/tyk/gateway/override.json";
    let outcome = lint(&[OVERRIDE]);
    let upstreams: Vec<_> = inventory::routes_in(&outcome, OVERRIDE)
        .iter()
        .map(|route| route.policy.upstream.as_ref().unwrap().name.clone())
        .collect();
    assert_eq!(
        upstreams,
        ["ledger-v1.internal:8080", "ledger-v2.internal:8080"]
    );
}

#[test]
fn load_balanced_targets_are_a_pool_checked_by_the_uptime_tests() {
    let outcome = lint(&[VERSIONS]);
    let v1 = route(&outcome, VERSIONS, "GET /items*");
    let upstream = v1.policy.upstream.as_ref().expect("target");
    assert_eq!(upstream.endpoints, Some(3));
    assert!(
        v1.policy.fallbacks.is_empty(),
        "round robin, not a fallback"
    );
    let active = v1
        .policy
        .health_check
        .as_ref()
        .and_then(|h| h.active.as_ref());
    let active = active.expect("check_host_against_uptime_tests");
    assert_eq!(active.timeout.as_ref().map(|t| ms(t.value)), Some(8000));
    let interval = active.interval.as_ref().expect("Tyk's interval");
    assert_eq!(ms(interval.value), 10_000);
    assert!(origin(&outcome, interval).contains("uptime_tests.config.time_wait"));
    // Probing every 10s with an 8s timeout does not overlap.
    let outcome = lint_recommended(&[VERSIONS]);
    assert!(findings(&outcome, "health-check-timing", VERSIONS).is_empty());
}

#[test]
fn the_gateways_tyk_conf_sets_the_default_timeout_and_the_uptime_interval() {
    let outcome = lint_recommended(&[CONF, VERSIONS]);
    let v2 = inventory::routes_in(&outcome, VERSIONS)[2];
    assert_eq!(timeout_ms(v2), Some(45_000));
    let timeout = v2.policy.timeout.as_ref().expect("proxy_default_timeout");
    assert_eq!(origin(&outcome, timeout), format!("{CONF}:4:28"));
    // 5s between probes, 8s of timeout: Tyk's checker runs its rounds one after another on a
    // ticker that drops the ticks a slow round misses (`gateway/host_checker.go`), so probes
    // never overlap and nothing is reported.
    assert!(findings(&outcome, "health-check-timing", VERSIONS).is_empty());
    // The gateway's own file is Tyk's, not an unknown format.
    assert!(findings(&outcome, "unknown-format", CONF).is_empty());
    let result = crate::common::run(
        &crate::common::repo(),
        &["routes", "--format", "json", CONF, VERSIONS],
    );
    let report: serde_json::Value = serde_json::from_str(&result.stdout).expect("json");
    let rows = report["routes"].as_array().expect("routes");
    let items = rows
        .iter()
        .find(|row| row["path"] == "/items*")
        .expect("v1 /items");
    assert_eq!(items["timeout_ms"], 3000);
    assert_eq!(items["endpoints"], 3);
    assert_eq!(items["health_check"], "active");
    assert_eq!(
        items["circuit_breaker_trip"],
        "opens at 40 % failed of the calls of the last 10s (at least 25); open 20s"
    );
    let v2 = rows
        .iter()
        .find(|row| row["name"] == "catalog v2")
        .expect("v2");
    assert_eq!(v2["timeout_ms"], 45_000);
}

const OAS_BALANCED: &str = "fixtures/tyk/gateway/oas-balanced.yaml";

#[test]
fn a_tyk_oas_pool_without_skip_unavailable_hosts_has_no_health_check() {
    let outcome = lint_recommended(&[OAS_BALANCED, VERSIONS]);
    let stock = route(&outcome, OAS_BALANCED, "GET /stock");
    // Two targets carry weight; the third (weight 0) gets no traffic.
    let upstream = stock.policy.upstream.as_ref().expect("url");
    assert_eq!(upstream.endpoints, Some(2));
    // Uptime tests run, but without `skipUnavailableHosts` they take no target out.
    assert!(stock.policy.health_check.is_none());
    assert_eq!(
        findings(&outcome, "health-check-missing", OAS_BALANCED),
        [format!("{OAS_BALANCED}:18:10")]
    );
    // The classic pool checked against its uptime tests is not reported.
    assert!(findings(&outcome, "health-check-missing", VERSIONS).is_empty());
}
