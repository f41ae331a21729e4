//! Spring Cloud Gateway (server WebFlux, 4.3 to 5.0): the routes of an `application.yml`, under
//! `spring.cloud.gateway.server.webflux` or the older `spring.cloud.gateway`, with Spring's
//! relaxed binding (`response-timeout` is `responseTimeout`; `gateway.server.webflux` may be one
//! key). Modelled on spring-cloud/spring-cloud-gateway commit 5227205c:
//! `RetryGatewayFilterFactory` (3 retries, 5xx, GET only, on IOException and TimeoutException, no
//! backoff unless set), `NettyRoutingFilter` (the route's `response-timeout` metadata in ms over
//! `httpclient.response-timeout`, bounding each attempt until the response starts, 504) and
//! `SpringCloudCircuitBreakerResilience4JFilterFactory` (an open circuit answers 503, a
//! TimeLimiter timeout 504), with Resilience4j 2.x's defaults (TimeLimiter `timeoutDuration` 1s).

use std::time::Duration;

use super::read::{GatewayDefault, GatewayNote, Naming, Reader, Release};
use super::values::{shown, Dialect};
use super::{AdaptContext, Adapter};
use crate::model::policy::{
    Backoff, CircuitBreaker, CircuitBreakerKind, Fallback, FallbackKind, GatewayStatuses,
    RateLimit, Retry, RetryCondition, Upstream,
};
use crate::model::{
    GatewayFormat, Method, MethodSet, PathKind, PathMatch, Policy, Route, Sourced, Timeout,
};
use crate::source::node::resolve_plain_scalar;
use crate::source::{Entry, Node, NodeKind, ScalarKind};
use crate::span::FileId;

/// The release whose behaviour this adapter models, named in its default notes.
const RELEASE: Release = Release("Spring Cloud Gateway 4.3–5.0");
static UNCAPPED_BACKOFF: GatewayNote = GatewayNote::new(
    RELEASE,
    "no cap: Spring Cloud Gateway's backoff grows until a maxBackoff",
);

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
const RETRY_SHORTCUT: &str =
    "retries statuses methods firstBackoff maxBackoff factor basedOnPreviousValue";
static RETRIES: GatewayDefault<u32> =
    GatewayDefault::new(RELEASE, 3, "Spring Cloud Gateway's default of {} retries");
static FIRST_BACKOFF: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_millis(5),
    "Spring Cloud Gateway's default firstBackoff of {}",
);
static TIME_LIMIT: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(1),
    "Resilience4j's default TimeLimiter timeoutDuration of {}",
);

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

fn detect(document: &Node) -> bool {
    gateway(document).is_some()
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
    let resilience = lookup(document, "resilience4j")
        .map(|r| (file, r))
        .or_else(|| {
            let mut files = cx.workspace.files().iter();
            files.find_map(|f| {
                Some((
                    f.id,
                    f.documents.iter().find_map(|d| lookup(d, "resilience4j"))?,
                ))
            })
        });
    let cx = &mut Reader::new(cx, file, Naming::Relaxed, Dialect::Spring);
    let defaults = items(gateway, "default-filters");
    for route in items(gateway, "routes") {
        let predicates: Vec<_> = items(route, "predicates")
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
            read_breaker(cx, document, resilience, breaker, inside_retry, &mut policy);
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
        let paths = find("Path")
            .map(|path| texts(&path.args, &["_", "patterns", "pattern"]))
            .unwrap_or_default();
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
            cx.inventory.routes.push(route);
        }
    }
}

