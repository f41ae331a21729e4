//! Paths through an AI gateway's fallback graph, found by graph algorithms whose cost grows with
//! the number of fallbacks rather than with the number of paths, which grows exponentially with
//! nested targets and meshes of model groups: the loops of each trigger family as strongly
//! connected components (petgraph's Tarjan, which keeps its own stack, so a long chain cannot
//! overflow the thread's), and fallbacks that call again a deployment an earlier stop of the
//! chain already called.

use crate::collections::{HashMap, HashSet};
use std::collections::VecDeque;

use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use super::ai::{Deployment, FallbackEdge, FallbackGraph, ModelGroup, TriggerFamily};

/// Work allowed to the search for repeated calls through chains, in edges followed: enough for
/// every real configuration many times over, and a bound on a hostile one.
const CHAIN_SEARCH_BUDGET: usize = 1 << 21;
/// Earlier stops compared with one fallback target.
const CANDIDATES: usize = 16;

/// `(from, to, edge)`: name indices and the position of the edge in the graph.
type Pair = (usize, usize, usize);

/// The fallbacks of one trigger family between names, one per pair of names (the first
/// written), leaving out fallbacks of a name to itself and to names that are no group.
struct NameGraph<'a> {
    names: Vec<&'a str>,
    pairs: Vec<Pair>,
    /// For each name, its pairs' `(to, edge)`, in order.
    next: Vec<Vec<(usize, usize)>>,
}

impl<'a> NameGraph<'a> {
    fn new(graph: &'a FallbackGraph, family: TriggerFamily) -> NameGraph<'a> {
        let mut ids: HashMap<&'a str, usize> = HashMap::default();
        let mut names: Vec<&'a str> = Vec::new();
        let mut id = |name: &'a str, names: &mut Vec<&'a str>| {
            *ids.entry(name).or_insert_with(|| {
                names.push(name);
                names.len() - 1
            })
        };
        let mut seen: HashSet<(usize, usize)> = HashSet::default();
        let mut pairs = Vec::new();
        for (position, edge) in graph.edges.iter().enumerate() {
            if edge.trigger.family() != family
                || edge.from == edge.to
                || graph.resolve(&edge.to).is_none()
            {
                continue;
            }
            let from = id(&edge.from, &mut names);
            let to = id(&edge.to, &mut names);
            if seen.insert((from, to)) {
                pairs.push((from, to, position));
            }
        }
        let mut next = vec![Vec::new(); names.len()];
        for &(from, to, edge) in &pairs {
            if let Some(targets) = next.get_mut(from) {
                targets.push((to, edge));
            }
        }
        NameGraph { names, pairs, next }
    }
}

/// The fallbacks of one strongly connected set of names, shown as cycles.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopSet<'a> {
    /// Cycles that together take every fallback between the set's names, each starting with
    /// the first-written fallback no earlier cycle took; at most the limit asked for.
    pub cycles: Vec<Vec<&'a FallbackEdge>>,
    /// Fallbacks between the set's names that no cycle shown takes, when the limit cut the
    /// list short.
    pub untold: usize,
    /// How many names the set has.
    pub names: usize,
}

/// Every loop of `family`'s fallbacks, one set per strongly connected component, in the order
/// their first fallback is written; each set shows at most `limit` cycles.
pub fn loops(graph: &FallbackGraph, family: TriggerFamily, limit: usize) -> Vec<LoopSet<'_>> {
    let names = NameGraph::new(graph, family);
    let mut petgraph: DiGraph<(), ()> =
        DiGraph::with_capacity(names.names.len(), names.pairs.len());
    for _ in &names.names {
        petgraph.add_node(());
    }
    for &(from, to, _) in &names.pairs {
        petgraph.add_edge(NodeIndex::new(from), NodeIndex::new(to), ());
    }
    let mut component = vec![usize::MAX; names.names.len()];
    let mut sizes = Vec::new();
    for (id, members) in kosaraju_scc(&petgraph).into_iter().enumerate() {
        for node in &members {
            if let Some(slot) = component.get_mut(node.index()) {
                *slot = id;
            }
        }
        sizes.push(members.len());
    }
    // The fallbacks inside each component of two names or more, in order, components in the
    // order of their first fallback.
    let mut inside: Vec<(usize, Vec<Pair>)> = Vec::new();
    let mut slot_of: HashMap<usize, usize> = HashMap::default();
    for &(from, to, edge) in &names.pairs {
        let (Some(&set), Some(&other)) = (component.get(from), component.get(to)) else {
            continue;
        };
        if set != other || sizes.get(set).copied().unwrap_or(0) < 2 {
            continue;
        }
        let slot = *slot_of.entry(set).or_insert_with(|| {
            inside.push((set, Vec::new()));
            inside.len() - 1
        });
        if let Some((_, pairs)) = inside.get_mut(slot) {
            pairs.push((from, to, edge));
        }
    }
    inside
        .into_iter()
        .map(|(set, pairs)| {
            let mut covered: HashSet<usize> = HashSet::default();
            let mut cycles = Vec::new();
            let mut untold = 0;
            for &(from, to, edge) in &pairs {
                if covered.contains(&edge) {
                    continue;
                }
                if cycles.len() == limit {
                    untold += 1;
                    continue;
                }
                let Some(back) = shortest_path(&names.next, &component, set, to, from) else {
                    continue;
                };
                let cycle: Vec<usize> = std::iter::once(edge).chain(back).collect();
                covered.extend(cycle.iter().copied());
                cycles.push(
                    cycle
                        .into_iter()
                        .filter_map(|edge| graph.edges.get(edge))
                        .collect(),
                );
            }
            LoopSet {
                cycles,
                untold,
                names: sizes.get(set).copied().unwrap_or(0),
            }
        })
        .collect()
}

