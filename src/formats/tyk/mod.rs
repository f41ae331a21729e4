//! Tyk API definitions: the classic JSON definition (`proxy.listen_path`, `version_data`) and a
//! Tyk OAS document (an OpenAPI 3 document carrying `x-tyk-api-gateway`). What follows models the
//! Tyk gateway at tag v5.15.0-alpha14 (TykTechnologies/tyk commit 31e219be):
//! `gateway/reverse_proxy.go` (`proxyTimeout`, `WrappedServeHTTP`), `apidef/api_definitions.go`
//! (`HardTimeoutMeta`, `CircuitBreakerMeta`, `UptimeTests`) and `apidef/oas/middleware.go`
//! (`EnforceTimeout`, `CircuitBreaker`).
//!
//! Classic paths are written relative to the listen path, as the upstream's own spec writes them.
//! A Tyk OAS route names its operation, so the join links it to the same document's operation.

mod classic;

use std::time::Duration;

use super::read::{GatewayDefault, Naming, Reader, Release};
use super::values::Dialect;
use super::{AdaptContext, Adapter};
use crate::model::policy::{
    ActiveCheck, BreakerTrip, BreakerWindow, CircuitBreaker, CircuitBreakerKind, GatewayStatuses,
    HealthCheck, Retry, Upstream,
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
/// The host checker probes every `uptime_tests.config.time_wait` seconds of tyk.conf, 10 when
/// unset (`defaultTimeout` in `gateway/host_checker.go`), staggered by up to 3s either way.
static UPTIME_INTERVAL: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(10),
    "Tyk's uptime test interval of {} (tyk.conf `uptime_tests.config.time_wait`)",
);
/// The rate breaker counts the calls of its last 10s (`DefaultWindowTime` of the breaker
/// library Tyk forks, github.com/rubyist/circuitbreaker).
static BREAKER_WINDOW: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(10),
    "the {} window of Tyk's rate breaker",
);
/// "Upstream service reached hard timeout." is answered with `http.StatusGatewayTimeout`.
const TIMEOUT_STATUS: u16 = 504;
/// "Service temporarily unavailable." while the breaker is not `Ready()`.
const OPEN_STATUS: u16 = 503;

fn detect(document: &Node) -> bool {
    if is_gateway_conf(document) {
        return true;
    }
    if document.get("openapi").is_some() {
        return document.get(OAS).is_some_and(Node::is_map);
    }
    document
        .get("proxy")
        .is_some_and(|proxy| proxy.get("listen_path").is_some())
        && (document.get("api_id").is_some() || document.get("version_data").is_some())
}

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    if is_gateway_conf(document) {
        // Read by every API definition of the run (`gateway_conf`); it routes nothing itself.
        return;
    }
    let cx = &mut Reader::new(cx, file, Naming::Exact, Dialect::Seconds);
    let conf = gateway_conf(cx);
    match document
        .get(OAS)
        .filter(|_| document.get("openapi").is_some())
    {
        Some(extension) => oas(cx, document, extension, &conf),
        None => classic::classic(cx, document, &conf),
    }
}

/// What the gateway's own tyk.conf sets for every API, when the run holds it (a document with
/// `listen_port` and `secret`): `proxy_default_timeout` (seconds; 0 is unset) and
/// `uptime_tests.config.time_wait`.
#[derive(Default)]
pub(super) struct Conf {
    timeout: Option<Sourced<Duration>>,
    interval: Option<Sourced<Duration>>,
}

fn is_gateway_conf(document: &Node) -> bool {
    document.get("listen_port").is_some() && document.get("secret").is_some()
}

fn gateway_conf(cx: &mut Reader<'_>) -> Conf {
    let found = cx
        .kube
        .shared_document(cx.workspace, "tyk.conf", is_gateway_conf);
    let Some((file, conf)) = found else {
        return Conf::default();
    };
    let cx = &mut cx.for_file(file);
    let seconds = |value: Sourced<f64>| value.map(Duration::from_secs_f64);
    let timeout = cx.number(conf, "proxy_default_timeout", "seconds", |s| {
        (0.0..1e9).contains(&s)
    });
    let interval = conf
        .pointer(&["uptime_tests", "config"])
        .and_then(|config| {
            cx.number(config, "time_wait", "whole seconds", |s| {
                (0.0..1e9).contains(&s)
            })
        });
    Conf {
        timeout: timeout.map(seconds).filter(positive),
        interval: interval.map(seconds).filter(positive),
    }
}

