//! Istio `VirtualService` (routes, timeouts, retries, fault injection, rewrites) and
//! `DestinationRule` (connection pools, outlier detection, locality failover), usually side by
//! side with other Kubernetes kinds in multi-document YAML.

use std::time::Duration;

use super::read::{GatewayDefault, Naming, Reader, Release};
use super::values::{self, Dialect};
use super::{envoy, AdaptContext, Adapter};
use crate::model::policy::{
    Backoff, CircuitBreaker, CircuitBreakerKind, Fallback, FallbackKind, GatewayStatuses,
    HealthCheck, Retry, RetryCondition, Upstream, UpstreamPolicy,
};
use crate::model::route::Rewrite;
use crate::model::{
    Binding, GatewayFormat, Layer, Method, MethodSet, PathKind, PathMatch, Policy, Route, Timeout,
};
use crate::source::Node;
use crate::span::{FileId, Location};

/// The release whose behaviour this adapter models, named in its default notes.
const RELEASE: Release = Release("Istio 1.24+");

pub static ADAPTER: Adapter = Adapter {
    name: "istio",
    detect,
    uses_refs: false,
    adapt,
};

fn detect(document: &Node) -> bool {
    let api = document
        .get("apiVersion")
        .and_then(Node::as_str)
        .unwrap_or("");
    let kind = document.get("kind").and_then(Node::as_str).unwrap_or("");
    api.starts_with("networking.istio.io/") && matches!(kind, "VirtualService" | "DestinationRule")
}

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    let cx = &mut Reader::new(cx, file, Naming::Exact, Dialect::Go);
    let Some(spec) = document.get("spec") else {
        return;
    };
    match document.get("kind").and_then(Node::as_str) {
        Some("VirtualService") => virtual_service(cx, spec),
        Some("DestinationRule") => destination_rule(cx, spec),
        _ => {}
    }
}

static NO_TIMEOUT: GatewayDefault<Timeout> = GatewayDefault::new(
    RELEASE,
    Timeout::Unbounded,
    "Istio sets no request timeout unless `timeout` is written",
);
static RETRIES: GatewayDefault<u32> = GatewayDefault::new(
    RELEASE,
    2,
    "Istio's default retry policy ({} retries on connect-failure, refused-stream, unavailable, \
     cancelled)",
);
/// Envoy's retry backoff, which Istio uses: 25 ms base, ten times that at most.
static BACKOFF_BASE: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_millis(25),
    "Envoy's default retry backoff of {}",
);
static BACKOFF_MAX: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_millis(250),
    "Envoy's default maximum retry backoff of {}",
);

/// What Istio retries on when `retryOn` is not written. Its default also names
/// `retriable-status-codes`, but with no status code since Istio 1.24 (503 was one before), so
/// it adds nothing.
fn default_conditions() -> Vec<RetryCondition> {
    vec![
        RetryCondition::ConnectFailure,
        RetryCondition::RefusedStream,
        RetryCondition::Other("unavailable".to_string()),
        RetryCondition::Other("cancelled".to_string()),
    ]
}

/// The proxies that apply a VirtualService's routes, Istio 1.24 (`VirtualService.gateways` in
/// networking/v1 `virtual_service.proto`): "The reserved word `mesh` is used to imply all the
/// sidecars in the mesh. When this field is omitted, the default gateway (`mesh`) will be used
/// [...]. If a list of gateway names is provided, the rules will apply only to the gateways. To
/// apply the rules to both gateways and sidecars, specify `mesh` as one of the gateway names."
/// A match block's own `gateways` replace the VirtualService's ("Gateway names in the
/// top-level `gateways` field of the VirtualService (if any) are overridden"). Gateways are
/// edge proxies and `mesh` the sidecars: a route bound to both is one route per layer.
fn bindings(gateways: &[Node]) -> Vec<Binding> {
    let names: Vec<String> = gateways
        .iter()
        .filter_map(|gateway| gateway.scalar_text())
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .collect();
    if names.is_empty() {
        return vec![Binding {
            layer: Layer::Mesh,
            gateways: vec![MESH.to_string()],
        }];
    }
    let (mesh, gateways): (Vec<String>, Vec<String>) =
        names.into_iter().partition(|name| name == MESH);
    let mut found = Vec::new();
    if !gateways.is_empty() {
        found.push(Binding {
            layer: Layer::Edge,
            gateways,
        });
    }
    if !mesh.is_empty() {
        found.push(Binding {
            layer: Layer::Mesh,
            gateways: vec![MESH.to_string()],
        });
    }
    found
}

