use crate::collections::HashSet;
use crate::diagnostic::{Diagnostic, Related};
use crate::model::Setting;
use crate::rules::{setting_help, Rule, RuleContext};
use crate::units::format_duration;

/// An active health check's timeout is shorter than its interval, where probes can overlap.
pub struct HealthCheckTiming;

impl Rule for HealthCheckTiming {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let mut seen = HashSet::default();
        for route in &cx.inventory.routes {
            // Where the checker waits for a round to end before the next, a long timeout only
            // spaces the probes out.
            if !route.format.active_probes_overlap() {
                continue;
            }
            let Some(active) = route
                .policy
                .health_check
                .as_ref()
                .and_then(|health| health.active.as_ref())
            else {
                continue;
            };
            let (Some(interval), Some(timeout)) = (&active.interval, &active.timeout) else {
                continue;
            };
            if timeout.value < interval.value || !seen.insert(active.location) {
                continue;
            }
            let mut diagnostic = Diagnostic::new(
                self.id(),
                timeout.origin.location().unwrap_or(active.location),
                format!(
                    "the {} health check waits {} for an answer but starts a round of probes every {}, whether the last one ended or not: rounds overlap and a slow endpoint is probed again before the last probe failed",
                    route.format,
                    format_duration(timeout.value),
                    format_duration(interval.value)
                ),
            )
            .with_label("timeout not shorter than the interval")
            .with_help(setting_help(
                route.format,
                Setting::HealthCheck,
                |field| format!("Make the `timeout` of {field} clearly shorter than its `interval` (e.g. interval 5s, timeout 1s)"),
                "Make the health check's timeout clearly shorter than its interval (e.g. interval 5s, timeout 1s)",
            ))
            .with_route(route.label());
            if let Some(location) = interval.origin.location() {
                diagnostic = diagnostic.with_related(Related {
                    location,
                    message: format!("probes every {}", format_duration(interval.value)),
                });
            }
            out.push(diagnostic);
        }
    }
}
