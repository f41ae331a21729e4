//! Envoy Gateway `BackendTrafficPolicy` and `ClientTrafficPolicy` (`gateway.envoyproxy.io`),
//! as Envoy Gateway v1.9 translates them.
//!
//! A `BackendTrafficPolicy` attaches through `targetRefs` / `targetSelectors` to Gateway API
//! `HTTPRoute`s (one rule with `sectionName`) or `Gateway`s (one listener with `sectionName`),
//! and the most specific one wins whole: rule over route over listener over gateway
//! (`internal/gatewayapi/backendtrafficpolicy.go`: a route's policy is applied first and a
//! gateway's only to routes no route policy reached). Two policies on the same target conflict:
//! Envoy Gateway keeps the oldest and marks the other `Conflicted`. The `HTTPRoute`'s own
//! `timeouts.request` and `retry` win over the policy's (`getEffectiveRequestTimeout` and
//! `HTTPRoute.GetRetry` in `internal/xds/translator/route.go`, `internal/ir/xds.go`).

use std::collections::BTreeMap;
use std::time::Duration;

use super::kube::{self, Object, Target};
use super::read::{GatewayDefault, Naming, Reader, Release};
use super::values::Dialect;
use super::{envoy, AdaptContext, Adapter};
use crate::model::policy::{
    ActiveCheck, Backoff, CircuitBreaker, CircuitBreakerKind, GatewayStatuses, HealthCheck,
    RateLimit, Retry, RetryCondition,
};
use crate::model::{GatewayFormat, Policy, Timeout};
use crate::source::Node;
use crate::span::{FileId, Location};

/// The release whose behaviour this adapter models, named in its default notes.
const RELEASE: Release = Release("Envoy Gateway v1.9");

pub static ADAPTER: Adapter = Adapter {
    name: "envoy-gateway",
    detect,
    uses_refs: false,
    adapt,
};

const KINDS: &[&str] = &["BackendTrafficPolicy", "ClientTrafficPolicy"];

static REQUEST_TIMEOUT: GatewayDefault<Timeout> = GatewayDefault::new(
    RELEASE,
    Timeout::Bounded(Duration::from_secs(15)),
    "Envoy's {} route timeout, which Envoy Gateway leaves in place when neither the HTTPRoute nor its BackendTrafficPolicy sets one",
);
static CONNECT_TIMEOUT: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(10),
    "Envoy Gateway's default connect timeout of {}",
);
static RETRIES: GatewayDefault<u32> = GatewayDefault::new(
    RELEASE,
    2,
    "Envoy Gateway's default of {} retries (`numRetries`)",
);
static BACKOFF: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_millis(25),
    "Envoy's default retry backoff of {}",
);
static CHECK_INTERVAL: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(3),
    "Envoy Gateway's default health check interval of {}",
);
static CHECK_TIMEOUT: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(1),
    "Envoy Gateway's default health check timeout of {}",
);
/// `retryOn.triggers` when not written (`retryDefaultRetryOn` in `route.go`).
const DEFAULT_TRIGGERS: &[&str] = &[
    "connect-failure",
    "refused-stream",
    "unavailable",
    "cancelled",
    "retriable-status-codes",
];

fn detect(document: &Node) -> bool {
    let text = |key: &str| document.get(key).and_then(Node::as_str).unwrap_or("");
    text("apiVersion").starts_with("gateway.envoyproxy.io/") && KINDS.contains(&text("kind"))
}

/// How specific an attachment is; the higher wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Gateway,
    Listener,
    Route,
    Rule,
}

/// One `HTTPRoute` rule and the policy that won it so far: (level, policy index).
type Claims = BTreeMap<(usize, usize), (Level, usize)>;

