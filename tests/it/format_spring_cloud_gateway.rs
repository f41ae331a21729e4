//! Spring Cloud Gateway: routes of both property prefixes, the Retry filter, the response
//! timeout, the CircuitBreaker filter with its fallback and its Resilience4j TimeLimiter, which
//! bounds the request or each attempt depending on the filters' order, and the join.

use crate::inventory;

use inventory::{
    at, findings, fixtures_detected_by, lint, lint_recommended, message_at, ms, operations_of,
    origin, route, route_labels, timeout_ms,
};
use routeguard::model::policy::{BreakerWindow, CircuitBreakerKind, FallbackKind, RetryCondition};
use routeguard::model::{Method, MethodSet, PathKind, Timeout};

const APP: &str = "fixtures/spring-cloud-gateway/application.yml";
const LEGACY: &str = "fixtures/spring-cloud-gateway/legacy.yml";
const INVALID: &str = "fixtures/spring-cloud-gateway/invalid.yml";
const RETRY_TESTS: &str = "fixtures/spring-cloud-gateway/real/application-retrytests.yml";
const NETTY: &str = "fixtures/spring-cloud-gateway/real/application-netty-routing-filter.yml";
const WEBFLUX: &str = "fixtures/spring-cloud-gateway/real/webflux-test-application.yml";

#[test]
fn predicates_make_routes() {
    let outcome = lint(&[APP]);
    assert_eq!(
        route_labels(&outcome, APP),
        [
            "GET,POST /orders/**",
            "* /payments/{id}",
            "* /search",
            "* /maintenance"
        ]
    );
    let orders = route(&outcome, APP, "GET,POST /orders/**");
    assert_eq!(orders.name.as_deref(), Some("orders"));
    assert_eq!(at(&outcome, orders.location), format!("{APP}:11:19"));
    assert_eq!(orders.path.kind, PathKind::Template);
    assert_eq!(at(&outcome, orders.path.location), format!("{APP}:14:19"));
    assert_eq!(
        orders.methods,
        MethodSet::Only(vec![Method::Get, Method::Post])
    );
    let payments = route(&outcome, APP, "* /payments/{id}");
    assert_eq!(payments.hosts, ["api.example.com"]);
    assert_eq!(
        payments.policy.upstream.as_ref().map(|u| u.name.as_str()),
        Some("payments.internal.example.com")
    );
    // `forward:` is answered by the gateway itself.
    let maintenance = route(&outcome, APP, "* /maintenance");
    assert!(maintenance.answers_itself());
    assert!(findings(&outcome, "invalid-value", APP).is_empty());
}

#[test]
fn a_breaker_before_the_retry_bounds_the_whole_request_with_its_time_limiter() {
    let outcome = lint(&[APP]);
    let orders = route(&outcome, APP, "GET,POST /orders/**");
    // The `default` TimeLimiter config: 3s for every instance without its own.
    assert_eq!(timeout_ms(orders), Some(3000));
    let timeout = orders.policy.timeout.as_ref().expect("the time limiter");
    assert_eq!(origin(&outcome, timeout), format!("{APP}:65:27"));
    // Each attempt waits for its response at most `httpclient.response-timeout`.
    let per_try = orders
        .policy
        .per_try_timeout
        .as_ref()
        .expect("response timeout");
    assert_eq!(ms(per_try.value), 4000);
    assert_eq!(origin(&outcome, per_try), format!("{APP}:9:31"));
    assert!(orders.policy.per_try_until_response);
    let retry = orders.policy.retry.as_ref().expect("the Retry filter");
    assert_eq!(retry.max_retries.value, 2);
    assert_eq!(
        retry.conditions,
        [
            RetryCondition::Status(500, 599),
            RetryCondition::Status(502, 502),
            RetryCondition::Status(503, 503),
            RetryCondition::ConnectFailure,
            RetryCondition::Reset,
            RetryCondition::Timeout,
        ]
    );
    assert_eq!(retry.non_idempotent, Some(false), "methods: GET");
    let backoff = retry.backoff.as_ref().expect("a backoff");
    assert_eq!(backoff.base.as_ref().map(|b| ms(b.value)), Some(50));
    assert_eq!(backoff.max.as_ref().map(|m| ms(m.value)), Some(500));
    let [breaker] = orders.policy.circuit_breakers.as_slice() else {
        panic!("one breaker");
    };
    assert_eq!(breaker.kind, CircuitBreakerKind::Expression);
    assert_eq!(at(&outcome, breaker.location), format!("{APP}:17:19"));
    // A fallback answers instead of 503.
    assert_eq!(breaker.open_status, None);
    let [fallback] = orders.policy.fallbacks.as_slice() else {
        panic!("one fallback");
    };
    assert_eq!(fallback.kind, FallbackKind::FailoverOnStatus);
    assert_eq!(fallback.targets, ["forward:/orders-fallback"]);
    assert_eq!(at(&outcome, fallback.location), format!("{APP}:20:34"));
}

