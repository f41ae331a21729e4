use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Origin;
use crate::rules::{describe_route, Rule, RuleContext};

use super::retry_location;

/// Retries are bounded, and at most `max`.
pub struct RetryExcessive;

impl Rule for RetryExcessive {
    fn id(&self) -> &'static str {
        "retry-excessive"
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for route in &cx.inventory.routes {
            let Some(retry) = &route.policy.retry else {
                continue;
            };
            let describe = describe_route(cx.workspace, route);
            if retry.unbounded {
                out.push(
                    Diagnostic::new(
                        self.id(),
                        retry_location(retry),
                        format!("{describe} retries without a limit"),
                    )
                    .with_severity(Severity::Error)
                    .with_label("no limit on retries")
                    .with_route(route.label()),
                );
                continue;
            }
            let max = cx
                .options_for(self.id(), route.location.file, Some(&route.label()))
                .integer("max");
            let retries = retry.max_retries.value;
            if i64::from(retries) <= max {
                continue;
            }
            let whose = match &retry.max_retries.origin {
                Origin::Explicit(_) => String::new(),
                Origin::Default(note) => format!(" ({note})"),
            };
            out.push(
                Diagnostic::new(
                    self.id(),
                    retry_location(retry),
                    format!("{describe} retries up to {retries} times{whose}, more than the {max} allowed (`max`)"),
                )
                .with_label(format!("{retries} retries"))
                .with_route(route.label()),
            );
        }
    }
}
