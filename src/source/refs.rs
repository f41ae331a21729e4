//! `$ref` resolution: same-file and relative-file references, confined to the project root,
//! with cycle detection. Remote references are never fetched.
//!
//! Every `$ref` of every OpenAPI document (and of every file those reach) is resolved once, up
//! front; broken ones are reported at the `$ref` value. Views then follow references through the
//! resulting [`RefIndex`] without touching the file system.

use std::collections::{HashMap, HashSet, VecDeque};
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
}

/// Resolved references, keyed by the location of their `$ref` value.
#[derive(Debug, Default)]
pub struct RefIndex {
    /// Keyed by file and start of the `$ref` value; holds the value's full span too.
    targets: HashMap<(FileId, u32), (Span, RefTarget)>,
}

/// Most chains are one hop; anything this long is a cycle in disguise or a pathological input.
const MAX_HOPS: usize = 64;

impl RefIndex {
    /// Every file a resolved reference points into.
    pub fn target_files(&self) -> impl Iterator<Item = FileId> + '_ {
        self.targets.values().map(|(_, target)| target.file)
    }

    pub fn target(&self, file: FileId, ref_value: Span) -> Option<&RefTarget> {
        self.targets
            .get(&(file, ref_value.start))
            .map(|(_, target)| target)
    }

    /// Follows `node` through any chain of `$ref`s to the node it stands for. A reference that
    /// did not resolve (already reported) yields the reference object itself.
    pub fn deref<'w>(
        &self,
        workspace: &'w Workspace,
        file: FileId,
        node: &'w Node,
    ) -> (FileId, &'w Node) {
        let mut current = (file, node);
        for _ in 0..MAX_HOPS {
            let Some(ref_value) = ref_value(current.1) else {
                return current;
            };
            let Some(target) = self.target(current.0, ref_value.span) else {
                return current;
            };
            match lookup(workspace, target) {
                Some(next) => current = (target.file, next),
                None => return current,
            }
        }
        current
    }
}

/// The `$ref` value of a reference object.
pub fn ref_value(node: &Node) -> Option<&Node> {
    node.get("$ref").filter(|value| value.as_str().is_some())
}

fn lookup<'w>(workspace: &'w Workspace, target: &RefTarget) -> Option<&'w Node> {
    workspace
        .file(target.file)
        .documents
        .first()?
        .pointer(&target.pointer)
}

/// Resolves every reference reachable from `entry_files`, loading referenced files into the
/// workspace and reporting what does not resolve.
pub fn resolve_all(
    workspace: &mut Workspace,
    entry_files: &[FileId],
    diagnostics: &mut Vec<Diagnostic>,
) -> RefIndex {
    let mut index = RefIndex::default();
    let mut queue: VecDeque<FileId> = entry_files.iter().copied().collect();
    let mut walked: HashSet<FileId> = HashSet::new();
    while let Some(file) = queue.pop_front() {
        if !walked.insert(file) {
            continue;
        }
        let mut found = Vec::new();
        for document in &workspace.file(file).documents {
            collect_refs(document, &mut found);
        }
        for (span, text) in found {
            let location = Location { file, span };
            match resolve_one(workspace, file, &text, diagnostics) {
                Ok(target) => {
                    if !walked.contains(&target.file) {
                        queue.push_back(target.file);
                    }
                    match check_pointer(workspace, &target) {
                        Ok(()) => {
                            index.targets.insert((file, span.start), (span, target));
                        }
                        Err(reason) => diagnostics.push(unresolved(location, &text, reason)),
                    }
                }
                Err(problem) => diagnostics.push(problem.into_diagnostic(location, &text)),
            }
        }
    }
    report_cycles(workspace, &index, diagnostics);
    index
}

/// Collects `(value span, text)` of every `$ref`, skipping example payloads and extensions, whose
/// contents are data rather than references.
fn collect_refs(node: &Node, out: &mut Vec<(Span, String)>) {
    match &node.kind {
        NodeKind::Map(entries) => {
            for entry in entries {
                let key = entry.key.scalar_text().unwrap_or("");
                if key == "$ref" {
                    if let Some(text) = entry.value.as_str() {
                        out.push((entry.value.span, text.to_string()));
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
        return Ok(RefTarget { file, pointer });
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
        Err(_) => {
            return Err(RefProblem::Unresolved(format!(
                "file `{decoded}` does not exist"
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

/// Checks the pointer against the target document, naming the first segment that is missing.
fn check_pointer(workspace: &Workspace, target: &RefTarget) -> Result<(), String> {
    let file = workspace.file(target.file);
    let Some(mut node) = file.documents.first() else {
        return Err(format!("`{}` holds no document", file.display));
    };
    for (depth, segment) in target.pointer.iter().enumerate() {
        match node.pointer(std::slice::from_ref(segment)) {
            Some(next) => node = next,
            None => {
                let parent = if depth == 0 {
                    "the document root".to_string()
                } else {
                    format!("`#/{}`", target.pointer[..depth].join("/"))
                };
                return Err(format!("{parent} has no `{segment}` in `{}`", file.display));
            }
        }
    }
    Ok(())
}

/// Reports references that, followed hop by hop, come back to themselves without ever reaching
/// a value. (A schema that refers to itself from inside its properties is fine: it is a value.)
fn report_cycles(workspace: &Workspace, index: &RefIndex, diagnostics: &mut Vec<Diagnostic>) {
    let mut keys: Vec<&(FileId, u32)> = index.targets.keys().collect();
    keys.sort();
    for &&start in &keys {
        let mut hops: Vec<(FileId, Span)> = Vec::new();
        let mut current = start;
        let mut cycle = false;
        for _ in 0..MAX_HOPS {
            let Some((_, target)) = index.targets.get(&current) else {
                break;
            };
            let Some(next_ref) = lookup(workspace, target).and_then(ref_value) else {
                break;
            };
            let next = (target.file, next_ref.span.start);
            if next == start {
                cycle = true;
                break;
            }
            if hops.iter().any(|&(file, span)| (file, span.start) == next) {
                break;
            }
            hops.push((target.file, next_ref.span));
            current = next;
        }
        if !cycle {
            continue;
        }
        let Some(&(start_span, _)) = index.targets.get(&start) else {
            continue;
        };
        let text_of = |file: FileId, span: Span| {
            workspace
                .file(file)
                .text
                .get(span.start as usize..span.end as usize)
                .unwrap_or("")
                .trim_matches(['"', '\''])
                .to_string()
        };
        let mut chain: Vec<String> = vec![text_of(start.0, start_span)];
        chain.extend(hops.iter().map(|&(file, span)| text_of(file, span)));
        chain.push(text_of(start.0, start_span));
        let mut diagnostic = Diagnostic::new(
            BuiltinRule::RefUnresolved,
            Location {
                file: start.0,
                span: start_span,
            },
            format!(
                "circular reference: {} never reaches a value",
                chain.join(" → ")
            ),
        )
        .with_label("starts a reference cycle");
        for &(file, span) in &hops {
            diagnostic = diagnostic.with_related(Related {
                location: Location { file, span },
                message: "which refers on here".to_string(),
            });
        }
        diagnostics.push(diagnostic);
    }
}
