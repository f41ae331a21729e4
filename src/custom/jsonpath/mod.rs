//! JSONPath evaluated over routeguard's spanned trees, following `$ref`s through the run's
//! [`RefIndex`], so that every match keeps the file and span it was read from: a match inside a
//! referenced file points into that file.

pub mod filter;
pub mod parse;

use crate::collections::{FastHashMap, FastHashSet};
use std::borrow::Cow;
use std::sync::Arc;

use filter::{Member, Scope, Value};
pub use parse::{parse, Path, PathError, Segment, Selector};

use crate::source::refs::RefIndex;
use crate::source::{Entry, Node, NodeKind, Workspace, MAX_DEPTH};
use crate::span::{FileId, Location};

/// One step of a match's path from the document root, as Spectral prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Seg<'w> {
    Key(&'w str),
    Index(usize),
}

impl std::fmt::Display for Seg<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Seg::Key(key) => f.write_str(key),
            Seg::Index(index) => write!(f, "{index}"),
        }
    }
}

/// A match's path from the document root: the path of the node it was found under, shared by
/// every match found there (a big spec's property names are tens of thousands of matches under
/// a few thousand `properties` objects), then its own last step.
#[derive(Debug, Clone)]
pub struct HitPath<'w> {
    parent: Arc<[Seg<'w>]>,
    last: Option<Seg<'w>>,
}

impl<'w> HitPath<'w> {
    pub fn new(path: Vec<Seg<'w>>) -> HitPath<'w> {
        HitPath {
            parent: Arc::from(path),
            last: None,
        }
    }

    pub fn under(parent: &Arc<[Seg<'w>]>, seg: Seg<'w>) -> HitPath<'w> {
        HitPath {
            parent: Arc::clone(parent),
            last: Some(seg),
        }
    }

    pub fn len(&self) -> usize {
        self.parent.len() + usize::from(self.last.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn last(&self) -> Option<&Seg<'w>> {
        self.last.as_ref().or(self.parent.last())
    }

    pub fn iter(&self) -> <&HitPath<'w> as IntoIterator>::IntoIter {
        self.into_iter()
    }

    pub fn to_vec(&self) -> Vec<Seg<'w>> {
        self.iter().copied().collect()
    }

    /// The path of the node this match was found under (all of it when the match has no step
    /// of its own), and its own step.
    pub fn split(&self) -> (&Arc<[Seg<'w>]>, Option<&Seg<'w>>) {
        (&self.parent, self.last.as_ref())
    }

    /// The whole path as one shared list, for matches found under this one.
    pub fn shared(&self) -> Arc<[Seg<'w>]> {
        match self.last {
            None => Arc::clone(&self.parent),
            Some(_) => Arc::from(self.to_vec()),
        }
    }
}

impl<'p, 'w> IntoIterator for &'p HitPath<'w> {
    type Item = &'p Seg<'w>;
    type IntoIter = std::iter::Chain<std::slice::Iter<'p, Seg<'w>>, std::option::Iter<'p, Seg<'w>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.parent.iter().chain(&self.last)
    }
}

/// A node of a document as a ruleset sees it: where it is, how it was reached.
#[derive(Debug, Clone)]
pub struct Hit<'w> {
    pub file: FileId,
    pub node: &'w Node,
    /// The mapping key it is the value of, when reached directly rather than through a `$ref`.
    pub key: Option<&'w Node>,
    pub path: HitPath<'w>,
    /// Reached through `~`: the match is the property name, not its value.
    pub is_key: bool,
}

impl<'w> Hit<'w> {
    pub fn root(file: FileId, node: &'w Node) -> Hit<'w> {
        Hit {
            file,
            node,
            key: None,
            path: HitPath::new(Vec::new()),
            is_key: false,
        }
    }

    /// Where a finding about this match is shown: a property name at the name; an object or
    /// array at its key (the line that names it); a scalar at the value.
    pub fn location(&self) -> Location {
        let span = match self.key {
            Some(key) if self.is_key || !matches!(self.node.kind, NodeKind::Scalar(_)) => key.span,
            // The document itself is shown where it starts, as Spectral shows it (the `{` of a
            // JSON document, the first key of a YAML one), rather than underlined whole.
            _ if self.path.is_empty() => {
                let start = self.node.span.start;
                crate::span::Span::new(start, self.node.span.end.min(start + 1))
            }
            _ => self.node.span,
        };
        Location {
            file: self.file,
            span,
        }
    }

    /// The match as a filter or function sees it.
    pub fn value(&self) -> Value<'w> {
        if self.is_key {
            return match self.path.last() {
                Some(Seg::Key(key)) => Value::Str(Cow::Borrowed(key)),
                Some(Seg::Index(index)) => Value::Number(*index as f64),
                None => Value::Undefined,
            };
        }
        Value::of(self.node)
    }
}

/// A run's resolved references, with the address of every node they can lead to.
pub struct Refs<'w> {
    index: &'w RefIndex,
    /// See [`RefIndex::each_target`]: besides where a walk starts, the only nodes it can reach
    /// more than once.
    targets: NodeSet,
}

