//! Envoy: static bootstrap configuration (`static_resources` listeners and clusters),
//! standalone xDS resources (`RouteConfiguration`, `Listener` and `Cluster`, in a `resources`
//! list or on their own, with or without a v3 `@type`), and the admin `/config_dump` of a running
//! Envoy (a `configs` list of `envoy.admin.v3.*ConfigDump` messages).
//!
//! Routes are read from each virtual host in order. A route's cluster is linked directly when
//! the bootstrap or config dump defines it; standalone `Cluster` resources become
//! [`UpstreamPolicy`]s that reach the routes of any file that send to them.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use super::values::{self, Dialect};
use super::{anchor, AdaptContext, Adapter};
use crate::diagnostic::{Diagnostic, Related};
use crate::model::policy::{
    ActiveCheck, Backoff, CircuitBreaker, CircuitBreakerKind, Fallback, FallbackKind,
    GatewayStatuses, HealthCheck, RateLimit, Retry, RetryCondition, Upstream,
};
use crate::model::route::Rewrite;
use crate::model::{
    GatewayFormat, Method, MethodSet, PathKind, PathMatch, Policy, Route, Sourced, Timeout,
    UpstreamPolicy,
};
use crate::rule_id::BuiltinRule;
use crate::source::{Entry, Node};
use crate::span::Location;
use crate::span::{FileId, Span};

pub static ADAPTER: Adapter = Adapter {
    name: "envoy",
    detect,
    uses_refs: false,
    adapt,
};

const DEFAULT_ROUTE_TIMEOUT: Duration = Duration::from_secs(15);
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const DEFAULT_BACKOFF_BASE: Duration = Duration::from_millis(25);
const HTTP_CONNECTION_MANAGER: &str = "envoy.filters.network.http_connection_manager";
const LOCAL_RATE_LIMIT: &str = "envoy.filters.http.local_ratelimit";
const GLOBAL_RATE_LIMIT: &str = "envoy.filters.http.ratelimit";
const AGGREGATE_CLUSTER: &str = "envoy.clusters.aggregate";
const URI_TEMPLATE_MATCHER: &str = "envoy.path.match.uri_template";
/// The package of the messages an admin `/config_dump` is made of.
const ADMIN_PACKAGE: &str = "envoy.admin.v3.";
/// Envoy answers 503 when it cannot reach a healthy upstream: connection failure, every host
/// ejected or unhealthy, or a circuit breaker overflowing (its default thresholds always apply).
const NO_HEALTHY_UPSTREAM: u16 = 503;
const UPSTREAM_TIMEOUT: u16 = 504;
const TOO_MANY_REQUESTS: u16 = 429;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResourceKind {
    RouteConfiguration,
    Listener,
    Cluster,
}

fn detect(document: &Node) -> bool {
    if config_dump(document).is_some() {
        return true;
    }
    if document.field("static_resources").is_some_and(Node::is_map) {
        return true;
    }
    if let Some(resources) = document.field("resources") {
        return resources
            .items()
            .iter()
            .any(|resource| resource_kind(resource).is_some());
    }
    resource_kind(document).is_some()
}

/// The kind of a standalone resource: from its `@type`, or from shape alone when it has none (a
/// route configuration's `virtual_hosts`, a cluster's name and `load_assignment`).
fn resource_kind(node: &Node) -> Option<ResourceKind> {
    if let Some(type_url) = node.get("@type") {
        let name = type_url.as_str()?.rsplit('/').next()?;
        return match name {
            "envoy.config.route.v3.RouteConfiguration" => Some(ResourceKind::RouteConfiguration),
            "envoy.config.listener.v3.Listener" => Some(ResourceKind::Listener),
            "envoy.config.cluster.v3.Cluster" => Some(ResourceKind::Cluster),
            _ => None,
        };
    }
    let virtual_hosts = node.field("virtual_hosts").map(Node::items);
    if virtual_hosts.is_some_and(|hosts| {
        !hosts.is_empty()
            && hosts
                .iter()
                .all(|host| host.field("routes").is_some() || host.field("domains").is_some())
    }) {
        return Some(ResourceKind::RouteConfiguration);
    }
    let named = node.field("name").and_then(Node::as_str).is_some();
    let has_endpoints = node
        .field("load_assignment")
        .is_some_and(|assignment| assignment.field("endpoints").is_some());
    let aggregate = node
        .field("cluster_type")
        .and_then(|cluster_type| cluster_type.field("name"))
        .and_then(Node::as_str)
        == Some(AGGREGATE_CLUSTER);
    (named && (has_endpoints || aggregate)).then_some(ResourceKind::Cluster)
}

/// A repeated field's items. Envoy's YAML loader also takes a single object where a list is
/// expected, and real configurations rely on it.
fn list(node: Option<&Node>) -> &[Node] {
    match node {
        Some(node) if node.is_map() => std::slice::from_ref(node),
        Some(node) => node.items(),
        None => &[],
    }
}

/// Field access on Envoy messages. Envoy reads YAML and JSON through protobuf's JSON mapping,
/// which takes every field under its proto name (`per_try_timeout`) or its lowerCamelCase JSON
/// name (`perTryTimeout`); config dumps and many JSON configurations use the JSON names. The
/// adapter names fields by their proto name and finds either spelling. Map keys (filter names in
/// `typed_per_filter_config`) and `@type` are not fields: they are read as written.
trait Message {
    /// The entry of field `name`. Protobuf refuses a message that sets a field under both names
    /// (see [`report_fields_set_twice`]); the adapter then reads the one written last, as it does
    /// with a duplicate key.
    fn field_entry(&self, name: &str) -> Option<&Entry>;

    fn field(&self, name: &str) -> Option<&Node> {
        self.field_entry(name).map(|entry| &entry.value)
    }
}

impl Message for Node {
    fn field_entry(&self, name: &str) -> Option<&Entry> {
        self.entries().iter().rev().find(|entry| {
            entry
                .key
                .scalar_text()
                .is_some_and(|key| names_field(key, name))
        })
    }
}

/// The JSON name protobuf derives from a proto field name (`ToJsonName`): each underscore is
/// dropped and the character after it upper-cased, so `consecutive_5xx` is `consecutive5xx`.
fn json_name(name: &str) -> impl Iterator<Item = char> + '_ {
    let mut capitalize_next = false;
    name.chars().filter_map(move |character| {
        if character == '_' {
            capitalize_next = true;
            None
        } else if std::mem::take(&mut capitalize_next) {
            Some(character.to_ascii_uppercase())
        } else {
            Some(character)
        }
    })
}

/// Whether `key` is the proto name `name` or its JSON name.
fn names_field(key: &str, name: &str) -> bool {
    key == name || (name.contains('_') && key.chars().eq(json_name(name)))
}

/// The key of a field as written, for messages about it.
fn written_name<'a>(entry: &'a Entry, name: &'a str) -> &'a str {
    entry.key.scalar_text().unwrap_or(name)
}

/// Field `name` of `message` as a protobuf duration; `None` when absent or null, reported when
/// invalid.
fn duration(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    message: &Node,
    name: &str,
) -> Option<Sourced<Duration>> {
    let entry = message
        .field_entry(name)
        .filter(|entry| !entry.value.is_null())?;
    cx.duration_of(
        file,
        written_name(entry, name),
        &entry.value,
        Dialect::Protobuf,
    )
}

/// Field `name` of `message` as a count; `None` when absent or null, reported when invalid.
fn count(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    message: &Node,
    name: &str,
) -> Option<Sourced<u32>> {
    let entry = message
        .field_entry(name)
        .filter(|entry| !entry.value.is_null())?;
    cx.count_of(file, written_name(entry, name), &entry.value)
}

