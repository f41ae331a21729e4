//! `$ref` resolution: same-file and relative-file references, confined to the project root,
//! with cycle detection. Remote references are never fetched.
//!
//! Every `$ref` of every OpenAPI document (and of every file those reach) is resolved once, up
//! front; broken ones are reported at the `$ref` value. Views then follow references through the
//! resulting [`RefIndex`] without touching the file system.

use crate::collections::{FastHashMap, FastHashSet, HashMap, HashSet};
use std::collections::VecDeque;
use std::path::Path;

use percent_encoding::percent_decode_str;

use super::node::{Node, NodeKind};

use super::{normalize_path, Workspace};
use crate::diagnostic::{Diagnostic, Related};
use crate::rule_id::BuiltinRule;
use crate::span::FileId;
use crate::span::Location;
use crate::span::Span;

/// Where a resolved reference points: a document root plus a JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefTarget {
    pub file: FileId,
    pub pointer: Vec<String>,
    /// The pointer as child positions from the document root, found once: following it is a
    /// step per level rather than a key search per level, so that tens of thousands of
    /// references into one wide `components` map stay linear.
    path: Vec<u32>,
    /// The `$ref` value the target is itself a reference object with, found while its tree was
    /// at hand, so that cycles are found after trees are dropped.
    next_ref: Option<Span>,
}

/// Resolved references, keyed by the location of their `$ref` value.
#[derive(Debug, Default)]
pub struct RefIndex {
    /// Keyed by file and start of the `$ref` value; holds the value's full span and the
    /// target's place in `unique`.
    targets: FastHashMap<(FileId, u32), (Span, u32)>,
    /// The reference objects whose `$ref` resolved, by file and start of the object: a node
    /// not listed here is no resolved reference, found by one lookup rather than by searching
    /// its keys, which a walk of a resolved document does for every mapping it passes.
    objects: FastHashSet<(FileId, u32)>,
    /// Each target once, however many references name it (most name a shared component).
    unique: Vec<RefTarget>,
    unique_ids: HashMap<(FileId, Vec<u32>), u32>,
    /// The files each walked file's references point into.
    edges: HashMap<FileId, Vec<FileId>>,
}

/// Most chains are one hop; anything this long is a cycle in disguise or a pathological input.
const MAX_HOPS: usize = 64;

