//! Rules over AI gateways' fallback graphs: chains that cannot work as written, chains that do
//! not leave the provider, default timeouts and fallbacks that fire on the wrong errors.

pub mod ai_timeout_default;
pub mod fallback_invalid;
pub mod fallback_same_provider;
pub mod fallback_trigger_scope;

use crate::diagnostic::Diagnostic;
use crate::model::ai::{FallbackGraph, GraphNodes, ModelGroup};
use crate::model::{Inventory, Route};

/// The route a finding about `group` is about: the group's own, else the configuration's.
fn route_of<'a>(
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
fn about(diagnostic: Diagnostic, route: Option<&Route>) -> Diagnostic {
    match route {
        Some(route) => diagnostic.with_route(route.label()),
        None => diagnostic,
    }
}

/// `model group `gpt-4o`` or `Portkey target `targets[1]``, for messages.
fn describe_group(graph: &FallbackGraph, name: &str) -> String {
    match graph.nodes {
        GraphNodes::ModelGroups => format!("model group `{name}`"),
        GraphNodes::Targets => format!("target `{name}`"),
    }
}
