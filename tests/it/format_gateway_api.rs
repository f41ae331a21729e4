//! The Gateway API adapter: HTTPRoute matches, GEP-1742 timeouts, GEP-1731 retries, backends,
//! rewrites, the join to a spec with a server base path, and how bad input is reported.

use std::time::Duration;

use routeguard::lint::LintOutcome;
use routeguard::model::policy::{FallbackKind, Origin, RetryCondition, Sourced, Timeout};
use routeguard::model::{GatewayFormat, Method, MethodSet, PathKind, Route};

use crate::common;

use common::{line_column, lint_isolated as run, repo};

fn store() -> LintOutcome {
    run(&[
        "fixtures/gateway-api/openapi.yaml",
        "fixtures/gateway-api/routes.yaml",
    ])
}

fn route<'a>(outcome: &'a LintOutcome, pattern: &str) -> (usize, &'a Route) {
    outcome
        .inventory
        .routes
        .iter()
        .enumerate()
        .find(|(_, route)| route.path.pattern == pattern)
        .unwrap_or_else(|| panic!("a route for {pattern}"))
}

fn reaches(outcome: &LintOutcome, index: usize) -> Vec<String> {
    let mut reached: Vec<String> = outcome
        .join
        .operations_of(index)
        .map(|link| outcome.inventory.operations[link.operation].route())
        .collect();
    reached.sort();
    reached
}

fn ms(value: &Sourced<Duration>) -> u128 {
    value.value.as_millis()
}

#[test]
fn only_httproutes_are_read_from_a_file_of_many_kinds() {
    let outcome = store();
    let routes = &outcome.inventory.routes;
    assert!(routes
        .iter()
        .all(|route| route.format == GatewayFormat::GatewayApi));
    // store: 1 + 2 + 1 + 1 + 1 + 1 (the rule without matches); status (v1beta1): 1.
    assert_eq!(routes.len(), 8);
    assert!(outcome
        .diagnostics
        .iter()
        .all(|d| d.rule != "invalid-value"));
}

#[test]
fn timeouts_retry_and_a_prefix_match_with_a_method() {
    let outcome = store();
    let (index, route) = route(&outcome, "/v1/products");
    assert_eq!(route.name.as_deref(), Some("read-products"));
    assert_eq!(route.path.kind, PathKind::SegmentPrefix);
    assert_eq!(route.methods, MethodSet::Only(vec![Method::Get]));
    assert_eq!(route.hosts, vec!["store.example.com".to_string()]);
    assert_eq!(line_column(&outcome, route.location), (32, 7));
    let methods_at = route.methods_location.expect("the method is written");
    assert_eq!(line_column(&outcome, methods_at), (35, 15));

    let policy = &route.policy;
    let timeout = policy.timeout.as_ref().expect("timeout");
    assert_eq!(timeout.value, Timeout::Bounded(Duration::from_secs(5)));
    assert!(timeout.origin.is_explicit());
    assert_eq!(policy.per_try_timeout.as_ref().map(ms), Some(1000));

    let retry = policy.retry.as_ref().expect("retry");
    // `attempts` counts retries after the first try.
    assert_eq!(retry.max_retries.value, 2);
    assert!(retry.max_retries.origin.is_explicit());
    assert_eq!(
        retry.conditions,
        vec![
            RetryCondition::ConnectFailure,
            RetryCondition::Reset,
            RetryCondition::Timeout,
            RetryCondition::Status(503, 503),
            RetryCondition::Status(504, 504),
        ]
    );
    let backoff = retry.backoff.as_ref().expect("backoff");
    assert_eq!(backoff.base.as_ref().map(ms), Some(100));
    assert!(backoff.max.is_none());
    assert_eq!(retry.per_try_timeout.as_ref().map(ms), Some(1000));
    assert_eq!(line_column(&outcome, retry.location), (39, 5));
    assert_eq!(policy.statuses.on_timeout, Some(504));
    assert_eq!(policy.statuses.on_circuit_open, None);

    let upstream = policy.upstream.as_ref().expect("a backend");
    assert_eq!(upstream.name, "products");
    assert!(policy.fallbacks.is_empty());

    // The spec's server path `/v1` is part of the gateway's path.
    assert_eq!(
        reaches(&outcome, index),
        vec!["GET /products", "GET /products/{id}"]
    );
}

