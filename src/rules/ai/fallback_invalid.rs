use std::collections::{HashSet, VecDeque};

use super::{about, describe_group, route_of};
use crate::diagnostic::{Diagnostic, Related};
use crate::model::ai::{FallbackEdge, FallbackGraph, TriggerFamily};
use crate::rules::{Rule, RuleContext};
use crate::span::Location;

/// AI gateway fallbacks that cannot work as written: to a model group that does not exist, from
/// one that does not exist, to the group itself or the same deployment, or around a cycle.
///
/// The rule's catalog entry also covers gateway fallbacks (failover services, backup
/// endpoints); this part reads the AI gateways' fallback graphs.
pub struct AiFallbackInvalid;

impl Rule for AiFallbackInvalid {
    fn id(&self) -> &'static str {
        "fallback-invalid"
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for graph in &cx.inventory.fallback_graphs {
            let mut reported: HashSet<Location> = HashSet::new();
            for edge in graph.edges.iter().filter(|edge| edge.explicit) {
                if let Some(diagnostic) = self.broken_edge(cx, graph, edge) {
                    if reported.insert(diagnostic.location) {
                        out.push(diagnostic);
                    }
                }
            }
            // An implicit list (`default_fallbacks`) naming no group is reported once, where
            // it is written.
            for edge in graph.edges.iter().filter(|edge| !edge.explicit) {
                if graph.resolve(&edge.to).is_none() && reported.insert(edge.location) {
                    out.push(self.undefined_target(cx, graph, edge));
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
                for cycle in cycles(graph, family) {
                    out.extend(self.cycle(cx, graph, &cycle));
                }
            }
        }
    }
}

impl AiFallbackInvalid {
    fn broken_edge(
        &self,
        cx: &RuleContext<'_>,
        graph: &FallbackGraph,
        edge: &FallbackEdge,
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
                closest(graph, &edge.from)
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
            return Some(self.undefined_target(cx, graph, edge));
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
        let earlier = std::iter::once(edge.from.as_str()).chain(
            graph
                .edges
                .iter()
                .filter(|other| other.declared == edge.declared && other.order < edge.order)
                .flat_map(|other| [other.from.as_str(), other.to.as_str()]),
        );
        let mut seen: Vec<&str> = Vec::new();
        for name in earlier {
            if seen.contains(&name) || name == edge.to {
                continue;
            }
            seen.push(name);
            let Some(before) = graph
                .resolve(name)
                .and_then(|index| graph.groups.get(index))
            else {
                continue;
            };
            let repeated = !target.deployments.is_empty()
                && target.deployments.iter().all(|deployment| {
                    before
                        .deployments
                        .iter()
                        .any(|other| deployment.same_as(other))
                });
            let Some(deployment) = target.deployments.first().filter(|_| repeated) else {
                continue;
            };
            return Some(about(
                Diagnostic::new(
                    self.id(),
                    edge.location,
                    format!(
                        "{} calls the same deployment ({}) as {}, tried before it in this chain: \
                         falling back to it only repeats a call that failed",
                        describe_group(graph, &edge.to),
                        deployment.label(),
                        describe_group(graph, name),
                    ),
                )
                .with_label("same provider, model, endpoint and key as before")
                .with_help("fall back to another model, key or provider"),
                route,
            ));
        }
        None
    }

    fn undefined_target(
        &self,
        cx: &RuleContext<'_>,
        graph: &FallbackGraph,
        edge: &FallbackEdge,
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
            closest(graph, &edge.to)
                .map(|name| format!(" (`{name}`?)"))
                .unwrap_or_default()
        ));
        about(diagnostic, route)
    }

    /// A cycle, reported at its first hop with every hop as a related location.
    fn cycle(
        &self,
        cx: &RuleContext<'_>,
        graph: &FallbackGraph,
        cycle: &[&FallbackEdge],
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
                 again until `max_fallbacks` runs out, retrying every group each time",
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
fn closest<'a>(graph: &'a FallbackGraph, name: &str) -> Option<&'a str> {
    crate::suggest::closest(name, graph.groups.iter().map(|group| group.name.as_str()))
}

