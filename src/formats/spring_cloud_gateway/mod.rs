//! Spring Cloud Gateway (server WebFlux, 4.3 to 5.0): the routes of an `application.yml`, under
//! `spring.cloud.gateway.server.webflux` or the older `spring.cloud.gateway`, with Spring's
//! relaxed binding (`response-timeout` is `responseTimeout`; `gateway.server.webflux` may be one
//! key). Modelled on spring-cloud/spring-cloud-gateway commit 5227205c (v5.0.3):
//! `RetryGatewayFilterFactory` (in [`retry`]), `NettyRoutingFilter` (the route's
//! `response-timeout` metadata in ms over `httpclient.response-timeout`, bounding each attempt
//! until the response starts, 504) and `SpringCloudCircuitBreakerResilience4JFilterFactory` (in
//! [`resilience4j`]: an open circuit answers 503, a TimeLimiter timeout 504).

mod resilience4j;
mod retry;

use std::time::Duration;

use super::read::{Naming, Reader, Release};
use super::values::{shown, Dialect};
use super::{AdaptContext, Adapter};
use crate::model::policy::{GatewayStatuses, RateLimit, Upstream};
use crate::model::{
    GatewayFormat, Method, MethodSet, PathKind, PathMatch, Policy, Route, Sourced, Timeout,
};
use crate::source::node::resolve_plain_scalar;
use crate::source::{Entry, Node, NodeKind, ScalarKind};
use crate::span::FileId;

/// The release whose behaviour this adapter models, named in its default notes.
const RELEASE: Release = Release("Spring Cloud Gateway 4.3–5.0");
pub static ADAPTER: Adapter = Adapter {
    name: "spring-cloud-gateway",
    detect,
    uses_refs: false,
    adapt,
};

const PREFIXES: [&str; 2] = [
    "spring.cloud.gateway.server.webflux",
    "spring.cloud.gateway",
];
/// `shortcutFieldOrder()` of the Retry filter (`Retry=3,BAD_GATEWAY,GET,10ms,50ms,2,false`).
const RETRY_SHORTCUT: &str = "retries statuses methods firstBackoff maxBackoff factor \
     basedOnPreviousValue randomFactor timeout";
/// The value at a dotted `path` under `node`, whatever dots its keys hold themselves.
fn lookup<'a>(node: &'a Node, path: &str) -> Option<&'a Node> {
    let wanted: Vec<&str> = path.split('.').collect();
    node.entries().iter().find_map(|entry| {
        let key: Vec<&str> = entry.key.scalar_text()?.split('.').collect();
        let pairs = key.iter().zip(&wanted);
        if key.len() > wanted.len() || !pairs.clone().all(|(k, w)| Naming::Relaxed.names(k, w)) {
            return None;
        }
        match wanted.get(key.len()..).filter(|rest| !rest.is_empty()) {
            Some(rest) => lookup(&entry.value, &rest.join(".")),
            None => Some(&entry.value),
        }
    })
}

fn items<'a>(node: &'a Node, path: &str) -> &'a [Node] {
    lookup(node, path).map(Node::items).unwrap_or_default()
}

fn gateway(document: &Node) -> Option<&Node> {
    PREFIXES
        .iter()
        .find_map(|prefix| lookup(document, prefix).filter(|gw| !items(gw, "routes").is_empty()))
}

/// A gateway's routes, or the Resilience4j instances its CircuitBreaker filters use, which a
/// profile's own file may hold.
fn detect(document: &Node) -> bool {
    gateway(document).is_some() || lookup(document, "resilience4j").is_some_and(Node::is_map)
}

/// `node` with a whole-value `${key}` or `${key:default}` replaced from the document, as Spring
/// resolves it at startup; `None` when it cannot be.
fn resolved(document: &Node, node: &Node) -> Option<Node> {
    let text = node.scalar_text()?.trim();
    let Some(inner) = text.strip_prefix("${").and_then(|t| t.strip_suffix('}')) else {
        return Some(node.clone());
    };
    let (key, default) = inner
        .split_once(':')
        .map_or((inner, None), |(k, d)| (k, Some(d)));
    let value = lookup(document, key)
        .and_then(Node::scalar_text)
        .or(default)?;
    let kind = resolve_plain_scalar(value);
    Some(Node::scalar(node.span, value, kind))
}

/// A predicate or filter, `Name=a,b` or `{name, args}`, its arguments as one mapping (shortcut
/// arguments named by the filter's shortcut order, at the span of the whole text).
struct Definition<'a> {
    name: String,
    node: &'a Node,
    args: Node,
}

