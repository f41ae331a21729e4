//! The join: gateway routes matched to spec operations by method and path.
//!
//! Operations are indexed in a trie of path segments (with and without their server base paths),
//! so each route only visits the operations it can match: the join grows with the size of its
//! result, not with routes × operations.

use crate::collections::HashMap;
use std::collections::BTreeMap;

use regex::Regex;

use super::api::{HostIndex, HostMatch, HostScope};
use super::layers::LayerOrder;
use super::path::{parse_template, sample_path, Segment};
use super::route::{Layer, PathKind, PathMatch, Route};
use super::Inventory;

/// How a route was tied to an operation, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchKind {
    /// The configuration names the operation.
    Explicit,
    /// Same segments, parameters in the same places.
    Exact,
    /// A template that matches the operation's paths (literal against parameter, or a tail).
    Template,
    /// A regular expression that matches sample paths of the operation.
    Regex,
    /// A prefix that covers the operation.
    Prefix,
    /// A route that matches every path.
    CatchAll,
}

impl MatchKind {
    pub fn name(self) -> &'static str {
        match self {
            MatchKind::Explicit => "explicit",
            MatchKind::Exact => "exact",
            MatchKind::Template => "template",
            MatchKind::Regex => "regex",
            MatchKind::Prefix => "prefix",
            MatchKind::CatchAll => "catch-all",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub route: usize,
    pub operation: usize,
    pub kind: MatchKind,
    /// How the route's hosts met the API's servers.
    pub host: HostMatch,
}

#[derive(Debug, Default)]
pub struct Join {
    /// Route and operation agree on path and method.
    pub links: Vec<Link>,
    /// The path matches but the route does not accept the operation's method.
    pub path_only: Vec<Link>,
    by_operation: Vec<Vec<usize>>,
    by_route: Vec<Vec<usize>>,
    /// The layer of each route, which orders [`Join::routes_of`].
    pub layers: LayerOrder,
    /// The route at which the pairs stopped fitting the memory limit; it and the routes after
    /// it are joined to nothing.
    pub cut_at: Option<usize>,
}

/// What one pair of route and operation costs, its indexes and the rules' walk over it
/// included: 36 bytes measured (25 million pairs of 5,000 Kong routes on `/` with 5,000
/// operations), with room to spare.
pub const BYTES_PER_LINK: u64 = 64;

impl Join {
    /// The routes that handle an operation: per configuration file the strongest match only
    /// (the one the gateway would pick), ordered front to back by [`Join::layers`]: declared
    /// layers in their order, then edge, mesh, AI gateway.
    pub fn routes_of(&self, operation: usize) -> impl Iterator<Item = &Link> {
        self.by_operation
            .get(operation)
            .into_iter()
            .flatten()
            .filter_map(|&index| self.links.get(index))
    }

    /// The operations a route handles.
    pub fn operations_of(&self, route: usize) -> impl Iterator<Item = &Link> {
        self.by_route
            .get(route)
            .into_iter()
            .flatten()
            .filter_map(|&index| self.links.get(index))
    }
}

#[derive(Default)]
struct TrieNode {
    /// Ordered, so that the literals starting with a partial prefix are one range, not a scan
    /// of every sibling: thousands of prefix routes stay linear.
    literal: BTreeMap<String, usize>,
    param: Option<usize>,
    rest: Option<usize>,
    /// Operations whose path ends here, with the segments they were indexed under.
    operations: Vec<usize>,
}

struct Trie {
    nodes: Vec<TrieNode>,
    /// Segments of each indexed path, per operation (one per base-path variant).
    paths: Vec<(usize, Vec<Segment>)>,
    /// Whether each indexed path ends with `/` (`/users/`): segments drop it, but a route's
    /// regex can tell `/users/` from `/users`.
    trailing_slash: Vec<bool>,
}

impl Trie {
    fn new() -> Self {
        Trie {
            nodes: vec![TrieNode::default()],
            paths: Vec::new(),
            trailing_slash: Vec::new(),
        }
    }

