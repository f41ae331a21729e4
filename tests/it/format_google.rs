//! Google Cloud Endpoints and API Gateway (`x-google-backend` in OpenAPI 2.0): every operation
//! with a backend rule is an ESPv2 route with its deadline, ESPv2's default retry and the
//! statuses it answers, joined explicitly to its own operation.

use crate::inventory;

use inventory::{
    at, findings, fixtures_detected_by, lint, lint_recommended, message_at, ms, operations_of,
    origin, route, route_labels, timeout_ms,
};
use routeguard::model::policy::RetryCondition;
use routeguard::model::PathKind;

const DOC: &str = "fixtures/google/openapi.yaml";
const INVALID: &str = "fixtures/google/invalid.yaml";
const DYNAMIC: &str = "fixtures/google/esp-v2/dynamic-routing.json";
const ROUTE_MATCH: &str = "fixtures/google/esp-v2/route-match.json";
const SIDECAR: &str = "fixtures/google/esp-v2/sidecar-backend.json";

#[test]
fn a_document_wide_backend_makes_every_operation_a_route() {
    let outcome = lint(&[DOC]);
    assert_eq!(
        route_labels(&outcome, DOC),
        ["GET /orders", "POST /orders", "GET /orders/{orderId}"]
    );
    let list = route(&outcome, DOC, "GET /orders");
    assert_eq!(list.name.as_deref(), Some("listOrders"));
    // The document's rule is written once: the route sits at its method.
    assert_eq!(at(&outcome, list.location), format!("{DOC}:24:5"));
    assert_eq!(timeout_ms(list), Some(4000));
    let timeout = list.policy.timeout.as_ref().expect("a deadline");
    assert_eq!(origin(&outcome, timeout), format!("{DOC}:9:13"));
    assert_eq!(list.policy.statuses.on_timeout, Some(504));
    let upstream = list.policy.upstream.as_ref().expect("a backend");
    assert_eq!(upstream.name, "orders-abc123-uc.a.run.app");
    // A quota metric cost: ESPv2 answers 429 once the quota is spent.
    let limit = list.policy.rate_limit.as_ref().expect("a quota");
    assert_eq!(at(&outcome, limit.location), format!("{DOC}:26:7"));
    assert_eq!(list.policy.statuses.on_rate_limited, Some(429));
    assert!(list.policy.circuit_breakers.is_empty());
    assert!(list.policy.health_check.is_none());
    assert!(list.policy.fallbacks.is_empty());
    assert!(findings(&outcome, "invalid-value", DOC).is_empty());
}

#[test]
fn espv2_retries_once_on_connection_failures_with_envoys_backoff() {
    let outcome = lint(&[DOC]);
    let list = route(&outcome, DOC, "GET /orders");
    let retry = list.policy.retry.as_ref().expect("ESPv2's default retry");
    assert_eq!(retry.max_retries.value, 1);
    assert!(origin(&outcome, &retry.max_retries).contains("--backend_retry_num"));
    assert_eq!(
        retry.conditions,
        [
            RetryCondition::Reset,
            RetryCondition::ConnectFailure,
            RetryCondition::RefusedStream
        ]
    );
    assert!(retry.per_try_timeout.is_none());
    assert_eq!(retry.non_idempotent, Some(true));
    let backoff = retry.backoff.as_ref().expect("Envoy's back-off");
    let base = backoff.base.as_ref().expect("a base");
    assert_eq!(ms(base.value), 25);
    assert!(backoff.jittered);
    // Two attempts of at most 4s each would outlast the deadline, which bounds the route.
    assert_eq!(list.policy.worst_case().map(ms), Some(4000));
}

#[test]
fn an_operations_rule_replaces_the_documents_whole() {
    let outcome = lint(&[DOC]);
    let create = route(&outcome, DOC, "POST /orders");
    assert_eq!(at(&outcome, create.location), format!("{DOC}:36:7"));
    // Seconds rounded to the millisecond, as ESPv2 does.
    assert_eq!(timeout_ms(create), Some(2000));
    assert_eq!(
        create.policy.upstream.as_ref().map(|u| u.name.as_str()),
        Some("us-central1-example.cloudfunctions.net")
    );
    assert!(create.policy.rate_limit.is_none());
    let get = route(&outcome, DOC, "GET /orders/{orderId}");
    assert_eq!(get.path.kind, PathKind::Template);
    assert_eq!(timeout_ms(get), Some(15_000));
    let timeout = get.policy.timeout.as_ref().expect("a deadline");
    assert_eq!(
        origin(&outcome, timeout),
        "default: ESPv2's default backend deadline of 15s in ESPv2 at commit 3dcedb6f"
    );
}

