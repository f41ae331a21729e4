//! Apache APISIX standalone configuration (`apisix.yaml`, or its JSON form): routes, services,
//! upstreams, plugin configs and global rules, with upstream timeouts, balancer retries, health
//! checks and the plugins that change what a route answers (`api-breaker`, `limit-*`).

use crate::collections::{HashMap, HashSet};
use crate::source::lenient::holds_template_action;
use std::time::Duration;

use super::read::{GatewayDefault, GatewayNote, MethodSpelling, Naming, Reader, Release};
use super::values::{shown, Dialect};
use super::{AdaptContext, Adapter};
use crate::model::policy::{
    ActiveCheck, CircuitBreaker, CircuitBreakerKind, Fallback, FallbackKind, GatewayStatuses,
    HealthCheck, RateLimit, Retry, RetryCondition, Upstream,
};
use crate::model::route::Rewrite;
use crate::model::{GatewayFormat, Method, PathKind, PathMatch, Policy, Route, Sourced};
use crate::source::{Entry, Node, ScalarKind};
use crate::span::{FileId, Location};

/// The release whose behaviour this adapter models, named in its default notes.
const RELEASE: Release = Release("APISIX 3.x");
static RETRY_PER_NODE: GatewayNote = GatewayNote::new(
    RELEASE,
    "APISIX's default of one retry per node beyond the first",
);

pub static ADAPTER: Adapter = Adapter {
    name: "apisix",
    detect,
    uses_refs: false,
    adapt,
};

/// A standalone file: `routes` that match on `uri`/`uris`, or `upstreams` with `nodes`. Kong's
/// declarative files also have top-level `routes`, but match on `paths` and declare
/// `_format_version`.
fn detect(document: &Node) -> bool {
    if !document.is_map()
        || document.get("_format_version").is_some()
        || document.get("openapi").is_some()
        || document.get("swagger").is_some()
    {
        return false;
    }
    let any_item = |key: &str, fields: &[&str]| {
        document.get(key).is_some_and(|list| {
            list.items()
                .iter()
                .any(|item| fields.iter().any(|field| item.get(field).is_some()))
        })
    };
    any_item("routes", &["uri", "uris"]) || any_item("upstreams", &["nodes", "service_name"])
}

static READ_TIMEOUT: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(60),
    "APISIX's default upstream read timeout of {} (nginx proxy_read_timeout)",
);
static CONNECT_TIMEOUT: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(60),
    "APISIX's default upstream connect timeout of {} (nginx proxy_connect_timeout)",
);
static ACTIVE_CHECK_INTERVAL: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(1),
    "APISIX's default active check interval of {}",
);
static ACTIVE_CHECK_TIMEOUT: GatewayDefault<Duration> = GatewayDefault::new(
    RELEASE,
    Duration::from_secs(1),
    "APISIX's default active check timeout of {}",
);
/// APISIX's route schema takes these methods, in capitals; CONNECT and PURGE are valid but no
/// OpenAPI operation can describe them.
const METHODS: MethodSpelling = MethodSpelling {
    capitals_only: true,
    served: &Method::ALL,
    others: &["CONNECT", "PURGE"],
    refusal: "is not a method APISIX accepts: GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS, \
              CONNECT, TRACE or PURGE, in capitals",
};
const TIMEOUT_STATUS: u16 = 504;
/// APISIX answers 502 when no node can be reached; with every node marked unhealthy it still
/// tries them all rather than answering by itself.
const NO_HEALTHY_NODE_STATUS: u16 = 502;
const DEFAULT_REJECTED_CODE: u16 = 503;
const RATE_LIMIT_PLUGINS: &[&str] = &["limit-count", "limit-req", "limit-conn"];

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    // APISIX validates its configuration against JSON schemas: a number is not read from text.
    let cx = &mut Reader::new(cx, file, Naming::Exact, Dialect::Seconds).typed();
    let mut upstreams = ById::index(document.get_items("upstreams"));
    for upstream in document.get_items("upstreams") {
        if !loadable_upstream(cx, upstream) {
            upstreams.refuse(upstream);
        }
    }
    let mut services = ById::index(document.get_items("services"));
    for service in document.get_items("services") {
        if service
            .get("upstream")
            .is_some_and(|upstream| upstream.is_map() && !loadable_upstream(cx, upstream))
        {
            services.refuse(service);
        }
    }
    let config = Config {
        upstreams,
        services,
        plugin_configs: ById::index(document.get_items("plugin_configs")),
        global_plugins: document
            .get_items("global_rules")
            .iter()
            .filter_map(|rule| rule.get("plugins"))
            .flat_map(|plugins| plugins.entries().iter())
            .collect(),
    };
    for route in document.get_items("routes") {
        read_route(cx, route, &config);
    }
}

