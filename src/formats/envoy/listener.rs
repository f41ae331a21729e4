//! Listeners and their HTTP connection managers: where route configurations are found, and the
//! HTTP filters (local and global rate limits) that answer requests before any upstream does.

use super::message::report_fields_set_twice;
use super::route::read_route_configuration;
use super::{list, Scope};
use crate::collections::HashSet;
use crate::formats::read::Naming::Proto;
use crate::formats::read::Reader;
use crate::model::policy::RateLimit;
use crate::source::Node;

const HTTP_CONNECTION_MANAGER: &str = "envoy.filters.network.http_connection_manager";
const LOCAL_RATE_LIMIT: &str = "envoy.filters.http.local_ratelimit";
const GLOBAL_RATE_LIMIT: &str = "envoy.filters.http.ratelimit";
const TOO_MANY_REQUESTS: u16 = 429;

/// A listener's filter chains, its default one last.
fn filter_chains(listener: &Node) -> impl Iterator<Item = &Node> {
    list(Proto.field(listener, "filter_chains"))
        .iter()
        .chain(Proto.field(listener, "default_filter_chain"))
}

/// The configurations of a listener's HTTP connection managers.
pub(super) fn connection_managers(listener: &Node) -> impl Iterator<Item = &Node> {
    filter_chains(listener)
        .flat_map(|chain| list(Proto.field(chain, "filters")))
        .filter_map(http_connection_manager)
}

/// Reads the routes of a listener's connection managers: their inline route configuration, or
/// the one of the scope they name through RDS. `reached_through_rds` holds the names of those
/// read that way, so that each is read once, with the HTTP filters of the first listener.
pub(super) fn read_listener<'a>(
    cx: &mut Reader<'_>,
    listener: &'a Node,
    scope: &Scope<'a>,
    reached_through_rds: &mut HashSet<&'a str>,
) {
    report_fields_set_twice(cx, listener);
    for chain in filter_chains(listener) {
        report_fields_set_twice(cx, chain);
        for filter in list(Proto.field(chain, "filters")) {
            report_fields_set_twice(cx, filter);
            let Some(config) = http_connection_manager(filter) else {
                legacy_connection_manager(cx, filter);
                continue;
            };
            report_fields_set_twice(cx, config);
            if let Some(route_config) = Proto.field(config, "route_config") {
                let filters = HttpFilters::read(cx, config);
                read_route_configuration(cx, route_config, scope, &filters);
            } else if let Some(name) = Proto
                .field(config, "rds")
                .and_then(|rds| Proto.field(rds, "route_config_name"))
                .and_then(Node::as_str)
            {
                if let Some(route_config) = scope.route_configurations.get(name) {
                    if reached_through_rds.insert(name) {
                        let filters = HttpFilters::read(cx, config);
                        read_route_configuration(cx, route_config, scope, &filters);
                    }
                }
            }
        }
    }
}

/// Envoy's v2 form (`envoy.http_connection_manager` with `config:`), which Envoy no longer
/// reads since 1.18: its routes are not read either, and that is said.
fn legacy_connection_manager(cx: &mut Reader<'_>, filter: &Node) {
    let name = Proto.field(filter, "name").and_then(Node::as_str);
    let manager = matches!(
        name,
        Some(HTTP_CONNECTION_MANAGER | "envoy.http_connection_manager")
    );
    if let (true, Some(at)) = (manager, cx.key_at(filter, "config")) {
        cx.invalid_at(
            at,
            "`config` is Envoy's v2 form, removed in Envoy 1.18; write `typed_config` with an \
             `@type` (its routes are not read)",
        );
    }
}

/// The configuration of an HTTP connection manager network filter.
fn http_connection_manager(filter: &Node) -> Option<&Node> {
    let config = Proto.field(filter, "typed_config")?;
    let by_name =
        Proto.field(filter, "name").and_then(Node::as_str) == Some(HTTP_CONNECTION_MANAGER);
    let by_type = config
        .get("@type")
        .and_then(Node::as_str)
        .is_some_and(|type_url| type_url.ends_with(".HttpConnectionManager"));
    (by_name || by_type).then_some(config)
}

/// The HTTP filters of a connection manager that change what a route answers by itself.
#[derive(Default)]
pub(super) struct HttpFilters<'a> {
    /// The local rate limit filter is installed.
    local_rate_limit: bool,
    /// Its connection-manager-wide configuration (routes and virtual hosts may replace it).
    local_rate_limit_config: Option<&'a Node>,
    /// The global rate limit filter's status for limited requests, when it is installed.
    global_rate_limit: Option<u16>,
}

impl<'a> HttpFilters<'a> {
    /// A route configuration on its own: its connection manager is defined elsewhere, so the
    /// rate limit filters that routes configure are taken to be installed.
    pub(super) fn elsewhere() -> Self {
        HttpFilters {
            local_rate_limit: true,
            local_rate_limit_config: None,
            global_rate_limit: Some(TOO_MANY_REQUESTS),
        }
    }

