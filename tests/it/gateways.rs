//! Kong and Istio adapters: normalized policy values (explicit or default), route matchers, the
//! join to operations, and findings with their locations.

use crate::common;

use std::time::Duration;

use common::{at, lint_json, located, repo};
use routeguard::lint::LintOutcome;
use routeguard::model::policy::{CircuitBreakerKind, FallbackKind, RetryCondition};
use routeguard::model::{GatewayFormat, MethodSet, Origin, PathKind, Route, Timeout};

/// The report with only the findings of `rule`.
fn only(report: &serde_json::Value, rule: &str) -> serde_json::Value {
    let mut report = report.clone();
    if let Some(diagnostics) = report["diagnostics"].as_array_mut() {
        diagnostics.retain(|diagnostic| diagnostic["rule"] == rule);
    }
    report
}

fn route<'a>(outcome: &'a LintOutcome, name: &str, pattern: &str) -> &'a Route {
    outcome
        .inventory
        .routes
        .iter()
        .find(|route| route.name.as_deref() == Some(name) && route.path.pattern == pattern)
        .unwrap_or_else(|| panic!("route {name} {pattern}"))
}

fn line_of(outcome: &LintOutcome, origin: &Origin) -> Option<u32> {
    origin
        .location()
        .map(|location| outcome.workspace.position(location).line)
}

#[test]
fn kong_policy_values_are_normalized_with_their_origin() {
    let outcome = common::lint_isolated(&["fixtures/kong/edge.yaml"]);
    let list = route(&outcome, "list-pets", "/pets");
    assert_eq!(list.format, GatewayFormat::Kong);
    assert_eq!(list.path.kind, PathKind::Prefix);
    assert_eq!(
        list.methods,
        MethodSet::Only(vec![routeguard::model::Method::Get])
    );
    let per_try = list.policy.per_try_timeout.as_ref().expect("read timeout");
    assert_eq!(per_try.value, Duration::from_millis(8000));
    assert_eq!(line_of(&outcome, &per_try.origin), Some(6));
    assert_eq!(
        list.policy.connect_timeout.as_ref().map(|t| t.value),
        Some(Duration::from_secs(2))
    );
    assert!(list.policy.retry.is_none(), "retries: 0 turns retrying off");
    assert!(
        list.policy.timeout.is_none(),
        "Kong has no end-to-end timeout"
    );
    assert_eq!(
        list.policy.rate_limit.as_ref().map(|limit| limit.status),
        Some(429)
    );
    assert_eq!(list.policy.statuses.on_rate_limited, Some(429));
    assert_eq!(list.policy.statuses.on_timeout, Some(504));
    // strip_path defaults to true: the upstream sees the service path instead of the prefix.
    let rewrite = list.path.rewrite.as_ref().expect("strip_path");
    assert_eq!(
        (rewrite.strip_prefix.as_str(), rewrite.add_prefix.as_str()),
        ("/pets", "/api")
    );

    let by_id = route(&outcome, "pet", "/pets/\\d+$");
    assert_eq!(by_id.path.kind, PathKind::Regex { full: false });
    assert!(by_id.path.rewrite.is_none(), "strip_path: false");

    // Defaults: Kong's 60 s read timeout and 5 retries, on connection errors and timeouts only.
    let defaults = route(&outcome, "bad-timeout", "/broken");
    let per_try = defaults.policy.per_try_timeout.as_ref().expect("default");
    assert_eq!(per_try.value, Duration::from_secs(60));
    assert_eq!(
        per_try.origin,
        Origin::Default("Kong's default read_timeout of 60s in Kong 3.x")
    );
    let retry = defaults.policy.retry.as_ref().expect("default retries");
    assert_eq!(retry.max_retries.value, 5);
    assert!(!retry.max_retries.origin.is_explicit());
    assert_eq!(
        retry.conditions,
        vec![RetryCondition::ConnectFailure, RetryCondition::Timeout]
    );
    assert_eq!(retry.non_idempotent, Some(false));
    assert_eq!(defaults.policy.worst_case(), Some(Duration::from_secs(360)));

    // The upstream: two targets, one with weight 0 (so no weighted fallback), active and passive
    // health checks, and the passive check as a working circuit breaker.
    let upstream = defaults.policy.upstream.as_ref().expect("upstream");
    assert_eq!(
        (upstream.name.as_str(), upstream.endpoints),
        ("defaults.internal", Some(2))
    );
    assert!(defaults.policy.fallbacks.is_empty());
    let health = defaults
        .policy
        .health_check
        .as_ref()
        .expect("health checks");
    let active = health.active.as_ref().expect("active");
    assert_eq!(
        active.interval.as_ref().map(|i| i.value),
        Some(Duration::from_secs(2))
    );
    assert_eq!(
        active.timeout.as_ref().map(|t| t.value),
        Some(Duration::from_secs(1))
    );
    assert!(health.passive.is_some());
    let breaker = defaults.policy.circuit_breakers.first().expect("breaker");
    assert_eq!(breaker.kind, CircuitBreakerKind::ConsecutiveErrors);
    assert!(breaker.ineffective.is_none());
    assert_eq!(defaults.policy.statuses.on_circuit_open, Some(503));

    let everything = route(&outcome, "everything", "/");
    assert!(everything.is_catch_all());
    assert_eq!(everything.hosts, vec!["api.example.com".to_string()]);
    // Top-level routes take their service's policy.
    let top = route(&outcome, "top-level", "/v2/pets");
    assert_eq!(
        top.policy.per_try_timeout.as_ref().map(|t| t.value),
        Some(Duration::from_secs(8))
    );
}

