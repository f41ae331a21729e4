//! KrakenD configuration (`krakend.json`, format `version: 3`): endpoints with their backends,
//! the root and endpoint timeouts, circuit breakers, rate limits and static fallbacks.
//!
//! Files that still hold Flexible Configuration templates (`{{ ... }}`) are not JSON; they are
//! reported as parse errors when loaded and never reach this adapter.

use std::time::Duration;

use super::read::{GatewayDefault, MethodName, MethodSpelling, Naming, Reader, Release};
use super::values::Dialect;
use super::{AdaptContext, Adapter};
use crate::model::policy::{
    Backend, CircuitBreaker, CircuitBreakerKind, Fallback, FallbackKind, GatewayStatuses,
    RateLimit, Upstream,
};
use crate::model::route::Rewrite;
use crate::model::{
    GatewayFormat, Method, MethodSet, PathKind, PathMatch, Policy, Route, Sourced, Timeout,
};
use crate::source::{Entry, Node, ScalarKind};
use crate::span::FileId;

/// The release whose behaviour this adapter models, named in its default notes.
const RELEASE: Release = Release("KrakenD CE 2.x");

pub static ADAPTER: Adapter = Adapter {
    name: "krakend",
    detect,
    uses_refs: false,
    adapt,
};

fn detect(document: &Node) -> bool {
    document.get("version").and_then(Node::scalar_text) == Some("3")
        && document
            .get("endpoints")
            .is_some_and(|endpoints| endpoints.is_seq())
}

static DEFAULT_TIMEOUT: GatewayDefault<Timeout> = GatewayDefault::new(
    RELEASE,
    Timeout::Bounded(Duration::from_secs(2)),
    "KrakenD's default endpoint timeout of {}",
);
/// KrakenD answers 500 when the pipe fails with nothing to return: a timeout, an open circuit,
/// a backend rate limit (lura's `DefaultToHTTPError`).
const FAILURE_STATUS: u16 = 500;
/// `qos/ratelimit/router`: `max_rate` rejects with 503, `client_max_rate` with 429.
const ENDPOINT_LIMIT_STATUS: u16 = 503;
const CLIENT_LIMIT_STATUS: u16 = 429;
/// The methods KrakenD's router registers; any other makes it skip the endpoint.
const METHODS: MethodSpelling = MethodSpelling {
    capitals_only: false,
    served: &[
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
    ],
    others: &[],
    refusal: "is not a method KrakenD serves (GET, POST, PUT, PATCH or DELETE); it skips this \
              endpoint",
};
/// Namespaces under their current names and the aliases KrakenD still accepts.
const PROXY: &[&str] = &["proxy", "github.com/devopsfaith/krakend/proxy"];
const CIRCUIT_BREAKER: &[&str] = &[
    "qos/circuit-breaker",
    "github.com/devopsfaith/krakend-circuitbreaker/gobreaker",
];
const ROUTER_RATE_LIMIT: &str = "qos/ratelimit/router";
const PROXY_RATE_LIMIT: &str = "qos/ratelimit/proxy";

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    let cx = &mut Reader::new(cx, file, Naming::Exact, Dialect::Go);
    let root = RootContext {
        timeout: configured_timeout(cx, document),
        connect_timeout: cx
            .duration(document, "dialer_timeout")
            .filter(|timeout| !timeout.value.is_zero()),
        hosts: hosts(cx, document.get("host")),
    };
    for endpoint in document.get_items("endpoints") {
        if let Some(route) = read_endpoint(cx, endpoint, &root) {
            cx.push_route(route);
        }
    }
}

/// What the root contributes to every endpoint.
struct RootContext {
    timeout: Option<Sourced<Duration>>,
    connect_timeout: Option<Sourced<Duration>>,
    /// Hosts used by backends that list none.
    hosts: Vec<String>,
}

/// A `timeout` that is set; KrakenD treats `0` as not set (the root then falls back to its 2s
/// default, an endpoint to the root's value).
fn configured_timeout(cx: &mut Reader<'_>, object: &Node) -> Option<Sourced<Duration>> {
    cx.duration(object, "timeout")
        .filter(|timeout| !timeout.value.is_zero())
}

