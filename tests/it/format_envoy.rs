//! The Envoy adapter: what each route matches, the policy it is normalized to (explicit values
//! and Envoy's documented defaults), which operations it reaches, and how bad input is reported.

use std::time::Duration;

use routeguard::lint::LintOutcome;
use routeguard::model::policy::{
    CircuitBreakerKind, FallbackKind, Origin, RetryCondition, Sourced, Timeout,
};
use routeguard::model::{Method, MethodSet, PathKind, Route};

use crate::common;

use common::{
    at, findings, line_column, lint_isolated as run, lint_json, located, repo, run as run_binary,
};

fn bootstrap() -> LintOutcome {
    run(&[
        "fixtures/envoy/openapi.yaml",
        "fixtures/envoy/bootstrap.yaml",
    ])
}

/// The route whose path pattern is `pattern` (and whose methods are `methods`, when given).
fn route<'a>(outcome: &'a LintOutcome, pattern: &str, methods: Option<&str>) -> (usize, &'a Route) {
    outcome
        .inventory
        .routes
        .iter()
        .enumerate()
        .find(|(_, route)| {
            route.path.pattern == pattern
                && methods.is_none_or(|methods| route.methods.to_string() == methods)
        })
        .unwrap_or_else(|| panic!("a route for {pattern}"))
}

/// The operations the gateway sends a route to, as `METHOD /path`.
fn reaches(outcome: &LintOutcome, index: usize) -> Vec<String> {
    outcome
        .join
        .operations_of(index)
        .map(|link| outcome.inventory.operations[link.operation].route())
        .collect()
}

fn ms<T>(value: &Sourced<T>) -> u128
where
    T: Copy + Into<Duration>,
{
    value.value.into().as_millis()
}

fn is_default<T>(value: &Sourced<T>, note_contains: &str) -> bool {
    matches!(value.origin, Origin::Default(note) if note.contains(note_contains))
}

fn timeout_ms(route: &Route) -> Option<u128> {
    route
        .policy
        .timeout
        .as_ref()
        .and_then(|timeout| timeout.value.bound())
        .map(|bound| bound.as_millis())
}

#[test]
fn explicit_timeout_vhost_retry_and_default_backoff() {
    let outcome = bootstrap();
    let (index, route) = route(&outcome, "/books", Some("GET"));
    assert_eq!(route.name.as_deref(), Some("list-books"));
    assert_eq!(route.path.kind, PathKind::Exact);
    assert_eq!(route.methods, MethodSet::Only(vec![Method::Get]));
    assert_eq!(route.hosts, vec!["api.example.com".to_string()]);
    let timeout = route.policy.timeout.as_ref().expect("a timeout");
    assert!(timeout.origin.is_explicit());
    assert_eq!(timeout.value, Timeout::Bounded(Duration::from_secs(2)));

    // The virtual host's retry policy applies: 2 retries on pre-send failures only.
    let retry = route
        .policy
        .retry
        .as_ref()
        .expect("the virtual host's retry");
    assert_eq!(retry.max_retries.value, 2);
    assert!(retry.max_retries.origin.is_explicit());
    assert_eq!(
        retry.conditions,
        vec![
            RetryCondition::ConnectFailure,
            RetryCondition::RefusedStream
        ]
    );
    assert!(retry.conditions.iter().all(RetryCondition::is_pre_send));
    assert_eq!(line_column(&outcome, retry.location), (28, 15));
    let backoff = retry.backoff.as_ref().expect("Envoy always backs off");
    let base = backoff.base.as_ref().expect("a base interval");
    let max = backoff.max.as_ref().expect("a cap");
    assert_eq!((ms(base), ms(max)), (25, 250));
    assert!(is_default(base, "25ms") && is_default(max, "10×"));
    assert!(retry.per_try_timeout.is_none());
    // The cluster caps concurrent retries explicitly (`max_retries: 3`).
    assert!(retry.has_budget);
    assert_eq!(route.policy.statuses.on_timeout, Some(504));
    assert_eq!(route.policy.statuses.on_circuit_open, Some(503));
    assert_eq!(route.policy.statuses.on_rate_limited, None);

    assert_eq!(reaches(&outcome, index), vec!["GET /books"]);
}

#[test]
fn disabled_timeout_route_retry_per_try_backoff_and_local_rate_limit() {
    let outcome = bootstrap();
    let (index, route) = route(&outcome, "/books", Some("POST"));
    let timeout = route.policy.timeout.as_ref().expect("a timeout");
    assert_eq!(timeout.value, Timeout::Unbounded);
    assert!(timeout.origin.is_explicit());

    // The route's retry policy replaces the virtual host's.
    let retry = route.policy.retry.as_ref().expect("a retry");
    assert_eq!(retry.max_retries.value, 3);
    assert_eq!(
        retry.conditions,
        vec![
            RetryCondition::Any5xx,
            RetryCondition::Status(503, 503),
            RetryCondition::Status(429, 429),
        ]
    );
    assert_eq!(retry.non_idempotent, Some(true));
    let per_try = retry.per_try_timeout.as_ref().expect("a per-try timeout");
    assert_eq!(ms(per_try), 500);
    assert_eq!(route.policy.per_try_timeout.as_ref().map(ms), Some(500));
    let backoff = retry.backoff.as_ref().expect("a back-off");
    let base = backoff.base.as_ref().expect("base");
    let max = backoff.max.as_ref().expect("max");
    assert!(base.origin.is_explicit() && max.origin.is_explicit());
    assert_eq!((ms(base), ms(max)), (100, 1000));

    // No total bound: the per-try timeout stops applying once the response starts
    // (`onPerTryTimeout` in upstream_request.cc), so nothing bounds the request.
    assert_eq!(route.policy.worst_case(), None);
    assert_eq!(route.policy.statuses.on_timeout, Some(504));

    // The route's own local rate limit (the connection manager's filter has no bucket).
    let limit = route.policy.rate_limit.as_ref().expect("a rate limit");
    assert_eq!(limit.status, 429);
    assert_eq!(route.policy.statuses.on_rate_limited, Some(429));
    assert_eq!(line_column(&outcome, limit.location), (60, 21));

    assert_eq!(reaches(&outcome, index), vec!["POST /books"]);
}