    pub(super) fn read(cx: &mut Reader<'_>, manager: &'a Node) -> Self {
        let mut filters = HttpFilters::default();
        for filter in list(Proto.field(manager, "http_filters")) {
            let name = Proto
                .field(filter, "name")
                .and_then(Node::as_str)
                .unwrap_or_default();
            let config = Proto.field(filter, "typed_config");
            let type_url = config
                .and_then(|config| config.get("@type"))
                .and_then(Node::as_str)
                .unwrap_or_default();
            if name == LOCAL_RATE_LIMIT || type_url.ends_with(".LocalRateLimit") {
                filters.local_rate_limit = true;
                filters.local_rate_limit_config = config;
            } else if name == GLOBAL_RATE_LIMIT
                || type_url.ends_with("filters.http.ratelimit.v3.RateLimit")
            {
                let status = config
                    .and_then(|config| Proto.field(config, "rate_limited_status"))
                    .and_then(|status| http_status(cx, status));
                filters.global_rate_limit = Some(status.unwrap_or(TOO_MANY_REQUESTS));
            }
        }
        filters
    }
}

/// An `HttpStatus` object's `code`: a number or a `StatusCode` enum name.
fn http_status(cx: &mut Reader<'_>, status: &Node) -> Option<u16> {
    let code = Proto.field(status, "code")?;
    let text = code.scalar_text().unwrap_or_default();
    let named = match text {
        "OK" => Some(200),
        "BadRequest" => Some(400),
        "Unauthorized" => Some(401),
        "Forbidden" => Some(403),
        "NotFound" => Some(404),
        "RequestTimeout" => Some(408),
        "TooManyRequests" => Some(429),
        "InternalServerError" => Some(500),
        "BadGateway" => Some(502),
        "ServiceUnavailable" => Some(503),
        "GatewayTimeout" => Some(504),
        _ => text
            .parse::<u16>()
            .ok()
            .filter(|code| (200..600).contains(code)),
    };
    if named.is_none() {
        cx.invalid(code,
            format!("`code`: `{text}` is not an HTTP status (a number or a name such as `TooManyRequests`)"),
        );
    }
    named
}

/// A runtime fraction's default (`default_value.numerator`) is above zero.
fn fraction_enabled(fraction: Option<&Node>) -> bool {
    fraction
        .and_then(|fraction| Proto.field(fraction, "default_value"))
        .and_then(|value| Proto.field(value, "numerator"))
        .and_then(Node::scalar_text)
        .and_then(|numerator| numerator.parse::<u64>().ok())
        .is_some_and(|numerator| numerator > 0)
}

/// A local rate limit configuration that limits requests: it has a token bucket and is enabled
/// and enforced for some requests (both default to 0 %).
fn local_rate_limit(cx: &mut Reader<'_>, config: &Node) -> Option<RateLimit> {
    let limits = Proto.field(config, "token_bucket").is_some()
        && fraction_enabled(Proto.field(config, "filter_enabled"))
        && fraction_enabled(Proto.field(config, "filter_enforced"));
    limits.then(|| RateLimit {
        location: cx.anchor(config),
        status: Proto
            .field(config, "status")
            .and_then(|status| http_status(cx, status))
            .unwrap_or(TOO_MANY_REQUESTS),
    })
}

/// The rate limit that applies to a route: a local rate limit configured on the route, else on
/// its virtual host, else on the connection manager (each replaces the one above), or the global
/// rate limit filter when the route or virtual host declares `rate_limits`.
pub(super) fn route_rate_limit(
    cx: &mut Reader<'_>,
    route: &Node,
    virtual_host: &Node,
    filters: &HttpFilters<'_>,
) -> Option<RateLimit> {
    if filters.local_rate_limit {
        let config = per_filter_local_rate_limit(route)
            .or_else(|| per_filter_local_rate_limit(virtual_host))
            .or(filters.local_rate_limit_config);
        if let Some(limit) = config.and_then(|config| local_rate_limit(cx, config)) {
            return Some(limit);
        }
    }
    let status = filters.global_rate_limit?;
    let declares = |node: &Node, key: &str| {
        Proto
            .field(node, key)
            .filter(|limits| !limits.items().is_empty())
            .map(|limits| cx.anchor(limits.items().first().unwrap_or(limits)))
    };
    let declared = Proto
        .field(route, "route")
        .and_then(|action| declares(action, "rate_limits"))
        .or_else(|| declares(virtual_host, "rate_limits"))?;
    Some(RateLimit {
        location: declared,
        status,
    })
}

fn per_filter_local_rate_limit(node: &Node) -> Option<&Node> {
    Proto
        .field(node, "typed_per_filter_config")
        .and_then(|configs| configs.get(LOCAL_RATE_LIMIT))
}
