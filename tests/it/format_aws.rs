//! AWS API Gateway extensions in OpenAPI documents: routes, integration timeouts, gateway
//! statuses, and the explicit join of each integration to its own operation.

use crate::inventory;

use inventory::{
    at, findings, fixtures_detected_by, lint, message_at, operations_of, origin, route,
    route_labels, timeout_ms,
};
use routeguard::model::{MethodSet, PathKind};

const REST: &str = "fixtures/aws/openapi.yaml";
const HTTP: &str = "fixtures/aws/http-api.yaml";
const IMPORTER: &str = "fixtures/aws/importer-apigateway.json";
const INVALID: &str = "fixtures/aws/invalid.yaml";

#[test]
fn every_integration_is_a_route_and_operations_without_one_are_not() {
    let outcome = lint(&[REST]);
    let labels = route_labels(&outcome, REST);
    assert_eq!(
        labels,
        [
            "GET /orders",
            "POST /orders",
            "GET /orders/{orderId}",
            "OPTIONS /orders/{orderId}",
            "* /files/{proxy+}",
        ]
    );
    assert!(findings(&outcome, "invalid-value", REST).is_empty());
}

#[test]
fn explicit_timeout_statuses_and_usage_plan_throttling() {
    let outcome = lint(&[REST]);
    let list = route(&outcome, REST, "GET /orders");
    assert_eq!(list.name.as_deref(), Some("listOrders"));
    assert_eq!(at(&outcome, list.location), format!("{REST}:22:7"));
    assert_eq!(list.path.kind, PathKind::Exact);
    assert_eq!(timeout_ms(list), Some(5000));
    let timeout = list.policy.timeout.as_ref().expect("a timeout");
    assert_eq!(origin(&outcome, timeout), format!("{REST}:26:26"));
    assert!(list.policy.retry.is_none());
    assert!(list.policy.per_try_timeout.is_none());
    assert!(list.policy.circuit_breakers.is_empty());
    assert!(list.policy.fallbacks.is_empty());
    // INTEGRATION_TIMEOUT is answered with 503 in this document, THROTTLED with 429.
    assert_eq!(list.policy.statuses.on_timeout, Some(503));
    assert_eq!(list.policy.statuses.on_rate_limited, Some(429));
    // The root security requirement asks for an API key: usage plans throttle the route.
    let limit = list
        .policy
        .rate_limit
        .as_ref()
        .expect("usage plan throttling");
    assert_eq!(at(&outcome, limit.location), format!("{REST}:8:5"));
    let upstream = list.policy.upstream.as_ref().expect("an upstream");
    assert_eq!(upstream.name, "orders.internal.example.com");
    assert_eq!(upstream.endpoints, None);
}

#[test]
fn default_timeout_and_operation_security_override() {
    let outcome = lint(&[REST]);
    let create = route(&outcome, REST, "POST /orders");
    assert_eq!(timeout_ms(create), Some(29_000));
    let timeout = create.policy.timeout.as_ref().expect("a timeout");
    assert_eq!(
        origin(&outcome, timeout),
        "default: AWS API Gateway's default integration timeout of 29s (REST APIs) in API Gateway V1/V2"
    );
    // `security: []` on the operation: no API key, no usage plan.
    assert!(create.policy.rate_limit.is_none());
    assert_eq!(create.policy.statuses.on_rate_limited, None);
    assert_eq!(
        create.policy.upstream.as_ref().map(|u| u.name.as_str()),
        Some(
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/\
             arn:aws:lambda:us-east-1:123456789012:function:createOrder/invocations"
        )
    );
}

#[test]
fn values_set_at_deploy_time_are_bounded_by_the_limit_and_not_reported() {
    let outcome = lint(&[REST]);
    let get = route(&outcome, REST, "GET /orders/{orderId}");
    assert_eq!(get.path.kind, PathKind::Template);
    assert_eq!(timeout_ms(get), Some(29_000));
    let timeout = get.policy.timeout.as_ref().expect("a timeout");
    assert!(origin(&outcome, timeout).contains("set at deploy time"));
    assert_eq!(
        get.policy.upstream.as_ref().map(|u| u.name.as_str()),
        Some("${OrdersHost}")
    );
    // SigV4 (an `apiKey` scheme API Gateway marks with an auth type) is no API key: no usage
    // plan applies.
    assert!(get.policy.rate_limit.is_none());
}

#[test]
fn mock_integrations_wait_for_no_backend() {
    let outcome = lint(&[REST]);
    let mock = route(&outcome, REST, "OPTIONS /orders/{orderId}");
    assert!(mock.policy.timeout.is_none());
    assert!(mock.policy.upstream.is_none());
    assert_eq!(mock.policy.statuses.on_timeout, None);
}

#[test]
fn integrations_link_explicitly_to_their_operation() {
    let outcome = lint(&[REST]);
    for (label, operation) in [
        ("GET /orders", "GET /orders"),
        ("POST /orders", "POST /orders"),
        ("GET /orders/{orderId}", "GET /orders/{orderId}"),
        ("OPTIONS /orders/{orderId}", "OPTIONS /orders/{orderId}"),
    ] {
        let found = route(&outcome, REST, label);
        let explicit = found.explicit_operation.expect("the operation is named");
        let linked = outcome
            .inventory
            .operations
            .iter()
            .find(|op| op.location == explicit)
            .expect("the location is the operation's method key");
        assert_eq!(linked.route(), operation);
        assert_eq!(
            operations_of(&outcome, found),
            [(operation.to_string(), "explicit")]
        );
    }
}

