//! Envoy: static bootstrap configuration (`static_resources` listeners and clusters),
//! standalone xDS resources (`RouteConfiguration`, `Listener` and `Cluster`, in a `resources`
//! list or on their own, with or without a v3 `@type`), and the admin `/config_dump` of a running
//! Envoy (a `configs` list of `envoy.admin.v3.*ConfigDump` messages).
//!
//! Routes are read from each virtual host in order. A route's cluster is linked directly when
//! the bootstrap or config dump defines it; standalone `Cluster` resources become
//! [`UpstreamPolicy`](crate::model::UpstreamPolicy)s that reach the routes of any file that send
//! to them. A static bootstrap without CDS that defines clusters is complete: a route naming a
//! cluster it lacks makes Envoy refuse the route table, and is reported rather than linted.

mod cluster;
mod dump;
mod listener;
mod message;
mod retry;
mod route;

use super::read::Naming::Proto;
use super::read::{Naming, Reader, Release};
use super::values::Dialect;
use super::{AdaptContext, Adapter};
use crate::collections::{HashMap, HashSet};
use crate::source::Node;
use crate::span::FileId;
use cluster::{read_cluster, ClusterPolicy};
use dump::{config_dump, read_config_dump};
use listener::{read_listener, HttpFilters};
use message::report_fields_set_twice;
use route::read_route_configuration;

/// The release whose behaviour this adapter models, named in its default notes. Envoy 1.36.0
/// (released 2025-10-14, envoyproxy.io "Version history: v1.36") is the line the defaults were
/// checked against: a route timeout of 15s when `RouteAction.timeout` is unset and one retry
/// when `RetryPolicy.num_retries` is (api/envoy/config/route/v3/route_components.proto), and a
/// 25 ms base interval for the fully jittered retry back-off
/// (source/common/router/retry_state_impl.cc).
const RELEASE: Release = Release("Envoy 1.36");

pub(super) use retry::retry_condition;

pub static ADAPTER: Adapter = Adapter {
    name: "envoy",
    detect,
    uses_refs: false,
    adapt,
};

const AGGREGATE_CLUSTER: &str = "envoy.clusters.aggregate";
/// Envoy answers 503 when it cannot reach a healthy upstream: connection failure, every host
/// ejected or unhealthy, or a circuit breaker overflowing (its default thresholds always apply).
const NO_HEALTHY_UPSTREAM: u16 = 503;

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
    if Proto
        .field(document, "static_resources")
        .is_some_and(Node::is_map)
    {
        return true;
    }
    // A bootstrap whose listeners and clusters all come from xDS (`Bootstrap.DynamicResources`
    // in `api/envoy/config/bootstrap/v3/bootstrap.proto`): it defines no route itself.
    if Proto
        .field(document, "dynamic_resources")
        .is_some_and(|dynamic| {
            ["lds_config", "cds_config", "ads_config"]
                .iter()
                .any(|source| Proto.field(dynamic, source).is_some_and(Node::is_map))
        })
    {
        return true;
    }
    if let Some(resources) = Proto.field(document, "resources") {
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
    let virtual_hosts = Proto.field(node, "virtual_hosts").map(Node::items);
    if virtual_hosts.is_some_and(|hosts| {
        !hosts.is_empty()
            && hosts.iter().all(|host| {
                Proto.field(host, "routes").is_some() || Proto.field(host, "domains").is_some()
            })
    }) {
        return Some(ResourceKind::RouteConfiguration);
    }
    let named = Proto.field(node, "name").and_then(Node::as_str).is_some();
    let has_endpoints = Proto
        .field(node, "load_assignment")
        .is_some_and(|assignment| Proto.field(assignment, "endpoints").is_some());
    let aggregate = Proto
        .field(node, "cluster_type")
        .and_then(|cluster_type| Proto.field(cluster_type, "name"))
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

fn adapt(cx: &mut AdaptContext<'_>, file: FileId, document: &Node) {
    // Protobuf's JSON mapping takes a string field only as a string, an integer also as one.
    let cx = &mut Reader::new(cx, file, Naming::Proto, Dialect::Protobuf).typed();
    if let Some(configs) = config_dump(document) {
        report_fields_set_twice(cx, document);
        read_config_dump(cx, configs);
        return;
    }
    if let Some(static_resources) = Proto.field(document, "static_resources") {
        report_fields_set_twice(cx, document);
        report_fields_set_twice(cx, static_resources);
        // Without CDS, the bootstrap's clusters are all there are; a file that defines none
        // is taken for a fragment whose clusters come with another (`--config-yaml`).
        let clusters = list(Proto.field(static_resources, "clusters"));
        let mut scope = Scope {
            defines_every_cluster: !clusters.is_empty()
                && Proto
                    .field(document, "dynamic_resources")
                    .and_then(|dynamic| Proto.field(dynamic, "cds_config"))
                    .is_none(),
            ..Scope::default()
        };
        for cluster in clusters {
            if let Some(cluster) = read_cluster(cx, cluster) {
                // Envoy refuses duplicate names; the first definition is the one linked.
                scope
                    .clusters
                    .entry(cluster.upstream.name.clone())
                    .or_insert(cluster);
            }
        }
        for listener in list(Proto.field(static_resources, "listeners")) {
            read_listener(cx, listener, &scope, &mut HashSet::default());
        }
        return;
    }
    let resources = match Proto.field(document, "resources") {
        Some(resources) => list(Some(resources)),
        None => std::slice::from_ref(document),
    };
    // Clusters given as resources may serve routes in any file, this one included, so they are
    // all shared as upstream policies rather than linked here as well.
    let scope = Scope::default();
    for resource in resources {
        match resource_kind(resource) {
            Some(ResourceKind::RouteConfiguration) => {
                read_route_configuration(cx, resource, &scope, &HttpFilters::elsewhere());
            }
            Some(ResourceKind::Listener) => {
                read_listener(cx, resource, &scope, &mut HashSet::default());
            }
            Some(ResourceKind::Cluster) => {
                if let Some(cluster) = read_cluster(cx, resource) {
                    cx.inventory.upstream_policies.push(cluster.upstream);
                }
            }
            None => {}
        }
    }
}

/// What the routes of one document can link to directly.
#[derive(Default)]
struct Scope<'a> {
    clusters: HashMap<String, ClusterPolicy>,
    /// Route configurations that connection managers name through RDS, by name (a config
    /// dump's dynamic ones; elsewhere they are in other files, and read on their own).
    route_configurations: HashMap<&'a str, &'a Node>,
    /// Whether `clusters` are every cluster Envoy will have: a static bootstrap without CDS.
    defines_every_cluster: bool,
}

impl Scope<'_> {
    fn cluster(&self, name: &str) -> Option<&ClusterPolicy> {
        self.clusters.get(name)
    }
}

#[cfg(test)]
mod tests;