#[test]
fn kong_invalid_values_are_reported_where_written() {
    let (_, report) = lint_json(&repo(), &["fixtures/kong/edge.yaml"]);
    let report = only(&report, "invalid-value");
    assert_eq!(
        located(&report),
        vec![
            at("invalid-value", "fixtures/kong/edge.yaml", 23, 20),
            at("invalid-value", "fixtures/kong/edge.yaml", 50, 14),
        ]
    );
    let message = report["diagnostics"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(
        message,
        "`write_timeout`: `1m` is not a whole number of milliseconds"
    );
}

/// A service or route that is not a mapping is reported where written (decK refuses the file),
/// and the mappings beside it are read.
#[test]
fn kong_services_and_routes_that_are_not_mappings_are_invalid_values() {
    let dir = common::project(&[(
        "kong.yaml",
        b"_format_version: \"3.0\"\nservices:\n  - pets\n  - name: orders\n    url: http://orders\n    read_timeout: 5000\n    routes: [7, {name: list, paths: [/orders]}]\nroutes:\n  - [orders]\n",
    )]);
    let (_, report) = lint_json(dir.path(), &["kong.yaml"]);
    let invalid = only(&report, "invalid-value");
    assert_eq!(
        located(&invalid),
        vec![
            at("invalid-value", "kong.yaml", 3, 5),
            at("invalid-value", "kong.yaml", 7, 14),
            at("invalid-value", "kong.yaml", 9, 5),
        ]
    );
    assert_eq!(
        invalid["diagnostics"][0]["message"],
        "`services`: expected a mapping, found a string"
    );
    // The route beside the number is read: its findings are on it.
    assert!(located(&report).contains(&at("retry-excessive", "kong.yaml", 4, 5)));
}

/// An HTTP route that sets none of the fields Kong matches on is refused by Kong: reported at
/// the route, not read as a route for every path. A route with only `hosts` is not, and a
/// stream route (TCP) is no HTTP route at all.
#[test]
fn kong_http_routes_that_match_on_nothing_are_invalid_values() {
    let dir = common::project(&[(
        "kong.yaml",
        b"_format_version: \"3.0\"\nservices:\n  - name: a\n    url: http://a\n    read_timeout: 5000\n    routes:\n      - name: nothing\n        paths: []\n      - name: by-host\n        hosts: [a.example.com]\n      - name: plain\n        protocols: [http]\n      - name: stream\n        protocols: [tcp]\n        destinations: [{port: 9000}]\n",
    )]);
    let (_, report) = lint_json(dir.path(), &["kong.yaml"]);
    let invalid = only(&report, "invalid-value");
    assert_eq!(
        located(&invalid),
        vec![
            at("invalid-value", "kong.yaml", 7, 9),
            at("invalid-value", "kong.yaml", 11, 9),
        ]
    );
    assert_eq!(
        invalid["diagnostics"][0]["message"],
        "this route sets nothing Kong routes HTTP requests on, so Kong refuses it (\"must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'\"); add the `paths` (or `hosts`, `methods`, `headers`) it serves"
    );
    assert!(invalid["diagnostics"][1]["message"]
        .as_str()
        .is_some_and(|message| message.contains("when 'protocols' is 'http'\"")));
    let listed = common::run(dir.path(), &["routes", "--format", "json", "kong.yaml"]);
    let routes: serde_json::Value = serde_json::from_str(&listed.stdout).expect("routes JSON");
    let names: Vec<&str> = routes["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .filter_map(|route| route["name"].as_str())
        .collect();
    assert_eq!(names, ["by-host"]);
}

/// A misspelt method is reported where written, not dropped in silence.
#[test]
fn kong_unknown_methods_are_reported_at_the_item() {
    let dir = common::project(&[(
        "kong.yaml",
        b"_format_version: \"3.0\"\nservices:\n  - name: pets\n    url: http://pets\n    routes:\n      - name: list\n        paths: [/pets]\n        methods: [GETT, POST]\n",
    )]);
    let (_, report) = lint_json(dir.path(), &["kong.yaml"]);
    let report = only(&report, "invalid-value");
    assert_eq!(
        located(&report),
        vec![at("invalid-value", "kong.yaml", 8, 19)]
    );
    assert_eq!(
        report["diagnostics"][0]["message"],
        "`GETT` is not an HTTP method: Kong keeps the route, but no request ever matches it"
    );
}

#[test]
fn kong_real_deck_file_is_read() {
    let outcome = common::lint_isolated(&["fixtures/kong/deck-service-input.yaml"]);
    // Services without routes expose nothing; the file is still recognised, not unknown.
    assert!(outcome.inventory.routes.is_empty());
    assert!(outcome.diagnostics.is_empty(), "{:?}", outcome.diagnostics);
}

#[test]
fn istio_virtual_services_and_destination_rules() {
    let outcome = common::lint_isolated(&["fixtures/istio/mesh.yaml"]);
    let by_id = route(&outcome, "by-id", "/pets/[0-9]+");
    assert_eq!(by_id.format, GatewayFormat::Istio);
    assert_eq!(by_id.path.kind, PathKind::Regex { full: true });
    assert_eq!(
        by_id.methods,
        MethodSet::Only(vec![routeguard::model::Method::Get])
    );
    // `0s` switches the timeout off, explicitly.
    let timeout = by_id.policy.timeout.as_ref().expect("timeout");
    assert_eq!(timeout.value, Timeout::Unbounded);
    assert!(timeout.origin.is_explicit());
    // No retries block: Istio's default policy applies.
    let retry = by_id.policy.retry.as_ref().expect("default retries");
    assert_eq!(retry.max_retries.value, 2);
    assert!(!retry.max_retries.origin.is_explicit());
    assert!(retry.conditions.contains(&RetryCondition::ConnectFailure));

    let exact = route(&outcome, "list", "/pets");
    assert_eq!(exact.path.kind, PathKind::Exact);
    let timeout = exact.policy.timeout.as_ref().expect("timeout");
    assert_eq!(timeout.value, Timeout::Bounded(Duration::from_millis(1500)));
    assert_eq!(line_of(&outcome, &timeout.origin), Some(29));
    let retry = exact.policy.retry.as_ref().expect("retries");
    assert_eq!(retry.max_retries.value, 4);
    assert_eq!(
        retry.per_try_timeout.as_ref().map(|t| t.value),
        Some(Duration::from_millis(500))
    );
    assert_eq!(
        retry.conditions,
        vec![
            RetryCondition::GatewayError,
            RetryCondition::ConnectFailure,
            RetryCondition::Status(409, 409),
            RetryCondition::Status(503, 503),
        ]
    );
    let prefix = route(&outcome, "list", "/api/pets");
    assert_eq!(prefix.path.kind, PathKind::Prefix);
    let rewrite = prefix.path.rewrite.as_ref().expect("rewrite");
    assert_eq!(
        (rewrite.strip_prefix.as_str(), rewrite.add_prefix.as_str()),
        ("/api/pets", "/pets")
    );

    // The DestinationRule for `pets` applies to routes sending to `pets` and to its FQDN.
    for route in [by_id, exact] {
        assert_eq!(
            route.policy.connect_timeout.as_ref().map(|t| t.value),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            common::breaker_kinds(&route.policy),
            vec![
                CircuitBreakerKind::ConcurrencyLimit,
                CircuitBreakerKind::OutlierEjection
            ]
        );
        let outlier = &route.policy.circuit_breakers[1];
        assert!(outlier
            .ineffective
            .as_deref()
            .is_some_and(|why| why.contains("both 0")));
        assert_eq!(
            route.policy.fallbacks[0].kind,
            FallbackKind::LocalityFailover
        );
        assert_eq!(
            route.policy.fallbacks[0].targets,
            vec!["us-west".to_string()]
        );
    }
}

#[test]
fn istio_invalid_values_are_reported_and_real_samples_read() {
    let (_, report) = lint_json(&repo(), &["fixtures/istio"]);
    let report = only(&report, "invalid-value");
    assert_eq!(
        located(&report),
        vec![
            at("invalid-value", "fixtures/istio/mesh.yaml", 41, 16),
            at("invalid-value", "fixtures/istio/mesh.yaml", 43, 19),
        ]
    );
    let outcome = common::lint_isolated(&[
        "fixtures/istio/bookinfo-virtual-service-reviews-80-20.yaml",
        "fixtures/istio/bookinfo-virtual-service-ratings-test-delay.yaml",
        "fixtures/istio/bookinfo-destination-rule-all.yaml",
    ]);
    let reviews = &outcome.inventory.routes[0];
    assert_eq!(reviews.policy.fallbacks[0].kind, FallbackKind::WeightedPool);
    assert_eq!(
        reviews.policy.fallbacks[0].targets,
        vec!["reviews/v1".to_string(), "reviews/v2".to_string()]
    );
    let ratings: Vec<_> = outcome.inventory.routes[1..].iter().collect();
    assert_eq!(ratings.len(), 2);
    assert!(ratings[0].policy.fault_injection);
    assert!(!ratings[1].policy.fault_injection);
    assert!(ratings.iter().all(|route| route.is_catch_all()));
    assert_eq!(outcome.inventory.upstream_policies.len(), 4);
}

#[test]
fn demo_join_links_edge_and_mesh_routes_to_operations() {
    let result = common::run(&repo(), &["routes", "--format", "json", "fixtures/demo"]);
    assert_eq!(result.code, 0);
    let report: serde_json::Value = serde_json::from_str(&result.stdout).expect("json");
    let rows: Vec<(String, String, String, Vec<String>)> = report["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .map(|row| {
            (
                row["format"].as_str().unwrap_or_default().to_string(),
                row["name"].as_str().unwrap_or_default().to_string(),
                row["match_kind"].as_str().unwrap_or("none").to_string(),
                row["operations"]
                    .as_array()
                    .expect("operations")
                    .iter()
                    .map(|op| op.as_str().unwrap_or_default().to_string())
                    .collect(),
            )
        })
        .collect();
    let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        rows,
        vec![
            (
                "kong".into(),
                "list-pets".into(),
                "prefix".into(),
                strings(&["GET /pets", "POST /pets"])
            ),
            (
                "kong".into(),
                "pet-by-id".into(),
                "regex".into(),
                strings(&["GET /pets/{petId}", "DELETE /pets/{petId}"])
            ),
            ("kong".into(), "admin".into(), "none".into(), strings(&[])),
            (
                "kong".into(),
                "orders".into(),
                "prefix".into(),
                strings(&["POST /orders"])
            ),
            (
                "istio".into(),
                "pets-api".into(),
                "prefix".into(),
                strings(&[
                    "GET /pets",
                    "POST /pets",
                    "GET /pets/{petId}",
                    "DELETE /pets/{petId}"
                ])
            ),
            (
                "istio".into(),
                "orders-api".into(),
                "prefix".into(),
                strings(&["POST /orders"])
            ),
            (
                "litellm".into(),
                "gpt-4o".into(),
                "exact".into(),
                strings(&["POST /chat/completions"])
            ),
            (
                "litellm".into(),
                "claude-sonnet".into(),
                "exact".into(),
                strings(&["POST /chat/completions"])
            ),
        ]
    );
    let first = &report["routes"][0];
    assert_eq!(first["file"], "fixtures/demo/gateway/kong.yaml");
    assert_eq!(first["line"], 10);
    assert_eq!(first["per_try_timeout_ms"], 8000);
    assert_eq!(first["max_retries"], 3);
    assert_eq!(first["worst_case_ms"], 32000);
    assert_eq!(first["timeout_ms"], serde_json::Value::Null);
}

