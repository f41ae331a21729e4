//! APISIX standalone configuration: routes with their upstreams, services, plugin configs and
//! global rules; timeouts in seconds, balancer retries, health checks, breakers and limits.

use crate::inventory;

use inventory::{
    at, findings, fixtures_detected_by, lint, message_at, ms, operations_of, origin, route,
    route_labels,
};
use routeguard::model::policy::{FallbackKind, RetryCondition};
use routeguard::model::{Method, MethodSet, PathKind};

const CONFIG: &str = "fixtures/apisix/apisix.yaml";
const SPEC: &str = "fixtures/apisix/openapi.yaml";
const INVALID: &str = "fixtures/apisix/invalid.yaml";
const HEALTH: &str = "fixtures/apisix/health-check.json";
const SKELETON: &str = "fixtures/apisix/apisix-conf.yaml";

#[test]
fn routes_per_uri_with_their_methods() {
    let outcome = lint(&[CONFIG]);
    let labels = route_labels(&outcome, CONFIG);
    // The route with `status: 0` is switched off.
    assert_eq!(
        labels,
        [
            "GET,DELETE /users/:userId",
            "POST /users",
            "* /orders",
            "* /orders/*",
            "* /legacy/*",
            "GET /reports/:reportId",
        ]
    );
    let user = route(&outcome, CONFIG, "GET,DELETE /users/:userId");
    assert_eq!(user.name.as_deref(), Some("user"));
    assert_eq!(user.path.kind, PathKind::Template);
    assert_eq!(at(&outcome, user.location), format!("{CONFIG}:2:5"));
    assert_eq!(at(&outcome, user.path.location), format!("{CONFIG}:3:10"));
    assert_eq!(
        user.methods,
        MethodSet::Only(vec![Method::Get, Method::Delete])
    );
    let orders = route(&outcome, CONFIG, "* /orders");
    assert_eq!(orders.name.as_deref(), Some("orders-api"));
    assert_eq!(orders.path.kind, PathKind::Exact);
    assert_eq!(orders.methods, MethodSet::Any);
    let prefix = route(&outcome, CONFIG, "* /orders/*");
    assert_eq!(prefix.path.kind, PathKind::Prefix);
    assert_eq!(prefix.path.pattern, "/orders/");
    assert!(findings(&outcome, "invalid-value", CONFIG).is_empty());
}

#[test]
fn upstream_timeouts_in_seconds_and_default_retries() {
    let outcome = lint(&[CONFIG]);
    let user = route(&outcome, CONFIG, "GET,DELETE /users/:userId");
    let policy = &user.policy;
    // APISIX has no total timeout: each try is bounded by the upstream's read timeout.
    assert!(policy.timeout.is_none());
    let read = policy.per_try_timeout.as_ref().expect("a read timeout");
    assert_eq!(ms(read.value), 3000);
    assert_eq!(origin(&outcome, read), format!("{CONFIG}:88:13"));
    let connect = policy.connect_timeout.as_ref().expect("a connect timeout");
    assert_eq!(ms(connect.value), 500);
    assert_eq!(origin(&outcome, connect), format!("{CONFIG}:86:16"));
    // Three nodes and no `retries`: one retry per node beyond the first.
    let retry = policy.retry.as_ref().expect("retries");
    assert_eq!(retry.max_retries.value, 2);
    assert_eq!(
        origin(&outcome, &retry.max_retries),
        "default: APISIX's default of one retry per node beyond the first in APISIX 3.x"
    );
    assert_eq!(
        retry.conditions,
        [RetryCondition::ConnectFailure, RetryCondition::Timeout]
    );
    assert_eq!(retry.non_idempotent, Some(false));
    assert!(retry.backoff.is_none());
    assert_eq!(
        retry.per_try_timeout.as_ref().map(|t| ms(t.value)),
        Some(3000)
    );
    // 3 attempts × 3s = 9s, but `retry_timeout: 5` starts no retry after 5s: 5s + one 3s try.
    let deadline = retry.deadline.as_ref().expect("a retry deadline");
    assert_eq!(ms(deadline.value), 5000);
    assert_eq!(origin(&outcome, deadline), format!("{CONFIG}:89:20"));
    assert_eq!(policy.worst_case().map(ms), Some(8000));
    let upstream = policy.upstream.as_ref().expect("an upstream");
    assert_eq!(upstream.name, "users");
    assert_eq!(upstream.endpoints, Some(3));
    // The node of weight 0 takes no traffic.
    let [pool] = policy.fallbacks.as_slice() else {
        panic!("one fallback");
    };
    assert_eq!(pool.kind, FallbackKind::WeightedPool);
    assert_eq!(
        pool.targets,
        ["users-1.internal:8080", "users-2.internal:8080"]
    );
}

