//! What one `BackendTrafficPolicy` or `ClientTrafficPolicy` sets, read as Envoy Gateway
//! translates it, and a route policy merged onto its Gateway's.

use super::{
    BACKOFF, CHECK_INTERVAL, CHECK_TIMEOUT, CONNECT_TIMEOUT, DEFAULT_TRIGGERS, REQUEST_TIMEOUT,
    RETRIES,
};
use crate::formats::envoy;
use crate::formats::read::Reader;
use crate::model::policy::{
    ActiveCheck, Backoff, CircuitBreaker, CircuitBreakerKind, GatewayStatuses, HealthCheck,
    RateLimit, Retry, RetryCondition,
};
use crate::model::{Policy, Sourced, Timeout};
use crate::source::Node;
use crate::span::Location;

/// `route` merged onto `parent`, as a JSON or strategic merge patch of the route policy's spec
/// onto the gateway policy's: what the route's writes wins, what it leaves out the parent's sets.
pub(super) fn merged(parent: Policy, mut route: Policy) -> Policy {
    fn written<T>(value: &Option<Sourced<T>>) -> bool {
        value
            .as_ref()
            .is_some_and(|value| value.origin.is_explicit())
    }
    if !written(&route.timeout) {
        route.timeout = parent.timeout;
    }
    if !written(&route.connect_timeout) {
        route.connect_timeout = parent.connect_timeout;
    }
    route.retry = match (route.retry, parent.retry) {
        (Some(mut own), Some(theirs)) => {
            if !own.max_retries.origin.is_explicit() {
                own.max_retries = theirs.max_retries;
            }
            own.per_try_timeout = own.per_try_timeout.or(theirs.per_try_timeout);
            let base = own.backoff.as_ref().and_then(|b| b.base.as_ref());
            if !written(&base.cloned()) {
                own.backoff = theirs.backoff;
            }
            Some(own)
        }
        (own, theirs) => own.or(theirs),
    };
    if route.circuit_breakers.is_empty() {
        route.circuit_breakers = parent.circuit_breakers;
    }
    route.health_check = route.health_check.or(parent.health_check);
    route.rate_limit = route.rate_limit.or(parent.rate_limit);
    let (own, theirs) = (&mut route.statuses, parent.statuses);
    own.on_circuit_open = own.on_circuit_open.or(theirs.on_circuit_open);
    own.on_rate_limited = own.on_rate_limited.or(theirs.on_rate_limited);
    route
}

pub(super) fn backend_policy(cx: &mut Reader<'_>, spec: &Node) -> Policy {
    let timeout = cx.map(spec, "timeout");
    let http = timeout.and_then(|timeout| cx.map(timeout, "http"));
    let tcp = timeout.and_then(|timeout| cx.map(timeout, "tcp"));
    let request = http.and_then(|http| cx.duration(http, "requestTimeout"));
    let connect = tcp.and_then(|tcp| cx.duration(tcp, "connectTimeout"));
    let mut policy = Policy {
        timeout: Some(request.map_or_else(|| REQUEST_TIMEOUT.sourced(), Timeout::zero_disables)),
        connect_timeout: Some(connect.unwrap_or_else(|| CONNECT_TIMEOUT.sourced())),
        // Envoy Gateway programs Envoy's per-try timeout, which stops once the response starts.
        per_try_until_response: true,
        fault_injection: cx.field(spec, "faultInjection").is_some(),
        statuses: GatewayStatuses {
            on_timeout: Some(504),
            ..GatewayStatuses::default()
        },
        ..Policy::default()
    };
    if let (Some(retry), Some(at)) = (cx.map(spec, "retry"), cx.key_at(spec, "retry")) {
        policy.retry = Some(read_retry(cx, retry, at));
    }
    if let (Some(breaker), Some(location)) = (
        cx.map(spec, "circuitBreaker"),
        cx.key_at(spec, "circuitBreaker"),
    ) {
        for key in [
            "maxConnections",
            "maxPendingRequests",
            "maxParallelRequests",
        ] {
            cx.count(breaker, key);
        }
        policy
            .circuit_breakers
            .push(CircuitBreaker::concurrency_limit(location, 503));
        policy.statuses.on_circuit_open = Some(503);
        if let (Some(retry), Some(_)) = (policy.retry.as_mut(), breaker.get("retryBudget")) {
            retry.has_budget = true;
        }
    }
    if let Some(health) = cx.map(spec, "healthCheck") {
        policy.health_check = Some(read_health(cx, health, &mut policy.circuit_breakers));
    }
    if let Some(location) = cx.key_at(spec, "rateLimit") {
        policy.rate_limit = Some(RateLimit {
            location,
            status: 429,
        });
        policy.statuses.on_rate_limited = Some(429);
    }
    policy
}