#[test]
fn demo_consistency_findings_are_located() {
    let (_, report) = lint_json(&repo(), &["fixtures/demo"]);
    let consistency: Vec<_> = located(&report)
        .into_iter()
        .filter(|(rule, ..)| {
            [
                "route-undocumented",
                "operation-unrouted",
                "method-mismatch",
                "gateway-errors-undocumented",
            ]
            .contains(&rule.as_str())
        })
        .collect();
    assert_eq!(
        consistency,
        vec![
            at(
                "route-undocumented",
                "fixtures/demo/gateway/kong.yaml",
                19,
                17
            ),
            at("method-mismatch", "fixtures/demo/gateway/kong.yaml", 27, 9),
            at(
                "gateway-errors-undocumented",
                "fixtures/demo/openapi.yaml",
                42,
                7
            ),
            at(
                "gateway-errors-undocumented",
                "fixtures/demo/openapi.yaml",
                53,
                7
            ),
            at(
                "gateway-errors-undocumented",
                "fixtures/demo/paths/pet.yaml",
                12,
                3
            ),
            at(
                "gateway-errors-undocumented",
                "fixtures/demo/paths/pet.yaml",
                21,
                3
            ),
        ]
    );
}

#[test]
fn an_api_no_gateway_reaches_is_not_reported_operation_by_operation() {
    // The demo's gateways and, beside them, another API of the same repository.
    let (_, report) = lint_json(
        &repo(),
        &["fixtures/demo", "fixtures/refs/recursive/openapi.yaml"],
    );
    let unrouted: Vec<_> = located(&report)
        .into_iter()
        .filter(|(rule, ..)| rule == "operation-unrouted")
        .collect();
    assert_eq!(unrouted, vec![]);
    // An operation of an API the gateways do serve is reported when no route reaches it.
    let (_, report) = lint_json(
        &repo(),
        &[
            "fixtures/well-configured/openapi.yaml",
            "fixtures/well-configured/kong.yaml",
        ],
    );
    assert!(located(&report).is_empty());
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join(".git")).expect(".git");
    let spec = std::fs::read_to_string(repo().join("fixtures/well-configured/openapi.yaml"))
        .expect("spec")
        .replace("  /orders:\n", "  /invoices:\n    get:\n      operationId: listInvoices\n      summary: List invoices\n      description: Lists invoices.\n      responses:\n        \"200\":\n          description: Invoices.\n        5XX:\n          description: Failure.\n  /orders:\n");
    std::fs::write(dir.path().join("openapi.yaml"), spec).expect("write");
    std::fs::copy(
        repo().join("fixtures/well-configured/kong.yaml"),
        dir.path().join("kong.yaml"),
    )
    .expect("copy");
    let (_, report) = lint_json(dir.path(), &["openapi.yaml", "kong.yaml"]);
    let unrouted: Vec<_> = located(&report)
        .into_iter()
        .filter(|(rule, ..)| rule == "operation-unrouted")
        .collect();
    assert_eq!(
        unrouted,
        vec![at("operation-unrouted", "openapi.yaml", 12, 5)]
    );
}

