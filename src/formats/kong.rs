//! Kong declarative configuration (decK / DB-less `kong.yml`): services with nested or
//! top-level routes, upstreams with targets and health checks, and plugins at every scope.

use crate::collections::HashMap;
use crate::source::lenient::holds_template_action;
use std::time::Duration;

use super::read::{GatewayDefault, MethodSpelling, Naming, Reader, Release};
use super::values::{self, Dialect};
use super::{AdaptContext, Adapter};
use crate::model::policy::{
    ActiveCheck, CircuitBreaker, CircuitBreakerKind, Fallback, FallbackKind, GatewayStatuses,
    HealthCheck, RateLimit, Retry, RetryCondition, Upstream,
};
use crate::model::route::Rewrite;
use crate::model::{
    GatewayFormat, GeneratedFile, Method, PathKind, PathMatch, Policy, Route, Setting,
};
use crate::source::Node;
use crate::span::{FileId, Location};

/// The release whose behaviour this adapter models, named in its default notes.
const RELEASE: Release = Release("Kong 3.x");

pub static ADAPTER: Adapter = Adapter {
    name: "kong",
    detect,
    uses_refs: false,
    adapt,
};

/// decK files declare `_format_version`; older ones and test data may not, but their
/// `services` are a list of objects with Kong's service fields. (APISIX services, also a list,
/// carry an `upstream` instead.)
fn detect(document: &Node) -> bool {
    if document.get("_format_version").is_some() {
        return true;
    }
    let Some(services) = document.get("services") else {
        return false;
    };
    const SERVICE_FIELDS: &[&str] = &[
        "url",
        "host",
        "port",
        "protocol",
        "routes",
        "retries",
        "connect_timeout",
        "read_timeout",
        "write_timeout",
    ];
    let items = services.items();
    !items.is_empty()
        && items.iter().all(|service| {
            service.is_map()
                && service.get("upstream").is_none()
                && service.get("upstream_id").is_none()
                && SERVICE_FIELDS
                    .iter()
                    .any(|field| service.get(field).is_some())
        })
}

static READ_TIMEOUT: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(60),
    "Kong's default read_timeout of {}",
);
static CONNECT_TIMEOUT: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(60),
    "Kong's default connect_timeout of {}",
);
static RETRIES: GatewayDefault<u32> =
    GatewayDefault::new(RELEASE, 5, "Kong's default of {} retries");
static ACTIVE_CHECK_TIMEOUT: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(1),
    "Kong's default active check timeout of {}",
);

/// Kong takes any word as a method (`typedefs.http_method`), so a misspelt one is kept and
/// never matches a request.
const METHODS: MethodSpelling = MethodSpelling {
    capitals_only: false,
    served: &Method::ALL,
    others: &[],
    refusal: "is not an HTTP method: Kong keeps the route, but no request ever matches it",
};

const RATE_LIMIT_PLUGINS: &[&str] = &[
    "rate-limiting",
    "rate-limiting-advanced",
    "response-ratelimiting",
];