#[test]
fn any_method_is_every_method_on_a_greedy_path() {
    let outcome = lint(&[REST]);
    let any = route(&outcome, REST, "* /files/{proxy+}");
    assert_eq!(any.methods, MethodSet::Any);
    assert_eq!(any.path.kind, PathKind::Template);
    assert_eq!(timeout_ms(any), Some(10_000));
    assert_eq!(at(&outcome, any.location), format!("{REST}:84:7"));
    // An operation of the spec for every method the path item does not define itself (the
    // explicit `get` takes GET requests, as API Gateway picks an explicit method over ANY).
    assert_eq!(
        operations_of(&outcome, any),
        [("ANY /files/{proxy+}".to_string(), "explicit")]
    );
}

#[test]
fn http_apis_allow_thirty_seconds_and_have_a_default_route() {
    let outcome = lint(&[HTTP]);
    let note = route(&outcome, HTTP, "GET /notes/{noteId}");
    assert_eq!(timeout_ms(note), Some(30_000));
    let timeout = note.policy.timeout.as_ref().expect("a timeout");
    assert_eq!(origin(&outcome, timeout), format!("{HTTP}:19:26"));
    assert!(note.policy.rate_limit.is_none());
    let fallback = route(&outcome, HTTP, "* /*");
    assert_eq!(fallback.path.kind, PathKind::Any);
    assert!(fallback.is_catch_all());
    assert_eq!(timeout_ms(fallback), Some(30_000));
    assert_eq!(
        origin(
            &outcome,
            fallback.policy.timeout.as_ref().expect("a timeout")
        ),
        "default: AWS API Gateway's default integration timeout of 30s (HTTP APIs) in API Gateway V1/V2"
    );
    // HTTP APIs have no gateway responses: an integration timeout is answered 503.
    assert_eq!(fallback.policy.statuses.on_timeout, Some(503));
    assert_eq!(note.policy.statuses.on_timeout, Some(503));
    assert!(findings(&outcome, "invalid-value", HTTP).is_empty());
}

#[test]
fn real_swagger_2_document_from_the_importer() {
    let outcome = lint(&[IMPORTER]);
    let labels = route_labels(&outcome, IMPORTER);
    assert_eq!(labels, ["GET /products", "POST /products/child"]);
    let products = route(&outcome, IMPORTER, "GET /products");
    assert_eq!(timeout_ms(products), Some(29_000));
    assert_eq!(products.policy.statuses.on_timeout, Some(504));
    // `api_key` is API Gateway's key: usage plans answer 429.
    assert_eq!(products.policy.statuses.on_rate_limited, Some(429));
    assert_eq!(
        operations_of(&outcome, products),
        [("GET /products".to_string(), "explicit")]
    );
    let child = route(&outcome, IMPORTER, "POST /products/child");
    assert_eq!(
        child.policy.upstream.as_ref().map(|u| u.name.as_str()),
        Some("api.github.com")
    );
    assert!(findings(&outcome, "invalid-value", IMPORTER).is_empty());
}

#[test]
fn values_api_gateway_rejects_are_invalid_values_at_their_place() {
    let outcome = lint(&[INVALID]);
    let places = findings(&outcome, "invalid-value", INVALID);
    assert_eq!(
        places,
        [
            format!("{INVALID}:7:17"),
            format!("{INVALID}:14:26"),
            format!("{INVALID}:20:26"),
            format!("{INVALID}:26:26"),
            format!("{INVALID}:30:15"),
            format!("{INVALID}:35:9"),
        ]
    );
    assert!(
        message_at(&outcome, "invalid-value", &format!("{INVALID}:14:26"))
            .contains("from 50 to 29000")
    );
    // A rejected value leaves the documented default in force, marked as such.
    let too_long = route(&outcome, INVALID, "GET /too-long");
    assert_eq!(timeout_ms(too_long), Some(29_000));
    assert!(!too_long
        .policy
        .timeout
        .as_ref()
        .expect("a timeout")
        .origin
        .is_explicit());
    // An unreadable gateway response status leaves API Gateway's own 504.
    assert_eq!(too_long.policy.statuses.on_timeout, Some(504));
}

#[test]
fn malformed_documents_do_not_panic() {
    let outcome = lint(&["fixtures/aws/broken"]);
    assert!(!findings(&outcome, "invalid-value", "fixtures/aws/broken/shapes.yaml").is_empty());
    let outcome = lint(&["fixtures/aws"]);
    assert!(!outcome.inventory.routes.is_empty());
}

#[test]
fn the_aws_detector_fires_only_on_documents_with_integrations() {
    assert_eq!(
        fixtures_detected_by("aws"),
        [
            "fixtures/aws/broken/shapes.yaml",
            "fixtures/aws/http-api.yaml",
            "fixtures/aws/importer-apigateway.json",
            "fixtures/aws/invalid.yaml",
            "fixtures/aws/openapi.yaml",
        ]
    );
}

#[test]
fn every_value_replaced_by_a_wrong_kind_never_panics() {
    for fixture in [REST, HTTP, INVALID] {
        assert!(inventory::lint_value_mutations(fixture) > 50, "{fixture}");
    }
}
