use crate::collections::{HashMap, HashSet};
use crate::diagnostic::{Diagnostic, Related};
use crate::model::ai::{FallbackEdge, FallbackGraph, TriggerFamily};
use crate::model::ai_paths::{self, LoopSet, RepeatedCall};
use crate::rules::ai_graph::{about, describe_group, route_of};
use crate::rules::{Rule, RuleContext};
use crate::span::Location;
use crate::suggest::Suggester;

/// AI gateway fallbacks that cannot work as written: to a model group that does not exist, from
/// one that does not exist, to the group itself or the same deployment, or around a cycle.
///
/// The rule's catalog entry also covers gateway fallbacks (failover services, backup
/// endpoints); this part reads the AI gateways' fallback graphs.
pub struct FallbackInvalid;

/// Cycles shown per loop set: a mesh of groups has more cycles than anyone reads.
const CYCLES_PER_SET: usize = 8;

impl Rule for FallbackInvalid {
    type Options = ();

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for dead in &cx.inventory.dead_fallbacks {
            out.push(
                Diagnostic::new(self.id(), dead.location, dead.reason.clone())
                    .with_label("this fallback never takes over")
                    .with_help("Point the failover's `fallback` at another service defined in the dynamic configuration")
                    .with_related(Related {
                        location: dead.main,
                        message: "the main service".to_string(),
                    }),
            );
        }
        for graph in &cx.inventory.fallback_graphs {
            let mut reported: HashSet<Location> = HashSet::default();
            // Every unknown name is compared with every group: the work is bounded per graph.
            let mut suggester = Suggester::default();
            let repeated: HashMap<usize, usize> = ai_paths::repeated_in_lists(graph)
                .into_iter()
                .map(|call| (call.edge, call.earlier))
                .collect();
            for (position, edge) in graph.edges.iter().enumerate() {
                if !edge.explicit {
                    continue;
                }
                let earlier = repeated.get(&position).copied();
                if let Some(diagnostic) = self.broken_edge(cx, graph, edge, earlier, &mut suggester)
                {
                    if reported.insert(diagnostic.location) {
                        out.push(diagnostic);
                    }
                }
            }
            // An implicit list (`default_fallbacks`) naming no group is reported once, where
            // it is written.
            for edge in graph.edges.iter().filter(|edge| !edge.explicit) {
                if graph.resolve(&edge.to).is_none() && reported.insert(edge.location) {
                    out.push(self.undefined_target(cx, graph, edge, &mut suggester));
                }
            }
            let mut families: Vec<TriggerFamily> = graph
                .edges
                .iter()
                .map(|edge| edge.trigger.family())
                .collect();
            families.sort();
            families.dedup();
            for family in families {
                for set in ai_paths::loops(graph, family, CYCLES_PER_SET) {
                    self.loop_set(cx, graph, &set, out);
                }
                for call in ai_paths::repeated_through_chains(graph, family) {
                    if let Some(diagnostic) = self.chain_repeat(cx, graph, call) {
                        if reported.insert(diagnostic.location) {
                            out.push(diagnostic);
                        }
                    }
                }
            }
        }
    }
}

impl FallbackInvalid {
    fn broken_edge(
        &self,
        cx: &RuleContext<'_>,
        graph: &FallbackGraph,
        edge: &FallbackEdge,
        repeated_from: Option<usize>,
        suggester: &mut Suggester,
    ) -> Option<Diagnostic> {
        let source = graph.resolve(&edge.from);
        let Some(source) = source else {
            let route = route_of(cx.inventory, graph, None);
            let diagnostic = Diagnostic::new(
                self.id(),
                edge.declared,
                format!(
                    "`{}` lists fallbacks for `{}`, which is not a model group in this config, so \
                     they never apply",
                    edge.trigger.key(),
                    edge.from
                ),
            )
            .with_label("no model group has this name")
            .with_help(format!(
                "use the `model_name` of the group these fallbacks are for{}",
                closest(graph, &edge.from, suggester)
                    .map(|name| format!(" (`{name}`?)"))
                    .unwrap_or_default()
            ));
            return Some(about(diagnostic, route));
        };
        let route = route_of(cx.inventory, graph, graph.groups.get(source));
        let Some(target) = graph
            .resolve(&edge.to)
            .and_then(|index| graph.groups.get(index))
        else {
            return Some(self.undefined_target(cx, graph, edge, suggester));
        };
        if edge.to == edge.from {
            return Some(about(
                Diagnostic::new(
                    self.id(),
                    edge.location,
                    format!(
                        "{} falls back to itself: LiteLLM skips it, so the chain is shorter than \
                         written and the group's failure is final there",
                        describe_group(graph, &edge.from)
                    ),
                )
                .with_label("the group itself")
                .with_help("fall back to a different model group, preferably on another provider"),
                route,
            ));
        }
        // A target whose every deployment an earlier stop of the same chain already called
        // adds nothing but another try of a call that failed.
        let before = graph.groups.get(repeated_from?)?;
        let deployment = target.deployments.first()?;
        Some(about(
            Diagnostic::new(
                self.id(),
                edge.location,
                format!(
                    "{} calls the same deployment ({}) as {}, tried before it in this chain: \
                     falling back to it only repeats a call that failed",
                    describe_group(graph, &edge.to),
                    deployment.label(),
                    describe_group(graph, &before.name),
                ),
            )
            .with_label("same provider, model, endpoint and key as before")
            .with_help("fall back to another model, key or provider"),
            route,
        ))
    }