/// The fewest fallbacks from `start` to `goal` within component `set`, as edge positions.
fn shortest_path(
    next: &[Vec<(usize, usize)>],
    component: &[usize],
    set: usize,
    start: usize,
    goal: usize,
) -> Option<Vec<usize>> {
    if start == goal {
        return Some(Vec::new());
    }
    let mut parent: HashMap<usize, (usize, usize)> = HashMap::default();
    let mut queue = VecDeque::from([start]);
    while let Some(name) = queue.pop_front() {
        for &(target, edge) in next.get(name).into_iter().flatten() {
            if target == start
                || component.get(target) != Some(&set)
                || parent.contains_key(&target)
            {
                continue;
            }
            parent.insert(target, (name, edge));
            if target == goal {
                let mut path = Vec::new();
                let mut at = goal;
                while at != start {
                    let (previous, edge) = parent.get(&at).copied()?;
                    path.push(edge);
                    at = previous;
                }
                path.reverse();
                return Some(path);
            }
            queue.push_back(target);
        }
    }
    None
}

/// A fallback whose target only calls deployments an earlier stop already called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepeatedCall {
    /// The fallback, as a position in the graph's edges.
    pub edge: usize,
    /// The earlier stop, as a position in the graph's groups.
    pub earlier: usize,
}

/// What makes two deployments the same call ([`Deployment::same_as`]).
type CallKey<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

fn call_key(deployment: &Deployment) -> CallKey<'_> {
    (
        deployment.provider.as_deref(),
        deployment.model.as_deref(),
        deployment.api_base.as_deref(),
        deployment.credential.as_deref(),
    )
}

/// Whether every deployment of `target` is one of `earlier`'s.
fn repeats(target: &ModelGroup, earlier: &ModelGroup) -> bool {
    !target.deployments.is_empty()
        && target.deployments.iter().all(|deployment| {
            earlier
                .deployments
                .iter()
                .any(|other| deployment.same_as(other))
        })
}

/// Fallbacks of one list (edges declared together) to a group whose every deployment the
/// list's source or an earlier target already called. Stops named like the target are left
/// out: a list naming a group twice, or a group itself, is reported on its own.
pub fn repeated_in_lists(graph: &FallbackGraph) -> Vec<RepeatedCall> {
    let mut lists: HashMap<_, Vec<usize>> = HashMap::default();
    let mut order = Vec::new();
    for (position, edge) in graph.edges.iter().enumerate() {
        lists
            .entry(edge.declared)
            .or_insert_with(|| {
                order.push(edge.declared);
                Vec::new()
            })
            .push(position);
    }
    let mut found = Vec::new();
    for declared in order {
        let Some(mut members) = lists.remove(&declared) else {
            continue;
        };
        members.sort_by_key(|&position| {
            (
                graph.edges.get(position).map_or(0, |edge| edge.order),
                position,
            )
        });
        // Stops tried before the current order: names in order, and by call.
        let mut earlier: Vec<(&str, usize)> = Vec::new();
        let mut known: HashSet<&str> = HashSet::default();
        let mut by_call: HashMap<CallKey<'_>, Vec<usize>> = HashMap::default();
        let mut pending: Vec<&str> = Vec::new();
        let mut current_order = None;
        for position in members {
            let Some(edge) = graph.edges.get(position) else {
                continue;
            };
            if current_order != Some(edge.order) {
                for name in pending.drain(..) {
                    remember(graph, name, &mut earlier, &mut known, &mut by_call);
                }
                current_order = Some(edge.order);
            }
            pending.extend([edge.from.as_str(), edge.to.as_str()]);
            let Some(target) = graph
                .resolve(&edge.to)
                .and_then(|index| graph.groups.get(index))
            else {
                continue;
            };
            let own = (edge.from != edge.to)
                .then(|| graph.resolve(&edge.from))
                .flatten()
                .filter(|&source| {
                    graph
                        .groups
                        .get(source)
                        .is_some_and(|source| repeats(target, source))
                });
            let before = || {
                let first = target.deployments.first().map(call_key)?;
                by_call
                    .get(&first)?
                    .iter()
                    .filter_map(|&slot| earlier.get(slot))
                    .filter(|(name, _)| *name != edge.to && *name != edge.from)
                    .take(CANDIDATES)
                    .find(|(_, group)| {
                        graph
                            .groups
                            .get(*group)
                            .is_some_and(|earlier| repeats(target, earlier))
                    })
                    .map(|(_, group)| *group)
            };
            if let Some(earlier) = own.or_else(before) {
                found.push(RepeatedCall {
                    edge: position,
                    earlier,
                });
            }
        }
    }
    found
}