/// Kong names fields as written and its timeouts in milliseconds; decK fills `${{ env … }}`
/// template actions in before Kong sees a value.
pub(super) fn reader<'a>(cx: &'a mut AdaptContext<'_>, file: FileId) -> Reader<'a> {
    Reader::new(cx, file, Naming::Exact, Dialect::Milliseconds).templated()
}

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    if let Some(source) = generated_from(document) {
        cx.inventory.generated.push(GeneratedFile {
            file,
            source,
            tool: "deck file openapi2kong",
            keys: "`x-kong-service-defaults`, `x-kong-upstream-defaults` or \
                   `x-kong-route-defaults`",
        });
    }
    let cx = &mut reader(cx, file);
    let global_rate_limit = rate_limit(cx, document.get("plugins"));
    let top_level_plugins = TopLevelPlugins::index(cx, document.get_items("plugins"));
    let upstreams = Upstreams::index(document.get("upstreams"));
    // decK refuses a service or route that is not a mapping: each is reported, the rest read.
    let services = cx.maps(document, "services");
    let mut service_contexts = Vec::with_capacity(services.len());
    for &service in &services {
        let mut service_cx =
            ServiceContext::read(cx, service, None, &upstreams, global_rate_limit.clone());
        service_cx.termination = top_level_plugins
            .of_service(service)
            .or_else(|| termination_in(cx, service.get("plugins")));
        let disabled = disabled(service);
        if !disabled {
            for route in cx.maps(service, "routes") {
                add_routes(cx, route, &service_cx, &top_level_plugins);
            }
        }
        service_contexts.push((service_cx, disabled));
    }
    // Top-level routes name their service; the first service of a name is the one found.
    let mut services_by_name =
        HashMap::with_capacity_and_hasher(services.len(), Default::default());
    for (service, (service_cx, disabled)) in services.iter().zip(&service_contexts) {
        if let Some(name) = service.get_text("name") {
            services_by_name
                .entry(name)
                .or_insert((service_cx, *disabled));
        }
    }
    for route in cx.maps(document, "routes") {
        let Some(service_name) = route
            .get("service")
            .and_then(|service| service.scalar_text().or_else(|| service.get_text("name")))
        else {
            continue;
        };
        let Some(&(service_cx, disabled)) = services_by_name.get(service_name) else {
            cx.invalid(
                route.get("service").unwrap_or(route),
                format!("route refers to service `{service_name}`, which is not defined"),
            );
            continue;
        };
        if !disabled {
            add_routes(cx, route, service_cx, &top_level_plugins);
        }
    }
}

/// The OpenAPI file decK's `openapi2kong` generated this file from: it tags each service
/// `OAS3file_<file name>` (go-apiops `openapi2kong`, its default `--select-tag`s).
fn generated_from(document: &Node) -> Option<String> {
    document
        .get_items("services")
        .iter()
        .flat_map(|service| service.get_items("tags"))
        .find_map(|tag| tag.as_str()?.strip_prefix("OAS3file_"))
        .filter(|name| !name.is_empty())
        .map(str::to_string)
}

/// Whether a service says `enabled: false`: Kong leaves its routes out of the router, as if
/// they did not exist (`kong/runloop/handler.lua`, `build_router`, Kong 3.10: "routes where
/// the services.enabled == false are not put in router").
fn disabled(service: &Node) -> bool {
    service.get("enabled").and_then(Node::as_bool) == Some(false)
}

/// What a route whose requests Kong answers itself sends, and where that is configured.
type Termination = (Option<String>, Location);

/// An enabled `request-termination` plugin without a `trigger` among `plugins`.
fn termination_in(cx: &Reader<'_>, plugins: Option<&Node>) -> Option<Termination> {
    plugins?
        .items()
        .iter()
        .find_map(|plugin| terminating(cx, plugin))
}

/// `plugin`, when it is an enabled `request-termination` without a `trigger`: Kong answers
/// every request itself (`kong/plugins/request-termination/handler.lua`, Kong 3.x: with
/// `config.trigger` set it only answers requests that carry that header or query argument, and
/// a plugin scoped to a consumer only answers that consumer). Its `status_code`, 503 by default.
fn terminating(cx: &Reader<'_>, plugin: &Node) -> Option<Termination> {
    let name = plugin.get_text("name")?;
    let enabled = plugin.get("enabled").and_then(Node::as_bool) != Some(false);
    let config = plugin.get("config");
    let triggered = config
        .and_then(|config| config.get("trigger"))
        .is_some_and(|trigger| !trigger.is_null());
    let scoped_to_consumer = ["consumer", "consumer_group"]
        .iter()
        .any(|key| plugin.get(key).is_some_and(|value| !value.is_null()));
    if name != "request-termination" || !enabled || triggered || scoped_to_consumer {
        return None;
    }
    let status = config
        .and_then(|config| config.get("status_code"))
        .and_then(Node::scalar_text)
        .unwrap_or("503")
        .to_string();
    Some((Some(status), cx.anchor(plugin)))
}