#[test]
fn uri_template_with_method_regex_and_default_timeout_and_retries() {
    let outcome = bootstrap();
    let (index, route) = route(&outcome, "/books/{id}", None);
    assert_eq!(route.path.kind, PathKind::Template);
    assert_eq!(
        route.methods,
        MethodSet::Only(vec![Method::Get, Method::Delete])
    );
    let timeout = route.policy.timeout.as_ref().expect("the default timeout");
    assert_eq!(timeout.value, Timeout::Bounded(Duration::from_secs(15)));
    assert!(is_default(timeout, "15s"));
    let retry = route.policy.retry.as_ref().expect("a retry");
    assert_eq!(retry.max_retries.value, 1);
    assert!(is_default(&retry.max_retries, "1 retry"));
    assert_eq!(retry.conditions, vec![RetryCondition::ConnectFailure]);
    let mut reached = reaches(&outcome, index);
    reached.sort();
    assert_eq!(reached, vec!["DELETE /books/{id}", "GET /books/{id}"]);
}

#[test]
fn cluster_policy_breakers_health_checks_and_priorities() {
    let outcome = bootstrap();
    let (_, route) = route(&outcome, "/books", Some("GET"));
    let policy = &route.policy;
    let connect = policy.connect_timeout.as_ref().expect("connect timeout");
    assert_eq!(ms(connect), 250);
    assert!(connect.origin.is_explicit());

    let upstream = policy.upstream.as_ref().expect("an upstream");
    assert_eq!(upstream.name, "books");
    assert_eq!(upstream.endpoints, Some(3));

    let kinds: Vec<_> = policy
        .circuit_breakers
        .iter()
        .map(|breaker| {
            (
                breaker.kind,
                breaker.ineffective.is_none(),
                breaker.open_status,
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (CircuitBreakerKind::ConcurrencyLimit, true, Some(503)),
            (CircuitBreakerKind::OutlierEjection, true, Some(503)),
        ]
    );

    let health = policy.health_check.as_ref().expect("health checks");
    let active = health.active.as_ref().expect("an active check");
    assert_eq!(active.interval.as_ref().map(ms), Some(5000));
    assert_eq!(active.timeout.as_ref().map(ms), Some(1000));
    let passive = health
        .passive
        .expect("outlier detection is the passive check");
    assert_eq!(line_column(&outcome, passive), (124, 5));

    let fallbacks: Vec<_> = policy
        .fallbacks
        .iter()
        .map(|fallback| (fallback.kind, fallback.targets.clone()))
        .collect();
    assert_eq!(
        fallbacks,
        vec![
            (
                FallbackKind::WeightedPool,
                vec!["books-1:8080".to_string(), "books-2:8080".to_string()]
            ),
            (
                FallbackKind::BackupEndpoints,
                vec!["books-dr:8080".to_string()]
            ),
        ]
    );
}

#[test]
fn aggregate_cluster_fails_over_and_brings_its_primary_members_policy() {
    let outcome = bootstrap();
    let (index, route) = route(&outcome, "/authors/[0-9]+", None);
    assert_eq!(route.path.kind, PathKind::Regex { full: true });
    assert_eq!(route.methods, MethodSet::Any);
    let policy = &route.policy;
    assert_eq!(
        policy
            .upstream
            .as_ref()
            .map(|upstream| upstream.name.as_str()),
        Some("authors")
    );
    // The primary member's connect timeout and outlier detection, which enforces nothing.
    assert_eq!(policy.connect_timeout.as_ref().map(ms), Some(2000));
    let [breaker] = policy.circuit_breakers.as_slice() else {
        panic!("one breaker: {:?}", policy.circuit_breakers);
    };
    assert_eq!(breaker.kind, CircuitBreakerKind::OutlierEjection);
    assert!(breaker
        .ineffective
        .as_deref()
        .is_some_and(|reason| reason.contains("enforcing_")));
    assert!(policy.health_check.is_none());
    let failover: Vec<_> = policy
        .fallbacks
        .iter()
        .filter(|fallback| fallback.kind == FallbackKind::FailoverService)
        .map(|fallback| fallback.targets.clone())
        .collect();
    assert_eq!(failover, vec![vec!["authors-secondary".to_string()]]);
    assert_eq!(reaches(&outcome, index), vec!["GET /authors/{id}"]);
}

#[test]
fn weighted_clusters_segment_prefix_and_toothless_thresholds() {
    let outcome = bootstrap();
    let (index, route) = route(&outcome, "/orders", None);
    assert_eq!(route.path.kind, PathKind::SegmentPrefix);
    let policy = &route.policy;
    assert_eq!(
        policy
            .upstream
            .as_ref()
            .map(|upstream| upstream.name.as_str()),
        Some("orders-v1")
    );
    let connect = policy.connect_timeout.as_ref().expect("connect timeout");
    assert_eq!(ms(connect), 5000);
    assert!(is_default(connect, "5s"));
    assert!(policy.fallbacks.iter().any(|fallback| {
        fallback.kind == FallbackKind::WeightedPool
            && fallback.targets == vec!["orders-v1".to_string(), "orders-v2".to_string()]
    }));
    let [breaker] = policy.circuit_breakers.as_slice() else {
        panic!("one breaker");
    };
    assert_eq!(breaker.kind, CircuitBreakerKind::ConcurrencyLimit);
    assert!(breaker
        .ineffective
        .as_deref()
        .is_some_and(|reason| reason.contains("1000000000 or more, which disables it")));
    let mut reached = reaches(&outcome, index);
    reached.sort();
    assert_eq!(reached, vec!["GET /orders/{id}", "POST /orders"]);
}

#[test]
fn prefix_rewrite_reaches_the_upstream_side_of_the_spec() {
    let outcome = bootstrap();
    let (index, route) = route(&outcome, "/legacy/books", None);
    assert_eq!(route.path.kind, PathKind::Prefix);
    let rewrite = route.path.rewrite.as_ref().expect("a rewrite");
    assert_eq!(
        (rewrite.strip_prefix.as_str(), rewrite.add_prefix.as_str()),
        ("/legacy/books", "/books")
    );
    // Matched through its rewritten path; the exact routes win those operations in this file.
    let mut matched: Vec<String> = outcome
        .join
        .links
        .iter()
        .filter(|link| link.route == index)
        .map(|link| outcome.inventory.operations[link.operation].route())
        .collect();
    matched.sort();
    assert_eq!(
        matched,
        vec![
            "DELETE /books/{id}",
            "GET /books",
            "GET /books/{id}",
            "POST /books"
        ]
    );
}

#[test]
fn direct_responses_and_redirects_answer_without_an_upstream() {
    let outcome = bootstrap();
    let (index, health) = route(&outcome, "/health", None);
    assert!(health.policy.timeout.is_none());
    assert!(health.policy.upstream.is_none());
    assert_eq!(health.policy.statuses.on_timeout, None);
    let [fallback] = health.policy.fallbacks.as_slice() else {
        panic!("a static response");
    };
    assert_eq!(fallback.kind, FallbackKind::StaticResponse);
    assert_eq!(fallback.targets, vec!["200".to_string()]);
    assert_eq!(reaches(&outcome, index), vec!["GET /health"]);

    let (_, redirect) = route(&outcome, "/old", None);
    assert_eq!(
        redirect
            .policy
            .fallbacks
            .iter()
            .map(|fallback| fallback.kind)
            .collect::<Vec<_>>(),
        vec![FallbackKind::StaticResponse]
    );
}

#[test]
fn catch_all_to_a_bare_cluster_links_its_name_and_endpoint_only() {
    let outcome = bootstrap();
    let (_, route) = route(&outcome, "/", None);
    assert!(route.is_catch_all());
    assert_eq!(timeout_ms(route), Some(30_000));
    let upstream = route.policy.upstream.as_ref().expect("an upstream");
    assert_eq!(
        (upstream.name.as_str(), upstream.endpoints),
        ("monolith", Some(1))
    );
    let connect = route
        .policy
        .connect_timeout
        .as_ref()
        .expect("a connect timeout");
    assert_eq!(ms(connect), 5_000);
    assert!(is_default(
        connect,
        "Envoy's default cluster connect_timeout"
    ));
    assert!(route.policy.circuit_breakers.is_empty());
}

/// A static bootstrap without CDS that names a cluster it does not define does not start:
/// Envoy refuses the route table. A file that defines no cluster is read as a fragment whose
/// clusters come from elsewhere, and its route keeps the cluster's name only.
#[test]
fn a_route_to_a_cluster_the_bootstrap_lacks_is_refused() {
    const ROUTES: &str = "static_resources:\n  listeners:\n  - filter_chains:\n    - filters:\n      - name: envoy.filters.network.http_connection_manager\n        typed_config:\n          route_config:\n            virtual_hosts:\n            - domains: ['*']\n              routes:\n              - match: {prefix: /a}\n                route: {cluster: missing, timeout: 5s}\n              - match: {prefix: /b}\n                route: {cluster: present, timeout: 5s}\n";
    let cluster = "  clusters:\n  - name: present\n    connect_timeout: 1s\n";
    let complete = format!("{ROUTES}{cluster}");
    let dir = common::project(&[
        ("bootstrap.yaml", complete.as_bytes()),
        ("fragment.yaml", ROUTES.as_bytes()),
    ]);
    let (_, report) = common::lint_json(dir.path(), &["--no-config", "."]);
    let invalid: Vec<&serde_json::Value> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "invalid-value")
        .collect();
    assert_eq!(invalid.len(), 1, "{report}");
    assert_eq!(
        (
            &invalid[0]["file"],
            &invalid[0]["line"],
            &invalid[0]["column"]
        ),
        (&"bootstrap.yaml".into(), &12.into(), &34.into())
    );
    assert!(invalid[0]["message"]
        .as_str()
        .is_some_and(|message| message.starts_with(
            "cluster `missing` is not defined in this bootstrap: Envoy refuses the route table"
        )));
    let listed = common::run(
        dir.path(),
        &["routes", "--format", "json", "--no-config", "."],
    );
    let routes: serde_json::Value = serde_json::from_str(&listed.stdout).expect("routes JSON");
    let rows: Vec<(&str, &str)> = routes["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .map(|row| {
            (
                row["file"].as_str().unwrap_or(""),
                row["path"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("bootstrap.yaml", "/b*"),
            ("fragment.yaml", "/a*"),
            ("fragment.yaml", "/b*"),
        ]
    );
}

#[test]
fn standalone_resources_share_their_clusters_as_upstream_policies() {
    let outcome = run(&["fixtures/envoy/resources.yaml"]);
    let routes = &outcome.inventory.routes;
    assert_eq!(routes.len(), 3);

    let (_, inventory) = route(&outcome, "/inventory", None);
    assert_eq!(timeout_ms(inventory), Some(3000));
    let connect = inventory.policy.connect_timeout.as_ref().expect("connect");
    assert_eq!(ms(connect), 1000);
    // Gateway-failure ejection is enforced although the 5xx and success-rate detectors are off.
    let [breaker] = inventory.policy.circuit_breakers.as_slice() else {
        panic!("outlier detection");
    };
    assert_eq!(breaker.kind, CircuitBreakerKind::OutlierEjection);
    assert!(breaker.ineffective.is_none());
    // EDS: the endpoints are not in the file.
    assert_eq!(
        inventory.policy.upstream.as_ref().and_then(|u| u.endpoints),
        None
    );

    let (_, pricing) = route(&outcome, "/pricing", None);
    let connect = pricing.policy.connect_timeout.as_ref().expect("connect");
    assert_eq!(ms(connect), 500);
    let active = pricing
        .policy
        .health_check
        .as_ref()
        .and_then(|health| health.active.as_ref())
        .expect("an active health check");
    // Timeout longer than the interval: written as found, for the rules to judge.
    assert_eq!(active.interval.as_ref().map(ms), Some(1000));
    assert_eq!(active.timeout.as_ref().map(ms), Some(2000));
    assert_eq!(
        pricing.policy.upstream.as_ref().and_then(|u| u.endpoints),
        Some(1)
    );

    let (_, unknown) = route(&outcome, "/unknown", None);
    assert!(unknown.policy.connect_timeout.is_none());
    assert!(outcome.diagnostics.is_empty(), "{:?}", outcome.diagnostics);
}

#[test]
fn real_locality_load_balancing_example() {
    let outcome = run(&["fixtures/envoy/examples/locality-load-balancing.yaml"]);
    let [route] = outcome.inventory.routes.as_slice() else {
        panic!("one route");
    };
    assert!(route.is_catch_all());
    let timeout = route.policy.timeout.as_ref().expect("default timeout");
    assert!(is_default(timeout, "15s"));
    assert!(route.policy.retry.is_none());
    let connect = route.policy.connect_timeout.as_ref().expect("connect");
    assert!(is_default(connect, "5s"));
    let active = route
        .policy
        .health_check
        .as_ref()
        .and_then(|health| health.active.as_ref())
        .expect("active health check");
    // The example's health check times out after its interval (3s > 2s).
    assert_eq!(active.interval.as_ref().map(ms), Some(2000));
    assert_eq!(active.timeout.as_ref().map(ms), Some(3000));
    let backups: Vec<_> = route
        .policy
        .fallbacks
        .iter()
        .filter(|fallback| fallback.kind == FallbackKind::BackupEndpoints)
        .flat_map(|fallback| fallback.targets.clone())
        .collect();
    assert_eq!(
        backups,
        vec![
            "backend-local-2:8080",
            "backend-remote-1:8080",
            "backend-remote-2:8080"
        ]
    );
    assert_eq!(
        route.policy.upstream.as_ref().and_then(|u| u.endpoints),
        Some(4)
    );
    assert!(outcome.diagnostics.is_empty());
}

#[test]
fn real_local_rate_limit_example_applies_the_managers_bucket_to_every_route() {
    let outcome = run(&["fixtures/envoy/examples/local-ratelimit.yaml"]);
    assert_eq!(outcome.inventory.routes.len(), 2);
    for route in &outcome.inventory.routes {
        assert_eq!(route.policy.statuses.on_rate_limited, Some(429));
        assert_eq!(route.policy.connect_timeout.as_ref().map(ms), Some(250));
    }
}

#[test]
fn real_dynamic_config_links_listener_routes_to_cluster_resources_in_another_file() {
    let outcome = run(&["fixtures/envoy/examples/dynamic-config-fs"]);
    let [route] = outcome.inventory.routes.as_slice() else {
        panic!("one route");
    };
    let upstream = route.policy.upstream.as_ref().expect("an upstream");
    assert_eq!(upstream.name, "example_proxy_cluster");
    assert_eq!(upstream.endpoints, Some(1));
    let connect = route.policy.connect_timeout.as_ref().expect("connect");
    assert!(is_default(connect, "5s"));
    assert!(outcome.diagnostics.is_empty());
}

/// Envoy reads fields under their protobuf JSON names too (`retryPolicy`, `consecutive5xx`): a
/// configuration written that way is detected and read like one with proto names.
#[test]
fn json_field_names_are_read_like_proto_names() {
    let outcome = run(&["fixtures/envoy/json-names.yaml"]);
    let (_, orders) = route(&outcome, "/orders", Some("GET"));
    let retry = orders.policy.retry.as_ref().expect("a retry policy");
    assert_eq!(retry.max_retries.value, 2);
    assert!(retry.conditions.contains(&RetryCondition::Any5xx));
    assert!(retry.conditions.contains(&RetryCondition::Status(404, 404)));
    assert_eq!(retry.per_try_timeout.as_ref().map(ms), Some(20_000));
    assert!(is_default(
        orders.policy.timeout.as_ref().expect("a timeout"),
        "15s"
    ));
    let connect = orders.policy.connect_timeout.as_ref().expect("connect");
    assert_eq!(ms(connect), 1000);
    let [breaker] = orders.policy.circuit_breakers.as_slice() else {
        panic!("outlier detection");
    };
    assert_eq!(breaker.kind, CircuitBreakerKind::OutlierEjection);
    let position = line_column(
        &outcome,
        retry
            .per_try_timeout
            .as_ref()
            .and_then(|t| t.origin.location())
            .expect("written"),
    );
    assert_eq!(position, (30, 46));
    assert!(outcome.diagnostics.is_empty(), "{:?}", outcome.diagnostics);

    let (_, report) = common::lint_json(
        &repo(),
        &[
            "--config",
            "fixtures/config/valid/all.yaml",
            "fixtures/envoy/json-names.yaml",
        ],
    );
    let findings = common::located(&report);
    let file = "fixtures/envoy/json-names.yaml";
    for expected in [
        common::at("per-try-timeout-exceeds-total", file, 30, 46),
        common::at("retry-on-client-error", file, 29, 43),
    ] {
        assert!(findings.contains(&expected), "{expected:?} in {findings:?}");
    }
    assert!(!findings
        .iter()
        .any(|(rule, ..)| rule == "circuit-breaker-missing"));
}

#[test]
fn bad_values_are_reported_where_they_are_written() {
    let outcome = run(&["fixtures/envoy/invalid.yaml"]);
    let found: Vec<(&str, u32, u32)> = outcome
        .diagnostics
        .iter()
        .map(|diagnostic| {
            let (line, column) = line_column(&outcome, diagnostic.location);
            (diagnostic.rule.as_str(), line, column)
        })
        .collect();
    let expected: Vec<(&str, u32, u32)> = [
        (15, 53), // timeout: 15
        (20, 31), // retry_on: gateway-eror
        (21, 34), // num_retries: -1
        (22, 38), // per_try_timeout: 1m
        (23, 47), // unclosed regex group
        (29, 34), // :method exact_match: get
        (31, 33), // v2 `regex`
        (36, 33), // retry_policy: 5xx
        (42, 72), // max_interval below base_interval
        (46, 52), // broken uri template
        (48, 26), // no path matcher
        (54, 9),  // v2 `config` on the connection manager
        (59, 22), // connect_timeout: 250ms (not a protobuf duration)
        (61, 7),  // health check without timeout
    ]
    .into_iter()
    .map(|(line, column)| ("invalid-value", line, column))
    .collect();
    assert_eq!(found, expected);
    // A route with a bad timeout still exists, with no made-up value.
    let (_, route) = route(&outcome, "/a", None);
    assert!(is_default(
        route.policy.timeout.as_ref().expect("the default applies"),
        "15s"
    ));
}

#[test]
fn malformed_structure_is_reported_never_a_panic() {
    let outcome = run(&["fixtures/envoy/malformed.yaml"]);
    assert!(outcome
        .diagnostics
        .iter()
        .all(|diagnostic| diagnostic.rule == "invalid-value"));
    assert!(outcome.diagnostics.len() >= 10);
}

/// `routeguard lint` findings on the bookshop spec beside one Envoy file, reduced to what must not
/// depend on how the file spells its fields: rule, file and message (which names the file).
fn findings_beside_the_spec(envoy_file: &str) -> Vec<(String, String, String)> {
    let (_, report) = lint_json(
        &repo(),
        &["--no-config", "fixtures/envoy/openapi.yaml", envoy_file],
    );
    findings(&report)
        .into_iter()
        .zip(report["diagnostics"].as_array().into_iter().flatten())
        .map(|(finding, diagnostic)| {
            let message = diagnostic["message"].as_str().unwrap_or_default();
            (
                finding.rule,
                finding.file.replace(envoy_file, "ENVOY"),
                message.replace(envoy_file, "ENVOY"),
            )
        })
        .collect()
}

#[test]
fn camel_case_json_lints_like_the_same_bootstrap_in_snake_case() {
    let snake = findings_beside_the_spec("fixtures/envoy/bootstrap.yaml");
    let camel = findings_beside_the_spec("fixtures/envoy/camel-case.json");
    assert!(
        snake.iter().any(|(_, file, _)| file == "ENVOY") && snake.len() > 20,
        "{snake:#?}"
    );
    assert_eq!(camel, snake);
}

#[test]
fn camel_case_findings_point_at_the_camel_case_keys_and_values() {
    let file = "fixtures/envoy/camel-case.json";
    let (_, report) = lint_json(
        &repo(),
        &["--no-config", "fixtures/envoy/openapi.yaml", file],
    );
    let found = located(&report);
    for expected in [
        // `"numRetries": 3` of the POST route's `retryPolicy`.
        at("retry-non-idempotent", file, 86, 47),
        // The `outlierDetection` key of `authors-primary`, which enforces nothing.
        at("circuit-breaker-ineffective", file, 317, 9),
        // The `circuitBreakers` key of `orders-v1`, whose limits are all unlimited.
        at("circuit-breaker-ineffective", file, 365, 9),
    ] {
        assert!(found.contains(&expected), "{expected:?} in {found:#?}");
    }
    assert!(
        found.iter().all(|(rule, ..)| rule != "invalid-value"),
        "{found:#?}"
    );
}

/// `routeguard routes --format json`, without where each route is written.
fn routes_without_locations(envoy_file: &str) -> serde_json::Value {
    let run = run_binary(
        &repo(),
        &[
            "routes",
            "--no-config",
            "--format",
            "json",
            "fixtures/envoy/openapi.yaml",
            envoy_file,
        ],
    );
    let mut routes: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|error| panic!("routes JSON ({error}): {} {}", run.stdout, run.stderr));
    for route in routes["routes"].as_array_mut().into_iter().flatten() {
        if let Some(route) = route.as_object_mut() {
            route.remove("file");
            route.remove("line");
        }
    }
    routes
}

