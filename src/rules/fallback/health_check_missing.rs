use std::collections::HashSet;

use super::has_health_signal;
use crate::diagnostic::Diagnostic;
use crate::model::Setting;
use crate::rules::{setting_help, Rule, RuleContext};

/// A pool of two or more endpoints checks their health, actively or passively.
pub struct HealthCheckMissing;

impl Rule for HealthCheckMissing {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let mut seen = HashSet::new();
        for route in &cx.inventory.routes {
            let policy = &route.policy;
            let Some(upstream) = &policy.upstream else {
                continue;
            };
            // AI gateways switch providers per request; their breaker is their health signal,
            // and `circuit-breaker-missing` reports when there is none.
            if route.layer() == crate::model::Layer::Ai {
                continue;
            }
            let endpoints = upstream.endpoints.unwrap_or(0);
            if endpoints < 2
                || has_health_signal(policy)
                || !seen.insert((route.format, upstream.name.clone()))
            {
                continue;
            }
            out.push(
                Diagnostic::new(
                    self.id(),
                    upstream.location.unwrap_or(route.location),
                    format!(
                        "{} upstream `{}` balances over {endpoints} endpoints without active or passive health checks: a dead endpoint keeps getting its share of requests",
                        route.format, upstream.name
                    ),
                )
                .with_label("no health checks")
                .with_help(setting_help(
                    route.format,
                    Setting::HealthCheck,
                    |field| format!("Add {field}, so that a dead endpoint is taken out of the rotation"),
                    "Add a health check to the upstream, so that a dead endpoint is taken out of the rotation",
                ))
                .with_route(route.label()),
            );
        }
    }
}
