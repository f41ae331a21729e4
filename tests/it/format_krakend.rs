//! KrakenD: endpoints as routes, the root timeout inherited by endpoints, circuit breakers, rate
//! limits, static fallbacks, and the join through `url_pattern`.

use crate::inventory;

use inventory::{
    at, findings, fixtures_detected_by, lint, message_at, operations_of, origin, route,
    route_labels, routes_in, timeout_ms,
};
use routeguard::model::policy::{CircuitBreakerKind, FallbackKind};
use routeguard::model::{Method, MethodSet, PathKind};

const CONFIG: &str = "fixtures/krakend/krakend.json";
const SPEC: &str = "fixtures/krakend/openapi.yaml";
const DEFAULTS: &str = "fixtures/krakend/defaults.json";
const INVALID: &str = "fixtures/krakend/invalid.json";
const REAL: &str = "fixtures/krakend/krakend-ce.json";

#[test]
fn endpoints_are_routes_with_one_method_each() {
    let outcome = lint(&[CONFIG, SPEC]);
    let labels = route_labels(&outcome, CONFIG);
    assert_eq!(
        labels,
        [
            "GET /users/{userId}",
            "DELETE /users/{userId}",
            "POST /users",
            "GET /reports/{reportId}",
            "GET /legacy/accounts/{id}",
            "GET /files/*",
        ]
    );
    let get = route(&outcome, CONFIG, "GET /users/{userId}");
    // No `method`: KrakenD's default GET, with no location of its own.
    assert_eq!(get.methods, MethodSet::Only(vec![Method::Get]));
    assert!(get.methods_location.is_none());
    assert_eq!(get.path.kind, PathKind::Template);
    assert_eq!(at(&outcome, get.location), format!("{CONFIG}:10:7"));
    assert_eq!(at(&outcome, get.path.location), format!("{CONFIG}:10:19"));
    let create = route(&outcome, CONFIG, "POST /users");
    assert_eq!(create.path.kind, PathKind::Exact);
    assert_eq!(
        create
            .methods_location
            .map(|location| at(&outcome, location)),
        Some(format!("{CONFIG}:46:17"))
    );
    let files = route(&outcome, CONFIG, "GET /files/*");
    assert_eq!(files.path.kind, PathKind::Prefix);
    assert_eq!(files.path.pattern, "/files/");
    assert!(findings(&outcome, "invalid-value", CONFIG).is_empty());
}

#[test]
fn endpoints_inherit_the_root_timeout_unless_they_set_their_own() {
    let outcome = lint(&[CONFIG]);
    let get = route(&outcome, CONFIG, "GET /users/{userId}");
    assert_eq!(timeout_ms(get), Some(3000));
    let timeout = get.policy.timeout.as_ref().expect("a timeout");
    assert_eq!(origin(&outcome, timeout), format!("{CONFIG}:5:14"));
    // `0s` means "not set": the root's value applies.
    let delete = route(&outcome, CONFIG, "DELETE /users/{userId}");
    assert_eq!(timeout_ms(delete), Some(3000));
    assert_eq!(
        origin(&outcome, delete.policy.timeout.as_ref().expect("a timeout")),
        format!("{CONFIG}:5:14")
    );
    let create = route(&outcome, CONFIG, "POST /users");
    assert_eq!(timeout_ms(create), Some(1500));
    assert_eq!(
        origin(&outcome, create.policy.timeout.as_ref().expect("a timeout")),
        format!("{CONFIG}:47:18")
    );
    assert_eq!(
        timeout_ms(route(&outcome, CONFIG, "GET /reports/{reportId}")),
        Some(90_000)
    );
    // The whole pipe is bounded; KrakenD has no retries for HTTP backends.
    for route in routes_in(&outcome, CONFIG) {
        assert!(route.policy.retry.is_none());
        assert!(route.policy.per_try_timeout.is_none());
        assert_eq!(
            route
                .policy
                .connect_timeout
                .as_ref()
                .map(|timeout| inventory::ms(timeout.value)),
            Some(500)
        );
    }
}