/// The objects routes refer to by id.
struct Config<'a> {
    upstreams: ById<'a>,
    services: ById<'a>,
    plugin_configs: ById<'a>,
    /// Plugins of every global rule: they run for every route, besides the route's own.
    global_plugins: Vec<&'a Entry>,
}

/// Objects by their `id`, the first of an id winning: looked up per route, not scanned for.
/// An object APISIX refuses to load stays indexed, so that referring to it is not mistaken for
/// a typo, but resolves to nothing.
struct ById<'a> {
    objects: HashMap<&'a str, &'a Node>,
    refused: HashSet<&'a str>,
}

impl<'a> ById<'a> {
    fn index(objects: &'a [Node]) -> Self {
        let mut by_id = HashMap::with_capacity_and_hasher(objects.len(), Default::default());
        for object in objects {
            if let Some(id) = object.get_text("id") {
                by_id.entry(id).or_insert(object);
            }
        }
        Self {
            objects: by_id,
            refused: HashSet::default(),
        }
    }

    /// `object` fails APISIX's schema: the data plane logs it and loads the others without it
    /// (`apisix/core/config_yaml.lua`, 3.x).
    fn refuse(&mut self, object: &'a Node) {
        if let Some(id) = object.get_text("id") {
            if self
                .objects
                .get(id)
                .is_some_and(|first| std::ptr::eq(*first, object))
            {
                self.refused.insert(id);
            }
        }
    }
}

/// What an `*_id` field of a route refers to.
enum Reference<'a> {
    Unset,
    Found(&'a Node),
    /// An id of nothing APISIX loaded, where the id is written.
    Unresolved(Location),
}

impl<'a> Reference<'a> {
    fn found(&self) -> Option<&'a Node> {
        match self {
            Reference::Found(object) => Some(object),
            _ => None,
        }
    }
}

/// Resolves an `*_id` field of `object` against `objects`; an id that names nothing is reported
/// (one that names a refused object was reported where that object is).
fn referenced<'a>(
    cx: &mut Reader<'_>,
    object: &Node,
    key: &str,
    what: &str,
    objects: &ById<'a>,
) -> Reference<'a> {
    let Some(id_node) = object.get(key).filter(|id| !id.is_null()) else {
        return Reference::Unset;
    };
    let at = cx.at(id_node);
    let Some(id) = id_node.scalar_text() else {
        cx.invalid(
            id_node,
            format!("`{key}` must be an id (a string or a number)"),
        );
        return Reference::Unset;
    };
    if objects.refused.contains(id) {
        return Reference::Unresolved(at);
    }
    match objects.objects.get(id) {
        Some(object) => Reference::Found(object),
        None => {
            cx.invalid(
                id_node,
                format!("refers to {what} `{id}`, which is not defined"),
            );
            Reference::Unresolved(at)
        }
    }
}

/// APISIX's upstream schema (`upstream_schema` in `apisix/schema_def.lua`, 3.x) takes an
/// upstream with `nodes`, or with `service_name` and `discovery_type` for service discovery;
/// one with neither is refused (and reported here).
fn loadable_upstream(cx: &mut Reader<'_>, upstream: &Node) -> bool {
    let has = |key: &str| upstream.get(key).is_some_and(|value| !value.is_null());
    let loadable = has("nodes") || (has("service_name") && has("discovery_type"));
    if !loadable {
        cx.invalid(
            upstream,
            "an upstream needs `nodes`, or `service_name` with `discovery_type`: APISIX loads \
             neither this upstream nor the route or service it is written in",
        );
    }
    loadable
}