/// The terminating top-level plugins, indexed once by the service or route they name, so that
/// a file of many routes is not scanned whole per route. A top-level plugin naming `service:`
/// or `route:` applies there; one naming neither service, route, consumer nor consumer group
/// applies to every service. The first in the file wins.
#[derive(Default)]
pub(super) struct TopLevelPlugins<'a> {
    /// Per name: the file position of the first terminating plugin and what it answers.
    by_service: HashMap<&'a str, (usize, Termination)>,
    by_route: HashMap<&'a str, Termination>,
    global: Option<(usize, Termination)>,
}

impl<'a> TopLevelPlugins<'a> {
    fn index(cx: &Reader<'_>, plugins: &'a [Node]) -> Self {
        let mut index = Self::default();
        for (position, plugin) in plugins.iter().enumerate() {
            let Some(termination) = terminating(cx, plugin) else {
                continue;
            };
            let target = |scope: &str| {
                plugin
                    .get(scope)
                    .and_then(|target| target.scalar_text().or_else(|| target.get_text("name")))
            };
            if let Some(service) = target("service") {
                index
                    .by_service
                    .entry(service)
                    .or_insert_with(|| (position, termination.clone()));
            }
            if let Some(route) = target("route") {
                index
                    .by_route
                    .entry(route)
                    .or_insert_with(|| termination.clone());
            }
            let global = ["service", "route", "consumer", "consumer_group"]
                .iter()
                .all(|key| plugin.get(key).is_none_or(Node::is_null));
            if global && index.global.is_none() {
                index.global = Some((position, termination));
            }
        }
        index
    }

    /// The first plugin that names `service` or every service; a service without a name has
    /// none.
    fn of_service(&self, service: &Node) -> Option<Termination> {
        let name = service.get_text("name")?;
        [self.by_service.get(name), self.global.as_ref()]
            .into_iter()
            .flatten()
            .min_by_key(|(position, _)| *position)
            .map(|(_, termination)| termination.clone())
    }

    fn of_route(&self, route: &Node) -> Option<Termination> {
        let name = route.get_text("name")?;
        self.by_route.get(name).cloned()
    }
}

/// Kong's upstreams by name, the first of a name winning, for services to find theirs.
#[derive(Default)]
pub(super) struct Upstreams<'a>(HashMap<&'a str, &'a Node>);

impl<'a> Upstreams<'a> {
    fn index(upstreams: Option<&'a Node>) -> Self {
        let mut by_name = HashMap::default();
        for upstream in upstreams.map(Node::items).unwrap_or_default() {
            if let Some(name) = upstream.get_text("name") {
                by_name.entry(name).or_insert(upstream);
            }
        }
        Self(by_name)
    }
}

/// What a service contributes to each of its routes.
pub(super) struct ServiceContext {
    policy: Policy,
    /// The service's own path, which Kong prepends when forwarding.
    path: String,
    /// A request-termination plugin on the service, or on every route.
    termination: Option<Termination>,
}