/// A `host` list; anything but a list of strings is reported.
fn hosts(cx: &mut Reader<'_>, list: Option<&Node>) -> Vec<String> {
    let Some(list) = list.filter(|list| !list.is_null()) else {
        return Vec::new();
    };
    if !list.is_seq() {
        cx.invalid(list, "`host` is a list of URLs");
        return Vec::new();
    }
    list.items()
        .iter()
        .filter_map(|host| {
            let text = host.as_str();
            if text.is_none() {
                cx.invalid(host, "a host is a URL such as `http://users:8080`");
            }
            text.map(str::to_string)
        })
        .collect()
}

/// The namespace's entry in an `extra_config`, under any of its names.
fn namespace<'a>(object: &'a Node, names: &[&str]) -> Option<&'a Entry> {
    let extra = object.get("extra_config")?;
    names.iter().find_map(|name| extra.entry(name))
}

fn read_endpoint(cx: &mut Reader<'_>, endpoint: &Node, root: &RootContext) -> Option<Route> {
    let Some(path_node) = endpoint.get("endpoint") else {
        cx.invalid(endpoint, "an endpoint needs an `endpoint` path");
        return None;
    };
    let Some(pattern) = path_node.as_str() else {
        cx.invalid(path_node, "`endpoint` must be a path such as `/users/{id}`");
        return None;
    };
    let path = endpoint_path(cx, path_node, pattern)?;

    let method_node = endpoint.get("method");
    let method = match method_node.map(|node| cx.method(node, &METHODS)) {
        None => Method::Get,
        Some(MethodName::Http(method)) => method,
        Some(_) => return None,
    };

    let timeout = configured_timeout(cx, endpoint)
        .or_else(|| root.timeout.clone())
        .map_or_else(
            || DEFAULT_TIMEOUT.sourced(),
            |timeout| timeout.map(Timeout::Bounded),
        );

    let backends = endpoint.get_items("backend");
    if backends.is_empty() {
        cx.invalid(
            endpoint.get("backend").unwrap_or(path_node),
            "an endpoint needs at least one backend; KrakenD refuses to start without one",
        );
        return None;
    }

    let fallback = static_fallback(cx, endpoint);
    // A static response that applies when the pipe fails turns timeouts and open circuits
    // into a 200 carrying the static data, so KrakenD no longer answers 500 for them.
    let absorbs_failures = fallback.is_some();
    let failure_status = (!absorbs_failures).then_some(FAILURE_STATUS);

    let mut policy = Policy {
        timeout: Some(timeout),
        connect_timeout: root.connect_timeout.clone(),
        statuses: GatewayStatuses {
            on_timeout: failure_status,
            ..GatewayStatuses::default()
        },
        ..Policy::default()
    };
    policy.fallbacks.extend(fallback);

    let mut backend_rate_limit = None;
    let aggregates = backends.len() >= 2;
    for (index, backend) in backends.iter().enumerate() {
        let backend_location = cx.anchor(backend);
        let listed = hosts(cx, backend.get("host"));
        let backend_hosts = if listed.is_empty() {
            root.hosts.clone()
        } else {
            listed
        };
        let discovered = backend.get_text("sd").is_some_and(|sd| sd != "static");
        if index == 0 {
            if let Some(first) = backend_hosts.first() {
                policy.upstream = Some(Upstream {
                    name: first.clone(),
                    // With DNS SRV discovery the hosts are looked up at run time.
                    endpoints: (!discovered)
                        .then(|| u32::try_from(backend_hosts.len()).unwrap_or(u32::MAX)),
                    location: Some(backend_location),
                });
            }
        }
        if backend_hosts.len() >= 2 && !discovered {
            policy.fallbacks.push(Fallback {
                kind: FallbackKind::WeightedPool,
                targets: backend_hosts.clone(),
                location: backend_location,
            });
        }
        let breaker = circuit_breaker(cx, backend, failure_status);
        // Every backend of an aggregating endpoint is its own upstream call, guarded only by
        // its own `qos/circuit-breaker`: KrakenD "aggregates and merges the responses from all
        // backends" (docs, endpoints/response-manipulation, CE 2.x), and the breaker is set
        // "inside the extra_config" of the backend it protects (docs, backends/circuit-breaker).
        if aggregates {
            if let Some(first) = backend_hosts.first() {
                policy.backends.push(Backend {
                    upstream: Upstream {
                        name: first.clone(),
                        endpoints: (!discovered)
                            .then(|| u32::try_from(backend_hosts.len()).unwrap_or(u32::MAX)),
                        location: Some(backend_location),
                    },
                    circuit_breakers: breaker.iter().cloned().collect(),
                });
            }
        }
        if let Some(breaker) = breaker {
            policy.statuses.on_circuit_open = failure_status;
            policy.circuit_breakers.push(breaker);
        }
        if backend_rate_limit.is_none() {
            backend_rate_limit = proxy_rate_limit(cx, backend, failure_status);
        }
    }

    policy.rate_limit = router_rate_limit(cx, endpoint).or(backend_rate_limit);
    policy.statuses.on_rate_limited = policy.rate_limit.as_ref().map(|limit| limit.status);

    let mut path = path;
    // One backend: the spec may describe it, reached through `url_pattern`. Several backends
    // aggregate into one response, which no single upstream operation describes; a wildcard
    // endpoint forwards what follows the prefix, which `url_pattern` does not spell out.
    if let (PathKind::Exact | PathKind::Template, [backend]) = (path.kind, backends) {
        if let Some(upstream_path) = backend.get("url_pattern").and_then(Node::as_str) {
            let upstream_path = upstream_path
                .split_once('?')
                .map_or(upstream_path, |(path, _)| path);
            if upstream_path != path.pattern && upstream_path.starts_with('/') {
                path.rewrite = Some(Rewrite {
                    strip_prefix: path.pattern.clone(),
                    add_prefix: upstream_path.to_string(),
                });
            }
        }
    }

    Some(Route {
        name: endpoint
            .pointer(&["extra_config", "documentation/openapi", "operation_id"])
            .and_then(Node::as_str)
            .map(str::to_string),
        methods: MethodSet::Only(vec![method]),
        methods_location: method_node.map(|node| cx.at(node)),
        ..Route::new(GatewayFormat::KrakenD, cx.anchor(endpoint), path, policy)
    })
}