/// `retry`: `numRetries` (default 2) extra attempts on `retryOn` (default
/// `connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes` with 503; a
/// `retryOn` replaces the 503 with its own `httpStatusCodes`), `perRetry.timeout`, and Envoy's
/// jittered backoff (25ms base unless `perRetry.backOff`).
fn read_retry(cx: &mut Reader<'_>, retry: &Node, location: Location) -> Retry {
    let retry_on = cx.map(retry, "retryOn");
    let written = retry_on
        .map(|on| cx.list(on, "triggers"))
        .unwrap_or_default();
    let triggers: Vec<&str> = match written {
        [] => DEFAULT_TRIGGERS.to_vec(),
        items => items.iter().filter_map(Node::as_str).collect(),
    };
    let codes: Vec<u16> = match retry_on {
        Some(on) => cx
            .statuses(on, "httpStatusCodes")
            .into_iter()
            .map(|code| code.value)
            .collect(),
        None => vec![503],
    };
    let mut conditions: Vec<RetryCondition> = triggers
        .iter()
        .filter(|trigger| **trigger != "retriable-status-codes")
        .map(|trigger| {
            envoy::retry_condition(trigger).unwrap_or(RetryCondition::Other(trigger.to_string()))
        })
        .collect();
    if triggers.contains(&"retriable-status-codes") {
        conditions.extend(
            codes
                .into_iter()
                .map(|code| RetryCondition::Status(code, code)),
        );
    }
    let per_retry = cx.map(retry, "perRetry");
    let back_off = per_retry.and_then(|per| cx.map(per, "backOff"));
    let base = back_off.and_then(|b| cx.duration(b, "baseInterval"));
    // Read before the fields below, so that problems are reported in the order they are written.
    let max_retries = cx
        .count(retry, "numRetries")
        .unwrap_or_else(|| RETRIES.sourced());
    Retry {
        conditions,
        backoff: Some(Backoff {
            base: Some(base.unwrap_or_else(|| BACKOFF.sourced())),
            max: back_off.and_then(|b| cx.duration(b, "maxInterval")),
            jittered: true,
            factor: 2.0,
        }),
        per_try_timeout: per_retry.and_then(|per| cx.duration(per, "timeout")),
        ..Retry::new(max_retries, location)
    }
}

/// `healthCheck.active` (interval 3s and timeout 1s unless set) and `healthCheck.passive`
/// (outlier detection, which also ejects hosts as a breaker does).
fn read_health(
    cx: &mut Reader<'_>,
    health: &Node,
    breakers: &mut Vec<CircuitBreaker>,
) -> HealthCheck {
    let active = cx.map(health, "active").map(|active| ActiveCheck {
        interval: Some(
            cx.duration(active, "interval")
                .unwrap_or_else(|| CHECK_INTERVAL.sourced()),
        ),
        timeout: Some(
            cx.duration(active, "timeout")
                .unwrap_or_else(|| CHECK_TIMEOUT.sourced()),
        ),
        location: cx.key_at(health, "active").unwrap_or_else(|| cx.at(active)),
    });
    let passive = cx.map(health, "passive").and_then(|passive| {
        let location = cx.key_at(health, "passive")?;
        cx.duration(passive, "interval");
        cx.duration(passive, "baseEjectionTime");
        let percent = cx
            .count(passive, "maxEjectionPercent")
            .map_or(10, |p| p.value);
        breakers.push(CircuitBreaker {
            kind: CircuitBreakerKind::OutlierEjection,
            location,
            ineffective: (percent == 0)
                .then(|| "maxEjectionPercent is 0, so no host can be ejected".to_string()),
            open_status: Some(503),
            trip: None,
        });
        Some(location)
    });
    HealthCheck { active, passive }
}

/// `ClientTrafficPolicy` timeouts bound the client's side of the exchange (receiving the
/// request, idle connections and streams), not the wait for the backend: they are read so that
/// what cannot be read is reported, and change no route's timeout.
pub(super) fn client_timeouts(cx: &mut Reader<'_>, spec: &Node) {
    let http = [
        "requestReceivedTimeout",
        "requestHeadersReceivedTimeout",
        "idleTimeout",
        "streamIdleTimeout",
    ];
    let tcp = [
        "idleTimeout",
        "tlsHandshakeTimeout",
        "connectionInspectionTimeout",
    ];
    let Some(timeout) = cx.map(spec, "timeout") else {
        return;
    };
    for (group, keys) in [("http", &http[..]), ("tcp", &tcp[..])] {
        if let Some(node) = cx.map(timeout, group) {
            for key in keys {
                cx.duration(node, key);
            }
        }
    }
}
