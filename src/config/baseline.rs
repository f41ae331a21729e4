//! Baselines: today's findings, recorded so that a run reports only new ones.
//!
//! A finding is recognised by a fingerprint that survives lines moving: its rule, its file
//! (relative to the project root), its route or else the JSON pointer of the node it points at,
//! and a hash of that node's text (whitespace collapsed). Line numbers are not part of it. Equal
//! fingerprints are counted, so a baseline accepts as many of them as it recorded and no more.

use crate::collections::HashMap;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::diagnostic::{Diagnostic, Suppression, SuppressionKind};
use crate::source::read::{self, Refusal};
use crate::source::{normalize_path, slash_path, Node, NodeKind, Workspace, MAX_FILE_SIZE};
use crate::span::Span;

/// Bumped only on incompatible changes to the file.
pub const FORMAT_VERSION: u32 = 1;

/// The default file name of `routeguard baseline write`.
pub const DEFAULT_FILE: &str = "routeguard-baseline.json";

/// What identifies a finding across edits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Relative to the project root, with `/`.
    pub file: String,
    pub rule: String,
    /// `METHOD /path` for findings about a route, else the JSON pointer of the node.
    pub anchor: String,
    /// xxh3 of the node's text with whitespace collapsed, in hex.
    pub hash: String,
}

/// One recorded finding (or several with the same fingerprint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    #[serde(flatten)]
    pub fingerprint: Fingerprint,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub count: u32,
    /// For people reading the file; not part of the match.
    #[serde(default)]
    pub message: String,
}

fn one() -> u32 {
    1
}

fn is_one(count: &u32) -> bool {
    *count == 1
}

/// A baseline file's content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

#[derive(Debug)]
pub enum BaselineError {
    Read(String, Refusal),
    Invalid(String, String),
}

impl fmt::Display for BaselineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BaselineError::Read(file, error) => write!(f, "cannot read baseline `{file}`: {error}"),
            BaselineError::Invalid(file, message) => {
                write!(f, "baseline `{file}` is not valid: {message}")
            }
        }
    }
}

impl std::error::Error for BaselineError {}

impl Baseline {
    /// Reads a baseline file, `path` being relative to `cwd` (absolute, canonical). Like any
    /// input it must be a regular file, not reached through a symlink out of the project root.
    pub fn read(path: &Path, cwd: &Path) -> Result<Baseline, BaselineError> {
        let shown = slash_path(path);
        let absolute = normalize_path(&cwd.join(path));
        let text = read::confine(&absolute, &crate::discover::project_root(cwd))
            .and_then(|canonical| read::read_text(&canonical, MAX_FILE_SIZE))
            .map_err(|refusal| BaselineError::Read(shown.clone(), refusal))?;
        Baseline::parse(&text).map_err(|message| BaselineError::Invalid(shown, message))
    }

    pub fn parse(text: &str) -> Result<Baseline, String> {
        let baseline: Baseline = serde_json::from_str(text).map_err(|error| {
            format!("line {}, column {}: {error}", error.line(), error.column())
        })?;
        if baseline.version != FORMAT_VERSION {
            return Err(format!(
                "format version {} is not one this routeguard reads (it reads {FORMAT_VERSION})",
                baseline.version
            ));
        }
        Ok(baseline)
    }

    /// The file's text: entries sorted, so that rewriting an unchanged baseline changes nothing.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_else(|error| {
            // Plain strings and integers always serialize; say so loudly if they did not.
            format!("{{\"error\": \"cannot serialize baseline: {error}\"}}")
        });
        text.push('\n');
        text
    }

    /// Records `diagnostics` for the files of this run, keeping what `previous` recorded for
    /// files that were not part of it.
    pub fn record(
        workspace: &Workspace,
        diagnostics: &[Diagnostic],
        previous: Option<&Baseline>,
    ) -> Baseline {
        let files_in_run: BTreeSet<String> = workspace
            .files()
            .iter()
            .map(|file| project_path(workspace, &file.path))
            .collect();
        let mut counted: BTreeMap<Fingerprint, (u32, String)> = BTreeMap::new();
        for entry in previous
            .map(|baseline| baseline.findings.as_slice())
            .unwrap_or_default()
        {
            if !files_in_run.contains(&entry.fingerprint.file) {
                let slot = counted
                    .entry(entry.fingerprint.clone())
                    .or_insert((0, entry.message.clone()));
                slot.0 = slot.0.saturating_add(entry.count);
            }
        }
        for diagnostic in diagnostics {
            let slot = counted
                .entry(fingerprint(workspace, diagnostic))
                .or_insert((0, diagnostic.message.clone()));
            slot.0 = slot.0.saturating_add(1);
        }
        Baseline {
            version: FORMAT_VERSION,
            findings: counted
                .into_iter()
                .map(|(fingerprint, (count, message))| Entry {
                    fingerprint,
                    count,
                    message,
                })
                .collect(),
        }
    }

    /// Splits `diagnostics` into new findings and those the baseline accepts.
    pub fn apply(
        &self,
        workspace: &Workspace,
        diagnostics: Vec<Diagnostic>,
    ) -> (Vec<Diagnostic>, Vec<Diagnostic>) {
        let mut remaining: HashMap<&Fingerprint, u32> = HashMap::default();
        for entry in &self.findings {
            let count = remaining.entry(&entry.fingerprint).or_default();
            *count = count.saturating_add(entry.count);
        }
        let mut new = Vec::new();
        let mut accepted = Vec::new();
        for mut diagnostic in diagnostics {
            let print = fingerprint(workspace, &diagnostic);
            match remaining.get_mut(&print) {
                Some(count) if *count > 0 => {
                    *count -= 1;
                    diagnostic.suppressed = Some(Box::new(Suppression {
                        kind: SuppressionKind::Baseline,
                        reason: None,
                        location: None,
                    }));
                    accepted.push(diagnostic);
                }
                _ => new.push(diagnostic),
            }
        }
        (new, accepted)
    }
}

