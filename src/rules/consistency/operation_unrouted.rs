use crate::collections::{HashMap, HashSet};
use crate::diagnostic::Diagnostic;

use crate::model::api::{HostIndex, HostMatch};
use crate::rules::{Rule, RuleContext};

/// An operation no gateway route reaches, when gateway configurations are part of the run.
pub struct OperationUnrouted;

impl Rule for OperationUnrouted {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        if cx.inventory.routes.is_empty() {
            return;
        }
        let mut routed = vec![false; cx.inventory.operations.len()];
        for link in &cx.join.links {
            if let Some(flag) = routed.get_mut(link.operation) {
                *flag = true;
            }
        }
        let mut formats: Vec<&str> = cx
            .inventory
            .routes
            .iter()
            .map(|r| r.format.name())
            .collect();
        formats.sort_unstable();
        formats.dedup();
        // A description none of whose operations any route reaches, and whose hosts no route
        // names, is not behind these gateways (another API of the same repository): its
        // operations are not reported one by one.
        let named = named_by_a_route(cx);
        let mut document_routed: Vec<bool> = (0..cx.inventory.specs.len())
            .map(|spec| named.contains(&spec))
            .collect();
        for (index, operation) in cx.inventory.operations.iter().enumerate() {
            if routed.get(index) == Some(&true) {
                if let Some(flag) = document_routed.get_mut(operation.document) {
                    *flag = true;
                }
            }
        }
        for (index, operation) in cx.inventory.operations.iter().enumerate() {
            if routed.get(index) == Some(&true)
                || document_routed.get(operation.document) != Some(&true)
            {
                continue;
            }
            let route = operation.route();
            out.push(
                Diagnostic::new(
                    self.id(),
                    operation.location,
                    format!(
                        "operation `{route}` is not reachable through any gateway route ({} configuration read)",
                        formats.join(", ")
                    ),
                )
                .with_label("no gateway route reaches this operation")
                .with_route(route),
            );
        }
    }
}

/// The descriptions (by index) one of whose hosts some route's hosts name, exactly or by
/// wildcard: the gateway serves that API, so each of its operations no route reaches is
/// unrouted. Each distinct route host is looked up once in an index of the descriptions' hosts.
fn named_by_a_route(cx: &RuleContext<'_>) -> HashSet<usize> {
    let hosts: Vec<Vec<&str>> = cx
        .inventory
        .specs
        .iter()
        .map(|spec| spec.api.hosts())
        .collect();
    let index = HostIndex::new(&hosts);
    let route_hosts: HashSet<&str> = cx
        .inventory
        .routes
        .iter()
        .flat_map(|route| route.hosts.iter().map(String::as_str))
        .collect();
    let mut met = HashMap::default();
    for route_host in route_hosts {
        index.meet(route_host, &mut met);
    }
    met.into_iter()
        .filter(|(_, how)| matches!(how, HostMatch::Exact | HostMatch::Wildcard))
        .map(|(spec, _)| spec)
        .collect()
}