/// Reports each field of `message` written under both its proto name and its JSON name, at the
/// second one. Protobuf refuses such a message ("has already been set"), so Envoy refuses the
/// whole configuration.
fn report_fields_set_twice(cx: &mut AdaptContext<'_>, file: FileId, message: &Node) {
    let keys: Vec<(&str, Span)> = message
        .entries()
        .iter()
        .filter_map(|entry| Some((entry.key.scalar_text()?, entry.key.span)))
        .collect();
    for (index, &(second, second_span)) in keys.iter().enumerate() {
        let first = keys.iter().take(index).find(|&&(first, _)| {
            first != second && (names_field(first, second) || names_field(second, first))
        });
        if let Some(&(first, first_span)) = first {
            cx.diagnostics.push(
                Diagnostic::new(
                    BuiltinRule::InvalidValue,
                    Location {
                        file,
                        span: second_span,
                    },
                    format!(
                        "`{second}` and `{first}` are the same field, set twice: Envoy refuses \
                         the configuration (routeguard reads this one, the last written)"
                    ),
                )
                .with_label("set again here")
                .with_related(Related {
                    location: Location {
                        file,
                        span: first_span,
                    },
                    message: "first set here".to_string(),
                }),
            );
        }
    }
}

fn location(file: FileId, node: &Node) -> Location {
    Location {
        file,
        span: node.span,
    }
}

/// Where a finding about `key` of `object` points: the key itself.
fn key_location(file: FileId, object: &Node, key: &str) -> Option<Location> {
    object.field_entry(key).map(|entry| Location {
        file,
        span: entry.key.span,
    })
}

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    if let Some(configs) = config_dump(document) {
        report_fields_set_twice(cx, file, document);
        read_config_dump(cx, file, configs);
        return;
    }
    if let Some(static_resources) = document.field("static_resources") {
        report_fields_set_twice(cx, file, document);
        report_fields_set_twice(cx, file, static_resources);
        let mut scope = Scope::default();
        for cluster in list(static_resources.field("clusters")) {
            if let Some(cluster) = read_cluster(cx, file, cluster) {
                // Envoy refuses duplicate names; the first definition is the one linked.
                scope
                    .clusters
                    .entry(cluster.name.clone())
                    .or_insert(cluster);
            }
        }
        for listener in list(static_resources.field("listeners")) {
            read_listener(cx, file, listener, &scope, &mut HashSet::new());
        }
        return;
    }
    let resources = match document.field("resources") {
        Some(resources) => list(Some(resources)),
        None => std::slice::from_ref(document),
    };
    // Clusters given as resources may serve routes in any file, this one included, so they are
    // all shared as upstream policies rather than linked here as well.
    let scope = Scope::default();
    for resource in resources {
        match resource_kind(resource) {
            Some(ResourceKind::RouteConfiguration) => {
                read_route_configuration(cx, file, resource, &scope, &HttpFilters::elsewhere());
            }
            Some(ResourceKind::Listener) => {
                read_listener(cx, file, resource, &scope, &mut HashSet::new());
            }
            Some(ResourceKind::Cluster) => {
                if let Some(cluster) = read_cluster(cx, file, resource) {
                    cx.inventory
                        .upstream_policies
                        .push(cluster.into_upstream_policy());
                }
            }
            None => {}
        }
    }
}

/// What an entry of a config dump's `configs` holds, by its `@type`. `/config_dump` lists one
/// dump per component; `/config_dump?resource=...` lists the items of one of their repeated
/// fields instead (`ClustersConfigDump.DynamicCluster`, ...), which are read the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DumpEntry {
    Bootstrap,
    Clusters,
    /// A `StaticCluster` or `DynamicCluster`, its cluster under `cluster`.
    Cluster,
    Listeners,
    /// A `StaticListener`, its listener under `listener`.
    StaticListener,
    /// A `DynamicListener`, its serving listener under `active_state.listener`.
    DynamicListener,
    Routes,
    /// A `StaticRouteConfig`: a route configuration written inline in a listener.
    StaticRouteConfiguration,
    /// A `DynamicRouteConfig`: a route configuration received through RDS.
    DynamicRouteConfiguration,
    /// Secrets, endpoints, scoped route sets and extension configurations: nothing read.
    Other,
}

fn dump_entry(entry: &Node) -> Option<DumpEntry> {
    let message = entry
        .get("@type")?
        .as_str()?
        .rsplit('/')
        .next()?
        .strip_prefix(ADMIN_PACKAGE)?;
    if !message.contains("ConfigDump") {
        return None;
    }
    Some(match message {
        "BootstrapConfigDump" => DumpEntry::Bootstrap,
        "ClustersConfigDump" => DumpEntry::Clusters,
        "ClustersConfigDump.StaticCluster" | "ClustersConfigDump.DynamicCluster" => {
            DumpEntry::Cluster
        }
        "ListenersConfigDump" => DumpEntry::Listeners,
        "ListenersConfigDump.StaticListener" => DumpEntry::StaticListener,
        "ListenersConfigDump.DynamicListener" => DumpEntry::DynamicListener,
        "RoutesConfigDump" => DumpEntry::Routes,
        "RoutesConfigDump.StaticRouteConfig" => DumpEntry::StaticRouteConfiguration,
        "RoutesConfigDump.DynamicRouteConfig" => DumpEntry::DynamicRouteConfiguration,
        _ => DumpEntry::Other,
    })
}

/// The `configs` of an admin config dump: a list holding at least one admin dump message.
fn config_dump(document: &Node) -> Option<&Node> {
    document.field("configs").filter(|configs| {
        list(Some(configs))
            .iter()
            .any(|entry| dump_entry(entry).is_some())
    })
}

/// Where the resources of a config dump are written.
#[derive(Default)]
struct DumpedResources<'a> {
    /// The cluster manager's clusters: static, then dynamic and active.
    clusters: Vec<&'a Node>,
    /// The listener manager's listeners: static, then the active state of dynamic ones.
    listeners: Vec<&'a Node>,
    /// Route configurations written inline in listeners.
    static_route_configurations: Vec<&'a Node>,
    /// Route configurations received through RDS.
    dynamic_route_configurations: Vec<&'a Node>,
    bootstrap_clusters: Vec<&'a Node>,
    bootstrap_listeners: Vec<&'a Node>,
    /// Warming and draining listeners: not read, but their inline route configurations are
    /// among `static_route_configs` too.
    inactive_listeners: Vec<&'a Node>,
}

/// An admin `/config_dump`: the bootstrap Envoy started with and what it serves now.
///
/// Static resources are dumped twice: in the bootstrap, and in the per-type dumps
/// (`static_clusters`, `static_listeners`, and `static_route_configs` for route configurations
/// written inline in listeners). Each is read once, by name: the per-type dumps first, the
/// bootstrap for what they lack (a dump filtered with `?resource=` or `?mask=`), and an inline
/// route configuration through its listener, which knows its HTTP filters. Warming and draining
/// resources serve no traffic yet or any more, and failed updates (`error_state`) never did:
/// none is read (nor the route configurations written inline in such listeners); a route to a
/// cluster that is only warming keeps just its name.
fn read_config_dump(cx: &mut AdaptContext<'_>, file: FileId, configs: &Node) {
    if !configs.is_seq() {
        cx.invalid_value(
            file,
            configs,
            format!(
                "`configs` must be a list of config dumps, as `/config_dump` prints it, found {}",
                configs.type_name()
            ),
        );
    }
    let mut dumped = DumpedResources::default();
    for entry in list(Some(configs)) {
        collect_dump_entry(cx, file, entry, &mut dumped);
    }
    read_dumped_resources(cx, file, &dumped);
}