/// The fingerprint of a finding.
pub fn fingerprint(workspace: &Workspace, diagnostic: &Diagnostic) -> Fingerprint {
    let file = workspace.file(diagnostic.location.file);
    let span = diagnostic.location.span;
    let anchor = match &diagnostic.route {
        Some(route) => route.clone(),
        None => workspace.with_documents(file.id, |documents| pointer_to(documents, span)),
    };
    let text = workspace.text(file.id);
    let written = text
        .as_deref()
        .and_then(|text| text.get(span.start as usize..span.end as usize))
        .unwrap_or("");
    let collapsed = written.split_whitespace().collect::<Vec<_>>().join(" ");
    Fingerprint {
        file: project_path(workspace, &file.path),
        rule: diagnostic.rule.to_string(),
        anchor,
        hash: format!("{:016x}", xxh3_64(collapsed.as_bytes())),
    }
}

/// `path` relative to the project root, so a baseline reads the same from any folder.
fn project_path(workspace: &Workspace, path: &Path) -> String {
    slash_path(path.strip_prefix(workspace.root()).unwrap_or(path))
}

/// The JSON pointer of the deepest node at `span` (a key points at its entry), prefixed with
/// `#N` for the N-th document of a multi-document file after the first.
pub fn pointer_to(documents: &[Node], span: Span) -> String {
    let contains = |outer: Span| outer.start <= span.start && span.end <= outer.end;
    let Some((index, document)) = documents
        .iter()
        .enumerate()
        .find(|(_, document)| contains(document.span))
    else {
        return String::new();
    };
    let mut pointer = if index == 0 {
        String::new()
    } else {
        format!("#{index}")
    };
    let mut node = document;
    loop {
        let next = match &node.kind {
            NodeKind::Map(entries) => entries.iter().find_map(|entry| {
                let key = entry.key.scalar_text().unwrap_or_default();
                if contains(entry.key.span) {
                    Some((key.to_string(), None))
                } else if contains(entry.value.span) {
                    Some((key.to_string(), Some(&entry.value)))
                } else {
                    None
                }
            }),
            NodeKind::Seq(items) => items
                .iter()
                .enumerate()
                .find(|(_, item)| contains(item.span))
                .map(|(index, item)| (index.to_string(), Some(item))),
            NodeKind::Scalar(_) => None,
        };
        let Some((segment, child)) = next else {
            return pointer;
        };
        pointer.push('/');
        pointer.push_str(&segment.replace('~', "~0").replace('/', "~1"));
        // Each step goes one level down a finite tree, so the loop ends.
        match child {
            Some(child) => node = child,
            None => return pointer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{parse_text, Syntax};

    #[test]
    fn pointers_name_keys_and_items() {
        let text = "paths:\n  /pets/{id}:\n    get:\n      tags: [a, b]\n";
        let documents = parse_text(text, Syntax::Yaml).unwrap().documents;
        let at = |needle: &str| {
            let start = text.find(needle).unwrap() as u32;
            Span::new(start, start + needle.len() as u32)
        };
        assert_eq!(pointer_to(&documents, at("get")), "/paths/~1pets~1{id}/get");
        assert_eq!(
            pointer_to(&documents, at("b")),
            "/paths/~1pets~1{id}/get/tags/1"
        );
    }

    #[test]
    fn parse_refuses_other_versions() {
        assert!(Baseline::parse("{\"version\": 1, \"findings\": []}").is_ok());
        assert!(Baseline::parse("{\"version\": 2, \"findings\": []}")
            .unwrap_err()
            .contains("format version 2"));
        assert!(Baseline::parse("{").unwrap_err().starts_with("line 1"));
    }
}
