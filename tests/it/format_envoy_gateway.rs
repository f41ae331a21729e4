//! Envoy Gateway: BackendTrafficPolicy attached to Gateway API routes (rule over route over
//! gateway, whole policies, the route's own timeout and retry first), its timeouts, retries,
//! backoff, breakers and health checks with their defaults, the policies that attach to nothing
//! or conflict, ClientTrafficPolicy values, and Envoy Gateway's own end-to-end test files.

use std::time::Duration;

use routeguard::lint::LintOutcome;
use routeguard::model::policy::{CircuitBreakerKind, Origin, RetryCondition, Timeout};
use routeguard::model::{GatewayFormat, Method, MethodSet, Route};

use crate::common;

use common::{line_column, lint_isolated as run};

fn shop() -> LintOutcome {
    run(&[
        "fixtures/envoy-gateway/openapi.yaml",
        "fixtures/envoy-gateway/shop.yaml",
    ])
}

fn route<'a>(outcome: &'a LintOutcome, path: &str, method: Option<Method>) -> (usize, &'a Route) {
    outcome
        .inventory
        .routes
        .iter()
        .enumerate()
        .find(|(_, route)| {
            route.path.pattern == path
                && method.is_none_or(|method| route.methods == MethodSet::Only(vec![method]))
        })
        .unwrap_or_else(|| panic!("a route for {path}"))
}

fn timeout(route: &Route) -> (Timeout, bool) {
    let timeout = route.policy.timeout.as_ref().expect("a timeout");
    (timeout.value, timeout.origin.is_explicit())
}

fn secs(n: u64) -> Timeout {
    Timeout::Bounded(Duration::from_secs(n))
}

#[test]
fn a_route_policy_wins_over_the_gateway_policy_and_the_rule_timeout_over_both() {
    let outcome = shop();
    let (index, read) = route(&outcome, "/orders", Some(Method::Get));
    assert_eq!(read.format, GatewayFormat::EnvoyGateway);
    // The rule's own `timeouts.request: 3s` beats the policy's 8s.
    assert_eq!(timeout(read), (secs(3), true));
    let policy = &read.policy;
    let retry = policy.retry.as_ref().expect("the route policy's retry");
    assert_eq!(retry.max_retries.value, 3);
    assert!(retry.max_retries.origin.is_explicit());
    assert_eq!(line_column(&outcome, retry.location), (108, 3));
    assert_eq!(
        retry.conditions,
        vec![
            RetryCondition::ConnectFailure,
            RetryCondition::Status(503, 503)
        ]
    );
    assert_eq!(
        retry.per_try_timeout.as_ref().map(|t| t.value),
        Some(Duration::from_secs(2))
    );
    let backoff = retry.backoff.as_ref().expect("backoff");
    assert_eq!(
        common::backoff_bounds(retry),
        (
            Some(Duration::from_millis(100)),
            Some(Duration::from_secs(1))
        )
    );
    assert!(backoff.jittered);
    // 3 attempts of 2s and waits of at most 99ms, 299ms and 699ms… but the 3s total decides.
    assert_eq!(policy.worst_case(), Some(Duration::from_secs(3)));
    assert_eq!(
        policy.connect_timeout.as_ref().map(|t| t.value),
        Some(Duration::from_secs(2))
    );
    let kinds: Vec<_> = policy.circuit_breakers.iter().map(|b| b.kind).collect();
    assert_eq!(kinds, vec![CircuitBreakerKind::ConcurrencyLimit]);
    assert_eq!(policy.statuses.on_circuit_open, Some(503));
    let active = policy
        .health_check
        .as_ref()
        .and_then(|health| health.active.as_ref())
        .expect("an active check");
    assert_eq!(
        active.interval.as_ref().map(|i| i.value),
        Some(Duration::from_secs(5))
    );
    let check_timeout = active.timeout.as_ref().expect("the default check timeout");
    assert_eq!(check_timeout.value, Duration::from_secs(1));
    assert!(matches!(check_timeout.origin, Origin::Default(_)));
    // The gateway policy's passive check does not reach a route its own policy covers.
    assert!(policy
        .health_check
        .as_ref()
        .is_some_and(|h| h.passive.is_none()));
    // Joined to the operation.
    let operations: Vec<String> = outcome
        .join
        .operations_of(index)
        .map(|link| outcome.inventory.operations[link.operation].route())
        .collect();
    assert_eq!(operations, vec!["GET /orders".to_string()]);
}

#[test]
fn a_rule_policy_replaces_the_route_policy_whole() {
    let outcome = shop();
    let (_, write) = route(&outcome, "/orders", Some(Method::Post));
    assert_eq!(write.format, GatewayFormat::EnvoyGateway);
    assert_eq!(timeout(write), (secs(20), true));
    // Not merged: the route policy's retry, breaker and checks are not there.
    assert!(write.policy.retry.is_none());
    assert!(write.policy.circuit_breakers.is_empty());
    assert!(write.policy.health_check.is_none());
    let connect = write.policy.connect_timeout.as_ref().expect("connect");
    assert_eq!(connect.value, Duration::from_secs(10));
    assert!(matches!(connect.origin, Origin::Default(_)));
}