#[test]
fn two_matches_one_rule_zero_timeout_and_weighted_backends() {
    let outcome = store();
    let exact = outcome
        .inventory
        .routes
        .iter()
        .position(|route| {
            route.path.kind == PathKind::Exact && route.path.pattern == "/v1/products"
        })
        .expect("the exact match");
    let write = &outcome.inventory.routes[exact];
    assert_eq!(write.name.as_deref(), Some("write-products"));
    assert_eq!(write.methods, MethodSet::Only(vec![Method::Post]));
    let timeout = write.policy.timeout.as_ref().expect("timeout");
    assert_eq!(timeout.value, Timeout::Unbounded);
    assert!(timeout.origin.is_explicit());
    assert_eq!(write.policy.statuses.on_timeout, None);
    assert!(write.policy.retry.is_none());
    assert_eq!(
        write.policy.upstream.as_ref().map(|u| u.name.as_str()),
        Some("products-v1")
    );
    let [pool] = write.policy.fallbacks.as_slice() else {
        panic!("a weighted pool");
    };
    assert_eq!(pool.kind, FallbackKind::WeightedPool);
    assert_eq!(pool.targets, vec!["products-v1", "products-v2"]);
    assert_eq!(reaches(&outcome, exact), vec!["POST /products"]);

    let (index, regex) = route(&outcome, "/v1/products/[0-9a-f-]+");
    assert_eq!(regex.path.kind, PathKind::Regex { full: true });
    assert_eq!(regex.methods, MethodSet::Only(vec![Method::Put]));
    assert_eq!(regex.policy, write.policy);
    assert_eq!(reaches(&outcome, index), vec!["PUT /products/{id}"]);
}

#[test]
fn a_retry_without_attempts_counts_one_as_the_implementations_choice() {
    let outcome = store();
    let (index, route) = route(&outcome, "/v1/checkout");
    let policy = &route.policy;
    assert_eq!(
        policy.timeout.as_ref().and_then(|t| t.value.bound()),
        Some(Duration::from_secs(90))
    );
    assert_eq!(policy.per_try_timeout.as_ref().map(ms), Some(30_000));
    let retry = policy.retry.as_ref().expect("retry");
    assert_eq!(retry.max_retries.value, 1);
    assert!(matches!(
        retry.max_retries.origin,
        Origin::Default(note) if note.contains("implementation")
    ));
    assert!(retry.backoff.is_none());
    assert_eq!(reaches(&outcome, index), vec!["POST /checkout"]);
}

#[test]
fn unset_timeouts_are_no_bound_by_default() {
    let outcome = store();
    let (index, route) = route(&outcome, "/v1/status");
    let timeout = route.policy.timeout.as_ref().expect("timeout");
    assert_eq!(timeout.value, Timeout::Unbounded);
    assert!(matches!(
        timeout.origin,
        Origin::Default(note) if note.contains("leaves the request timeout to the implementation")
    ));
    assert!(route.policy.per_try_timeout.is_none());
    assert_eq!(route.policy.statuses.on_timeout, None);
    assert_eq!(route.policy.worst_case(), None);
    assert_eq!(reaches(&outcome, index), vec!["GET /status"]);
}

#[test]
fn replace_prefix_match_rewrites_to_the_upstream_path() {
    let outcome = store();
    let (index, route) = route(&outcome, "/shop/carts");
    // No `type`: PathPrefix.
    assert_eq!(route.path.kind, PathKind::SegmentPrefix);
    assert_eq!(route.methods, MethodSet::Any);
    let rewrite = route.path.rewrite.as_ref().expect("rewrite");
    assert_eq!(rewrite.strip_prefix, "/shop/carts");
    assert_eq!(rewrite.add_prefix, "/v1/carts");
    assert_eq!(reaches(&outcome, index), vec!["GET /carts/{id}"]);
}

#[test]
fn redirects_and_the_default_match() {
    let outcome = store();
    let (_, redirect) = route(&outcome, "/old");
    assert!(redirect.policy.timeout.is_none());
    assert!(redirect.policy.upstream.is_none());
    assert_eq!(
        redirect
            .policy
            .fallbacks
            .iter()
            .map(|fallback| fallback.kind)
            .collect::<Vec<_>>(),
        vec![FallbackKind::StaticResponse]
    );

    let (_, default) = route(&outcome, "/");
    assert!(default.is_catch_all());
    assert_eq!(default.path.kind, PathKind::SegmentPrefix);
    assert_eq!(
        default.policy.upstream.as_ref().map(|u| u.name.as_str()),
        Some("frontend")
    );
}