fn read_route(cx: &mut Reader<'_>, route: &Node, config: &Config<'_>) {
    // `status: 0` switches a route off.
    if route.get_text("status") == Some("0") {
        return;
    }
    let location = cx.anchor(route);
    let uris: Vec<&Node> = match (route.get("uri"), route.get("uris")) {
        (Some(uri), _) => vec![uri],
        (None, Some(uris)) => {
            if uris.items().is_empty() {
                cx.invalid(uris, "`uris` is a list of one or more paths");
            }
            uris.items().iter().collect()
        }
        (None, None) => {
            cx.invalid(route, "a route needs `uri` or `uris`");
            return;
        }
    };
    // A route whose own upstream APISIX refuses is refused with it.
    if route
        .get("upstream")
        .is_some_and(|upstream| upstream.is_map() && !loadable_upstream(cx, upstream))
    {
        return;
    }
    let service_reference = referenced(cx, route, "service_id", "service", &config.services);
    let plugin_config_reference = referenced(
        cx,
        route,
        "plugin_config_id",
        "plugin config",
        &config.plugin_configs,
    );
    let service = service_reference.found();
    let plugin_config = plugin_config_reference.found();
    let plugins = effective_plugins(route, plugin_config, service);

    let upstream = route_upstream(cx, route, service, &config.upstreams);
    let mut policy = Policy {
        statuses: GatewayStatuses {
            on_timeout: Some(TIMEOUT_STATUS),
            ..GatewayStatuses::default()
        },
        ..Policy::default()
    };
    // What APISIX answers by itself before any plugin runs, in the order `http_access_phase`
    // (`apisix/init.lua`, 3.x) looks the route's references up: 503 for a plugin config it
    // cannot find, 404 for a service.
    let unresolved = match (plugin_config_reference, service_reference) {
        (Reference::Unresolved(at), _) => Some(("503", at)),
        (_, Reference::Unresolved(at)) => Some(("404", at)),
        _ => None,
    };
    if let Some((status, at)) = unresolved {
        policy = Policy::answered_directly(Some(status.to_string()), at);
    } else if let Some((answer, at)) = direct_answer(cx, &plugins) {
        policy = Policy::answered_directly(answer, at);
    } else {
        match upstream {
            RouteUpstream::Defined(upstream) => read_upstream(cx, route, upstream, &mut policy),
            RouteUpstream::Undefined(at) => {
                policy = Policy::answered_directly(Some("502".to_string()), at);
            }
            RouteUpstream::Absent => {}
        }
    }
    if let Some(breaker) = api_breaker(cx, &plugins) {
        policy.statuses.on_circuit_open = breaker.open_status;
        policy.circuit_breakers.push(breaker);
    }
    policy.rate_limit = rate_limit(cx, &plugins).or_else(|| rate_limit(cx, &config.global_plugins));
    policy.statuses.on_rate_limited = policy.rate_limit.as_ref().map(|limit| limit.status);

    let (methods, methods_location) = cx.methods(route, "methods", &METHODS);
    // A route without hosts of its own takes its service's.
    let hosts: Vec<String> = match (route.get("host"), route.get("hosts")) {
        (Some(host), _) => host.as_str().map(str::to_string).into_iter().collect(),
        (None, Some(hosts)) => host_list(hosts),
        (None, None) => service
            .and_then(|service| service.get("hosts"))
            .map(host_list)
            .unwrap_or_default(),
    };
    let name = route
        .get("name")
        .or_else(|| route.get("id"))
        .and_then(Node::scalar_text)
        .map(str::to_string);
    let rewrite = plugins
        .iter()
        .find(|entry| entry.key.scalar_text() == Some("proxy-rewrite"))
        .map(|entry| &entry.value);

    for uri in uris {
        let Some(path) = route_path(cx, uri, rewrite) else {
            continue;
        };
        cx.push_route(Route {
            name: name.clone(),
            methods: methods.clone(),
            methods_location,
            hosts: hosts.clone(),
            ..Route::new(GatewayFormat::Apisix, location, path, policy.clone())
        });
    }
}

fn host_list(hosts: &Node) -> Vec<String> {
    hosts
        .items()
        .iter()
        .filter_map(|host| host.as_str().map(str::to_string))
        .collect()
}