fn oas(cx: &mut Reader<'_>, document: &Node, extension: &Node, conf: &Conf) {
    let upstream_node = cx.map(extension, "upstream");
    let mut upstream = target(cx, upstream_node, "url");
    // `upstream.loadBalancing`, the classic `enable_load_balancing` over weighted targets; its
    // `skipUnavailableHosts` is `check_host_against_uptime_tests`, without which uptime tests
    // take no target out.
    let balancing = upstream_node
        .and_then(|node| cx.map(node, "loadBalancing"))
        .filter(|balancing| cx.flag(balancing, "enabled") == Some(true));
    let mut health = upstream_node.and_then(|node| oas_health(cx, node, conf));
    if let Some(balancing) = balancing {
        let weighted = cx.list(balancing, "targets").iter();
        let targets = weighted.filter(|t| t.get("weight").and_then(Node::scalar_text) != Some("0"));
        if let Some(upstream) = upstream.as_mut() {
            upstream.endpoints = u32::try_from(targets.count()).ok();
        }
        if cx.flag(balancing, "skipUnavailableHosts") != Some(true) {
            health = None;
        }
    }
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
            // Looked up through an index: a description has as many operations as paths.
            let settings = id.and_then(|id| operations.and_then(|ops| cx.kube.get(ops, id)));
            let timeout = settings
                .and_then(|op| cx.map(op, "enforceTimeout"))
                .filter(|timeout| cx.flag(timeout, "enabled") == Some(true))
                .and_then(|timeout| {
                    cx.duration_in(timeout, "duration", Dialect::Go)
                        .filter(positive)
                        .or_else(|| cx.duration(timeout, "value").filter(positive))
                })
                .or_else(|| api_timeout.clone())
                .or_else(|| conf.timeout.clone());
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
            cx.push_route(Route {
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

fn oas_health(cx: &mut Reader<'_>, upstream: &Node, conf: &Conf) -> Option<HealthCheck> {
    let tests = cx.map(upstream, "uptimeTests")?;
    if cx.flag(tests, "enabled") != Some(true) {
        return None;
    }
    let first = cx.list(tests, "tests").first()?;
    let timeout = cx.duration_in(first, "timeout", Dialect::Go);
    active_check(cx.key_at(tests, "tests")?, timeout, conf)
}

/// Uptime tests probe the upstream on the gateway's schedule.
pub(super) fn active_check(
    location: Location,
    timeout: Option<Sourced<Duration>>,
    conf: &Conf,
) -> Option<HealthCheck> {
    let interval = conf.interval.clone();
    let active = ActiveCheck {
        interval: Some(interval.unwrap_or_else(|| UPTIME_INTERVAL.sourced())),
        timeout,
        location,
    };
    Some(HealthCheck {
        active: Some(active),
        passive: None,
    })
}

/// Tyk's rate breaker (`ExtendedCircuitBreakerMeta`, `circuit.NewRateBreaker(threshold,
/// samples)` of github.com/TykTechnologies/circuitbreaker): it opens once the calls of its 10s
/// window hold `samples` and the share of failures (errors and 5xx answers) reaches the
/// threshold, a fraction of 1; it is reset after `return_to_service_after` seconds.
pub(super) fn breaker(
    cx: &mut Reader<'_>,
    item: &Node,
    [ratio, samples, cool_down]: [&str; 3],
) -> Option<CircuitBreaker> {
    let location = cx.anchor(item);
    let fraction = "a fraction between 0 and 1";
    let threshold = cx.number(item, ratio, fraction, |f| (0.0..=1.0).contains(&f));
    let samples = cx.count(item, samples);
    let cool_down = cx.count(item, cool_down);
    if cx.field(item, ratio).is_some() && threshold.is_none() {
        return None;
    }
    let trip = threshold
        .zip(samples)
        .zip(cool_down)
        .map(|((rate, samples), cool_down)| BreakerTrip {
            failure_rate: rate.map(|fraction| fraction * 100.0),
            slow_calls: None,
            window: BREAKER_WINDOW.sourced().map(BreakerWindow::Time),
            minimum_calls: samples,
            open_for: cool_down.map(|seconds| Duration::from_secs(u64::from(seconds))),
        });
    Some(CircuitBreaker {
        kind: CircuitBreakerKind::Expression,
        location,
        ineffective: None,
        open_status: Some(OPEN_STATUS),
        trip,
    })
}

/// Tyk treats an enforced timeout of zero as unset.
pub(super) fn positive(timeout: &Sourced<Duration>) -> bool {
    !timeout.value.is_zero()
}

pub(super) fn policy(
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

pub(super) fn target(cx: &mut Reader<'_>, object: Option<&Node>, key: &str) -> Option<Upstream> {
    let node = object.and_then(|object| cx.field(object, key))?;
    let url = node.as_str().filter(|url| !url.is_empty())?;
    let host = url.split_once("://").map_or(url, |(_, rest)| rest);
    Some(Upstream {
        name: host.split(['/', '?']).next().unwrap_or(host).to_string(),
        endpoints: None,
        location: Some(cx.at(node)),
    })
}

/// Tyk matches a path as a regular expression anchored at its start, `{name}` standing for one
/// segment (`PrepareSpecRegexp`); a plain path is thus a prefix.
pub(super) fn path_match(location: Location, pattern: &str) -> PathMatch {
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
