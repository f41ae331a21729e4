//! The fallback lists (`fallbacks`, `context_window_fallbacks`, `content_policy_fallbacks`,
//! `default_fallbacks`) as graph edges, and the walk a failing request takes along them.

use super::settings::Settings;
use crate::formats::read::Reader;
use crate::model::ai::{FallbackEdge, FallbackGraph, FallbackTrigger, ModelGroup, TriggerFamily};
use crate::source::{Node, NodeKind};
use crate::span::Location;

/// A walk is cut short after this many steps, or this deep: with a cycle and a large
/// `max_fallbacks`, the walk grows exponentially.
const MAX_STEPS: usize = 1000;
const MAX_DEPTH: u32 = 128;

/// One fallback list entry: `{"gpt-4o": ["claude-sonnet", "llama-70b"]}`.
struct ListEntry<'a> {
    source: String,
    key: &'a Node,
    targets: Vec<(String, &'a Node)>,
}

fn read_list<'a>(cx: &mut Reader<'_>, list: &'a Node, key: &str) -> Vec<ListEntry<'a>> {
    if !list.is_seq() {
        if !list.is_null() {
            cx.invalid(
                list,
                format!("`{key}` is a list of `{{model_group: [fallbacks]}}` mappings"),
            );
        }
        return Vec::new();
    }
    let mut entries = Vec::new();
    for item in list.items() {
        let [entry] = item.entries() else {
            cx.invalid(
                item,
                format!(
                    "each `{key}` entry maps one model group to its fallbacks, e.g. \
                     `{{\"gpt-4o\": [\"claude-sonnet\"]}}`"
                ),
            );
            continue;
        };
        let Some(source) = entry.key.scalar_text() else {
            continue;
        };
        let targets: Vec<(String, &Node)> = match &entry.value.kind {
            NodeKind::Seq(items) => items
                .iter()
                .filter_map(|target| match target.scalar_text() {
                    Some(name) if !target.is_null() => Some((name.to_string(), target)),
                    _ => {
                        cx.invalid(target, "a fallback must name a model group");
                        None
                    }
                })
                .collect(),
            NodeKind::Scalar(_) if !entry.value.is_null() => entry
                .value
                .scalar_text()
                .map(|name| vec![(name.to_string(), &entry.value)])
                .unwrap_or_default(),
            _ => {
                cx.invalid(
                    &entry.value,
                    "the fallbacks of a model group are a list of model group names",
                );
                Vec::new()
            }
        };
        entries.push(ListEntry {
            source: source.to_string(),
            key: &entry.key,
            targets,
        });
    }
    entries
}

/// Every fallback of every group: its own entry of a list, else the list's `"*"` entry or
/// `default_fallbacks` (which LiteLLM appends as a last `"*"` entry). Entries for groups that do
/// not exist are kept, so that the fallback-invalid rule can report them.
pub(super) fn fallback_edges(
    cx: &mut Reader<'_>,
    groups: &[ModelGroup],
    settings: &Settings<'_>,
) -> Vec<FallbackEdge> {
    let file = cx.file;
    let location = |node: &Node| Location::new(file, node.span);
    let mut edges = Vec::new();
    // A group's own entry keeps a fallback to itself, for fallback-invalid to report; the
    // wildcard entry skips the group it is applied to.
    let mut push_edges = |from: &str, entry: &ListEntry, trigger: &FallbackTrigger, explicit| {
        let targets = entry.targets.iter();
        let targets = targets.filter(|(target, _)| explicit || target != from);
        for (order, (target, node)) in targets.enumerate() {
            edges.push(FallbackEdge {
                from: from.to_string(),
                to: target.clone(),
                trigger: trigger.clone(),
                order,
                location: location(node),
                declared: location(entry.key),
                explicit,
            });
        }
    };
    let lists = [
        (settings.fallbacks.general, FallbackTrigger::General),
        (
            settings.fallbacks.context_window,
            FallbackTrigger::ContextWindow,
        ),
        (
            settings.fallbacks.content_policy,
            FallbackTrigger::ContentPolicy,
        ),
    ];
    for (list, trigger) in lists {
        let mut entries = list
            .map(|list| read_list(cx, list, trigger.key()))
            .unwrap_or_default();
        let mut wildcard = entries
            .iter()
            .rposition(|entry| entry.source == "*")
            .map(|index| entries.remove(index));
        if trigger == FallbackTrigger::General {
            if let Some((key, list)) = settings.fallbacks.default {
                let targets = list
                    .items()
                    .iter()
                    .filter_map(|target| Some((target.scalar_text()?.to_string(), target)))
                    .collect();
                wildcard = Some(ListEntry {
                    source: "*".to_string(),
                    key,
                    targets,
                });
            }
        }
        entries.retain(|entry| entry.source != "*");
        for entry in &entries {
            push_edges(&entry.source, entry, &trigger, true);
        }
        let Some(wildcard) = wildcard else {
            continue;
        };
        let implicit = match trigger {
            FallbackTrigger::General => FallbackTrigger::Default,
            ref other => other.clone(),
        };
        let own: crate::collections::HashSet<&str> =
            entries.iter().map(|entry| entry.source.as_str()).collect();
        // One list applied to every group: 2,000 defaults for 20,000 groups are 40 million
        // edges, charged as they are made.
        for group in groups {
            if !own.contains(group.name.as_str()) {
                if !cx.admit_edges(location(wildcard.key), wildcard.targets.len()) {
                    break;
                }
                push_edges(&group.name, &wildcard, &implicit, false);
            }
        }
    }
    edges
}

/// The model groups a failing request runs through, in order, starting at `start`: each name's
/// general fallbacks in order, each with its own fallbacks, skipping the name itself, and no
/// deeper than `max_fallbacks` hops (LiteLLM's `run_async_fallback`). LiteLLM looks fallbacks up
/// by the name the request was sent to, so a fallback to a deployment's `model_info.id` does not
/// continue with its group's fallbacks. Returns the groups run (a name that is no group fails at
/// once, without a call) and whether the walk was cut short.
pub(super) fn walk(
    graph: &FallbackGraph,
    start: &str,
    max_fallbacks: u32,
) -> (Vec<(String, usize)>, bool) {
    let mut walk = Walk {
        runs: Vec::new(),
        steps: 0,
        truncated: false,
    };
    visit(graph, start, 0, max_fallbacks, &mut walk);
    (walk.runs, walk.truncated)
}

struct Walk {
    runs: Vec<(String, usize)>,
    steps: usize,
    truncated: bool,
}

fn visit(graph: &FallbackGraph, name: &str, depth: u32, max_fallbacks: u32, walk: &mut Walk) {
    walk.steps += 1;
    if walk.steps > MAX_STEPS || depth > MAX_DEPTH {
        walk.truncated = true;
        return;
    }
    if let Some(group) = graph.resolve(name) {
        walk.runs.push((name.to_string(), group));
    }
    if depth >= max_fallbacks {
        return;
    }
    let mut hops = depth;
    for edge in graph
        .edges_from(name)
        .filter(|edge| edge.trigger.family() == TriggerFamily::General)
    {
        if edge.to == name {
            continue;
        }
        hops = hops.saturating_add(1);
        visit(graph, &edge.to, hops, max_fallbacks, walk);
    }
}
