//! Tyk API definitions: the classic JSON definition (`proxy.listen_path`, `version_data`) and a
//! Tyk OAS document (an OpenAPI 3 document carrying `x-tyk-api-gateway`). What follows models the
//! Tyk gateway at tag v5.15.0-alpha14 (TykTechnologies/tyk commit 31e219be):
//! `gateway/reverse_proxy.go` (`proxyTimeout`, `WrappedServeHTTP`), `apidef/api_definitions.go`
//! (`HardTimeoutMeta`, `CircuitBreakerMeta`, `UptimeTests`) and `apidef/oas/middleware.go`
//! (`EnforceTimeout`, `CircuitBreaker`).
//!
//! Classic paths are written relative to the listen path, as the upstream's own spec writes them.
//! A Tyk OAS route names its operation, so the join links it to the same document's operation.

use std::time::Duration;

use super::read::{GatewayDefault, Naming, Reader, Release};
use super::values::{shown, Dialect};
use super::{AdaptContext, Adapter};
use crate::model::policy::{
    ActiveCheck, CircuitBreaker, CircuitBreakerKind, GatewayStatuses, HealthCheck, Retry, Upstream,
};
use crate::model::{
    GatewayFormat, Method, MethodSet, PathKind, PathMatch, Policy, Route, Sourced, Timeout,
};
use crate::source::Node;
use crate::span::{FileId, Location};

pub static ADAPTER: Adapter = Adapter {
    name: "tyk",
    detect,
    uses_refs: false,
    adapt,
};

const OAS: &str = "x-tyk-api-gateway";
const RELEASE: Release = Release("Tyk v5.15");

/// `defaultProxyTimeout`: the upstream round trip is bounded by the gateway's
/// `proxy_default_timeout`, 30 s when unset (`proxyTimeout`).
static PROXY_TIMEOUT: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(30),
    "Tyk's `proxy_default_timeout` of {} (tyk.conf)",
);
/// `WrappedServeHTTP` makes one round trip and answers its error: Tyk never retries a request.
/// (Go's `http.Transport` only resends a request its reused connection never carried.)
static RETRIES: GatewayDefault<u32> = GatewayDefault::new(
    RELEASE,
    0,
    "Tyk's reverse proxy, which sends each request once ({} retries)",
);
/// "Upstream service reached hard timeout." is answered with `http.StatusGatewayTimeout`.
const TIMEOUT_STATUS: u16 = 504;
/// "Service temporarily unavailable." while the breaker is not `Ready()`.
const OPEN_STATUS: u16 = 503;

fn detect(document: &Node) -> bool {
    if document.get("openapi").is_some() {
        return document.get(OAS).is_some_and(Node::is_map);
    }
    document
        .get("proxy")
        .is_some_and(|proxy| proxy.get("listen_path").is_some())
        && (document.get("api_id").is_some() || document.get("version_data").is_some())
}

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    let cx = &mut Reader::new(cx, file, Naming::Exact, Dialect::Seconds);
    match document
        .get(OAS)
        .filter(|_| document.get("openapi").is_some())
    {
        Some(extension) => oas(cx, document, extension),
        None => classic(cx, document),
    }
}

/// The per-path settings of one (path, method) in a classic definition.
#[derive(Default)]
struct Endpoint<'a> {
    path: Option<&'a Node>,
    method: Option<Method>,
    timeout: Option<Sourced<Duration>>,
    breaker: Option<CircuitBreaker>,
    anchor: Option<Location>,
}

