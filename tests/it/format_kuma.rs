//! Kuma: MeshTimeout, MeshRetry, MeshCircuitBreaker and MeshHealthCheck merged per destination
//! in Kuma's order (entry kind, then the smaller name last), the defaults of a new mesh, what
//! cannot be read, and Kuma's own test inputs (whose merged result Kuma's inspect API records).

use std::path::PathBuf;
use std::time::Duration;

use routeguard::config::{presets::Preset, Config};
use routeguard::lint::{lint_in, LintOptions, LintOutcome};
use routeguard::model::policy::{CircuitBreakerKind, Origin, RetryCondition, Timeout};
use routeguard::model::{GatewayFormat, Layer, Route};

use crate::common;

use common::{line_column, lint_isolated as run, lint_recommended};

fn shop() -> LintOutcome {
    run(&["fixtures/kuma/shop.yaml"])
}

fn named<'a>(outcome: &'a LintOutcome, name: &str) -> &'a Route {
    outcome
        .inventory
        .routes
        .iter()
        .find(|route| route.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("a route for {name}"))
}

fn timeout(route: &Route) -> Timeout {
    route.policy.timeout.as_ref().expect("timeout").value
}

#[test]
fn policies_merge_field_by_field_in_kumas_order() {
    let outcome = shop();
    let orders = named(&outcome, "orders");
    assert_eq!(orders.format, GatewayFormat::Kuma);
    assert_eq!(orders.format.layer(), Layer::Mesh);
    assert_eq!(orders.hosts, vec!["orders".to_string()]);
    // `orders-a` and `orders-b` tie on kinds: the smaller name is merged last and wins (4s),
    // and both beat the mesh-wide 20s, whose `connectionTimeout` still reaches them.
    let request = orders.policy.timeout.as_ref().expect("timeout");
    assert_eq!(request.value, Timeout::Bounded(Duration::from_secs(4)));
    assert_eq!(
        line_column(&outcome, request.origin.location().expect("written")),
        (46, 27)
    );
    let connect = orders.policy.connect_timeout.as_ref().expect("connect");
    assert_eq!(connect.value, Duration::from_secs(3));
    assert_eq!(
        line_column(&outcome, connect.origin.location().expect("written")),
        (16, 28)
    );

    let retry = orders.policy.retry.as_ref().expect("retry");
    assert_eq!(retry.max_retries.value, 3);
    assert_eq!(line_column(&outcome, retry.location), (59, 9));
    assert_eq!(
        retry.conditions,
        vec![
            RetryCondition::ConnectFailure,
            RetryCondition::Status(503, 503)
        ]
    );
    assert_eq!(
        retry.per_try_timeout.as_ref().map(|t| t.value),
        Some(Duration::from_secs(1))
    );
    assert_eq!(
        common::backoff_bounds(retry),
        (
            Some(Duration::from_millis(100)),
            Some(Duration::from_secs(1))
        )
    );

    assert_eq!(
        common::breaker_kinds(&orders.policy),
        vec![
            CircuitBreakerKind::ConcurrencyLimit,
            CircuitBreakerKind::OutlierEjection
        ]
    );
    let health = orders.policy.health_check.as_ref().expect("health");
    assert!(health.passive.is_some());
    let active = health.active.as_ref().expect("active");
    assert_eq!(
        active.interval.as_ref().map(|i| i.value),
        Some(Duration::from_secs(10))
    );
    assert_eq!(
        active.timeout.as_ref().map(|t| t.value),
        Some(Duration::from_secs(2))
    );
    assert!(
        orders.policy.fallbacks.is_empty(),
        "Kuma's policies name no fallback"
    );
}

#[test]
fn a_new_meshs_defaults_fill_what_no_policy_sets() {
    let outcome = shop();
    let mesh = named(&outcome, "every service of mesh default");
    assert_eq!(timeout(mesh), Timeout::Bounded(Duration::from_secs(20)));
    let retry = mesh.policy.retry.as_ref().expect("the default MeshRetry");
    assert_eq!(retry.max_retries.value, 5);
    assert!(
        matches!(retry.max_retries.origin, Origin::Default(note) if note.contains("default MeshRetry"))
    );
    let per_try = retry.per_try_timeout.as_ref().expect("per try");
    assert_eq!(per_try.value, Duration::from_secs(16));
    assert_eq!(
        retry.conditions,
        vec![
            RetryCondition::GatewayError,
            RetryCondition::ConnectFailure,
            RetryCondition::RefusedStream
        ]
    );
}

