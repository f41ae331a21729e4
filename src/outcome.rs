//! What a run produced, as plain data: the files read, the model built from them, and the
//! findings. The driver ([`crate::lint`]) fills it; the reports read it and nothing else of the
//! run.

use crate::collections::HashSet;
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{join, Inventory};
use crate::source::{SourceFile, Workspace};
use crate::span::FileId;

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
    /// What the run skipped that the user may not expect (folders whose every file an ignore
    /// rule hides), one sentence each, for standard error.
    pub notices: Vec<String>,
    /// Files that were read but are not linted, by path: templates and files of formats
    /// routeguard does not read. They have no findings and appear in no report but the note.
    pub skipped: Vec<SkippedFile>,
}

/// A file read but not linted, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedFile {
    pub file: FileId,
    pub reason: SkipReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// A Helm or other Go template: only its rendered output can be linted.
    Template,
    /// Parsed, but none of the formats routeguard reads (a docker-compose file, package.json).
    NotRecognised,
    /// Did not parse, and nothing in it says it is one of the formats routeguard reads.
    Unparsable,
}

impl SkipReason {
    /// Stable machine name, used in JSON.
    pub fn id(self) -> &'static str {
        match self {
            SkipReason::Template => "template",
            SkipReason::NotRecognised => "not-recognised",
            SkipReason::Unparsable => "unparsable",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::Template => "a Go template (Helm): lint its rendered output",
            SkipReason::NotRecognised => "not a format routeguard reads",
            SkipReason::Unparsable => "does not parse and is not a format routeguard reads",
        }
    }
}

impl LintOutcome {
    /// The files routeguard recognised and linted, in load order: the reports count and list
    /// only these.
    pub fn linted_files(&self) -> impl Iterator<Item = &SourceFile> {
        let skipped: HashSet<FileId> = self.skipped.iter().map(|skipped| skipped.file).collect();
        self.workspace
            .files()
            .iter()
            .filter(move |file| !skipped.contains(&file.id))
    }

    /// The templates skipped, for the note that says how to lint them.
    pub fn skipped_templates(&self) -> impl Iterator<Item = &SourceFile> {
        self.skipped
            .iter()
            .filter(|skipped| skipped.reason == SkipReason::Template)
            .map(|skipped| self.workspace.file(skipped.file))
    }

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
