use crate::diagnostic::Diagnostic;
use crate::model::api::{host_match, HostMatch};
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
        let mut document_routed: Vec<bool> = cx
            .inventory
            .specs
            .iter()
            .map(|spec| named_by_a_route(cx, &spec.api.hosts()))
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

/// Whether some route's hosts name one of `hosts` (exactly or by wildcard): the gateway serves
/// that API, so each of its operations no route reaches is unrouted.
fn named_by_a_route(cx: &RuleContext<'_>, hosts: &[&str]) -> bool {
    cx.inventory.routes.iter().any(|route| {
        route.hosts.iter().any(|route_host| {
            hosts.iter().any(|host| {
                matches!(
                    host_match(route_host, host),
                    Some(HostMatch::Exact | HostMatch::Wildcard)
                )
            })
        })
    })
}
