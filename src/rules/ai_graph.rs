//! What the rules over AI gateways' fallback graphs share (`ai-timeout-default` and the
//! `fallback-*` rules that read model groups and targets): the route a finding is about, and how
//! a node of the graph is named.

use crate::diagnostic::Diagnostic;
use crate::model::ai::{FallbackGraph, GraphNodes, ModelGroup};
use crate::model::{Inventory, Route};

/// The route a finding about `group` is about: the group's own, else the configuration's.
pub(super) fn route_of<'a>(
    inventory: &'a Inventory,
    graph: &FallbackGraph,
    group: Option<&ModelGroup>,
) -> Option<&'a Route> {
    group
        .and_then(|group| group.route)
        .or(graph.route)
        .and_then(|index| inventory.routes.get(index))
}

/// `diagnostic`, about `route` when there is one.
pub(super) fn about(diagnostic: Diagnostic, route: Option<&Route>) -> Diagnostic {
    match route {
        Some(route) => diagnostic.with_route(route.label()),
        None => diagnostic,
    }
}

/// `model group `gpt-4o`` or `Portkey target `targets[1]``, for messages.
pub(super) fn describe_group(graph: &FallbackGraph, name: &str) -> String {
    match graph.nodes {
        GraphNodes::ModelGroups => format!("model group `{name}`"),
        GraphNodes::Targets => format!("target `{name}`"),
    }
}