impl RefIndex {
    /// Every file a resolved reference points into.
    pub fn target_files(&self) -> impl Iterator<Item = FileId> + '_ {
        self.unique.iter().map(|target| target.file)
    }

    /// The id of `target` in `unique`, added when new.
    fn intern(&mut self, workspace: &Workspace, mut target: RefTarget) -> u32 {
        let key = (target.file, target.path.clone());
        if let Some(&id) = self.unique_ids.get(&key) {
            return id;
        }
        target.next_ref = lookup(workspace, &target)
            .and_then(ref_value)
            .map(|next| next.span);
        let id = crate::span::to_u32(self.unique.len());
        self.unique.push(target);
        self.unique_ids.insert(key, id);
        id
    }

    /// `files` and every file their references reach, directly or through other files.
    pub fn reachable_from(&self, files: &[FileId]) -> Vec<FileId> {
        let mut seen: HashSet<FileId> = files.iter().copied().collect();
        let mut queue: VecDeque<FileId> = files.iter().copied().collect();
        let mut reached = Vec::new();
        while let Some(file) = queue.pop_front() {
            reached.push(file);
            for &next in self.edges.get(&file).into_iter().flatten() {
                if seen.insert(next) {
                    queue.push_back(next);
                }
            }
        }
        reached
    }

    pub fn target(&self, file: FileId, ref_value: Span) -> Option<&RefTarget> {
        self.targets
            .get(&(file, ref_value.start))
            .and_then(|&(_, id)| self.unique.get(id as usize))
    }

    /// Follows `node` through any chain of `$ref`s to the node it stands for. A reference that
    /// did not resolve (already reported) yields the reference object itself.
    pub fn deref<'w>(
        &self,
        workspace: &'w Workspace,
        file: FileId,
        node: &'w Node,
    ) -> (FileId, &'w Node) {
        let (file, node, _) = self.deref_declared(workspace, file, node);
        (file, node)
    }

    /// [`RefIndex::deref`], with the target of the last reference followed (None when `node` is
    /// not a resolved reference): its pointer says where the node it stands for is declared.
    pub fn deref_declared<'w>(
        &self,
        workspace: &'w Workspace,
        file: FileId,
        node: &'w Node,
    ) -> (FileId, &'w Node, Option<&RefTarget>) {
        let mut current = (file, node, None);
        for _ in 0..MAX_HOPS {
            match self.step(workspace, current.0, current.1) {
                Some((file, node, target)) => current = (file, node, Some(target)),
                None => break,
            }
        }
        current
    }

    /// One hop of [`RefIndex::deref`]: the node `node`'s `$ref` resolves to and that reference's
    /// target, if it is a resolved reference.
    fn step<'w>(
        &self,
        workspace: &'w Workspace,
        file: FileId,
        node: &'w Node,
    ) -> Option<(FileId, &'w Node, &RefTarget)> {
        if !self.objects.contains(&(file, node.span.start)) {
            return None;
        }
        let target = self.target(file, ref_value(node)?.span)?;
        Some((target.file, lookup(workspace, target)?, target))
    }

    /// Calls `found` with every node [`RefIndex::deref`] can lead to other than the node it
    /// starts from: each target, and each further node a chain of references passes through.
    /// Any other node of a tree is reached only from its parent, which is what lets a walk of
    /// the resolved document remember just these to visit each node once.
    pub fn each_target<'w>(&self, workspace: &'w Workspace, mut found: impl FnMut(&'w Node)) {
        for target in &self.unique {
            let Some(mut node) = lookup(workspace, target) else {
                continue;
            };
            let mut file = target.file;
            for _ in 0..MAX_HOPS {
                found(node);
                let Some((next_file, next, _)) = self.step(workspace, file, node) else {
                    break;
                };
                (file, node) = (next_file, next);
            }
        }
    }
}

/// The `$ref` value of a reference object.
pub fn ref_value(node: &Node) -> Option<&Node> {
    node.get("$ref").filter(|value| value.as_str().is_some())
}

fn lookup<'w>(workspace: &'w Workspace, target: &RefTarget) -> Option<&'w Node> {
    let mut node = workspace.file(target.file).documents.first()?;
    for &position in &target.path {
        let position = position as usize;
        node = match &node.kind {
            NodeKind::Map(entries) => &entries.get(position)?.value,
            NodeKind::Seq(items) => items.get(position)?,
            NodeKind::Scalar(_) => return None,
        };
    }
    Some(node)
}

/// Maps with this many entries or more get a key index when a pointer goes through them.
const INDEXED_MAP: usize = 16;

/// Key positions of the wide maps that pointers have gone through, so that each pointer segment
/// is one lookup. Keyed by the map's address: trees are not changed while references are
/// resolved (new files are added, but every node stays where its parent's buffer put it).
#[derive(Default)]
struct KeyIndex {
    maps: HashMap<usize, HashMap<String, u32>>,
}

impl KeyIndex {
    /// The position of `key` in `entries`; the last one wins, as in [`Node::get`].
    fn position(&mut self, map: &Node, entries: &[super::node::Entry], key: &str) -> Option<u32> {
        if entries.len() < INDEXED_MAP {
            return entries
                .iter()
                .rposition(|entry| entry.key.scalar_text() == Some(key))
                .map(crate::span::to_u32);
        }
        let address = std::ptr::from_ref(map) as usize;
        let index = self.maps.entry(address).or_insert_with(|| {
            let mut index = HashMap::with_capacity_and_hasher(entries.len(), Default::default());
            for (position, entry) in entries.iter().enumerate() {
                if let Some(text) = entry.key.scalar_text() {
                    index.insert(text.to_string(), crate::span::to_u32(position));
                }
            }
            index
        });
        index.get(key).copied()
    }
}

/// Resolves every reference reachable from `entry_files`, loading referenced files into the
/// workspace and reporting what does not resolve.
pub fn resolve_all(
    workspace: &mut Workspace,
    entry_files: &[FileId],
    diagnostics: &mut Vec<Diagnostic>,
) -> RefIndex {
    let mut resolver = Resolver::default();
    resolver.resolve(workspace, entry_files, diagnostics);
    resolver.finish(workspace, diagnostics)
}