#[test]
fn routes_join_their_own_operation_and_retried_posts_are_found() {
    let outcome = lint(&[DOC]);
    for label in ["GET /orders", "POST /orders", "GET /orders/{orderId}"] {
        let found = route(&outcome, DOC, label);
        assert_eq!(
            operations_of(&outcome, found),
            [(label.to_string(), "explicit")]
        );
    }
    // ESPv2 retries a reset, which fires after the request reached the backend.
    let outcome = lint_recommended(&[DOC]);
    let place = format!("{DOC}:36:7");
    assert!(message_at(&outcome, "retry-non-idempotent", &place).contains("POST /orders"));
    assert_eq!(findings(&outcome, "retry-non-idempotent", DOC).len(), 1);
    // The 504 ESPv2 answers on its deadline is owed by every operation; the quota's 429 is
    // documented where the quota applies.
    assert_eq!(
        findings(&outcome, "gateway-errors-undocumented", DOC),
        [
            format!("{DOC}:29:7"),
            format!("{DOC}:40:7"),
            format!("{DOC}:55:7")
        ]
    );
    // ESPv2 has no circuit breaker to configure: nothing to report there.
    assert!(findings(&outcome, "circuit-breaker-missing", DOC).is_empty());
}

#[test]
fn real_espv2_examples() {
    let outcome = lint(&[DYNAMIC]);
    assert_eq!(
        route_labels(&outcome, DYNAMIC),
        ["GET /shelves", "POST /shelves"]
    );
    assert_eq!(
        timeout_ms(route(&outcome, DYNAMIC, "GET /shelves")),
        Some(7000)
    );
    assert_eq!(
        timeout_ms(route(&outcome, DYNAMIC, "POST /shelves")),
        Some(23_000)
    );
    assert!(findings(&outcome, "invalid-value", DYNAMIC).is_empty());

    let outcome = lint(&[ROUTE_MATCH]);
    let shelf = route(
        &outcome,
        ROUTE_MATCH,
        "GET /libraries/{library_id}/shelves/{shelfId}",
    );
    assert_eq!(at(&outcome, shelf.location), format!("{ROUTE_MATCH}:61:9"));
    assert_eq!(timeout_ms(shelf), Some(15_000));
    assert_eq!(
        shelf.policy.upstream.as_ref().map(|u| u.name.as_str()),
        Some("http-bookstore-edf123456-uc.a.run.app")
    );

    // Sidecar mode: rules without an address send to ESPv2's `--backend`; deadlines written as
    // strings are read as gcloud reads them.
    let outcome = lint(&[SIDECAR]);
    let list = route(&outcome, SIDECAR, "GET /shelves");
    assert_eq!(timeout_ms(list), Some(7500));
    let create = route(&outcome, SIDECAR, "POST /shelves");
    assert_eq!(timeout_ms(create), Some(25_000));
    let timeout = create.policy.timeout.as_ref().expect("a deadline");
    assert_eq!(origin(&outcome, timeout), format!("{SIDECAR}:94:17"));
    let upstream = create
        .policy
        .upstream
        .as_ref()
        .expect("the sidecar's backend");
    assert_eq!(upstream.name, "ESPv2's --backend");
    assert!(upstream.location.is_none());
    assert!(findings(&outcome, "invalid-value", SIDECAR).is_empty());
}