#[test]
fn a_selector_attaches_and_the_route_retry_stays() {
    let outcome = shop();
    let (_, products) = route(&outcome, "/products", None);
    assert_eq!(timeout(products), (secs(5), true));
    // GEP-1731 `retry.attempts: 1` on the rule beats the policy's `numRetries: 4`.
    let retry = products.policy.retry.as_ref().expect("retry");
    assert_eq!(retry.max_retries.value, 1);
    let limit = products.policy.rate_limit.as_ref().expect("rate limit");
    assert_eq!(limit.status, 429);
    assert_eq!(line_column(&outcome, limit.location), (157, 3));
}

#[test]
fn the_gateway_policy_reaches_routes_without_their_own() {
    let outcome = shop();
    let (_, health) = route(&outcome, "/health", None);
    assert_eq!(timeout(health), (secs(10), true));
    assert_eq!(health.policy.attempts(), 2);
    let passive = health.policy.health_check.as_ref().and_then(|h| h.passive);
    assert_eq!(passive.map(|at| line_column(&outcome, at)), Some((89, 5)));
    assert_eq!(
        health.policy.circuit_breakers.first().map(|b| b.kind),
        Some(CircuitBreakerKind::OutlierEjection)
    );
}

#[test]
fn unattached_conflicting_and_unreadable_policies_are_reported() {
    let outcome = shop();
    let mut found: Vec<(String, (u32, u32))> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.rule == "policy-unattached" || d.rule == "invalid-value")
        .map(|d| (d.rule.to_string(), line_column(&outcome, d.location)))
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            ("invalid-value".to_string(), (191, 23)),
            ("invalid-value".to_string(), (205, 31)),
            ("policy-unattached".to_string(), (172, 7)),
            ("policy-unattached".to_string(), (179, 1)),
        ]
    );
    let conflict = outcome
        .diagnostics
        .iter()
        .find(|d| line_column(&outcome, d.location) == (172, 7))
        .expect("the conflict");
    assert!(
        conflict.message.contains("`orders-duplicate`"),
        "{}",
        conflict.message
    );
    assert!(conflict.message.contains("Conflicted"));
    // The older `orders` keeps the route: its 8s would show where the rule sets none.
    let (_, read) = route(&outcome, "/orders", Some(Method::Get));
    assert_eq!(read.policy.attempts(), 4);
}

#[test]
fn a_route_no_policy_sets_a_timeout_for_keeps_envoys_default() {
    let outcome = run(&["fixtures/real/envoy-gateway/circuitbreaker.yaml"]);
    let routes = &outcome.inventory.routes;
    assert_eq!(routes.len(), 2);
    for route in routes {
        assert_eq!(route.format, GatewayFormat::EnvoyGateway);
        let timeout = route.policy.timeout.as_ref().expect("timeout");
        assert_eq!(timeout.value, secs(15));
        assert!(
            matches!(timeout.origin, Origin::Default(note) if note.contains("15s route timeout"))
        );
        assert_eq!(route.policy.circuit_breakers.len(), 1);
    }
    // A `retryOn` with only `httpStatusCodes` keeps the default triggers with its codes, and
    // `circuitBreaker.retryBudget` caps the retries.
    let (_, budgeted) = route(&outcome, "/", None);
    let retry = budgeted.policy.retry.as_ref().expect("retry");
    assert_eq!(retry.max_retries.value, 2);
    assert!(matches!(retry.max_retries.origin, Origin::Default(_)));
    assert!(retry.has_budget);
    assert!(retry.conditions.contains(&RetryCondition::Status(503, 503)));
    assert!(retry.conditions.contains(&RetryCondition::ConnectFailure));
    assert!(outcome
        .diagnostics
        .iter()
        .all(|d| d.rule != "invalid-value"));
}

#[test]
fn envoy_gateways_own_test_files() {
    let outcome = run(&["fixtures/real/envoy-gateway"]);
    assert!(
        outcome
            .diagnostics
            .iter()
            .all(|d| d.rule != "invalid-value" && d.rule != "policy-unattached"),
        "{:?}",
        outcome.diagnostics
    );
    let (_, timeout_route) = route(&outcome, "/btp-timeout", None);
    assert_eq!(timeout(timeout_route), (secs(2), true));

    let retried = outcome
        .inventory
        .routes
        .iter()
        .find(|route| route.name.as_deref() == Some("retry-route"))
        .expect("retry-route");
    let retry = retried.policy.retry.as_ref().expect("retry");
    assert_eq!(retry.max_retries.value, 5);
    assert_eq!(
        retry.conditions,
        vec![
            RetryCondition::ConnectFailure,
            RetryCondition::Status(500, 500)
        ]
    );
    assert_eq!(
        retry.per_try_timeout.as_ref().map(|t| t.value),
        Some(Duration::from_millis(250))
    );
    let backoff = retry.backoff.as_ref().expect("backoff");
    assert_eq!(
        backoff.max.as_ref().map(|m| m.value),
        Some(Duration::from_secs(10))
    );

    let (_, checked) = route(&outcome, "/health-check-active-http-pass", None);
    let active = checked
        .policy
        .health_check
        .as_ref()
        .and_then(|h| h.active.as_ref())
        .expect("active");
    assert_eq!(
        active.timeout.as_ref().map(|t| t.value),
        Some(Duration::from_secs(3))
    );
    assert_eq!(
        active.interval.as_ref().map(|t| t.value),
        Some(Duration::from_secs(5))
    );

    let (_, delayed) = route(&outcome, "/client-timeout", None);
    assert!(delayed.policy.fault_injection);
    // The ClientTrafficPolicy bounds receiving the request, not the wait for the backend.
    assert_eq!(timeout(delayed), (secs(15), false));
}