/// Istio's name for every sidecar of the mesh, as a gateway.
const MESH: &str = "mesh";

fn virtual_service(cx: &mut Reader<'_>, spec: &Node) {
    let hosts = values::scalar_texts(spec.get_items("hosts"));
    let bound = bindings(spec.get_items("gateways"));
    for http in spec.get_items("http") {
        let location = cx.anchor(http);
        let policy = match direct_answer(cx, http) {
            Some((answer, at)) => Policy::answered_directly(answer, at),
            None => http_policy(cx, http, location),
        };
        let name = http.get_text("name").map(str::to_string);
        let rewrite_uri = http
            .get("rewrite")
            .and_then(|rewrite| rewrite.get("uri"))
            .and_then(Node::scalar_text);
        let matches = http.get_items("match");
        let mut routes: Vec<(PathMatch, MethodSet, Option<Location>, Vec<Binding>)> = matches
            .iter()
            .map(|condition| {
                let (path, method) = (condition.get("uri"), condition.get("method"));
                let path = match path {
                    Some(uri) => string_match(cx, uri, rewrite_uri),
                    None => PathMatch {
                        kind: PathKind::Any,
                        pattern: "/".to_string(),
                        location: cx.anchor(condition),
                        rewrite: None,
                    },
                };
                let methods = method
                    .and_then(|method| method.get("exact"))
                    .and_then(Node::scalar_text)
                    .and_then(|name| Method::from_key(&name.to_ascii_lowercase()))
                    .map_or(MethodSet::Any, |method| MethodSet::Only(vec![method]));
                let methods_location = method.map(|method| cx.at(method));
                let own = condition.get_items("gateways");
                let bound = if own.is_empty() {
                    bound.clone()
                } else {
                    bindings(own)
                };
                (path, methods, methods_location, bound)
            })
            .collect();
        if routes.is_empty() {
            routes.push((
                PathMatch {
                    kind: PathKind::Any,
                    pattern: "/".to_string(),
                    location,
                    rewrite: None,
                },
                MethodSet::Any,
                None,
                bound.clone(),
            ));
        }
        for (path, methods, methods_location, bound) in routes {
            for binding in bound {
                cx.push_route(Route {
                    name: name.clone(),
                    methods: methods.clone(),
                    methods_location,
                    hosts: hosts.clone(),
                    ..Route::new(
                        GatewayFormat::Istio,
                        location,
                        path.clone(),
                        Policy {
                            binding: Some(binding),
                            ..policy.clone()
                        },
                    )
                });
            }
        }
    }
}

/// A `directResponse` (its status) or a `redirect`: Istio answers the request itself and sends
/// nothing to a destination (`HTTPRoute` in networking/v1 `virtual_service.proto`, Istio 1.24:
/// "a HTTP rule can either return a direct_response, redirect or forward (default) traffic").
fn direct_answer(cx: &Reader<'_>, http: &Node) -> Option<(Option<String>, Location)> {
    if let Some(answer) = abort_every_request(cx, http) {
        return Some(answer);
    }
    let (key, node) = ["directResponse", "redirect"]
        .into_iter()
        .find_map(|key| Some((key, http.get(key).filter(|node| !node.is_null())?)))?;
    let answer = match key {
        "directResponse" => node.get_text("status").map(str::to_string),
        _ => Some("redirect".to_string()),
    };
    let span = http.entry(key).map_or(node.span, |entry| entry.key.span);
    Some((answer, cx.locate(span)))
}

/// A `fault.abort` of 100 % of requests: Envoy's fault filter answers each with the abort's
/// status before the router runs, so nothing reaches a destination (`HTTPFaultInjection.Abort`
/// in `virtual_service.proto`; `percentage.value`, or the deprecated integer `percent`). A
/// smaller or missing percentage leaves requests to the route.
fn abort_every_request(cx: &Reader<'_>, http: &Node) -> Option<(Option<String>, Location)> {
    let fault = http.get("fault")?;
    let abort = fault.get("abort").filter(|node| node.is_map())?;
    let percent = abort
        .get("percentage")
        .and_then(|percentage| percentage.get("value"))
        .or_else(|| abort.get("percent"))
        .and_then(Node::scalar_text)
        .and_then(|text| text.trim().parse::<f64>().ok())?;
    if percent < 100.0 {
        return None;
    }
    let answer = ["httpStatus", "grpcStatus", "http2Error"]
        .into_iter()
        .find_map(|key| abort.get(key).and_then(Node::scalar_text))
        .map(str::to_string);
    let span = fault
        .entry("abort")
        .map_or(abort.span, |entry| entry.key.span);
    Some((answer, cx.locate(span)))
}