fn collect_dump_entry<'a>(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    entry: &'a Node,
    dumped: &mut DumpedResources<'a>,
) {
    if !entry.is_map() {
        cx.invalid_value(
            file,
            entry,
            format!(
                "a `configs` entry must be a config dump with an `@type`, found {}",
                entry.type_name()
            ),
        );
        return;
    }
    let Some(kind) = dump_entry(entry) else {
        match entry.get("@type") {
            None => cx.invalid_at(
                Location {
                    file,
                    span: anchor(entry),
                },
                "a `configs` entry needs an `@type` such as \
                 `type.googleapis.com/envoy.admin.v3.ClustersConfigDump` (it is not read)",
            ),
            Some(type_url) => cx.invalid_value(
                file,
                type_url,
                format!(
                    "`@type`: `{}` is not an Envoy v3 config dump (this entry is not read)",
                    type_url.scalar_text().unwrap_or(type_url.type_name())
                ),
            ),
        }
        return;
    };
    report_fields_set_twice(cx, file, entry);
    match kind {
        DumpEntry::Bootstrap => {
            let static_resources =
                dumped_message(cx, file, entry, "bootstrap").and_then(|bootstrap| {
                    report_fields_set_twice(cx, file, bootstrap);
                    dumped_message(cx, file, bootstrap, "static_resources")
                });
            if let Some(static_resources) = static_resources {
                report_fields_set_twice(cx, file, static_resources);
                dumped
                    .bootstrap_clusters
                    .extend(list(static_resources.field("clusters")));
                dumped
                    .bootstrap_listeners
                    .extend(list(static_resources.field("listeners")));
            }
        }
        DumpEntry::Clusters => {
            for key in ["static_clusters", "dynamic_active_clusters"] {
                for item in dumped_items(cx, file, entry, key) {
                    dumped
                        .clusters
                        .extend(dumped_message(cx, file, item, "cluster"));
                }
            }
        }
        DumpEntry::Cluster => dumped
            .clusters
            .extend(dumped_message(cx, file, entry, "cluster")),
        DumpEntry::Listeners => {
            for item in dumped_items(cx, file, entry, "static_listeners") {
                dumped
                    .listeners
                    .extend(dumped_message(cx, file, item, "listener"));
            }
            for item in dumped_items(cx, file, entry, "dynamic_listeners") {
                collect_dynamic_listener(cx, file, item, dumped);
            }
        }
        DumpEntry::StaticListener => dumped
            .listeners
            .extend(dumped_message(cx, file, entry, "listener")),
        DumpEntry::DynamicListener => collect_dynamic_listener(cx, file, entry, dumped),
        DumpEntry::Routes => {
            for item in dumped_items(cx, file, entry, "static_route_configs") {
                dumped.static_route_configurations.extend(dumped_message(
                    cx,
                    file,
                    item,
                    "route_config",
                ));
            }
            for item in dumped_items(cx, file, entry, "dynamic_route_configs") {
                dumped.dynamic_route_configurations.extend(dumped_message(
                    cx,
                    file,
                    item,
                    "route_config",
                ));
            }
        }
        DumpEntry::StaticRouteConfiguration => dumped
            .static_route_configurations
            .extend(dumped_message(cx, file, entry, "route_config")),
        DumpEntry::DynamicRouteConfiguration => dumped
            .dynamic_route_configurations
            .extend(dumped_message(cx, file, entry, "route_config")),
        DumpEntry::Other => {}
    }
}

/// The states of a `DynamicListener`: the active one serves; warming and draining ones do not.
fn collect_dynamic_listener<'a>(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    dynamic_listener: &'a Node,
    dumped: &mut DumpedResources<'a>,
) {
    for state in ["active_state", "warming_state", "draining_state"] {
        let listener = dumped_message(cx, file, dynamic_listener, state)
            .and_then(|state| dumped_message(cx, file, state, "listener"));
        if state == "active_state" {
            dumped.listeners.extend(listener);
        } else {
            dumped.inactive_listeners.extend(listener);
        }
    }
}

/// The items of repeated field `name` of a dump message, each a message; anything else is
/// reported and skipped.
fn dumped_items<'a>(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    dump: &'a Node,
    name: &str,
) -> Vec<&'a Node> {
    let Some(entry) = dump
        .field_entry(name)
        .filter(|entry| !entry.value.is_null())
    else {
        return Vec::new();
    };
    let items = &entry.value;
    if !items.is_seq() {
        cx.invalid_value(
            file,
            items,
            format!(
                "`{}` must be a list, found {}",
                written_name(entry, name),
                items.type_name()
            ),
        );
        return Vec::new();
    }
    let mut messages = Vec::new();
    for item in items.items() {
        if item.is_map() {
            report_fields_set_twice(cx, file, item);
            messages.push(item);
        } else {
            cx.invalid_value(
                file,
                item,
                format!(
                    "each item of `{}` must be a mapping, found {}",
                    written_name(entry, name),
                    item.type_name()
                ),
            );
        }
    }
    messages
}

/// Message field `name` of `parent`; `None` when absent or null (a dump filtered with `?mask=`
/// leaves fields out), reported when it is not a message.
fn dumped_message<'a>(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    parent: &'a Node,
    name: &str,
) -> Option<&'a Node> {
    let entry = parent
        .field_entry(name)
        .filter(|entry| !entry.value.is_null())?;
    if entry.value.is_map() {
        return Some(&entry.value);
    }
    cx.invalid_value(
        file,
        &entry.value,
        format!(
            "`{}` must be a mapping, found {}",
            written_name(entry, name),
            entry.value.type_name()
        ),
    );
    None
}

/// The name a listener or route configuration is known by; `""` when it has none.
fn resource_name(resource: &Node) -> &str {
    resource
        .field("name")
        .and_then(Node::scalar_text)
        .unwrap_or_default()
}

fn read_dumped_resources(cx: &mut AdaptContext<'_>, file: FileId, dumped: &DumpedResources<'_>) {
    let mut scope = Scope::default();
    for &cluster in dumped.clusters.iter().chain(&dumped.bootstrap_clusters) {
        let name = cluster.field("name").and_then(Node::scalar_text);
        if name.is_some_and(|name| scope.clusters.contains_key(name)) {
            continue;
        }
        if let Some(policy) = read_cluster(cx, file, cluster) {
            scope.clusters.insert(policy.name.clone(), policy);
        }
    }
    for &configuration in &dumped.dynamic_route_configurations {
        let name = resource_name(configuration);
        if !name.is_empty() {
            scope
                .route_configurations
                .entry(name)
                .or_insert(configuration);
        }
    }
    let dumped_listeners: HashSet<&str> = dumped
        .listeners
        .iter()
        .map(|listener| resource_name(listener))
        .collect();
    let bootstrap_only = dumped
        .bootstrap_listeners
        .iter()
        .filter(|listener| !dumped_listeners.contains(resource_name(listener)));
    let mut reached_through_rds = HashSet::new();
    for &listener in dumped.listeners.iter().chain(bootstrap_only) {
        read_listener(cx, file, listener, &scope, &mut reached_through_rds);
    }
    // Route configurations no serving listener led to may still serve, through scoped routes or
    // a listener the dump leaves out; not those that only a warming or draining listener names.
    let named_by_inactive_listeners: HashSet<&str> = dumped
        .inactive_listeners
        .iter()
        .flat_map(|listener| connection_managers(listener))
        .filter_map(|manager| manager.field("rds")?.field("route_config_name")?.as_str())
        .collect();
    for &configuration in &dumped.dynamic_route_configurations {
        let name = resource_name(configuration);
        if !reached_through_rds.contains(name) && !named_by_inactive_listeners.contains(name) {
            read_route_configuration(cx, file, configuration, &scope, &HttpFilters::elsewhere());
        }
    }
    let written_in_listeners: HashSet<&str> = dumped
        .listeners
        .iter()
        .chain(&dumped.bootstrap_listeners)
        .chain(&dumped.inactive_listeners)
        .flat_map(|listener| connection_managers(listener))
        .filter_map(|manager| manager.field("route_config"))
        .map(resource_name)
        .collect();
    for &configuration in &dumped.static_route_configurations {
        if !written_in_listeners.contains(resource_name(configuration)) {
            read_route_configuration(cx, file, configuration, &scope, &HttpFilters::elsewhere());
        }
    }
}

/// The configurations of a listener's HTTP connection managers.
fn connection_managers(listener: &Node) -> impl Iterator<Item = &Node> {
    list(listener.field("filter_chains"))
        .iter()
        .chain(listener.field("default_filter_chain"))
        .flat_map(|chain| list(chain.field("filters")))
        .filter_map(http_connection_manager)
}