fn merge_fixture() -> LintOutcome {
    common::lint_recommended(&["fixtures/envoy-gateway/merge/shop.yaml"])
}

#[test]
fn a_route_policy_with_merge_type_is_merged_onto_its_gateways() {
    let outcome = merge_fixture();
    // `catalog-merged` sets one retry and inherits the Gateway policy's 8s, 2s per try and
    // breaker; `payments-alone`, without `mergeType`, replaces it whole.
    let (_, catalog) = route(&outcome, "/catalog", None);
    assert_eq!(
        timeout(catalog),
        (Timeout::Bounded(Duration::from_secs(8)), true)
    );
    let retry = catalog.policy.retry.as_ref().expect("retry");
    assert_eq!(retry.max_retries.value, 1);
    assert_eq!(
        line_column(
            &outcome,
            retry.max_retries.origin.location().expect("written")
        ),
        (114, 17)
    );
    let per_try = retry
        .per_try_timeout
        .as_ref()
        .expect("the gateway's per try");
    assert_eq!(
        line_column(&outcome, per_try.origin.location().expect("written")),
        (98, 16)
    );
    assert_eq!(catalog.policy.circuit_breakers.len(), 1);
    let (_, payments) = route(&outcome, "/payments", None);
    assert_eq!(
        timeout(payments),
        (Timeout::Bounded(Duration::from_secs(15)), false)
    );
    assert!(payments.policy.circuit_breakers.is_empty());
    assert_eq!(
        common::rule_positions(&outcome, "timeout-missing"),
        vec![(62, 11)]
    );
}

#[test]
fn target_selectors_evaluate_match_expressions() {
    let outcome = merge_fixture();
    let (_, search) = route(&outcome, "/search", None);
    assert_eq!(
        timeout(search),
        (Timeout::Bounded(Duration::from_secs(3)), true)
    );
    // An operator Kubernetes refuses makes the selector select nothing, reported once.
    assert_eq!(
        common::rule_positions(&outcome, "invalid-value"),
        vec![(154, 11)]
    );
}

#[test]
fn an_http_route_retry_without_attempts_retries_twice_on_envoy_gateway() {
    let outcome = merge_fixture();
    let (_, orders) = route(&outcome, "/orders", None);
    let retry = orders.policy.retry.as_ref().expect("the route's own retry");
    assert_eq!(retry.max_retries.value, 2);
    assert!(
        matches!(retry.max_retries.origin, Origin::Default(note) if note.contains("Envoy Gateway v1.9"))
    );
    assert_eq!(line_column(&outcome, retry.location), (35, 7));
    let base = retry
        .backoff
        .as_ref()
        .and_then(|b| b.base.as_ref())
        .expect("Envoy's backoff");
    assert_eq!(base.value, Duration::from_millis(25));
    assert!(retry.conditions.contains(&RetryCondition::Status(503, 503)));
    assert!(!retry.conditions.contains(&RetryCondition::Timeout));
    // Backed off and not retried on timeouts: neither finding applies.
    assert!(common::rule_positions(&outcome, "retry-without-backoff").is_empty());
    assert!(common::rule_positions(&outcome, "retry-without-per-try-timeout").is_empty());
    // Elsewhere the Gateway API's own count of 1 stands, and no backoff is assumed.
    let plain = common::lint_recommended(&["fixtures/gateway-api/retry-without-attempts.yaml"]);
    let retry = plain.inventory.routes[0]
        .policy
        .retry
        .as_ref()
        .expect("retry");
    assert_eq!(retry.max_retries.value, 1);
    assert!(
        matches!(retry.max_retries.origin, Origin::Default(note) if note.contains("Gateway API v1.2"))
    );
    assert!(retry.backoff.is_none());
}

#[test]
fn without_a_retry_envoy_gateway_bounds_the_route_by_its_backend_request_timeout() {
    let outcome = merge_fixture();
    // `processRouteTimeout`: `backendRequest` replaces `request` when the rule has no retry.
    let (_, reports) = route(&outcome, "/reports", None);
    let bound = reports.policy.timeout.as_ref().expect("timeout");
    assert_eq!(bound.value, Timeout::Bounded(Duration::from_secs(5)));
    assert_eq!(
        line_column(&outcome, bound.origin.location().expect("written")),
        (176, 25)
    );
    assert!(reports.policy.per_try_timeout.is_none());
    assert!(common::rule_positions(&outcome, "per-try-timeout-exceeds-total").is_empty());
}