/// A plugin that answers every request of the route itself, so nothing reaches the upstream
/// (APISIX 3.x, `apisix/plugins/mocking.lua`: a mocked response for every request;
/// `apisix/plugins/redirect.lua`: a redirect to `uri` or `regex_uri`, which with `regex_uri`
/// only redirects matching URIs and with `http_to_https` only plain HTTP requests, so those two
/// are not counted).
fn direct_answer(cx: &Reader<'_>, plugins: &[&Entry]) -> Option<(Option<String>, Location)> {
    plugins.iter().find_map(|entry| {
        let location = cx.at(&entry.key);
        match entry.key.scalar_text()? {
            "mocking" => Some((
                entry
                    .value
                    .get_text("response_status")
                    .map_or_else(|| "200".to_string(), str::to_string)
                    .into(),
                location,
            )),
            "redirect" if entry.value.get("uri").is_some_and(|uri| !uri.is_null()) => {
                Some((Some("redirect".to_string()), location))
            }
            _ => None,
        }
    })
}

/// The plugins that run for a route, by name: the route's own, then those of its plugin config,
/// then its service's (APISIX lets the route's copy of a plugin win). Disabled ones are left out.
fn effective_plugins<'a>(
    route: &'a Node,
    plugin_config: Option<&'a Node>,
    service: Option<&'a Node>,
) -> Vec<&'a Entry> {
    let mut plugins: Vec<&Entry> = Vec::new();
    let mut names = HashSet::default();
    let sources = [Some(route), plugin_config, service];
    for entry in sources
        .into_iter()
        .flatten()
        .filter_map(|source| source.get("plugins"))
        .flat_map(|plugins| plugins.entries().iter())
    {
        if names.insert(entry.key.scalar_text()) {
            plugins.push(entry);
        }
    }
    plugins.retain(|entry| {
        entry
            .value
            .get("_meta")
            .and_then(|meta| meta.get("disable"))
            .and_then(Node::as_bool)
            != Some(true)
    });
    plugins
}

/// The upstream a route sends to.
enum RouteUpstream<'a> {
    Defined(&'a Node),
    /// An `upstream_id` that names no upstream APISIX loaded: it answers 502 at once
    /// (`handle_upstream` in `apisix/init.lua`, 3.x), where the id is written.
    Undefined(Location),
    Absent,
}

/// The upstream a route sends to: its inline `upstream`, else its `upstream_id`, else its
/// service's.
fn route_upstream<'a>(
    cx: &mut Reader<'_>,
    route: &'a Node,
    service: Option<&'a Node>,
    upstreams: &ById<'a>,
) -> RouteUpstream<'a> {
    for owner in [Some(route), service].into_iter().flatten() {
        if let Some(inline) = cx.map(owner, "upstream") {
            return RouteUpstream::Defined(inline);
        }
        if let Some(id) = owner.get("upstream_id").filter(|id| !id.is_null()) {
            return match referenced(cx, owner, "upstream_id", "upstream", upstreams) {
                Reference::Found(upstream) => RouteUpstream::Defined(upstream),
                Reference::Unresolved(at) => RouteUpstream::Undefined(at),
                Reference::Unset => RouteUpstream::Undefined(cx.at(id)),
            };
        }
    }
    RouteUpstream::Absent
}

/// One node of an upstream.
struct UpstreamNode {
    address: String,
    weight: u32,
    priority: i64,
}