#[test]
fn without_a_root_timeout_the_default_is_two_seconds() {
    let outcome = lint(&[DEFAULTS]);
    let ping = route(&outcome, DEFAULTS, "GET /ping");
    assert_eq!(timeout_ms(ping), Some(2000));
    assert_eq!(
        origin(&outcome, ping.policy.timeout.as_ref().expect("a timeout")),
        "default: KrakenD's default endpoint timeout of 2s in KrakenD CE 2.x"
    );
    assert!(ping.policy.connect_timeout.is_none());
    assert_eq!(ping.policy.statuses.on_timeout, Some(500));
    assert_eq!(ping.policy.statuses.on_circuit_open, None);
    assert_eq!(ping.policy.statuses.on_rate_limited, None);
    assert!(ping.policy.fallbacks.is_empty());
    let upstream = ping.policy.upstream.as_ref().expect("an upstream");
    assert_eq!(upstream.name, "http://ping.internal");
    assert_eq!(upstream.endpoints, Some(1));
}

#[test]
fn circuit_breakers_hosts_and_rate_limits() {
    let outcome = lint(&[CONFIG]);
    let get = route(&outcome, CONFIG, "GET /users/{userId}");
    let [breaker] = get.policy.circuit_breakers.as_slice() else {
        panic!("one circuit breaker");
    };
    assert_eq!(breaker.kind, CircuitBreakerKind::ConsecutiveErrors);
    assert_eq!(breaker.open_status, Some(500));
    assert!(breaker.ineffective.is_none());
    assert_eq!(at(&outcome, breaker.location), format!("{CONFIG}:16:13"));
    assert_eq!(get.policy.statuses.on_timeout, Some(500));
    assert_eq!(get.policy.statuses.on_circuit_open, Some(500));
    // Two hosts share the backend's traffic.
    let [pool] = get.policy.fallbacks.as_slice() else {
        panic!("one fallback");
    };
    assert_eq!(pool.kind, FallbackKind::WeightedPool);
    assert_eq!(
        pool.targets,
        [
            "http://users-1.internal:8080",
            "http://users-2.internal:8080"
        ]
    );
    assert_eq!(
        get.policy.upstream.as_ref().and_then(|u| u.endpoints),
        Some(2)
    );
    // `max_rate` (endpoint-wide) answers 503; it wins over `client_max_rate`'s 429.
    let limit = get.policy.rate_limit.as_ref().expect("a rate limit");
    assert_eq!(limit.status, 503);
    assert_eq!(at(&outcome, limit.location), format!("{CONFIG}:26:9"));
    assert_eq!(get.policy.statuses.on_rate_limited, Some(503));

    // Backends without hosts use the root's.
    let delete = route(&outcome, CONFIG, "DELETE /users/{userId}");
    assert_eq!(
        delete.policy.upstream.as_ref().map(|u| u.name.as_str()),
        Some("http://users.internal:8080")
    );
    assert!(delete.policy.rate_limit.is_none());

    // A rejected backend call fails the pipe: 500.
    let report = route(&outcome, CONFIG, "GET /reports/{reportId}");
    assert_eq!(
        report.policy.rate_limit.as_ref().map(|l| l.status),
        Some(500)
    );

    // DNS SRV discovery: the number of hosts is unknown.
    let files = route(&outcome, CONFIG, "GET /files/*");
    assert_eq!(
        files.policy.upstream.as_ref().and_then(|u| u.endpoints),
        None
    );
    assert!(files.policy.fallbacks.is_empty());
}

#[test]
fn static_responses_that_cover_failures_are_fallbacks() {
    let outcome = lint(&[CONFIG]);
    let create = route(&outcome, CONFIG, "POST /users");
    let [fallback] = create.policy.fallbacks.as_slice() else {
        panic!("one fallback");
    };
    assert_eq!(fallback.kind, FallbackKind::StaticResponse);
    assert_eq!(fallback.targets, ["static data (errored)"]);
    assert_eq!(at(&outcome, fallback.location), format!("{CONFIG}:61:11"));
    // The static data turns a failed pipe into a 200: KrakenD no longer answers 500.
    assert_eq!(create.policy.statuses.on_timeout, None);
    // `client_max_rate` alone: 429.
    assert_eq!(create.policy.statuses.on_rate_limited, Some(429));
    // `success` only decorates good responses: no fallback.
    let legacy = route(&outcome, CONFIG, "GET /legacy/accounts/{id}");
    assert!(legacy.policy.fallbacks.is_empty());
    assert_eq!(legacy.policy.statuses.on_timeout, Some(500));
}