#[test]
fn camel_case_json_has_the_same_routes_and_policies_as_snake_case() {
    let snake = routes_without_locations("fixtures/envoy/bootstrap.yaml");
    let camel = routes_without_locations("fixtures/envoy/camel-case.json");
    assert_eq!(snake["routes"].as_array().map(Vec::len), Some(9));
    assert_eq!(camel, snake);

    // And in the model, the policies the routes report summarise.
    let outcome = run(&[
        "fixtures/envoy/openapi.yaml",
        "fixtures/envoy/camel-case.json",
    ]);
    assert!(outcome.diagnostics.is_empty(), "{:?}", outcome.diagnostics);
    let (_, create) = route(&outcome, "/books", Some("POST"));
    let retry = create.policy.retry.as_ref().expect("`retryPolicy`");
    assert_eq!(retry.max_retries.value, 3);
    assert_eq!(
        retry.per_try_timeout.as_ref().map(ms),
        Some(500),
        "`perTryTimeout: \"0.5s\"`"
    );
    let backoff = retry.backoff.as_ref().expect("`retryBackOff`");
    assert_eq!(
        (backoff.base.as_ref().map(ms), backoff.max.as_ref().map(ms)),
        (Some(100), Some(1000))
    );
    assert!(backoff
        .base
        .as_ref()
        .is_some_and(|base| base.origin.is_explicit()));
    let limit = create
        .policy
        .rate_limit
        .as_ref()
        .expect("`typedPerFilterConfig`");
    assert_eq!(line_column(&outcome, limit.location), (96, 33));
    let (_, list) = route(&outcome, "/books", Some("GET"));
    let passive = list
        .policy
        .health_check
        .as_ref()
        .and_then(|health| health.passive)
        .expect("`outlierDetection`");
    assert_eq!(line_column(&outcome, passive), (238, 9));
}