    /// A fallback that brings a chain back to a deployment an earlier group of it called.
    fn chain_repeat(
        &self,
        cx: &RuleContext<'_>,
        graph: &FallbackGraph,
        call: RepeatedCall,
    ) -> Option<Diagnostic> {
        let edge = graph.edges.get(call.edge)?;
        let earlier = graph.groups.get(call.earlier)?;
        let target = graph
            .resolve(&edge.to)
            .and_then(|index| graph.groups.get(index))?;
        let deployment = target.deployments.first()?;
        let route = route_of(cx.inventory, graph, Some(earlier));
        Some(about(
            Diagnostic::new(
                self.id(),
                edge.location,
                format!(
                    "{} calls the same deployment ({}) as {}, whose fallback chain reaches it \
                     through {}: a request that failed there is sent to the same deployment \
                     again",
                    describe_group(graph, &edge.to),
                    deployment.label(),
                    describe_group(graph, &earlier.name),
                    describe_group(graph, &edge.from),
                ),
            )
            .with_label("the same deployment as an earlier stop of the chain")
            .with_help("fall back to another model, key or provider, or end the chain earlier")
            .with_related(Related {
                location: earlier.location,
                message: format!("{} is defined here", describe_group(graph, &earlier.name)),
            }),
            route,
        ))
    }

    fn undefined_target(
        &self,
        cx: &RuleContext<'_>,
        graph: &FallbackGraph,
        edge: &FallbackEdge,
        suggester: &mut Suggester,
    ) -> Diagnostic {
        let route = route_of(cx.inventory, graph, graph.group(&edge.from));
        let source = if edge.explicit {
            describe_group(graph, &edge.from)
        } else {
            format!("`{}`", edge.trigger.key())
        };
        let diagnostic = Diagnostic::new(
            self.id(),
            edge.location,
            format!(
                "{source} falls back to `{}`, which is not a model group in this config: the \
                 fallback fails at once without calling any model",
                edge.to
            ),
        )
        .with_label("no model group has this name")
        .with_help(format!(
            "add a `model_list` entry with `model_name: {}`, or name an existing group{}",
            edge.to,
            closest(graph, &edge.to, suggester)
                .map(|name| format!(" (`{name}`?)"))
                .unwrap_or_default()
        ));
        about(diagnostic, route)
    }

    /// Each cycle of a loop set, reported at its first hop with every hop as a related
    /// location; the last one says how many more fallbacks of the set close further loops.
    fn loop_set(
        &self,
        cx: &RuleContext<'_>,
        graph: &FallbackGraph,
        set: &LoopSet<'_>,
        out: &mut Vec<Diagnostic>,
    ) {
        let count = set.cycles.len();
        for (index, cycle) in set.cycles.iter().enumerate() {
            let untold = if index + 1 == count && set.untold > 0 {
                format!(
                    "; {} more fallbacks among these {} names close further loops",
                    set.untold, set.names
                )
            } else {
                String::new()
            };
            out.extend(self.cycle(cx, graph, cycle, &untold));
        }
    }

    fn cycle(
        &self,
        cx: &RuleContext<'_>,
        graph: &FallbackGraph,
        cycle: &[&FallbackEdge],
        untold: &str,
    ) -> Option<Diagnostic> {
        let first = cycle.first()?;
        let path = cycle
            .iter()
            .map(|edge| edge.from.as_str())
            .chain(std::iter::once(first.from.as_str()))
            .map(|name| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(" → ");
        let route = route_of(cx.inventory, graph, graph.group(&first.from));
        let mut diagnostic = Diagnostic::new(
            self.id(),
            first.location,
            format!(
                "fallback cycle {path} ({}): when these groups fail, LiteLLM walks the loop \
                 again until `max_fallbacks` runs out, retrying every group each time{untold}",
                first.trigger.key()
            ),
        )
        .with_label("the cycle starts here")
        .with_help(
            "make the chain end: remove the fallback that leads back to an earlier group, so \
             every chain reaches a last model and stops",
        );
        for edge in cycle {
            diagnostic = diagnostic.with_related(Related {
                location: edge.location,
                message: format!("`{}` falls back to `{}` here", edge.from, edge.to),
            });
        }
        Some(about(diagnostic, route))
    }
}

/// A group name close to `name`, for help texts.
fn closest<'a>(graph: &'a FallbackGraph, name: &str, suggester: &mut Suggester) -> Option<&'a str> {
    suggester.closest(name, graph.groups.iter().map(|group| group.name.as_str()))
}