/// `nodes` as a map (`"host:port": weight`) or a list of `{host, port, weight, priority}`.
fn upstream_nodes(cx: &mut Reader<'_>, nodes: &Node) -> Vec<UpstreamNode> {
    let mut out = Vec::new();
    if nodes.is_map() {
        for entry in nodes.entries() {
            let Some(address) = entry.key.scalar_text() else {
                continue;
            };
            let weight = node_weight(cx, &entry.value);
            out.push(UpstreamNode {
                address: address.to_string(),
                weight,
                priority: 0,
            });
        }
        return out;
    }
    for item in nodes.items() {
        let Some(host) = item.get_text("host") else {
            cx.invalid(item, "a node needs a `host`");
            continue;
        };
        let address = match item.get_text("port") {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        let weight = match item.get("weight") {
            Some(weight) => node_weight(cx, weight),
            None => {
                cx.invalid(item, "a node needs a `weight`");
                0
            }
        };
        let priority = item
            .get("priority")
            .filter(|priority| priority.scalar_kind() == Some(ScalarKind::Int))
            .and_then(Node::scalar_text)
            .and_then(|priority| priority.parse().ok())
            .unwrap_or(0);
        out.push(UpstreamNode {
            address,
            weight,
            priority,
        });
    }
    out
}

fn node_weight(cx: &mut Reader<'_>, weight: &Node) -> u32 {
    match super::values::count(weight) {
        Ok(weight) => weight,
        Err(message) => {
            cx.invalid(weight, format!("node weight: {message}"));
            0
        }
    }
}

/// A placeholder APISIX fills from the environment when it loads the file (`${{VAR}}`): its
/// value is unknown here, so it is neither read nor reported.
fn is_placeholder(node: &Node) -> bool {
    node.as_str().is_some_and(holds_template_action)
}

/// `key` of `object` as a number of seconds. `positive`: 0 is refused too.
fn seconds(
    cx: &mut Reader<'_>,
    object: &Node,
    key: &str,
    positive: bool,
) -> Option<Sourced<Duration>> {
    let node = object.get(key).filter(|node| !node.is_null())?;
    if is_placeholder(node) {
        return None;
    }
    if !matches!(
        node.scalar_kind(),
        Some(ScalarKind::Int | ScalarKind::Float)
    ) {
        cx.invalid(node, format!("`{key}` must be a number of seconds"));
        return None;
    }
    if positive {
        cx.nonzero_duration(object, key, "is refused: APISIX needs more than 0 seconds")
    } else {
        cx.duration(object, key)
    }
}

/// `key` of `object` as a count, unless it is an environment placeholder.
fn count(cx: &mut Reader<'_>, object: &Node, key: &str) -> Option<Sourced<u32>> {
    if object.get(key).is_some_and(is_placeholder) {
        return None;
    }
    cx.count(object, key)
}

/// Timeouts, retries, nodes and health checks of the upstream a route sends to.
fn read_upstream(cx: &mut Reader<'_>, route: &Node, upstream: &Node, policy: &mut Policy) {
    let location = cx.anchor(upstream);
    // A route's own `timeout` replaces its upstream's.
    let timeout = route
        .get("timeout")
        .or_else(|| upstream.get("timeout"))
        .filter(|timeout| !timeout.is_null());
    let mut read = None;
    let mut connect = None;
    if let Some(timeout) = timeout {
        if timeout.is_map() {
            connect = seconds(cx, timeout, "connect", true);
            let _ = seconds(cx, timeout, "send", true);
            read = seconds(cx, timeout, "read", true);
            let at = cx.at(timeout);
            cx.required(timeout, &["connect", "send", "read"], at, "`timeout`");
        } else {
            cx.invalid(
                timeout,
                "`timeout` is an object of connect, send and read seconds",
            );
        }
    }
    let read = read.unwrap_or_else(|| READ_TIMEOUT.sourced());
    policy.per_try_timeout = Some(read.clone());
    policy.connect_timeout = Some(connect.unwrap_or_else(|| CONNECT_TIMEOUT.sourced()));

    let nodes = upstream.get("nodes").map(|nodes| upstream_nodes(cx, nodes));
    let name = upstream
        .get("name")
        .or_else(|| upstream.get("id"))
        .or_else(|| upstream.get("service_name"))
        .and_then(Node::scalar_text)
        .map(str::to_string)
        .or_else(|| {
            nodes
                .as_ref()
                .and_then(|nodes| nodes.first())
                .map(|node| node.address.clone())
        })
        .unwrap_or_else(|| "(no nodes)".to_string());
    // Without `nodes` the nodes come from service discovery at run time.
    let node_count = nodes
        .as_ref()
        .map(|nodes| u32::try_from(nodes.len()).unwrap_or(u32::MAX));
    policy.upstream = Some(Upstream {
        name,
        endpoints: node_count,
        location: Some(location),
    });

    // The balancer retries `retries` times, or once per extra node when unset.
    let retries = count(cx, upstream, "retries")
        .or_else(|| node_count.map(|count| RETRY_PER_NODE.sourced(count.saturating_sub(1))));
    // `retry_timeout` stops retries once it has elapsed since the first attempt; 0 is no limit.
    let deadline =
        seconds(cx, upstream, "retry_timeout", false).filter(|deadline| !deadline.value.is_zero());
    if let Some(retries) = retries.filter(|retries| retries.value > 0) {
        let at = retries.origin.location().unwrap_or(location);
        policy.retry = Some(Retry {
            // nginx's `proxy_next_upstream error timeout`, which APISIX keeps: connection
            // errors and timeouts, and never a non-idempotent request once it was sent.
            conditions: vec![RetryCondition::ConnectFailure, RetryCondition::Timeout],
            per_try_timeout: Some(read),
            deadline,
            non_idempotent: Some(false),
            ..Retry::new(retries, at)
        });
    }

    if let Some(nodes) = &nodes {
        node_fallbacks(nodes, location, policy);
    }
    if let Some(checks) = upstream.get("checks") {
        health_checks(cx, checks, policy);
    }
}

/// Several weighted nodes share the traffic; lower-priority nodes take over when the
/// higher-priority ones fail.
fn node_fallbacks(nodes: &[UpstreamNode], location: Location, policy: &mut Policy) {
    let Some(top) = nodes.iter().map(|node| node.priority).max() else {
        return;
    };
    let serving: Vec<String> = nodes
        .iter()
        .filter(|node| node.priority == top && node.weight > 0)
        .map(|node| node.address.clone())
        .collect();
    if serving.len() >= 2 {
        policy.fallbacks.push(Fallback {
            kind: FallbackKind::WeightedPool,
            targets: serving,
            location,
        });
    }
    let backups: Vec<String> = nodes
        .iter()
        .filter(|node| node.priority < top)
        .map(|node| node.address.clone())
        .collect();
    if !backups.is_empty() {
        policy.fallbacks.push(Fallback {
            kind: FallbackKind::BackupEndpoints,
            targets: backups,
            location,
        });
    }
}

/// `checks.active` probes nodes; `checks.passive` (which APISIX only accepts next to active
/// checks) marks nodes unhealthy from real traffic, the upstream's circuit breaker.
fn health_checks(cx: &mut Reader<'_>, checks: &Node, policy: &mut Policy) {
    let mut health = HealthCheck {
        active: None,
        passive: None,
    };
    let active = checks.entry("active");
    if let Some(active) = active.filter(|active| !active.value.is_map()) {
        cx.invalid(&active.value, "`active` is an object of probe settings");
    }
    if let Some(active) = active.filter(|active| active.value.is_map()) {
        let interval = |state: &str, cx: &mut Reader<'_>| {
            active
                .value
                .get(state)
                .and_then(|state| seconds(cx, state, "interval", true))
        };
        let healthy = interval("healthy", cx);
        let unhealthy = interval("unhealthy", cx);
        health.active = Some(ActiveCheck {
            interval: unhealthy
                .or(healthy)
                .or_else(|| Some(ACTIVE_CHECK_INTERVAL.sourced())),
            timeout: seconds(cx, &active.value, "timeout", true)
                .or_else(|| Some(ACTIVE_CHECK_TIMEOUT.sourced())),
            location: cx.at(&active.key),
        });
    }
    if let Some(passive) = checks.entry("passive") {
        let passive_location = cx.at(&passive.key);
        if active.is_none() {
            cx.invalid(
                &passive.key,
                "passive health checks need active ones next to them; APISIX refuses the upstream",
            );
        }
        // Unset counters default to 2 TCP failures, 7 timeouts and 5 HTTP failures.
        let unhealthy = passive.value.get("unhealthy");
        let counters = ["http_failures", "tcp_failures", "timeouts"];
        let tripping = counters.iter().any(|counter| {
            match unhealthy.and_then(|unhealthy| count(cx, unhealthy, counter)) {
                Some(count) => count.value > 0,
                None => true,
            }
        });
        policy.circuit_breakers.push(CircuitBreaker {
            kind: CircuitBreakerKind::ConsecutiveErrors,
            location: passive_location,
            ineffective: (!tripping).then(|| {
                "the passive health check's unhealthy counters (http_failures, tcp_failures, \
                 timeouts) are all 0, so no node is ever marked unhealthy"
                    .to_string()
            }),
            open_status: Some(NO_HEALTHY_NODE_STATUS),
            trip: None,
        });
        if tripping {
            health.passive = Some(passive_location);
        }
    }
    if health.active.is_some() || health.passive.is_some() {
        policy.statuses.on_circuit_open = Some(NO_HEALTHY_NODE_STATUS);
        policy.health_check = Some(health);
    }
}

