use std::collections::BTreeMap;

use crate::diagnostic::Diagnostic;
use crate::model::ai::{FallbackEdge, FallbackGraph, FallbackTrigger};
use crate::rules::ai_graph::{about, route_of};
use crate::rules::{Rule, RuleContext};
use crate::span::Location;

/// Fallbacks that fire on the wrong errors: on every failure, client errors included, which the
/// next model rejects the same way; or never on rate limits and timeouts, the failures a
/// fallback exists for.
pub struct FallbackTriggerScope;

/// Statuses that say the request itself is wrong: every provider rejects it the same way.
const REQUEST_ERRORS: &[u16] = &[400, 422];

impl Rule for FallbackTriggerScope {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for graph in &cx.inventory.fallback_graphs {
            self.status_strategies(cx, graph, out);
            self.narrow_groups(cx, graph, out);
        }
    }
}

impl FallbackTriggerScope {
    /// Portkey: each `fallback` strategy's statuses.
    fn status_strategies(
        &self,
        cx: &RuleContext<'_>,
        graph: &FallbackGraph,
        out: &mut Vec<Diagnostic>,
    ) {
        let mut strategies: BTreeMap<Location, Vec<&FallbackEdge>> = BTreeMap::new();
        for edge in &graph.edges {
            if matches!(
                edge.trigger,
                FallbackTrigger::AnyFailure | FallbackTrigger::Statuses(_)
            ) {
                strategies.entry(edge.declared).or_default().push(edge);
            }
        }
        let route = route_of(cx.inventory, graph, None);
        for (declared, edges) in strategies {
            let Some(first) = edges.first() else {
                continue;
            };
            match &first.trigger {
                FallbackTrigger::AnyFailure => out.push(about(
                    Diagnostic::new(
                        self.id(),
                        declared,
                        "this fallback strategy falls back on every failed response, 400 and 401 \
                         included: a request the first target rejects as malformed or \
                         unauthorized is sent to every other target, to fail the same way",
                    )
                    .with_label("no `on_status_codes`")
                    .with_help(
                        "list the statuses worth another target in `strategy.on_status_codes`, \
                         e.g. [408, 429, 500, 502, 503, 504]",
                    ),
                    route,
                )),
                FallbackTrigger::Statuses(codes) => {
                    // Portkey answers 408 itself when a target runs out of `request_timeout`.
                    let timeouts = edges.iter().any(|edge| {
                        graph.group(&edge.from).is_some_and(|group| {
                            group.deployments.iter().any(|d| d.timeout.is_some())
                        })
                    });
                    let mut missing = Vec::new();
                    if !codes.contains(&429) {
                        missing.push("rate limits (429)");
                    }
                    if timeouts && !codes.contains(&408) {
                        missing.push("timeouts (408)");
                    }
                    let broad: Vec<String> = codes
                        .iter()
                        .filter(|code| REQUEST_ERRORS.contains(code))
                        .map(ToString::to_string)
                        .collect();
                    if !missing.is_empty() {
                        out.push(about(
                            Diagnostic::new(
                                self.id(),
                                declared,
                                format!(
                                    "this fallback strategy never falls back on {}: the \
                                     failures another provider is most likely to answer",
                                    missing.join(" or ")
                                ),
                            )
                            .with_label("missing from `on_status_codes`")
                            .with_help(
                                "add 429 (and 408 when targets have a `request_timeout`) to \
                                 `on_status_codes`",
                            ),
                            route,
                        ));
                    }
                    if !broad.is_empty() {
                        out.push(about(
                            Diagnostic::new(
                                self.id(),
                                declared,
                                format!(
                                    "this fallback strategy falls back on {}: the request itself \
                                     is wrong, and every other target rejects it the same way",
                                    broad.join(" and ")
                                ),
                            )
                            .with_label("request errors in `on_status_codes`")
                            .with_help("remove 400 and 422 from `on_status_codes`"),
                            route,
                        ));
                    }
                }
                _ => {}
            }
        }
    }

    /// LiteLLM: groups whose only fallbacks are for an exceeded context window or a content
    /// policy refusal.
    fn narrow_groups(
        &self,
        cx: &RuleContext<'_>,
        graph: &FallbackGraph,
        out: &mut Vec<Diagnostic>,
    ) {
        for group in &graph.groups {
            let edges: Vec<&FallbackEdge> = graph.edges_from(&group.name).collect();
            let Some(narrow) = edges.iter().find(|edge| {
                matches!(
                    edge.trigger,
                    FallbackTrigger::ContextWindow | FallbackTrigger::ContentPolicy
                )
            }) else {
                continue;
            };
            if edges.iter().any(|edge| edge.trigger.covers_outages()) {
                continue;
            }
            let route = route_of(cx.inventory, graph, Some(group));
            out.push(about(
                Diagnostic::new(
                    self.id(),
                    narrow.declared,
                    format!(
                        "model group `{}` falls back only through `{}`, never on rate limits \
                         (429), timeouts or provider outages",
                        group.name,
                        narrow.trigger.key()
                    ),
                )
                .with_label("the group's only fallbacks")
                .with_help(format!(
                    "add an entry for `{}` to `fallbacks`, naming a model group on another \
                     provider",
                    group.name
                )),
                route,
            ));
        }
    }
}
