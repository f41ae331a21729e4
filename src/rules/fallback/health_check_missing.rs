use super::has_health_signal;
use crate::collections::HashSet;
use crate::diagnostic::{Diagnostic, Related};
use crate::model::policy::Upstream;
use crate::model::{GatewayFormat, Route, Setting};
use crate::rules::{setting_help, Rule, RuleContext};

/// A pool of two or more endpoints checks their health, actively or passively.
pub struct HealthCheckMissing;

impl Rule for HealthCheckMissing {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let mut seen = HashSet::default();
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
            if !policy.members.is_empty() {
                self.check_members(route, upstream, &mut seen, out);
                continue;
            }
            let endpoints = upstream.endpoints.unwrap_or(0);
            if endpoints < 2
                || has_health_signal(policy)
                || !seen.insert((route.format, upstream.name.clone()))
            {
                continue;
            }
            out.push(self.unchecked_pool(
                route,
                &upstream.name,
                endpoints,
                upstream.location.unwrap_or(route.location),
            ));
        }
    }
}

impl HealthCheckMissing {
    fn unchecked_pool(
        &self,
        route: &Route,
        name: &str,
        endpoints: u32,
        location: crate::span::Location,
    ) -> Diagnostic {
        Diagnostic::new(
            self.id(),
            location,
            format!(
                "{} upstream `{name}` balances over {endpoints} endpoints without active or passive health checks: a dead endpoint keeps getting its share of requests",
                route.format
            ),
        )
        .with_label("no health checks")
        .with_help(setting_help(
            route.format,
            Setting::HealthCheck,
            |field| format!("Add {field}, so that a dead endpoint is taken out of the rotation"),
            "Add a health check to the upstream, so that a dead endpoint is taken out of the rotation",
        ))
        .with_route(route.label())
    }

    /// An upstream made of services: each service balancing over several endpoints checks
    /// them, and the upstream itself hears when one of its services is down.
    fn check_members(
        &self,
        route: &Route,
        upstream: &Upstream,
        seen: &mut HashSet<(GatewayFormat, String)>,
        out: &mut Vec<Diagnostic>,
    ) {
        let policy = &route.policy;
        for member in &policy.members {
            let endpoints = member.endpoints.unwrap_or(0);
            if endpoints >= 2 && !member.checked && seen.insert((route.format, member.name.clone()))
            {
                out.push(self.unchecked_pool(route, &member.name, endpoints, member.location));
            }
        }
        if policy.members.len() < 2
            || has_health_signal(policy)
            || !seen.insert((route.format, upstream.name.clone()))
        {
            return;
        }
        let unchecked: Vec<_> = policy
            .members
            .iter()
            .filter(|member| !member.checked)
            .collect();
        let mut diagnostic = Diagnostic::new(
            self.id(),
            upstream.location.unwrap_or(route.location),
            format!(
                "{} upstream `{}` balances over {} services, {}: it keeps choosing a service whose endpoints are all down",
                route.format,
                upstream.name,
                policy.members.len(),
                match unchecked.len() {
                    all if all == policy.members.len() => "none of them with health checks".to_string(),
                    1 => "one of them without health checks".to_string(),
                    some => format!("{some} of them without health checks"),
                }
            ),
        )
        .with_label("no health checks")
        .with_help(setting_help(
            route.format,
            Setting::MemberHealthCheck,
            |field| format!("Add {field}, so that a service whose endpoints are all down stops getting requests"),
            "Add a health check to each service it balances over, so that a service whose endpoints are all down stops getting requests",
        ))
        .with_route(route.label());
        for member in unchecked {
            diagnostic = diagnostic.with_related(Related {
                location: member.location,
                message: format!("service `{}` checks no health", member.name),
            });
        }
        out.push(diagnostic);
    }
}