#[test]
fn a_retry_before_the_breaker_repeats_it_and_the_limiter_bounds_each_attempt() {
    let outcome = lint(&[APP]);
    let payments = route(&outcome, APP, "* /payments/{id}");
    assert_eq!(timeout_ms(payments), None);
    let per_try = payments
        .policy
        .per_try_timeout
        .as_ref()
        .expect("the limiter");
    assert_eq!(ms(per_try.value), 800);
    assert_eq!(origin(&outcome, per_try), format!("{APP}:68:26"));
    assert!(!payments.policy.per_try_until_response);
    // `Retry=3,INTERNAL_SERVER_ERROR,POST`: shortcut arguments in the filter's order.
    let retry = payments.policy.retry.as_ref().expect("retries");
    assert_eq!(retry.max_retries.value, 3);
    assert!(retry.conditions.contains(&RetryCondition::Status(500, 500)));
    assert_eq!(retry.non_idempotent, Some(true));
    assert!(retry.backoff.is_none());
    // 4 attempts × 800ms.
    assert_eq!(payments.policy.worst_case().map(ms), Some(3200));
    assert_eq!(payments.policy.statuses.on_circuit_open, Some(503));
    assert_eq!(payments.policy.statuses.on_timeout, Some(504));
}

#[test]
fn route_metadata_switches_the_response_timeout_off_and_rate_limits_answer_429() {
    let outcome = lint(&[APP]);
    let search = route(&outcome, APP, "* /search");
    assert!(
        search.policy.per_try_timeout.is_none(),
        "response-timeout: -1"
    );
    assert_eq!(search.policy.worst_case(), None);
    assert_eq!(search.policy.statuses.on_rate_limited, Some(429));
    assert_eq!(
        at(
            &outcome,
            search.policy.rate_limit.as_ref().expect("limit").location
        ),
        format!("{APP}:50:19")
    );
}

#[test]
fn the_older_prefix_dotted_keys_and_resilience4js_own_default() {
    let outcome = lint(&[LEGACY]);
    let legacy = route(&outcome, LEGACY, "* /legacy/**");
    let per_try = legacy
        .policy
        .per_try_timeout
        .as_ref()
        .expect("response timeout");
    assert_eq!(ms(per_try.value), 10_000);
    let timeout = legacy.policy.timeout.as_ref().expect("the time limiter");
    assert_eq!(timeout_ms(legacy), Some(1000));
    assert_eq!(
        origin(&outcome, timeout),
        "default: Resilience4j's default TimeLimiter timeoutDuration of 1s in Resilience4j 2.x"
    );
    assert!(legacy.policy.retry.is_none());
}

#[test]
fn real_spring_cloud_gateway_test_configurations() {
    let outcome = lint(&[RETRY_TESTS]);
    let retry = route(&outcome, RETRY_TESTS, "* /retry");
    let policy = retry.policy.retry.as_ref().expect("`- Retry`");
    assert_eq!(policy.max_retries.value, 3);
    assert_eq!(
        origin(&outcome, &policy.max_retries),
        "default: Spring Cloud Gateway's default of 3 retries in Spring Cloud Gateway 4.3–5.0"
    );
    assert_eq!(policy.non_idempotent, Some(false));
    let posts = routes_named(&outcome, RETRY_TESTS, "retry_post_test");
    assert_eq!(
        posts.retry.as_ref().and_then(|r| r.non_idempotent),
        Some(true)
    );

    let outcome = lint(&[NETTY]);
    let per_route = routes_named(&outcome, NETTY, "per_route_response_timeout");
    assert_eq!(
        per_route.per_try_timeout.as_ref().map(|t| ms(t.value)),
        Some(1000)
    );
    let disabled = routes_named(&outcome, NETTY, "per_route_response_timeout_disabled");
    assert!(disabled.per_try_timeout.is_none());
    // `-1` switches off the global 3s: the route is unbounded where that is written.
    let switched_off = disabled.timeout.as_ref().expect("a switched-off timeout");
    assert_eq!(switched_off.value, Timeout::Unbounded);
    assert_eq!(origin(&outcome, switched_off), format!("{NETTY}:50:31"));
    // `notANumber` is ignored by Spring for the global 3s, and reported here.
    let invalid = routes_named(&outcome, NETTY, "per_route_response_timeout_invalid");
    assert_eq!(
        invalid.per_try_timeout.as_ref().map(|t| ms(t.value)),
        Some(3000)
    );
    assert_eq!(findings(&outcome, "invalid-value", NETTY).len(), 1);
    // `${my.timeout}` resolves from the same file.
    let placeholder = routes_named(&outcome, NETTY, "per_route_response_timeout_placeholder");
    assert_eq!(
        placeholder.per_try_timeout.as_ref().map(|t| ms(t.value)),
        Some(3000)
    );

    let outcome = lint(&[WEBFLUX]);
    let fallback = routes_named(&outcome, WEBFLUX, "circuitbreaker_fallback_test");
    assert_eq!(fallback.circuit_breakers.len(), 1);
    assert_eq!(
        fallback.fallbacks[0].targets,
        ["forward:/circuitbreakerFallbackController"]
    );
    assert!(findings(&outcome, "invalid-value", WEBFLUX).is_empty());
}