#[test]
fn kong_regex_routes_tell_a_trailing_slash_apart() {
    // openapi2kong turns `/application` and `/application/` into `~/application$` and
    // `~/application/$`: each route reaches only the operation it was generated from.
    let run = common::run(
        &repo(),
        &[
            "routes",
            "--format",
            "json",
            "fixtures/real/openapi/openapi2kong-01-names-inferred",
        ],
    );
    let routes: serde_json::Value = serde_json::from_str(&run.stdout).expect("routes JSON");
    let joined: Vec<(String, String)> = routes["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .map(|route| {
            (
                route["path"].as_str().unwrap_or_default().to_string(),
                route["operation"].as_str().unwrap_or("none").to_string(),
            )
        })
        .collect();
    let expected = [
        ("~/$", "GET /"),
        ("~/$", "POST /"),
        ("~/application$", "GET /application"),
        ("~/application$", "POST /application"),
        ("~/application/$", "GET /application/"),
        ("~/application/$", "POST /application/"),
    ];
    assert_eq!(
        joined,
        expected.map(|(path, operation)| (path.to_string(), operation.to_string()))
    );
}

/// decK renders a Kong file as a Go template before it reads it: `${{ env "DECK_…" }}` values are
/// filled in at deployment, so they are neither invalid nor judged, and the file still parses
/// where an action's quotes sit inside a quoted string.
#[test]
fn kong_values_deck_fills_in_at_deployment_are_not_judged() {
    use crate::inventory::findings;
    let file = "fixtures/kong/deck-env.yaml";
    let outcome = common::lint_recommended(&[file]);
    for rule in ["parse-error", "invalid-value"] {
        assert!(findings(&outcome, rule, file).is_empty(), "{rule}");
    }
    let orders = route(&outcome, "orders", "/orders");
    assert_eq!(
        orders.policy.deferred,
        [
            routeguard::model::Setting::PerTryTimeout,
            routeguard::model::Setting::Retries
        ]
    );
    // The templated service is judged on nothing that adds its timing up (its service is at
    // line 3); the other one is (line 16).
    for rule in [
        "timeout-missing",
        "retry-excessive",
        "retry-without-backoff",
    ] {
        assert_eq!(
            findings(&outcome, rule, file),
            [format!("{file}:16:5")],
            "{rule}"
        );
    }
    assert_eq!(
        findings(&outcome, "circuit-breaker-missing", file),
        [format!("{file}:3:5"), format!("{file}:16:5")]
    );
    // The routes report leaves the deferred values out and says so.
    let result = common::run(&repo(), &["routes", "--format", "json", file]);
    let report: serde_json::Value = serde_json::from_str(&result.stdout).expect("json");
    let row = &report["routes"][0];
    assert_eq!(row["path"], "/orders*");
    assert_eq!(row["per_try_timeout_ms"], serde_json::Value::Null);
    assert_eq!(row["max_retries"], serde_json::Value::Null);
    assert_eq!(
        row["deferred"],
        serde_json::json!(["per_try_timeout_ms", "max_retries", "worst_case_ms"])
    );
    assert!(report["routes"][1].get("deferred").is_none());
    let table = common::run(&repo(), &["routes", file]).stdout;
    assert!(table.contains("at deploy: filled in when the file is deployed"));
}