/// Resolves references a group of files at a time, so that the trees of one group can be
/// dropped before the next is read: each file is walked once, and what later steps need of a
/// target (the reference it is itself, for cycles) is kept in the index.
#[derive(Default)]
pub struct Resolver {
    index: RefIndex,
    walked: HashSet<FileId>,
}

impl Resolver {
    /// The references resolved so far.
    pub fn index(&self) -> &RefIndex {
        &self.index
    }

    /// Resolves every reference reachable from `entry_files` not yet walked, loading (or
    /// reloading) the files they reach.
    pub fn resolve(
        &mut self,
        workspace: &mut Workspace,
        entry_files: &[FileId],
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        // Keyed by tree addresses, which do not outlive a group: trees may be dropped after it.
        let mut keys = KeyIndex::default();
        let mut queue: VecDeque<FileId> = entry_files.iter().copied().collect();
        while let Some(file) = queue.pop_front() {
            if !self.walked.insert(file) {
                continue;
            }
            workspace.restore_documents(file);
            let mut found = Vec::new();
            for document in &workspace.file(file).documents {
                collect_refs(document, &mut found);
            }
            let mut reached = Vec::new();
            for (object, span, text) in found {
                let location = Location { file, span };
                match resolve_one(workspace, file, &text, diagnostics) {
                    Ok(mut target) => {
                        if !self.walked.contains(&target.file) {
                            queue.push_back(target.file);
                        }
                        if target.file != file && !reached.contains(&target.file) {
                            reached.push(target.file);
                        }
                        match find_path(workspace, &mut keys, &target) {
                            Ok(path) => {
                                target.path = path;
                                let id = self.index.intern(workspace, target);
                                self.index.targets.insert((file, span.start), (span, id));
                                self.index.objects.insert((file, object));
                            }
                            Err(reason) => diagnostics.push(unresolved(location, &text, reason)),
                        }
                    }
                    Err(problem) => diagnostics.push(problem.into_diagnostic(location, &text)),
                }
            }
            self.index.edges.insert(file, reached);
        }
    }

    /// Reports reference cycles over everything resolved, and hands the index over.
    pub fn finish(self, workspace: &Workspace, diagnostics: &mut Vec<Diagnostic>) -> RefIndex {
        report_cycles(workspace, &self.index, diagnostics);
        self.index
    }
}

/// Collects `(start of the reference object, value span, text)` of every `$ref`, skipping
/// example payloads and extensions, whose contents are data rather than references.
fn collect_refs(node: &Node, out: &mut Vec<(u32, Span, String)>) {
    match &node.kind {
        NodeKind::Map(entries) => {
            for entry in entries {
                let key = entry.key.scalar_text().unwrap_or("");
                if key == "$ref" {
                    if let Some(text) = entry.value.as_str() {
                        out.push((node.span.start, entry.value.span, text.to_string()));
                    }
                    continue;
                }
                if key == "example" || key.starts_with("x-") {
                    continue;
                }
                if key == "examples" {
                    for example in entry.value.entries() {
                        if ref_value(&example.value).is_some() {
                            collect_refs(&example.value, out);
                        } else {
                            for field in example.value.entries() {
                                if field.key.scalar_text() != Some("value") {
                                    collect_refs(&field.value, out);
                                }
                            }
                        }
                    }
                    continue;
                }
                collect_refs(&entry.value, out);
            }
        }
        NodeKind::Seq(items) => {
            for item in items {
                collect_refs(item, out);
            }
        }
        NodeKind::Scalar(_) => {}
    }
}

enum RefProblem {
    Remote,
    OutsideRoot(String),
    Unresolved(String),
}

