//! Classic Tyk API definitions: routes per version (`version_data.versions`), each path of a
//! version's `extended_paths` with its hard timeout and circuit breaker, the rest of the listen
//! path under the version's `global_enforce_timeout`; load balancing over `target_list`; uptime
//! tests.

use crate::collections::HashMap;
use std::time::Duration;

use super::{active_check, breaker, path_match, policy, positive, target, Conf};
use crate::formats::read::Reader;
use crate::formats::values::{shown, Dialect};
use crate::model::policy::{CircuitBreaker, HealthCheck};
use crate::model::{GatewayFormat, Method, MethodSet, Route, Sourced};
use crate::source::Node;
use crate::span::Location;

/// The per-path settings of one (path, method) in a classic definition.
#[derive(Default)]
struct Endpoint<'a> {
    path: Option<&'a Node>,
    method: Option<Method>,
    timeout: Option<Sourced<Duration>>,
    breaker: Option<CircuitBreaker>,
    anchor: Option<Location>,
}

pub(super) fn classic(cx: &mut Reader<'_>, document: &Node, conf: &Conf) {
    let health = classic_health(cx, document, conf);
    let proxy = document.get("proxy");
    let mut upstream = target(cx, proxy, "target_url");
    let balancing = balanced(cx, proxy);
    if let (Some(upstream), Some(targets)) = (upstream.as_mut(), balancing) {
        upstream.endpoints = Some(targets);
    }
    // A version's `override_target` is its proxy's target only in a versioned API
    // (`api_loader.go`), and load balancing then replaces it too (`nextTarget`).
    let not_versioned = document
        .pointer(&["version_data", "not_versioned"])
        .and_then(Node::as_bool)
        == Some(true);
    let overrides = !not_versioned && balancing.is_none();
    let name = cx.text(document, "name").map(str::to_string);
    let listen = proxy
        .and_then(|proxy| proxy.entry("listen_path"))
        .map(|listen| cx.locate(listen.key.span));
    let versions = document
        .get("version_data")
        .and_then(|data| cx.map(data, "versions"))
        .map_or(&[][..], Node::entries);
    // Each version is its own set of routes, chosen per request (`APISpec.Version`); without
    // any, the listen path alone.
    let several = versions.len() > 1;
    let versions = versions
        .iter()
        .map(Some)
        .chain(versions.is_empty().then_some(None));
    for version in versions {
        let version_name = version.and_then(|v| v.key.as_str()).filter(|_| several);
        let name = match (&name, version_name) {
            (Some(name), Some(version)) => Some(format!("{name} {version}")),
            _ => name.clone(),
        };
        let value = version.map(|v| &v.value);
        let upstream = value
            .filter(|_| overrides)
            .and_then(|v| target(cx, Some(v), "override_target"))
            .or_else(|| upstream.clone());
        let (api_timeout, mut endpoints) = value.map(|v| version_paths(cx, v)).unwrap_or_default();
        // Every other path under the listen path is proxied with the version's bound.
        let anchor = match version {
            Some(version) if several => Some(cx.locate(version.key.span)),
            _ => listen,
        };
        endpoints.push(Endpoint {
            anchor,
            ..Endpoint::default()
        });
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
            let timeout = timeout.or_else(|| conf.timeout.clone());
            let policy = policy(timeout, endpoint.breaker, &health, &upstream, anchor);
            cx.push_route(Route {
                format: GatewayFormat::Tyk,
                name: name.clone(),
                location: anchor,
                methods,
                methods_location: None,
                path: path_match(at, pattern),
                hosts: Vec::new(),
                policy,
                explicit_operation: None,
            });
        }
    }
}

/// A version's `global_enforce_timeout` and the paths its `extended_paths` configure, which
/// Tyk reads only with `use_extended_paths` (`APISpec` loading: "Legacy path detected!").
fn version_paths<'a>(
    cx: &mut Reader<'_>,
    version: &'a Node,
) -> (Option<Sourced<Duration>>, Vec<Endpoint<'a>>) {
    let mut timeout = None;
    if cx.flag(version, "global_enforce_timeout_disabled") != Some(true) {
        timeout = cx
            .duration_in(version, "global_enforce_timeout", Dialect::Go)
            .filter(positive);
    }
    let mut endpoints = Endpoints::default();
    let paths = version
        .get("extended_paths")
        .filter(|_| cx.flag(version, "use_extended_paths") == Some(true));
    let Some(paths) = paths else {
        return (timeout, endpoints.list);
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
    (timeout, endpoints.list)
}

/// With `enable_load_balancing`, requests go round-robin over `target_list` (`nextTarget`), each
/// target a peer of the others rather than a fallback; with `check_host_against_uptime_tests`
/// a target its uptime tests mark down is skipped, and when all are, Tyk answers 503.
fn balanced(cx: &mut Reader<'_>, proxy: Option<&Node>) -> Option<u32> {
    let proxy = proxy?;
    if cx.flag(proxy, "enable_load_balancing") != Some(true) {
        return None;
    }
    u32::try_from(cx.list(proxy, "target_list").len()).ok()
}

/// A version's endpoints in the order first configured, and where each (path, method) is.
#[derive(Default)]
struct Endpoints<'a> {
    list: Vec<Endpoint<'a>>,
    by_path_and_method: HashMap<(Option<&'a str>, Option<Method>), usize>,
}

/// The endpoint `item` configures, merged with the earlier entries for the same path and method.
fn endpoint<'e, 'a>(
    cx: &mut Reader<'_>,
    endpoints: &'e mut Endpoints<'a>,
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
    let list = &mut endpoints.list;
    let index = *endpoints
        .by_path_and_method
        .entry((text, method))
        .or_insert_with(|| {
            list.push(Endpoint {
                path,
                method,
                anchor: Some(cx.anchor(item)),
                ..Endpoint::default()
            });
            list.len() - 1
        });
    &mut list[index]
}

/// Uptime tests take a host out of the load balancer only with
/// `proxy.check_host_against_uptime_tests`; otherwise they just raise events.
fn classic_health(cx: &mut Reader<'_>, document: &Node, conf: &Conf) -> Option<HealthCheck> {
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
    active_check(cx.key_at(tests, "check_list")?, timeout, conf)
}