fn definition<'a>(document: &Node, node: &'a Node) -> Option<Definition<'a>> {
    let entry = |key: &str, value: Node| Entry {
        key: Node::scalar(value.span, key, ScalarKind::Str),
        value,
    };
    let (name, entries) = match node.as_str() {
        Some(text) => {
            let (name, args) = text.split_once('=').unwrap_or((text, ""));
            let fields = match name.trim() {
                "Retry" => RETRY_SHORTCUT,
                "CircuitBreaker" => "name",
                _ => "",
            };
            let values = args.split(',').map(str::trim).filter(|a| !a.is_empty());
            let entries = values.enumerate().map(|(i, value)| {
                let kind = resolve_plain_scalar(value);
                let field = fields.split_whitespace().nth(i).unwrap_or("_");
                entry(field, Node::scalar(node.span, value, kind))
            });
            (name.trim(), entries.collect())
        }
        None => {
            let name = node.get("name")?.as_str()?;
            let mut entries = Vec::new();
            for arg in node.get("args").map(Node::entries).unwrap_or_default() {
                match arg.value.kind {
                    // The Retry filter's `backoff` fields are read beside the others.
                    NodeKind::Map(ref inner) => entries.extend(inner.iter().cloned()),
                    _ => entries.extend(resolved(document, &arg.value).map(|value| Entry {
                        key: arg.key.clone(),
                        value,
                    })),
                }
            }
            (name, entries)
        }
    };
    Some(Definition {
        name: name.to_string(),
        node,
        args: Node {
            span: node.span,
            kind: NodeKind::Map(entries),
        },
    })
}

/// The comma-separated texts of the arguments named `keys` (`_` for shortcut and generated
/// names), each a text or a list of them.
fn texts<'a>(args: &'a Node, keys: &[&str]) -> Vec<(&'a str, &'a Node)> {
    let named = |key: &str| {
        keys.iter()
            .any(|k| Naming::Relaxed.names(key, k) || (*k == "_" && key.starts_with('_')))
    };
    let chosen = args
        .entries()
        .iter()
        .filter(|e| e.key.scalar_text().is_some_and(named));
    let values = chosen.flat_map(|e| match e.value.is_seq() {
        true => e.value.items(),
        false => std::slice::from_ref(&e.value),
    });
    let split = |node| node_texts(node).map(move |text| (text, node));
    values.flat_map(split).collect()
}