#[test]
fn real_conformance_retry_with_timeouts() {
    let outcome = run(&["fixtures/gateway-api/conformance/httproute-retry-with-timeouts.yaml"]);
    let (_, first) = route(&outcome, "/retry/backend-request-timeout-200ms");
    let retry = first.policy.retry.as_ref().expect("retry");
    assert_eq!(retry.max_retries.value, 2);
    assert_eq!(first.policy.per_try_timeout.as_ref().map(ms), Some(200));
    // No request timeout: 3 tries of 200 ms, no back-off written.
    assert_eq!(first.policy.worst_case(), Some(Duration::from_millis(600)));

    let (_, second) = route(&outcome, "/retry/request-timeout-200ms");
    let retry = second.policy.retry.as_ref().expect("retry");
    assert_eq!(retry.max_retries.value, 5);
    assert!(retry.conditions.contains(&RetryCondition::Status(500, 500)));
    assert_eq!(
        second.policy.timeout.as_ref().and_then(|t| t.value.bound()),
        Some(Duration::from_millis(400))
    );
    assert!(outcome.diagnostics.is_empty());
}

#[test]
fn real_conformance_method_matching() {
    let outcome = run(&["fixtures/gateway-api/conformance/httproute-method-matching.yaml"]);
    let summary: Vec<(String, String)> = outcome
        .inventory
        .routes
        .iter()
        .map(|route| (route.methods.to_string(), route.path.display()))
        .collect();
    let expected = [
        ("POST", "/*"),
        ("GET", "/*"),
        ("GET", "/path1*"),
        ("PUT", "/*"),
        ("POST", "/path2*"),
        ("PATCH", "/path3*"),
        ("DELETE", "/path4*"),
        ("*", "/path5*"),
        ("PATCH", "/*"),
        ("*", "/*"),
    ]
    .map(|(method, path)| (method.to_string(), path.to_string()));
    assert_eq!(summary, expected);
}

#[test]
fn real_conformance_weights_and_rewrites() {
    let outcome = run(&["fixtures/gateway-api/conformance/httproute-weight.yaml"]);
    let [route] = outcome.inventory.routes.as_slice() else {
        panic!("one route");
    };
    let [pool] = route.policy.fallbacks.as_slice() else {
        panic!("a weighted pool");
    };
    // The backend of weight 0 takes no traffic.
    assert_eq!(pool.targets, vec!["infra-backend-v1", "infra-backend-v2"]);
    assert_eq!(
        route.policy.upstream.as_ref().map(|u| u.name.as_str()),
        Some("infra-backend-v1")
    );

    let outcome = run(&["fixtures/gateway-api/conformance/httproute-rewrite-path.yaml"]);
    let rewrites: Vec<Option<(String, String)>> = outcome
        .inventory
        .routes
        .iter()
        .map(|route| {
            route
                .path
                .rewrite
                .as_ref()
                .map(|r| (r.strip_prefix.clone(), r.add_prefix.clone()))
        })
        .collect();
    let pair = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
    assert_eq!(
        rewrites,
        vec![
            pair("/prefix/one", "/one"),
            pair("/strip-prefix", "/"),
            // A full-path replacement on a prefix match has no prefix form.
            None,
            None,
            pair("/prefix/rewrite-path-and-modify-headers", "/prefix"),
        ]
    );
}

#[test]
fn real_timeout_example() {
    let outcome = run(&["fixtures/gateway-api/examples/timeout-example.yaml"]);
    let [route] = outcome.inventory.routes.as_slice() else {
        panic!("one route");
    };
    assert_eq!(
        route.policy.timeout.as_ref().and_then(|t| t.value.bound()),
        Some(Duration::from_secs(10))
    );
    assert_eq!(route.policy.per_try_timeout.as_ref().map(ms), Some(2000));
}