#[test]
fn route_timeouts_replace_the_upstream_and_services_lend_theirs() {
    let outcome = lint(&[CONFIG]);
    let create = route(&outcome, CONFIG, "POST /users");
    let read = create
        .policy
        .per_try_timeout
        .as_ref()
        .expect("a read timeout");
    assert_eq!(ms(read.value), 2500);
    assert_eq!(origin(&outcome, read), format!("{CONFIG}:24:13"));
    assert_eq!(
        create.policy.connect_timeout.as_ref().map(|t| ms(t.value)),
        Some(1000)
    );
    // The service's upstream and its limit-conn (503 unless `rejected_code` says otherwise).
    assert_eq!(
        create.policy.upstream.as_ref().map(|u| u.name.as_str()),
        Some("users")
    );
    let limit = create.policy.rate_limit.as_ref().expect("a limit");
    assert_eq!(limit.status, 503);
    assert_eq!(at(&outcome, limit.location), format!("{CONFIG}:95:7"));
    assert_eq!(create.policy.statuses.on_rate_limited, Some(503));
    assert_eq!(create.hosts, ["api.example.com"]);
}

#[test]
fn breakers_limits_and_gateway_statuses() {
    let outcome = lint(&[CONFIG]);
    let user = route(&outcome, CONFIG, "GET,DELETE /users/:userId");
    let [breaker] = user.policy.circuit_breakers.as_slice() else {
        panic!("one circuit breaker");
    };
    assert_eq!(breaker.open_status, Some(502));
    assert!(breaker.ineffective.is_none());
    assert_eq!(at(&outcome, breaker.location), format!("{CONFIG}:7:7"));
    let limit = user.policy.rate_limit.as_ref().expect("a limit");
    assert_eq!(limit.status, 429);
    assert_eq!(at(&outcome, limit.location), format!("{CONFIG}:12:7"));
    assert_eq!(user.policy.statuses.on_timeout, Some(504));
    assert_eq!(user.policy.statuses.on_circuit_open, Some(502));
    assert_eq!(user.policy.statuses.on_rate_limited, Some(429));

    // limit-req without `rejected_code`: 503.
    let legacy = route(&outcome, CONFIG, "* /legacy/*");
    assert_eq!(legacy.policy.statuses.on_rate_limited, Some(503));

    // The plugin config's limit-count is disabled; the global rule's applies.
    let report = route(&outcome, CONFIG, "GET /reports/:reportId");
    let limit = report.policy.rate_limit.as_ref().expect("the global limit");
    assert_eq!(limit.status, 429);
    assert_eq!(at(&outcome, limit.location), format!("{CONFIG}:112:7"));
}

#[test]
fn priorities_health_checks_and_toothless_passive_checks() {
    let outcome = lint(&[CONFIG]);
    let orders = route(&outcome, CONFIG, "* /orders");
    let policy = &orders.policy;
    // `retries: 0` turns retries off.
    assert!(policy.retry.is_none());
    let kinds: Vec<(FallbackKind, Vec<String>)> = policy
        .fallbacks
        .iter()
        .map(|fallback| (fallback.kind, fallback.targets.clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                FallbackKind::WeightedPool,
                vec![
                    "orders-a.internal:8080".to_string(),
                    "orders-b.internal:8080".to_string()
                ]
            ),
            (
                FallbackKind::BackupEndpoints,
                vec!["orders-dr.internal:8080".to_string()]
            ),
        ]
    );
    let health = policy.health_check.as_ref().expect("health checks");
    let active = health.active.as_ref().expect("active checks");
    let interval = active.interval.as_ref().expect("an interval");
    assert_eq!(ms(interval.value), 2000);
    assert_eq!(origin(&outcome, interval), format!("{CONFIG}:51:23"));
    let timeout = active.timeout.as_ref().expect("a timeout");
    assert_eq!(ms(timeout.value), 1000);
    assert!(!timeout.origin.is_explicit());
    // Every passive counter is 0: nothing ever marks a node unhealthy.
    assert!(health.passive.is_none());
    let [breaker] = policy.circuit_breakers.as_slice() else {
        panic!("one circuit breaker");
    };
    assert!(breaker.ineffective.is_some());
    assert_eq!(at(&outcome, breaker.location), format!("{CONFIG}:52:9"));
    assert_eq!(policy.statuses.on_circuit_open, Some(502));
}