fn routes_named<'a>(
    outcome: &'a routeguard::lint::LintOutcome,
    file: &str,
    name: &str,
) -> &'a routeguard::model::Policy {
    &inventory::routes_in(outcome, file)
        .into_iter()
        .find(|route| route.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no route {name}"))
        .policy
}

#[test]
fn values_spring_cannot_bind_are_invalid_values() {
    let outcome = lint(&[INVALID]);
    assert_eq!(
        findings(&outcome, "invalid-value", INVALID),
        [
            format!("{INVALID}:8:31"),
            format!("{INVALID}:15:35"),
            format!("{INVALID}:19:30"),
            format!("{INVALID}:20:31"),
            format!("{INVALID}:22:37"),
            format!("{INVALID}:24:15"),
            format!("{INVALID}:25:15"),
            format!("{INVALID}:26:15"),
            format!("{INVALID}:28:19"),
        ]
    );
    assert!(
        message_at(&outcome, "invalid-value", &format!("{INVALID}:25:15")).starts_with(
            "`orders` is not a route written as text, `id=uri,Predicate=…`: Spring's binding fails"
        )
    );
    assert!(
        message_at(&outcome, "invalid-value", &format!("{INVALID}:28:19"))
            .starts_with("a route needs at least one predicate")
    );
    // The text route beside them is read; the others are no route.
    assert_eq!(route_labels(&outcome, INVALID), ["* /broken", "* /legacy"]);
    let broken = route(&outcome, INVALID, "* /broken");
    let retry = broken.policy.retry.as_ref().expect("retries");
    assert_eq!(retry.max_retries.value, 3);
    assert!(!retry.max_retries.origin.is_explicit());
}

#[test]
fn routes_join_their_operations() {
    let spec = "fixtures/spring-cloud-gateway/join/openapi.yaml";
    let config = "fixtures/spring-cloud-gateway/join/application.yml";
    let outcome = lint_recommended(&[spec, config]);
    let orders = route(&outcome, config, "GET /orders/{orderId}");
    assert_eq!(
        operations_of(&outcome, orders),
        [("GET /orders/{orderId}".to_string(), "exact")]
    );
    assert_eq!(
        findings(&outcome, "operation-unrouted", spec),
        [format!("{spec}:18:5")]
    );
    assert_eq!(
        findings(&outcome, "retry-without-backoff", config),
        [format!("{config}:13:19")]
    );
}

#[test]
fn the_detector_claims_gateway_application_files_only() {
    let found = fixtures_detected_by("spring-cloud-gateway");
    // Besides its own folder, only the cross-layer project with a Kuma mesh behind it.
    let cross_layer = "fixtures/cross-layer/spring-cloud-gateway-kuma/application.yml";
    assert!(found
        .iter()
        .all(|file| file.starts_with("fixtures/spring-cloud-gateway/") || file == cross_layer));
    assert_eq!(found.len(), 13, "{found:?}");
}

#[test]
fn every_value_replaced_by_a_wrong_kind_never_panics() {
    for fixture in [APP, INVALID] {
        assert!(inventory::lint_value_mutations(fixture) > 20, "{fixture}");
    }
}

const RESILIENCE: &str = "fixtures/spring-cloud-gateway/resilience4j.yml";