impl<'w> Refs<'w> {
    pub fn new(workspace: &'w Workspace, index: &'w RefIndex) -> Refs<'w> {
        let mut targets = NodeSet::default();
        index.each_target(workspace, |node| {
            targets.insert(address(node));
        });
        Refs { index, targets }
    }
}

/// Nodes by address: membership only, so a fast hash serves.
type NodeSet = FastHashSet<usize>;

fn address(node: &Node) -> usize {
    std::ptr::from_ref(node) as usize
}

/// What evaluation reads: the files of the run and, unless a rule asks for the unresolved
/// document, the resolved references.
#[derive(Clone, Copy)]
pub struct Documents<'w> {
    pub workspace: &'w Workspace,
    pub refs: Option<&'w Refs<'w>>,
}

/// A resolved child of a node, before a path is built for it: only matches get one.
#[derive(Clone, Copy)]
struct Step<'w> {
    seg: Seg<'w>,
    key: Option<&'w Node>,
    file: FileId,
    node: &'w Node,
}

impl<'w> Step<'w> {
    /// The match this child is, under a parent at `parent_path`.
    fn hit(self, parent_path: &Arc<[Seg<'w>]>) -> Hit<'w> {
        Hit {
            file: self.file,
            node: self.node,
            key: self.key,
            path: HitPath::under(parent_path, self.seg),
            is_key: false,
        }
    }
}

/// The path of a node selectors are applied to: the walk's own stack, or a match's path.
#[derive(Clone, Copy)]
enum PlacePath<'a, 'w> {
    Walk(&'a [Seg<'w>]),
    Hit(&'a HitPath<'w>),
}

impl<'a, 'w> PlacePath<'a, 'w> {
    fn last(self) -> Option<&'a Seg<'w>> {
        match self {
            PlacePath::Walk(path) => path.last(),
            PlacePath::Hit(path) => path.last(),
        }
    }

    fn to_vec(self) -> Vec<Seg<'w>> {
        match self {
            PlacePath::Walk(path) => path.to_vec(),
            PlacePath::Hit(path) => path.to_vec(),
        }
    }

    fn shared(self) -> Arc<[Seg<'w>]> {
        match self {
            PlacePath::Walk(path) => Arc::from(path),
            PlacePath::Hit(path) => path.shared(),
        }
    }
}

/// The path the matches found at one place share, made when the first of them is.
struct SharedPath<'a, 'w> {
    place: PlacePath<'a, 'w>,
    made: Option<Arc<[Seg<'w>]>>,
}

impl<'a, 'w> SharedPath<'a, 'w> {
    fn new(place: PlacePath<'a, 'w>) -> SharedPath<'a, 'w> {
        SharedPath { place, made: None }
    }

    fn get(&mut self) -> &Arc<[Seg<'w>]> {
        self.made.get_or_insert_with(|| self.place.shared())
    }
}

/// A node selectors are applied to, its path borrowed from the walk or the match it is.
#[derive(Clone, Copy)]
struct Place<'a, 'w> {
    file: FileId,
    node: &'w Node,
    path: PlacePath<'a, 'w>,
    is_key: bool,
}

impl<'a, 'w> Place<'a, 'w> {
    fn of(hit: &'a Hit<'w>) -> Place<'a, 'w> {
        Place {
            file: hit.file,
            node: hit.node,
            path: PlacePath::Hit(&hit.path),
            is_key: hit.is_key,
        }
    }

    /// As [`Hit::value`].
    fn value(&self) -> Value<'w> {
        if self.is_key {
            return seg_value(self.path.last());
        }
        Value::of(self.node)
    }
}

/// The nodes a search has visited. Only the nodes that can be reached more than once (reference
/// targets and the places searches start from) are remembered; every other node is reached
/// only from its parent, so it is new whenever its parent is.
struct Visited<'r> {
    targets: Option<&'r NodeSet>,
    starts: NodeSet,
    seen: NodeSet,
}

impl<'r> Visited<'r> {
    fn new(targets: Option<&'r NodeSet>, starts: impl IntoIterator<Item = usize>) -> Visited<'r> {
        Visited {
            targets,
            starts: starts.into_iter().collect(),
            seen: NodeSet::default(),
        }
    }

    /// Whether `node` is visited for the first time (and now counts as visited).
    fn first_visit(&mut self, node: &Node) -> bool {
        let address = address(node);
        let target = self
            .targets
            .is_some_and(|targets| targets.contains(&address));
        if !target && !self.starts.contains(&address) {
            return true;
        }
        self.seen.insert(address)
    }
}

/// Matches beyond this many are dropped: a bound on memory for pathological documents. A
/// path with this many matches is reported as cut (`custom::spectral::run`).
pub const MAX_HITS: usize = 1_000_000;

impl<'w> Documents<'w> {
    /// The node a value stands for: itself, or the target of its `$ref` chain.
    pub fn resolve(&self, file: FileId, node: &'w Node) -> (FileId, &'w Node) {
        match self.refs {
            Some(refs) if node.is_map() => refs.index.deref(self.workspace, file, node),
            _ => (file, node),
        }
    }

