//! Reports: one module per output format, all over the same sorted diagnostics.

pub mod json;
pub mod routes;
pub mod text;

use crate::diagnostic::Severity;
use crate::lint::LintOutcome;

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