fn waits_ms(route: &routeguard::model::Route) -> Vec<u64> {
    route.policy.backoff_delays().into_iter().map(ms).collect()
}

#[test]
fn backoffs_grow_by_their_factor_up_to_their_cap() {
    let outcome = lint(&[RESILIENCE]);
    // 100ms × 3^(n − 1), capped at 2s.
    let tripled = route(&outcome, RESILIENCE, "GET /inventory/**");
    assert_eq!(waits_ms(tripled), [100, 300, 900]);
    let backoff = tripled.policy.retry.as_ref().unwrap().backoff.as_ref();
    let max = backoff.and_then(|b| b.max.as_ref()).expect("maxBackoff");
    assert_eq!(origin(&outcome, max), format!("{RESILIENCE}:19:35"));
    // `Jitter.random(0.5)` tops each wait at 1.5 times it, and with `basedOnPreviousValue`
    // the next wait grows from the jittered one: 150ms, then × 3.
    let jittered = route(&outcome, RESILIENCE, "* /catalog/**");
    assert_eq!(waits_ms(jittered), [150, 450, 1350]);
    // Without a maxBackoff nothing caps the growth: 200ms × 3^(n − 1).
    let uncapped = route(&outcome, RESILIENCE, "* /reports/**");
    assert_eq!(waits_ms(uncapped), [200, 600, 1800, 5400]);
    let max = uncapped.policy.retry.as_ref().unwrap().backoff.as_ref();
    let max = max.and_then(|b| b.max.as_ref()).expect("the largest wait");
    assert_eq!(
        origin(&outcome, max),
        "default: no cap: Spring Cloud Gateway's backoff grows until a maxBackoff in Spring Cloud Gateway 4.3–5.0"
    );
    // Each of the 5 attempts is bounded by the 5s TimeLimiter behind the Retry filter.
    assert_eq!(uncapped.policy.worst_case().map(ms), Some(5 * 5000 + 8000));
}

#[test]
fn resilience4j_breakers_carry_their_thresholds() {
    let outcome = lint(&[RESILIENCE]);
    let reports = route(&outcome, RESILIENCE, "* /reports/**");
    let trip = reports.policy.circuit_breakers[0]
        .trip
        .as_ref()
        .expect("a Resilience4j breaker");
    // `shared` gives the rate and the window, the instance its own slow-call settings.
    assert_eq!(trip.failure_rate.value, 25.0);
    assert_eq!(
        origin(&outcome, &trip.failure_rate),
        format!("{RESILIENCE}:60:33")
    );
    assert_eq!(
        trip.window.value,
        BreakerWindow::Time(std::time::Duration::from_secs(30))
    );
    // A time-based window keeps its minimum of calls.
    assert_eq!(trip.minimum_calls.value, 200);
    assert_eq!(ms(trip.open_for.value), 15_000);
    let (slow_rate, slow_call) = trip.slow_calls.as_ref().expect("slow calls");
    assert_eq!((slow_rate.value, ms(slow_call.value)), (80.0, 2000));
    let billing = route(&outcome, RESILIENCE, "* /billing/**");
    let trip = billing.policy.circuit_breakers[0].trip.as_ref().unwrap();
    // 0 is refused: the default 50 % holds; a count window caps the minimum at its size.
    assert_eq!(
        origin(&outcome, &trip.failure_rate),
        "default: Resilience4j's default failureRateThreshold of 50 % in Resilience4j 2.x"
    );
    assert_eq!(trip.window.value, BreakerWindow::Calls(10));
    assert_eq!(trip.minimum_calls.value, 10);
    assert_eq!(
        origin(&outcome, &trip.open_for),
        "default: Resilience4j's default waitDurationInOpenState of 60s in Resilience4j 2.x"
    );
}

#[test]
fn values_resilience4j_and_reactor_refuse_are_invalid_values() {
    let outcome = lint(&[RESILIENCE]);
    assert_eq!(
        findings(&outcome, "invalid-value", RESILIENCE),
        [format!("{RESILIENCE}:51:35"), format!("{RESILIENCE}:71:31")]
    );
    assert_eq!(
        message_at(&outcome, "invalid-value", &format!("{RESILIENCE}:51:35")),
        "`maxBackoff` must be longer than `firstBackoff` (500ms): reactor-extra refuses it"
    );
    // A valid file has none.
    assert!(findings(&outcome, "invalid-value", APP).is_empty());
}