fn node_texts(node: &Node) -> impl Iterator<Item = &str> {
    let text = node.scalar_text().unwrap_or_default();
    text.split(',').map(str::trim).filter(|t| !t.is_empty())
}

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    let Some(gateway) = gateway(document) else {
        return;
    };
    let cx = &mut Reader::new(cx, file, Naming::Relaxed, Dialect::Spring);
    let resilience = resilience4j::section(cx, document);
    let defaults = items(gateway, "default-filters");
    for written in items(gateway, "routes") {
        if disabled(document, written) {
            continue;
        }
        let shortcut = shortcut_route(written);
        if shortcut.is_none() && !written.is_map() {
            // A route written as text binds through `RouteDefinition(String)`, which throws
            // unless it reads `id=uri,…`: the binding fails and the application does not start.
            let what = match written.as_str() {
                Some(text) => {
                    format!("`{text}` is not a route written as text, `id=uri,Predicate=…`")
                }
                None => format!(
                    "a route is a mapping or a text `id=uri,Predicate=…`, not {}",
                    written.type_name()
                ),
            };
            let message = format!(
                "{what}: Spring's binding fails (\"Unable to parse RouteDefinition text\") and \
                 the gateway does not start"
            );
            cx.invalid(written, message);
            continue;
        }
        let route = shortcut.as_ref().unwrap_or(written);
        if websocket(document, route) {
            continue;
        }
        let written_predicates = items(route, "predicates");
        if written_predicates.is_empty() {
            // `RouteDefinition.predicates` is `@NotEmpty`, and the properties' routes are
            // validated when they are bound: the gateway does not start.
            let at = lookup(route, "id").unwrap_or(route);
            cx.invalid(
                at,
                "a route needs at least one predicate: Spring's validation of the routes fails \
                 (`predicates` \"must not be empty\") and the gateway does not start; add \
                 `Path=/…` or the predicate that selects its requests",
            );
            continue;
        }
        let predicates: Vec<_> = written_predicates
            .iter()
            .filter_map(|p| definition(document, p))
            .collect();
        let filters: Vec<_> = defaults
            .iter()
            .chain(items(route, "filters"))
            .filter_map(|f| definition(document, f))
            .collect();
        let mut policy = policy(cx, document, gateway, route, &filters);
        if let Some((at, breaker)) = filters
            .iter()
            .enumerate()
            .find(|(_, f)| f.name == "CircuitBreaker")
        {
            let inside_retry = filters
                .iter()
                .position(|f| f.name == "Retry")
                .is_some_and(|retry| retry < at);
            resilience4j::read_breaker(
                cx,
                document,
                resilience,
                breaker,
                inside_retry,
                &mut policy,
            );
        }
        let find = |name: &str| predicates.iter().find(|p| p.name == name);
        let methods = find("Method").map_or(MethodSet::Any, |method| {
            let names = texts(&method.args, &["_", "methods"])
                .into_iter()
                .map(|(m, _)| m.to_ascii_lowercase());
            MethodSet::Only(names.filter_map(|m| Method::from_key(&m)).collect())
        });
        let hosts = find("Host").map(|host| {
            texts(&host.args, &["_", "patterns"])
                .iter()
                .map(|(h, _)| h.to_string())
                .collect()
        });
        let id = lookup(route, "id");
        // A shortcut `Path=/a,/b,false` ends with its `matchTrailingSlash` flag
        // (`GATHER_LIST_TAIL_FLAG`), not a pattern.
        let mut paths = find("Path")
            .map(|path| texts(&path.args, &["_", "patterns", "pattern"]))
            .unwrap_or_default();
        paths.retain(|(pattern, _)| !matches!(*pattern, "true" | "false"));
        let paths = if paths.is_empty() {
            vec![("/**", route)]
        } else {
            paths
        };
        for (pattern, node) in paths {
            let kind = match pattern {
                "/**" => PathKind::Any,
                p if p.contains(['{', '*']) => PathKind::Template,
                _ => PathKind::Exact,
            };
            let path = PathMatch {
                kind,
                pattern: pattern.to_string(),
                location: cx.at(node),
                rewrite: None,
            };
            let route = Route {
                format: GatewayFormat::SpringCloudGateway,
                name: id.and_then(|id| resolved(document, id)?.scalar_text().map(str::to_string)),
                location: cx.at(id.unwrap_or(route)),
                methods: methods.clone(),
                methods_location: find("Method").map(|m| cx.at(m.node)),
                path,
                hosts: hosts.clone().unwrap_or_default(),
                policy: policy.clone(),
                explicit_operation: None,
            };
            cx.push_route(route);
        }
    }
}

/// Whether a route proxies WebSocket sessions (`ws://`, `wss://`, `lb:ws://`): neither the HTTP
/// client's `response-timeout` nor a `CircuitBreaker` reaches them, since `NettyRoutingFilter`
/// routes only `http` and `https` and `WebsocketRoutingFilter` connects to the upstream inside
/// the session's handler, after the client's handshake has completed. Such a route has none of
/// the settings routeguard checks, so it is not read as one.
fn websocket(document: &Node, route: &Node) -> bool {
    let uri = lookup(route, "uri")
        .and_then(|uri| resolved(document, uri).or_else(|| Some(uri.clone())))
        .and_then(|uri| uri.as_str().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    let uri = uri.strip_prefix("lb:").unwrap_or(&uri);
    uri.starts_with("ws://") || uri.starts_with("wss://")
}

/// Whether a route says `enabled: false`: since 4.2 (commit 28a7da86),
/// `PropertiesRouteDefinitionLocator` filters its routes by `RouteDefinition::isEnabled`, so the
/// gateway never serves it. Spring's conversion reads `false`, `off`, `no` and `0` in any case.
fn disabled(document: &Node, route: &Node) -> bool {
    let Some(enabled) = lookup(route, "enabled") else {
        return false;
    };
    let enabled = resolved(document, enabled).unwrap_or_else(|| enabled.clone());
    enabled.as_bool() == Some(false)
        || enabled.as_str().is_some_and(|text| {
            matches!(
                text.trim().to_ascii_lowercase().as_str(),
                "false" | "off" | "no" | "0"
            )
        })
}

/// A route written as one text, `id=uri,Predicate,…` (`RouteDefinition(String)`: every comma
/// starts a predicate), as the mapping it stands for, all at the text. None where Spring
/// refuses the text: no `=` after a non-empty id, or no URI after it.
fn shortcut_route(route: &Node) -> Option<Node> {
    let (id, rest) = route.as_str()?.split_once('=')?;
    if id.is_empty() {
        return None;
    }
    let mut parts = rest
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty());
    let text = |value: &str| Node::scalar(route.span, value, ScalarKind::Str);
    let entry = |key: &str, value: Node| Entry {
        key: text(key),
        value,
    };
    let uri = entry("uri", text(parts.next()?));
    let predicates = Node {
        span: route.span,
        kind: NodeKind::Seq(parts.map(text).collect()),
    };
    let entries = vec![
        entry("id", text(id.trim())),
        uri,
        entry("predicates", predicates),
    ];
    Some(Node {
        span: route.span,
        kind: NodeKind::Map(entries),
    })
}

