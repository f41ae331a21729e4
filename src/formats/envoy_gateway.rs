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
use super::values::Dialect;
use super::{anchor, envoy, AdaptContext, Adapter};
use crate::diagnostic::Diagnostic;
use crate::model::policy::{
    ActiveCheck, Backoff, CircuitBreaker, CircuitBreakerKind, GatewayStatuses, HealthCheck,
    RateLimit, Retry, RetryCondition, RouteOverlay,
};
use crate::model::{GatewayFormat, Policy, Sourced, Timeout};
use crate::rule_id::BuiltinRule;
use crate::source::Node;
use crate::span::{FileId, Location};

pub static ADAPTER: Adapter = Adapter {
    name: "envoy-gateway",
    detect,
    uses_refs: false,
    adapt,
};

const KINDS: &[&str] = &["BackendTrafficPolicy", "ClientTrafficPolicy"];

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
    let workspace = cx.workspace;
    let objects = kube::objects(workspace);
    let routes: Vec<&Object<'_>> = objects.iter().filter(|o| o.is_http_route()).collect();
    let mut policies = objects
        .iter()
        .filter(|object| detect(object.node))
        .collect::<Vec<_>>();
    // Envoy Gateway orders policies oldest first, then by namespace and name; files carry no
    // creation time, so the order by namespace and name decides among them.
    policies.sort_by_key(|object| (object.namespace, object.name));
    let mut claims = Claims::new();
    let mut read = Vec::new();
    for (index, policy) in policies.iter().enumerate() {
        let Some(spec) = policy.node.get("spec").filter(|spec| spec.is_map()) else {
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
            let names = policy.kind;
            cx.diagnostics.push(Diagnostic::new(
                BuiltinRule::PolicyUnattached,
                policy.at(),
                format!("{names} `{}` reaches no HTTPRoute of these files: no route it targets (or routed through the Gateway it targets) is defined here, so nothing it sets is checked", policy.name),
            ).with_label("attached to nothing"));
        }
        read.push(match policy.kind {
            "BackendTrafficPolicy" => Some(backend_policy(cx, policy.file, spec)),
            _ => {
                client_timeouts(cx, policy.file, spec);
                None
            }
        });
    }
    for ((route, rule), (_, index)) in claims {
        let Some(policy) = read.get(index).cloned().flatten() else {
            continue;
        };
        let Some((node, _)) = routes[route].rules().get(rule).copied() else {
            continue;
        };
        cx.inventory.overlays.push(RouteOverlay {
            format: GatewayFormat::GatewayApi,
            scope: Location {
                file: routes[route].file,
                span: node.span,
            },
            becomes: GatewayFormat::EnvoyGateway,
            policy,
            wins_over_route: false,
        });
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
        let mut taken_by = None;
        for (route_index, route) in routes.iter().enumerate() {
            let level = match target.kind {
                "HTTPRoute" if !client && target.names(route, policy.namespace) => {
                    if target.section.is_some() {
                        Level::Rule
                    } else {
                        Level::Route
                    }
                }
                "Gateway" => {
                    let through = route
                        .parents()
                        .into_iter()
                        .any(|(kind, ns, name, section)| {
                            kind == "Gateway"
                                && ns == policy.namespace
                                && gateway_named(target, objects, name, ns)
                                && (target.section.is_none()
                                    || section.is_none()
                                    || section == target.section)
                        });
                    match (through, target.section) {
                        (false, _) => continue,
                        (true, Some(_)) => Level::Listener,
                        (true, None) => Level::Gateway,
                    }
                }
                _ => continue,
            };
            for (rule_index, (_, name)) in route.rules().into_iter().enumerate() {
                if level == Level::Rule && name != target.section {
                    continue;
                }
                reached += 1;
                if client {
                    continue;
                }
                match claims.get(&(route_index, rule_index)) {
                    Some(&(held, other)) if held == level && other != index => {
                        taken_by = Some(other)
                    }
                    Some(&(held, _)) if held == level => {}
                    Some(&(held, _)) if held > level => {}
                    _ => {
                        claims.insert((route_index, rule_index), (level, index));
                    }
                }
            }
        }
        if taken_by.is_some() {
            cx.diagnostics.push(
                Diagnostic::new(
                    BuiltinRule::PolicyUnattached,
                    target.location,
                    format!(
                        "{} `{}` targets what another BackendTrafficPolicy already targets: Envoy Gateway keeps the older one and marks this one `Conflicted`, so it does not apply there",
                        policy.kind, policy.name
                    ),
                )
                .with_label("conflicts with another policy"),
            );
        }
    }
    reached
}