fn policy(
    cx: &mut Reader<'_>,
    document: &Node,
    gateway: &Node,
    route: &Node,
    filters: &[Definition<'_>],
) -> Policy {
    let uri_node = lookup(route, "uri");
    let uri = uri_node
        .and_then(|uri| resolved(document, uri))
        .and_then(|uri| uri.as_str().map(str::to_string))
        .unwrap_or_default();
    // A local handler or a filter answers by itself: nothing upstream to wait for.
    if uri.starts_with("forward:") || uri.starts_with("no://") {
        return Policy::answered_directly(Some(uri), cx.at(route));
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
    policy.retry = filters
        .iter()
        .find(|f| f.name == "Retry")
        .map(|retry| read_retry(cx, retry));
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

fn read_retry(cx: &mut Reader<'_>, retry: &Definition<'_>) -> Retry {
    let args = &retry.args;
    let retries = cx
        .count(args, "retries")
        .unwrap_or_else(|| RETRIES.sourced());
    let mut conditions = Vec::new();
    let mut series = texts(args, &["series"]);
    if cx.field(args, "series").is_none() {
        series.push(("SERVER_ERROR", &retry.args));
    }
    for (name, node) in series.into_iter().chain(texts(args, &["statuses"])) {
        match status_range(name) {
            Some((low, high)) => conditions.push(RetryCondition::Status(low, high)),
            None => cx.invalid(
                node,
                format!("`{name}` is not an HTTP status, status name or series"),
            ),
        }
    }
    let exceptions = texts(args, &["exceptions"]);
    let exceptions = match exceptions.is_empty() {
        true => vec!["IOException", "TimeoutException"],
        false => exceptions.into_iter().map(|(e, _)| e).collect(),
    };
    for exception in exceptions {
        match exception.rsplit('.').next().unwrap_or_default() {
            "IOException" => {
                conditions.extend([RetryCondition::ConnectFailure, RetryCondition::Reset])
            }
            "TimeoutException" => conditions.push(RetryCondition::Timeout),
            other => conditions.push(RetryCondition::Other(other.to_string())),
        }
    }
    let sent_twice = texts(args, &["methods"])
        .iter()
        .any(|(m, _)| matches!(*m, "POST" | "PATCH"));
    let backoff = ["firstBackoff", "maxBackoff", "factor"]
        .iter()
        .any(|k| cx.field(args, k).is_some())
        .then(|| {
            let base = cx
                .duration(args, "firstBackoff")
                .unwrap_or_else(|| FIRST_BACKOFF.sourced());
            // A factor of 1 waits the first backoff every time; any other is read as doubling.
            let constant = cx
                .count(args, "factor")
                .is_some_and(|factor| factor.value == 1);
            let max = cx
                .duration(args, "maxBackoff")
                .or_else(|| constant.then(|| base.clone()));
            let uncapped = base.value.saturating_mul(1 << retries.value.min(20));
            let max = max.unwrap_or_else(|| UNCAPPED_BACKOFF.sourced(uncapped));
            Backoff {
                base: Some(base),
                max: Some(max),
                jittered: false,
                factor: 2.0,
            }
        });
    Retry {
        max_retries: retries,
        unbounded: false,
        conditions,
        backoff,
        per_try_timeout: None,
        deadline: cx.duration(args, "timeout"),
        has_budget: false,
        non_idempotent: Some(sent_twice),
        counted_by: None,
        location: cx.at(retry.node),
    }
}

/// An `HttpStatus` name or code, or an `HttpStatus.Series`, as the range it covers.
fn status_range(name: &str) -> Option<(u16, u16)> {
    let code = match name {
        "SERVER_ERROR" => return Some((500, 599)),
        "CLIENT_ERROR" => return Some((400, 499)),
        "BAD_REQUEST" => 400,
        "NOT_FOUND" => 404,
        "REQUEST_TIMEOUT" => 408,
        "CONFLICT" => 409,
        "TOO_MANY_REQUESTS" => 429,
        "INTERNAL_SERVER_ERROR" => 500,
        "BAD_GATEWAY" => 502,
        "SERVICE_UNAVAILABLE" => 503,
        "GATEWAY_TIMEOUT" => 504,
        _ => name
            .parse()
            .ok()
            .filter(|code| (100..=599).contains(code))?,
    };
    Some((code, code))
}

/// A Resilience4j setting of `instance` in `module`: its own, else its `baseConfig`'s (by
/// default the `default` config's).
fn resilience<'a>(
    section: Option<(FileId, &'a Node)>,
    module: &str,
    instance: &str,
    key: &str,
) -> Option<(FileId, &'a Node)> {
    let (file, section) = section?;
    let module = lookup(section, module)?;
    let own = lookup(module, "instances").and_then(|all| all.get(instance));
    let base = own
        .and_then(|own| lookup(own, "baseConfig")?.as_str())
        .unwrap_or("default");
    let config = lookup(module, "configs").and_then(|all| all.get(base));
    Some((
        file,
        [own, config]
            .into_iter()
            .flatten()
            .find_map(|c| lookup(c, key))?,
    ))
}

/// The CircuitBreaker filter: a Resilience4j breaker, its `fallbackUri`, and its TimeLimiter,
/// which bounds everything after the filter: the whole request, retries included, unless a
/// Retry filter comes first and repeats the breaker, when it bounds each attempt.
fn read_breaker(
    cx: &mut Reader<'_>,
    document: &Node,
    section: Option<(FileId, &Node)>,
    filter: &Definition<'_>,
    inside_retry: bool,
    policy: &mut Policy,
) {
    let instance = cx
        .field(&filter.args, "name")
        .and_then(Node::scalar_text)
        .unwrap_or_default()
        .to_string();
    let fallback = cx
        .field(&filter.args, "fallbackUri")
        .and_then(|node| Some((node.scalar_text()?.to_string(), cx.at(node))));
    let status = fallback.is_none().then_some(503);
    let location = cx.at(filter.node);
    policy.circuit_breakers.push(CircuitBreaker {
        kind: CircuitBreakerKind::Expression,
        location,
        ineffective: None,
        open_status: status,
        trip: None,
    });
    policy.statuses.on_circuit_open = status;
    if let Some((uri, location)) = fallback {
        policy.fallbacks.push(Fallback {
            kind: FallbackKind::FailoverOnStatus,
            targets: vec![uri],
            location,
        });
    }
    let disabled = "spring.cloud.circuitbreaker.resilience4j.disable-time-limiter";
    if lookup(document, disabled).and_then(Node::as_bool) == Some(true) {
        return;
    }
    let configured = resilience(section, "timelimiter", &instance, "timeoutDuration").and_then(
        |(file, node)| {
            let mut reader = Reader::new(cx, file, Naming::Relaxed, Dialect::Spring);
            reader.duration_of("timeoutDuration", node, Dialect::Spring)
        },
    );
    let limit = configured.unwrap_or_else(|| TIME_LIMIT.sourced());
    if inside_retry {
        // The limiter ends the whole attempt, body included, whatever the response timeout.
        policy.per_try_timeout = Some(limit);
        policy.per_try_until_response = false;
    } else {
        policy.timeout = Some(limit.map(Timeout::Bounded));
    }
}