fn policy(
    cx: &mut Reader<'_>,
    document: &Node,
    gateway: &Node,
    route: &Node,
    filters: &[Definition<'_>],
) -> Policy {
    let uri_node = lookup(route, "uri");
    // A placeholder the file does not resolve names the upstream as written.
    let uri = uri_node
        .and_then(|uri| resolved(document, uri).or_else(|| Some(uri.clone())))
        .and_then(|uri| uri.as_str().map(str::to_string))
        .unwrap_or_default();
    // A local handler or a filter answers by itself: nothing upstream to wait for.
    if uri.starts_with("forward:") || uri.starts_with("no://") {
        return Policy::answered_directly(Some(uri), cx.at(route));
    }
    // `RedirectTo` sets the status and `Location` and completes the response without calling
    // the rest of the chain (`RedirectToGatewayFilterFactory`, 4.3): no request is forwarded.
    if let Some(redirect) = filters.iter().find(|f| f.name == "RedirectTo") {
        return Policy::answered_directly(Some("redirect".to_string()), cx.at(redirect.node));
    }
    let host = uri.split_once("://").map_or(uri.as_str(), |(_, rest)| rest);
    let mut policy = Policy {
        upstream: Some(Upstream {
            name: host
                .split(['/', ':'])
                .next()
                .unwrap_or_default()
                .to_string(),
            endpoints: None,
            location: uri_node.map(|uri| cx.at(uri)),
        }),
        per_try_timeout: response_timeout(cx, document, gateway, route),
        per_try_until_response: true,
        statuses: GatewayStatuses {
            on_timeout: Some(504),
            ..GatewayStatuses::default()
        },
        ..Policy::default()
    };
    // A negative `response-timeout` switches off the global one for this route (the gateway's
    // http-timeouts-configuration docs): the route is reported where that is written.
    if policy.per_try_timeout.is_none() {
        if let Some(node) = lookup(route, "metadata.response-timeout").filter(|node| {
            resolved(document, node)
                .and_then(|value| value.scalar_text()?.parse::<i64>().ok())
                .is_some_and(|ms| ms < 0)
        }) {
            policy.timeout = Some(Sourced::explicit(Timeout::Unbounded, cx.at(node)));
        }
    }
    policy.retry = filters
        .iter()
        .find(|f| f.name == "Retry")
        .map(|retry| retry::read_retry(cx, retry));
    if let Some(limiter) = filters.iter().find(|f| f.name == "RequestRateLimiter") {
        policy.rate_limit = Some(RateLimit {
            location: cx.at(limiter.node),
            status: 429,
        });
        policy.statuses.on_rate_limited = Some(429);
    }
    policy
}

/// The route's `response-timeout` metadata in milliseconds (negative: none), else the global
/// `httpclient.response-timeout`; none by default.
fn response_timeout(
    cx: &mut Reader<'_>,
    document: &Node,
    gateway: &Node,
    route: &Node,
) -> Option<Sourced<Duration>> {
    if let Some(node) = lookup(route, "metadata.response-timeout") {
        let value = resolved(document, node);
        match value
            .as_ref()
            .and_then(|v| v.scalar_text()?.parse::<i64>().ok())
        {
            Some(ms) => {
                return u64::try_from(ms)
                    .ok()
                    .map(|ms| Sourced::explicit(Duration::from_millis(ms), cx.at(node)))
            }
            // Spring ignores what it cannot read and takes the global value.
            None if value.is_some() => cx.invalid(
                node,
                format!(
                    "`response-timeout`: {} is not a number of milliseconds",
                    shown(node)
                ),
            ),
            None => {}
        }
    }
    let node = lookup(gateway, "httpclient.response-timeout")?;
    cx.duration_of(
        "response-timeout",
        &resolved(document, node)?,
        Dialect::Spring,
    )
}