/// Whether a `Gateway` target names the gateway a route's parent reference names: by name, or
/// by labels when the `Gateway` object is in the files.
fn gateway_named(target: &Target<'_>, objects: &[Object<'_>], name: &str, namespace: &str) -> bool {
    match &target.pick {
        kube::Pick::Name(wanted) => *wanted == name,
        kube::Pick::Labels(_) => objects.iter().any(|gateway| {
            gateway.name == name
                && gateway.api.starts_with("gateway.networking.k8s.io/")
                && target.names(gateway, namespace)
        }),
    }
}

const NOTE_TIMEOUT: &str = "Envoy's 15s route timeout, which Envoy Gateway v1.9 leaves in place when neither the HTTPRoute nor its BackendTrafficPolicy sets one";
const NOTE_CONNECT: &str = "Envoy Gateway's default connect timeout of 10s";
const NOTE_RETRIES: &str = "Envoy Gateway's default of 2 retries (`numRetries`)";

fn backend_policy(cx: &mut AdaptContext<'_>, file: FileId, spec: &Node) -> Policy {
    let at = |node: &Node| Location {
        file,
        span: anchor(node),
    };
    let key_at = |key: &str| {
        spec.entry(key).map(|entry| Location {
            file,
            span: entry.key.span,
        })
    };
    let timeout = spec.get("timeout");
    let http = timeout.and_then(|timeout| timeout.get("http"));
    let tcp = timeout.and_then(|timeout| timeout.get("tcp"));
    let request =
        http.and_then(|http| cx.duration(file, http, "requestTimeout", Dialect::GatewayApi));
    let mut policy = Policy {
        timeout: Some(request.map_or_else(
            || Sourced::default(Timeout::Bounded(Duration::from_secs(15)), NOTE_TIMEOUT),
            Timeout::zero_disables,
        )),
        connect_timeout: Some(
            tcp.and_then(|tcp| cx.duration(file, tcp, "connectTimeout", Dialect::GatewayApi))
                .unwrap_or_else(|| Sourced::default(Duration::from_secs(10), NOTE_CONNECT)),
        ),
        // Envoy Gateway programs Envoy's per-try timeout, which stops once the response starts.
        per_try_until_response: true,
        fault_injection: spec.get("faultInjection").is_some(),
        statuses: GatewayStatuses {
            on_timeout: Some(504),
            ..GatewayStatuses::default()
        },
        ..Policy::default()
    };
    if let Some(retry) = spec.get("retry").filter(|retry| retry.is_map()) {
        policy.retry = Some(read_retry(
            cx,
            file,
            retry,
            key_at("retry").unwrap_or(at(retry)),
        ));
    }
    if let Some(breaker) = spec.get("circuitBreaker") {
        let location = key_at("circuitBreaker").unwrap_or(at(breaker));
        for key in [
            "maxConnections",
            "maxPendingRequests",
            "maxParallelRequests",
            "maxParallelRetries",
        ] {
            cx.count(file, breaker, key);
        }
        policy.circuit_breakers.push(CircuitBreaker {
            kind: CircuitBreakerKind::ConcurrencyLimit,
            location,
            ineffective: None,
            open_status: Some(503),
        });
        policy.statuses.on_circuit_open = Some(503);
        if let (Some(retry), Some(_)) = (policy.retry.as_mut(), breaker.get("retryBudget")) {
            retry.has_budget = true;
        }
    }
    if let Some(health) = spec.get("healthCheck") {
        policy.health_check = Some(read_health(cx, file, health, &mut policy.circuit_breakers));
    }
    if let Some(limit) = spec.get("rateLimit") {
        policy.rate_limit = Some(RateLimit {
            location: key_at("rateLimit").unwrap_or(at(limit)),
            status: 429,
        });
        policy.statuses.on_rate_limited = Some(429);
    }
    policy
}