impl ServiceContext {
    /// `fallback` holds service fields of another file that `service` leaves unset: the
    /// `proxy` of a Kong Ingress Controller `KongIngress`, read where it is written.
    pub(super) fn read(
        cx: &mut Reader<'_>,
        service: &Node,
        fallback: Option<(FileId, &Node)>,
        upstreams: &Upstreams<'_>,
        global_rate_limit: Option<RateLimit>,
    ) -> Self {
        let service_location = cx.anchor(service);
        let (host, path) = service_host_and_path(service);
        let duration = |cx: &mut Reader<'_>, key: &str| {
            cx.duration(service, key).or_else(|| {
                let (file, fields) = fallback?;
                cx.for_file(file).duration(fields, key)
            })
        };
        let read_timeout = duration(cx, "read_timeout").unwrap_or_else(|| READ_TIMEOUT.sourced());
        let connect_timeout =
            duration(cx, "connect_timeout").unwrap_or_else(|| CONNECT_TIMEOUT.sourced());
        // Writes are bounded separately; the value is checked although reads bound an attempt.
        let _ = duration(cx, "write_timeout");
        let retries = cx
            .count(service, "retries")
            .or_else(|| {
                let (file, fields) = fallback?;
                cx.for_file(file).count(fields, "retries")
            })
            .unwrap_or_else(|| RETRIES.sourced());
        let retry = (retries.value > 0).then(|| Retry {
            // Kong's balancer retries on connection errors and timeouts, like nginx's
            // `proxy_next_upstream error timeout`, and not once a non-idempotent request was sent.
            conditions: vec![RetryCondition::ConnectFailure, RetryCondition::Timeout],
            per_try_timeout: Some(read_timeout.clone()),
            non_idempotent: Some(false),
            ..Retry::new(
                retries.clone(),
                retries.origin.location().unwrap_or(service_location),
            )
        });
        // decK fills these in when it syncs the file: what Kong will read is unknown here.
        let templated = |key: &str| {
            service
                .get(key)
                .and_then(Node::as_str)
                .is_some_and(holds_template_action)
        };
        // Kong has no total timeout: `read_timeout` bounds each attempt.
        let mut deferred = Vec::new();
        if templated("read_timeout") {
            deferred.push(Setting::PerTryTimeout);
        }
        if templated("retries") {
            deferred.push(Setting::Retries);
        }
        let mut policy = Policy {
            per_try_timeout: Some(read_timeout),
            connect_timeout: Some(connect_timeout).filter(|_| !templated("connect_timeout")),
            deferred,
            retry,
            rate_limit: rate_limit(cx, service.get("plugins")).or(global_rate_limit),
            timeout_home: Some(service_location),
            statuses: GatewayStatuses {
                on_timeout: Some(504),
                ..GatewayStatuses::default()
            },
            ..Policy::default()
        };
        if let Some(&upstream) = host.as_deref().and_then(|host| upstreams.0.get(host)) {
            read_upstream(cx, upstream, &mut policy);
        } else if let Some(host) = host {
            policy.upstream = Some(Upstream {
                name: host,
                endpoints: Some(1),
                location: Some(service_location),
            });
        }
        ServiceContext {
            policy,
            path: path.unwrap_or_else(|| "/".to_string()),
            termination: None,
        }
    }

    /// A plugin in Kong's shape configured apart from the service, as Kong Ingress Controller's
    /// `KongPlugin` objects are, read in its own file: it wins over the service's plugins of
    /// its kind, as a plugin on a route wins over one on its service.
    pub(super) fn attach_plugin(&mut self, cx: &Reader<'_>, plugin: &Node) {
        if let Some(termination) = terminating(cx, plugin) {
            self.termination = Some(termination);
        }
        if let Some(limit) = limiting(cx, plugin) {
            self.policy.rate_limit = Some(limit);
        }
    }
}

/// The host and path a service forwards to: from `url`, or `host` and `path`.
fn service_host_and_path(service: &Node) -> (Option<String>, Option<String>) {
    if let Some(url) = service.get("url").and_then(Node::as_str) {
        let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
        let (authority, path) = match after_scheme.find('/') {
            Some(at) => (&after_scheme[..at], Some(after_scheme[at..].to_string())),
            None => (after_scheme, None),
        };
        let host = authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host);
        return (Some(host.to_string()), path);
    }
    let text = |key| {
        service
            .get(key)
            .and_then(Node::scalar_text)
            .map(str::to_string)
    };
    (text("host"), text("path"))
}

