//! Linkerd: HTTPRoute and Service annotations (route over Service, the annotation over
//! `timeouts.request`), Linkerd's own HTTPRoute, ServiceProfile routes with their 10s default
//! and a retry budget in place of a count, what cannot be read, and Linkerd's own files.

use std::time::Duration;

use routeguard::lint::LintOutcome;
use routeguard::model::policy::{CircuitBreakerKind, Origin, RetryCondition, Timeout};
use routeguard::model::{GatewayFormat, Layer, Method, MethodSet, Route};

use crate::common;

use common::{line_column, lint_isolated as run};

fn books() -> LintOutcome {
    common::lint_recommended(&[
        "fixtures/linkerd/openapi.yaml",
        "fixtures/linkerd/books.yaml",
    ])
}

fn route<'a>(outcome: &'a LintOutcome, path: &str, method: Method) -> (usize, &'a Route) {
    outcome
        .inventory
        .routes
        .iter()
        .enumerate()
        .find(|(_, route)| {
            route.path.pattern == path && route.methods == MethodSet::Only(vec![method])
        })
        .unwrap_or_else(|| panic!("a route for {method} {path}"))
}

fn operations(outcome: &LintOutcome, index: usize) -> Vec<String> {
    let mut found: Vec<String> = outcome
        .join
        .operations_of(index)
        .map(|link| outcome.inventory.operations[link.operation].route())
        .collect();
    found.sort();
    found
}

#[test]
fn route_annotations_win_over_the_rule_timeout_and_the_service() {
    let outcome = books();
    let (index, read) = route(&outcome, "/books", Method::Get);
    assert_eq!(read.format, GatewayFormat::Linkerd);
    assert_eq!(read.format.layer(), Layer::Mesh);
    // `timeout.linkerd.io/request: 3s` beats `timeouts.request: 10s` and the Service's 6s.
    let timeout = read.policy.timeout.as_ref().expect("timeout");
    assert_eq!(timeout.value, Timeout::Bounded(Duration::from_secs(3)));
    assert_eq!(
        line_column(&outcome, timeout.origin.location().expect("written")),
        (24, 33)
    );
    let retry = read.policy.retry.as_ref().expect("retry");
    assert_eq!(retry.max_retries.value, 3);
    assert!(retry.max_retries.origin.is_explicit());
    assert_eq!(
        retry.conditions,
        vec![
            RetryCondition::Status(502, 504),
            RetryCondition::Status(429, 429)
        ]
    );
    assert_eq!(
        retry.per_try_timeout.as_ref().map(|t| t.value),
        Some(Duration::from_millis(500))
    );
    // The policy controller's fixed backoff: 25ms, at most 250ms, jittered.
    let backoff = retry.backoff.as_ref().expect("backoff");
    assert_eq!(
        common::backoff_bounds(retry),
        (
            Some(Duration::from_millis(25)),
            Some(Duration::from_millis(250))
        )
    );
    assert!(backoff.jittered);
    // 4 attempts of 500ms and waits of 24, 74 and 174ms: 2.272s, under the 3s timeout.
    assert_eq!(read.policy.worst_case(), Some(Duration::from_millis(2272)));
    assert_eq!(
        operations(&outcome, index),
        vec!["GET /books", "GET /books/{id}"]
    );
}

#[test]
fn a_route_without_annotations_takes_its_services() {
    let outcome = books();
    let (index, write) = route(&outcome, "/books", Method::Post);
    assert_eq!(write.format, GatewayFormat::Linkerd);
    let timeout = write.policy.timeout.as_ref().expect("timeout");
    assert_eq!(timeout.value, Timeout::Bounded(Duration::from_secs(6)));
    assert_eq!(
        line_column(&outcome, timeout.origin.location().expect("written")),
        (9, 33)
    );
    let retry = write.policy.retry.as_ref().expect("the Service's retry");
    assert_eq!(retry.max_retries.value, 2);
    assert_eq!(retry.conditions, vec![RetryCondition::Status(500, 599)]);
    assert_eq!(retry.non_idempotent, Some(true));
    assert_eq!(operations(&outcome, index), vec!["POST /books"]);
    // Linkerd retries POST as any other method: a finding, at the Service's retry annotation.
    let finding = outcome
        .diagnostics
        .iter()
        .find(|d| d.rule == "retry-non-idempotent")
        .expect("retry-non-idempotent");
    assert_eq!(line_column(&outcome, finding.location), (11, 29));
}

#[test]
fn service_profile_routes_keep_a_budget_not_a_count() {
    let outcome = books();
    let (index, list) = route(&outcome, "/authors", Method::Get);
    assert_eq!(list.format, GatewayFormat::Linkerd);
    let timeout = list.policy.timeout.as_ref().expect("timeout");
    assert_eq!(timeout.value, Timeout::Bounded(Duration::from_millis(300)));
    let retry = list.policy.retry.as_ref().expect("isRetryable");
    assert!(retry.unbounded, "no count per request");
    assert!(retry.has_budget);
    let budget = list.policy.retry_budget.as_ref().expect("the budget");
    assert_eq!(budget.ratio.value, 0.25);
    assert_eq!(budget.min_per_second.value, 5);
    assert_eq!(budget.ttl.value, Duration::from_secs(10));
    assert_eq!(line_column(&outcome, budget.location), (86, 3));
    assert_eq!(list.policy.budgeted_calls(), Some(1.25));
    assert_eq!(operations(&outcome, index), vec!["GET /authors"]);

    // Conditions inside `all`, failures from `responseClasses`, the 10s default timeout.
    let (_, add) = route(&outcome, "/authors", Method::Post);
    let timeout = add.policy.timeout.as_ref().expect("timeout");
    assert_eq!(timeout.value, Timeout::Bounded(Duration::from_secs(10)));
    assert!(matches!(timeout.origin, Origin::Default(note) if note.contains("10s")));
    let retry = add.policy.retry.as_ref().expect("isRetryable");
    assert_eq!(retry.conditions, vec![RetryCondition::Status(502, 504)]);
    let excessive: Vec<String> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.rule == "retry-excessive")
        .map(|d| d.message.clone())
        .collect();
    assert_eq!(excessive.len(), 2);
    assert!(excessive[0].contains("only its retry budget (25% more requests, plus 5 a second)"));
}