impl RefProblem {
    fn into_diagnostic(self, location: Location, text: &str) -> Diagnostic {
        match self {
            RefProblem::Remote => Diagnostic::new(
                BuiltinRule::RefRemoteSkipped,
                location,
                format!("remote reference `{text}` was not fetched"),
            )
            .with_label("remote reference"),
            RefProblem::OutsideRoot(path) => Diagnostic::new(
                BuiltinRule::RefOutsideRoot,
                location,
                format!("reference `{text}` points outside the project root, to `{path}`"),
            )
            .with_label("leaves the project root"),
            RefProblem::Unresolved(reason) => unresolved(location, text, reason),
        }
    }
}

fn unresolved(location: Location, text: &str, reason: String) -> Diagnostic {
    Diagnostic::new(
        BuiltinRule::RefUnresolved,
        location,
        format!("reference `{text}` does not resolve: {reason}"),
    )
    .with_label("does not resolve")
}

fn resolve_one(
    workspace: &mut Workspace,
    file: FileId,
    text: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<RefTarget, RefProblem> {
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Err(RefProblem::Remote);
    }
    if let Some((scheme, _)) = text.split_once(':') {
        if !scheme.is_empty()
            && !scheme.contains(['/', '#'])
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            && scheme.len() > 1
        {
            return Err(RefProblem::Unresolved(format!(
                "`{scheme}:` references are not supported"
            )));
        }
    }
    let (path_part, fragment) = text.split_once('#').unwrap_or((text, ""));
    let pointer = parse_pointer(fragment)?;
    if path_part.is_empty() {
        return Ok(RefTarget {
            file,
            pointer,
            path: Vec::new(),
            next_ref: None,
        });
    }
    let decoded = percent_decode_str(path_part)
        .decode_utf8_lossy()
        .into_owned();
    let base = workspace
        .file(file)
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let joined = normalize_path(&base.join(&decoded));
    let root = workspace.root().to_path_buf();
    let shown = |path: &Path| crate::source::slash_path(path);
    if !joined.starts_with(&root) {
        return Err(RefProblem::OutsideRoot(shown(&joined)));
    }
    let canonical = match std::fs::canonicalize(&joined) {
        Ok(path) => path,
        Err(error) => {
            return Err(RefProblem::Unresolved(format!(
                "file `{decoded}` {}",
                super::read::describe_io_error(&error)
            )))
        }
    };
    if !canonical.starts_with(&root) {
        return Err(RefProblem::OutsideRoot(shown(&canonical)));
    }
    if !canonical.is_file() {
        return Err(RefProblem::Unresolved(format!("`{decoded}` is not a file")));
    }
    let target = workspace.load_referenced(&canonical, diagnostics);
    if workspace.file(target).failed {
        return Err(RefProblem::Unresolved(format!(
            "file `{decoded}` could not be parsed"
        )));
    }
    Ok(RefTarget {
        file: target,
        pointer,
        path: Vec::new(),
        next_ref: None,
    })
}

/// `#/a/b~1c` into `["a", "b/c"]`. An empty fragment is the whole document.
fn parse_pointer(fragment: &str) -> Result<Vec<String>, RefProblem> {
    let decoded = percent_decode_str(fragment).decode_utf8_lossy();
    if decoded.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = decoded.strip_prefix('/') else {
        return Err(RefProblem::Unresolved(
            "only JSON pointer fragments (`#/...`) are supported".to_string(),
        ));
    };
    Ok(rest
        .split('/')
        .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
        .collect())
}

/// Follows the pointer in the target document to child positions, naming the first segment
/// that is missing.
fn find_path(
    workspace: &Workspace,
    keys: &mut KeyIndex,
    target: &RefTarget,
) -> Result<Vec<u32>, String> {
    let file = workspace.file(target.file);
    let Some(mut node) = file.documents.first() else {
        return Err(format!("`{}` holds no document", file.display));
    };
    let mut path = Vec::with_capacity(target.pointer.len());
    for (depth, segment) in target.pointer.iter().enumerate() {
        let position = match &node.kind {
            NodeKind::Map(entries) => keys.position(node, entries, segment),
            NodeKind::Seq(_) => node
                .pointer(std::slice::from_ref(segment))
                .and(segment.parse::<u32>().ok()),
            NodeKind::Scalar(_) => None,
        };
        let next = position.and_then(|position| match &node.kind {
            NodeKind::Map(entries) => entries.get(position as usize).map(|entry| &entry.value),
            NodeKind::Seq(items) => items.get(position as usize),
            NodeKind::Scalar(_) => None,
        });
        match (position, next) {
            (Some(position), Some(next)) => {
                path.push(position);
                node = next;
            }
            _ => {
                let parent = if depth == 0 {
                    "the document root".to_string()
                } else {
                    format!("`#/{}`", target.pointer[..depth].join("/"))
                };
                return Err(format!("{parent} has no `{segment}` in `{}`", file.display));
            }
        }
    }
    Ok(path)
}

