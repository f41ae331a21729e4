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
