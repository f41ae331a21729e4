use super::has_health_signal;
use crate::collections::HashSet;
use crate::diagnostic::Diagnostic;
use crate::model::policy::FallbackKind;
use crate::model::Setting;
use crate::rules::{setting_help, Rule, RuleContext};

/// A failover that switches when the primary is unhealthy needs something that tells it so.
pub struct FallbackWithoutHealthSignal;

impl Rule for FallbackWithoutHealthSignal {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let mut seen = HashSet::default();
        for route in &cx.inventory.routes {
            if has_health_signal(&route.policy) {
                continue;
            }
            for fallback in &route.policy.fallbacks {
                let kind = match fallback.kind {
                    FallbackKind::LocalityFailover => "locality failover",
                    FallbackKind::FailoverService => "failover service",
                    FallbackKind::BackupEndpoints => "backup endpoints",
                    _ => continue,
                };
                if !seen.insert(fallback.location) {
                    continue;
                }
                out.push(
                    Diagnostic::new(
                        self.id(),
                        fallback.location,
                        format!(
                            "this {} {kind} switches over when the primary is unhealthy, but nothing checks its health (no active or passive health check, no outlier detection): it never switches",
                            route.format
                        ),
                    )
                    .with_label("failover without a health signal")
                    .with_help(setting_help(
                        route.format,
                        Setting::HealthCheck,
                        |field| format!("Add {field} for the primary, so that the failover knows when to switch"),
                        "Add a health check or outlier detection to the primary, so that the failover knows when to switch",
                    ))
                    .with_route(route.label()),
                );
            }
        }
    }
}