#[test]
fn bad_values_are_reported_where_they_are_written() {
    let outcome = run(&["fixtures/gateway-api/invalid.yaml"]);
    let found: Vec<(&str, u32, u32)> = outcome
        .diagnostics
        .iter()
        .map(|diagnostic| {
            let (line, column) = line_column(&outcome, diagnostic.location);
            (diagnostic.rule.as_str(), line, column)
        })
        .collect();
    let expected: Vec<(&str, u32, u32)> = [
        (8, 21),  // type: Prefix
        (9, 40),  // value: b (relative)
        (10, 47), // unclosed regex group
        (12, 15), // method: get
        (15, 16), // request: 1.5s (no fractions)
        (16, 23), // backendRequest: 10 (no unit)
        (22, 17), // attempts: 0
        (29, 15), // codes: 200
        (30, 16), // backoff: fast
        (33, 15), // weight: -1
        (34, 7),  // backend without a name
        (37, 12), // retry: true
    ]
    .into_iter()
    .map(|(line, column)| ("invalid-value", line, column))
    .collect();
    assert_eq!(found, expected);
    // Bad timeouts are not read as zero: the route keeps the documented "no bound" default.
    let (_, ok) = route(&outcome, "/ok");
    let timeout = ok.policy.timeout.as_ref().expect("a timeout");
    assert!(!timeout.origin.is_explicit());
    assert!(ok.policy.per_try_timeout.is_none());
    // `attempts: 0` is no retry policy at all.
    let (_, no_retry) = route(&outcome, "/e");
    assert!(no_retry.policy.retry.is_none());
    // The valid code is kept, the bad one and the bad back-off are not made up.
    let (_, partly) = route(&outcome, "/f");
    let retry = partly.policy.retry.as_ref().expect("retry");
    assert!(retry.conditions.contains(&RetryCondition::Status(503, 503)));
    assert!(!retry.conditions.contains(&RetryCondition::Status(200, 200)));
    assert!(retry.backoff.is_none());
    // Neither listed backend is usable.
    assert!(partly.policy.upstream.is_none());
}

#[test]
fn malformed_structure_is_reported_never_a_panic() {
    let outcome = run(&["fixtures/gateway-api/malformed.yaml"]);
    assert!(outcome.inventory.routes.is_empty());
    assert!(outcome
        .diagnostics
        .iter()
        .all(|diagnostic| diagnostic.rule == "invalid-value"));
    assert!(outcome.diagnostics.len() >= 10);
}

#[test]
fn detection_fires_on_httproutes_only_and_nothing_else_claims_them() {
    use routeguard::formats::{detect, gateway_api};
    use routeguard::source::{parse_text, Syntax};
    let mut folders = vec![repo().join("fixtures")];
    let mut checked = 0;
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
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
            let Some(loaded) = std::fs::read_to_string(&path)
                .ok()
                .and_then(|text| parse_text(&text, syntax).ok())
            else {
                continue;
            };
            let shown = path.display().to_string().replace('\\', "/");
            // Envoy Gateway's and Linkerd's policies, and the cross-layer projects, sit beside
            // the Gateway API routes they attach to.
            let beside = [
                "/fixtures/envoy-gateway/",
                "/fixtures/linkerd/",
                "/fixtures/cross-layer/",
            ]
            .iter()
            .any(|folder| shown.contains(folder));
            let ours = (shown.contains("/fixtures/gateway-api/") || beside)
                && !shown.ends_with("/openapi.yaml");
            for document in &loaded.documents {
                // (One malformed document has a number for its `apiVersion`.)
                let is_route = document.get("kind").and_then(|kind| kind.as_str())
                    == Some("HTTPRoute")
                    && document
                        .get("apiVersion")
                        .and_then(|v| v.as_str())
                        .is_some();
                // Linkerd reads its own HTTPRoutes and those its annotations make Linkerd's.
                let linkerds = routeguard::formats::linkerd::annotated(document)
                    || document
                        .get("apiVersion")
                        .and_then(|v| v.as_str())
                        .is_some_and(|api| api.starts_with("policy.linkerd.io/"));
                assert_eq!(
                    (gateway_api::ADAPTER.detect)(document),
                    ours && is_route && !linkerds,
                    "the Gateway API detector on a document of {shown}"
                );
                if ours && !beside {
                    let others: Vec<&str> = detect(document)
                        .map(|adapter| adapter.name)
                        .filter(|name| *name != "gateway-api")
                        .collect();
                    assert!(others.is_empty(), "{others:?} claim a document of {shown}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 20);
}
