//! Reports: one module per output format, all over the same sorted diagnostics.

pub mod codeclimate;
pub mod fingerprint;
pub mod github;
pub mod json;
pub mod junit;
pub mod routes;
pub mod sarif;
pub mod text;

use std::borrow::Cow;

use serde::Serialize;

use crate::diagnostic::{docs_url, Diagnostic, Severity};
use crate::lint::LintOutcome;
use crate::source::{slash_path, SourceFile, Workspace};

/// Whether `c` must not reach a terminal or a log as itself: C0 and C1 controls other than line
/// feed and tab, DEL, and the bidirectional overrides that reorder what a reader sees.
pub fn is_hidden_control(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// How a hidden control character is shown: carriage return as `␍`, ESC as `\x1b`, others as
/// `\xNN` or `\u{NNNN}`.
pub fn show_control(c: char, out: &mut String) {
    use std::fmt::Write;
    match c {
        '\r' => out.push('␍'),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        }
    }
}

/// `text` with every hidden control character shown visibly, so that nothing from the input
/// (a message quoting a value, a file name, a source line) can move the cursor, recolour the
/// terminal, ring its bell, or start a forged line in a CI log.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hidden_control(c) {
            show_control(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

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
    if let Some(help) = diagnostic.help_text() {
        lines.push_str("\nhelp: ");
        lines.push_str(help);
    }
    lines.push_str("\ndocs: ");
    lines.push_str(&docs_url(diagnostic.rule));
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
