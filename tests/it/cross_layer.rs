//! Cross-layer analysis across the gateways whose policies attach to routes: an edge gateway's
//! attempts times the mesh's, and the inner layer's worst case against the outer one's wait,
//! with their arithmetic.

use crate::common;

use routeguard::lint::LintOutcome;

fn finding<'a>(outcome: &'a LintOutcome, rule: &str) -> (&'a str, (u32, u32)) {
    let found = outcome
        .diagnostics
        .iter()
        .find(|d| d.rule == rule)
        .unwrap_or_else(|| panic!("{rule} in {:?}", outcome.diagnostics));
    (
        found.message.as_str(),
        common::line_column(outcome, found.location),
    )
}

#[test]
fn envoy_gateway_in_front_of_an_istio_mesh() {
    let outcome = common::lint_recommended(&["fixtures/cross-layer/envoy-gateway-istio"]);
    // Envoy Gateway's `numRetries: 2` is 3 attempts, each of which Istio tries 4 times.
    let (message, at) = finding(&outcome, "retry-amplification");
    assert!(
        message.starts_with("3 × 4 = 12 upstream calls per request: Envoy Gateway route `orders`"),
        "{message}"
    );
    assert!(
        message.contains("(1 + 2 retries) × Istio route `orders` (1 + 3 retries)"),
        "{message}"
    );
    assert_eq!(at, (35, 17));
    // Envoy Gateway gives each attempt 1s (`perRetry.timeout`); Istio's route may take 3s.
    let (message, at) = finding(&outcome, "timeout-layer-inversion");
    assert_eq!(
        message,
        "Istio route `orders` waits up to 3s, but Envoy Gateway route `orders` in front of it gives \
         up after 1s: the outer layer answers the client while this one keeps working"
    );
    assert_eq!(at, (17, 16));
}

#[test]
fn ingress_nginx_in_front_of_linkerd_whose_retries_a_budget_bounds() {
    let outcome = common::lint_recommended(&["fixtures/cross-layer/ingress-nginx-linkerd"]);
    // 3 tries at nginx, each of which Linkerd may retry within a budget of 20% more requests:
    // on average at most 1.2 calls each.
    let (message, at) = finding(&outcome, "retry-amplification");
    assert!(
        message.starts_with("3 × 1.2 = 3.6 upstream calls per request: ingress-nginx route"),
        "{message}"
    );
    assert!(
        message.contains(
            "(1 + 2 retries) × Linkerd route `GET /books` (a retry budget of 20% more requests)"
        ),
        "{message}"
    );
    assert_eq!(at, (10, 60));
    // nginx waits 8s for each try; the profile route may take 10s.
    let (message, at) = finding(&outcome, "timeout-layer-inversion");
    assert!(
        message.starts_with("Linkerd route `GET /books` waits up to 10s, but ingress-nginx route"),
        "{message}"
    );
    assert!(message.contains("gives up after 8s"), "{message}");
    assert_eq!(at, (14, 16));
}

#[test]
fn spring_cloud_gateway_in_front_of_a_kuma_mesh() {
    let outcome = common::lint_recommended(&["fixtures/cross-layer/spring-cloud-gateway-kuma"]);
    let (message, at) = finding(&outcome, "retry-amplification");
    assert_eq!(
        message,
        "3 × 3 = 9 upstream calls per request: Spring Cloud Gateway route `orders` (GET /orders) in \
         fixtures/cross-layer/spring-cloud-gateway-kuma/application.yml (1 + 2 retries) × Kuma \
         route `orders` (1 + 2 retries)"
    );
    assert_eq!(at, (18, 30));
    // The gateway waits 4s for each response (`response-timeout`); Kuma's route may take 6s.
    let (message, at) = finding(&outcome, "timeout-layer-inversion");
    assert_eq!(
        message,
        "Kuma route `orders` waits up to 6s, but Spring Cloud Gateway route `orders` in front of \
         it gives up after 4s: the outer layer answers the client while this one keeps working"
    );
    assert_eq!(at, (14, 27));
}
