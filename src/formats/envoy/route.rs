//! Virtual hosts and routes: path and method matchers, the route action's timeout, retry policy
//! and clusters, direct responses and redirects.

use std::time::Duration;

use super::listener::{route_rate_limit, HttpFilters};
use super::message::report_fields_set_twice;
use super::retry::read_retry;
use super::RELEASE;
use super::{list, Scope, NO_HEALTHY_UPSTREAM};
use crate::formats::read::Naming::Proto;
use crate::formats::read::{GatewayDefault, Reader};
use crate::formats::values;
use crate::model::policy::{Fallback, FallbackKind, GatewayStatuses, Retry, Upstream};
use crate::model::route::Rewrite;
use crate::model::{GatewayFormat, Method, MethodSet, PathKind, PathMatch, Policy, Route, Timeout};
use crate::source::Node;
use crate::span::Location;

static ROUTE_TIMEOUT: GatewayDefault<Timeout> = GatewayDefault::new(
    RELEASE,
    Timeout::Bounded(Duration::from_secs(15)),
    "Envoy's default route timeout of {}",
);
const URI_TEMPLATE_MATCHER: &str = "envoy.path.match.uri_template";
const UPSTREAM_TIMEOUT: u16 = 504;

/// What a virtual host gives its routes.
struct VirtualHostContext<'a> {
    hosts: Vec<String>,
    retry: Option<Retry>,
    node: &'a Node,
    /// Whether Envoy refuses the route table when a route names a cluster it does not have.
    validate_clusters: bool,
}

pub(super) fn read_route_configuration(
    cx: &mut Reader<'_>,
    configuration: &Node,
    scope: &Scope<'_>,
    filters: &HttpFilters<'_>,
) {
    report_fields_set_twice(cx, configuration);
    // `RouteConfiguration.validate_clusters` (route.proto, Envoy 1.36): "defaults to true if
    // the route table is statically defined via the route_config option", and then "if a route
    // refers to a non-existent cluster, the route table will not load".
    let validate_clusters = scope.defines_every_cluster
        && Proto
            .field(configuration, "validate_clusters")
            .and_then(Node::as_bool)
            .unwrap_or(true);
    for virtual_host in list(Proto.field(configuration, "virtual_hosts")) {
        report_fields_set_twice(cx, virtual_host);
        let domains = Proto.field(virtual_host, "domains").map(Node::items);
        let host = VirtualHostContext {
            hosts: values::scalar_texts(domains.unwrap_or_default()),
            retry: read_retry(cx, virtual_host),
            node: virtual_host,
            validate_clusters,
        };
        for route in list(Proto.field(virtual_host, "routes")) {
            read_route(cx, route, &host, scope, filters);
        }
    }
}

fn read_route(
    cx: &mut Reader<'_>,
    route: &Node,
    host: &VirtualHostContext<'_>,
    scope: &Scope<'_>,
    filters: &HttpFilters<'_>,
) {
    report_fields_set_twice(cx, route);
    let route_location = cx.anchor(route);
    let Some(matcher) = Proto.field(route, "match") else {
        cx.invalid(route,
            "an Envoy route needs a `match` (prefix, path, safe_regex, path_separated_prefix or path_match_policy)",
        );
        return;
    };
    report_fields_set_twice(cx, matcher);
    let Some(mut path) = read_path(cx, matcher) else {
        return;
    };
    let (methods, methods_location) = read_methods(cx, matcher);
    let mut policy = Policy::default();
    // A route Envoy refuses is read for what else is wrong in it, and not linted.
    let mut refused = false;
    if let Some(action) = Proto.field(route, "route") {
        report_fields_set_twice(cx, action);
        refused = host.validate_clusters && names_unknown_cluster(cx, action, scope);
        policy = route_action_policy(cx, action, host, scope);
        if let Some(rewrite) = Proto.field(action, "prefix_rewrite").and_then(Node::as_str) {
            if matches!(
                path.kind,
                PathKind::Prefix | PathKind::SegmentPrefix | PathKind::Exact
            ) {
                path.rewrite = Some(Rewrite {
                    strip_prefix: path.pattern.clone(),
                    add_prefix: rewrite.to_string(),
                });
            }
        }
    } else if let Some(response) = Proto.field(route, "direct_response") {
        let status = cx.status_from(response, "status", 200);
        policy.fallbacks.push(Fallback {
            kind: FallbackKind::StaticResponse,
            targets: status
                .map(|code| code.value.to_string())
                .into_iter()
                .collect(),
            location: cx
                .key_at(route, "direct_response")
                .unwrap_or(route_location),
        });
    } else if Proto.field(route, "redirect").is_some() {
        policy.fallbacks.push(Fallback {
            kind: FallbackKind::StaticResponse,
            targets: vec!["redirect".to_string()],
            location: cx.key_at(route, "redirect").unwrap_or(route_location),
        });
    }
    policy.rate_limit = route_rate_limit(cx, route, host.node, filters);
    if let Some(limit) = &policy.rate_limit {
        policy.statuses.on_rate_limited = Some(limit.status);
    }
    if refused {
        return;
    }
    let name = Proto.field(route, "name").and_then(Node::scalar_text);
    cx.push_route(Route {
        name: name.map(str::to_string),
        methods,
        methods_location,
        hosts: host.hosts.clone(),
        ..Route::new(GatewayFormat::Envoy, route_location, path, policy)
    });
}