    /// The path of the node `path` leads to from `root` (in `file`) as Spectral prints it in
    /// `{{path}}` and `{{property}}` and fingerprints a finding by: where that node is declared.
    /// Each `$ref` crossed restarts the path at its target's pointer, as
    /// `documentInventory.findAssociatedItemForPath` does in @stoplight/spectral-core 1.x
    /// (`processTargetResults` in `runner/lintNode.js`), so a parameter declared once under
    /// `components` and referenced by five operations has one path, not five. A property name
    /// (`is_key`) is declared where it is written, whatever its value refers to.
    pub fn declared_path(
        &self,
        file: FileId,
        root: &'w Node,
        path: &HitPath<'w>,
        is_key: bool,
    ) -> Vec<String> {
        let mut declared: Vec<String> = Vec::with_capacity(path.len());
        let Some(refs) = self.refs else {
            declared.extend(path.iter().map(ToString::to_string));
            return declared;
        };
        let mut at = Some((file, root));
        let followed = if is_key {
            path.len().saturating_sub(1)
        } else {
            path.len()
        };
        for (depth, seg) in path.iter().enumerate() {
            declared.push(seg.to_string());
            if depth == followed {
                break;
            }
            let child = at.and_then(|(file, node)| {
                let child = match (&node.kind, seg) {
                    (NodeKind::Map(_), Seg::Key(key)) => node.get(key),
                    (NodeKind::Seq(items), Seg::Index(index)) => items.get(*index),
                    _ => None,
                }?;
                Some((file, child))
            });
            at = child.map(|(file, child)| {
                let (file, node, target) = refs.index.deref_declared(self.workspace, file, child);
                if let Some(target) = target {
                    declared.clone_from(&target.pointer);
                }
                (file, node)
            });
        }
        declared
    }

    /// The nodes references can lead to, when they are followed.
    fn targets(&self) -> Option<&'w NodeSet> {
        self.refs.map(|refs| &refs.targets)
    }

    /// The children of a match, each resolved, with its key or index.
    pub fn children(&self, hit: &Hit<'w>) -> Vec<Hit<'w>> {
        let mut out = Vec::new();
        let parent = hit.path.shared();
        self.each_child(hit.file, hit.node, |step| out.push(step.hit(&parent)));
        out
    }

    /// Calls `visit` with each child of `node`, resolved.
    fn each_child(&self, file: FileId, node: &'w Node, mut visit: impl FnMut(Step<'w>)) {
        match &node.kind {
            NodeKind::Map(entries) => {
                for step in entries.iter().filter_map(|entry| self.entry(file, entry)) {
                    visit(step);
                }
            }
            NodeKind::Seq(items) => {
                for step in (0..items.len()).filter_map(|index| self.item(file, items, index)) {
                    visit(step);
                }
            }
            NodeKind::Scalar(_) => {}
        }
    }