#[test]
fn zero_retries_switch_them_off_and_bad_values_are_reported() {
    let outcome = shop();
    let payments = named(&outcome, "payments");
    assert!(payments.policy.retry.is_none());
    // The unreadable 10 leaves the mesh-wide 20s in force.
    assert_eq!(timeout(payments), Timeout::Bounded(Duration::from_secs(20)));
    let mut invalid: Vec<(u32, u32)> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.rule == "invalid-value")
        .map(|d| line_column(&outcome, d.location))
        .collect();
    invalid.sort();
    assert_eq!(invalid, vec![(128, 28), (130, 27)]);
}

/// A copy of a corpus file without its `kuma.io/effect: shadow` labels, in a project of its own.
struct Applied {
    project: tempfile::TempDir,
    name: String,
}

impl Applied {
    fn outcome(&self) -> LintOutcome {
        let root = self.project.path().to_path_buf();
        let options = LintOptions {
            paths: vec![PathBuf::from(&self.name)],
            root: Some(root.clone()),
            config: Config::with_preset(Preset::Off),
            ..LintOptions::default()
        };
        lint_in(&options, &root).expect("the copy can be linted")
    }
}

fn applied(path: &str) -> Applied {
    let text = std::fs::read_to_string(common::repo().join(path)).expect("corpus file");
    let text: String = text
        .lines()
        .filter(|line| line.trim() != "kuma.io/effect: shadow")
        .map(|line| format!("{line}\n"))
        .collect();
    let name = path.rsplit('/').next().expect("file name").to_string();
    let project = common::project(&[(name.as_str(), text.as_bytes())]);
    Applied { project, name }
}

#[test]
fn kumas_own_test_inputs() {
    let outcome = run(&["fixtures/real/kuma"]);
    assert!(
        outcome
            .diagnostics
            .iter()
            .all(|d| d.rule != "invalid-value" && d.rule != "parse-error"),
        "{:?}",
        outcome.diagnostics
    );
    // `merged_outbound_policies`: Kuma's inspect API reports mt-1 and mt-2 merged into
    // connectionTimeout 2s and requestTimeout 2s for test-server-1.
    let merged = run(&["fixtures/real/kuma/merged-outbound-policies.yaml"]);
    let server = named(&merged, "test-server-1");
    assert_eq!(timeout(server), Timeout::Bounded(Duration::from_secs(2)));
    assert_eq!(
        server.policy.connect_timeout.as_ref().map(|t| t.value),
        Some(Duration::from_secs(2))
    );
    // Kuma's inspect tests label most of their policies `kuma.io/effect: shadow`, which Kuma
    // does not apply: read as written, those files configure nothing; with the label removed,
    // as the policies would be applied.
    for shadow in [
        "fixtures/real/kuma/meshretry-outbound.yaml",
        "fixtures/real/kuma/circuit-breaker-health-check.yaml",
        "fixtures/real/kuma/meshtimeout-outbound-route.yaml",
    ] {
        let outcome = run(&[shadow]);
        assert!(
            outcome.inventory.routes.is_empty(),
            "{shadow}: {:?}",
            outcome.inventory.routes
        );
    }
    let retried = applied("fixtures/real/kuma/meshretry-outbound.yaml");
    let retried = retried.outcome();
    let retry = named(&retried, "test-server")
        .policy
        .retry
        .as_ref()
        .expect("retry");
    assert_eq!(retry.max_retries.value, 2);
    assert_eq!(retry.conditions, vec![RetryCondition::Any5xx]);
    let backoff = retry.backoff.as_ref().expect("backoff");
    assert_eq!(
        backoff.max.as_ref().map(|m| m.value),
        Some(Duration::from_secs(240))
    );
    let checked = applied("fixtures/real/kuma/circuit-breaker-health-check.yaml");
    let checked = checked.outcome();
    let policy = &named(&checked, "test-server").policy;
    assert!(policy
        .health_check
        .as_ref()
        .is_some_and(|h| h.active.is_some() && h.passive.is_some()));
    let limited = run(&["fixtures/real/kuma/multiple-outbound-policies.yaml"]);
    let breakers = &named(&limited, "test-server-1").policy.circuit_breakers;
    assert_eq!(
        breakers.first().map(|b| b.kind),
        Some(CircuitBreakerKind::ConcurrencyLimit)
    );
}

