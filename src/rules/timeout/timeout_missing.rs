use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{Origin, Timeout};
use crate::rules::{describe_route, Rule, RuleContext};

use super::bound;

/// Every route has an end-to-end bound: an error when nothing bounds it, a warning when only a
/// gateway's default does.
pub struct TimeoutMissing;

impl Rule for TimeoutMissing {
    fn id(&self) -> &'static str {
        "timeout-missing"
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for route in &cx.inventory.routes {
            let describe = describe_route(cx.workspace, route);
            match bound(&route.policy) {
                None => {
                    let timeout = route.policy.timeout.as_ref();
                    let (location, why) = match timeout {
                        Some(timeout) if timeout.value == Timeout::Unbounded => {
                            match &timeout.origin {
                                Origin::Explicit(location) => {
                                    (*location, "its timeout is switched off here".to_string())
                                }
                                Origin::Default(note) => {
                                    (route.location, format!("{note}, and none is set"))
                                }
                            }
                        }
                        _ => (route.location, "no timeout is set".to_string()),
                    };
                    out.push(
                        Diagnostic::new(
                            self.id(),
                            location,
                            format!("{describe} has no timeout at all: {why}"),
                        )
                        .with_severity(Severity::Error)
                        .with_label("a request here can wait forever")
                        .with_route(route.label()),
                    );
                }
                Some(bound) => {
                    let Some(note) = bound.default_note else {
                        continue;
                    };
                    out.push(
                        Diagnostic::new(
                            self.id(),
                            route.location,
                            format!(
                                "{describe} is only bounded by {note} ({}): no timeout is set for it",
                                bound.explanation
                            ),
                        )
                        .with_label("no timeout configured for this route")
                        .with_route(route.label()),
                    );
                }
            }
        }
    }
}