    fn child(&mut self, node: usize, segment: &Segment) -> usize {
        let existing = match segment {
            Segment::Literal(text) => self.nodes[node].literal.get(text).copied(),
            Segment::Param => self.nodes[node].param,
            Segment::Rest => self.nodes[node].rest,
        };
        if let Some(child) = existing {
            return child;
        }
        let child = self.nodes.len();
        self.nodes.push(TrieNode::default());
        match segment {
            Segment::Literal(text) => {
                self.nodes[node].literal.insert(text.clone(), child);
            }
            Segment::Param => self.nodes[node].param = Some(child),
            Segment::Rest => self.nodes[node].rest = Some(child),
        }
        child
    }

    fn insert(&mut self, operation: usize, segments: Vec<Segment>, trailing_slash: bool) {
        let mut node = 0;
        for segment in &segments {
            node = self.child(node, segment);
        }
        let path_index = self.paths.len();
        self.nodes[node].operations.push(path_index);
        self.paths.push((operation, segments));
        self.trailing_slash.push(trailing_slash);
    }

    /// Every indexed path at or below `node`.
    fn subtree(&self, node: usize, out: &mut Vec<usize>) {
        let mut stack = vec![node];
        while let Some(current) = stack.pop() {
            let entry = &self.nodes[current];
            out.extend_from_slice(&entry.operations);
            stack.extend(entry.literal.values().copied());
            stack.extend(entry.param);
            stack.extend(entry.rest);
        }
    }

    /// Paths a template route matches: each route segment against literal, parameter and tail
    /// children.
    fn template(&self, node: usize, route: &[Segment], out: &mut Vec<usize>) {
        let entry = &self.nodes[node];
        if let Some(rest) = entry.rest {
            // An operation ending in a greedy tail takes any remainder of at least one segment.
            if !route.is_empty() {
                out.extend_from_slice(&self.nodes[rest].operations);
            }
        }
        let Some((first, remainder)) = route.split_first() else {
            out.extend_from_slice(&entry.operations);
            return;
        };
        match first {
            Segment::Literal(text) => {
                if let Some(&child) = entry.literal.get(text) {
                    self.template(child, remainder, out);
                }
                if let Some(child) = entry.param {
                    self.template(child, remainder, out);
                }
            }
            Segment::Param => {
                for &child in entry.literal.values() {
                    self.template(child, remainder, out);
                }
                if let Some(child) = entry.param {
                    self.template(child, remainder, out);
                }
            }
            Segment::Rest => {
                for &child in entry.literal.values() {
                    self.subtree(child, out);
                }
                if let Some(child) = entry.param {
                    self.subtree(child, out);
                }
            }
        }
    }

    /// Paths under a string prefix: whole segments first, then a partial last segment that a
    /// literal must start with (a parameter may hold anything).
    fn prefix(&self, prefix: &str, segment_aware: bool, out: &mut Vec<usize>) {
        let trimmed = prefix.trim_start_matches('/');
        let mut pieces: Vec<&str> = trimmed.split('/').collect();
        let partial = if segment_aware {
            ""
        } else {
            pieces.pop().unwrap_or("")
        };
        let complete: Vec<Segment> = pieces
            .iter()
            .filter(|piece| !piece.is_empty())
            .map(|piece| parse_template(piece).pop().unwrap_or(Segment::Param))
            .collect();
        let mut starts = Vec::new();
        self.walk_exact(0, &complete, &mut starts);
        for node in starts {
            let entry = &self.nodes[node];
            if partial.is_empty() {
                self.subtree(node, out);
                continue;
            }
            let starting = entry
                .literal
                .range::<str, _>((
                    std::ops::Bound::Included(partial),
                    std::ops::Bound::Unbounded,
                ))
                .take_while(|(text, _)| text.starts_with(partial));
            for (_, &child) in starting {
                self.subtree(child, out);
            }
            if let Some(child) = entry.param {
                self.subtree(child, out);
            }
            if let Some(child) = entry.rest {
                self.subtree(child, out);
            }
        }
    }