/// One cycle per strongly connected set of names of a trigger family, as the edges around it,
/// starting at the name whose fallbacks come first. Nodes are the names fallbacks are looked up
/// by (LiteLLM follows a fallback to a deployment id with the id's own fallbacks, not its
/// group's). Fallbacks of a name to itself are left out: LiteLLM skips them, and they are
/// reported on their own.
fn cycles(graph: &FallbackGraph, family: TriggerFamily) -> Vec<Vec<&FallbackEdge>> {
    let mut names: Vec<&str> = Vec::new();
    let mut pairs = Vec::new();
    for edge in &graph.edges {
        if edge.trigger.family() != family || edge.from == edge.to {
            continue;
        }
        // A name that is no group fails at once; the rule reports it on its own.
        if graph.resolve(&edge.to).is_none() {
            continue;
        }
        let from = index_of(&edge.from, &mut names);
        let to = index_of(&edge.to, &mut names);
        pairs.push((from, to, edge));
    }
    let mut next: Vec<Vec<(usize, &FallbackEdge)>> = vec![Vec::new(); names.len()];
    for (from, to, edge) in pairs {
        if let Some(targets) = next.get_mut(from) {
            if !targets.iter().any(|(target, _)| *target == to) {
                targets.push((to, edge));
            }
        }
    }
    let mut covered = vec![false; names.len()];
    let mut found = Vec::new();
    for start in 0..names.len() {
        if covered.get(start) != Some(&false) {
            continue;
        }
        let Some(cycle) = shortest_cycle(&next, start) else {
            continue;
        };
        // Every name that both reaches and is reached from `start` shares its cycle set.
        let from_start = reachable(&next, start);
        for (name, reached) in from_start.iter().enumerate() {
            if *reached && reachable(&next, name).get(start) == Some(&true) {
                if let Some(flag) = covered.get_mut(name) {
                    *flag = true;
                }
            }
        }
        found.push(cycle);
    }
    found
}

/// The index of `name` in `names`, added when new.
fn index_of<'a>(name: &'a str, names: &mut Vec<&'a str>) -> usize {
    match names.iter().position(|known| *known == name) {
        Some(index) => index,
        None => {
            names.push(name);
            names.len() - 1
        }
    }
}

/// Groups reachable from `start` through at least one fallback.
fn reachable(next: &[Vec<(usize, &FallbackEdge)>], start: usize) -> Vec<bool> {
    let mut seen = vec![false; next.len()];
    let mut queue: VecDeque<usize> = next
        .get(start)
        .into_iter()
        .flatten()
        .map(|(target, _)| *target)
        .collect();
    while let Some(group) = queue.pop_front() {
        match seen.get_mut(group) {
            Some(flag) if !*flag => *flag = true,
            _ => continue,
        }
        queue.extend(
            next.get(group)
                .into_iter()
                .flatten()
                .map(|(target, _)| *target),
        );
    }
    seen
}

/// The shortest way from `start` back to itself, as its edges.
fn shortest_cycle<'a>(
    next: &[Vec<(usize, &'a FallbackEdge)>],
    start: usize,
) -> Option<Vec<&'a FallbackEdge>> {
    let mut parent: Vec<Option<(usize, &FallbackEdge)>> = vec![None; next.len()];
    let mut queue = VecDeque::from([start]);
    let mut visited = vec![false; next.len()];
    while let Some(group) = queue.pop_front() {
        for &(target, edge) in next.get(group).into_iter().flatten() {
            if target == start {
                let mut path = vec![edge];
                let mut at = group;
                while at != start {
                    let (previous, edge) = parent.get(at).copied().flatten()?;
                    path.push(edge);
                    at = previous;
                }
                path.reverse();
                return Some(path);
            }
            if visited.get(target) == Some(&false) {
                if let Some(flag) = visited.get_mut(target) {
                    *flag = true;
                }
                if let Some(slot) = parent.get_mut(target) {
                    *slot = Some((group, edge));
                }
                queue.push_back(target);
            }
        }
    }
    None
}