#[test]
fn inbound_timeouts_bound_each_attempt_or_the_request() {
    let outcome = lint_recommended(&["fixtures/kuma/inbound"]);
    // `backend` is retried on 504 by the default MeshRetry: its own proxy's 3s inbound
    // timeout bounds each attempt, the outbound 15s default the request.
    let backend = named(&outcome, "backend");
    assert_eq!(timeout(backend), Timeout::Bounded(Duration::from_secs(15)));
    let retry = backend
        .policy
        .retry
        .as_ref()
        .expect("the default MeshRetry");
    let per_try = retry.per_try_timeout.as_ref().expect("per try");
    assert_eq!(per_try.value, Duration::from_secs(3));
    assert_eq!(
        line_column(&outcome, per_try.origin.location().expect("written")),
        (15, 27)
    );
    // `payments` is not retried: its 2s inbound timeout bounds the request, and the inbound
    // connection limits are its breaker.
    let payments = named(&outcome, "payments");
    assert!(payments.policy.retry.is_none());
    let request = payments.policy.timeout.as_ref().expect("timeout");
    assert_eq!(request.value, Timeout::Bounded(Duration::from_secs(2)));
    assert_eq!(
        line_column(&outcome, request.origin.location().expect("written")),
        (117, 27)
    );
    let breakers = &payments.policy.circuit_breakers;
    assert_eq!(breakers.len(), 1);
    assert_eq!(breakers[0].kind, CircuitBreakerKind::ConcurrencyLimit);
    assert_eq!(line_column(&outcome, breakers[0].location), (101, 9));
    // `orders`' 30s inbound bound (a legacy `from` for every client) is longer than its 10s.
    assert_eq!(
        timeout(named(&outcome, "orders")),
        Timeout::Bounded(Duration::from_secs(10))
    );
    let located: Vec<(u32, u32)> = common::rule_positions(&outcome, "circuit-breaker-missing");
    assert_eq!(located, vec![(13, 7), (24, 7)], "not on payments (100, 7)");
    assert_eq!(
        common::rule_positions(&outcome, "timeout-missing"),
        vec![(13, 7), (60, 15)],
        "payments is bounded"
    );
}

#[test]
fn mesh_http_route_targets_give_their_matches_the_routes_own_configuration() {
    let outcome = lint_recommended(&["fixtures/kuma/inbound"]);
    let route = named(&outcome, "backend-v1");
    assert_eq!(route.path.pattern, "/v1");
    assert_eq!(
        route.methods_location.map(|at| line_column(&outcome, at)),
        Some((63, 23))
    );
    assert_eq!(route.hosts, vec!["backend".to_string()]);
    let retry = route.policy.retry.as_ref().expect("retry");
    assert_eq!(retry.max_retries.value, 7);
    assert_eq!(
        line_column(
            &outcome,
            retry.max_retries.origin.location().expect("written")
        ),
        (81, 23)
    );
    // Merged over the service's: the inbound 3s still bounds each attempt.
    let per_try = retry.per_try_timeout.as_ref().expect("per try");
    assert_eq!(per_try.value, Duration::from_secs(3));
    // The service's own route keeps the default 5 retries.
    let backend = named(&outcome, "backend");
    assert_eq!(
        backend.policy.retry.as_ref().map(|r| r.max_retries.value),
        Some(5)
    );
    assert_eq!(
        common::rule_positions(&outcome, "retry-excessive"),
        vec![(13, 7), (24, 7), (81, 23)]
    );
    // The route that is in the run is attached; the one that is not is reported.
    assert_eq!(
        common::rule_positions(&outcome, "policy-unattached"),
        vec![(82, 7)]
    );
}