/// What the routes of one document can link to directly.
#[derive(Default)]
struct Scope<'a> {
    clusters: HashMap<String, ClusterPolicy>,
    /// Route configurations that connection managers name through RDS, by name (a config
    /// dump's dynamic ones; elsewhere they are in other files, and read on their own).
    route_configurations: HashMap<&'a str, &'a Node>,
}

impl Scope<'_> {
    fn cluster(&self, name: &str) -> Option<&ClusterPolicy> {
        self.clusters.get(name)
    }
}

/// Reads the routes of a listener's connection managers: their inline route configuration, or
/// the one of the scope they name through RDS. `reached_through_rds` holds the names of those
/// read that way, so that each is read once, with the HTTP filters of the first listener.
fn read_listener<'a>(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    listener: &'a Node,
    scope: &Scope<'a>,
    reached_through_rds: &mut HashSet<&'a str>,
) {
    report_fields_set_twice(cx, file, listener);
    let chains = list(listener.field("filter_chains"))
        .iter()
        .chain(listener.field("default_filter_chain"));
    for chain in chains {
        report_fields_set_twice(cx, file, chain);
        for filter in list(chain.field("filters")) {
            report_fields_set_twice(cx, file, filter);
            let Some(config) = http_connection_manager(filter) else {
                legacy_connection_manager(cx, file, filter);
                continue;
            };
            report_fields_set_twice(cx, file, config);
            if let Some(route_config) = config.field("route_config") {
                let filters = HttpFilters::read(cx, file, config);
                read_route_configuration(cx, file, route_config, scope, &filters);
            } else if let Some(name) = config
                .field("rds")
                .and_then(|rds| rds.field("route_config_name"))
                .and_then(Node::as_str)
            {
                if let Some(route_config) = scope.route_configurations.get(name) {
                    if reached_through_rds.insert(name) {
                        let filters = HttpFilters::read(cx, file, config);
                        read_route_configuration(cx, file, route_config, scope, &filters);
                    }
                }
            }
        }
    }
}

/// Envoy's v2 form (`envoy.http_connection_manager` with `config:`), which Envoy no longer
/// reads since 1.18: its routes are not read either, and that is said.
fn legacy_connection_manager(cx: &mut AdaptContext<'_>, file: FileId, filter: &Node) {
    let name = filter.field("name").and_then(Node::as_str);
    let manager = matches!(
        name,
        Some(HTTP_CONNECTION_MANAGER | "envoy.http_connection_manager")
    );
    if let (true, Some(at)) = (manager, key_location(file, filter, "config")) {
        cx.invalid_at(
            at,
            "`config` is Envoy's v2 form, removed in Envoy 1.18; write `typed_config` with an \
             `@type` (its routes are not read)",
        );
    }
}

/// The configuration of an HTTP connection manager network filter.
fn http_connection_manager(filter: &Node) -> Option<&Node> {
    let config = filter.field("typed_config")?;
    let by_name = filter.field("name").and_then(Node::as_str) == Some(HTTP_CONNECTION_MANAGER);
    let by_type = config
        .get("@type")
        .and_then(Node::as_str)
        .is_some_and(|type_url| type_url.ends_with(".HttpConnectionManager"));
    (by_name || by_type).then_some(config)
}

/// The HTTP filters of a connection manager that change what a route answers by itself.
struct HttpFilters<'a> {
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
    fn elsewhere() -> Self {
        HttpFilters {
            local_rate_limit: true,
            local_rate_limit_config: None,
            global_rate_limit: Some(TOO_MANY_REQUESTS),
        }
    }

    fn read(cx: &mut AdaptContext<'_>, file: FileId, manager: &'a Node) -> Self {
        let mut filters = HttpFilters {
            local_rate_limit: false,
            local_rate_limit_config: None,
            global_rate_limit: None,
        };
        for filter in list(manager.field("http_filters")) {
            let name = filter
                .field("name")
                .and_then(Node::as_str)
                .unwrap_or_default();
            let config = filter.field("typed_config");
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
                    .and_then(|config| config.field("rate_limited_status"))
                    .and_then(|status| http_status(cx, file, status));
                filters.global_rate_limit = Some(status.unwrap_or(TOO_MANY_REQUESTS));
            }
        }
        filters
    }
}

/// An `HttpStatus` object's `code`: a number or a `StatusCode` enum name.
fn http_status(cx: &mut AdaptContext<'_>, file: FileId, status: &Node) -> Option<u16> {
    let code = status.field("code")?;
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
        cx.invalid_value(
            file,
            code,
            format!("`code`: `{text}` is not an HTTP status (a number or a name such as `TooManyRequests`)"),
        );
    }
    named
}

/// A runtime fraction's default (`default_value.numerator`) is above zero.
fn fraction_enabled(fraction: Option<&Node>) -> bool {
    fraction
        .and_then(|fraction| fraction.field("default_value"))
        .and_then(|value| value.field("numerator"))
        .and_then(Node::scalar_text)
        .and_then(|numerator| numerator.parse::<u64>().ok())
        .is_some_and(|numerator| numerator > 0)
}

/// A local rate limit configuration that limits requests: it has a token bucket and is enabled
/// and enforced for some requests (both default to 0 %).
fn local_rate_limit(cx: &mut AdaptContext<'_>, file: FileId, config: &Node) -> Option<RateLimit> {
    let limits = config.field("token_bucket").is_some()
        && fraction_enabled(config.field("filter_enabled"))
        && fraction_enabled(config.field("filter_enforced"));
    limits.then(|| RateLimit {
        location: Location {
            file,
            span: anchor(config),
        },
        status: config
            .field("status")
            .and_then(|status| http_status(cx, file, status))
            .unwrap_or(TOO_MANY_REQUESTS),
    })
}

/// What a virtual host gives its routes.
struct VirtualHostContext<'a> {
    hosts: Vec<String>,
    retry: Option<Retry>,
    node: &'a Node,
}

fn read_route_configuration(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    configuration: &Node,
    scope: &Scope<'_>,
    filters: &HttpFilters<'_>,
) {
    report_fields_set_twice(cx, file, configuration);
    for virtual_host in list(configuration.field("virtual_hosts")) {
        report_fields_set_twice(cx, file, virtual_host);
        let domains = virtual_host.field("domains").map(Node::items);
        let host = VirtualHostContext {
            hosts: values::scalar_texts(domains.unwrap_or_default()),
            retry: read_retry(cx, file, virtual_host),
            node: virtual_host,
        };
        for route in list(virtual_host.field("routes")) {
            read_route(cx, file, route, &host, scope, filters);
        }
    }
}