fn classic(cx: &mut Reader<'_>, document: &Node) {
    let health = classic_health(cx, document);
    let upstream = target(cx, document.get("proxy"), "target_url");
    let mut endpoints: Vec<Endpoint<'_>> = Vec::new();
    let mut api_timeout = None;
    let versions = document
        .get("version_data")
        .and_then(|data| cx.map(data, "versions"));
    for version in versions.map_or(&[][..], Node::entries) {
        if cx.flag(&version.value, "global_enforce_timeout_disabled") != Some(true) {
            let timeout = cx.duration_in(&version.value, "global_enforce_timeout", Dialect::Go);
            api_timeout = api_timeout.or(timeout.filter(positive));
        }
        let Some(paths) = version.value.get("extended_paths") else {
            continue;
        };
        for item in cx.list(paths, "hard_timeouts") {
            if cx.flag(item, "disabled") == Some(true) {
                continue;
            }
            // `GetEnforcedTimeoutSettings`: `duration` when positive, else whole seconds.
            let timeout = cx
                .duration_in(item, "duration", Dialect::Go)
                .filter(positive)
                .or_else(|| cx.duration(item, "timeout").filter(positive));
            endpoint(cx, &mut endpoints, item).timeout = timeout;
        }
        for item in cx.list(paths, "circuit_breakers") {
            if cx.flag(item, "disabled") == Some(true) {
                continue;
            }
            let breaker = breaker(
                cx,
                item,
                ["threshold_percent", "samples", "return_to_service_after"],
            );
            endpoint(cx, &mut endpoints, item).breaker = breaker;
        }
    }
    let name = cx.text(document, "name").map(str::to_string);
    // Every other path under the listen path is proxied with the gateway's default bound.
    if let Some(listen) = document
        .get("proxy")
        .and_then(|proxy| proxy.entry("listen_path"))
    {
        let anchor = cx.locate(listen.key.span);
        endpoints.push(Endpoint {
            path: None,
            anchor: Some(anchor),
            ..Endpoint::default()
        });
    }
    for endpoint in endpoints {
        let Some(anchor) = endpoint.anchor else {
            continue;
        };
        let (at, pattern) = match endpoint.path {
            Some(path) => match path.as_str() {
                Some(pattern) => (cx.at(path), pattern),
                None => continue,
            },
            None => (anchor, "/"),
        };
        let methods = endpoint
            .method
            .map_or(MethodSet::Any, |method| MethodSet::Only(vec![method]));
        // A path without its own enforced timeout takes the version's `global_enforce_timeout`.
        let timeout = endpoint.timeout.or_else(|| api_timeout.clone());
        let policy = policy(timeout, endpoint.breaker, &health, &upstream, anchor);
        let path = path_match(at, pattern);
        cx.inventory.routes.push(Route {
            format: GatewayFormat::Tyk,
            name: name.clone(),
            location: anchor,
            methods,
            methods_location: None,
            path,
            hosts: Vec::new(),
            policy,
            explicit_operation: None,
        });
    }
}

/// The endpoint `item` configures, merged with the earlier entries for the same path and method.
fn endpoint<'e, 'a>(
    cx: &mut Reader<'_>,
    endpoints: &'e mut Vec<Endpoint<'a>>,
    item: &'a Node,
) -> &'e mut Endpoint<'a> {
    let path = cx.field(item, "path");
    let method = cx.field(item, "method").and_then(|node| {
        let method = node
            .as_str()
            .and_then(|text| Method::from_key(&text.to_ascii_lowercase()));
        if method.is_none() {
            let message = format!("{} is not an HTTP method", shown(node));
            cx.invalid(node, message);
        }
        method
    });
    if path.is_none_or(|path| path.as_str().is_none()) {
        cx.invalid(item, "a Tyk path entry needs a `path`");
    }
    let text = path.and_then(Node::as_str);
    let index = endpoints
        .iter()
        .position(|known| known.path.and_then(Node::as_str) == text && known.method == method);
    let index = index.unwrap_or_else(|| {
        endpoints.push(Endpoint {
            path,
            method,
            anchor: Some(cx.anchor(item)),
            ..Endpoint::default()
        });
        endpoints.len() - 1
    });
    &mut endpoints[index]
}