/// `api-breaker`: answers `break_response_code` (required) while the circuit is open.
fn api_breaker(cx: &mut Reader<'_>, plugins: &[&Entry]) -> Option<CircuitBreaker> {
    let plugin = plugins
        .iter()
        .find(|entry| entry.key.scalar_text() == Some("api-breaker"))?;
    // APISIX's plugin schema: a status code from 200 to 599.
    let code = cx.status_from(&plugin.value, "break_response_code", 200);
    let at = cx.at(&plugin.key);
    cx.required(&plugin.value, &["break_response_code"], at, "api-breaker");
    Some(CircuitBreaker {
        kind: CircuitBreakerKind::ConsecutiveErrors,
        location: at,
        ineffective: None,
        open_status: Some(code?.value),
        trip: None,
    })
}

/// The first rate-limiting plugin, answering its `rejected_code` (503 unless set).
fn rate_limit(cx: &mut Reader<'_>, plugins: &[&Entry]) -> Option<RateLimit> {
    let plugin = plugins.iter().find(|entry| {
        entry
            .key
            .scalar_text()
            .is_some_and(|name| RATE_LIMIT_PLUGINS.contains(&name))
    })?;
    let code = cx.status_from(&plugin.value, "rejected_code", 200);
    Some(RateLimit {
        location: cx.at(&plugin.key),
        status: code.map_or(DEFAULT_REJECTED_CODE, |code| code.value),
    })
}