fn read_route(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    route: &Node,
    host: &VirtualHostContext<'_>,
    scope: &Scope<'_>,
    filters: &HttpFilters<'_>,
) {
    report_fields_set_twice(cx, file, route);
    let route_location = Location {
        file,
        span: anchor(route),
    };
    let Some(matcher) = route.field("match") else {
        cx.invalid_value(
            file,
            route,
            "an Envoy route needs a `match` (prefix, path, safe_regex, path_separated_prefix or path_match_policy)",
        );
        return;
    };
    report_fields_set_twice(cx, file, matcher);
    let Some(mut path) = read_path(cx, file, matcher) else {
        return;
    };
    let (methods, methods_location) = read_methods(cx, file, matcher);
    let mut policy = Policy::default();
    if let Some(action) = route.field("route") {
        report_fields_set_twice(cx, file, action);
        policy = route_action_policy(cx, file, action, host, scope);
        if let Some(rewrite) = action.field("prefix_rewrite").and_then(Node::as_str) {
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
    } else if let Some(response) = route.field("direct_response") {
        let status = response.field("status").and_then(|status| {
            let code = values::count(status)
                .ok()
                .filter(|code| (200..600).contains(code));
            if code.is_none() {
                cx.invalid_value(
                    file,
                    status,
                    "`status`: a direct response needs an HTTP status between 200 and 599",
                );
            }
            code
        });
        policy.fallbacks.push(Fallback {
            kind: FallbackKind::StaticResponse,
            targets: status.map(|code| code.to_string()).into_iter().collect(),
            location: key_location(file, route, "direct_response").unwrap_or(route_location),
        });
    } else if route.field("redirect").is_some() {
        policy.fallbacks.push(Fallback {
            kind: FallbackKind::StaticResponse,
            targets: vec!["redirect".to_string()],
            location: key_location(file, route, "redirect").unwrap_or(route_location),
        });
    }
    policy.rate_limit = route_rate_limit(cx, file, route, host.node, filters);
    if let Some(limit) = &policy.rate_limit {
        policy.statuses.on_rate_limited = Some(limit.status);
    }
    cx.inventory.routes.push(Route {
        format: GatewayFormat::Envoy,
        name: route
            .field("name")
            .and_then(Node::scalar_text)
            .map(str::to_string),
        location: route_location,
        methods,
        methods_location,
        path,
        hosts: host.hosts.clone(),
        policy,
        explicit_operation: None,
    });
}

/// The route's path matcher; `None` (reported) when it has none Envoy accepts, and `None`
/// (silently) for CONNECT matchers, which are not HTTP API routes.
fn read_path(cx: &mut AdaptContext<'_>, file: FileId, matcher: &Node) -> Option<PathMatch> {
    let text = |cx: &mut AdaptContext<'_>, node: &Node, key: &str| -> Option<String> {
        let value = node.as_str().map(str::to_string);
        if value.is_none() {
            cx.invalid_value(
                file,
                node,
                format!("`{key}` must be a string, found {}", node.type_name()),
            );
        }
        value
    };
    let path_match = |kind: PathKind, pattern: String, node: &Node| PathMatch {
        kind,
        pattern,
        location: location(file, node),
        rewrite: None,
    };
    if let Some(node) = matcher.field("prefix") {
        return Some(path_match(
            PathKind::Prefix,
            text(cx, node, "prefix")?,
            node,
        ));
    }
    if let Some(node) = matcher.field("path") {
        return Some(path_match(PathKind::Exact, text(cx, node, "path")?, node));
    }
    if let Some(node) = matcher.field("path_separated_prefix") {
        let pattern = text(cx, node, "path_separated_prefix")?;
        return Some(path_match(PathKind::SegmentPrefix, pattern, node));
    }
    if let Some(safe_regex) = matcher.field("safe_regex") {
        let Some(node) = safe_regex.field("regex") else {
            cx.invalid_value(file, safe_regex, "`safe_regex` needs a `regex`");
            return None;
        };
        let pattern = text(cx, node, "regex")?;
        if let Err(error) = crate::model::pattern::compile(&pattern) {
            cx.invalid_value(
                file,
                node,
                format!(
                    "`regex`: `{pattern}` is not a valid RE2 regular expression ({})",
                    values::regex_problem(&error)
                ),
            );
            return None;
        }
        // Envoy matches the regular expression against the whole path.
        return Some(path_match(PathKind::Regex { full: true }, pattern, node));
    }
    if let Some(policy) = matcher.field("path_match_policy") {
        let name = policy.field("name").and_then(Node::as_str);
        let template = policy
            .field("typed_config")
            .and_then(|config| config.field("path_template"));
        return match (name, template) {
            (Some(URI_TEMPLATE_MATCHER) | None, Some(node)) => {
                let written = text(cx, node, "path_template")?;
                match uri_template(&written) {
                    Some(pattern) => Some(path_match(PathKind::Template, pattern, node)),
                    None => {
                        cx.invalid_value(
                            file,
                            node,
                            format!(
                                "`path_template`: `{written}` is not a URI template such as `/books/{{id}}` or `/files/**`"
                            ),
                        );
                        None
                    }
                }
            }
            _ => {
                cx.invalid_value(
                    file,
                    policy,
                    "`path_match_policy`: only the `envoy.path.match.uri_template` extension with a `path_template` is understood",
                );
                None
            }
        };
    }
    if matcher.field("connect_matcher").is_some() {
        return None;
    }
    if let Some(node) = matcher.field("regex") {
        cx.invalid_value(
            file,
            node,
            "`regex` was removed from Envoy's route match in the v3 API; use `safe_regex: {regex: ...}`",
        );
        return None;
    }
    cx.invalid_at(
        Location {
            file,
            span: anchor(matcher),
        },
        "`match` needs one of `prefix`, `path`, `safe_regex`, `path_separated_prefix` or `path_match_policy`",
    );
    None
}

