//! ingress-nginx: `Ingress` annotations over the controller ConfigMap over the controller's
//! defaults, nginx's try counting, its non-idempotent rule, fallbacks, rate limits and the join.

use crate::inventory;

use inventory::{
    at, findings, fixtures_detected_by, lint, lint_recommended, message_at, ms, operations_of,
    origin, route, route_labels, timeout_ms,
};
use routeguard::model::policy::{FallbackKind, RetryCondition};
use routeguard::model::{MethodSet, PathKind};

const ANNOTATED: &str = "fixtures/ingress-nginx/annotations.yaml";
const INVALID: &str = "fixtures/ingress-nginx/invalid.yaml";
const CONFIG_MAP: &str = "fixtures/ingress-nginx/controller/configmap.yaml";
const CONTROLLED: &str = "fixtures/ingress-nginx/controller/ingress.yaml";
const REGISTRY: &str = "fixtures/real/ingress-nginx/docker-registry-ingress.yaml";
const COOKIE: &str = "fixtures/real/ingress-nginx/affinity-cookie-ingress.yaml";
const DOCS_CONFIG: &str = "fixtures/real/ingress-nginx/custom-configuration-configmap.yaml";

#[test]
fn annotations_set_each_attempt_the_tries_and_the_retry_deadline() {
    let outcome = lint(&[ANNOTATED]);
    assert_eq!(
        route_labels(&outcome, ANNOTATED),
        [
            "* /orders*",
            "* /orders/export",
            "* /catalog*",
            "* ~/payments/[0-9]+",
            "* /search*"
        ]
    );
    let orders = route(&outcome, ANNOTATED, "* /orders*");
    assert_eq!(orders.name.as_deref(), Some("orders.0.0"));
    assert_eq!(at(&outcome, orders.location), format!("{ANNOTATED}:22:19"));
    assert_eq!(orders.path.kind, PathKind::SegmentPrefix);
    assert_eq!(orders.methods, MethodSet::Any);
    assert_eq!(orders.hosts, ["shop.example.com"]);
    // nginx bounds each attempt, not the request.
    assert_eq!(timeout_ms(orders), None);
    let per_try = orders
        .policy
        .per_try_timeout
        .as_ref()
        .expect("a read timeout");
    assert_eq!(ms(per_try.value), 8000);
    assert_eq!(origin(&outcome, per_try), format!("{ANNOTATED}:8:53"));
    let connect = orders
        .policy
        .connect_timeout
        .as_ref()
        .expect("a connect timeout");
    assert_eq!(ms(connect.value), 2000);
    // `proxy-next-upstream-tries: "4"` counts the first attempt: 3 retries.
    let retry = orders.policy.retry.as_ref().expect("retries");
    assert_eq!(retry.max_retries.value, 3);
    assert_eq!(
        origin(&outcome, &retry.max_retries),
        format!("{ANNOTATED}:11:60")
    );
    assert_eq!(
        retry.conditions,
        [
            RetryCondition::ConnectFailure,
            RetryCondition::Reset,
            RetryCondition::Timeout,
            RetryCondition::Status(503, 503)
        ]
    );
    assert!(retry.backoff.is_none());
    assert_eq!(retry.non_idempotent, Some(true));
    let deadline = retry
        .deadline
        .as_ref()
        .expect("proxy-next-upstream-timeout");
    assert_eq!(ms(deadline.value), 20_000);
    // 4 × 8s = 32s, but no retry starts after 20s: 20s + one last 8s attempt.
    assert_eq!(orders.policy.worst_case().map(ms), Some(28_000));
    assert_eq!(orders.policy.statuses.on_timeout, Some(504));
    assert!(orders.policy.circuit_breakers.is_empty());
    assert!(orders.policy.health_check.is_none());
    let upstream = orders.policy.upstream.as_ref().expect("a Service");
    assert_eq!(upstream.name, "orders");
    let export = route(&outcome, ANNOTATED, "* /orders/export");
    assert_eq!(export.path.kind, PathKind::Exact);
    assert_eq!(
        export.policy.upstream.as_ref().map(|u| u.name.as_str()),
        Some("orders-export")
    );
}