/// `retry`: `numRetries` (default 2) extra attempts on `retryOn` (default
/// `connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes` with 503),
/// `perRetry.timeout`, and Envoy's jittered backoff (25ms base unless `perRetry.backOff`).
fn read_retry(cx: &mut AdaptContext<'_>, file: FileId, retry: &Node, location: Location) -> Retry {
    let max_retries = cx
        .count(file, retry, "numRetries")
        .unwrap_or_else(|| Sourced::default(2, NOTE_RETRIES));
    let retry_on = retry.get("retryOn");
    let triggers: Vec<&str> = match retry_on.and_then(|on| on.get("triggers")).map(Node::items) {
        Some(items) if !items.is_empty() => items.iter().filter_map(Node::as_str).collect(),
        _ => vec![
            "connect-failure",
            "refused-stream",
            "unavailable",
            "cancelled",
            "retriable-status-codes",
        ],
    };
    let codes: Vec<u16> = match retry_on {
        // A `retryOn` replaces the default 503 with its own codes, none when it lists none.
        Some(on) => on
            .get("httpStatusCodes")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|code| {
                match super::values::count(code)
                    .ok()
                    .and_then(|c| u16::try_from(c).ok())
                {
                    Some(code) if (100..600).contains(&code) => Some(code),
                    _ => {
                        cx.invalid_value(
                            file,
                            code,
                            "`httpStatusCodes`: not an HTTP status (100 to 599)",
                        );
                        None
                    }
                }
            })
            .collect(),
        None => vec![503],
    };
    let mut conditions: Vec<RetryCondition> = triggers
        .iter()
        .filter(|trigger| **trigger != "retriable-status-codes")
        .map(|trigger| {
            envoy::retry_condition(trigger)
                .unwrap_or_else(|| RetryCondition::Other(trigger.to_string()))
        })
        .collect();
    if triggers.contains(&"retriable-status-codes") {
        conditions.extend(
            codes
                .into_iter()
                .map(|code| RetryCondition::Status(code, code)),
        );
    }
    let per_retry = retry.get("perRetry");
    let back_off = per_retry.and_then(|per| per.get("backOff"));
    let base = back_off.and_then(|b| cx.duration(file, b, "baseInterval", Dialect::GatewayApi));
    let max = back_off.and_then(|b| cx.duration(file, b, "maxInterval", Dialect::GatewayApi));
    let backoff = Backoff {
        base: Some(base.unwrap_or_else(|| {
            Sourced::default(
                Duration::from_millis(25),
                "Envoy's default retry backoff of 25ms",
            )
        })),
        max,
        jittered: true,
    };
    Retry {
        max_retries,
        unbounded: false,
        conditions,
        backoff: Some(backoff),
        per_try_timeout: per_retry
            .and_then(|per| cx.duration(file, per, "timeout", Dialect::GatewayApi)),
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
    cx: &mut AdaptContext<'_>,
    file: FileId,
    health: &Node,
    breakers: &mut Vec<CircuitBreaker>,
) -> HealthCheck {
    let key_at = |key: &str| {
        health.entry(key).map(|entry| Location {
            file,
            span: entry.key.span,
        })
    };
    let active = health.get("active").map(|active| ActiveCheck {
        interval: Some(
            cx.duration(file, active, "interval", Dialect::GatewayApi)
                .unwrap_or_else(|| {
                    Sourced::default(
                        Duration::from_secs(3),
                        "Envoy Gateway's default health check interval of 3s",
                    )
                }),
        ),
        timeout: Some(
            cx.duration(file, active, "timeout", Dialect::GatewayApi)
                .unwrap_or_else(|| {
                    Sourced::default(
                        Duration::from_secs(1),
                        "Envoy Gateway's default health check timeout of 1s",
                    )
                }),
        ),
        location: key_at("active").unwrap_or(Location {
            file,
            span: active.span,
        }),
    });
    let passive = health.get("passive").and_then(|passive| {
        let location = key_at("passive")?;
        cx.duration(file, passive, "interval", Dialect::GatewayApi);
        cx.duration(file, passive, "baseEjectionTime", Dialect::GatewayApi);
        let percent = cx
            .count(file, passive, "maxEjectionPercent")
            .map_or(10, |p| p.value);
        breakers.push(CircuitBreaker {
            kind: CircuitBreakerKind::OutlierEjection,
            location,
            ineffective: (percent == 0)
                .then(|| "maxEjectionPercent is 0, so no host can be ejected".to_string()),
            open_status: Some(503),
        });
        Some(location)
    });
    HealthCheck { active, passive }
}

/// `ClientTrafficPolicy` timeouts bound the client's side of the exchange (receiving the
/// request, idle connections and streams), not the wait for the backend: they are read so that
/// what cannot be read is reported, and change no route's timeout.
fn client_timeouts(cx: &mut AdaptContext<'_>, file: FileId, spec: &Node) {
    let timeout = spec.get("timeout");
    for (group, keys) in [
        (
            "http",
            &[
                "requestReceivedTimeout",
                "requestHeadersReceivedTimeout",
                "idleTimeout",
                "streamIdleTimeout",
            ][..],
        ),
        (
            "tcp",
            &[
                "idleTimeout",
                "tlsHandshakeTimeout",
                "connectionInspectionTimeout",
            ][..],
        ),
    ] {
        if let Some(node) = timeout.and_then(|timeout| timeout.get(group)) {
            for key in keys {
                cx.duration(file, node, key, Dialect::GatewayApi);
            }
        }
    }
}