/// An Envoy URI template in the form the join reads: `{name}` and `{name=*}` are one segment,
/// `{name=**}` and `**` the rest of the path. `None` when it is not a template Envoy accepts.
fn uri_template(template: &str) -> Option<String> {
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
fn read_methods(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    matcher: &Node,
) -> (MethodSet, Option<Location>) {
    let Some(headers) = matcher.field("headers") else {
        return (MethodSet::Any, None);
    };
    let mut allowed: Option<Vec<Method>> = None;
    for header in headers.items() {
        if header.field("name").and_then(Node::as_str) != Some(":method") {
            continue;
        }
        let Some(methods) = method_matcher(cx, file, header) else {
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
        Some(methods) => (MethodSet::Only(methods), Some(location(file, headers))),
        None => (MethodSet::Any, None),
    }
}

/// The methods one `:method` header matcher accepts; `None` when it does not constrain them.
fn method_matcher(cx: &mut AdaptContext<'_>, file: FileId, header: &Node) -> Option<Vec<Method>> {
    let string_match = header.field("string_match");
    let (ignore_case, field, value) = match string_match {
        Some(string_match) => {
            let ignore_case =
                string_match.field("ignore_case").and_then(Node::as_bool) == Some(true);
            let found = ["exact", "prefix", "suffix", "contains", "safe_regex"]
                .into_iter()
                .find_map(|field| string_match.field(field).map(|value| (field, value)));
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
            .find_map(|(key, field)| header.field(key).map(|value| (field, value)))?;
            (false, found.0, found.1)
        }
    };
    let value_node = if field == "safe_regex" {
        value.field("regex").unwrap_or(value)
    } else {
        value
    };
    let Some(text) = value_node.as_str() else {
        cx.invalid_value(
            file,
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
                cx.invalid_value(
                    file,
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
    let invert = header.field("invert_match").and_then(Node::as_bool) == Some(true);
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
        cx.invalid_value(
            file,
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
    cx: &mut AdaptContext<'_>,
    file: FileId,
    action: &Node,
    host: &VirtualHostContext<'_>,
    scope: &Scope<'_>,
) -> Policy {
    let timeout = duration(cx, file, action, "timeout")
        .map(Timeout::zero_disables)
        .unwrap_or_else(|| {
            Sourced::default(
                Timeout::Bounded(DEFAULT_ROUTE_TIMEOUT),
                "Envoy's default route timeout of 15s",
            )
        });
    // A route's retry policy replaces the virtual host's; they are not merged.
    let retry = if action.field("retry_policy").is_some() {
        read_retry(cx, file, action)
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
    if let Some(cluster) = action.field("cluster") {
        match cluster.as_str() {
            Some(name) => link_cluster(&mut policy, name, scope),
            None => cx.invalid_value(
                file,
                cluster,
                format!("`cluster` must be a name, found {}", cluster.type_name()),
            ),
        }
    } else if let Some(weighted) = action.field("weighted_clusters") {
        read_weighted_clusters(cx, file, weighted, &mut policy, scope);
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
    cx: &mut AdaptContext<'_>,
    file: FileId,
    weighted: &Node,
    policy: &mut Policy,
    scope: &Scope<'_>,
) {
    let mut members: Vec<(String, u32)> = Vec::new();
    for cluster in list(weighted.field("clusters")) {
        let Some(name) = cluster.field("name").and_then(Node::as_str) else {
            cx.invalid_value(file, cluster, "a weighted cluster needs a `name`");
            continue;
        };
        // The weight is a relative share; an unset weight sends no traffic.
        let weight = count(cx, file, cluster, "weight").map_or(0, |w| w.value);
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
            location: Location {
                file,
                span: anchor(weighted),
            },
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
    policy.connect_timeout = Some(primary.connect_timeout.clone());
    policy
        .circuit_breakers
        .extend(primary.circuit_breakers.iter().cloned());
    policy.health_check = primary.health_check.clone();
    policy.fallbacks.extend(primary.fallbacks.iter().cloned());
    if !std::ptr::eq(primary, cluster) {
        policy.fallbacks.extend(cluster.fallbacks.iter().cloned());
    }
    policy.upstream = Some(Upstream {
        name: cluster.name.clone(),
        endpoints: primary.endpoints,
        location: Some(cluster.location),
    });
}

/// A retry policy written on `parent` (a route action or a virtual host). `None` when there is
/// none, or when it cannot retry: Envoy retries only on the conditions `retry_on` lists, and not
/// at all with `num_retries: 0`.
fn read_retry(cx: &mut AdaptContext<'_>, file: FileId, parent: &Node) -> Option<Retry> {
    let policy = parent.field("retry_policy")?;
    let policy_location = key_location(file, parent, "retry_policy")?;
    if !policy.is_map() {
        cx.invalid_value(
            file,
            policy,
            format!(
                "`retry_policy` must be a mapping with `retry_on` and `num_retries`, found {}",
                policy.type_name()
            ),
        );
        return None;
    }
    report_fields_set_twice(cx, file, policy);
    let status_codes = retriable_status_codes(cx, file, policy);
    let conditions = policy
        .field("retry_on")
        .map(|retry_on| retry_conditions(cx, file, retry_on, &status_codes))
        .unwrap_or_default();
    let max_retries = count(cx, file, policy, "num_retries").unwrap_or_else(|| {
        Sourced::default(1, "Envoy's default of 1 retry when a retry policy is set")
    });
    if conditions.is_empty() || max_retries.value == 0 {
        return None;
    }
    // A zero per-try timeout means none: each try is bounded by the route timeout only.
    let per_try_timeout =
        duration(cx, file, policy, "per_try_timeout").filter(|timeout| !timeout.value.is_zero());
    Some(Retry {
        max_retries,
        unbounded: false,
        conditions,
        backoff: Some(read_backoff(cx, file, policy)),
        per_try_timeout,
        deadline: None,
        has_budget: false,
        // Envoy retries whatever the method; only the conditions make a retry safe or not.
        non_idempotent: Some(true),
        counted_by: None,
        location: policy_location,
    })
}

fn retriable_status_codes(cx: &mut AdaptContext<'_>, file: FileId, policy: &Node) -> Vec<u16> {
    let Some(codes) = policy
        .field("retriable_status_codes")
        .filter(|codes| !codes.is_null())
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if !codes.is_seq() {
        cx.invalid_value(
            file,
            codes,
            format!(
                "`retriable_status_codes` must be a list of statuses, found {}",
                codes.type_name()
            ),
        );
        return out;
    }
    for code in codes.items() {
        match values::count(code)
            .ok()
            .and_then(|code| u16::try_from(code).ok())
            .filter(|code| (100..600).contains(code))
        {
            Some(code) => out.push(code),
            None => cx.invalid_value(
                file,
                code,
                format!(
                    "`retriable_status_codes`: `{}` is not an HTTP status",
                    code.scalar_text().unwrap_or(code.type_name())
                ),
            ),
        }
    }
    out
}

/// `retry_on`: a comma-separated list of Envoy's retry conditions.
fn retry_conditions(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    retry_on: &Node,
    status_codes: &[u16],
) -> Vec<RetryCondition> {
    let Some(text) = retry_on.as_str() else {
        cx.invalid_value(
            file,
            retry_on,
            format!(
                "`retry_on` must be a comma-separated string such as \"5xx,reset\", found {}",
                retry_on.type_name()
            ),
        );
        return Vec::new();
    };
    let mut conditions = Vec::new();
    for token in text
        .split(',')
        .map(str::trim)
        .filter(|token| !token.is_empty())
    {
        if token == "retriable-status-codes" {
            conditions.extend(
                status_codes
                    .iter()
                    .map(|&code| RetryCondition::Status(code, code)),
            );
        } else if let Some(condition) = retry_condition(token) {
            conditions.push(condition);
        } else {
            cx.invalid_value(
                file,
                retry_on,
                format!(
                    "`retry_on`: `{token}` is not an Envoy retry condition, and Envoy ignores it"
                ),
            );
        }
    }
    conditions
}

/// One of Envoy's `retry_on` conditions, by name; `None` for a name Envoy does not know.
/// `retriable-status-codes` is none by itself: it stands for the `retriable_status_codes`.
pub(super) fn retry_condition(name: &str) -> Option<RetryCondition> {
    Some(match name {
        "5xx" => RetryCondition::Any5xx,
        "gateway-error" => RetryCondition::GatewayError,
        "reset" => RetryCondition::Reset,
        "reset-before-request" => RetryCondition::ResetBeforeRequest,
        "connect-failure" => RetryCondition::ConnectFailure,
        "refused-stream" => RetryCondition::RefusedStream,
        // Envoy's retriable 4xx is 409 Conflict.
        "retriable-4xx" => RetryCondition::Status(409, 409),
        "envoy-ratelimited"
        | "retriable-headers"
        | "http3-post-connect-failure"
        | "cancelled"
        | "deadline-exceeded"
        | "internal"
        | "resource-exhausted"
        | "unavailable" => RetryCondition::Other(name.to_string()),
        _ => return None,
    })
}

/// `retry_back_off`, or Envoy's default: 25 ms base, capped at 10× the base.
fn read_backoff(cx: &mut AdaptContext<'_>, file: FileId, policy: &Node) -> Backoff {
    let Some(backoff) = policy.field("retry_back_off") else {
        return Backoff {
            base: Some(Sourced::default(
                DEFAULT_BACKOFF_BASE,
                "Envoy's default retry back-off base interval of 25ms",
            )),
            max: Some(Sourced::default(
                DEFAULT_BACKOFF_BASE * 10,
                "Envoy's default retry back-off cap of 10× the base interval",
            )),
            jittered: true,
        };
    };
    report_fields_set_twice(cx, file, backoff);
    let base = duration(cx, file, backoff, "base_interval").filter(|base| {
        let positive = !base.value.is_zero();
        if !positive {
            if let Some(node) = backoff.field("base_interval") {
                cx.invalid_value(file, node, "`base_interval` must be greater than zero");
            }
        }
        positive
    });
    if backoff.field("base_interval").is_none() {
        cx.invalid_at(
            key_location(file, policy, "retry_back_off").unwrap_or(location(file, backoff)),
            "`retry_back_off` needs a `base_interval`",
        );
    }
    let max = duration(cx, file, backoff, "max_interval");
    if let (Some(base), Some(max)) = (&base, &max) {
        if max.value < base.value {
            if let Some(node) = backoff.field("max_interval") {
                cx.invalid_value(
                    file,
                    node,
                    "`max_interval` must be greater than or equal to `base_interval`",
                );
            }
        }
    }
    let max = max.or_else(|| {
        base.as_ref().map(|base| {
            Sourced::default(
                base.value.saturating_mul(10),
                "Envoy's default retry back-off cap of 10× the base interval",
            )
        })
    });
    Backoff {
        base,
        max,
        jittered: true,
    }
}

/// The rate limit that applies to a route: a local rate limit configured on the route, else on
/// its virtual host, else on the connection manager (each replaces the one above), or the global
/// rate limit filter when the route or virtual host declares `rate_limits`.
fn route_rate_limit(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    route: &Node,
    virtual_host: &Node,
    filters: &HttpFilters<'_>,
) -> Option<RateLimit> {
    if filters.local_rate_limit {
        let config = per_filter_local_rate_limit(route)
            .or_else(|| per_filter_local_rate_limit(virtual_host))
            .or(filters.local_rate_limit_config);
        if let Some(limit) = config.and_then(|config| local_rate_limit(cx, file, config)) {
            return Some(limit);
        }
    }
    let status = filters.global_rate_limit?;
    let declares = |node: &Node, key: &str| {
        node.field(key)
            .filter(|limits| !limits.items().is_empty())
            .map(|limits| Location {
                file,
                span: anchor(limits.items().first().unwrap_or(limits)),
            })
    };
    let declared = route
        .field("route")
        .and_then(|action| declares(action, "rate_limits"))
        .or_else(|| declares(virtual_host, "rate_limits"))?;
    Some(RateLimit {
        location: declared,
        status,
    })
}

fn per_filter_local_rate_limit(node: &Node) -> Option<&Node> {
    node.field("typed_per_filter_config")
        .and_then(|configs| configs.get(LOCAL_RATE_LIMIT))
}

/// What a cluster contributes to the routes that send to it.
struct ClusterPolicy {
    name: String,
    location: Location,
    connect_timeout: Sourced<Duration>,
    circuit_breakers: Vec<CircuitBreaker>,
    health_check: Option<HealthCheck>,
    fallbacks: Vec<Fallback>,
    endpoints: Option<u32>,
    /// Concurrent retries are capped explicitly (`max_retries` or `retry_budget`).
    retry_budget: bool,
    /// An aggregate cluster's members, in the order it tries them.
    aggregate: Vec<String>,
}

impl ClusterPolicy {
    fn into_upstream_policy(self) -> UpstreamPolicy {
        UpstreamPolicy {
            format: GatewayFormat::Envoy,
            name: self.name,
            location: self.location,
            connect_timeout: Some(self.connect_timeout),
            circuit_breakers: self.circuit_breakers,
            health_check: self.health_check,
            fallbacks: self.fallbacks,
            endpoints: self.endpoints,
        }
    }
}

fn read_cluster(cx: &mut AdaptContext<'_>, file: FileId, cluster: &Node) -> Option<ClusterPolicy> {
    let Some(name) = cluster.field("name").and_then(Node::scalar_text) else {
        cx.invalid_value(file, cluster, "an Envoy cluster needs a `name`");
        return None;
    };
    report_fields_set_twice(cx, file, cluster);
    let cluster_location = Location {
        file,
        span: anchor(cluster),
    };
    let connect_timeout = duration(cx, file, cluster, "connect_timeout").unwrap_or_else(|| {
        Sourced::default(
            DEFAULT_CONNECT_TIMEOUT,
            "Envoy's default cluster connect_timeout of 5s",
        )
    });
    let mut policy = ClusterPolicy {
        name: name.to_string(),
        location: cluster_location,
        connect_timeout,
        circuit_breakers: Vec::new(),
        health_check: None,
        fallbacks: Vec::new(),
        endpoints: None,
        retry_budget: false,
        aggregate: Vec::new(),
    };
    read_thresholds(cx, file, cluster, &mut policy);
    let passive = read_outlier_detection(cx, file, cluster, &mut policy);
    let active = read_health_check(cx, file, cluster);
    if active.is_some() || passive.is_some() {
        policy.health_check = Some(HealthCheck { active, passive });
    }
    read_endpoints(cx, file, cluster, &mut policy);
    read_aggregate(cx, file, cluster, &mut policy);
    Some(policy)
}

/// A concurrency limit this high turns the breaker off.
const EFFECTIVELY_UNLIMITED: u32 = 1_000_000_000;

/// `circuit_breakers.thresholds`: concurrency limits. Envoy applies defaults (1024 connections,
/// pending requests and requests, 3 retries) to every cluster, so only written ones count.
fn read_thresholds(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    cluster: &Node,
    policy: &mut ClusterPolicy,
) {
    let Some(breakers) = cluster.field("circuit_breakers") else {
        return;
    };
    report_fields_set_twice(cx, file, breakers);
    let breaker_location = key_location(file, cluster, "circuit_breakers").unwrap_or(Location {
        file,
        span: breakers.span,
    });
    let limits = [
        "max_connections",
        "max_pending_requests",
        "max_requests",
        "max_retries",
    ];
    let thresholds = list(breakers.field("thresholds"));
    let mut unlimited = 0;
    for threshold in thresholds {
        report_fields_set_twice(cx, file, threshold);
        let values: Vec<Option<u32>> = limits
            .iter()
            .map(|limit| count(cx, file, threshold, limit).map(|count| count.value))
            .collect();
        // Envoy's own FAQ disables circuit breaking with limits of 1,000,000,000; no real
        // proxy holds that many connections or requests at once.
        if values
            .iter()
            .all(|value| value.is_some_and(|value| value >= EFFECTIVELY_UNLIMITED))
        {
            unlimited += 1;
        }
        if values.get(3).is_some_and(Option::is_some) || threshold.field("retry_budget").is_some() {
            policy.retry_budget = true;
        }
    }
    let ineffective = if thresholds.is_empty() {
        Some(
            "no thresholds are set, so only Envoy's defaults apply (1024 connections, pending \
             requests and requests, 3 retries)"
                .to_string(),
        )
    } else if unlimited == thresholds.len() {
        Some(format!(
            "every limit is {EFFECTIVELY_UNLIMITED} or more, which disables it (Envoy's FAQ does \
             exactly this to turn circuit breaking off)"
        ))
    } else {
        None
    };
    policy.circuit_breakers.push(CircuitBreaker {
        kind: CircuitBreakerKind::ConcurrencyLimit,
        location: breaker_location,
        ineffective,
        open_status: Some(NO_HEALTHY_UPSTREAM),
    });
}

/// `outlier_detection`: ejection of failing hosts, Envoy's circuit breaker on errors and its
/// passive health check. Returns where it is written when it can eject a host.
fn read_outlier_detection(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    cluster: &Node,
    policy: &mut ClusterPolicy,
) -> Option<Location> {
    let detection = cluster.field("outlier_detection")?;
    let detection_location = key_location(file, cluster, "outlier_detection")?;
    if !detection.is_map() {
        cx.invalid_value(
            file,
            detection,
            format!(
                "`outlier_detection` must be a mapping, found {}",
                detection.type_name()
            ),
        );
        return None;
    }
    report_fields_set_twice(cx, file, detection);
    let mut enforcing = |key: &str, default: u32| {
        count(cx, file, detection, key).map_or(default, |count| count.value)
    };
    // Each detector with its enforcement default: the consecutive 5xx and success rate
    // detectors enforce 100 % by default, the gateway failure and failure percentage ones 0 %.
    let mut detectors = vec![
        enforcing("enforcing_consecutive_5xx", 100),
        enforcing("enforcing_success_rate", 100),
        enforcing("enforcing_consecutive_gateway_failure", 0),
        enforcing("enforcing_failure_percentage", 0),
    ];
    if detection
        .field("split_external_local_origin_errors")
        .and_then(Node::as_bool)
        == Some(true)
    {
        detectors.push(enforcing("enforcing_consecutive_local_origin_failure", 100));
        detectors.push(enforcing("enforcing_local_origin_success_rate", 100));
        detectors.push(enforcing("enforcing_failure_percentage_local_origin", 0));
    }
    let max_ejection = enforcing("max_ejection_percent", 10);
    for key in ["interval", "base_ejection_time", "max_ejection_time"] {
        duration(cx, file, detection, key);
    }
    let ineffective = if max_ejection == 0 {
        Some("`max_ejection_percent` is 0, so no host is ever ejected".to_string())
    } else if detectors.iter().all(|percent| *percent == 0) {
        Some(
            "every detector's enforcement (`enforcing_*`) is 0 %, so hosts are only counted, \
             never ejected"
                .to_string(),
        )
    } else {
        None
    };
    let effective = ineffective.is_none();
    policy.circuit_breakers.push(CircuitBreaker {
        kind: CircuitBreakerKind::OutlierEjection,
        location: detection_location,
        ineffective,
        open_status: Some(NO_HEALTHY_UPSTREAM),
    });
    effective.then_some(detection_location)
}

/// The first active health check. Envoy requires its `timeout` and `interval`.
fn read_health_check(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    cluster: &Node,
) -> Option<ActiveCheck> {
    let check = list(cluster.field("health_checks")).first()?;
    report_fields_set_twice(cx, file, check);
    let check_location = Location {
        file,
        span: anchor(check),
    };
    let required = |key: &str, cx: &mut AdaptContext<'_>| {
        let value = duration(cx, file, check, key);
        if check.field(key).is_none() {
            cx.invalid_at(
                check_location,
                format!("an Envoy health check needs `{key}`"),
            );
        }
        value
    };
    let interval = required("interval", cx);
    let timeout = required("timeout", cx);
    Some(ActiveCheck {
        interval,
        timeout,
        location: check_location,
    })
}

/// `load_assignment`: endpoints per locality and priority. Priority 0 serves; higher priorities
/// take over when it is unhealthy (backup endpoints); two or more serving endpoints share load.
fn read_endpoints(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    cluster: &Node,
    policy: &mut ClusterPolicy,
) {
    let Some(assignment) = cluster.field("load_assignment") else {
        return;
    };
    report_fields_set_twice(cx, file, assignment);
    let mut total = 0u32;
    let mut serving = Vec::new();
    let mut backups = Vec::new();
    let mut backup_location = None;
    for locality in list(assignment.field("endpoints")) {
        report_fields_set_twice(cx, file, locality);
        let priority = count(cx, file, locality, "priority").map_or(0, |priority| priority.value);
        for endpoint in list(locality.field("lb_endpoints")) {
            total = total.saturating_add(1);
            let address = endpoint_address(endpoint);
            if priority == 0 {
                serving.push(address);
            } else {
                backups.push(address);
                backup_location.get_or_insert(key_location(file, locality, "priority").unwrap_or(
                    Location {
                        file,
                        span: anchor(locality),
                    },
                ));
            }
        }
    }
    policy.endpoints = Some(total);
    if serving.len() >= 2 {
        policy.fallbacks.push(Fallback {
            kind: FallbackKind::WeightedPool,
            targets: serving,
            location: key_location(file, cluster, "load_assignment").unwrap_or(policy.location),
        });
    }
    if let Some(at) = backup_location {
        policy.fallbacks.push(Fallback {
            kind: FallbackKind::BackupEndpoints,
            targets: backups,
            location: at,
        });
    }
}

/// `host:port` of an endpoint, or its hostname, for naming fallback targets.
fn endpoint_address(endpoint: &Node) -> String {
    let inner = endpoint.field("endpoint");
    let socket = inner
        .and_then(|inner| inner.field("address"))
        .and_then(|address| address.field("socket_address"));
    let host = socket
        .and_then(|socket| socket.field("address"))
        .and_then(Node::scalar_text)
        .or_else(|| {
            inner
                .and_then(|inner| inner.field("hostname"))
                .and_then(Node::scalar_text)
        })
        .unwrap_or("?");
    match socket
        .and_then(|socket| socket.field("port_value"))
        .and_then(Node::scalar_text)
    {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// An aggregate cluster fails over from its first member to the next ones, in order.
fn read_aggregate(
    cx: &mut AdaptContext<'_>,
    file: FileId,
    cluster: &Node,
    policy: &mut ClusterPolicy,
) {
    let Some(cluster_type) = cluster.field("cluster_type") else {
        return;
    };
    if cluster_type.field("name").and_then(Node::as_str) != Some(AGGREGATE_CLUSTER) {
        return;
    }
    let members_node = cluster_type
        .field("typed_config")
        .and_then(|config| config.field("clusters"));
    let mut members = Vec::new();
    for member in list(members_node) {
        match member.as_str() {
            Some(name) => members.push(name.to_string()),
            None => cx.invalid_value(
                file,
                member,
                "an aggregate cluster's `clusters` are cluster names",
            ),
        }
    }
    if members.is_empty() {
        cx.invalid_value(
            file,
            cluster_type,
            "an aggregate cluster needs `typed_config.clusters`, the clusters it tries in order",
        );
        return;
    }
    if members.len() >= 2 {
        policy.fallbacks.push(Fallback {
            kind: FallbackKind::FailoverService,
            targets: members.iter().skip(1).cloned().collect(),
            location: key_location(file, cluster, "cluster_type").unwrap_or(policy.location),
        });
    }
    policy.aggregate = members;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_names_follow_protobuf() {
        let json = |name: &str| json_name(name).collect::<String>();
        assert_eq!(json("per_try_timeout"), "perTryTimeout");
        assert_eq!(json("retry_back_off"), "retryBackOff");
        // A digit after an underscore stays as it is; only the underscore goes.
        assert_eq!(json("consecutive_5xx"), "consecutive5xx");
        assert_eq!(json("enforcing_consecutive_5xx"), "enforcingConsecutive5xx");
        assert_eq!(json("name"), "name");

        assert!(names_field("perTryTimeout", "per_try_timeout"));
        assert!(names_field("per_try_timeout", "per_try_timeout"));
        assert!(names_field("consecutive5xx", "consecutive_5xx"));
        // Protobuf matches names exactly: no other casing, and no JSON name for a JSON name.
        assert!(!names_field("PerTryTimeout", "per_try_timeout"));
        assert!(!names_field("pertrytimeout", "per_try_timeout"));
        assert!(!names_field("per_try_timeout", "perTryTimeout"));
        assert!(!names_field("consecutive_5XX", "consecutive_5xx"));
    }

    fn json(text: &str) -> Node {
        use crate::source::{parse_text, Syntax};
        parse_text(text, Syntax::Json)
            .ok()
            .and_then(|loaded| loaded.documents.into_iter().next())
            .unwrap_or_else(|| panic!("JSON: {text}"))
    }

    #[test]
    fn config_dumps_are_known_by_their_admin_types() {
        let entry = |type_url: &str| dump_entry(&json(&format!(r#"{{"@type": "{type_url}"}}"#)));
        let admin = "type.googleapis.com/envoy.admin.v3.";
        assert_eq!(
            entry(&format!("{admin}ClustersConfigDump")),
            Some(DumpEntry::Clusters)
        );
        // `/config_dump?resource=dynamic_active_clusters` lists the items themselves.
        assert_eq!(
            entry(&format!("{admin}ClustersConfigDump.DynamicCluster")),
            Some(DumpEntry::Cluster)
        );
        assert_eq!(
            entry(&format!("{admin}ListenersConfigDump.DynamicListener")),
            Some(DumpEntry::DynamicListener)
        );
        assert_eq!(
            entry(&format!("{admin}SecretsConfigDump")),
            Some(DumpEntry::Other)
        );
        assert_eq!(entry("type.googleapis.com/envoy.admin.v3.Clusters"), None);
        assert_eq!(
            entry("type.googleapis.com/envoy.admin.v2alpha.ClustersConfigDump"),
            None
        );
        assert_eq!(
            entry("type.googleapis.com/envoy.config.cluster.v3.Cluster"),
            None
        );

        assert!(detect(&json(&format!(
            r#"{{"configs": [{{"@type": "{admin}SecretsConfigDump"}}]}}"#
        ))));
        assert!(!detect(&json(r#"{"configs": [{"name": "a"}]}"#)));
        assert!(!detect(&json(r#"{"configs": "all"}"#)));
    }

    #[test]
    fn uri_templates() {
        assert_eq!(uri_template("/books/{id}").as_deref(), Some("/books/{id}"));
        assert_eq!(
            uri_template("/books/{id=*}/pages").as_deref(),
            Some("/books/{id}/pages")
        );
        assert_eq!(
            uri_template("/files/{path=**}").as_deref(),
            Some("/files/**")
        );
        assert_eq!(uri_template("/files/**").as_deref(), Some("/files/**"));
        assert_eq!(uri_template("/a/*/b").as_deref(), Some("/a/*/b"));
        assert_eq!(uri_template("books/{id}"), None);
        assert_eq!(uri_template("/books/{id"), None);
        assert_eq!(uri_template("/books/{=*}"), None);
        assert_eq!(uri_template("/books/{id=a/*}"), None);
    }
}