#[test]
fn a_field_set_under_both_names_is_reported_and_the_last_one_read() {
    let outcome = run(&["fixtures/envoy/fields-set-twice.yaml"]);
    let found: Vec<(&str, u32, u32, String)> = outcome
        .diagnostics
        .iter()
        .map(|diagnostic| {
            let (line, column) = line_column(&outcome, diagnostic.location);
            (
                diagnostic.rule.as_str(),
                line,
                column,
                diagnostic.message.clone(),
            )
        })
        .collect();
    let expected = vec![
        (
            "invalid-value",
            17,
            11,
            "`numRetries` and `num_retries` are the same field, set twice: Envoy refuses the \
             configuration (routeguard reads this one, the last written)"
                .to_string(),
        ),
        (
            "invalid-value",
            20,
            3,
            "`connectTimeout` and `connect_timeout` are the same field, set twice: Envoy \
             refuses the configuration (routeguard reads this one, the last written)"
                .to_string(),
        ),
    ];
    assert_eq!(found, expected);
    let first_set: Vec<(u32, u32)> = outcome
        .diagnostics
        .iter()
        .flat_map(|diagnostic| &diagnostic.related)
        .map(|related| line_column(&outcome, related.location))
        .collect();
    assert_eq!(first_set, vec![(16, 11), (19, 3)]);

    // Both resources are recognised by their camelCase fields (`virtualHosts`,
    // `loadAssignment`), and the values written last are the ones read.
    let [route] = outcome.inventory.routes.as_slice() else {
        panic!("one route: {:?}", outcome.inventory.routes);
    };
    let retry = route.policy.retry.as_ref().expect("a retry");
    assert_eq!(retry.max_retries.value, 4);
    assert_eq!(
        retry
            .max_retries
            .origin
            .location()
            .map(|at| line_column(&outcome, at)),
        Some((17, 23))
    );
    assert_eq!(route.policy.connect_timeout.as_ref().map(ms), Some(2000));
    assert_eq!(
        route
            .policy
            .upstream
            .as_ref()
            .and_then(|upstream| upstream.endpoints),
        Some(1)
    );
}