fn adapt(cx: &mut AdaptContext<'_>, _file: FileId, _document: &Node) {
    if !kube::first_of_set(cx, ADAPTER.name) {
        return;
    }
    let objects = kube::objects(cx.workspace);
    let routes: Vec<&Object<'_>> = objects.iter().filter(|o| o.is_http_route()).collect();
    let mut policies: Vec<&Object<'_>> = objects.iter().filter(|o| detect(o.node)).collect();
    // Envoy Gateway orders policies oldest first, then by namespace and name; files carry no
    // creation time, so the order by namespace and name decides among them.
    policies.sort_by_key(|object| (object.namespace, object.name));
    let mut claims = Claims::new();
    let mut read = Vec::new();
    for (index, policy) in policies.iter().enumerate() {
        let Some(spec) = policy.node.get("spec").filter(|spec| spec.is_map()) else {
            read.push(None);
            continue;
        };
        let targets = kube::targets(cx, policy.file, spec);
        let reached = claim(
            cx,
            (policy, index),
            &targets,
            (&routes, &objects),
            &mut claims,
        );
        if reached == 0 && !targets.is_empty() {
            let message = format!("{} `{}` reaches no HTTPRoute of these files: no route it targets (or routed through the Gateway it targets) is defined here, so nothing it sets is checked", policy.kind, policy.name);
            kube::unattached(cx, policy.at(), message, "attached to nothing");
        }
        let cx = &mut Reader::new(cx, policy.file, Naming::Exact, Dialect::GatewayApi);
        read.push(match policy.kind {
            "BackendTrafficPolicy" => Some(backend_policy(cx, spec)),
            _ => {
                client_timeouts(cx, spec);
                None
            }
        });
    }
    for ((route, rule), (_, index)) in claims {
        let policy = read.get(index).cloned().flatten();
        let rules = routes[route].rules();
        if let (Some(policy), Some((node, _))) = (policy, rules.get(rule)) {
            let formats = (GatewayFormat::GatewayApi, GatewayFormat::EnvoyGateway);
            kube::attach(cx, formats, (routes[route].file, node.span), policy, false);
        }
    }
}

/// Claims for `policy` every rule its targets reach that a more specific (or older) policy has
/// not; reports a target another policy already holds. Returns the rules reached.
fn claim(
    cx: &mut AdaptContext<'_>,
    (policy, index): (&Object<'_>, usize),
    targets: &[Target<'_>],
    (routes, objects): (&[&Object<'_>], &[Object<'_>]),
    claims: &mut Claims,
) -> usize {
    let client = policy.kind == "ClientTrafficPolicy";
    let mut reached = 0;
    for target in targets {
        let mut conflict = false;
        for (route_index, route) in routes.iter().enumerate() {
            let level = match target.kind {
                "HTTPRoute" if !client && target.names(route, policy.namespace) => {
                    match target.section {
                        Some(_) => Level::Rule,
                        None => Level::Route,
                    }
                }
                "Gateway" => match target.through_gateway(route, objects, policy.namespace) {
                    Some(true) => Level::Listener,
                    Some(false) => Level::Gateway,
                    None => continue,
                },
                _ => continue,
            };
            for (rule_index, (_, name)) in route.rules().into_iter().enumerate() {
                if level == Level::Rule && name != target.section {
                    continue;
                }
                reached += 1;
                match claims.get(&(route_index, rule_index)) {
                    _ if client => {}
                    Some(&(held, other)) if held == level => conflict |= other != index,
                    Some(&(held, _)) if held > level => {}
                    _ => {
                        claims.insert((route_index, rule_index), (level, index));
                    }
                }
            }
        }
        if conflict {
            let message = format!("{} `{}` targets what another BackendTrafficPolicy already targets: Envoy Gateway keeps the older one and marks this one `Conflicted`, so it does not apply there", policy.kind, policy.name);
            kube::unattached(
                cx,
                target.location,
                message,
                "conflicts with another policy",
            );
        }
    }
    reached
}

fn backend_policy(cx: &mut Reader<'_>, spec: &Node) -> Policy {
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
        policy.circuit_breakers.push(CircuitBreaker {
            kind: CircuitBreakerKind::ConcurrencyLimit,
            location,
            ineffective: None,
            open_status: Some(503),
            trip: None,
        });
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
    Retry {
        max_retries: cx
            .count(retry, "numRetries")
            .unwrap_or_else(|| RETRIES.sourced()),
        unbounded: false,
        conditions,
        backoff: Some(Backoff {
            base: Some(base.unwrap_or_else(|| BACKOFF.sourced())),
            max: back_off.and_then(|b| cx.duration(b, "maxInterval")),
            jittered: true,
            factor: 2.0,
        }),
        per_try_timeout: per_retry.and_then(|per| cx.duration(per, "timeout")),
        deadline: None,
        has_budget: false,
        non_idempotent: None,
        counted_by: None,
        location,
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
fn client_timeouts(cx: &mut Reader<'_>, spec: &Node) {
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