/// Reports references that, followed hop by hop, come back to themselves without ever reaching
/// a value. (A schema that refers to itself from inside its properties is fine: it is a value.)
///
/// Each reference leads to at most one next reference, so the references form a functional
/// graph: one walk that colours what it has seen finds every cycle, however long, in linear time.
fn report_cycles(workspace: &Workspace, index: &RefIndex, diagnostics: &mut Vec<Diagnostic>) {
    let next_of = |key: &(FileId, u32)| -> Option<((FileId, u32), Span)> {
        let target = index.target(key.0, Span::new(key.1, key.1))?;
        let span = target.next_ref?;
        let next = (target.file, span.start);
        index.targets.contains_key(&next).then_some((next, span))
    };
    // A reference whose target is a value ends every walk that reaches it, so only those whose
    // target is itself a reference can start one (most targets are components).
    let mut keys: Vec<(FileId, u32)> = index
        .targets
        .keys()
        .filter(|key| next_of(key).is_some())
        .copied()
        .collect();
    keys.sort_unstable();
    // 1: on the walk in progress, at this position of `walk`; 2: finished.
    let mut state: HashMap<(FileId, u32), (u8, usize)> =
        HashMap::with_capacity_and_hasher(keys.len(), Default::default());
    let mut cycles: Vec<Vec<(FileId, Span)>> = Vec::new();
    for &start in &keys {
        if state.contains_key(&start) {
            continue;
        }
        let mut walk: Vec<(FileId, u32)> = Vec::new();
        let mut current = start;
        loop {
            match state.get(&current) {
                Some(&(1, position)) => {
                    let members = walk[position..]
                        .iter()
                        .filter_map(|key| index.targets.get(key).map(|(span, _)| (key.0, *span)))
                        .collect();
                    cycles.push(members);
                    break;
                }
                Some(_) => break,
                None => {}
            }
            state.insert(current, (1, walk.len()));
            walk.push(current);
            match next_of(&current) {
                Some((next, _)) => current = next,
                None => break,
            }
        }
        for key in walk {
            state.insert(key, (2, 0));
        }
    }
    let text_of = |file: FileId, span: Span| {
        workspace
            .text(file)
            .as_deref()
            .and_then(|text| text.get(span.start as usize..span.end as usize))
            .unwrap_or("")
            .trim_matches(['"', '\''])
            .to_string()
    };
    for cycle in cycles {
        for (at, &(file, start_span)) in cycle.iter().enumerate() {
            // The other members in the order they are followed; a long cycle is shown in part.
            let hops: Vec<(FileId, Span)> = cycle[at + 1..]
                .iter()
                .chain(&cycle[..at])
                .copied()
                .collect();
            let shown = hops.len().min(MAX_HOPS);
            let mut chain: Vec<String> = vec![text_of(file, start_span)];
            chain.extend(
                hops[..shown]
                    .iter()
                    .map(|&(file, span)| text_of(file, span)),
            );
            if shown < hops.len() {
                chain.push(format!("… {} more", hops.len() - shown));
            }
            chain.push(text_of(file, start_span));
            let mut diagnostic = Diagnostic::new(
                BuiltinRule::RefUnresolved,
                Location {
                    file,
                    span: start_span,
                },
                format!(
                    "circular reference: {} never reaches a value",
                    chain.join(" → ")
                ),
            )
            .with_label("starts a reference cycle");
            for &(file, span) in &hops[..shown] {
                diagnostic = diagnostic.with_related(Related {
                    location: Location { file, span },
                    message: "which refers on here".to_string(),
                });
            }
            diagnostics.push(diagnostic);
        }
    }
}