/// The endpoint's path matcher; KrakenD refuses paths that do not start with `/`, that use `*`
/// anywhere but at the end, or that shadow its own `/__debug`, `/__echo` and `/__health`.
fn endpoint_path(cx: &mut Reader<'_>, node: &Node, pattern: &str) -> Option<PathMatch> {
    let reserved = ["/__debug", "/__echo", "/__health"].iter().any(|reserved| {
        pattern
            .strip_prefix(reserved)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    });
    let misplaced_wildcard = pattern.find('*').is_some_and(|at| at + 1 != pattern.len());
    if !pattern.starts_with('/') || misplaced_wildcard || reserved {
        cx.invalid(
            node,
            format!(
                "`{pattern}` is not an endpoint KrakenD accepts: it must start with `/`, may end \
                 with `*` only, and must not use /__debug, /__echo or /__health"
            ),
        );
        return None;
    }
    let (kind, pattern) = match pattern.strip_suffix('*') {
        Some(prefix) => (PathKind::Prefix, prefix.to_string()),
        None if pattern.contains('{') => (PathKind::Template, pattern.to_string()),
        None => (PathKind::Exact, pattern.to_string()),
    };
    Some(PathMatch::new(kind, pattern, cx.at(node)))
}

/// `proxy.static` when it answers for a failing pipe: strategies `always`, `errored` and
/// `incomplete` (KrakenD treats a missing or unknown strategy as `always`). `success` and
/// `complete` only decorate good responses and are no fallback.
fn static_fallback(cx: &mut Reader<'_>, endpoint: &Node) -> Option<Fallback> {
    let proxy = namespace(endpoint, PROXY)?;
    let entry = proxy.value.entry("static")?;
    // Without a `data` object KrakenD ignores the static response altogether.
    if !entry.value.get("data").is_some_and(Node::is_map) {
        cx.invalid(
            &entry.value,
            "a static response needs a `data` object; KrakenD ignores it without one",
        );
        return None;
    }
    let strategy_node = entry.value.get("strategy");
    let strategy = match strategy_node {
        None => "always",
        Some(node) => match node.as_str() {
            Some(strategy @ ("always" | "success" | "complete" | "errored" | "incomplete")) => {
                strategy
            }
            _ => {
                let shown = node.scalar_text().unwrap_or_else(|| node.type_name());
                cx.invalid(
                    node,
                    format!(
                        "`{shown}` is not a static strategy (always, success, complete, errored \
                         or incomplete); KrakenD treats it as always"
                    ),
                );
                "always"
            }
        },
    };
    matches!(strategy, "always" | "errored" | "incomplete").then(|| Fallback {
        kind: FallbackKind::StaticResponse,
        targets: vec![format!("static data ({strategy})")],
        location: cx.at(&entry.key),
    })
}

