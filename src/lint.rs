//! The pipeline in one place: discover → load → resolve references → detect + adapt → rules.

use std::path::{Path, PathBuf};

use crate::config::baseline::Baseline;
use crate::config::{suppress, Config};
use crate::diagnostic::{Diagnostic, Severity};
use crate::discover::{self, DiscoverError};
use crate::formats::{self, AdaptContext};
use crate::model::{join, Inventory};
use crate::rules::{self, RuleContext};
use crate::source::refs;
use crate::source::Workspace;
use crate::span::Location;
use crate::span::{FileId, Span};

#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    pub paths: Vec<PathBuf>,
    /// The project root; `$ref`s may not leave it. Defaults to the enclosing git repository of
    /// the working directory, else the working directory.
    pub root: Option<PathBuf>,
    /// Which rules run where, and which walked files are linted.
    pub config: Config,
    /// Accepted findings: only findings it does not record are reported.
    pub baseline: Option<Baseline>,
}

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

#[derive(Debug)]
pub enum LintError {
    Discover(DiscoverError),
    Root(PathBuf, std::io::Error),
    WorkingDirectory(std::io::Error),
}

impl std::fmt::Display for LintError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LintError::Discover(error) => error.fmt(f),
            LintError::Root(path, error) => {
                write!(f, "root `{}` is not usable: {error}", path.display())
            }
            LintError::WorkingDirectory(error) => {
                write!(f, "cannot read the working directory: {error}")
            }
        }
    }
}

impl std::error::Error for LintError {}

pub fn lint(options: &LintOptions) -> Result<LintOutcome, LintError> {
    let cwd = std::env::current_dir().map_err(LintError::WorkingDirectory)?;
    let cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd);
    lint_in(options, &cwd)
}

/// Runs the pipeline as if started in `cwd` (which must be absolute).
pub fn lint_in(options: &LintOptions, cwd: &Path) -> Result<LintOutcome, LintError> {
    let root = match &options.root {
        Some(root) => std::fs::canonicalize(cwd.join(root))
            .map_err(|error| LintError::Root(root.clone(), error))?,
        None => discover::project_root(cwd),
    };
    let paths = if options.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        options.paths.clone()
    };
    let config = &options.config;
    let requests = discover::discover(&paths, cwd, &config.filter).map_err(LintError::Discover)?;

    let mut diagnostics = Vec::new();
    let mut workspace = Workspace::new(root, cwd.to_path_buf());
    workspace.load_all(requests, &mut diagnostics);

    // Detect every document's format before resolving references, so that only the documents
    // of formats that use `$ref` are searched for them.
    let mut detected = Vec::new();
    for file in workspace.files() {
        let mut recognised = false;
        for (index, document) in file.documents.iter().enumerate() {
            for adapter in formats::detect(document) {
                detected.push((file.id, index, adapter));
                recognised = true;
            }
        }
        if file.explicit && !file.failed && !recognised {
            diagnostics.push(unknown_format(file.id));
        }
    }
    let ref_files: Vec<FileId> = detected
        .iter()
        .filter(|(_, _, adapter)| adapter.uses_refs)
        .map(|(file, _, _)| *file)
        .collect();
    let ref_index = refs::resolve_all(&mut workspace, &ref_files, &mut diagnostics);

    let mut inventory = Inventory::default();
    {
        let mut cx = AdaptContext {
            workspace: &workspace,
            refs: &ref_index,
            inventory: &mut inventory,
            diagnostics: &mut diagnostics,
        };
        for (file, index, adapter) in &detected {
            if let Some(document) = workspace.file(*file).documents.get(*index) {
                (adapter.adapt)(&mut cx, *file, document);
            }
        }
    }
    // A path item shared through `$ref` by several documents is one operation, not several.
    let mut seen = std::collections::HashSet::new();
    inventory
        .operations
        .retain(|op| seen.insert((op.location, op.path.clone(), op.method)));
    inventory.apply_upstream_policies();
    let join = join::join(&inventory, config.layer_order(&workspace));

    diagnostics.extend(rules::run(&RuleContext {
        inventory: &inventory,
        workspace: &workspace,
        join: &join,
        config,
    }));
    config.apply_levels(&workspace, &mut diagnostics);
    sort_and_dedup(&workspace, &mut diagnostics);
    let split = suppress::apply(config, &workspace, &inventory, diagnostics);
    let (mut diagnostics, mut suppressed) = (split.active, split.suppressed);
    // Sorted before the baseline, so that which of several equal findings it accepts is stable.
    sort_and_dedup(&workspace, &mut diagnostics);
    if let Some(baseline) = &options.baseline {
        let (new, accepted) = baseline.apply(&workspace, diagnostics);
        diagnostics = new;
        suppressed.extend(accepted);
    }
    sort_and_dedup(&workspace, &mut suppressed);
    Ok(LintOutcome {
        workspace,
        inventory,
        join,
        diagnostics,
        suppressed,
    })
}

fn unknown_format(file: FileId) -> Diagnostic {
    Diagnostic::new(
        "unknown-format",
        Location {
            file,
            span: Span::new(0, 0),
        },
        "not a format routeguard reads",
    )
    .with_label("unrecognised file")
}

/// Deterministic order (file, line, column, rule), each finding once.
fn sort_and_dedup(workspace: &Workspace, diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| {
        let file_a = &workspace.file(a.location.file).display;
        let file_b = &workspace.file(b.location.file).display;
        file_a
            .cmp(file_b)
            .then(a.location.span.start.cmp(&b.location.span.start))
            .then(a.rule.cmp(b.rule))
            .then(a.location.span.end.cmp(&b.location.span.end))
            .then(a.message.cmp(&b.message))
    });
    diagnostics
        .dedup_by(|a, b| a.rule == b.rule && a.location == b.location && a.message == b.message);
}