    /// The nodes reached by following `segments` exactly (literal to literal or parameter).
    fn walk_exact(&self, node: usize, segments: &[Segment], out: &mut Vec<usize>) {
        let Some((first, remainder)) = segments.split_first() else {
            out.push(node);
            return;
        };
        let entry = &self.nodes[node];
        match first {
            Segment::Literal(text) => {
                if let Some(&child) = entry.literal.get(text) {
                    self.walk_exact(child, remainder, out);
                }
                if let Some(child) = entry.param {
                    self.walk_exact(child, remainder, out);
                }
            }
            Segment::Param | Segment::Rest => {
                for &child in entry.literal.values() {
                    self.walk_exact(child, remainder, out);
                }
                if let Some(child) = entry.param {
                    self.walk_exact(child, remainder, out);
                }
            }
        }
    }
}

/// The literal text a regular expression's matches must start with.
fn regex_literal_prefix(pattern: &str) -> String {
    let body = pattern.strip_prefix('^').unwrap_or(pattern);
    let mut out = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&next) if "/.-_~".contains(next) => {
                    out.push(next);
                    chars.next();
                }
                _ => break,
            },
            '.' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '$' | '^' => {
                // A quantifier applies to the previous character, which is then optional.
                if matches!(c, '*' | '?' | '{') {
                    out.pop();
                }
                break;
            }
            _ => out.push(c),
        }
    }
    out
}

fn compile_route_regex(pattern: &str, full: bool) -> Option<Regex> {
    let body = pattern.strip_prefix('^').unwrap_or(pattern);
    let anchored = if full {
        format!("^(?:{})$", body.strip_suffix('$').unwrap_or(body))
    } else {
        format!("^(?:{body})")
    };
    super::pattern::compile(&anchored).ok()
}

/// Joins every route of the inventory to the operations it reaches; `layers` orders the routes
/// of each operation front to back.
pub fn join(inventory: &Inventory, layers: LayerOrder) -> Join {
    join_within(inventory, layers, usize::MAX)
}

/// [`join`], keeping at most `max_links` pairs: every route may reach every operation (a
/// thousand routes on `/`), so pairs grow as their product.
pub fn join_within(inventory: &Inventory, layers: LayerOrder, max_links: usize) -> Join {
    let mut trie = Trie::new();
    for (index, operation) in inventory.operations.iter().enumerate() {
        let template = parse_template(&operation.path);
        let trailing_slash = operation.path.len() > 1 && operation.path.ends_with('/');
        let bases = inventory
            .specs
            .get(operation.document)
            .map(|spec| spec.base_paths.as_slice())
            .unwrap_or_default();
        for base in bases {
            let mut full = parse_template(base);
            full.extend(template.iter().cloned());
            trie.insert(index, full, trailing_slash);
        }
        trie.insert(index, template, trailing_slash);
    }
    let explicit: HashMap<_, usize> = inventory
        .operations
        .iter()
        .enumerate()
        .map(|(index, operation)| (operation.location, index))
        .collect();

    let mut all = Join {
        layers,
        ..Join::default()
    };
    // Each route's candidate APIs cost memory as routes times APIs: charged to the same
    // budget as the pairs, the routes past it are joined to nothing.
    let (apis, cut_at) = api_candidates(inventory, max_links);
    all.cut_at = cut_at;
    'routes: for (route_index, route) in inventory.routes.iter().enumerate() {
        if cut_at.is_some_and(|cut| route_index >= cut) {
            break;
        }
        let mut found: Vec<(usize, MatchKind)> = Vec::new();
        if let Some(&operation) = route
            .explicit_operation
            .as_ref()
            .and_then(|location| explicit.get(location))
        {
            found.push((operation, MatchKind::Explicit));
        } else {
            match_route(&trie, route, &route.path, &mut found);
            if found.is_empty() {
                if let Some(upstream) = upstream_side(&route.path) {
                    match_route(&trie, route, &upstream, &mut found);
                }
            }
        }
        found.sort();
        found.dedup_by_key(|(operation, _)| *operation);
        for (operation, kind) in found {
            let document = inventory.operations[operation].document;
            let Some(host) = apis[route_index].get(&document).copied() else {
                continue;
            };
            let operation_methods = &inventory.operations[operation];
            let method = operation_methods.method;
            let any_method = operation_methods.any_method;
            if all.links.len() + all.path_only.len() >= max_links {
                all.cut_at = Some(route_index);
                all.links.retain(|link| link.route != route_index);
                all.path_only.retain(|link| link.route != route_index);
                break 'routes;
            }
            let link = Link {
                route: route_index,
                operation,
                kind,
                host,
            };
            if any_method || route.methods.allows(method) {
                all.links.push(link);
            } else {
                all.path_only.push(link);
            }
        }
    }
    index_links(inventory, &mut all);
    all
}

