use crate::collections::HashSet;
use crate::diagnostic::Diagnostic;
use crate::model::Setting;
use crate::rules::{setting_help, Rule, RuleContext};

/// A circuit breaker that is configured must be able to trip.
pub struct CircuitBreakerIneffective;

impl Rule for CircuitBreakerIneffective {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let mut seen = HashSet::default();
        for route in &cx.inventory.routes {
            for breaker in &route.policy.circuit_breakers {
                let Some(reason) = &breaker.ineffective else {
                    continue;
                };
                if !seen.insert(breaker.location) {
                    continue;
                }
                out.push(
                    Diagnostic::new(
                        self.id(),
                        breaker.location,
                        format!(
                            "this {} circuit breaker can never trip: {reason}",
                            route.format
                        ),
                    )
                    .with_label("configured, but cannot trip")
                    .with_help(setting_help(
                        route.format,
                        Setting::BreakerThreshold,
                        |field| format!("Set {field}, so that the breaker can trip"),
                        "Give the breaker a threshold that failures can reach",
                    ))
                    .with_route(route.label()),
                );
            }
        }
    }
}
