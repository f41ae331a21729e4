use crate::diagnostic::{Diagnostic, Related};
use crate::model::Setting;
use crate::rules::{emit_grouped, setting_help, RouteFinding, Rule, RuleContext};
use crate::units::format_duration;

/// A per-try timeout longer than the total timeout can never take effect.
pub struct PerTryTimeoutExceedsTotal;

impl Rule for PerTryTimeoutExceedsTotal {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let mut found = Vec::new();
        for route in cx.timed_routes() {
            let policy = &route.policy;
            let Some(timeout) = policy.timeout.as_ref() else {
                continue;
            };
            let Some(total) = timeout.value.bound() else {
                continue;
            };
            let Some(per_try) = policy.effective_per_try() else {
                continue;
            };
            if per_try.value <= total {
                continue;
            }
            let location = per_try.origin.location().unwrap_or(route.location);
            let label = route.label();
            let finding: RouteFinding<'_> = Box::new(move |subject| {
                let mut diagnostic = Diagnostic::new(
                    self.id(),
                    location,
                    format!(
                        "{subject} gives one attempt {} but the whole request only {}: the per-try timeout never fires and no retry can follow a slow attempt",
                        format_duration(per_try.value),
                        format_duration(total)
                    ),
                )
                .with_label("longer than the total timeout")
                .with_help(setting_help(
                    route.format,
                    Setting::PerTryTimeout,
                    |field| format!("Make {field} a fraction of the total, leaving room for the retries (e.g. total 4s, 2 retries: at most 1.3s)"),
                    "Make the per-try timeout a fraction of the total, leaving room for the retries",
                ))
                .with_route(label.clone());
                if let Some(location) = timeout.origin.location() {
                    diagnostic = diagnostic.with_related(Related {
                        location,
                        message: format!("the total timeout is {}", format_duration(total)),
                    });
                }
                diagnostic
            });
            found.push((location, route, finding));
        }
        emit_grouped(cx, out, found);
    }
}