#[test]
fn a_service_no_route_names_is_one_route_and_bad_values_are_reported() {
    let outcome = books();
    let ratings = outcome
        .inventory
        .routes
        .iter()
        .find(|route| route.name.as_deref() == Some("ratings"))
        .expect("ratings");
    let timeout = ratings.policy.timeout.as_ref().expect("timeout");
    assert_eq!(timeout.value, Timeout::Unbounded);
    assert!(matches!(timeout.origin, Origin::Default(_)));
    let mut invalid: Vec<(u32, u32)> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.rule == "invalid-value")
        .map(|d| line_column(&outcome, d.location))
        .collect();
    invalid.sort();
    assert_eq!(invalid, vec![(97, 33), (98, 28)]);
}

#[test]
fn linkerds_own_files() {
    let outcome = run(&[
        "fixtures/real/linkerd/books-webapp-profile.yaml",
        "fixtures/real/linkerd/retries-reference.yaml",
        "fixtures/real/linkerd/timeouts-reference.yaml",
        "fixtures/real/linkerd/viz-service-profiles.yaml",
    ]);
    assert!(
        outcome
            .diagnostics
            .iter()
            .all(|d| d.rule != "invalid-value" && d.rule != "parse-error"),
        "{:?}",
        outcome.diagnostics
    );
    let routes = &outcome.inventory.routes;
    assert!(routes
        .iter()
        .all(|route| route.format == GatewayFormat::Linkerd));
    // Viz: 7 + 3 profile routes; the books demo's webapp: 9; the two reference HTTPRoutes.
    assert_eq!(routes.len(), 21);
    let retried = routes
        .iter()
        .find(|route| route.policy.retry.is_some())
        .expect("the retries reference");
    let retry = retried.policy.retry.as_ref().expect("retry");
    assert_eq!(retry.max_retries.value, 2);
    assert_eq!(
        retry.per_try_timeout.as_ref().map(|t| t.value),
        Some(Duration::from_millis(300))
    );
    let timed = routes
        .iter()
        .find(|route| route.policy.per_try_timeout.is_some())
        .expect("the timeouts reference");
    assert_eq!(
        timed.policy.timeout.as_ref().map(|t| t.value),
        Some(Timeout::Bounded(Duration::from_secs(2)))
    );
    assert_eq!(
        timed.policy.per_try_timeout.as_ref().map(|t| t.value),
        Some(Duration::from_secs(1))
    );
    let webapp = routes
        .iter()
        .find(|route| route.name.as_deref() == Some("GET /authors/{id}"))
        .expect("webapp profile route");
    assert_eq!(webapp.path.pattern, "/authors/[^/]*");
    assert!(webapp.hosts.contains(&"webapp".to_string()));
}

#[test]
fn a_service_profile_wins_over_http_routes_and_annotations() {
    let outcome = common::lint_recommended(&["fixtures/linkerd/precedence"]);
    // `catalog` is served by its ServiceProfile alone: the 2s of its route, not the Service's
    // 30s annotation, and none of the HTTPRoute's 4 retries.
    let catalog: Vec<&Route> = outcome
        .inventory
        .routes
        .iter()
        .filter(|route| route.hosts.iter().any(|host| host.starts_with("catalog")))
        .collect();
    assert_eq!(catalog.len(), 1);
    assert_eq!(catalog[0].path.pattern, "/items");
    let timeout = catalog[0].policy.timeout.as_ref().expect("timeout");
    assert_eq!(timeout.value, Timeout::Bounded(Duration::from_secs(2)));
    assert_eq!(
        line_column(&outcome, timeout.origin.location().expect("written")),
        (29, 16)
    );
    assert!(catalog[0].policy.retry.is_none());
    // The ignored settings are reported on the first of them; `cart`, without a profile, is not.
    // A plain Gateway API HTTPRoute of the Service is ignored whole: no route of its own.
    assert_eq!(
        common::rule_positions(&outcome, "policy-unattached"),
        vec![(9, 28), (37, 29), (81, 1)]
    );
    let search = outcome
        .inventory
        .routes
        .iter()
        .find(|r| r.path.pattern == "/search");
    assert!(search.is_none());
}

#[test]
fn consecutive_failure_accrual_is_the_services_circuit_breaker() {
    let outcome = common::lint_recommended(&["fixtures/linkerd/precedence"]);
    let items = &outcome
        .inventory
        .routes
        .iter()
        .find(|r| r.path.pattern == "/items");
    let breakers = &items.expect("the profile's route").policy.circuit_breakers;
    assert_eq!(breakers.len(), 1);
    assert_eq!(breakers[0].kind, CircuitBreakerKind::ConsecutiveErrors);
    assert_eq!(line_column(&outcome, breakers[0].location), (11, 42));
    assert_eq!(breakers[0].open_status, Some(503));
    // What the controller cannot parse leaves `cart` and `wishlist` without one.
    assert_eq!(
        common::rule_positions(&outcome, "circuit-breaker-missing"),
        vec![(50, 1), (67, 1)]
    );
    assert_eq!(
        common::rule_positions(&outcome, "invalid-value"),
        vec![(58, 67), (59, 66), (74, 42)]
    );
}
