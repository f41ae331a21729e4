use super::describe_route;
use crate::diagnostic::Diagnostic;
use crate::rules::{Rule, RuleContext};

/// A gateway route that reaches no operation of the API description: a shadow API.
pub struct RouteUndocumented;

impl Rule for RouteUndocumented {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        // Without an API description in the run, every route would be "undocumented".
        if cx.inventory.specs.is_empty() {
            return;
        }
        let mut reached = vec![false; cx.inventory.routes.len()];
        for link in cx.join.links.iter().chain(&cx.join.path_only) {
            if let Some(flag) = reached.get_mut(link.route) {
                *flag = true;
            }
        }
        for (index, route) in cx.inventory.routes.iter().enumerate() {
            if reached.get(index) == Some(&true) || route.is_catch_all() {
                continue;
            }
            out.push(
                Diagnostic::new(
                    self.id(),
                    route.path.location,
                    format!(
                        "{} reaches no operation of the API description",
                        describe_route(cx.workspace, route)
                    ),
                )
                .with_label("no documented operation matches this path")
                .with_route(route.label()),
            );
        }
    }
}