#[test]
fn routes_json_shows_the_breaker_thresholds_and_the_worst_case() {
    let result = crate::common::run(
        &crate::common::repo(),
        &["routes", "--format", "json", RESILIENCE],
    );
    let report: serde_json::Value = serde_json::from_str(&result.stdout).expect("json");
    let rows = report["routes"].as_array().expect("routes");
    let row = |name: &str| {
        rows.iter()
            .find(|row| row["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let reports = row("uncapped");
    assert_eq!(reports["worst_case_ms"], 33_000);
    assert_eq!(reports["per_try_timeout_ms"], 5000);
    assert_eq!(
        reports["circuit_breaker_trip"],
        "opens at 25 % failed or 80 % slower than 2s of the calls of the last 30s (at least 200); open 15s"
    );
    // No breaker, no trip.
    assert!(row("tripled").get("circuit_breaker_trip").is_none());
}

#[test]
fn a_path_shortcut_ends_with_its_trailing_slash_flag_and_placeholders_name_upstreams() {
    let outcome = lint(&[WEBFLUX]);
    // `Path=/{org}/{scope}/function,false`: one pattern, then `matchTrailingSlash`.
    let labels = route_labels(&outcome, WEBFLUX);
    assert!(labels.contains(&"* /{org}/{scope}/function".to_string()));
    assert!(!labels
        .iter()
        .any(|label| label.ends_with(" false") || label.ends_with(" true")));
    // `uri: ${test.uri}` resolved from the same file's `test.uri`.
    let path = route(&outcome, WEBFLUX, "* /regex/{digits:\\d+}");
    assert_eq!(
        path.policy.upstream.as_ref().map(|u| u.name.as_str()),
        Some("testservice")
    );
    // `- host_example_to_httpbin=${test.uri}, Host=**.example.org`: id, uri, predicates.
    let shortcut = inventory::routes_in(&outcome, WEBFLUX)[0];
    assert_eq!(shortcut.name.as_deref(), Some("host_example_to_httpbin"));
    assert_eq!(shortcut.hosts, ["**.example.org"]);
    assert_eq!(at(&outcome, shortcut.location), format!("{WEBFLUX}:31:9"));
    assert_eq!(
        shortcut.policy.upstream.as_ref().map(|u| u.name.as_str()),
        Some("testservice")
    );
    // A placeholder the file does not define names the upstream as written.
    let outcome = lint(&[RETRY_TESTS]);
    let retry = route(&outcome, RETRY_TESTS, "* /retry");
    assert_eq!(
        retry.policy.upstream.as_ref().map(|u| u.name.as_str()),
        Some("${test.uri}")
    );
}

#[test]
fn resilience4j_instances_may_live_in_another_file_of_the_run() {
    const ROUTES: &str = "fixtures/spring-cloud-gateway/split/application.yml";
    const RESILIENCE: &str = "fixtures/spring-cloud-gateway/split/application-resilience.yml";
    let outcome = lint(&[ROUTES, RESILIENCE]);
    let ledger = route(&outcome, ROUTES, "* /ledger/**");
    let timeout = ledger.policy.timeout.as_ref().expect("the time limiter");
    assert_eq!(timeout_ms(ledger), Some(4000));
    assert_eq!(origin(&outcome, timeout), format!("{RESILIENCE}:9:26"));
    let trip = ledger.policy.circuit_breakers[0].trip.as_ref().unwrap();
    assert_eq!(
        origin(&outcome, &trip.failure_rate),
        format!("{RESILIENCE}:5:31")
    );
    // The file holds no routes: it is read for them, and is no unknown format.
    assert_eq!(inventory::routes_in(&outcome, RESILIENCE).len(), 0);
    assert!(findings(&outcome, "unknown-format", RESILIENCE).is_empty());
    // Alone, the route falls back to Resilience4j's 1s.
    let outcome = lint(&[ROUTES]);
    assert_eq!(
        timeout_ms(route(&outcome, ROUTES, "* /ledger/**")),
        Some(1000)
    );
}

#[test]
fn routes_switched_off_are_not_routes() {
    const DISABLED: &str = "fixtures/spring-cloud-gateway/disabled.yml";
    let outcome = lint_recommended(&[DISABLED]);
    assert_eq!(route_labels(&outcome, DISABLED), ["* /live/**"]);
    // Only the live route is linted: its response timeout bounds each attempt only.
    assert_eq!(
        findings(&outcome, "timeout-missing", DISABLED),
        [format!("{DISABLED}:19:19")]
    );
}
