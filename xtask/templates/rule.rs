use crate::diagnostic::Diagnostic;
use crate::model::Route;
use crate::rules::{describe_route, Rule, RuleContext};

/// What `new-rule` asks of a route, and why, in a sentence or two (rules/new-rule.yaml says it
/// at length, with the examples that trigger and pass it).
pub struct NewRule;

impl Rule for NewRule {
    /// `()` while the rule has no options: declare them with `rule_options!` (see
    /// `crate::rules::options`) and in the entry's `options:`.
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for route in &cx.inventory.routes {
            if !breaks_the_rule(route) {
                continue;
            }
            let subject = describe_route(cx.workspace, route);
            out.push(
                Diagnostic::new(
                    self.id(),
                    route.location,
                    format!("{subject} breaks the rule"),
                )
                .with_label("what is wrong here")
                .with_route(route.label()),
            );
        }
    }
}

/// Whether `route` breaks the rule, read from the model alone.
fn breaks_the_rule(_route: &Route) -> bool {
    false
}