/// A route URI as a matcher. APISIX's radix tree matches exactly, or by prefix when the URI
/// ends with `*` (optionally named, `/files/*path`); `:name` segments are parameters.
fn route_path(cx: &mut Reader<'_>, uri: &Node, rewrite: Option<&Node>) -> Option<PathMatch> {
    let Some(text) = uri.as_str().filter(|text| text.starts_with('/')) else {
        cx.invalid(
            uri,
            format!(
                "{} is not a route URI: a path starting with `/`",
                shown(uri)
            ),
        );
        return None;
    };
    let location = cx.at(uri);
    let (kind, pattern) = match text.find('*') {
        Some(star) if !text[star..].contains('/') => (PathKind::Prefix, text[..star].to_string()),
        Some(_) => {
            cx.invalid(
                uri,
                "`*` may only appear in the last segment of a route URI",
            );
            return None;
        }
        None if text.split('/').any(|segment| segment.starts_with(':')) => {
            (PathKind::Template, text.to_string())
        }
        None => (PathKind::Exact, text.to_string()),
    };
    let rewrite = rewrite.and_then(|config| proxy_rewrite(kind, &pattern, config));
    Some(PathMatch {
        kind,
        pattern,
        location,
        rewrite,
    })
}

/// The `proxy-rewrite` plugin's effect on the path, where it maps one path onto another: a
/// literal `uri` for a route matching one path, or a `regex_uri` of the form
/// `["^/prefix/(.*)", "/other/$1"]` that swaps a prefix.
fn proxy_rewrite(kind: PathKind, pattern: &str, config: &Node) -> Option<Rewrite> {
    if let Some(uri) = config.get("uri").and_then(Node::as_str) {
        let literal = uri.starts_with('/') && !uri.contains('$');
        return (literal && matches!(kind, PathKind::Exact | PathKind::Template)).then(|| {
            Rewrite {
                strip_prefix: pattern.to_string(),
                add_prefix: uri.to_string(),
            }
        });
    }
    let regex_uri = config.get("regex_uri")?.items();
    let [from, to] = regex_uri else {
        return None;
    };
    let from = from.as_str()?.strip_prefix('^')?.strip_suffix("(.*)")?;
    let to = to.as_str()?.strip_suffix("$1")?;
    let is_literal = |text: &str| {
        text.starts_with('/') && !text.contains(|c: char| "\\.*+?()[]{}|^$".contains(c))
    };
    (is_literal(from) && is_literal(to) && pattern.starts_with(from)).then(|| Rewrite {
        strip_prefix: from.to_string(),
        add_prefix: to.to_string(),
    })
}