/// Uptime tests take a host out of the load balancer only with
/// `proxy.check_host_against_uptime_tests`; otherwise they just raise events.
fn classic_health(cx: &mut Reader<'_>, document: &Node) -> Option<HealthCheck> {
    let proxy = cx.map(document, "proxy")?;
    if cx.flag(proxy, "check_host_against_uptime_tests") != Some(true) {
        return None;
    }
    let tests = cx.map(document, "uptime_tests")?;
    if cx.flag(tests, "disabled") == Some(true) {
        return None;
    }
    let first = cx.list(tests, "check_list").first()?;
    // `HostCheckObject.Timeout` is a Go `time.Duration`: a JSON number of nanoseconds.
    let timeout = cx.field(first, "timeout").and_then(|node| {
        let nanos = node.scalar_text()?.parse::<u64>().ok().filter(|n| *n > 0)?;
        Some(Sourced::explicit(Duration::from_nanos(nanos), cx.at(node)))
    });
    active_check(cx.key_at(tests, "check_list")?, timeout)
}

fn oas(cx: &mut Reader<'_>, document: &Node, extension: &Node) {
    let upstream_node = cx.map(extension, "upstream");
    let upstream = target(cx, upstream_node, "url");
    let health = upstream_node.and_then(|node| oas_health(cx, node));
    let api_timeout = upstream_node
        .and_then(|node| cx.map(node, "enforceTimeout"))
        .filter(|timeout| cx.flag(timeout, "enabled") == Some(true))
        .and_then(|timeout| cx.duration_in(timeout, "duration", Dialect::Go))
        .filter(positive);
    let operations = cx
        .map(extension, "middleware")
        .and_then(|middleware| cx.map(middleware, "operations"));
    let paths = document.get("paths").map_or(&[][..], Node::entries);
    for path_entry in paths {
        let Some(path) = path_entry.key.as_str().filter(|p| !p.starts_with("x-")) else {
            continue;
        };
        for entry in path_entry.value.entries() {
            let Some(method) = entry.key.as_str().and_then(Method::from_key) else {
                continue;
            };
            let method_key = cx.locate(entry.key.span);
            let id = entry.value.get("operationId").and_then(Node::as_str);
            let settings = id.and_then(|id| operations.and_then(|ops| ops.get(id)));
            let timeout = settings
                .and_then(|op| cx.map(op, "enforceTimeout"))
                .filter(|timeout| cx.flag(timeout, "enabled") == Some(true))
                .and_then(|timeout| {
                    cx.duration_in(timeout, "duration", Dialect::Go)
                        .filter(positive)
                        .or_else(|| cx.duration(timeout, "value").filter(positive))
                })
                .or_else(|| api_timeout.clone());
            let breaker = settings
                .and_then(|op| cx.map(op, "circuitBreaker"))
                .filter(|breaker| cx.flag(breaker, "enabled") == Some(true))
                .and_then(|node| breaker(cx, node, ["threshold", "sampleSize", "coolDownPeriod"]));
            let location = settings.map_or(method_key, |op| cx.anchor(op));
            let policy = policy(timeout, breaker, &health, &upstream, location);
            // An OpenAPI path is the whole path, templated or not.
            let mut path = path_match(cx.locate(path_entry.key.span), path);
            if path.kind != PathKind::Template {
                path.kind = PathKind::Exact;
            }
            cx.inventory.routes.push(Route {
                format: GatewayFormat::Tyk,
                name: id.map(str::to_string),
                location,
                methods: MethodSet::Only(vec![method]),
                methods_location: Some(method_key),
                path,
                hosts: Vec::new(),
                policy,
                explicit_operation: Some(method_key),
            });
        }
    }
}

fn oas_health(cx: &mut Reader<'_>, upstream: &Node) -> Option<HealthCheck> {
    let tests = cx.map(upstream, "uptimeTests")?;
    if cx.flag(tests, "enabled") != Some(true) {
        return None;
    }
    let first = cx.list(tests, "tests").first()?;
    let timeout = cx.duration_in(first, "timeout", Dialect::Go);
    active_check(cx.key_at(tests, "tests")?, timeout)
}