/// An Istio `StringMatch` on the URI.
fn string_match(cx: &mut Reader<'_>, uri: &Node, rewrite_uri: Option<&str>) -> PathMatch {
    for (key, kind) in [("exact", PathKind::Exact), ("prefix", PathKind::Prefix)] {
        if let Some(node) = uri.get(key) {
            let pattern = node.scalar_text().unwrap_or("/").to_string();
            return PathMatch {
                kind,
                rewrite: rewrite_uri.map(|to| Rewrite {
                    strip_prefix: pattern.clone(),
                    add_prefix: to.to_string(),
                }),
                pattern,
                location: cx.at(node),
            };
        }
    }
    if let Some(regex) = uri.get("regex") {
        let pattern = regex.scalar_text().unwrap_or(".*").to_string();
        if !crate::model::pattern::is_valid(&pattern) {
            cx.invalid(
                regex,
                format!("`{pattern}` is not a valid RE2 regular expression"),
            );
        }
        return PathMatch {
            kind: PathKind::Regex { full: true },
            pattern,
            location: cx.at(regex),
            rewrite: None,
        };
    }
    cx.invalid(uri, "a URI match needs `exact`, `prefix` or `regex`");
    PathMatch {
        kind: PathKind::Any,
        pattern: "/".to_string(),
        location: cx.at(uri),
        rewrite: None,
    }
}

fn http_policy(cx: &mut Reader<'_>, http: &Node, location: Location) -> Policy {
    let timeout = cx
        .duration(http, "timeout")
        .map(Timeout::zero_disables)
        .unwrap_or_else(|| NO_TIMEOUT.sourced());
    let retry = match http.get("retries") {
        Some(retries) => explicit_retry(cx, retries),
        None => Some(Retry {
            conditions: default_conditions(),
            backoff: Some(default_backoff()),
            ..Retry::new(RETRIES.sourced(), location)
        }),
    };
    let destinations = http.get_items("route");
    let targets: Vec<String> = destinations
        .iter()
        .filter(|destination| values::carries_traffic(destination))
        .filter_map(|destination| {
            let target = destination.get("destination")?;
            let host = target.get("host")?.scalar_text()?;
            Some(match target.get_text("subset") {
                Some(subset) => format!("{host}/{subset}"),
                None => host.to_string(),
            })
        })
        .collect();
    let upstream = destinations
        .first()
        .and_then(|destination| destination.get("destination"))
        .and_then(|target| target.get("host"))
        .and_then(Node::scalar_text)
        .map(|host| Upstream {
            name: host.to_string(),
            endpoints: None,
            location: None,
        });
    let mut fallbacks = Vec::new();
    if targets.len() >= 2 {
        fallbacks.push(Fallback {
            kind: FallbackKind::WeightedPool,
            targets,
            location: http
                .entry("route")
                .map_or(location, |entry| cx.at(&entry.key)),
        });
    }
    Policy {
        timeout: Some(timeout),
        retry,
        fallbacks,
        upstream,
        fault_injection: http.get("fault").is_some(),
        // Istio programs Envoy's per-try timeout, which stops applying once the response
        // starts; and Istio switches Envoy's route timeout off unless `timeout` is set.
        per_try_until_response: true,
        statuses: GatewayStatuses {
            on_timeout: Some(504),
            ..GatewayStatuses::default()
        },
        ..Policy::default()
    }
}

fn default_backoff() -> Backoff {
    Backoff {
        base: Some(BACKOFF_BASE.sourced()),
        max: Some(BACKOFF_MAX.sourced()),
        jittered: true,
        factor: 2.0,
    }
}