/// Reports the clusters a route action names that the bootstrap does not define, where Envoy
/// refuses the whole route table for it and does not start; whether there was one.
fn names_unknown_cluster(cx: &mut Reader<'_>, action: &Node, scope: &Scope<'_>) -> bool {
    let weighted = Proto
        .field(action, "weighted_clusters")
        .map(|weighted| list(Proto.field(weighted, "clusters")))
        .unwrap_or_default()
        .iter()
        .filter_map(|cluster| Proto.field(cluster, "name"));
    let mut unknown = false;
    for name in Proto.field(action, "cluster").into_iter().chain(weighted) {
        let Some(text) = name.as_str().filter(|text| scope.cluster(text).is_none()) else {
            continue;
        };
        cx.invalid(
            name,
            format!(
                "cluster `{text}` is not defined in this bootstrap: Envoy refuses the route \
                 table (`validate_clusters` is on for a static `route_config`) and does not \
                 start; define it under `static_resources.clusters` or name one that is"
            ),
        );
        unknown = true;
    }
    unknown
}

/// The route's path matcher; `None` (reported) when it has none Envoy accepts, and `None`
/// (silently) for CONNECT matchers, which are not HTTP API routes.
fn read_path(cx: &mut Reader<'_>, matcher: &Node) -> Option<PathMatch> {
    let plain = [
        ("prefix", PathKind::Prefix),
        ("path", PathKind::Exact),
        ("path_separated_prefix", PathKind::SegmentPrefix),
    ]
    .into_iter()
    .find_map(|(key, kind)| Some((key, kind, Proto.field(matcher, key)?)));
    let (key, kind, node) = if let Some(found) = plain {
        found
    } else if let Some(safe_regex) = Proto.field(matcher, "safe_regex") {
        let Some(node) = Proto.field(safe_regex, "regex") else {
            cx.invalid(safe_regex, "`safe_regex` needs a `regex`");
            return None;
        };
        // Envoy matches the regular expression against the whole path.
        ("regex", PathKind::Regex { full: true }, node)
    } else if let Some(policy) = Proto.field(matcher, "path_match_policy") {
        let name = Proto.field(policy, "name").and_then(Node::as_str);
        let template = Proto
            .field(policy, "typed_config")
            .and_then(|config| Proto.field(config, "path_template"));
        match (name, template) {
            (Some(URI_TEMPLATE_MATCHER) | None, Some(node)) => {
                ("path_template", PathKind::Template, node)
            }
            _ => {
                cx.invalid(policy, "`path_match_policy`: only the `envoy.path.match.uri_template` extension with a `path_template` is understood");
                return None;
            }
        }
    } else {
        if Proto.field(matcher, "connect_matcher").is_some() {
            return None;
        }
        if let Some(node) = Proto.field(matcher, "regex") {
            cx.invalid(node, "`regex` was removed from Envoy's route match in the v3 API; use `safe_regex: {regex: ...}`");
            return None;
        }
        let at = cx.anchor(matcher);
        cx.invalid_at(at, "`match` needs one of `prefix`, `path`, `safe_regex`, `path_separated_prefix` or `path_match_policy`");
        return None;
    };
    let Some(written) = node.as_str() else {
        let found = node.type_name();
        cx.invalid(node, format!("`{key}` must be a string, found {found}"));
        return None;
    };
    let pattern = match kind {
        PathKind::Regex { .. } => {
            match crate::model::pattern::compile(written) {
                Ok(_) => written.to_string(),
                Err(error) => {
                    let problem = values::regex_problem(&error);
                    cx.invalid(node, format!("`regex`: `{written}` is not a valid RE2 regular expression ({problem})"));
                    return None;
                }
            }
        }
        PathKind::Template => match uri_template(written) {
            Some(pattern) => pattern,
            None => {
                cx.invalid(node, format!("`path_template`: `{written}` is not a URI template such as `/books/{{id}}` or `/files/**`"));
                return None;
            }
        },
        _ => written.to_string(),
    };
    Some(PathMatch::new(kind, pattern, cx.at(node)))
}