/// Every YAML and JSON fixture of the repository, with its parsed documents.
fn all_fixtures() -> Vec<(String, Vec<routeguard::source::Node>)> {
    use routeguard::source::embedded::config_map_documents;
    use routeguard::source::{parse_text, Syntax};
    let mut out = Vec::new();
    let mut folders = vec![repo().join("fixtures")];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if crate::common::is_corpus(&path) {
                continue;
            }
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            let syntax = match path.extension().and_then(|ext| ext.to_str()) {
                Some("json") => Syntax::Json,
                Some("yaml" | "yml") => Syntax::Yaml,
                _ => continue,
            };
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let Ok(loaded) = parse_text(&text, syntax) else {
                continue;
            };
            // What routeguard reads: the documents, and those a ConfigMap holds.
            let mut documents = loaded.documents;
            let embedded: Vec<_> = documents
                .iter()
                .flat_map(|document| config_map_documents(&text, document))
                .collect();
            documents.extend(embedded);
            let relative = path
                .strip_prefix(repo())
                .map_or_else(|_| path.display().to_string(), |p| p.display().to_string());
            out.push((relative.replace('\\', "/"), documents));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn detection_fires_on_envoy_configs_only_and_nothing_else_claims_them() {
    use routeguard::formats::{detect, envoy};
    for (path, documents) in all_fixtures() {
        let spec = path
            .rsplit('/')
            .next()
            .is_some_and(|name| name.starts_with("openapi"));
        // `fixtures/layers` and `fixtures/truth` hold whole projects, whose Envoy configurations
        // are named after the gateway.
        let in_project = (path.starts_with("fixtures/layers/")
            || path.starts_with("fixtures/truth/"))
            && path.ends_with("/envoy.yaml");
        let envoy_config = (path.starts_with("fixtures/envoy/") || in_project) && !spec;
        let claimed = documents
            .iter()
            .any(|document| (envoy::ADAPTER.detect)(document));
        assert_eq!(claimed, envoy_config, "the Envoy detector on {path}");
        if envoy_config {
            for document in &documents {
                let others: Vec<&str> = detect(document)
                    .map(|adapter| adapter.name)
                    .filter(|name| *name != "envoy")
                    .collect();
                assert!(others.is_empty(), "{others:?} claim a document of {path}");
            }
        }
    }
}

#[test]
fn routes_that_answer_405_themselves_expose_no_method() {
    // GoogleCloudPlatform/esp-v2: after the routes of each documented method, a route for the
    // same path answers 405 directly; no method reaches the upstream through it.
    let (_, report) =
        common::lint_json(&common::repo(), &["fixtures/envoy/esp-v2/dynamic-routing"]);
    let mismatches: Vec<_> = common::located(&report)
        .into_iter()
        .filter(|(rule, ..)| rule == "method-mismatch")
        .collect();
    assert_eq!(mismatches, vec![]);
}

const CONFIG_DUMP: &str = "fixtures/envoy/config-dump.json";

/// The line and column of a value's source, when it is written in the configuration.
fn written_at<T>(outcome: &LintOutcome, value: &Sourced<T>) -> Option<(u32, u32)> {
    match value.origin {
        Origin::Explicit(location) => Some(line_column(outcome, location)),
        _ => None,
    }
}

/// An admin `/config_dump` lists the static listener twice (in the bootstrap and in
/// `static_listeners`) and its inline route configuration a third time (`static_route_configs`);
/// each route is read once, from the listeners dump, and the RDS route configuration through the
/// listener that names it.
#[test]
fn config_dump_reads_each_serving_route_once_with_rds_resolved() {
    let outcome = run(&[CONFIG_DUMP]);
    let routes: Vec<(String, String)> = outcome
        .inventory
        .routes
        .iter()
        .map(|route| (route.methods.to_string(), route.path.pattern.clone()))
        .collect();
    assert_eq!(
        routes,
        [
            ("*", "/auth"),
            ("GET", "/books"),
            ("POST", "/orders"),
            ("*", "/payments"),
        ]
        .map(|(method, path)| (method.to_string(), path.to_string()))
    );
    assert!(outcome.diagnostics.is_empty(), "{:?}", outcome.diagnostics);

    // The static route, from `static_listeners`: a 2s timeout and 3 retries on 5xx.
    let (_, auth) = route(&outcome, "/auth", None);
    assert_eq!(line_column(&outcome, auth.location), (379, 17));
    assert_eq!(line_column(&outcome, auth.path.location), (380, 28));
    let timeout = auth.policy.timeout.as_ref().expect("a timeout");
    assert_eq!(timeout.value, Timeout::Bounded(Duration::from_secs(2)));
    assert_eq!(written_at(&outcome, timeout), Some((384, 29)));
    let retry = auth.policy.retry.as_ref().expect("a retry policy");
    assert_eq!(retry.max_retries.value, 3);
    assert_eq!(written_at(&outcome, &retry.max_retries), Some((387, 34)));
    assert_eq!(line_column(&outcome, retry.location), (385, 18));
    assert!(retry.per_try_timeout.is_none());

    // The RDS route configuration `api_routes`, from `dynamic_route_configs`, read with the
    // HTTP filters of the listener that names it: its local rate limit answers 429.
    let (_, books) = route(&outcome, "/books", Some("GET"));
    assert_eq!(books.name.as_deref(), Some("list-books"));
    assert_eq!(books.hosts, vec!["api.example.com".to_string()]);
    assert_eq!(line_column(&outcome, books.location), (606, 11));
    let timeout = books.policy.timeout.as_ref().expect("a timeout");
    assert_eq!(timeout.value, Timeout::Bounded(Duration::from_secs(3)));
    assert_eq!(written_at(&outcome, timeout), Some((619, 23)));
    let retry = books.policy.retry.as_ref().expect("a retry policy");
    assert_eq!(retry.max_retries.value, 2);
    assert_eq!(line_column(&outcome, retry.location), (620, 12));
    let per_try = retry.per_try_timeout.as_ref().expect("a per-try timeout");
    assert_eq!(ms(per_try), 1000);
    assert_eq!(written_at(&outcome, per_try), Some((623, 32)));
    assert_eq!(books.policy.statuses.on_rate_limited, Some(429));

    let (_, orders) = route(&outcome, "/orders", Some("POST"));
    assert_eq!(timeout_ms(orders), Some(5000));
    let retry = orders.policy.retry.as_ref().expect("a retry policy");
    assert_eq!(retry.max_retries.value, 1);
    assert_eq!(line_column(&outcome, retry.location), (643, 12));

    // `payments` is only warming: not serving yet, so nothing of it is linked.
    let (_, payments) = route(&outcome, "/payments", None);
    assert!(is_default(
        payments.policy.timeout.as_ref().expect("a timeout"),
        "15s"
    ));
    let upstream = payments.policy.upstream.as_ref().expect("an upstream");
    assert_eq!(
        (upstream.name.as_str(), upstream.location),
        ("payments", None)
    );
    assert!(payments.policy.connect_timeout.is_none());
    assert!(payments.policy.circuit_breakers.is_empty());
}

/// Static clusters are dumped in the bootstrap and in `static_clusters`: routes link to the
/// `static_clusters` copy, and findings about a cluster are made once, there.
#[test]
fn config_dump_links_each_cluster_once_from_the_clusters_dump() {
    let outcome = run(&[CONFIG_DUMP]);
    assert!(outcome.inventory.upstream_policies.is_empty());
    let (_, auth) = route(&outcome, "/auth", None);
    let upstream = auth.policy.upstream.as_ref().expect("an upstream");
    assert_eq!(upstream.name, "auth_service");
    assert_eq!(upstream.endpoints, Some(2));
    let linked_at = upstream.location.map(|at| line_column(&outcome, at));
    assert_eq!(linked_at, Some((201, 7)));
    let connect = auth.policy.connect_timeout.as_ref().expect("connect");
    assert_eq!(ms(connect), 250);
    assert_eq!(written_at(&outcome, connect), Some((204, 26)));

    // A dynamic EDS cluster: its endpoints are not in the dump, its breakers are.
    let (_, books) = route(&outcome, "/books", Some("GET"));
    let upstream = books.policy.upstream.as_ref().expect("an upstream");
    assert_eq!(upstream.endpoints, None);
    assert_eq!(
        common::breaker_kinds(&books.policy),
        [
            CircuitBreakerKind::ConcurrencyLimit,
            CircuitBreakerKind::OutlierEjection
        ]
    );
    assert!(books.policy.retry.as_ref().is_some_and(|r| r.has_budget));

    let (_, report) = lint_json(&repo(), &["--no-config", CONFIG_DUMP]);
    let found = located(&report);
    let about_auth_service: Vec<_> = found
        .iter()
        .filter(|(rule, ..)| {
            rule == "circuit-breaker-ineffective" || rule == "health-check-missing"
        })
        .collect();
    assert_eq!(
        about_auth_service,
        [
            &at("health-check-missing", CONFIG_DUMP, 201, 7),
            &at("circuit-breaker-ineffective", CONFIG_DUMP, 205, 7),
        ]
    );
}

#[test]
fn config_dump_findings_point_at_the_dumped_resources() {
    let (_, report) = lint_json(&repo(), &["--no-config", CONFIG_DUMP]);
    let found = located(&report);
    for expected in [
        // The `retry_policy` of `/auth` in `static_listeners`, and of `/orders` in the RDS
        // route configuration: both retry on 5xx without a per-try timeout.
        at("retry-without-per-try-timeout", CONFIG_DUMP, 385, 18),
        at("retry-without-per-try-timeout", CONFIG_DUMP, 643, 12),
        // The dynamic `orders` cluster, which has neither breaker nor outlier detection.
        at("circuit-breaker-missing", CONFIG_DUMP, 311, 7),
    ] {
        assert!(found.contains(&expected), "{expected:?} in {found:#?}");
    }
    // Nothing is reported at the bootstrap's copies (lines 5 to 197), nor about the secrets.
    assert!(
        found
            .iter()
            .all(|(rule, _, line, _)| rule != "invalid-value" && *line > 197),
        "{found:#?}"
    );
}

#[test]
fn malformed_config_dump_is_reported_never_a_panic() {
    let file = "fixtures/envoy/config-dump-malformed.yaml";
    let outcome = run(&[file]);
    assert!(outcome.inventory.routes.is_empty());
    let reported: Vec<(&str, (u32, u32))> = outcome
        .diagnostics
        .iter()
        .map(|diagnostic| {
            (
                diagnostic.rule.as_str(),
                line_column(&outcome, diagnostic.location),
            )
        })
        .collect();
    assert!(
        reported.iter().all(|(rule, _)| *rule == "invalid-value"),
        "{reported:?}"
    );
    for expected in [
        // `configs` a mapping rather than a list (read all the same).
        (3, 3),
        // A `cluster` that is a string, then one that is a list.
        (5, 14),
        (19, 14),
        // An entry that is a number, one without `@type`, one of the v2 admin API.
        (8, 3),
        (9, 3),
        (12, 12),
        // `static_clusters` a mapping, `static_route_configs` a number.
        (16, 20),
        (33, 25),
        // A dynamic listener whose `active_state` is a string.
        (27, 19),
        // A bad value inside a dumped cluster and a dumped route configuration.
        (20, 47),
        (39, 28),
    ] {
        assert!(
            reported.contains(&("invalid-value", expected)),
            "{expected:?} in {reported:?}"
        );
    }
    // The warming listener (whose v2 `config` would be reported) is not read, and the secrets
    // dump is not looked into.
    assert!(reported
        .iter()
        .all(|(_, (line, _))| *line != 31 && *line < 42));
}
