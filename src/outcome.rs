//! What a run produced, as plain data: the files read, the model built from them, and the
//! findings. The driver ([`crate::lint`]) fills it; the reports read it and nothing else of the
//! run.

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{join, Inventory};
use crate::source::Workspace;

/// Everything a run produced, for the reports.
#[derive(Debug)]
pub struct LintOutcome {
    pub workspace: Workspace,
    pub inventory: Inventory,
    pub join: join::Join,
    /// The findings to report, sorted by file, line, column and rule; duplicates removed.
    pub diagnostics: Vec<Diagnostic>,
    /// Findings an inline suppression or the baseline accepts, each with its
    /// [`Suppression`](crate::diagnostic::Suppression), in the same order. They never count
    /// toward the exit code or the summary.
    pub suppressed: Vec<Diagnostic>,
}

impl LintOutcome {
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity == severity)
            .count()
    }

    /// Whether any finding is at or above `threshold`.
    pub fn fails(&self, threshold: Option<Severity>) -> bool {
        threshold.is_some_and(|threshold| {
            self.diagnostics
                .iter()
                .any(|diagnostic| diagnostic.severity >= threshold)
        })
    }
}