#[test]
fn routes_join_the_spec_directly_or_through_url_pattern() {
    let outcome = lint(&[CONFIG, SPEC]);
    let expected = [
        ("GET /users/{userId}", "GET /users/{userId}", "exact"),
        ("DELETE /users/{userId}", "DELETE /users/{userId}", "exact"),
        ("POST /users", "POST /users", "exact"),
        (
            "GET /reports/{reportId}",
            "GET /reports/{reportId}",
            "exact",
        ),
        // Not in the spec as such: reached through its backend's `url_pattern`.
        (
            "GET /legacy/accounts/{id}",
            "GET /accounts/{accountId}",
            "exact",
        ),
        ("GET /files/*", "GET /files/{name}", "prefix"),
    ];
    for (label, operation, kind) in expected {
        let found = route(&outcome, CONFIG, label);
        assert_eq!(
            operations_of(&outcome, found),
            [(operation.to_string(), kind)],
            "{label}"
        );
    }
    let legacy = route(&outcome, CONFIG, "GET /legacy/accounts/{id}");
    let rewrite = legacy.path.rewrite.as_ref().expect("a rewrite");
    assert_eq!(rewrite.add_prefix, "/accounts/{id}");
    // Several backends aggregate: no single upstream path.
    assert!(route(&outcome, CONFIG, "GET /reports/{reportId}")
        .path
        .rewrite
        .is_none());
}

#[test]
fn bad_values_are_invalid_values_at_their_place() {
    let outcome = lint(&[INVALID]);
    assert_eq!(
        findings(&outcome, "invalid-value", INVALID),
        [
            format!("{INVALID}:3:14"),
            format!("{INVALID}:7:17"),
            format!("{INVALID}:11:19"),
            format!("{INVALID}:15:19"),
            format!("{INVALID}:19:18"),
            format!("{INVALID}:25:13"),
            format!("{INVALID}:25:49"),
            format!("{INVALID}:30:46"),
            format!("{INVALID}:31:42"),
        ]
    );
    assert!(
        message_at(&outcome, "invalid-value", &format!("{INVALID}:25:13"))
            .contains("missing: `max_errors`")
    );
    assert!(message_at(&outcome, "invalid-value", &format!("{INVALID}:7:17")).contains("HEAD"));
    // Endpoints KrakenD would skip are no routes; the others keep the documented default.
    let labels = route_labels(&outcome, INVALID);
    assert_eq!(labels, ["GET /breaker"]);
    let breaker = route(&outcome, INVALID, "GET /breaker");
    assert_eq!(timeout_ms(breaker), Some(2000));
    assert!(!breaker
        .policy
        .timeout
        .as_ref()
        .expect("a timeout")
        .origin
        .is_explicit());
    assert_eq!(breaker.policy.circuit_breakers.len(), 1);
    // An unknown strategy acts as `always`.
    assert_eq!(
        breaker.policy.fallbacks.first().map(|f| f.kind),
        Some(FallbackKind::StaticResponse)
    );
}

#[test]
fn real_configuration_from_krakend_ce() {
    let outcome = lint(&[REAL]);
    let routes = routes_in(&outcome, REAL);
    assert_eq!(routes.len(), 35);
    assert!(findings(&outcome, "invalid-value", REAL).is_empty());
    // Root timeout 3s; `/timeout` sets 100ms; `/timeout2/{param}` 150µs.
    assert_eq!(timeout_ms(route(&outcome, REAL, "GET /crash")), Some(3000));
    assert_eq!(timeout_ms(route(&outcome, REAL, "GET /timeout")), Some(100));
    let tight = route(&outcome, REAL, "GET /timeout2/{param}");
    assert_eq!(
        tight.policy.timeout.as_ref().and_then(|t| t.value.bound()),
        Some(std::time::Duration::from_micros(150))
    );
    // Two backends, each behind a circuit breaker.
    let show = route(&outcome, REAL, "GET /show/{id}");
    assert_eq!(show.policy.circuit_breakers.len(), 2);
    // `always` static data answers even when the backends fail.
    let stat = route(&outcome, REAL, "GET /static");
    assert_eq!(
        stat.policy.fallbacks.first().map(|f| f.kind),
        Some(FallbackKind::StaticResponse)
    );
    assert_eq!(stat.policy.statuses.on_timeout, None);
    assert_eq!(
        route(&outcome, REAL, "POST /jsonschema").methods,
        MethodSet::Only(vec![Method::Post])
    );
}