#[test]
fn values_espv2_cannot_use_are_invalid_values_at_their_place() {
    let outcome = lint(&[INVALID]);
    assert_eq!(
        findings(&outcome, "invalid-value", INVALID),
        [
            format!("{INVALID}:6:19"),
            format!("{INVALID}:12:19"),
            format!("{INVALID}:19:18"),
            format!("{INVALID}:20:19"),
            format!("{INVALID}:21:27"),
        ]
    );
    assert!(
        message_at(&outcome, "invalid-value", &format!("{INVALID}:12:19"))
            .contains("ESPv2 ignores it and waits 15s")
    );
    // What cannot be read leaves the documented default in force.
    let negative = route(&outcome, INVALID, "GET /negative");
    assert_eq!(timeout_ms(negative), Some(15_000));
    assert!(!negative
        .policy
        .timeout
        .as_ref()
        .expect("a deadline")
        .origin
        .is_explicit());
    let inherited = route(&outcome, INVALID, "GET /inherited");
    assert_eq!(timeout_ms(inherited), Some(15_000));
}

#[test]
fn the_google_detector_fires_only_on_documents_with_backend_rules() {
    assert_eq!(
        fixtures_detected_by("google"),
        [
            "fixtures/envoy/esp-v2/dynamic-routing/openapi_swagger.json",
            "fixtures/google/esp-v2/dynamic-routing.json",
            "fixtures/google/esp-v2/route-match.json",
            "fixtures/google/esp-v2/sidecar-backend.json",
            "fixtures/google/invalid.yaml",
            "fixtures/google/oas3.yaml",
            "fixtures/google/openapi.yaml",
        ]
    );
}

#[test]
fn every_value_replaced_by_a_wrong_kind_never_panics() {
    for fixture in [DOC, INVALID, OAS3] {
        assert!(inventory::lint_value_mutations(fixture) > 30, "{fixture}");
    }
}

const OAS3: &str = "fixtures/google/oas3.yaml";

#[test]
fn api_gateway_openapi3_backends_are_named_under_x_google_api_management() {
    let outcome = lint(&[OAS3]);
    // The document names `orders`: its 45s deadline bounds every operation without its own.
    let order = route(&outcome, OAS3, "GET /orders/{orderId}");
    assert_eq!(timeout_ms(order), Some(45_000));
    let timeout = order.policy.timeout.as_ref().expect("deadline");
    assert_eq!(origin(&outcome, timeout), format!("{OAS3}:10:17"));
    assert_eq!(at(&outcome, order.location), format!("{OAS3}:22:5"));
    assert_eq!(
        order.policy.upstream.as_ref().map(|u| u.name.as_str()),
        Some("orders-a1b2c3-uc.a.run.app")
    );
    // `reports` sets no deadline: ESPv2's 15s; the route sits on the operation's own entry.
    let report = route(&outcome, OAS3, "POST /reports");
    assert_eq!(timeout_ms(report), Some(15_000));
    assert_eq!(at(&outcome, report.location), format!("{OAS3}:30:7"));
    assert_eq!(
        operations_of(&outcome, report),
        [("POST /reports".to_string(), "explicit")]
    );
    let retry = report.policy.retry.as_ref().expect("ESPv2's retry");
    assert_eq!(retry.max_retries.value, 1);
    assert!(retry.conditions.contains(&RetryCondition::Reset));
}

#[test]
fn an_openapi3_backend_is_checked_once_and_unknown_names_are_reported() {
    let outcome = lint(&[OAS3]);
    assert_eq!(
        findings(&outcome, "invalid-value", OAS3),
        [
            format!("{OAS3}:17:16"),
            format!("{OAS3}:18:25"),
            format!("{OAS3}:37:25")
        ]
    );
    assert_eq!(
        message_at(&outcome, "invalid-value", &format!("{OAS3}:37:25")),
        "`exports` names no backend of `x-google-api-management.backends`: API Gateway refuses the config"
    );
    // A backend named by a valid reference with valid fields is not reported.
    assert!(!findings(&outcome, "invalid-value", OAS3).contains(&format!("{OAS3}:11:24")));
    let result = crate::common::run(
        &crate::common::repo(),
        &["routes", "--format", "json", OAS3],
    );
    let report: serde_json::Value = serde_json::from_str(&result.stdout).expect("json");
    let rows = report["routes"].as_array().expect("routes");
    let order = rows
        .iter()
        .find(|row| row["name"] == "getOrder")
        .expect("getOrder");
    assert_eq!(order["format"], "google");
    assert_eq!(order["timeout_ms"], 45_000);
    assert_eq!(order["max_retries"], 1);
    assert_eq!(order["operation"], "GET /orders/{orderId}");
}