fn explicit_retry(cx: &mut Reader<'_>, retries: &Node) -> Option<Retry> {
    let location = cx.anchor(retries);
    let attempts = cx.count(retries, "attempts")?;
    if attempts.value == 0 {
        return None;
    }
    let conditions = match retries.get_text("retryOn") {
        Some(list) => list
            .split(',')
            .map(str::trim)
            // Istio turns the numbers of the list into the status codes of
            // `retriable-status-codes`, so the bare condition adds nothing of its own.
            .filter(|item| !item.is_empty() && *item != "retriable-status-codes")
            .map(retry_condition)
            .collect(),
        None => default_conditions(),
    };
    // `backoff` sets the base interval; Envoy caps the waits at ten times it.
    let backoff = match cx.duration(retries, "backoff") {
        Some(base) => Backoff {
            base: Some(base),
            max: None,
            jittered: true,
            factor: 2.0,
        },
        None => default_backoff(),
    };
    Some(Retry {
        conditions,
        backoff: Some(backoff),
        per_try_timeout: cx.duration(retries, "perTryTimeout"),
        ..Retry::new(attempts, location)
    })
}

/// Envoy's `retry_on` vocabulary, which Istio passes through, and the status codes Istio
/// turns into `retriable_status_codes`.
pub fn retry_condition(name: &str) -> RetryCondition {
    envoy::retry_condition(name).unwrap_or_else(|| match name.parse::<u16>() {
        Ok(code) => RetryCondition::Status(code, code),
        Err(_) => RetryCondition::Other(name.to_string()),
    })
}

fn destination_rule(cx: &mut Reader<'_>, spec: &Node) {
    let Some(host) = spec.get_text("host") else {
        return;
    };
    let location = cx.anchor(spec);
    let mut upstream = UpstreamPolicy {
        format: GatewayFormat::Istio,
        name: host.to_string(),
        location,
        connect_timeout: None,
        circuit_breakers: Vec::new(),
        health_check: None,
        fallbacks: Vec::new(),
        endpoints: None,
    };
    if let Some(policy) = spec.get("trafficPolicy") {
        traffic_policy(cx, policy, &mut upstream);
    }
    cx.inventory.upstream_policies.push(upstream);
}

fn traffic_policy(cx: &mut Reader<'_>, policy: &Node, upstream: &mut UpstreamPolicy) {
    if let Some(pool) = policy.get("connectionPool") {
        upstream.connect_timeout = pool
            .get("tcp")
            .and_then(|tcp| cx.duration(tcp, "connectTimeout"));
        if let Some(location) = cx.key_at(policy, "connectionPool") {
            upstream
                .circuit_breakers
                .push(CircuitBreaker::concurrency_limit(location, 503));
        }
    }
    if let Some(outliers) = policy.get("outlierDetection") {
        let location = cx
            .key_at(policy, "outlierDetection")
            .unwrap_or(upstream.location);
        let five_xx = cx
            .count(outliers, "consecutive5xxErrors")
            .map_or(5, |count| count.value);
        let gateway = cx
            .count(outliers, "consecutiveGatewayErrors")
            .map_or(0, |count| count.value);
        let max_percent = cx
            .count(outliers, "maxEjectionPercent")
            .map_or(10, |count| count.value);
        let ineffective = if five_xx == 0 && gateway == 0 {
            Some("consecutive5xxErrors and consecutiveGatewayErrors are both 0, so no host is ever ejected".to_string())
        } else if max_percent == 0 {
            Some("maxEjectionPercent is 0, so no host can be ejected".to_string())
        } else {
            None
        };
        upstream.circuit_breakers.push(CircuitBreaker {
            kind: CircuitBreakerKind::OutlierEjection,
            location,
            ineffective: ineffective.clone(),
            open_status: Some(503),
            trip: None,
        });
        if ineffective.is_none() {
            upstream.health_check = Some(HealthCheck {
                active: None,
                passive: Some(location),
            });
        }
    }
    let locality = policy
        .get("loadBalancer")
        .and_then(|balancer| balancer.get("localityLbSetting"));
    if let Some(locality) = locality {
        let enabled = locality.get("enabled").and_then(Node::as_bool) != Some(false);
        let failover = locality.get_items("failover");
        let failover_priority = locality.get_items("failoverPriority");
        if enabled && (!failover.is_empty() || !failover_priority.is_empty()) {
            let targets = failover
                .iter()
                .filter_map(|rule| rule.get_text("to").map(str::to_string))
                .collect();
            upstream.fallbacks.push(Fallback {
                kind: FallbackKind::LocalityFailover,
                targets,
                location: cx.anchor(locality),
            });
        }
    }
}