/// `qos/circuit-breaker` on a backend: `interval` and `timeout` (whole seconds) and
/// `max_errors` are all required.
fn circuit_breaker(
    cx: &mut Reader<'_>,
    backend: &Node,
    open_status: Option<u16>,
) -> Option<CircuitBreaker> {
    let entry = namespace(backend, CIRCUIT_BREAKER)?;
    let config = &entry.value;
    if !config.is_map() {
        cx.invalid(config, "a circuit breaker is configured with an object");
        return None;
    }
    let required = ["interval", "timeout", "max_errors"];
    for field in required {
        // Reported when it is not a whole number; the breaker is still built by KrakenD.
        let _ = cx.count(config, field);
    }
    let at = cx.at(&entry.key);
    cx.required(config, &required, at, "the circuit breaker");
    Some(CircuitBreaker {
        kind: CircuitBreakerKind::ConsecutiveErrors,
        location: cx.at(&entry.key),
        ineffective: None,
        open_status,
        trip: None,
    })
}

/// `qos/ratelimit/router` on an endpoint: the endpoint-wide `max_rate` answers 503, the
/// per-client `client_max_rate` 429. With both, the endpoint-wide 503 is the one kept, as the
/// more surprising status for clients to meet.
fn router_rate_limit(cx: &mut Reader<'_>, endpoint: &Node) -> Option<RateLimit> {
    let entry = namespace(endpoint, &[ROUTER_RATE_LIMIT])?;
    let location = cx.at(&entry.key);
    let endpoint_rate = rate(cx, &entry.value, "max_rate");
    let client_rate = rate(cx, &entry.value, "client_max_rate");
    let status = if endpoint_rate {
        ENDPOINT_LIMIT_STATUS
    } else if client_rate {
        CLIENT_LIMIT_STATUS
    } else {
        return None;
    };
    Some(RateLimit { location, status })
}

/// `qos/ratelimit/proxy` on a backend: a rejected backend call fails the pipe like any other
/// backend error.
fn proxy_rate_limit(
    cx: &mut Reader<'_>,
    backend: &Node,
    failure_status: Option<u16>,
) -> Option<RateLimit> {
    let entry = namespace(backend, &[PROXY_RATE_LIMIT])?;
    let status = failure_status?;
    rate(cx, &entry.value, "max_rate").then_some(RateLimit {
        location: cx.at(&entry.key),
        status,
    })
}

/// Whether `key` is a positive rate (a limit KrakenD enforces); a rate of 0 or less disables it.
fn rate(cx: &mut Reader<'_>, config: &Node, key: &str) -> bool {
    let Some(node) = config.get(key).filter(|node| !node.is_null()) else {
        return false;
    };
    let value = match node.scalar_kind() {
        Some(ScalarKind::Int | ScalarKind::Float) => {
            node.scalar_text().and_then(|text| text.parse::<f64>().ok())
        }
        _ => None,
    };
    match value {
        Some(value) if value.is_finite() => value > 0.0,
        _ => {
            cx.invalid(
                node,
                format!("`{key}` must be a number of requests per period"),
            );
            false
        }
    }
}