/// Uptime tests probe the upstream on their own schedule (the gateway's `uptime_tests` config).
fn active_check(location: Location, timeout: Option<Sourced<Duration>>) -> Option<HealthCheck> {
    let active = ActiveCheck {
        interval: None,
        timeout,
        location,
    };
    Some(HealthCheck {
        active: Some(active),
        passive: None,
    })
}

/// Tyk's rate breaker (`ExtendedCircuitBreakerMeta`): it opens once `samples` requests have been
/// seen and the share of failures (errors and 5xx answers) reaches the threshold, a fraction of 1.
fn breaker(
    cx: &mut Reader<'_>,
    item: &Node,
    [ratio, samples, cool_down]: [&str; 3],
) -> Option<CircuitBreaker> {
    let location = cx.anchor(item);
    let threshold = cx.field(item, ratio);
    let threshold_value = threshold.and_then(|node| {
        let value = node.scalar_text().and_then(|text| text.parse::<f64>().ok());
        if value.is_none_or(|value| !(0.0..=1.0).contains(&value)) {
            let message = format!(
                "`{ratio}` must be a fraction between 0 and 1, found {}",
                shown(node)
            );
            cx.invalid(node, message);
            return None;
        }
        value
    });
    // Whole numbers (samples, and seconds until half-open), reported when not.
    cx.count(item, samples);
    cx.count(item, cool_down);
    if threshold.is_some() && threshold_value.is_none() {
        return None;
    }
    Some(CircuitBreaker {
        kind: CircuitBreakerKind::Expression,
        location,
        ineffective: None,
        open_status: Some(OPEN_STATUS),
        trip: None,
    })
}

/// Tyk treats an enforced timeout of zero as unset.
fn positive(timeout: &Sourced<Duration>) -> bool {
    !timeout.value.is_zero()
}

fn policy(
    timeout: Option<Sourced<Duration>>,
    breaker: Option<CircuitBreaker>,
    health: &Option<HealthCheck>,
    upstream: &Option<Upstream>,
    route: Location,
) -> Policy {
    let timeout = timeout.unwrap_or_else(|| PROXY_TIMEOUT.sourced());
    Policy {
        timeout: Some(timeout.map(Timeout::Bounded)),
        retry: Some(Retry {
            non_idempotent: Some(false),
            ..Retry::new(RETRIES.sourced(), route)
        }),
        statuses: GatewayStatuses {
            on_timeout: Some(TIMEOUT_STATUS),
            on_circuit_open: breaker.as_ref().map(|_| OPEN_STATUS),
            on_rate_limited: None,
        },
        circuit_breakers: breaker.into_iter().collect(),
        health_check: health.clone(),
        upstream: upstream.clone(),
        ..Policy::default()
    }
}

fn target(cx: &mut Reader<'_>, object: Option<&Node>, key: &str) -> Option<Upstream> {
    let node = object.and_then(|object| cx.field(object, key))?;
    let url = node.as_str()?;
    let host = url.split_once("://").map_or(url, |(_, rest)| rest);
    Some(Upstream {
        name: host.split(['/', '?']).next().unwrap_or(host).to_string(),
        endpoints: None,
        location: Some(cx.at(node)),
    })
}

/// Tyk matches a path as a regular expression anchored at its start, `{name}` standing for one
/// segment (`PrepareSpecRegexp`); a plain path is thus a prefix.
fn path_match(location: Location, pattern: &str) -> PathMatch {
    let kind = if pattern.contains('{') {
        PathKind::Template
    } else if pattern.contains(['*', '+', '?', '[', '(', '|', '^', '$', '\\']) {
        PathKind::Regex { full: false }
    } else {
        PathKind::Prefix
    };
    PathMatch {
        kind,
        pattern: pattern.to_string(),
        location,
        rewrite: None,
    }
}