/// Per route, the API descriptions (by index in `Inventory::specs`) it may serve and how its
/// hosts met theirs. A route without a host constraint may serve every API; a route with one
/// only those whose servers match it, or whose servers name no host. A mesh route's hosts are
/// usually internal service names: it serves what the routes in front of it, whose upstream it
/// is, serve; failing that, it is tied by path alone. The config may pin an API to the files of
/// its gateways.
fn api_candidates(
    inventory: &Inventory,
    max_entries: usize,
) -> (Vec<HashMap<usize, HostMatch>>, Option<usize>) {
    let hosts: Vec<Vec<&str>> = inventory
        .specs
        .iter()
        .map(|spec| spec.api.hosts())
        .collect();
    let host_index = HostIndex::new(&hosts);
    // APIs whose servers name no host are assumed served on whatever host a route has.
    let hostless: Vec<usize> = (0..inventory.specs.len())
        .filter(|&index| {
            hosts[index].is_empty() && inventory.specs[index].api.host_scope != HostScope::Hosts
        })
        .collect();
    let by_host = |route: &Route| -> HashMap<usize, HostMatch> {
        if route.hosts.is_empty() {
            return (0..inventory.specs.len())
                .map(|index| (index, HostMatch::AnyHost))
                .collect();
        }
        let mut out: HashMap<usize, HostMatch> = hostless
            .iter()
            .map(|&index| (index, HostMatch::Assumed))
            .collect();
        for route_host in &route.hosts {
            host_index.meet(route_host, &mut out);
        }
        out
    };
    let mut candidates: Vec<HashMap<usize, HostMatch>> = Vec::new();
    let mut entries = 0usize;
    let mut cut_at = None;
    for route in &inventory.routes {
        if cut_at.is_none() {
            let found = by_host(route);
            entries = entries.saturating_add(found.len());
            if entries <= max_entries {
                candidates.push(found);
                continue;
            }
            cut_at = Some(candidates.len());
        }
        candidates.push(HashMap::default());
    }
    // Routes in front by the short name of their upstream (`orders` for
    // `orders.shop.svc.cluster.local`), as upstream policies are matched.
    let short = |name: &str| name.split('.').next().unwrap_or(name).to_ascii_lowercase();
    let mut fronts: HashMap<String, Vec<usize>> = HashMap::default();
    for (index, route) in inventory.routes.iter().enumerate() {
        if route.layer() == Layer::Edge {
            if let Some(upstream) = &route.policy.upstream {
                fronts.entry(short(&upstream.name)).or_default().push(index);
            }
        }
    }
    for (index, route) in inventory.routes.iter().enumerate() {
        if route.layer() != Layer::Mesh || route.hosts.is_empty() {
            continue;
        }
        let public = candidates[index]
            .values()
            .any(|found| matches!(found, HostMatch::Exact | HostMatch::Wildcard));
        if public {
            continue;
        }
        let mut through: HashMap<usize, HostMatch> = HashMap::default();
        for host in &route.hosts {
            for &front in fronts.get(&short(host)).into_iter().flatten() {
                for &api in candidates[front].keys() {
                    through.insert(api, HostMatch::ThroughFront);
                }
            }
        }
        if cut_at.is_some_and(|cut| index >= cut) {
            break;
        }
        let widened: HashMap<usize, HostMatch> = if through.is_empty() {
            (0..inventory.specs.len())
                .map(|api| (api, HostMatch::PathOnly))
                .collect()
        } else {
            through
        };
        entries = entries.saturating_add(widened.len());
        if entries > max_entries {
            cut_at = Some(index);
            for later in &mut candidates[index..] {
                later.clear();
            }
            break;
        }
        candidates[index] = widened;
    }
    for (index, route) in inventory.routes.iter().enumerate() {
        candidates[index].retain(|&api, _| {
            inventory.specs[api]
                .api
                .gateways
                .as_ref()
                .is_none_or(|files| files.contains(&route.location.file))
        });
    }
    (candidates, cut_at)
}

/// The route's pattern as the upstream sees it after the gateway's rewrite. A rewrite to the
/// bare root says nothing about which operation is meant, so it is not used for matching.
fn upstream_side(path: &PathMatch) -> Option<PathMatch> {
    let rewrite = path.rewrite.as_ref()?;
    let rest = path.pattern.strip_prefix(rewrite.strip_prefix.as_str())?;
    let joined = format!(
        "{}/{}",
        rewrite.add_prefix.trim_end_matches('/'),
        rest.trim_start_matches('/')
    );
    if joined.trim_matches('/').is_empty() {
        return None;
    }
    Some(PathMatch {
        pattern: if joined.len() > 1 {
            joined.trim_end_matches('/').to_string()
        } else {
            joined
        },
        rewrite: None,
        ..path.clone()
    })
}

