//! Reports: one module per output format, all over the same sorted diagnostics.

pub mod codeclimate;
pub mod fingerprint;
pub mod github;
pub mod json;
pub mod junit;
pub mod routes;
pub mod sarif;
pub mod text;

use serde::Serialize;

use crate::diagnostic::{docs_url, Diagnostic, Severity};
use crate::lint::LintOutcome;
use crate::source::{slash_path, SourceFile, Workspace};

/// `file`'s path relative to the project root with `/` separators, as CI services name files
/// (they address files from the repository root, whatever directory routeguard ran in), or
/// `None` for a file outside the root.
pub fn root_relative_path(workspace: &Workspace, file: &SourceFile) -> Option<String> {
    file.path
        .strip_prefix(workspace.root())
        .ok()
        .map(slash_path)
        .filter(|path| !path.is_empty())
}

/// The path CI services get for `file`: relative to the project root, else as shown to the user.
pub fn ci_path(workspace: &Workspace, file: &SourceFile) -> String {
    root_relative_path(workspace, file).unwrap_or_else(|| file.display.clone())
}

/// `N errors, N warnings, N infos in N files (N operations)`, then `; N suppressed` when
/// suppressions or the baseline accepted any finding.
pub fn summary_line(outcome: &LintOutcome) -> String {
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let suppressed = if outcome.suppressed.is_empty() {
        String::new()
    } else {
        format!("; {} suppressed", outcome.suppressed.len())
    };
    format!(
        "{}, {}, {} in {} ({}){suppressed}",
        plural(outcome.count(Severity::Error), "error"),
        plural(outcome.count(Severity::Warning), "warning"),
        plural(outcome.count(Severity::Info), "info"),
        plural(outcome.workspace.files().len(), "file"),
        plural(outcome.inventory.operations.len(), "operation"),
    )
}

/// The lines that follow a finding's message in the plain-text CI reports: each related location
/// (`first defined here: path:line:column`), how to fix it, and its rule's page.
pub fn detail_lines(workspace: &Workspace, diagnostic: &Diagnostic) -> String {
    let mut lines = String::new();
    for related in &diagnostic.related {
        let file = workspace.file(related.location.file);
        let position = file.position(related.location.span.start);
        lines.push_str(&format!(
            "\n{}: {}:{}:{}",
            related.message,
            ci_path(workspace, file),
            position.line,
            position.column
        ));
    }
    if let Some(help) = help_text(diagnostic) {
        lines.push_str("\nhelp: ");
        lines.push_str(help);
    }
    lines.push_str("\ndocs: ");
    lines.push_str(&docs_url(diagnostic.rule.as_str()));
    lines
}

/// A machine report as pretty JSON with a final newline.
pub fn pretty_json<T: Serialize>(report: &T) -> String {
    let mut text = serde_json::to_string_pretty(report).unwrap_or_else(|error| {
        // Serializing plain structs of strings and integers cannot fail; say so loudly if it did.
        format!("{{\"error\": \"cannot serialize report: {error}\"}}")
    });
    text.push('\n');
    text
}

/// The advice to show for a finding: its own, else its rule's.
pub fn help_text(diagnostic: &Diagnostic) -> Option<&str> {
    diagnostic.help.as_deref().or_else(|| {
        crate::rules::catalog::get(diagnostic.rule.as_str()).map(|meta| meta.help.as_str())
    })
}