#[test]
fn templates_are_skipped_and_odd_shapes_do_not_panic() {
    let outcome = lint(&["fixtures/krakend/broken"]);
    let template = "fixtures/krakend/broken/template.json";
    // A flexible-configuration template is only KrakenD's input once rendered.
    assert!(findings(&outcome, "parse-error", template).is_empty());
    let skipped: Vec<_> = outcome
        .skipped_templates()
        .map(|file| file.display.as_str())
        .collect();
    assert_eq!(skipped, [template]);
    let shapes = "fixtures/krakend/broken/shapes.json";
    assert!(!findings(&outcome, "invalid-value", shapes).is_empty());
    let labels = route_labels(&outcome, shapes);
    assert_eq!(labels, ["GET /b", "GET /d*"]);
}

#[test]
fn the_krakend_detector_fires_only_on_krakend_configurations() {
    assert_eq!(
        fixtures_detected_by("krakend"),
        [
            "fixtures/krakend/broken/shapes.json",
            "fixtures/krakend/defaults.json",
            "fixtures/krakend/invalid.json",
            "fixtures/krakend/krakend-ce.json",
            "fixtures/krakend/krakend.json",
        ]
    );
}

#[test]
fn every_value_replaced_by_a_wrong_kind_never_panics() {
    for fixture in [CONFIG, INVALID] {
        assert!(inventory::lint_value_mutations(fixture) > 50, "{fixture}");
    }
}

/// An aggregating endpoint whose first backend alone has a breaker.
const AGGREGATED: &str = r#"{
  "version": 3,
  "endpoints": [
    {
      "endpoint": "/dashboard",
      "backend": [
        {
          "host": ["http://users:8080"],
          "url_pattern": "/users",
          "extra_config": {
            "qos/circuit-breaker": { "interval": 60, "timeout": 10, "max_errors": 3 }
          }
        },
        {
          "host": ["http://orders:8080"],
          "url_pattern": "/orders"
        }
      ]
    }
  ]
}
"#;

#[test]
fn every_backend_of_an_aggregating_endpoint_needs_its_own_breaker() {
    let dir = crate::common::project(&[("krakend.json", AGGREGATED.as_bytes())]);
    let (_, report) = crate::common::lint_json(dir.path(), &["krakend.json"]);
    let breakers: Vec<_> = crate::common::located(&report)
        .into_iter()
        .filter(|(rule, ..)| rule == "circuit-breaker-missing")
        .collect();
    // On the second backend, where its breaker would be added (the backend's anchor).
    assert_eq!(
        breakers,
        [crate::common::at(
            "circuit-breaker-missing",
            "krakend.json",
            15,
            11
        )]
    );
    let message = report["diagnostics"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|d| d["rule"] == "circuit-breaker-missing")
                .and_then(|d| d["message"].as_str())
        })
        .unwrap_or_default()
        .to_string();
    assert!(message.contains("`http://orders:8080`"), "{message}");
    assert!(message.contains("`GET /dashboard`"), "{message}");

    let protected = AGGREGATED.replace(
        "\"url_pattern\": \"/orders\"",
        "\"url_pattern\": \"/orders\",\n          \"extra_config\": {\n            \
         \"qos/circuit-breaker\": { \"interval\": 60, \"timeout\": 10, \"max_errors\": 3 }\n          }",
    );
    let dir = crate::common::project(&[("krakend.json", protected.as_bytes())]);
    let (_, report) = crate::common::lint_json(dir.path(), &["krakend.json"]);
    assert!(crate::common::located(&report)
        .iter()
        .all(|(rule, ..)| rule != "circuit-breaker-missing"));
}