/// Targets, health checks and the passive checks that are Kong's circuit breaker.
fn read_upstream(cx: &mut Reader<'_>, upstream: &Node, policy: &mut Policy) {
    let location = cx.anchor(upstream);
    let name = upstream.get_text("name").unwrap_or_default().to_string();
    let targets = upstream.get_items("targets");
    let healthy_targets: Vec<String> = targets
        .iter()
        .filter(|target| values::carries_traffic(target))
        .filter_map(|target| target.get_text("target").map(str::to_string))
        .collect();
    policy.upstream = Some(Upstream {
        name,
        endpoints: Some(u32::try_from(targets.len()).unwrap_or(u32::MAX)),
        location: Some(location),
    });
    if healthy_targets.len() >= 2 {
        policy.fallbacks.push(Fallback {
            kind: FallbackKind::WeightedPool,
            targets: healthy_targets,
            location,
        });
    }
    let Some(checks) = upstream.get("healthchecks") else {
        return;
    };
    let mut health = HealthCheck {
        active: None,
        passive: None,
    };
    if let Some(active) = checks.get("active") {
        let mut interval = |state: &str| {
            let state = active.get(state)?;
            cx.duration_in(state, "interval", Dialect::Seconds)
        };
        let healthy = interval("healthy");
        let unhealthy = interval("unhealthy");
        // An interval of 0 (the default) turns active probing off.
        let probing = [&healthy, &unhealthy]
            .iter()
            .any(|interval| interval.as_ref().is_some_and(|i| !i.value.is_zero()));
        if probing {
            health.active = Some(ActiveCheck {
                interval: unhealthy.or(healthy),
                timeout: cx
                    .duration_in(active, "timeout", Dialect::Seconds)
                    .or_else(|| Some(ACTIVE_CHECK_TIMEOUT.sourced())),
                location: cx.anchor(active),
            });
        }
    }
    if let Some(passive) = checks.get("passive") {
        let passive_location = cx.key_at(checks, "passive").unwrap_or(cx.at(passive));
        let unhealthy = passive.get("unhealthy");
        let counters = ["http_failures", "tcp_failures", "timeouts"];
        let tripping = unhealthy.is_some_and(|unhealthy| {
            counters.iter().any(|counter| {
                cx.count(unhealthy, counter)
                    .is_some_and(|count| count.value > 0)
            })
        });
        policy.circuit_breakers.push(CircuitBreaker {
            kind: CircuitBreakerKind::ConsecutiveErrors,
            location: passive_location,
            ineffective: (!tripping).then(|| {
                "the passive health check's unhealthy counters (http_failures, tcp_failures, \
                 timeouts) are all 0, so no target is ever marked unhealthy"
                    .to_string()
            }),
            open_status: Some(503),
            trip: None,
        });
        if tripping {
            health.passive = Some(passive_location);
        }
    }
    if health.active.is_some() || health.passive.is_some() {
        policy.statuses.on_circuit_open = Some(503);
        policy.health_check = Some(health);
    }
}

/// An enabled rate-limiting plugin among `plugins`.
fn rate_limit(cx: &Reader<'_>, plugins: Option<&Node>) -> Option<RateLimit> {
    plugins?
        .items()
        .iter()
        .find_map(|plugin| limiting(cx, plugin))
}

/// `plugin`, when it is an enabled rate-limiting plugin: the status it answers with.
fn limiting(cx: &Reader<'_>, plugin: &Node) -> Option<RateLimit> {
    let name = plugin.get_text("name")?;
    let enabled = plugin.get("enabled").and_then(Node::as_bool) != Some(false);
    (enabled && RATE_LIMIT_PLUGINS.contains(&name)).then(|| RateLimit {
        location: cx.anchor(plugin),
        status: plugin
            .get("config")
            .and_then(|config| config.get("error_code"))
            .and_then(Node::scalar_text)
            .and_then(|code| code.parse().ok())
            .unwrap_or(429),
    })
}

/// Whether a route proxies only TCP, TLS or UDP streams (Kong's stream subsystem): it has no
/// HTTP requests to time out, retry or document, so it is not an HTTP route.
fn stream_only(route: &Node) -> bool {
    const STREAM: [&str; 4] = ["tcp", "tls", "tls_passthrough", "udp"];
    let protocols = route.get_items("protocols");
    !protocols.is_empty()
        && protocols
            .iter()
            .all(|protocol| protocol.as_str().is_some_and(|name| STREAM.contains(&name)))
}