/// An Envoy URI template in the form the join reads: `{name}` and `{name=*}` are one segment,
/// `{name=**}` and `**` the rest of the path. `None` when it is not a template Envoy accepts.
pub(super) fn uri_template(template: &str) -> Option<String> {
    if !template.starts_with('/') {
        return None;
    }
    let mut segments = Vec::new();
    for segment in template.split('/').skip(1) {
        let normalized = match segment {
            "*" | "**" => segment.to_string(),
            _ if segment.starts_with('{') && segment.ends_with('}') => {
                let inner = segment.get(1..segment.len() - 1)?;
                let (name, pattern) = inner.split_once('=').unwrap_or((inner, "*"));
                if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                {
                    return None;
                }
                match pattern {
                    "*" => format!("{{{name}}}"),
                    "**" => "**".to_string(),
                    _ => return None,
                }
            }
            _ if segment.contains(['{', '}']) => return None,
            _ => segment.to_string(),
        };
        segments.push(normalized);
    }
    Some(format!("/{}", segments.join("/")))
}

/// The methods a route accepts, from its `:method` header matchers (all must match).
fn read_methods(cx: &mut Reader<'_>, matcher: &Node) -> (MethodSet, Option<Location>) {
    let Some(headers) = Proto.field(matcher, "headers") else {
        return (MethodSet::Any, None);
    };
    let mut allowed: Option<Vec<Method>> = None;
    for header in headers.items() {
        if Proto.field(header, "name").and_then(Node::as_str) != Some(":method") {
            continue;
        }
        let Some(methods) = method_matcher(cx, header) else {
            continue;
        };
        allowed = Some(match allowed {
            None => methods,
            Some(previous) => previous
                .into_iter()
                .filter(|method| methods.contains(method))
                .collect(),
        });
    }
    match allowed {
        Some(methods) => (MethodSet::Only(methods), Some(cx.at(headers))),
        None => (MethodSet::Any, None),
    }
}

/// The methods one `:method` header matcher accepts; `None` when it does not constrain them.
fn method_matcher(cx: &mut Reader<'_>, header: &Node) -> Option<Vec<Method>> {
    let string_match = Proto.field(header, "string_match");
    let (ignore_case, field, value) = match string_match {
        Some(string_match) => {
            let ignore_case = Proto
                .field(string_match, "ignore_case")
                .and_then(Node::as_bool)
                == Some(true);
            let found = ["exact", "prefix", "suffix", "contains", "safe_regex"]
                .into_iter()
                .find_map(|field| Proto.field(string_match, field).map(|value| (field, value)));
            let (field, value) = found?;
            (ignore_case, field, value)
        }
        None => {
            let found = [
                ("exact_match", "exact"),
                ("prefix_match", "prefix"),
                ("suffix_match", "suffix"),
                ("contains_match", "contains"),
                ("safe_regex_match", "safe_regex"),
            ]
            .into_iter()
            .find_map(|(key, field)| Proto.field(header, key).map(|value| (field, value)))?;
            (false, found.0, found.1)
        }
    };
    let value_node = if field == "safe_regex" {
        Proto.field(value, "regex").unwrap_or(value)
    } else {
        value
    };
    let Some(text) = value_node.as_str() else {
        cx.invalid(
            value_node,
            format!(
                "the `:method` matcher needs a string, found {}",
                value_node.type_name()
            ),
        );
        return None;
    };
    let regex = if field == "safe_regex" {
        match crate::model::pattern::compile(&format!("^(?:{text})$")) {
            Ok(regex) => Some(regex),
            Err(error) => {
                cx.invalid(
                    value_node,
                    format!(
                        "`{text}` is not a valid RE2 regular expression ({})",
                        values::regex_problem(&error)
                    ),
                );
                return None;
            }
        }
    } else {
        None
    };
    let wanted = if ignore_case {
        text.to_ascii_uppercase()
    } else {
        text.to_string()
    };
    let invert = Proto.field(header, "invert_match").and_then(Node::as_bool) == Some(true);
    let methods: Vec<Method> = Method::ALL
        .into_iter()
        .filter(|method| {
            let name = method.to_string();
            let matched = match (field, &regex) {
                (_, Some(regex)) => regex.is_match(&name),
                ("exact", _) => name == wanted,
                ("prefix", _) => name.starts_with(&wanted),
                ("suffix", _) => name.ends_with(&wanted),
                _ => name.contains(&wanted),
            };
            matched != invert
        })
        .collect();
    if methods.is_empty() {
        cx.invalid(
            value_node,
            format!(
                "the `:method` matcher `{text}` matches no HTTP method (methods are upper case)"
            ),
        );
    }
    Some(methods)
}