#[test]
fn discovered_upstreams_have_unknown_nodes_and_default_timeouts() {
    let outcome = lint(&[CONFIG]);
    let report = route(&outcome, CONFIG, "GET /reports/:reportId");
    let upstream = report.policy.upstream.as_ref().expect("an upstream");
    assert_eq!(upstream.name, "reports");
    assert_eq!(upstream.endpoints, None);
    assert!(report.policy.retry.is_none());
    let read = report
        .policy
        .per_try_timeout
        .as_ref()
        .expect("a read timeout");
    assert_eq!(ms(read.value), 60_000);
    assert_eq!(
        origin(&outcome, read),
        "default: APISIX's default upstream read timeout of 60s (nginx proxy_read_timeout) in APISIX 3.x"
    );
}

#[test]
fn routes_join_the_spec_including_through_proxy_rewrite() {
    let outcome = lint(&[CONFIG, SPEC]);
    let expected: [(&str, &[(&str, &str)]); 6] = [
        (
            "GET,DELETE /users/:userId",
            &[
                ("GET /users/{userId}", "exact"),
                ("DELETE /users/{userId}", "exact"),
            ],
        ),
        ("POST /users", &[("POST /users", "exact")]),
        ("* /orders", &[("GET /orders", "exact")]),
        ("* /orders/*", &[("GET /orders/{orderId}", "prefix")]),
        // `/legacy/...` is forwarded as `/archive/...`.
        ("* /legacy/*", &[("GET /archive/{year}", "prefix")]),
        (
            "GET /reports/:reportId",
            &[("GET /reports/{reportId}", "exact")],
        ),
    ];
    for (label, operations) in expected {
        let found = route(&outcome, CONFIG, label);
        let expected: Vec<(String, &str)> = operations
            .iter()
            .map(|(operation, kind)| (operation.to_string(), *kind))
            .collect();
        assert_eq!(operations_of(&outcome, found), expected, "{label}");
    }
    let legacy = route(&outcome, CONFIG, "* /legacy/*");
    let rewrite = legacy.path.rewrite.as_ref().expect("a rewrite");
    assert_eq!(
        (rewrite.strip_prefix.as_str(), rewrite.add_prefix.as_str()),
        ("/legacy/", "/archive/")
    );
}

#[test]
fn real_health_check_example_and_standalone_skeleton() {
    let outcome = lint(&[HEALTH, SKELETON]);
    let index = route(&outcome, HEALTH, "* /index.html");
    let retry = index.policy.retry.as_ref().expect("retries");
    assert_eq!(retry.max_retries.value, 2);
    assert!(retry.max_retries.origin.is_explicit());
    let health = index.policy.health_check.as_ref().expect("health checks");
    assert!(health.passive.is_some());
    let active = health.active.as_ref().expect("active checks");
    // The probe may wait 5s while probing every second.
    assert_eq!(active.interval.as_ref().map(|i| ms(i.value)), Some(1000));
    assert_eq!(active.timeout.as_ref().map(|t| ms(t.value)), Some(5000));
    assert!(index
        .policy
        .circuit_breakers
        .iter()
        .all(|breaker| breaker.ineffective.is_none()));
    assert_eq!(index.policy.statuses.on_rate_limited, Some(503));

    let hello = route(&outcome, SKELETON, "* /hello");
    // One node: no retries by default.
    assert!(hello.policy.retry.is_none());
    assert_eq!(
        hello.policy.upstream.as_ref().and_then(|u| u.endpoints),
        Some(1)
    );
    assert!(findings(&outcome, "invalid-value", HEALTH).is_empty());
    assert!(findings(&outcome, "invalid-value", SKELETON).is_empty());
}