/// Kong's error for an HTTP route that sets none of the fields it is matched on, or `None`.
/// `routes_subschemas.lua` (Kong 3.10): with `https` among its `protocols` (the default is
/// `http` and `https`) a route sets one of `methods`, `hosts`, `headers`, `paths` or `snis`, with
/// only `http` one of the first four; a list that is empty counts as unset, and the expressions
/// router also takes an `expression`.
fn matches_nothing(route: &Node) -> Option<String> {
    let protocols: Vec<&str> = match route.get("protocols") {
        Some(list) if list.is_seq() => list.items().iter().filter_map(Node::as_str).collect(),
        _ => vec!["http", "https"],
    };
    let fields: &[&str] = if protocols.contains(&"https") {
        &["methods", "hosts", "headers", "paths", "snis"]
    } else if protocols.contains(&"http") {
        &["methods", "hosts", "headers", "paths"]
    } else {
        return None;
    };
    let set = |name: &str| {
        route.get(name).is_some_and(|value| match value.as_str() {
            Some(text) => !text.is_empty(),
            None => {
                let empty = value.is_null()
                    || (value.is_seq() && value.items().is_empty())
                    || (value.is_map() && value.entries().is_empty());
                !empty
            }
        })
    };
    if fields.iter().chain(&["expression"]).any(|name| set(name)) {
        return None;
    }
    let names: Vec<String> = fields.iter().map(|name| format!("'{name}'")).collect();
    let protocol = if protocols.contains(&"https") {
        "https"
    } else {
        "http"
    };
    Some(format!(
        "must set one of {} when 'protocols' is '{protocol}'",
        names.join(", ")
    ))
}

pub(super) fn add_routes(
    cx: &mut Reader<'_>,
    route: &Node,
    service: &ServiceContext,
    top_level_plugins: &TopLevelPlugins<'_>,
) {
    if stream_only(route) {
        return;
    }
    let location = cx.anchor(route);
    if let Some(error) = matches_nothing(route) {
        cx.invalid_at(
            location,
            format!(
                "this route sets nothing Kong routes HTTP requests on, so Kong refuses it \
                 (\"{error}\"); add the `paths` (or `hosts`, `methods`, `headers`) it serves"
            ),
        );
        return;
    }
    let termination = termination_in(cx, route.get("plugins"))
        .or_else(|| top_level_plugins.of_route(route))
        .or_else(|| service.termination.clone());
    let mut policy = match termination {
        Some((status, at)) => Policy::answered_directly(status, at),
        None => service.policy.clone(),
    };
    if let Some(limit) = rate_limit(cx, route.get("plugins")) {
        policy.rate_limit = Some(limit);
    }
    if let Some(limit) = &policy.rate_limit {
        policy.statuses.on_rate_limited = Some(limit.status);
    }
    let (methods, methods_location) = cx.methods(route, "methods", &METHODS);
    let strip_path = route
        .get("strip_path")
        .and_then(Node::as_bool)
        .unwrap_or(true);
    let hosts = values::scalar_texts(route.get_items("hosts"));
    let name = route.get_text("name").map(str::to_string);
    let mut matchers = Vec::new();
    for path in route.get_items("paths") {
        let Some(text) = path.scalar_text() else {
            continue;
        };
        matchers.push(match text.strip_prefix('~') {
            Some(regex) => {
                cx.regex(path, regex);
                PathMatch::new(PathKind::Regex { full: false }, regex, cx.at(path))
            }
            None => PathMatch {
                kind: PathKind::Prefix,
                pattern: text.to_string(),
                location: cx.at(path),
                rewrite: strip_path.then(|| Rewrite {
                    strip_prefix: text.to_string(),
                    add_prefix: service.path.clone(),
                }),
            },
        });
    }
    if matchers.is_empty() {
        matchers.push(PathMatch::any(location));
    }
    for path in matchers {
        cx.push_route(Route {
            name: name.clone(),
            methods: methods.clone(),
            methods_location,
            hosts: hosts.clone(),
            ..Route::new(GatewayFormat::Kong, location, path, policy.clone())
        });
    }
}