fn remember<'a>(
    graph: &'a FallbackGraph,
    name: &'a str,
    earlier: &mut Vec<(&'a str, usize)>,
    known: &mut HashSet<&'a str>,
    by_call: &mut HashMap<CallKey<'a>, Vec<usize>>,
) {
    if !known.insert(name) {
        return;
    }
    let Some(group) = graph.resolve(name) else {
        return;
    };
    let slot = earlier.len();
    earlier.push((name, group));
    for deployment in graph
        .groups
        .get(group)
        .map(|group| group.deployments.as_slice())
        .unwrap_or_default()
    {
        let slots = by_call.entry(call_key(deployment)).or_default();
        if slots.last() != Some(&slot) {
            slots.push(slot);
        }
    }
}

/// Fallbacks of `family` to a group whose every deployment a group that reaches the fallback
/// through other groups' fallbacks already called: a chain that comes back to a deployment
/// that failed. One search per call shared by two groups or more, each name keeping the
/// first two groups it is reached from, so the work is linear in the fallbacks per call.
pub fn repeated_through_chains(graph: &FallbackGraph, family: TriggerFamily) -> Vec<RepeatedCall> {
    let names = NameGraph::new(graph, family);
    let group_of: Vec<Option<usize>> = names.names.iter().map(|name| graph.resolve(name)).collect();
    let mut sharing: HashMap<CallKey<'_>, Vec<usize>> = HashMap::default();
    let mut calls = Vec::new();
    for (name, group) in group_of.iter().enumerate() {
        let Some(group) = group.and_then(|group| graph.groups.get(group)) else {
            continue;
        };
        for deployment in &group.deployments {
            let key = call_key(deployment);
            let names = sharing.entry(key).or_insert_with(|| {
                calls.push(key);
                Vec::new()
            });
            if names.last() != Some(&name) {
                names.push(name);
            }
        }
    }
    // The fallbacks to each call: the first call of their target.
    let mut into: HashMap<CallKey<'_>, Vec<Pair>> = HashMap::default();
    for &(from, to, edge) in &names.pairs {
        let first = group_of
            .get(to)
            .copied()
            .flatten()
            .and_then(|group| graph.groups.get(group))
            .and_then(|group| group.deployments.first());
        if let Some(first) = first {
            into.entry(call_key(first))
                .or_default()
                .push((from, to, edge));
        }
    }
    let mut budget = CHAIN_SEARCH_BUDGET;
    let mut found = Vec::new();
    for key in calls {
        let Some(fallbacks) = into.get(&key) else {
            continue;
        };
        let Some(sources) = sharing.get(&key) else {
            continue;
        };
        let groups: HashSet<usize> = sources
            .iter()
            .filter_map(|&name| group_of.get(name).copied().flatten())
            .collect();
        if groups.len() < 2 {
            continue;
        }
        // The groups each name is reached from (through one fallback or more), two at most.
        let mut reached: Vec<Vec<usize>> = vec![Vec::new(); names.names.len()];
        let mut queue: VecDeque<(usize, usize)> = sources
            .iter()
            .filter_map(|&name| Some((name, group_of.get(name).copied().flatten()?)))
            .collect();
        while let Some((name, source)) = queue.pop_front() {
            for &(target, _) in names.next.get(name).into_iter().flatten() {
                if budget == 0 {
                    return found;
                }
                budget -= 1;
                let Some(labels) = reached.get_mut(target) else {
                    continue;
                };
                if labels.len() < 2 && !labels.contains(&source) {
                    labels.push(source);
                    queue.push_back((target, source));
                }
            }
        }
        for &(from, to, edge) in fallbacks {
            let Some(target_group) = group_of.get(to).copied().flatten() else {
                continue;
            };
            let Some(target) = graph.groups.get(target_group) else {
                continue;
            };
            let earlier = reached.get(from).into_iter().flatten().find(|&&source| {
                source != target_group
                    && graph
                        .groups
                        .get(source)
                        .is_some_and(|source| repeats(target, source))
            });
            if let Some(&earlier) = earlier {
                found.push(RepeatedCall { edge, earlier });
            }
        }
    }
    found.sort_by_key(|call| call.edge);
    found
}