/// The policy of a route that forwards to a cluster.
fn route_action_policy(
    cx: &mut Reader<'_>,
    action: &Node,
    host: &VirtualHostContext<'_>,
    scope: &Scope<'_>,
) -> Policy {
    let timeout = cx
        .duration(action, "timeout")
        .map(Timeout::zero_disables)
        .unwrap_or_else(|| ROUTE_TIMEOUT.sourced());
    // A route's retry policy replaces the virtual host's; they are not merged.
    let retry = if Proto.field(action, "retry_policy").is_some() {
        read_retry(cx, action)
    } else {
        host.retry.clone()
    };
    let bounded = timeout.value.bound().is_some();
    let mut policy = Policy {
        timeout: Some(timeout),
        per_try_timeout: retry
            .as_ref()
            .and_then(|retry| retry.per_try_timeout.clone()),
        statuses: GatewayStatuses {
            on_timeout: None,
            on_circuit_open: Some(NO_HEALTHY_UPSTREAM),
            on_rate_limited: None,
        },
        retry,
        per_try_until_response: true,
        ..Policy::default()
    };
    if bounded || policy.per_try_timeout.is_some() {
        policy.statuses.on_timeout = Some(UPSTREAM_TIMEOUT);
    }
    if Proto.field(action, "cluster").is_some() {
        if let Some(name) = cx.text(action, "cluster") {
            link_cluster(&mut policy, name, scope);
        }
    } else if let Some(weighted) = Proto.field(action, "weighted_clusters") {
        read_weighted_clusters(cx, weighted, &mut policy, scope);
    }
    if let Some(retry) = policy.retry.as_mut() {
        if let Some(cluster) = policy
            .upstream
            .as_ref()
            .and_then(|upstream| scope.cluster(&upstream.name))
        {
            retry.has_budget = cluster.retry_budget;
        }
    }
    policy
}

/// `weighted_clusters`: the heaviest cluster is the route's upstream; two or more clusters
/// with traffic share it as a weighted pool.
fn read_weighted_clusters(
    cx: &mut Reader<'_>,
    weighted: &Node,
    policy: &mut Policy,
    scope: &Scope<'_>,
) {
    let mut members: Vec<(String, u32)> = Vec::new();
    for cluster in list(Proto.field(weighted, "clusters")) {
        let Some(name) = Proto.field(cluster, "name").and_then(Node::as_str) else {
            cx.invalid(cluster, "a weighted cluster needs a `name`");
            continue;
        };
        // The weight is a relative share; an unset weight sends no traffic.
        let weight = cx.count(cluster, "weight").map_or(0, |w| w.value);
        members.push((name.to_string(), weight));
    }
    let serving: Vec<String> = members
        .iter()
        .filter(|(_, weight)| *weight > 0)
        .map(|(name, _)| name.clone())
        .collect();
    // The first of equally heavy clusters.
    if let Some((name, _)) = members.iter().rev().max_by_key(|(_, weight)| *weight) {
        link_cluster(policy, name, scope);
    }
    if serving.len() >= 2 {
        policy.fallbacks.push(Fallback {
            kind: FallbackKind::WeightedPool,
            targets: serving,
            location: cx.anchor(weighted),
        });
    }
}

/// Sets the route's upstream, with the cluster's policy when this document defines it (an
/// aggregate cluster brings its first member's, the one it tries first).
fn link_cluster(policy: &mut Policy, name: &str, scope: &Scope<'_>) {
    let Some(cluster) = scope.cluster(name) else {
        policy.upstream = Some(Upstream {
            name: name.to_string(),
            endpoints: None,
            location: None,
        });
        return;
    };
    let primary = cluster
        .aggregate
        .first()
        .and_then(|member| scope.cluster(member))
        .unwrap_or(cluster);
    let aggregate = !std::ptr::eq(primary, cluster);
    let (primary, cluster) = (&primary.upstream, &cluster.upstream);
    policy.connect_timeout = primary.connect_timeout.clone();
    policy
        .circuit_breakers
        .extend_from_slice(&primary.circuit_breakers);
    policy.health_check = primary.health_check.clone();
    policy.fallbacks.extend_from_slice(&primary.fallbacks);
    if aggregate {
        policy.fallbacks.extend_from_slice(&cluster.fallbacks);
    }
    policy.upstream = Some(Upstream {
        name: cluster.name.clone(),
        endpoints: primary.endpoints,
        location: Some(cluster.location),
    });
}
