//! GitLab Code Quality: the JSON array of Code Climate issues that GitLab reads from a
//! `codequality` report artifact and shows in merge requests.
//!
//! GitLab matches issues between the source and target branch by `fingerprint`, so it must not
//! change when unrelated lines move: it hashes the rule, the file (relative to the project root)
//! and the route the finding is about, or else the text of the line it points at without its
//! indentation. Findings that would share a fingerprint are told apart by their order.

use crate::collections::HashMap;
use std::fmt::Write;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Outcome, Report};
use crate::catalog;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::Workspace;

/// The GitLab Code Quality report.
#[derive(Debug, Clone, Copy)]
pub struct CodeClimate;

impl Report for CodeClimate {
    fn emit(&self, outcome: &Outcome, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        super::write_json(out, &issues(outcome))
    }
}

fn issues(outcome: &Outcome) -> Vec<Issue<'_>> {
    let workspace = &outcome.workspace;
    let mut seen: HashMap<String, usize> = HashMap::default();
    outcome
        .diagnostics
        .iter()
        .map(|diagnostic| {
            let file = workspace.file(diagnostic.location.file);
            let path = super::ci_path(workspace, file);
            let start = file.position(diagnostic.location.span.start);
            let end = file.position(diagnostic.location.span.end);
            let identity = identity(workspace, diagnostic, &path);
            let occurrence = seen.entry(identity.clone()).or_insert(0);
            *occurrence += 1;
            Issue {
                kind: "issue",
                check_name: diagnostic.rule.as_str(),
                description: &diagnostic.message,
                content: super::help_text(diagnostic).map(|body| Content { body }),
                categories: [category(diagnostic.rule.as_str())],
                severity: severity(diagnostic.severity),
                fingerprint: fingerprint(&identity, *occurrence),
                location: IssueLocation {
                    path,
                    lines: Lines {
                        begin: start.line,
                        end: end.line,
                    },
                },
            }
        })
        .collect()
}

/// What makes a finding the same finding across commits.
fn identity(workspace: &Workspace, diagnostic: &Diagnostic, path: &str) -> String {
    let anchor = match &diagnostic.route {
        Some(route) => route.clone(),
        None => {
            let file = workspace.file(diagnostic.location.file);
            let line = file.lines.line_of(diagnostic.location.span.start);
            let start = file.lines.line_start(line) as usize;
            let end = file.lines.line_end(line) as usize;
            let text = workspace.text(file.id);
            let line = text.as_deref().and_then(|text| text.get(start..end));
            line.unwrap_or("").trim().to_string()
        }
    };
    // NUL cannot occur in a rule id or a path, so the parts cannot run into each other.
    format!("{}\0{path}\0{anchor}", diagnostic.rule)
}

/// 32 hex digits (128 bits) of SHA-256, the length GitLab's examples use.
fn fingerprint(identity: &str, occurrence: usize) -> String {
    let mut hasher = Sha256::new();
    hasher.update(identity.as_bytes());
    if occurrence > 1 {
        hasher.update(format!("\0{occurrence}").as_bytes());
    }
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(32);
    for byte in digest.iter().take(16) {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// GitLab's scale is info, minor, major, critical, blocker; routeguard's errors are serious but
/// not outages, so they map to major.
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "major",
        Severity::Warning => "minor",
        Severity::Info => "info",
    }
}

/// A Code Climate category (GitLab ignores it; other Code Climate readers require it).
fn category(rule: &str) -> &'static str {
    match catalog::get(rule).map(|meta| meta.family.as_str()) {
        Some("docs") => "Clarity",
        _ => "Bug Risk",
    }
}

#[derive(Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    check_name: &'a str,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<Content<'a>>,
    categories: [&'static str; 1],
    severity: &'static str,
    fingerprint: String,
    location: IssueLocation,
}

#[derive(Serialize)]
struct Content<'a> {
    body: &'a str,
}

#[derive(Serialize)]
struct IssueLocation {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
    end: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable_and_distinct() {
        let first = fingerprint("operation-summary\0openapi.yaml\0GET /pets", 1);
        // The first 128 bits of the input's SHA-256: a value must never change between releases.
        assert_eq!(first, "78ae1b57b8460c546e543d650737b048");
        assert_ne!(
            first,
            fingerprint("operation-summary\0openapi.yaml\0GET /pets", 2)
        );
        assert_ne!(
            first,
            fingerprint("operation-summary\0openapi.yaml\0POST /pets", 1)
        );
    }
}
