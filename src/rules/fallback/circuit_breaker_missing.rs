use std::collections::HashSet;

use crate::diagnostic::Diagnostic;
use crate::rule_id::BuiltinRule;
use crate::rules::{Rule, RuleContext};

/// Every upstream has a circuit breaker, outlier detection or passive health check.
pub struct CircuitBreakerMissing;

impl Rule for CircuitBreakerMissing {
    fn id(&self) -> BuiltinRule {
        BuiltinRule::CircuitBreakerMissing
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let mut seen = HashSet::new();
        for route in &cx.inventory.routes {
            let policy = &route.policy;
            let Some(upstream) = &policy.upstream else {
                continue;
            };
            if !route.format.configures_circuit_breakers() {
                continue;
            }
            let protected = !policy.circuit_breakers.is_empty()
                || policy
                    .health_check
                    .as_ref()
                    .is_some_and(|health| health.passive.is_some());
            if protected || !seen.insert((route.format, upstream.name.clone())) {
                continue;
            }
            out.push(
                Diagnostic::new(
                    self.id(),
                    upstream.location.unwrap_or(route.location),
                    format!(
                        "{} upstream `{}` has no circuit breaker, outlier detection or passive health check: {} keeps sending traffic to it while it fails",
                        route.format, upstream.name, route.format
                    ),
                )
                .with_label("no circuit breaker")
                .with_route(route.label()),
            );
        }
    }
}