fn match_route(trie: &Trie, route: &Route, path: &PathMatch, found: &mut Vec<(usize, MatchKind)>) {
    let mut hits = Vec::new();
    let catch_all = route.is_catch_all();
    match path.kind {
        PathKind::Any => trie.subtree(0, &mut hits),
        PathKind::Exact | PathKind::Template => {
            let segments = parse_template(&path.pattern);
            trie.template(0, &segments, &mut hits);
            for hit in hits {
                let (operation, indexed) = &trie.paths[hit];
                let kind = if *indexed == segments {
                    MatchKind::Exact
                } else {
                    MatchKind::Template
                };
                found.push((*operation, kind));
            }
            return;
        }
        PathKind::Prefix => trie.prefix(&path.pattern, false, &mut hits),
        PathKind::SegmentPrefix => trie.prefix(&path.pattern, true, &mut hits),
        PathKind::Regex { full } => {
            let Some(regex) = compile_route_regex(&path.pattern, full) else {
                return;
            };
            trie.prefix(&regex_literal_prefix(&path.pattern), false, &mut hits);
            hits.retain(|&hit| {
                let segments = &trie.paths[hit].1;
                let slash = if trie.trailing_slash[hit] { "/" } else { "" };
                ["1", "x"].iter().any(|value| {
                    regex.is_match(&format!("{}{slash}", sample_path(segments, value)))
                })
            });
        }
    }
    let kind = if catch_all {
        MatchKind::CatchAll
    } else if matches!(path.kind, PathKind::Regex { .. }) {
        MatchKind::Regex
    } else {
        MatchKind::Prefix
    };
    found.extend(hits.into_iter().map(|hit| (trie.paths[hit].0, kind)));
}

/// Builds the per-operation and per-route views, keeping per operation and configuration file
/// only the route the gateway would choose: the strongest match, then the longest pattern, then
/// the first defined. An AI gateway chooses by the model named in the request body, so each of
/// its model groups' routes is kept.
fn index_links(inventory: &Inventory, join: &mut Join) {
    join.by_operation = vec![Vec::new(); inventory.operations.len()];
    join.by_route = vec![Vec::new(); inventory.routes.len()];
    let route = |index: usize| &inventory.routes[index];
    let mut best: HashMap<(usize, crate::span::FileId, Layer, Option<&str>), usize> =
        HashMap::default();
    for (index, link) in join.links.iter().enumerate() {
        let linked = route(link.route);
        let model_group = (linked.layer() == Layer::Ai)
            .then_some(linked.name.as_deref())
            .flatten();
        // A route bound both to a mesh's sidecars and to its gateway is one route per layer.
        let key = (
            link.operation,
            linked.location.file,
            linked.layer(),
            model_group,
        );
        let better = match best.get(&key) {
            None => true,
            Some(&current) => {
                let current = &join.links[current];
                let rank = |link: &Link| {
                    (
                        link.kind,
                        std::cmp::Reverse(route(link.route).path.pattern.len()),
                        link.route,
                    )
                };
                rank(link) < rank(current)
            }
        };
        if better {
            best.insert(key, index);
        }
    }
    let mut chosen: Vec<usize> = best.into_values().collect();
    chosen.sort_by_key(|&index| {
        let link = &join.links[index];
        let route = route(link.route);
        (
            link.operation,
            join.layers.slot(route),
            route.location.file,
            link.route,
        )
    });
    for index in chosen {
        let link = join.links[index];
        join.by_operation[link.operation].push(index);
        join.by_route[link.route].push(index);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_prefix_of_regexes() {
        assert_eq!(regex_literal_prefix("^/pets/\\d+$"), "/pets/");
        assert_eq!(regex_literal_prefix("/pets/(?<id>[^/]+)$"), "/pets/");
        assert_eq!(regex_literal_prefix("/api/v1?/x"), "/api/v");
        assert_eq!(regex_literal_prefix(".*"), "");
    }
}