#[test]
fn default_backend_custom_errors_and_rate_limits() {
    let outcome = lint(&[ANNOTATED]);
    let orders = route(&outcome, ANNOTATED, "* /orders*");
    let [fallback] = orders.policy.fallbacks.as_slice() else {
        panic!("one fallback: {:?}", orders.policy.fallbacks);
    };
    assert_eq!(fallback.kind, FallbackKind::FailoverOnStatus);
    assert_eq!(fallback.targets, ["orders-maintenance"]);
    assert_eq!(
        at(&outcome, fallback.location),
        format!("{ANNOTATED}:14:50")
    );
    // `limit-rps` answers with the controller's `limit-req-status-code`, 503 by default.
    let limit = orders.policy.rate_limit.as_ref().expect("a rate limit");
    assert_eq!(limit.status, 503);
    assert_eq!(at(&outcome, limit.location), format!("{ANNOTATED}:13:44"));
    assert_eq!(orders.policy.statuses.on_rate_limited, Some(503));
    // Custom errors without a default backend go to the controller's own.
    let payments = route(&outcome, ANNOTATED, "* ~/payments/[0-9]+");
    assert_eq!(payments.path.kind, PathKind::Regex { full: false });
    assert_eq!(
        payments.policy.fallbacks[0].targets,
        ["the controller's default backend"]
    );
    assert!(payments.policy.retry.is_none(), "proxy-next-upstream: off");
}

#[test]
fn the_controllers_defaults_name_themselves() {
    let outcome = lint(&[ANNOTATED]);
    let catalog = route(&outcome, ANNOTATED, "* /catalog*");
    assert_eq!(catalog.path.kind, PathKind::Prefix);
    let per_try = catalog
        .policy
        .per_try_timeout
        .as_ref()
        .expect("a read timeout");
    assert_eq!(ms(per_try.value), 60_000);
    assert_eq!(
        origin(&outcome, per_try),
        "default: ingress-nginx's default proxy-read-timeout of 60s in ingress-nginx v1.15.0"
    );
    let connect = catalog.policy.connect_timeout.as_ref().expect("connect");
    assert_eq!(ms(connect.value), 5000);
    let retry = catalog.policy.retry.as_ref().expect("default retries");
    assert_eq!(retry.max_retries.value, 2);
    assert_eq!(
        origin(&outcome, &retry.max_retries),
        "default: ingress-nginx's default proxy-next-upstream-tries of 3 in ingress-nginx v1.15.0"
    );
    // `error timeout` by default, and never a non-idempotent request once sent.
    assert_eq!(retry.non_idempotent, Some(false));
    assert_eq!(retry.deadline, None);
    assert_eq!(catalog.policy.worst_case().map(ms), Some(180_000));
    assert!(catalog.policy.fallbacks.is_empty());
    assert!(catalog.policy.rate_limit.is_none());
}

#[test]
fn unlimited_tries_are_unbounded() {
    let outcome = lint_recommended(&[ANNOTATED]);
    let search = route(&outcome, ANNOTATED, "* /search*");
    let retry = search.policy.retry.as_ref().expect("retries");
    assert!(retry.unbounded);
    assert_eq!(search.policy.worst_case(), None);
    let place = format!("{ANNOTATED}:82:60");
    assert!(message_at(&outcome, "retry-excessive", &place).contains("retries without a limit"));
}

#[test]
fn the_controller_config_map_sets_what_annotations_leave() {
    let outcome = lint_recommended(&[CONFIG_MAP, CONTROLLED]);
    let accounts = route(&outcome, CONTROLLED, "* /accounts*");
    // The annotation wins over the ConfigMap's `proxy-read-timeout`.
    let per_try = accounts.policy.per_try_timeout.as_ref().expect("read");
    assert_eq!(ms(per_try.value), 10_000);
    assert_eq!(origin(&outcome, per_try), format!("{CONTROLLED}:7:53"));
    let retry = accounts.policy.retry.as_ref().expect("retries");
    assert_eq!(retry.max_retries.value, 1);
    assert_eq!(
        origin(&outcome, &retry.max_retries),
        format!("{CONFIG_MAP}:9:30")
    );
    // `retry-non-idempotent: "true"` lets nginx retry a POST it already sent.
    assert_eq!(retry.non_idempotent, Some(true));
    // `limit-rpm` answers with the ConfigMap's `limit-req-status-code`.
    assert_eq!(accounts.policy.statuses.on_rate_limited, Some(429));
    // A ConfigMap value the controller cannot read is reported once, where it is written.
    assert_eq!(
        findings(&outcome, "invalid-value", CONFIG_MAP),
        [format!("{CONFIG_MAP}:12:23")]
    );
}

