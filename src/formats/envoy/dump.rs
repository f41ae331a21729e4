//! The admin `/config_dump` of a running Envoy: which of its dumped resources serve, and the
//! order they are read in.

use super::listener::{connection_managers, read_listener, HttpFilters};
use super::message::report_fields_set_twice;
use super::route::read_route_configuration;
use super::{list, read_cluster, Scope};
use crate::collections::HashSet;
use crate::formats::anchor;
use crate::formats::read::Naming::Proto;
use crate::formats::read::Reader;
use crate::source::{Node, ScalarKind};

/// The package of the messages an admin `/config_dump` is made of.
const ADMIN_PACKAGE: &str = "envoy.admin.v3.";

/// What an entry of a config dump's `configs` holds, by its `@type`. `/config_dump` lists one
/// dump per component; `/config_dump?resource=...` lists the items of one of their repeated
/// fields instead (`ClustersConfigDump.DynamicCluster`, ...), which are read the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DumpEntry {
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

pub(super) fn dump_entry(entry: &Node) -> Option<DumpEntry> {
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
pub(super) fn config_dump(document: &Node) -> Option<&Node> {
    Proto.field(document, "configs").filter(|configs| {
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
pub(super) fn read_config_dump(cx: &mut Reader<'_>, configs: &Node) {
    if !configs.is_seq() {
        cx.invalid(
            configs,
            format!(
                "`configs` must be a list of config dumps, as `/config_dump` prints it, found {}",
                configs.type_name()
            ),
        );
    }
    let mut dumped = DumpedResources::default();
    for entry in list(Some(configs)) {
        collect_dump_entry(cx, entry, &mut dumped);
    }
    read_dumped_resources(cx, &dumped);
}

fn collect_dump_entry<'a>(cx: &mut Reader<'_>, entry: &'a Node, dumped: &mut DumpedResources<'a>) {
    if !entry.is_map() {
        cx.invalid(
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
            None => cx.invalid(
                &Node::scalar(anchor(entry), "", ScalarKind::Str),
                "a `configs` entry needs an `@type` such as \
                 `type.googleapis.com/envoy.admin.v3.ClustersConfigDump` (it is not read)",
            ),
            Some(type_url) => cx.invalid(
                type_url,
                format!(
                    "`@type`: `{}` is not an Envoy v3 config dump (this entry is not read)",
                    type_url.scalar_text().unwrap_or(type_url.type_name())
                ),
            ),
        }
        return;
    };
    report_fields_set_twice(cx, entry);
    match kind {
        DumpEntry::Bootstrap => {
            let static_resources = cx.map(entry, "bootstrap").and_then(|bootstrap| {
                report_fields_set_twice(cx, bootstrap);
                cx.map(bootstrap, "static_resources")
            });
            if let Some(static_resources) = static_resources {
                report_fields_set_twice(cx, static_resources);
                dumped
                    .bootstrap_clusters
                    .extend(list(Proto.field(static_resources, "clusters")));
                dumped
                    .bootstrap_listeners
                    .extend(list(Proto.field(static_resources, "listeners")));
            }
        }
        DumpEntry::Clusters => {
            for key in ["static_clusters", "dynamic_active_clusters"] {
                dumped.clusters.extend(unwrapped(cx, entry, key, "cluster"));
            }
        }
        DumpEntry::Cluster => dumped.clusters.extend(cx.map(entry, "cluster")),
        DumpEntry::Listeners => {
            let listeners = unwrapped(cx, entry, "static_listeners", "listener");
            dumped.listeners.extend(listeners);
            for item in dumped_items(cx, entry, "dynamic_listeners") {
                collect_dynamic_listener(cx, item, dumped);
            }
        }
        DumpEntry::StaticListener => dumped.listeners.extend(cx.map(entry, "listener")),
        DumpEntry::DynamicListener => collect_dynamic_listener(cx, entry, dumped),
        DumpEntry::Routes => {
            let configurations = unwrapped(cx, entry, "static_route_configs", "route_config");
            dumped.static_route_configurations.extend(configurations);
            let configurations = unwrapped(cx, entry, "dynamic_route_configs", "route_config");
            dumped.dynamic_route_configurations.extend(configurations);
        }
        DumpEntry::StaticRouteConfiguration => dumped
            .static_route_configurations
            .extend(cx.map(entry, "route_config")),
        DumpEntry::DynamicRouteConfiguration => dumped
            .dynamic_route_configurations
            .extend(cx.map(entry, "route_config")),
        DumpEntry::Other => {}
    }
}

/// The states of a `DynamicListener`: the active one serves; warming and draining ones do not.
fn collect_dynamic_listener<'a>(
    cx: &mut Reader<'_>,
    dynamic_listener: &'a Node,
    dumped: &mut DumpedResources<'a>,
) {
    for state in ["active_state", "warming_state", "draining_state"] {
        let listener = cx
            .map(dynamic_listener, state)
            .and_then(|state| cx.map(state, "listener"));
        if state == "active_state" {
            dumped.listeners.extend(listener);
        } else {
            dumped.inactive_listeners.extend(listener);
        }
    }
}

/// The messages under field `inner` of the items of repeated field `name` (a dump's list of
/// `StaticCluster`s, each holding its `cluster`).
fn unwrapped<'a>(cx: &mut Reader<'_>, dump: &'a Node, name: &str, inner: &str) -> Vec<&'a Node> {
    let items = dumped_items(cx, dump, name);
    items
        .into_iter()
        .filter_map(|item| cx.map(item, inner))
        .collect()
}

/// The items of repeated field `name` of a dump message, each a message; anything else is
/// reported and skipped.
fn dumped_items<'a>(cx: &mut Reader<'_>, dump: &'a Node, name: &str) -> Vec<&'a Node> {
    let messages = cx.maps(dump, name);
    for message in &messages {
        report_fields_set_twice(cx, message);
    }
    messages
}

/// The name a listener or route configuration is known by; `""` when it has none.
fn resource_name(resource: &Node) -> &str {
    Proto
        .field(resource, "name")
        .and_then(Node::scalar_text)
        .unwrap_or_default()
}

fn read_dumped_resources(cx: &mut Reader<'_>, dumped: &DumpedResources<'_>) {
    let mut scope = Scope::default();
    for &cluster in dumped.clusters.iter().chain(&dumped.bootstrap_clusters) {
        let name = Proto.field(cluster, "name").and_then(Node::scalar_text);
        if name.is_some_and(|name| scope.clusters.contains_key(name)) {
            continue;
        }
        if let Some(policy) = read_cluster(cx, cluster) {
            scope.clusters.insert(policy.upstream.name.clone(), policy);
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
    let mut reached_through_rds = HashSet::default();
    for &listener in dumped.listeners.iter().chain(bootstrap_only) {
        read_listener(cx, listener, &scope, &mut reached_through_rds);
    }
    // Route configurations no serving listener led to may still serve, through scoped routes or
    // a listener the dump leaves out; not those that only a warming or draining listener names.
    let named_by_inactive_listeners: HashSet<&str> = dumped
        .inactive_listeners
        .iter()
        .flat_map(|listener| connection_managers(listener))
        .filter_map(|manager| {
            Proto
                .field(Proto.field(manager, "rds")?, "route_config_name")?
                .as_str()
        })
        .collect();
    for &configuration in &dumped.dynamic_route_configurations {
        let name = resource_name(configuration);
        if !reached_through_rds.contains(name) && !named_by_inactive_listeners.contains(name) {
            read_route_configuration(cx, configuration, &scope, &HttpFilters::elsewhere());
        }
    }
    let written_in_listeners: HashSet<&str> = dumped
        .listeners
        .iter()
        .chain(&dumped.bootstrap_listeners)
        .chain(&dumped.inactive_listeners)
        .flat_map(|listener| connection_managers(listener))
        .filter_map(|manager| Proto.field(manager, "route_config"))
        .map(resource_name)
        .collect();
    for &configuration in &dumped.static_route_configurations {
        if !written_in_listeners.contains(resource_name(configuration)) {
            read_route_configuration(cx, configuration, &scope, &HttpFilters::elsewhere());
        }
    }
}