#[test]
fn bad_values_are_invalid_values_at_their_place() {
    let outcome = lint(&[INVALID]);
    assert_eq!(
        findings(&outcome, "invalid-value", INVALID),
        [
            format!("{INVALID}:2:10"),
            format!("{INVALID}:5:15"),
            format!("{INVALID}:8:26"),
            format!("{INVALID}:10:9"),
            format!("{INVALID}:10:18"),
            format!("{INVALID}:11:15"),
            format!("{INVALID}:12:16"),
            format!("{INVALID}:14:9"),
            format!("{INVALID}:18:18"),
            format!("{INVALID}:19:17"),
            format!("{INVALID}:23:7"),
            format!("{INVALID}:28:24"),
            format!("{INVALID}:29:5"),
            format!("{INVALID}:32:7"),
            format!("{INVALID}:38:23"),
            format!("{INVALID}:39:17"),
            format!("{INVALID}:41:18"),
            format!("{INVALID}:46:5"),
            format!("{INVALID}:50:15"),
        ]
    );
    assert!(
        message_at(&outcome, "invalid-value", &format!("{INVALID}:18:18")).contains("`nowhere`")
    );
    assert!(
        message_at(&outcome, "invalid-value", &format!("{INVALID}:23:7"))
            .contains("break_response_code")
    );
    // The unreadable values leave APISIX's defaults in force.
    let timeouts = route(&outcome, INVALID, "POST /timeouts");
    assert!(!timeouts
        .policy
        .per_try_timeout
        .as_ref()
        .expect("a read timeout")
        .origin
        .is_explicit());
    // A service id that names nothing: APISIX answers 404 before it looks for the upstream
    // (whose id names nothing too), so the route has no upstream to time out on.
    let missing = route(&outcome, INVALID, "* /missing");
    let [answer] = missing.policy.fallbacks.as_slice() else {
        panic!("one direct answer: {:?}", missing.policy.fallbacks);
    };
    assert_eq!(
        (answer.kind, answer.targets.as_slice()),
        (FallbackKind::StaticResponse, ["404".to_string()].as_slice())
    );
    assert_eq!(at(&outcome, answer.location), format!("{INVALID}:19:17"));
    let recommended = inventory::lint_recommended(&[INVALID]);
    let timeouts = findings(&recommended, "timeout-missing", INVALID);
    assert!(!timeouts.is_empty());
    assert!(timeouts
        .iter()
        .all(|place| !place.starts_with(&format!("{INVALID}:17:"))));
    // A rejected status code leaves the plugin's default.
    let plugins = route(&outcome, INVALID, "* /plugins");
    assert_eq!(plugins.policy.statuses.on_rate_limited, Some(503));
    assert!(plugins.policy.circuit_breakers.is_empty());
}

#[test]
fn what_apisix_refuses_to_load_is_not_linted_as_served() {
    let outcome = lint(&[INVALID]);
    // An upstream with neither `nodes` nor service discovery fails APISIX's schema: written in
    // a route, the route is not loaded at all.
    assert!(
        message_at(&outcome, "invalid-value", &format!("{INVALID}:32:7"))
            .starts_with("an upstream needs `nodes`, or `service_name` with `discovery_type`")
    );
    assert!(!route_labels(&outcome, INVALID).contains(&"* /refused-upstream".to_string()));
    // A refused service or upstream is reported where it is written, not where it is named, and
    // APISIX answers by itself: 404 for the service, 502 for the upstream, 503 (before either)
    // for a plugin config it cannot find.
    for (label, status, place) in [
        ("* /refused-service", "404", "34:17"),
        ("* /refused-upstream-id", "502", "36:18"),
        ("* /missing-plugin-config", "503", "38:23"),
        ("* /missing-upstream", "502", "41:18"),
    ] {
        let answered = route(&outcome, INVALID, label);
        let [answer] = answered.policy.fallbacks.as_slice() else {
            panic!(
                "{label}: one direct answer: {:?}",
                answered.policy.fallbacks
            );
        };
        assert_eq!(
            (answer.kind, answer.targets.as_slice()),
            (
                FallbackKind::StaticResponse,
                [status.to_string()].as_slice()
            ),
            "{label}"
        );
        assert!(answered.policy.upstream.is_none(), "{label}");
        assert_eq!(
            at(&outcome, answer.location),
            format!("{INVALID}:{place}"),
            "{label}"
        );
    }
    let recommended = inventory::lint_recommended(&[INVALID]);
    for rule in ["timeout-missing", "circuit-breaker-missing"] {
        assert!(
            findings(&recommended, rule, INVALID)
                .iter()
                .all(|place| place.starts_with(&format!("{INVALID}:4:"))
                    || place.starts_with(&format!("{INVALID}:20:"))
                    || place.starts_with(&format!("{INVALID}:43:"))),
            "{rule}: {:?}",
            findings(&recommended, rule, INVALID)
        );
    }
}

#[test]
fn malformed_structure_does_not_panic() {
    let shapes = "fixtures/apisix/broken/shapes.yaml";
    let outcome = lint(&[shapes]);
    assert!(!findings(&outcome, "invalid-value", shapes).is_empty());
    let labels = route_labels(&outcome, shapes);
    assert_eq!(labels, ["* /c", "* /e"]);
}

#[test]
fn the_apisix_detector_fires_only_on_apisix_configurations() {
    assert_eq!(
        fixtures_detected_by("apisix"),
        [
            "fixtures/apisix/apisix-conf.yaml",
            "fixtures/apisix/apisix.yaml",
            "fixtures/apisix/broken/shapes.yaml",
            "fixtures/apisix/health-check.json",
            "fixtures/apisix/invalid.yaml",
            "fixtures/apisix/mocking.yaml",
            "fixtures/apisix/retry-timeout.yaml",
        ]
    );
}

#[test]
fn every_value_replaced_by_a_wrong_kind_never_panics() {
    for fixture in [CONFIG, INVALID, HEALTH] {
        assert!(inventory::lint_value_mutations(fixture) > 50, "{fixture}");
    }
}