#[test]
fn routes_join_the_operations_under_their_path() {
    let spec = "fixtures/ingress-nginx/join/openapi.yaml";
    let config = "fixtures/ingress-nginx/join/ingress.yaml";
    let outcome = lint_recommended(&[spec, config]);
    let inventory = route(&outcome, config, "* /inventory*");
    assert_eq!(
        operations_of(&outcome, inventory),
        [
            ("GET /inventory/items".to_string(), "prefix"),
            ("POST /inventory/items".to_string(), "prefix")
        ]
    );
    // `http_502` is listed but `non_idempotent` is not: a sent POST is never passed on, so
    // only the GET is retried after it reached the service.
    assert!(findings(&outcome, "retry-non-idempotent", config).is_empty());
    assert_eq!(
        findings(&outcome, "retry-without-backoff", config),
        [format!("{config}:4:9")]
    );
}

#[test]
fn real_ingress_nginx_examples() {
    let outcome = lint(&[REGISTRY, COOKIE, DOCS_CONFIG]);
    let registry = route(&outcome, REGISTRY, "* /*");
    assert_eq!(registry.hosts, ["registry.<your domain>"]);
    let per_try = registry.policy.per_try_timeout.as_ref().expect("read");
    assert_eq!(ms(per_try.value), 600_000);
    assert_eq!(origin(&outcome, per_try), format!("{REGISTRY}:6:53"));
    // The documentation's ConfigMap sets the connect timeout of every Ingress.
    let connect = registry.policy.connect_timeout.as_ref().expect("connect");
    assert_eq!(ms(connect.value), 10_000);
    assert_eq!(origin(&outcome, connect), format!("{DOCS_CONFIG}:10:26"));
    let cookie = route(&outcome, COOKIE, "* /*");
    let per_try = cookie.policy.per_try_timeout.as_ref().expect("read");
    assert_eq!(ms(per_try.value), 120_000);
    assert_eq!(origin(&outcome, per_try), format!("{DOCS_CONFIG}:11:23"));
    for file in [REGISTRY, COOKIE, DOCS_CONFIG] {
        assert!(
            findings(&outcome, "invalid-value", file).is_empty(),
            "{file}"
        );
    }
}

#[test]
fn annotations_the_controller_rejects_are_invalid_values_and_defaults_apply() {
    let outcome = lint(&[INVALID]);
    assert_eq!(
        findings(&outcome, "invalid-value", INVALID),
        [
            format!("{INVALID}:7:53"),
            format!("{INVALID}:8:54"),
            format!("{INVALID}:9:60"),
            format!("{INVALID}:10:53"),
        ]
    );
    let broken = route(&outcome, INVALID, "* /broken*");
    let per_try = broken.policy.per_try_timeout.as_ref().expect("read");
    assert!(!per_try.origin.is_explicit());
    assert_eq!(
        broken.policy.retry.as_ref().map(|r| r.max_retries.value),
        Some(2)
    );
    assert!(broken.policy.fallbacks.is_empty());
}

#[test]
fn the_detector_claims_nginx_ingresses_and_the_controller_config_map_only() {
    assert_eq!(
        fixtures_detected_by("ingress-nginx"),
        [
            // The cross-layer project with Linkerd behind it.
            "fixtures/cross-layer/ingress-nginx-linkerd/ingress.yaml",
            "fixtures/ingress-nginx/annotations.yaml",
            "fixtures/ingress-nginx/controller/configmap.yaml",
            "fixtures/ingress-nginx/controller/ingress.yaml",
            "fixtures/ingress-nginx/invalid.yaml",
            "fixtures/ingress-nginx/join/ingress.yaml",
        ]
    );
}

#[test]
fn every_value_replaced_by_a_wrong_kind_never_panics() {
    for fixture in [ANNOTATED, INVALID, CONFIG_MAP] {
        assert!(inventory::lint_value_mutations(fixture) > 20, "{fixture}");
    }
}
