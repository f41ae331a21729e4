use crate::diagnostic::{Diagnostic, Related, Severity};
use crate::model::policy::FallbackKind;
use crate::model::Setting;
use crate::model::{FallbackRequirement, Layer, Route};
use crate::rules::options::{option_choice, rule_options};
use crate::rules::{emit_grouped, setting_help, short_route, RouteFinding, Rule, RuleContext};

rule_options! {
    /// Where `fallback-missing` asks for a fallback.
    pub struct FallbackMissingOptions {
        scope: FallbackScope,
    }
}

option_choice! {
    /// Which routes must have a fallback.
    pub enum FallbackScope {
        /// Only those whose operation declares `x-resilience.fallback: required`.
        Required = "required",
        /// Those, and every AI gateway route.
        Ai = "ai",
        /// Every route.
        All = "all",
    }
}

/// A route has somewhere to go when its upstream fails: required (an error) where the operation
/// declares `x-resilience.fallback: required`, advised elsewhere.
pub struct FallbackMissing;

impl Rule for FallbackMissing {
    type Options = FallbackMissingOptions;

    fn check(&self, cx: &RuleContext<'_, FallbackMissingOptions>, out: &mut Vec<Diagnostic>) {
        let mut required_somewhere = vec![false; cx.inventory.routes.len()];
        for (index, operation) in cx.inventory.operations.iter().enumerate() {
            let stack: Vec<&Route> = cx
                .join
                .routes_of(index)
                .map(|link| &cx.inventory.routes[link.route])
                .collect();
            let Some(requirement) = &operation.resilience.fallback else {
                continue;
            };
            if requirement.value != FallbackRequirement::Required || stack.is_empty() {
                continue;
            }
            for link in cx.join.routes_of(index) {
                if let Some(flag) = required_somewhere.get_mut(link.route) {
                    *flag = true;
                }
            }
            if stack.iter().any(|route| !route.policy.fallbacks.is_empty()) {
                continue;
            }
            let names: Vec<String> = stack.iter().map(|route| short_route(route)).collect();
            let mut diagnostic = Diagnostic::new(
                self.id(),
                requirement.location,
                format!(
                    "`{}` requires a fallback, but none of its routes has one ({})",
                    operation.route(),
                    names.join(", ")
                ),
            )
            .with_severity(Severity::Error)
            .with_label("fallback required here")
            .with_route(operation.route());
            for route in &stack {
                diagnostic = diagnostic.with_related(Related {
                    location: route.location,
                    message: format!("{} has no fallback", short_route(route)),
                });
            }
            out.push(diagnostic);
        }
        // Model groups that other groups fall back to (for any trigger) are the end of a chain
        // by design.
        let fallback_targets: crate::collections::HashSet<&str> = cx
            .inventory
            .routes
            .iter()
            .flat_map(|route| &route.policy.fallbacks)
            .filter(|fallback| fallback.kind == FallbackKind::ModelFallback)
            .flat_map(|fallback| fallback.targets.iter().map(String::as_str))
            .chain(
                cx.inventory
                    .fallback_graphs
                    .iter()
                    .flat_map(|graph| graph.edges.iter().map(|edge| edge.to.as_str())),
            )
            .collect();
        let mut found = Vec::new();
        for (index, route) in cx.inventory.routes.iter().enumerate() {
            if !route.policy.fallbacks.is_empty() || required_somewhere.get(index) == Some(&true) {
                continue;
            }
            let is_ai = route.layer() == Layer::Ai;
            if is_ai
                && route
                    .name
                    .as_deref()
                    .is_some_and(|name| fallback_targets.contains(name))
            {
                continue;
            }
            let scope = cx.options(route.location.file, Some(&route.label())).scope;
            if scope == FallbackScope::Required || (scope == FallbackScope::Ai && !is_ai) {
                continue;
            }
            let label = route.label();
            let finding: RouteFinding<'_> = Box::new(move |subject| {
                Diagnostic::new(
                    self.id(),
                    route.location,
                    format!(
                        "{subject} has no fallback: no backup endpoints, failover service, static response or second healthy target"
                    ),
                )
                .with_label("no fallback")
                .with_help(setting_help(
                    route.format,
                    Setting::Fallback,
                    |field| format!("Add {field} if the route must survive its upstream's failure; a single upstream can be a deliberate choice"),
                    "This gateway has no fallback setting: fall back in the layer in front, or accept the single upstream",
                ))
                .with_route(label.clone())
            });
            found.push((route.location, route, finding));
        }
        emit_grouped(cx, out, found);
    }
}