    /// The child of `node` named `name` (or at that index), resolved.
    fn step(&self, file: FileId, node: &'w Node, name: &str) -> Option<Step<'w>> {
        match &node.kind {
            NodeKind::Map(_) => self.entry(file, node.entry(name)?),
            NodeKind::Seq(items) => {
                let index: usize = name.parse().ok()?;
                self.item(file, items, index)
            }
            NodeKind::Scalar(_) => None,
        }
    }

    /// The value of `entry`, resolved; the key node is kept only when the value is the entry's
    /// own, not one a `$ref` led to. None for a key that is not a scalar.
    fn entry(&self, file: FileId, entry: &'w Entry) -> Option<Step<'w>> {
        let key = entry.key.scalar_text()?;
        let (target_file, target) = self.resolve(file, &entry.value);
        let direct = std::ptr::eq(target, &entry.value);
        Some(Step {
            seg: Seg::Key(key),
            key: direct.then_some(&entry.key),
            file: target_file,
            node: target,
        })
    }

    /// Item `index` of `items`, resolved.
    fn item(&self, file: FileId, items: &'w [Node], index: usize) -> Option<Step<'w>> {
        items.get(index).map(|item| {
            let (target_file, target) = self.resolve(file, item);
            Step {
                seg: Seg::Index(index),
                key: None,
                file: target_file,
                node: target,
            }
        })
    }

    /// The child named `name` (or at that index), resolved.
    pub fn child(&self, hit: &Hit<'w>, name: &str) -> Option<Hit<'w>> {
        self.step(hit.file, hit.node, name)
            .map(|step| step.hit(&hit.path.shared()))
    }

    /// Every match of `path` from `root`.
    pub fn select(&self, path: &Path, root: Hit<'w>) -> Vec<Hit<'w>> {
        self.select_from(path, &root, Cow::Owned(vec![root.clone()]), 0)
    }

    /// Every match of each of `paths` from `root`, in the order of `paths`. The paths that start
    /// with a descendant segment (`$..`) share one walk of the document: each node is visited
    /// once and every such path's selectors are applied to it there, so a ruleset with many
    /// `$..` rules costs one traversal rather than one per rule. Paths written alike are
    /// evaluated once and share their matches, and so are first segments written alike. Each
    /// path's matches are those [`Documents::select`] gives, in the same order.
    pub fn select_each(&self, paths: &[&Path], root: Hit<'w>) -> Vec<Arc<Vec<Hit<'w>>>> {
        let mut unique: Vec<&Path> = Vec::new();
        let which: Vec<usize> = paths
            .iter()
            .map(|&path| position_or_push(&mut unique, path))
            .collect();
        let mut firsts: Vec<&[Selector]> = Vec::new();
        let first_of: Vec<Option<usize>> = unique
            .iter()
            .map(|path| match path.segments.first() {
                Some(Segment::Descendant(selectors)) => {
                    Some(position_or_push(&mut firsts, selectors.as_slice()))
                }
                _ => None,
            })
            .collect();
        let mut found = self.walk_firsts(&firsts, &root);
        let mut shared_by = vec![0usize; firsts.len()];
        for &first in first_of.iter().flatten() {
            shared_by[first] += 1;
        }
        let results: Vec<Arc<Vec<Hit<'w>>>> = unique
            .iter()
            .zip(first_of)
            .map(|(path, first)| {
                Arc::new(match first {
                    Some(first) => {
                        // The first segment's matches are lent to every path that starts with
                        // it and given to the last: most paths go on from them, so a copy of
                        // them (and of each one's path) would be thrown away.
                        shared_by[first] -= 1;
                        found[first].truncate(MAX_HITS);
                        let hits = if shared_by[first] == 0 {
                            Cow::Owned(std::mem::take(&mut found[first]))
                        } else {
                            Cow::Borrowed(found[first].as_slice())
                        };
                        self.select_from(path, &root, hits, 1)
                    }
                    None => self.select(path, root.clone()),
                })
            })
            .collect();
        which
            .iter()
            .map(|&index| Arc::clone(&results[index]))
            .collect()
    }

    /// The matches of each of `firsts`, the selectors of a descendant segment that starts a
    /// path, from one walk of `root`. A segment that only names a property (`$..properties`) or
    /// only tests a property's name (`$..[?(@property === 'id')]`) is answered by one lookup
    /// per child for all of them.
    fn walk_firsts(&self, firsts: &[&[Selector]], root: &Hit<'w>) -> Vec<Vec<Hit<'w>>> {
        let mut found: Vec<Vec<Hit<'w>>> = vec![Vec::new(); firsts.len()];
        if firsts.is_empty() {
            return found;
        }
        let mut by_name: FastHashMap<&str, Vec<(usize, NameTest)>> = FastHashMap::default();
        let mut general = Vec::new();
        for (index, selectors) in firsts.iter().enumerate() {
            match name_test(selectors) {
                Some((name, test)) => by_name.entry(name).or_default().push((index, test)),
                None => general.push(index),
            }
        }
        // Whether each first segment still takes matches at the node being visited: as when
        // evaluated alone, a node's matches are all kept once the count before it is in bounds.
        let mut open = vec![true; firsts.len()];
        let mut last: Vec<(usize, Step<'w>)> = Vec::new();
        let mut visited = Visited::new(self.targets(), [address(root.node)]);
        self.walk(root, &mut visited, &mut |place, children| {
            let mut wanted = false;
            for (open, out) in open.iter_mut().zip(&found) {
                *open = out.len() <= MAX_HITS;
                wanted |= *open;
            }
            for &index in &general {
                if open[index] {
                    self.apply_to_children(firsts[index], place, children, &mut found[index]);
                }
            }
            if !by_name.is_empty() {
                let mut shared = SharedPath::new(place.path);
                for child in children {
                    let Seg::Key(key) = child.seg else {
                        continue;
                    };
                    for &(index, test) in by_name.get(key).into_iter().flatten() {
                        match test {
                            NameTest::Every if open[index] => {
                                found[index].push(child.hit(shared.get()));
                            }
                            NameTest::Every => {}
                            NameTest::Last => match last.iter_mut().find(|(i, _)| *i == index) {
                                Some((_, step)) => *step = *child,
                                None => last.push((index, *child)),
                            },
                        }
                    }
                }
                for (index, step) in last.drain(..) {
                    if open[index] {
                        found[index].push(step.hit(shared.get()));
                    }
                }
            }
            wanted
        });
        found
    }

    /// The matches of `path` from its segment `from` on, given the matches before it (`current`)
    /// and the node evaluation started at (`start`, for `^`).
    fn select_from(
        &self,
        path: &Path,
        start: &Hit<'w>,
        mut current: Cow<'_, [Hit<'w>]>,
        from: usize,
    ) -> Vec<Hit<'w>> {
        let mut children = Vec::new();
        for segment in &path.segments[from.min(path.segments.len())..] {
            if current.is_empty() {
                break;
            }
            let mut next = Vec::new();
            match segment {
                Segment::Parent => {
                    let mut seen = NodeSet::default();
                    for hit in current.iter() {
                        if let Some(parent) = self.parent(start, hit) {
                            if seen.insert(address(parent.node)) {
                                next.push(parent);
                            }
                        }
                    }
                }
                Segment::Child(selectors) => {
                    let needs_children = selectors.iter().any(|selector| {
                        matches!(
                            selector,
                            Selector::Wildcard | Selector::Slice { .. } | Selector::Filter(_)
                        )
                    });
                    if let [Selector::Wildcard] = selectors.as_slice() {
                        // Every child is a match (`.*` of each of thousands of `properties`): the
                        // list is sized once instead of doubling through all of them.
                        let count: usize = current
                            .iter()
                            .map(|hit| hit.node.entries().len() + hit.node.items().len())
                            .sum();
                        next.reserve(count.min(MAX_HITS + 1));
                    }
                    for hit in current.iter() {
                        children.clear();
                        if needs_children {
                            self.each_child(hit.file, hit.node, |step| children.push(step));
                        }
                        self.apply_to_children(selectors, Place::of(hit), &children, &mut next);
                    }
                }
                Segment::Descendant(selectors) => {
                    // Each node is searched once, however many references lead to it: a result
                    // inside a shared schema is one finding, as Spectral reports it.
                    let mut visited =
                        Visited::new(self.targets(), current.iter().map(|hit| address(hit.node)));
                    for hit in current.iter() {
                        self.walk(hit, &mut visited, &mut |place, children| {
                            self.apply_to_children(selectors, place, children, &mut next);
                            next.len() <= MAX_HITS
                        });
                    }
                }
            }
            if next.len() > MAX_HITS {
                next.truncate(MAX_HITS);
            }
            current = Cow::Owned(next);
        }
        let mut current = current.into_owned();
        if path.keys {
            current.retain(|hit| !hit.path.is_empty());
            for hit in &mut current {
                hit.is_key = true;
            }
        }
        current
    }

    /// The parent of `hit`, found again from `start` along its path.
    fn parent(&self, start: &Hit<'w>, hit: &Hit<'w>) -> Option<Hit<'w>> {
        let depth = hit.path.len().checked_sub(start.path.len() + 1)?;
        let mut current = start.clone();
        for seg in hit.path.iter().skip(start.path.len()).take(depth) {
            current = self.child(&current, &seg.to_string())?;
        }
        Some(current)
    }

    /// Visits `start` and its descendants depth first, each node once (by `visited`), with its
    /// resolved children; stops descending when `visit` returns false. The path of the node
    /// being visited is kept on one stack, so no node but a match gets a path of its own.
    fn walk(
        &self,
        start: &Hit<'w>,
        visited: &mut Visited<'_>,
        visit: &mut dyn FnMut(Place<'_, 'w>, &[Step<'w>]) -> bool,
    ) -> bool {
        if !visited.first_visit(start.node) {
            return true;
        }
        let mut children = Vec::new();
        self.each_child(start.file, start.node, |step| children.push(step));
        if !visit(Place::of(start), &children) {
            return false;
        }
        let mut path = start.path.to_vec();
        let mut stack = Vec::new();
        for child in children {
            path.push(child.seg);
            let more = self.walk_below(child, &mut path, &mut stack, visited, 1, visit);
            path.pop();
            if !more {
                return false;
            }
        }
        true
    }

    /// [`Documents::walk`] below its start: `path` is the path of `node`, and `stack` holds
    /// the children of the nodes being visited, each node's after its parent's.
    fn walk_below(
        &self,
        node: Step<'w>,
        path: &mut Vec<Seg<'w>>,
        stack: &mut Vec<Step<'w>>,
        visited: &mut Visited<'_>,
        depth: usize,
        visit: &mut dyn FnMut(Place<'_, 'w>, &[Step<'w>]) -> bool,
    ) -> bool {
        // A node without children (a scalar, an empty mapping or list) gives no selector
        // anything to match, so visiting it would change nothing: scalars are most nodes.
        let leaf = node.node.entries().is_empty() && node.node.items().is_empty();
        if leaf || depth > MAX_DEPTH || !visited.first_visit(node.node) {
            return true;
        }
        let from = stack.len();
        self.each_child(node.file, node.node, |step| stack.push(step));
        let place = Place {
            file: node.file,
            node: node.node,
            path: PlacePath::Walk(path),
            is_key: false,
        };
        let mut more = visit(place, &stack[from..]);
        let mut index = from;
        let end = stack.len();
        while more && index < end {
            let child = stack[index];
            path.push(child.seg);
            more = self.walk_below(child, path, stack, visited, depth + 1, visit);
            path.pop();
            index += 1;
        }
        stack.truncate(from);
        more
    }

    /// Applies `selectors` to `place`, whose resolved children are `children`.
    fn apply_to_children(
        &self,
        selectors: &[Selector],
        place: Place<'_, 'w>,
        children: &[Step<'w>],
        out: &mut Vec<Hit<'w>>,
    ) {
        let mut shared = SharedPath::new(place.path);
        for selector in selectors {
            match selector {
                Selector::Name(name) => out.extend(
                    self.step(place.file, place.node, name)
                        .map(|step| step.hit(shared.get())),
                ),
                Selector::Wildcard => {
                    out.extend(children.iter().map(|child| child.hit(shared.get())));
                }
                Selector::Index(index) => {
                    let items = place.node.items();
                    let len = items.len() as i64;
                    let index = if *index < 0 { len + index } else { *index };
                    if place.node.is_seq() && (0..len).contains(&index) {
                        out.extend(
                            self.item(place.file, items, index as usize)
                                .map(|step| step.hit(shared.get())),
                        );
                    }
                }
                Selector::Slice { start, end, step } => {
                    if !place.node.is_seq() {
                        continue;
                    }
                    for index in slice_indices(children.len(), *start, *end, *step) {
                        out.push(children[index].hit(shared.get()));
                    }
                }
                Selector::Filter(filter) => {
                    for &child in children {
                        let key = match child.seg {
                            Seg::Key(key) => Some(key),
                            Seg::Index(_) => None,
                        };
                        if !filter.may_hold_for(key) {
                            continue;
                        }
                        let scope = FilterScope {
                            documents: *self,
                            parent: place,
                            child,
                        };
                        if filter.expr.eval(&scope).truthy() {
                            out.push(child.hit(shared.get()));
                        }
                    }
                }
            }
        }
    }
}

/// The position of `item` in `items`, added at the end when new.
fn position_or_push<'a, T: PartialEq + ?Sized>(items: &mut Vec<&'a T>, item: &'a T) -> usize {
    items
        .iter()
        .position(|known| *known == item)
        .unwrap_or_else(|| {
            items.push(item);
            items.len() - 1
        })
}

/// Which children with a given name a segment selects.
#[derive(Clone, Copy)]
enum NameTest {
    /// Each one: a filter on the property name.
    Every,
    /// The last one, as a name selector reads a mapping with duplicate keys.
    Last,
}

/// The property name a segment selects by, when that is all it does: its only selector is a
/// name no index converts from (`..properties`), or a filter that only tests the property name
/// (`[?(@property === 'id')]`).
fn name_test(selectors: &[Selector]) -> Option<(&str, NameTest)> {
    match selectors {
        [Selector::Name(name)] if name.parse::<usize>().is_err() => Some((name, NameTest::Last)),
        [Selector::Filter(filter)] => Some((filter.only_name()?, NameTest::Every)),
        _ => None,
    }
}

/// RFC 9535 slice semantics (normalized bounds, positive or negative step).
fn slice_indices(
    len: usize,
    start: Option<i64>,
    end: Option<i64>,
    step: Option<i64>,
) -> Vec<usize> {
    let len = len as i64;
    let step = step.unwrap_or(1);
    let normalize = |index: i64| if index < 0 { len + index } else { index };
    let mut out = Vec::new();
    match step {
        0 => {}
        step if step > 0 => {
            let lower = normalize(start.unwrap_or(0)).clamp(0, len);
            let upper = normalize(end.unwrap_or(len)).clamp(0, len);
            let mut index = lower;
            while index < upper {
                out.push(index as usize);
                index += step;
            }
        }
        step => {
            let upper = normalize(start.unwrap_or(len - 1)).clamp(-1, len - 1);
            let lower = end.map_or(-1, |end| normalize(end).clamp(-1, len - 1));
            let mut index = upper;
            while index > lower {
                out.push(index as usize);
                index += step;
            }
        }
    }
    out
}

struct FilterScope<'s, 'w> {
    documents: Documents<'w>,
    parent: Place<'s, 'w>,
    child: Step<'w>,
}

impl<'w> FilterScope<'_, 'w> {
    /// The value `members` lead to from `node`.
    fn member(&self, mut file: FileId, mut node: &'w Node, members: &[Member]) -> Value<'w> {
        for member in members {
            let next = match member {
                Member::Name(name) => self.documents.step(file, node, name),
                Member::Index(index) => self.documents.step(file, node, &index.to_string()),
            };
            match next {
                Some(next) => (file, node) = (next.file, next.node),
                None => return Value::Undefined,
            }
        }
        Value::of(node)
    }
}

impl<'n, 'w: 'n> Scope<'n> for FilterScope<'_, 'w> {
    fn current(&self, members: &[Member]) -> Value<'n> {
        self.member(self.child.file, self.child.node, members)
    }

    fn parent(&self, members: &[Member]) -> Value<'n> {
        if members.is_empty() {
            return self.parent.value();
        }
        self.member(self.parent.file, self.parent.node, members)
    }

    fn property(&self) -> Value<'n> {
        seg_value(Some(&self.child.seg))
    }

    fn parent_property(&self) -> Value<'n> {
        seg_value(self.parent.path.last())
    }

    fn path(&self) -> Value<'n> {
        // nimma's `dumpPath`: names quoted with `'` as they are, indices bare.
        let mut out = String::from("$");
        for seg in self.parent.path.to_vec().iter().chain([&self.child.seg]) {
            match seg {
                Seg::Key(key) => {
                    out.push_str("['");
                    out.push_str(key);
                    out.push_str("']");
                }
                Seg::Index(index) => out.push_str(&format!("[{index}]")),
            }
        }
        Value::Str(Cow::Owned(out))
    }
}

fn seg_value<'w>(seg: Option<&Seg<'w>>) -> Value<'w> {
    match seg {
        Some(Seg::Key(key)) => Value::Str(Cow::Borrowed(key)),
        Some(Seg::Index(index)) => Value::Number(*index as f64),
        None => Value::Undefined,
    }
}

/// Appends `path` as a JSON pointer (`#/paths/~1pets/get`, as Spectral's `{{path}}` prints it)
/// to `out`.
pub fn push_pointer<'p, 'w: 'p, P>(out: &mut String, path: P)
where
    P: IntoIterator<Item = &'p Seg<'w>>,
    P::IntoIter: Clone,
{
    let path = path.into_iter();
    // Sized once: a finding's pointer is built for each of thousands of findings, and growing it
    // segment by segment reallocates several times per pointer.
    let capacity = 1 + path
        .clone()
        .map(|seg| match seg {
            Seg::Key(key) => 1 + key.len(),
            Seg::Index(_) => 1 + 20,
        })
        .sum::<usize>();
    out.reserve(capacity);
    out.push('#');
    for seg in path {
        push_pointer_step(out, seg);
    }
}

/// Appends `/` and `seg`, escaped, to a JSON pointer.
pub fn push_pointer_step(out: &mut String, seg: &Seg<'_>) {
    out.push('/');
    match seg {
        Seg::Key(key) => push_pointer_segment(out, key),
        Seg::Index(index) => out.push_str(itoa::Buffer::new().format(*index)),
    }
}

/// Appends `segment` escaped as a JSON pointer segment (`~` as `~0`, `/` as `~1`).
pub fn push_pointer_segment(out: &mut String, segment: &str) {
    // Runs between the bytes to escape are copied whole: a route path escapes every `/`, and
    // most keys escape nothing.
    let mut run = 0;
    for (at, byte) in segment.bytes().enumerate() {
        let escaped = match byte {
            b'~' => "~0",
            b'/' => "~1",
            _ => continue,
        };
        out.push_str(&segment[run..at]);
        out.push_str(escaped);
        run = at + 1;
    }
    out.push_str(&segment[run..]);
}

/// `paths./pets.get.responses`: a match's path as Spectral's text output prints it.
pub fn dotted<'p, 'w: 'p>(path: impl IntoIterator<Item = &'p Seg<'w>>) -> String {
    path.into_iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{parse_text, Syntax};

    const SPEC: &str = "\
openapi: 3.0.3
info:
  title: Pets
paths:
  /pets:
    get:
      operationId: listPets
      parameters:
        - name: limit
          in: query
        - name: id
          in: path
    post:
      operationId: createPet
  /pets/{id}:
    delete:
      tags: [pets]
";

    fn run(expression: &str) -> Vec<String> {
        let document = parse_text(SPEC, Syntax::Yaml).unwrap().documents.remove(0);
        let workspace = Workspace::default();
        let documents = Documents {
            workspace: &workspace,
            refs: None,
        };
        let path = parse(expression).unwrap();
        documents
            .select(&path, Hit::root(FileId(0), &document))
            .iter()
            .map(|hit| {
                if hit.is_key {
                    format!("{}~", dotted(&hit.path))
                } else {
                    dotted(&hit.path)
                }
            })
            .collect()
    }

    #[test]
    fn child_wildcard_union_and_keys() {
        assert_eq!(run("$.info.title"), ["info.title"]);
        assert_eq!(
            run("$.paths[*][get,put,post,delete,patch]"),
            [
                "paths./pets.get",
                "paths./pets.post",
                "paths./pets/{id}.delete"
            ]
        );
        assert_eq!(run("$.paths.*~"), ["paths./pets~", "paths./pets/{id}~"]);
        assert_eq!(
            run("$['paths']['/pets'].get.parameters[-1].name"),
            ["paths./pets.get.parameters.1.name"]
        );
        assert_eq!(
            run("$.paths./pets.get.parameters[0:1].in"),
            ["paths./pets.get.parameters.0.in"]
        );
    }

    #[test]
    fn descendants_and_filters() {
        assert_eq!(
            run("$..operationId"),
            [
                "paths./pets.get.operationId",
                "paths./pets.post.operationId"
            ]
        );
        assert_eq!(
            run("$..parameters[?(@.in == 'query')].name"),
            ["paths./pets.get.parameters.0.name"]
        );
        assert_eq!(
            run("$.paths[?(@property.match(/\\{/))]"),
            ["paths./pets/{id}"]
        );
        assert_eq!(
            run("$.paths.*[?(@property === 'get' || @property === 'delete')]"),
            ["paths./pets.get", "paths./pets/{id}.delete"]
        );
        assert_eq!(
            run("$.paths.*.*[?(@parentProperty === 'delete' && @.length > 0)]"),
            ["paths./pets/{id}.delete.tags"]
        );
        assert_eq!(
            run("$..[?(!@.operationId && @.tags)]"),
            ["paths./pets/{id}.delete"]
        );
        assert_eq!(
            run("$.paths...parameters.[?(@.in == 'path')].name"),
            ["paths./pets.get.parameters.1.name"]
        );
        assert_eq!(
            run("$..[?(@property === 'in' && @ === 'query')]^"),
            ["paths./pets.get.parameters.0"]
        );
    }

    #[test]
    fn nimma_shorthands_path_and_parent() {
        assert_eq!(
            run("$.paths.*[?(@object() && @.operationId)]~"),
            ["paths./pets.get~", "paths./pets.post~"]
        );
        assert_eq!(
            run("$.paths.*.*[?(@array())]"),
            ["paths./pets.get.parameters", "paths./pets/{id}.delete.tags"]
        );
        assert_eq!(
            run("$.paths./pets.get.parameters.*[?(@string() && @property == 'in')]"),
            [
                "paths./pets.get.parameters.0.in",
                "paths./pets.get.parameters.1.in"
            ]
        );
        assert_eq!(
            run("$.info[?(@scalar() && !@number() && !@boolean() && !@null())]"),
            ["info.title"]
        );
        assert!(run("$.info[?(@integer() || @object())]").is_empty());
        assert_eq!(run("$.paths[?(!@path.match(/\\}']$/))]~"), ["paths./pets~"]);
        assert_eq!(
            run("$.paths.*[?(@parent.post && @property != 'post')]"),
            ["paths./pets.get"]
        );
        assert_eq!(
            run("$.paths.*.get.parameters[?(@parent[0].name == 'limit' && @.in == 'path')].name"),
            ["paths./pets.get.parameters.1.name"]
        );
    }

    #[test]
    fn one_walk_for_many_paths_gives_each_path_its_own_matches() {
        let document = parse_text(SPEC, Syntax::Yaml).unwrap().documents.remove(0);
        let workspace = Workspace::default();
        let documents = Documents {
            workspace: &workspace,
            refs: None,
        };
        let expressions = [
            "$..operationId",
            "$.paths.*~",
            "$..[?(@property === 'in')]^",
            "$..parameters[?(@.in == 'query')].name",
            "$..*",
            "$..[1]",
            "$..tags[0:1]",
            "$.info",
            "$..nothing",
            // Written alike, read once; a regex flag makes paths differ.
            "$..operationId",
            "$..[?(@property.match(/NAME/i))]",
            "$..[?(@property.match(/NAME/))]",
            // Names tested by one lookup per child, and a loose test an index can pass.
            "$..[?(@property === 'name')]",
            "$..[?('in' == @property)]",
            "$..[?(@property == '1')]",
            "$..name",
            "$..parameters[0]",
        ];
        let paths: Vec<Path> = expressions
            .iter()
            .map(|text| parse(text).unwrap())
            .collect();
        let refs: Vec<&Path> = paths.iter().collect();
        let root = Hit::root(FileId(0), &document);
        let shared = documents.select_each(&refs, root.clone());
        assert_eq!(shared.len(), expressions.len());
        for ((expression, path), hits) in expressions.iter().zip(&paths).zip(&shared) {
            let hits = hits.as_slice();
            let alone = documents.select(path, root.clone());
            let printed = |hits: &[Hit<'_>]| -> Vec<String> {
                hits.iter()
                    .map(|hit| {
                        format!("{}{}", dotted(&hit.path), if hit.is_key { "~" } else { "" })
                    })
                    .collect()
            };
            assert_eq!(printed(hits), printed(&alone), "{expression}");
        }
        assert_eq!(shared[0].len(), 2);
        assert!(shared[8].is_empty());
        assert_eq!(shared[10].len(), 2);
        assert!(shared[11].is_empty());
        assert_eq!(shared[12].len(), 2);
        assert_eq!(shared[14].len(), 1);
    }

    #[test]
    fn a_shared_walk_reads_duplicate_keys_as_a_lone_path_does() {
        let text = "x:\n  a: 1\n  b: 2\n  a: 3\ny:\n  a: 4\n";
        let document = parse_text(text, Syntax::Yaml).unwrap().documents.remove(0);
        let workspace = Workspace::default();
        let documents = Documents {
            workspace: &workspace,
            refs: None,
        };
        let root = Hit::root(FileId(0), &document);
        let paths: Vec<Path> = ["$..a", "$..[?(@property === 'a')]"]
            .iter()
            .map(|text| parse(text).unwrap())
            .collect();
        let shared = documents.select_each(&paths.iter().collect::<Vec<_>>(), root.clone());
        let values = |hits: &[Hit<'_>]| -> Vec<String> {
            hits.iter()
                .map(|hit| hit.node.scalar_text().unwrap_or_default().to_string())
                .collect()
        };
        assert_eq!(values(&shared[0]), ["3", "4"]);
        assert_eq!(values(&shared[1]), ["1", "3", "4"]);
        for (path, hits) in paths.iter().zip(&shared) {
            assert_eq!(values(hits), values(&documents.select(path, root.clone())));
        }
    }

    #[test]
    fn pointers_escape_like_json_pointer() {
        let mut pointer = String::new();
        push_pointer(
            &mut pointer,
            &[Seg::Key("paths"), Seg::Key("/a~b"), Seg::Index(0)],
        );
        assert_eq!(pointer, "#/paths/~1a~0b/0");
    }
}
